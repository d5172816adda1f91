"""The vectors inside a saved hnswlib index file, read through a memory map.

Why: an exact search over the photos a filter keeps needs their vectors, and hnswlib hands
them out at ~25 us each (``get_items``, measured at 100k 512-d on two shared cores), so a
filter keeping 10,000 photos cost a quarter of a second before its first result. The saved
file holds the same vectors, one per fixed-size element block (hnswlib's hnswalg.h
``saveIndex``: the level-0 links, the vector, the label); gathering rows from a mapping is a
memory copy, and the mapped pages belong to the operating system's file cache, so the
library's vectors are not held in the process a second time.

Only POSIX maps the file: on Windows a mapped file cannot be replaced, and the index is
saved by replacing its file (by this process, or by another photofind beside it).
"""

from __future__ import annotations

import mmap
import os
from typing import BinaryIO

import numpy as np

MAPPING_WORKS = os.name == "posix"
_LABEL_BYTES = 8


class SavedVectors:
    """Rows of one saved file, looked up by label. The caller knows which labels still hold
    in the file the vectors it has in memory (those not changed since it was written)."""

    def __init__(
        self, file: BinaryIO, dim: int, start: int, count: int, per_element: int,
        label_offset: int, data_offset: int,
    ) -> None:  # fmt: skip
        """``start``: where the first element block begins; the rest is the file's header
        as :mod:`photofind.core.vector_index` reads it."""
        self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        blocks = np.frombuffer(self._map, np.uint8, count * per_element, start)
        blocks = blocks.reshape(count, per_element)
        labels = blocks[:, label_offset : label_offset + _LABEL_BYTES].copy().view("<u8")
        labels = labels.ravel().astype(np.int64)
        self._slots = np.argsort(labels, kind="stable")
        self._labels = labels[self._slots]
        self._rows = blocks[:, data_offset : data_offset + dim * 4]
        self.dim = dim

    def holds(self, ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` have a block in the file (deleted ones included)."""
        at = np.minimum(np.searchsorted(self._labels, ids), max(len(self._labels) - 1, 0))
        return self._labels[at] == ids if len(self._labels) else np.zeros(len(ids), bool)

    def get(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), dim) float32 vectors of ``ids``, each of which the file holds."""
        slots = self._slots[np.searchsorted(self._labels, ids)]
        return self._rows[slots].view(np.float32).reshape(len(ids), self.dim)

    def close(self) -> None:
        del self._rows
        self._map.close()
