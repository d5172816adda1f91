"""Text, image, and combined queries over the active model's vector index.

A query is one normalised vector: a text embedding, an image embedding, or their
normalised sum (the beach photo + "at night"); a parsed :class:`~photofind.core.query.Query`
adds weights and negative terms (``2:dog -cat``: twice the dog's embedding minus the cat's).
Results carry cosine scores, best first, equal scores in photo-id order, and only photos the
catalog still holds; a photo whose file is gone while a copy of its bytes is at another path
is shown at that path.

:meth:`SearchService.find` also says which results are matches (:mod:`photofind.core.cutoff`)
and applies the query's filters inside the search, so that a filter keeping 1% of the
library still returns that 1%'s best photos: an exact search over the photos a selective
filter keeps, else hnswlib's filtered graph search. Filters alone list photos newest first.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.catalog import Catalog
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.cutoff import STATS_SAMPLE, LibraryStats, count_matches, needs_more
from photofind.core.filters import QueryError, sql_condition
from photofind.core.query import Query, Term
from photofind.core.vector_index import VectorIndex, exact_search

TEXT_CACHE_SIZE = 256  # typed-as-you-go queries repeat their prefixes; 256 x 2 KB is nothing
# The cutoff looks at this many top results first, and four times more while the last one
# may still be a match: the gap that ends a group of matches must be in view.
CUTOFF_WINDOW = 256
# Up to this many photos kept by a filter, an exact search over their vectors; beyond, hnswlib's
# filtered graph search. Measured at 100k 512-d photos (benchmarks/search_matches.py
# --filters, 2 shared cores): the vectors come from the saved index file at ~1-3 us each
# (saved_vectors.py) and 10,000 are scored in ~1 ms, while the filtered graph search calls
# the Python filter on every node it passes: 40-100 ms for a 1% filter, 15-60 ms for 10%,
# 6-15 ms for 50%. 16,384 vectors are 32 MB, kept with the filter in the cache below.
EXACT_FILTER_MAX = 16_384
# The library's mean and covariance are sampled again once it has grown or shrunk by this.
STATS_REFRESH = 0.05
# Filters whose photos are remembered until the catalog or the index changes: typing
# "in:2019 beach", then "in:2019 beach at night", reads the filter's photos once. An entry
# holds up to 32 MB of vectors, or for a 50% filter at 1M photos ~40 MB of ids and their
# membership set; two entries let a person go back and forth between two filters.
KEPT_CACHE_SIZE = 2


class KeptPhotos:
    """The photos a filter keeps, with what a search among them needs, made on first use
    and then kept: a membership test for hnswlib's filtered search, or their vectors for an
    exact search."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self._contains: Callable[[int], bool] | None = None
        self._vectors: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def contains(self) -> Callable[[int], bool]:
        if self._contains is None:
            self._contains = set(self.ids.tolist()).__contains__
        return self._contains

    def vectors(self, index: VectorIndex) -> tuple[np.ndarray, np.ndarray]:
        if self._vectors is None:
            self._vectors = index.vectors(self.ids)
        return self._vectors

    def narrowed(self, keep: np.ndarray) -> KeptPhotos:
        return KeptPhotos(self.ids[keep])


@dataclass(frozen=True)
class SearchHit:
    photo_id: int
    path: Path
    score: float
    taken_at: float | None
    width: int | None
    height: int | None
    match: bool = False  # set by SearchService.find: the cutoff judged it a match


@dataclass(frozen=True)
class SearchResult:
    """``hits``: the matches, best first (newest first for filters alone), at most k; with
    ``rest`` the closest other photos after them, up to k in all. ``matches``: how many
    photos match (it can exceed k). ``spread``: the library's mean and standard deviation of
    scores for the query (what the cutoff judged the scores against; (0, 0) when unscored)."""

    query: Query
    hits: tuple[SearchHit, ...]
    matches: int
    spread: tuple[float, float] = (0.0, 0.0)

    @property
    def scored(self) -> bool:
        """False when filters alone listed the photos: their scores mean nothing."""
        return self.query.has_terms


