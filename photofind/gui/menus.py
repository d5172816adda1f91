"""The window's menu bar: Library, View, Photos and Help, each action with its shortcut.
Help ▸ Keyboard shortcuts lists them all (read from these menus, so it never drifts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from photofind.gui.dialogs.duplicates import show_duplicates
from photofind.gui.dialogs.shortcuts import ShortcutsDialog

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    library = window.menuBar().addMenu("&Library")
    actions = window.library_actions
    window.add_folder_action = library.addAction("&Add folder…", actions.choose_folder)
    window.add_folder_action.setShortcut(QKeySequence.StandardKey.Open)
    window.remove_menu = library.addMenu("&Remove folder")
    window.remove_menu.aboutToShow.connect(lambda: actions.fill_remove_menu(window.remove_menu))
    library.addSeparator()
    window.pause_action = library.addAction("&Pause indexing")
    window.pause_action.setCheckable(True)
    window.pause_action.setShortcut(QKeySequence("Ctrl+P"))
    window.pause_action.toggled.connect(window.set_paused)
    look = library.addAction("&Look for new photos now", window.session.start_indexing)
    look.setShortcut(QKeySequence("F5"))
    library.addAction("&Files that could not be read…", actions.show_failures)
    library.addAction("Find d&uplicates…", lambda: show_duplicates(window))
    library.addSeparator()
    models = library.addAction("&Models…", window.show_models)
    models.setShortcut(QKeySequence("Ctrl+M"))
    library.addSeparator()
    window.demo_action = library.addAction("Add the &demo library", actions.add_demo)
    library.addSeparator()
    quit_action = library.addAction("&Quit", window.close)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)

    view = window.menuBar().addMenu("&View")
    zoom_in = view.addAction("&Larger thumbnails", lambda: window.zoom(1))
    zoom_in.setShortcuts([QKeySequence.StandardKey.ZoomIn, QKeySequence("Ctrl+=")])
    zoom_out = view.addAction("&Smaller thumbnails", lambda: window.zoom(-1))
    zoom_out.setShortcuts([QKeySequence.StandardKey.ZoomOut])
    view.addSeparator()
    group = QActionGroup(window)
    window.sort_actions = {}
    for key, label, keys in (("relevance", "&Best match first", "Ctrl+1"),
                             ("date", "&Newest first", "Ctrl+2"),
                             ("oldest", "&Oldest first", "Ctrl+3")):  # fmt: skip
        action = view.addAction(label, lambda k=key: window.results.set_sort(k))
        action.setCheckable(True)
        action.setShortcut(QKeySequence(keys))
        group.addAction(action)
        window.sort_actions[key] = action
    view.addSeparator()
    focus = view.addAction("Searc&h", window.search_bar.focus_all)
    focus.setShortcuts([QKeySequence.StandardKey.Find, QKeySequence("Ctrl+L")])
    places = view.addAction("&All photos", lambda: window.sidebar.choose(None))
    places.setShortcut(QKeySequence("Ctrl+Shift+A"))
    sidebar = view.addAction("Show the s&idebar")
    sidebar.setCheckable(True)
    sidebar.setChecked(True)
    sidebar.setShortcut(QKeySequence("Ctrl+B"))
    sidebar.toggled.connect(window.sidebar.setVisible)
    window.sidebar_action = sidebar
    jump = view.addAction("&Jump to date…", window.browse.popup_jump_menu)
    jump.setShortcut(QKeySequence("Ctrl+J"))
    search_photo = view.addAction(
        "Search with a p&hoto…", lambda: window.input.choose_photo(window)
    )
    search_photo.setShortcut(QKeySequence("Ctrl+Shift+P"))
    view.addSeparator()
    hide = view.addAction("Hide sensiti&ve photos")
    hide.setCheckable(True)
    hide.setChecked(window.settings.hide_sensitive)
    hide.setToolTip("Blur the photos of sensitive collections until they are clicked")
    hide.toggled.connect(window.collections.set_hide_sensitive)
    window.hide_sensitive_action = hide

    photos = window.menuBar().addMenu("&Photos")
    for key, action in window.photo_actions.actions.items():
        if key != "view":
            photos.addAction(action)

    help_menu = window.menuBar().addMenu("&Help")
    keys = help_menu.addAction("&Keyboard shortcuts", lambda: show_shortcuts(window))
    keys.setShortcut(QKeySequence("F1"))
    help_menu.addAction("&About photofind", window.show_about)


def menu_shortcuts(window: MainWindow) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every menu action that has a shortcut."""
    found = []

    def walk(menu_title: str, menu_actions: list[QAction]) -> None:
        for action in menu_actions:
            if action.menu() is not None:
                walk(menu_title, action.menu().actions())
                continue
            keys = ", ".join(
                k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
            )
            if keys and action.text():
                found.append((menu_title, action.text().replace("&", ""), keys))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.text().replace("&", ""), top.menu().actions())
    return found


def show_shortcuts(window: MainWindow) -> ShortcutsDialog:
    dialog = ShortcutsDialog(menu_shortcuts(window), window)
    window.shortcuts_dialog = dialog
    dialog.show()
    return dialog
