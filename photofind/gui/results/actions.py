"""What can be done with result photos: open them, show them in their folder, copy their
paths, preview them, find similar ones. The desktop side goes through SystemActions, so
tests see what would have been opened."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QWidget

from photofind.core.search import SearchHit
from photofind.gui.dialogs.preview import PreviewDialog
from photofind.gui.results.pane import ResultsPane
from photofind.gui.system import SystemActions


class PhotoActions(QObject):
    message = Signal(str)  # for the status bar

    def __init__(
        self,
        results: ResultsPane,
        system: SystemActions,
        find_similar: Callable[[list[SearchHit]], None],
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.results = results
        self.system = system
        self.find_similar = find_similar
        self.window = window
        self.preview: PreviewDialog | None = None

    def open_photo(self, hit: SearchHit) -> None:
        if not self.system.open_file(hit.path):
            self.message.emit(f"No application could open {hit.path.name}.")

    def show_preview(self, hit: SearchHit) -> None:
        hits = self.results.hits()
        row = hits.index(hit) if hit in hits else 0
        if self.preview is not None:
            self.preview.close()
        self.preview = PreviewDialog(self.results.thumbnails, hits, row, self.window)
        self.preview.open_requested.connect(self.open_photo)
        self.preview.show_in_folder_requested.connect(lambda h: self.system.show_in_folder(h.path))
        self.preview.show()

    def context_menu(self, hits: list[SearchHit]) -> QMenu:
        menu = QMenu(self.window)
        first = hits[0]
        menu.addAction("Open", lambda: [self.open_photo(h) for h in hits])
        menu.addAction("Show in folder", lambda: self.system.show_in_folder(first.path))
        menu.addAction(
            "Copy path" if len(hits) == 1 else f"Copy {len(hits)} paths",
            lambda: self.system.copy_paths([h.path for h in hits]),
        )
        menu.addSeparator()
        menu.addAction("Find similar", lambda: self.find_similar(hits))
        menu.addAction("Preview", lambda: self.show_preview(first))
        return menu