class SearchService:
    def __init__(self, encoder: ClipEncoder, catalog: Catalog, index: VectorIndex) -> None:
        self.encoder = encoder
        self.catalog = catalog
        self.index = index
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._stats: LibraryStats | None = None
        self._kept_cache: OrderedDict[tuple, KeptPhotos] = OrderedDict()

    def text_embedding(self, text: str) -> np.ndarray:
        key = text.strip()
        with self._lock:
            cached = self._text_cache.get(key)
            if cached is not None:
                self._text_cache.move_to_end(key)
                return cached
        vector = self.encoder.encode_text(key)
        with self._lock:
            self._text_cache[key] = vector
            while len(self._text_cache) > TEXT_CACHE_SIZE:
                self._text_cache.popitem(last=False)
        return vector

    def image_embedding(self, source: Path | bytes) -> np.ndarray:
        """Raises ImageError for an unreadable image."""
        return self.encoder.encode_images([source])[0]

    def query_vector(
        self, text: str | None = None, images: Sequence[Path | bytes] = ()
    ) -> np.ndarray | None:
        parts = [self.image_embedding(s) for s in images]
        if text and text.strip():
            parts.append(self.text_embedding(text))
        if not parts:
            return None
        combined = np.sum(parts, axis=0)
        return (combined / max(float(np.linalg.norm(combined)), 1e-12)).astype(np.float32)

    def search_vector(self, query: np.ndarray, k: int) -> list[SearchHit]:
        ids, scores = self.index.search(query, k)
        return self._hits(ids, scores)

    def _hits(self, ids: np.ndarray, scores: np.ndarray, matches: int = 0) -> list[SearchHit]:
        """Hits for the catalog's rows of ``ids``; the first ``matches`` ids are matches."""
        matched = set(ids[:matches].tolist())
        rows = self.catalog.photos(ids.tolist())
        # float32 rounding puts a photo's match with itself a hair above 1 (1.0000001);
        # a cosine shown or thresholded by callers must stay within [-1, 1].
        scores = np.clip(scores, -1.0, 1.0)
        copies = self.catalog.copies({r.content_hash for r in rows.values() if r.content_hash})
        hits = []
        shown: set[int] = set()
        for photo_id, score in zip(ids.tolist(), scores.tolist(), strict=True):
            row = rows.get(photo_id)
            if row is None:
                continue
            is_match = photo_id in matched
            if row.content_hash in copies and not os.path.exists(row.path):
                # Deleted or moved since the last index run, while the same bytes are at
                # another path: show that one, once.
                row = next((c for c in copies[row.content_hash] if os.path.exists(c.path)), row)
            if row.id not in shown:
                shown.add(row.id)
                hits.append(SearchHit(row.id, row.path, float(score), row.taken_at, row.width,
                                      row.height, is_match))  # fmt: skip
        hits.sort(key=lambda h: (not h.match, -h.score, h.photo_id))  # clipping makes ties
        return hits

    def search(
        self, text: str | None = None, images: Sequence[Path | bytes] = (), k: int = 50
    ) -> list[SearchHit]:
        query = self.query_vector(text, images)
        return [] if query is None else self.search_vector(query, k)

    # -- parsed queries: terms, filters, and which results match ---------------------------

    def terms_vector(self, terms: Sequence[Term]) -> np.ndarray | None:
        """The query vector of weighted terms: the sum of their embeddings, each times its
        weight, negative ones subtracted, normalised. Raises ImageError for an image term
        that cannot be read."""
        parts = []
        for term in terms:
            if term.image is not None:
                vector = self.image_embedding(term.image)
            elif term.text and term.text.strip():
                vector = self.text_embedding(term.text)
            else:
                continue
            parts.append(vector * (-term.weight if term.negative else term.weight))
        if not parts:
            return None
        combined = np.sum(parts, axis=0)
        return (combined / max(float(np.linalg.norm(combined)), 1e-12)).astype(np.float32)

    def library_stats(self) -> LibraryStats:
        """The searched library's mean and covariance, from a sample of its vectors."""
        count = len(self.index)
        stats = self._stats
        if stats is not None and abs(stats.count - count) <= STATS_REFRESH * max(count, 20):
            return stats
        model_id = self.encoder.model_id
        ids = self.catalog.embedding_ids(model_id)
        if len(ids) > STATS_SAMPLE:
            # Seeded: the same library judges the same query the same way on every start.
            ids = np.random.default_rng(0).choice(ids, STATS_SAMPLE, replace=False)
        _, vectors = self.catalog.embeddings(model_id, ids.tolist())
        self._stats = stats = LibraryStats.from_vectors(vectors, count)
        return stats

    def find(
        self, query: Query, k: int = 50, *, rest: bool = False,
        within: np.ndarray | None = None, hidden: np.ndarray | None = None,
    ) -> SearchResult:  # fmt: skip
        """Search with everything ``query`` says; see :class:`SearchResult`. ``within``:
        only these photo ids (a collection's members); ``hidden``: never these (sensitive
        photos). Both act inside the search, as filters do.

        Raises QueryError when an ``in:`` folder is in no library folder, and ImageError
        for an image term that cannot be read."""
        if not query.has_terms:
            return self._listed(query, k, within, hidden)
        kept = self._kept(query) if query.filters else None
        if within is not None:
            within = np.asarray(within, dtype=np.int64)
            kept = KeptPhotos(within) if kept is None else kept.narrowed(np.isin(kept.ids, within))
        excluded: set[int] | None = None
        if hidden is not None and len(hidden):
            if kept is None:
                excluded = set(np.asarray(hidden).tolist())
            else:
                kept = kept.narrowed(~np.isin(kept.ids, hidden))
        vector = self.terms_vector(query.terms)
        if vector is None or (kept is not None and len(kept) == 0):
            return SearchResult(query, (), 0)
        mean, sd = self.library_stats().spread(vector)
        available = len(self.index) if kept is None else len(kept)
        window = max(k, CUTOFF_WINDOW)
        if kept is not None and len(kept) <= EXACT_FILTER_MAX:
            window = len(kept)  # an exact search scores them all anyway: once
        while True:
            ids, scores = self._search(vector, window, kept, excluded)
            if (window >= available or len(ids) < window
                    or not needs_more(scores, mean, sd, available)):  # fmt: skip
                break
            window *= 4
        matches = count_matches(scores, mean, sd)
        shown = k if rest else min(k, matches)
        hits = self._hits(ids[:shown], scores[:shown], matches)
        return SearchResult(query, tuple(hits), matches, (mean, sd))

    def _listed(
        self, query: Query, k: int, within: np.ndarray | None, hidden: np.ndarray | None
    ) -> SearchResult:
        """Filters alone: the photos they keep, newest first, all of them matches."""
        allowed = self._filtered_ids(query) if query.filters else None
        if within is not None:
            allowed = within if allowed is None else allowed[np.isin(allowed, within)]
        if hidden is not None and len(hidden):
            if allowed is None:
                allowed = self.catalog.embedding_ids(self.encoder.model_id)
            allowed = allowed[~np.isin(allowed, hidden)]
        ids = allowed if allowed is not None else np.empty(0, np.int64)
        hits = self._hits(ids[:k], np.zeros(min(k, len(ids)), np.float32), len(ids))
        hits.sort(key=lambda h: (-(h.taken_at or 0.0), -h.photo_id))
        return SearchResult(query, tuple(hits), len(ids))

    def _search(
        self, vector: np.ndarray, k: int, kept: KeptPhotos | None,
        excluded: set[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        if kept is None:
            if excluded is None:
                return self.index.search(vector, k)
            return self.index.search(vector, k, lambda i: i not in excluded)
        if len(kept) <= EXACT_FILTER_MAX:
            return exact_search(vector, k, *kept.vectors(self.index))
        return self.index.search(vector, k, kept.contains())

    def _kept(self, query: Query) -> KeptPhotos:
        """The photos the query's filters keep, read once per state of the catalog."""
        roots = self.catalog.folders()
        where, params = sql_condition(query.filters, roots)
        key = (where, tuple(params), self.catalog.state, self.index.changes)
        with self._lock:
            kept = self._kept_cache.get(key)
            if kept is not None:
                self._kept_cache.move_to_end(key)
                return kept
        ids = self.catalog.photo_ids_where(where, params)
        if len(ids) == 0:
            self._check_folders(query, roots)
        kept = KeptPhotos(ids)
        with self._lock:
            self._kept_cache[key] = kept
            while len(self._kept_cache) > KEPT_CACHE_SIZE:
                self._kept_cache.popitem(last=False)
        return kept

    def _filtered_ids(self, query: Query) -> np.ndarray:
        roots = self.catalog.folders()
        where, params = sql_condition(query.filters, roots)
        ids = self.catalog.photo_ids_where(where, params, newest_first=True)
        if len(ids) == 0:
            self._check_folders(query, roots)
        return ids

    def _check_folders(self, query: Query, roots: Sequence[Path]) -> None:
        """An ``in:`` folder that holds no photo at all is a typing mistake, not a result."""
        for folder in query.filters.folders:
            where, params = sql_condition(type(query.filters)(folders=(folder,)), roots)
            if len(self.catalog.photo_ids_where(where, params)) == 0:
                raise QueryError(
                    f"No indexed photo is in a folder in:{folder} below the library folders; "
                    "check the name (e.g. in:2020/summer or in:misc)."
                )
