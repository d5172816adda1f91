"""The browse side of the main window: the sidebar and the browse page, the viewer opened
from either grid, the keyboard's way between the search field and the grids, and every
change that must reach both grids (a folder scope, photos trashed).

Kept out of main_window.py, which assembles; this says how the places and the photos in
them behave together.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt

from photofind.core.search import SearchHit
from photofind.gui.browse.page import BrowsePage
from photofind.gui.library_session import FolderChange
from photofind.gui.query_input import without_query_photos
from photofind.gui.sidebar import Sidebar
from photofind.gui.viewer import PhotoViewer, ViewerItem

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

SIDEBAR_WIDTH = 220


class BrowseWiring(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        session = window.session
        self.sidebar = Sidebar(window)
        self.page = BrowsePage(session, window.thumbnails, window.settings.thumbnail_size, window)
        actions = window.photo_actions
        actions.attach(self.page.grid)
        actions.attach(window.results.view)
        actions.set_selection(self.selection)

        self.page.open_requested.connect(actions.open_viewer)
        self.page.context_requested.connect(self._browse_context)
        self.page.tree_changed.connect(self.sidebar.show_tree)
        self.page.rows_changed.connect(window._update_page)
        self.page.message.connect(window.show_message)
        self.page.grid.escape_pressed.connect(window.search_bar.focus_all)
        self.page.grid.paste_requested.connect(window.input.paste)
        window.results.escape_pressed.connect(window.search_bar.focus_all)
        window.search_bar.to_results.connect(self.focus_grid)
        window.search_bar.photo_requested.connect(lambda: window.input.choose_photo(window))
        self.sidebar.scope_chosen.connect(self.scope)
        actions.trashed.connect(self._on_trashed)
        session.folders_changed.connect(self._on_folders_changed)
        actions.viewer_closed.connect(self._on_viewer_closed)

    # -- what the actions act on ------------------------------------------------------------

    def browsing(self) -> bool:
        return self.window.pages.currentWidget() is self.page

    def selection(self) -> list[SearchHit]:
        if self.browsing():
            return self.page.selected_hits()
        return self.window.results.view.selected_hits()

    def view_result(self, hit: SearchHit) -> PhotoViewer | None:
        return self.window.photo_actions.view_hits(self.window.results.hits(), hit)

    def results_context(self, hits: list[SearchHit], where: QPoint) -> None:
        first = hits[0]
        menu = self.window.photo_actions.context_menu(hits, lambda: self.view_result(first))
        menu.exec(where)

    def _browse_context(self, hits: list[SearchHit], where: QPoint) -> None:
        grid = self.page.grid
        row = grid.current if grid.current in grid.selected else grid.selected_rows()[0]
        menu = self.window.photo_actions.context_menu(hits, lambda: self.page._open(row))
        menu.exec(where)

    # -- keyboard ---------------------------------------------------------------------------

    def focus_grid(self) -> None:
        """Down or Enter in the search field: on to the photos shown, with a focus cell."""
        window = self.window
        if window.pages.currentWidget() is window.results:
            window.results.view.setFocus(Qt.FocusReason.TabFocusReason)
        elif self.browsing():
            self.page.grid.setFocus(Qt.FocusReason.TabFocusReason)

    # -- changes ----------------------------------------------------------------------------

    def scope(self, folder: Path | None) -> None:
        """Browse and search only below ``folder`` (None: the whole library)."""
        self.page.scope(folder)
        self.window.session.query.set_folder(folder)

    def _on_trashed(self, photo_ids: list[int]) -> None:
        self.page.forget(photo_ids)
        self.window.results.forget(photo_ids)
        self.window._update_page()

    def _on_folders_changed(self, change: FolderChange) -> None:
        """A removed folder's photos leave the results at once (the catalog has forgotten
        them); a scope inside it goes back to All photos when the sidebar's tree comes."""
        if change.added or not change.changed:
            return
        every = self.window.results.every_hit()  # the copies hidden in a group's cell too
        gone = [h.photo_id for h in every if h.path.is_relative_to(change.folder)]
        if gone:
            self.window.results.forget(gone)
            self.window._update_page()

    def _on_viewer_closed(self, item: ViewerItem) -> None:
        if item.photo_id is None:
            return
        if self.browsing():
            self.page.select_photo(item.photo_id)
            self.page.grid.setFocus()
            return
        view = self.window.results.view
        rows = self.window.results.model.rows_of(item.path)
        if rows:
            view.setCurrentIndex(self.window.results.model.index(rows[0]))
            view.setFocus()

    def shown_hits(self, hits: list[SearchHit], images: tuple) -> list[SearchHit]:
        return without_query_photos(hits, images, self.window.input.similar_to)

    def shutdown(self) -> None:
        self.window.photo_actions.shutdown()
        self.page.shutdown()
