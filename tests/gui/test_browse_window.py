"""The photo browser in the real window over a real indexed library: browse by date with
month headers, the sidebar's folder scope (browse and search), the viewer from the grid,
image drops that replace or add, selection actions (trash through a fake trash, copy to a
folder, copy image), the keyboard between the field and the grid, and a grid that follows
a folder's removal."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.gui import search, wait_indexed
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from photofind.gui.browse.grid import section_title
from photofind.gui.menus import show_shortcuts


def browse_ready(qtbot, window, count: int) -> None:
    qtbot.waitUntil(
        lambda: window.page_state == "browse" and len(window.browse.model.rows) == count,
        timeout=20_000,
    )


def test_idle_window_browses_the_library_newest_first_under_month_headers(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 48)
    rows = window.browse.model.rows
    assert (rows.order.taken_at[:-1] >= rows.order.taken_at[1:]).all()  # newest first
    sections = rows.order.sections
    assert sum(s.count for s in sections) == 48
    # the generated photos carry no EXIF date: each is marked as dated by its file
    first = sections[0]
    assert "dated by the file" in section_title(first, int((rows.order.sources == 1).sum()))
    assert window.browse.model.file_dated(0)
    assert "48 photos" in window.browse.summary.text()
    # the first screen's thumbnails are painted (not placeholders) once they arrive
    grid = window.browse.grid
    qtbot.waitUntil(
        lambda: grid.viewport().repaint() or window.browse.delegate.painted_thumbnails > 0,
        timeout=10_000,
    )
    assert grid.row_at(grid.visual_rect(0).center()) == 0
    assert grid.row_at(grid.visual_rect(0).topLeft() - grid.visual_rect(0).topLeft()) is None
    # the sidebar: All photos with its count, the folder with its count, Collections
    sidebar = window.sidebar
    assert sidebar.all_item.text(1) == "48"
    folder = sidebar.folder_item(library_photos)
    assert folder is not None and folder.text(1) == "48"
    assert sidebar.collections_item.text(0) == "Collections"


def test_sidebar_folder_scopes_browsing_and_searching(
    qtbot, make_window, library_photos, make_library
):
    other = make_library(12, seed=99, name="other")[0].path.parent
    window = make_window([library_photos, other])
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 60)
    qtbot.waitUntil(lambda: window.sidebar.folder_item(other) is not None, timeout=10_000)
    assert window.sidebar.folder_item(other).text(1) == "12"
    window.sidebar.setCurrentItem(window.sidebar.folder_item(other))
    browse_ready(qtbot, window, 12)
    assert window.browse.title.text() == "other"
    assert all(window.browse.model.rows.path(r).parent == other for r in range(12))
    search(qtbot, window, "a red circle")
    hits = window.results.hits()
    assert hits and all(h.path.parent == other for h in hits)
    # back to all photos: the search covers the whole library again
    window.sidebar.choose(None)
    qtbot.waitUntil(lambda: not window.session.query.busy, timeout=10_000)
    qtbot.waitUntil(
        lambda: any(h.path.parent == library_photos for h in window.results.hits()),
        timeout=10_000,
    )


def test_enter_in_the_grid_opens_the_viewer_which_steps_and_closes(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 48)
    field = window.search_bar.field
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Down)  # from the search field into the grid
    grid = window.browse.grid
    assert grid.hasFocus() and grid.current == 0 and grid.selected == {0}
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.current == 1
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    viewer = window.viewer
    assert viewer is not None and viewer.isVisible()
    assert len(viewer.items) == 48 and viewer.row == 1
    assert viewer.item.path == window.browse.model.rows.path(1)
    assert viewer.item.score is None and viewer.item.date_source == "file"
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.row == 2
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert not viewer.isVisible()
    assert grid.current == 2 and grid.selected == {2}  # the grid follows what was viewed
    qtbot.keyClick(grid, Qt.Key.Key_Escape)  # back to the search field
    assert field.hasFocus()


def test_search_result_opens_the_viewer_with_scores(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    view = window.results.view
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Down)
    assert view.hasFocus() and view.currentIndex().row() == 0
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert window.viewer is not None and window.viewer.isVisible()
    assert window.viewer.item.score is not None
    assert window.viewer.item.path == window.results.hits()[0].path
    window.viewer.close()
    assert window.system.opened == []  # the default app is in the menu only
    menu = window.context_menu([window.results.hits()[0]])
    names = [a.text() for a in menu.actions()]
    assert "Open with default app" in names and "Move to trash" in names
    next(a for a in menu.actions() if a.text() == "Open with default app").trigger()
    assert window.system.opened == [window.results.hits()[0].path]


def _drop_on(widget, mime: QMimeData, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    pos = QPointF(widget.rect().center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, modifiers)
    try:  # Qt 6.12 takes a QPointF (and deprecates QPoint); earlier versions a QPoint
        enter = QDragEnterEvent(pos, *args)
    except TypeError:
        enter = QDragEnterEvent(pos.toPoint(), *args)
    QApplication.sendEvent(widget, enter)
    QApplication.sendEvent(widget, QDropEvent(pos, *args))


def _files(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_a_drop_replaces_the_query_image_and_ctrl_drop_adds_one(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    star, circle, square = (sorted(library_photos.glob(f"*-{name}.*"))[0]
                            for name in ("red-star", "blue-circle", "green-square"))  # fmt: skip
    _drop_on(window, _files(star))
    assert [c.image.source for c in window.search_bar.chips()] == [star]
    _drop_on(window, _files(circle))  # replaces, as "photos like this" says
    assert [c.image.source for c in window.search_bar.chips()] == [circle]
    _drop_on(window, _files(square), Qt.KeyboardModifier.ControlModifier)  # adds
    assert [c.image.source for c in window.search_bar.chips()] == [circle, square]
    _drop_on(window.search_bar.field, _files(star), Qt.KeyboardModifier.ControlModifier)
    assert [c.image.source for c in window.search_bar.chips()] == [circle, square, star]
    _drop_on(window.search_bar.field, _files(star))
    assert [c.image.source for c in window.search_bar.chips()] == [star]
    assert window.search_bar.chips()[0].image.label == star.name
    qtbot.waitUntil(lambda: window.session.query.last is not None
                    and window.session.query.last.request.images == (star,)
                    and not window.session.query.busy, timeout=10_000)  # fmt: skip
    # a pasted image is called what it is
    QGuiApplication.clipboard().setImage(window.search_bar.chips()[0].image.preview)
    window.input.paste()
    assert [c.image.label for c in window.search_bar.chips()] == ["Pasted image"]


def test_find_similar_does_not_list_the_photo_itself(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    first = window.results.hits()[0]
    window.input.find_similar([first])
    qtbot.waitUntil(lambda: window.session.query.last.request.images == (first.path,)
                    and not window.session.query.busy, timeout=10_000)  # fmt: skip
    qtbot.waitUntil(lambda: bool(window.results.hits()), timeout=10_000)
    assert first.path not in [h.path for h in window.results.hits()]
    assert "red-circle" in window.results.hits()[0].path.name  # its twin comes first


def test_move_to_trash_forgets_the_photos_and_copy_to_folder_copies(
    qtbot, make_window, library_photos, tmp_path
):
    trash = tmp_path / "trash"
    trash.mkdir()
    window = make_window([library_photos])
    window.photo_actions.trash_function = lambda path: shutil.move(path, trash)
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 48)
    grid = window.browse.grid
    grid.select_rows([0, 1], current=0)
    assert "2 selected" in window.browse.summary.text()
    doomed = [window.browse.model.rows.path(r) for r in (0, 1)]

    # copy to a folder (twice: the second copy never overwrites the first)
    out = tmp_path / "out"
    out.mkdir()
    for _ in range(2):
        window.photo_actions.copy_to_folder(window.browse.selected_hits(), out)
        qtbot.waitUntil(lambda: not window.photo_actions.busy, timeout=10_000)
    assert len(list(out.iterdir())) == 4
    assert "Copied 2 photos" in window.statusBar().currentMessage()

    # copy image puts the picture itself on the clipboard
    window.photo_actions.run("copy_image")
    assert not QGuiApplication.clipboard().image().isNull()

    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # Move to trash, no dialog
    qtbot.waitUntil(lambda: not window.photo_actions.busy, timeout=10_000)
    assert sorted(p.name for p in trash.iterdir()) == sorted(p.name for p in doomed)
    assert not any(p.exists() for p in doomed)
    assert "restore" in window.statusBar().currentMessage()
    browse_ready(qtbot, window, 46)
    shown = {window.browse.model.rows.path(r) for r in range(46)}
    assert not shown & set(doomed)
    assert window.session.library.counts().photos == 46
    qtbot.waitUntil(lambda: window.sidebar.all_item.text(1) == "46", timeout=10_000)


def test_removing_a_folder_takes_its_photos_off_the_screen(
    qtbot, make_window, library_photos, make_library
):
    other = make_library(12, seed=99, name="other")[0].path.parent
    window = make_window([library_photos, other])
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 60)
    search(qtbot, window, "a circle")
    assert any(h.path.parent == other for h in window.results.hits())
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.library_actions.remove_folder(other, confirm=False)
    qtbot.waitUntil(
        lambda: (
            window.results.hits() and not any(h.path.parent == other for h in window.results.hits())
        ),
        timeout=10_000,
    )
    window.search_bar.clear()
    browse_ready(qtbot, window, 48)
    # the tree comes after the rows: a read that began before the removal may have shown
    # the folders without it and its photos still counted
    qtbot.waitUntil(
        lambda: (
            window.sidebar.folder_item(other) is None and window.sidebar.all_item.text(1) == "48"
        ),
        timeout=10_000,
    )


def test_every_action_has_a_shortcut_in_the_list(qtbot, make_window, library_photos):
    window = make_window([library_photos], start=False)
    dialog = show_shortcuts(window)
    qtbot.addWidget(dialog)
    for what in ("Move to trash", "Copy to folder…", "Copy image", "Show in folder",
                 "Open with default app", "Find similar", "Add folder…", "Jump to date…",
                 "Search with a photo…", "Keyboard shortcuts"):  # fmt: skip
        assert dialog.keys_for(what), what
    assert dialog.keys_for("Move to trash") == ["Del"]


def test_the_window_fits_a_small_screen(qtbot, make_window):
    window = make_window(start=False)
    window.resize(560, 500)
    assert window.minimumSizeHint().width() <= 560 and window.width() == 560
    screen = window.screen().availableGeometry()
    assert window.frameGeometry().width() <= max(screen.width(), 560)


def test_folders_that_cannot_be_read_are_listed_and_marked(
    qtbot, make_window, library_photos, make_library
):
    away = make_library(4, seed=5, name="drive")[0].path.parent
    window = make_window([library_photos, away])
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 52)
    # The scanner records a folder it could not list; as root every folder can be listed,
    # so the record is made the way the scanner makes it.
    locked = library_photos / "locked"
    window.session.library.catalog.set_folder_problems({locked: "Permission denied; fix it."})
    window.library_actions.show_failures()
    qtbot.waitUntil(lambda: window.failures_dialog is not None, timeout=10_000)
    dialog = window.failures_dialog
    assert dialog.table.item(0, 0).text() == "locked/"
    assert "Permission denied" in dialog.table.item(0, 1).text()
    assert "1 folder could not be listed" in dialog.findChild(QLabel).text()
    dialog.close()
    # a library folder whose drive went away says so in the sidebar
    away.rename(away.with_name("unplugged"))
    window.browse.reload()
    qtbot.waitUntil(
        lambda: (
            window.sidebar.folder_item(away) is not None
            and "offline" in window.sidebar.folder_item(away).text(0)
        ),
        timeout=10_000,
    )
    window.sidebar.choose(away)
    qtbot.waitUntil(lambda: window.browse.problem.isVisibleTo(window.browse), timeout=10_000)


def test_what_waits_for_the_first_screen_runs_once_its_thumbnails_are_painted(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    browse_ready(qtbot, window, 48)
    page, grid = window.browse, window.browse.grid
    window.thumbnails.clear()  # the first screen's pictures must come again
    seen: list[tuple[bool, int]] = []

    def first_screen() -> None:
        size = round(page.delegate.size * page.delegate.device_ratio)
        rows = list(grid.visible_rows())
        on_screen = bool(rows) and all(
            window.thumbnails.has(page.model.rows.path(r), size) for r in rows
        )
        seen.append((on_screen, page.delegate.painted_thumbnails))

    painted_before = page.delegate.painted_thumbnails
    page.after_first_screen(first_screen)
    page.reload()  # a read follows the one the callback waits for
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=10_000)
    on_screen, painted = seen[0]
    assert on_screen  # every cell on screen had its picture
    assert painted > painted_before  # and the grid had painted them
    qtbot.wait(50)
    assert len(seen) == 1  # once
