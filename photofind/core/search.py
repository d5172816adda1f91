"""Text, image, and combined queries over the active model's vector index.

A query is one normalised vector: a text embedding, an image embedding, or their
normalised sum (the beach photo + "at night"). Results carry cosine scores, best first,
equal scores in photo-id order, and only photos the catalog still holds; a photo whose file
is gone while a copy of its bytes is at another path is shown at that path.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.catalog import Catalog
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.vector_index import VectorIndex

TEXT_CACHE_SIZE = 256  # typed-as-you-go queries repeat their prefixes; 256 x 2 KB is nothing


@dataclass(frozen=True)
class SearchHit:
    photo_id: int
    path: Path
    score: float
    taken_at: float | None
    width: int | None
    height: int | None


class SearchService:
    def __init__(self, encoder: ClipEncoder, catalog: Catalog, index: VectorIndex) -> None:
        self.encoder = encoder
        self.catalog = catalog
        self.index = index
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

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
            if row.content_hash in copies and not os.path.exists(row.path):
                # Deleted or moved since the last index run, while the same bytes are at
                # another path: show that one, once.
                row = next(
                    (c for c in copies[row.content_hash] if os.path.exists(c.path)), row
                )
            if row.id not in shown:
                shown.add(row.id)
                hits.append(
                    SearchHit(row.id, row.path, float(score), row.taken_at, row.width, row.height)
                )
        hits.sort(key=lambda h: (-h.score, h.photo_id))  # clipping can make new ties
        return hits

    def search(
        self, text: str | None = None, images: Sequence[Path | bytes] = (), k: int = 50
    ) -> list[SearchHit]:
        query = self.query_vector(text, images)
        return [] if query is None else self.search_vector(query, k)
