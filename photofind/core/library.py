"""The composition root of the core: one function builds every service of a library.

The CLI and the GUI both call :func:`open_library`; nothing else constructs an Indexer or
a SearchService, so the wiring lives in exactly one place (as rclip's ``init_rclip``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from photofind.core.catalog import Catalog, Counts
from photofind.core.clip.bundle import find_model
from photofind.core.clip.encoder import ClipEncoder, resolve_provider
from photofind.core.config import AppPaths
from photofind.core.indexer import Indexer
from photofind.core.models.store import uses_int8
from photofind.core.search import SearchService
from photofind.core.vector_index import VectorIndex


@dataclass
class Library:
    paths: AppPaths
    catalog: Catalog
    encoder: ClipEncoder
    index: VectorIndex
    search: SearchService
    index_status: str  # how the vector index came up: "loaded", "patched" or "rebuilt"

    @property
    def model_name(self) -> str:
        return self.encoder.bundle.name

    def indexer(self, **options) -> Indexer:
        return Indexer(self.encoder, self.catalog, self.index, **options)

    def counts(self) -> Counts:
        return self.catalog.counts(self.encoder.model_id)

    def close(self) -> None:
        self.index.save()
        self.catalog.close()


def index_file_name(model_id: str) -> str:
    return "index-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", model_id) + ".hnsw"


def _stored_vectors(catalog: Catalog, model_id: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    # The catalog cannot know the width of a model with no embeddings yet (it returns
    # shape (0, 0)); the index wants (0, dim) even when there is nothing to add.
    ids, vectors = catalog.embeddings(model_id)
    return ids, vectors.reshape(len(ids), dim)


def open_library(paths: AppPaths, model: str, provider: str = "auto") -> Library:
    """Open (or create) the catalog in ``paths.data_dir`` with ``model`` active.

    Raises PhotofindError subclasses with a user-facing message: no such model, a broken
    model folder, an unusable or newer data folder."""
    bundle = find_model(model, paths.models_dir)
    catalog = Catalog(paths.catalog_path)
    try:
        resolved = resolve_provider(provider)  # warns once when cuda is asked for but absent
        # int8 is chosen at install for CPU inference; on a GPU the fp32 graph is faster.
        encoder = ClipEncoder(bundle, resolved, int8=resolved == "cpu" and uses_int8(bundle))
        index = VectorIndex(paths.data_dir / index_file_name(encoder.model_id), bundle.embed_dim)
        status = index.load_or_rebuild(
            catalog.embedding_ids(encoder.model_id),
            lambda: _stored_vectors(catalog, encoder.model_id, bundle.embed_dim),
        )
    except BaseException:
        catalog.close()
        raise
    return Library(paths, catalog, encoder, index, SearchService(encoder, catalog, index), status)
