"""The browse page: what the window shows with an empty query. A bar (what is shown, how
many photos, how many selected, a jump to a year or month) over the date grid.

The page follows the library by itself: it reads the rows again (off the UI thread) after
every folder change, every count while indexing, a model switch and a trash, and keeps the
photos the user was looking at (the first one on screen stays at the top, the selection
stays selected) when rows come and go around them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from photofind.core.browse import FolderNode, FolderTree
from photofind.core.browse_rows import BrowseRows
from photofind.core.humanize import plural
from photofind.core.library_folders import OK
from photofind.core.search import SearchHit
from photofind.gui.browse.grid import BrowseGrid
from photofind.gui.browse.loading import BrowseLoader
from photofind.gui.browse.model import BrowseItems, BrowseModel
from photofind.gui.library_session import LibrarySession
from photofind.gui.results.delegate import ThumbnailDelegate
from photofind.gui.results.pixmaps import ThumbnailStore

PREFETCH = 60  # thumbnails asked for before the first paint when the grid has no size yet
FIRST_SCREEN_WAIT_MS = 1500  # what runs after the first screen waits no longer than this


def find_node(tree: FolderTree | None, folder: Path | None) -> FolderNode | None:
    if tree is None or folder is None:
        return None
    stack = list(tree.roots)
    while stack:
        node = stack.pop()
        if node.path == folder:
            return node
        stack.extend(node.children)
    return None


class BrowsePage(QWidget):
    open_requested = Signal(object, int)  # (BrowseItems, row) for the viewer
    context_requested = Signal(list, QPoint)  # the selected photos (SearchHit), where
    rows_changed = Signal()  # new rows shown: the window may choose another page
    tree_changed = Signal(FolderTree)
    message = Signal(str)

    def __init__(self, session: LibrarySession, thumbnails: ThumbnailStore, zoom: int,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("browsePage")
        self.session = session
        self.thumbnails = thumbnails
        self.tree: FolderTree | None = None
        self.loaded_once = False
        self.model = BrowseModel(self)
        self.delegate = ThumbnailDelegate(thumbnails, zoom, self)
        self.grid = BrowseGrid(self.model, self.delegate, self)
        self.loader = BrowseLoader(session, self)
        self.title = QLabel("All photos", self)
        self.title.setObjectName("browseTitle")
        self.summary = QLabel(self)
        self.summary.setObjectName("browseSummary")
        self.problem = QLabel(self)
        self.problem.setObjectName("browseProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.jump_button = QToolButton(self)
        self.jump_button.setText("Jump to date")
        self.jump_button.setToolTip("Jump to a year or month (Ctrl+J)")
        self.jump_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.jump_menu = QMenu(self.jump_button)
        self.jump_button.setMenu(self.jump_menu)
        self.jump_menu.aboutToShow.connect(self.fill_jump_menu)

        bar = QHBoxLayout()
        bar.setContentsMargins(10, 0, 6, 0)
        bar.setSpacing(12)
        bar.addWidget(self.title)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.jump_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.problem)
        layout.addWidget(self.grid, 1)

        thumbnails.ready.connect(lambda _path: self.grid.viewport().update())
        self.loader.loaded.connect(self._on_loaded)
        self.loader.tree_loaded.connect(self._on_tree)
        self.loader.failed.connect(self.message)
        self.grid.open_requested.connect(self._open)
        self.grid.context_requested.connect(
            lambda where: self.context_requested.emit(self.selected_hits(), where)
        )
        self.grid.selection_changed.connect(lambda _n: self._show_summary())
        session.folders_changed.connect(lambda _change: self.reload())
        session.counts_changed.connect(self._on_counts)
        session.reopened.connect(lambda _r: self.reload())
        self._photos_seen = session.counts.photos
        self._first_screen: list[Callable[[], None]] = []
        self._first_timer = QTimer(self)
        self._first_timer.setSingleShot(True)
        self._first_timer.timeout.connect(self._first_screen_shown)
        thumbnails.ready.connect(lambda _path: self._check_first_screen())
        self.reload()  # the library as it is now, before any index run changes it

    # -- rows -----------------------------------------------------------------------------

    @property
    def has_photos(self) -> bool:
        return len(self.model.rows) > 0

    @property
    def folder(self) -> Path | None:
        return self.loader.folder

    def reload(self) -> None:
        self.loader.reload()

    def after_first_screen(self, fn: Callable[[], None]) -> None:
        """``fn()`` once the rows are read and the first screen painted with its pictures
        (or FIRST_SCREEN_WAIT_MS after the read). An index run started earlier walks the
        library's files under the same interpreter lock as the thumbnails' delivery and
        the paint, and put off the first screen by a few hundred milliseconds."""

        def read() -> None:
            self._first_screen.append(fn)
            if not self._first_timer.isActive():
                self._first_timer.start(FIRST_SCREEN_WAIT_MS)

        self.loader.after_read(read)

    def _check_first_screen(self) -> None:
        if not self._first_screen or not self.loaded_once:
            return
        if not self.grid.isVisible():
            self._first_screen_shown()  # nothing will be painted to wait for
        else:
            rows, size = self.model.rows, self._thumbnail_pixels()
            if all(self.thumbnails.has(rows.path(r), size) for r in self.grid.visible_rows()):
                self.grid.after_paint(self._first_screen_shown)

    def _first_screen_shown(self) -> None:
        self._first_timer.stop()
        waiting, self._first_screen = self._first_screen, []
        for fn in waiting:
            fn()

    def scope(self, folder: Path | None) -> None:
        """Show ``folder``'s photos (None: the whole library)."""
        if folder != self.loader.folder:
            self.grid.clear_selection()
            self.grid.current = -1
            self.loader.scope(folder)

    def _on_counts(self, counts) -> None:
        if counts.photos != self._photos_seen:
            self._photos_seen = counts.photos
            self.reload()

    def _on_loaded(self, rows: BrowseRows) -> None:
        grid, old = self.grid, self.model.rows
        same_scope = old.folder == rows.folder and self.loaded_once
        keep_ids = old.order.ids[grid.selected_rows()] if same_scope else np.empty(0, np.int64)
        current_id = (
            old.photo_id(grid.current) if same_scope and 0 <= grid.current < len(old) else None
        )
        visible = grid.visible_rows()
        top_id = old.photo_id(visible.start) if same_scope and len(visible) else None
        at_top = grid.verticalScrollBar().value() == 0
        self.model.set_rows(rows)
        self.loaded_once = True
        ids = rows.order.ids
        grid.select_rows(np.flatnonzero(np.isin(ids, keep_ids)).tolist())
        grid.current = rows.order.row_of(current_id) if current_id is not None else -1
        if grid.current is None:
            grid.current = -1
        if top_id is not None and not at_top:
            row = rows.order.row_of(top_id)
            if row is not None:
                grid.scroll_to(row, top=True)
        elif not same_scope:
            grid.verticalScrollBar().setValue(0)
        size = self._thumbnail_pixels()
        # Only the cells on screen: more would be decoded before them and delay the paint.
        for row in grid.visible_rows()[:PREFETCH] or range(min(PREFETCH, len(rows))):
            self.thumbnails.pixmap(rows.path(row), size)
        self._show_summary()
        self._show_problem()  # of the folder now shown, by the last tree until the next one
        self.rows_changed.emit()
        self._check_first_screen()

    def _thumbnail_pixels(self) -> int:
        return round(self.delegate.size * self.delegate.device_ratio)

    def _on_tree(self, tree: FolderTree) -> None:
        self.tree = tree
        self._show_problem()
        self.tree_changed.emit(tree)

    def _show_problem(self) -> None:
        node = find_node(self.tree, self.folder)
        if node is not None and node.state != OK:
            self.problem.setText(f"{node.name}: {node.reason or 'it cannot be read now.'}")
            self.problem.show()
        else:
            self.problem.hide()

    def _show_summary(self) -> None:
        folder = self.folder
        self.title.setText("All photos" if folder is None else (folder.name or str(folder)))
        self.title.setToolTip("" if folder is None else str(folder))
        count = len(self.model.rows)
        selected = len(self.grid.selected)
        summary = plural(count, "photo", grouped=True)
        if selected:
            summary += f"  ·  {selected:,} selected"
        self.summary.setText(summary)
        self.jump_button.setEnabled(count > 0)

    # -- acting on it ---------------------------------------------------------------------

    def selected_hits(self) -> list[SearchHit]:
        return [self.model.hit(r) for r in self.grid.selected_rows()]

    def forget(self, photo_ids: list[int]) -> None:
        """Photos that left the library (trashed): off the screen now, then read again."""
        if photo_ids:
            rows = self.model.rows
            keep = ~np.isin(rows.order.ids, np.asarray(photo_ids, np.int64))
            self.grid.clear_selection()
            self.model.set_rows(BrowseRows(
                rows.order.without(photo_ids), [p for p, k in zip(rows.raw_paths, keep, strict=True) if k],
                rows.widths[keep], rows.heights[keep],
            ))  # fmt: skip
            self._show_summary()
        self.reload()

    def _open(self, row: int) -> None:
        self.open_requested.emit(BrowseItems(self.model), row)

    def select_photo(self, photo_id: int) -> None:
        """After the viewer closes: the photo it showed last is the current one."""
        row = self.model.rows.order.row_of(photo_id)
        if row is not None:
            self.grid.select_rows([row], current=row)
            self.grid.scroll_to(row)

    def fill_jump_menu(self) -> None:
        menu = self.jump_menu
        menu.clear()
        for year in self.model.rows.order.years():
            if year.year is None:
                menu.addAction("Date unknown", lambda s=year.start: self.jump_to(s))
                continue
            sub = menu.addMenu(f"{year.year}  ({year.count:,})")
            sub.addAction(f"All of {year.year}", lambda s=year.start: self.jump_to(s))
            for month in year.months:
                name = date(year.year, month.month or 1, 1).strftime("%B")
                sub.addAction(f"{name}  ({month.count:,})", lambda s=month.start: self.jump_to(s))

    def jump_to(self, row: int) -> None:
        self.grid.scroll_to(row, top=True)
        self.grid.select_rows([row], current=row)
        self.grid.setFocus()

    def popup_jump_menu(self) -> None:
        if self.jump_button.isEnabled():
            self.jump_button.showMenu()

    def set_thumbnail_size(self, size: int) -> None:
        self.grid.set_thumbnail_size(size)

    def shutdown(self) -> None:
        self._first_timer.stop()
        self._first_screen = []  # nothing starts once the window is closing
        self.loader.shutdown()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.grid.escape_pressed.emit()
            return
        super().keyPressEvent(event)
