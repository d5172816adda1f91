"""From the search bar to the query controller: typed text, pasted or dropped images (web
images are downloaded first), example links and "Find similar". Typing searches after a
pause; Enter, a new image or clearing search at once (the controller debounces)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtGui import QGuiApplication

from photofind.core.search import SearchHit
from photofind.gui.query_images import UrlImageFetcher, from_file, images_from_mime, mime_has_images
from photofind.gui.querying import QueryController
from photofind.gui.widgets.search_bar import SearchBar

MAX_QUERY_IMAGES = 8


class QueryInput(QObject):
    message = Signal(str)  # for the status bar
    emptied = Signal()  # no text and no image left: nothing to show

    def __init__(self, bar: SearchBar, query: QueryController, parent: QObject) -> None:
        super().__init__(parent)
        self.bar = bar
        self.query = query
        self.fetcher = UrlImageFetcher(self)
        bar.text_edited.connect(lambda _t: self.changed(immediate=False))
        bar.submitted.connect(lambda: self.changed(immediate=True))
        bar.images_changed.connect(lambda: self.changed(immediate=True))
        bar.cleared.connect(lambda: self.changed(immediate=True))
        bar.images_offered.connect(self.offer_images)
        self.fetcher.fetched.connect(lambda image: bar.add_images([image]))
        self.fetcher.failed.connect(self.message)

    def changed(self, *, immediate: bool) -> None:
        sources = tuple(image.source for image in self.bar.images())
        self.query.set_query(self.bar.text(), sources, immediate=immediate)
        if self.query.is_empty:
            self.emptied.emit()

    def offer_images(self, mime: QMimeData) -> None:
        """Images pasted or dropped: add them to the query (web images download first)."""
        images, remote = images_from_mime(mime)
        room = MAX_QUERY_IMAGES - len(self.bar.images())
        if images:
            self.bar.add_images(images[: max(0, room)])
        for url in remote[: max(0, room - len(images))]:
            self.message.emit(f"Downloading {url.toDisplayString()}…")
            self.fetcher.fetch(url)
        if not images and not remote:
            self.message.emit("Nothing there is an image photofind can search with.")

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime_has_images(mime):
            self.offer_images(mime)
        else:
            self.bar.paste_text()
            self.changed(immediate=False)

    def find_similar(self, hits: list[SearchHit]) -> None:
        self.bar.clear_text()
        self.bar.add_images([from_file(h.path) for h in hits[:MAX_QUERY_IMAGES]], replace=True)

    def search_for(self, link: str) -> None:
        """An example query's link (``query:a red circle``): typed in and searched."""
        if link.startswith("query:"):
            self.bar.set_text(link.removeprefix("query:"))
            self.bar.setFocus()
            self.changed(immediate=True)
