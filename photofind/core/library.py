"""The composition root of the core: one function builds every service of a library.

The CLI and the GUI both call :func:`open_library`; nothing else constructs an Indexer or
a SearchService, so the wiring lives in exactly one place (as rclip's ``init_rclip``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from photofind.core.backup import back_up_if_changed
from photofind.core.catalog import Catalog, Counts
from photofind.core.classify import ZeroShotClassifier
from photofind.core.clip.bundle import ModelBundle, find_model
from photofind.core.clip.encoder import ClipEncoder, resolve_provider
from photofind.core.collection_store import CollectionStore
from photofind.core.collections import CollectionService
from photofind.core.config import AppPaths, query_language
from photofind.core.deferred_index import DeferredIndex
from photofind.core.errors import ModelError
from photofind.core.indexer import Indexer
from photofind.core.models.store import uses_int8
from photofind.core.search import SearchService
from photofind.core.thumbnail_upkeep import Tidied, tidy_if_due
from photofind.core.thumbnails import ThumbnailCache
from photofind.core.vector_index import index_file_name


@dataclass
class Library:
    """The catalog with one model being indexed (``encoder``/``index``) and one answering
    searches (``search``). They are the same model, except while the library switches to a
    newly chosen model: then the previous one, complete, keeps answering until the new one
    has embedded every photo (see :meth:`after_index_run`).

    Their search indexes are loaded when first used (a search, an index run), not when the
    library opens: browsing needs none of them. :meth:`load_index` loads them ahead."""

    paths: AppPaths
    catalog: Catalog
    encoder: ClipEncoder
    index: DeferredIndex
    search: SearchService
    _previous: tuple[ClipEncoder, DeferredIndex] | None = None
    _changes_backed_up: int = 0  # the catalog's change count when it was last backed up
    _collections: CollectionService | None = None

    @property
    def collections(self) -> CollectionService:
        """The smart collections, as the model answering searches sees them (made on first
        use: a command that never looks at a collection loads no vectors for them)."""
        encoder = self.search.encoder
        if self._collections is None or self._collections.model_id != encoder.model_id:
            self._collections = CollectionService(self.catalog, ZeroShotClassifier(encoder))
        return self._collections

    @property
    def index_status(self) -> str:
        """How the search index of the model being indexed came up: "loaded", "patched" or
        "rebuilt" (asking loads it). Raises CatalogDamagedError when its vectors cannot be
        read."""
        return self.index.load()

    def load_index(self) -> None:
        """Load the search indexes now (the model being indexed and the one answering
        searches), for a front end that would rather pay for it off its UI thread than at
        the first search. Does nothing when they are loaded; raises as :attr:`index_status`."""
        self.index.load()
        if self._previous is not None:
            self._previous[1].load()

    @property
    def read_only(self) -> bool:
        """Opened only to look: nothing is written, and indexing is refused."""
        return self.catalog.read_only

    @property
    def model_name(self) -> str:
        return self.encoder.bundle.name

    @property
    def search_model_name(self) -> str:
        """The model answering searches: the previous one until a switch completes."""
        return self.search.encoder.bundle.name

    @property
    def switching(self) -> bool:
        return self._previous is not None

    def indexer(self, **options: Any) -> Indexer:
        """``thumbnails=None`` turns off writing grid thumbnails while indexing. Loads the
        search index (a run that finds nothing to do still saves a rebuilt one); raises
        CatalogDamagedError when its vectors cannot be read."""
        if self.read_only:
            raise RuntimeError("a library opened read-only cannot index")
        self.index.load()
        options.setdefault("thumbnails", self.thumbnails)
        return Indexer(self.encoder, self.catalog, self.index, **options)

    @property
    def thumbnails(self) -> ThumbnailCache:
        """The window's thumbnail cache, which index runs fill as they decode."""
        return ThumbnailCache(self.paths.thumbnails_dir)

    def tidy_thumbnails(self, cancel: threading.Event | None = None) -> Tidied | None:
        """After an index run that changed the library: remove the thumbnails no photo asks
        for any more, at most once a day (None when not due, or opened read-only)."""
        if self.read_only:
            return None
        return tidy_if_due(self.catalog, self.thumbnails, cancel)

    def counts(self) -> Counts:
        return self.catalog.counts(self.encoder.model_id)

    def after_index_run(self) -> bool:
        """Call when an index run ends (finished, stopped or failed): the catalog is backed
        up if the run changed it, and once the model being indexed has embedded every photo
        it becomes the one that answers searches. True when searches switched now.

        Raises CatalogDamagedError when the backup finds the catalog damaged; a backup that
        cannot be written (a full disk) is logged, and the older backups stay."""
        CollectionStore(self.catalog).follow_photos()  # before the backup, which keeps it
        self._changes_backed_up = back_up_if_changed(self.catalog, self._changes_backed_up)
        if self._collections is not None:
            self._collections.refresh()
        if self.counts().pending:
            return False
        self._remember_complete()
        if self._previous is None:
            return False
        self._previous[1].save()
        self._previous = None
        self.search = SearchService(self.encoder, self.catalog, self.index)
        return True

    def _remember_complete(self) -> None:
        """Note this model as the fallback for a later switch (written only when it changes:
        opening a library to search should not write to the catalog)."""
        if self.catalog.get_meta(SERVING_KEY) != self.encoder.bundle.name:
            self.catalog.set_meta(SERVING_KEY, self.encoder.bundle.name)

    def close(self) -> None:
        """Save the search indexes (unless read-only; an index never used is not written)
        and close the catalog, even when a save fails (the error is raised after: the
        catalog has everything, nothing is lost)."""
        try:
            if not self.read_only:
                self.index.save()
                if self._previous is not None:
                    self._previous[1].save()
        finally:
            self.catalog.close()


