"""From the search bar to the query controller: typed text, pasted or dropped images (web
images are downloaded first), example links and "Find similar". Typing searches after a
pause; Enter, a new image or clearing search at once (the controller debounces)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from photofind.core.search import SearchHit
from photofind.gui.query_images import UrlImageFetcher, from_file, images_from_mime, mime_has_images
from photofind.gui.querying import QueryController
from photofind.gui.widgets.search_bar import ADD_MARK, SearchBar

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
        bar.operators_changed.connect(lambda: self.changed(immediate=True))
        bar.cleared.connect(lambda: self.changed(immediate=True))
        bar.images_offered.connect(self.offer_images)
        self._replace_next = False  # a web image on its way replaces the query's images
        self.similar_to: set[Path] = set()  # the photos "Find similar" was asked on
        self.fetcher.fetched.connect(self._on_fetched)
        self.fetcher.failed.connect(self.message)

    def changed(self, *, immediate: bool) -> None:
        sources = tuple(image.source for image in self.bar.images())
        if set(sources) != self.similar_to:
            self.similar_to = set()  # the query is no longer "photos like these"
        self.query.set_query(self.bar.query_text(), sources, immediate=immediate)
        if self.query.is_empty:
            self.emptied.emit()

    def offer_images(
        self, mime: QMimeData, *, add: bool = False, label: str = "Dropped image"
    ) -> None:
        """Images pasted or dropped: they replace the query's images, as "photos like this"
        promises; with Ctrl held on the drop (``add``) they join them. Web images download
        first."""
        add = add or mime.hasFormat(ADD_MARK)
        images, remote = images_from_mime(mime, label)
        room = MAX_QUERY_IMAGES - (len(self.bar.images()) if add else 0)
        if images:
            self.bar.add_images(images[: max(0, room)], replace=not add)
        self._replace_next = bool(remote) and not add and not images
        for url in remote[: max(0, room - len(images))]:
            self.message.emit(f"Downloading {url.toDisplayString()}…")
            self.fetcher.fetch(url)
        if not images and not remote:
            self.message.emit("Nothing there is an image photofind can search with.")

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime_has_images(mime):
            self.offer_images(mime, label="Pasted image")
        else:
            self.bar.paste_text()
            self.changed(immediate=False)

    def _on_fetched(self, image) -> None:
        replace, self._replace_next = self._replace_next, False
        self.bar.add_images([image], replace=replace)

    def choose_photo(self, parent: QWidget | None = None) -> None:
        """ "Search with a photo…": a file picker; the photo replaces the query's images."""
        name, _ = QFileDialog.getOpenFileName(
            parent, "Search with a photo", "",
            "Images (*.jpg *.jpeg *.png *.webp *.heic *.heif *.avif *.tif *.tiff *.bmp *.gif);;"
            "All files (*)",
        )  # fmt: skip
        if name:
            self.search_with_photo(Path(name))

    def search_with_photo(self, path: Path) -> None:
        self.bar.add_images([from_file(path)], replace=True)

    def find_similar(self, hits: list[SearchHit]) -> None:
        self.bar.clear_text()
        self.similar_to = {h.path for h in hits[:MAX_QUERY_IMAGES]}
        self.bar.add_images([from_file(h.path) for h in hits[:MAX_QUERY_IMAGES]], replace=True)

    def search_for(self, link: str) -> None:
        """An example query's link (``query:a red circle``): typed in and searched."""
        if link.startswith("query:"):
            self.bar.set_text(link.removeprefix("query:"))
            self.bar.setFocus()
            self.changed(immediate=True)


def without_query_photos(
    hits: list[SearchHit], images: tuple, similar_to: set[Path]
) -> list[SearchHit]:
    """The hits less the photos "Find similar" was asked on: it lists the others like them,
    not the photo itself first. (A photo dropped from elsewhere is still listed: finding
    where it is in the library is a reason to drop it.)"""
    sources = {source for source in images if isinstance(source, Path) and source in similar_to}
    return [h for h in hits if h.path not in sources] if sources else hits