def _stored_vectors(catalog: Catalog, model_id: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    # The catalog cannot know the width of a model with no embeddings yet (it returns
    # shape (0, 0)); the index wants (0, dim) even when there is nothing to add.
    ids, vectors = catalog.embeddings(model_id)
    return ids, vectors.reshape(len(ids), dim)


SERVING_KEY = "serving_model"  # catalog meta: the last model that embedded every photo


def _open_model(
    paths: AppPaths, catalog: Catalog, bundle: ModelBundle, provider: str, language: str | None
) -> tuple[ClipEncoder, DeferredIndex]:
    # int8 is chosen at install for CPU inference; on a GPU the fp32 graph is faster.
    encoder = ClipEncoder(
        bundle, provider, int8=provider == "cpu" and uses_int8(bundle), language=language
    )
    model_id, dim = encoder.model_id, bundle.embed_dim
    index = DeferredIndex(
        paths.data_dir / index_file_name(model_id), dim,
        lambda: catalog.embedding_ids(model_id),
        lambda: _stored_vectors(catalog, model_id, dim),
        read_only=catalog.read_only,
    )  # fmt: skip
    return encoder, index


def _previous_model(
    paths: AppPaths, catalog: Catalog, current: ClipEncoder, provider: str, language: str | None
) -> tuple[ClipEncoder, DeferredIndex] | None:
    """The model that answered searches before ``current`` was chosen, if that one has
    embedded every photo (and is still installed). Asked only while ``current`` has not."""
    name = catalog.get_meta(SERVING_KEY)
    if not name or name == current.bundle.name:
        return None
    try:
        bundle = find_model(name, paths.models_dir)
        encoder, index = _open_model(paths, catalog, bundle, provider, language)
    except ModelError:
        return None  # removed since: the new model answers with what it has so far
    counts = catalog.counts(encoder.model_id)
    return (encoder, index) if counts.photos and not counts.pending else None


def open_library(
    paths: AppPaths,
    model: str,
    provider: str = "auto",
    language: str | None = None,
    *,
    read_only: bool = False,
) -> Library:
    """Open (or create) the catalog in ``paths.data_dir`` with ``model`` active.

    ``language``: the query language for NLLB models (a FLORES-200 code or a locale);
    default ``PHOTOFIND_LANGUAGE``, else read off each query's script.

    ``read_only``: for searching and looking only. Nothing is written (no catalog is
    created, a stale search index is brought up to date in memory only), no lock is taken,
    and it works on a full or read-only disk and while another photofind is indexing.

    Raises PhotofindError subclasses with a user-facing message: no such model, a broken
    model folder, an unusable or newer data folder. The search index is not read here but
    at its first use, which raises what reading the catalog's vectors raises then."""
    bundle = find_model(model, paths.models_dir)
    catalog = Catalog(paths.catalog_path, read_only=read_only)
    try:
        resolved = resolve_provider(provider)  # warns once when cuda is asked for but absent
        language = language or query_language()
        encoder, index = _open_model(paths, catalog, bundle, resolved, language)
        counts = catalog.counts(encoder.model_id)
        previous = (
            _previous_model(paths, catalog, encoder, resolved, language) if counts.pending else None
        )
    except BaseException:
        catalog.close()
        raise
    serving_encoder, serving_index = previous or (encoder, index)
    search = SearchService(serving_encoder, catalog, serving_index)
    library = Library(paths, catalog, encoder, index, search, previous, catalog.changes)
    if counts.photos and not counts.pending and not read_only:
        library._remember_complete()
    return library
