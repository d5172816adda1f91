"""What a browse grid needs to draw every photo of the library at once: the browse order
(:func:`photofind.core.browse.browse_order`) with each row's path and pixel size beside it.

A grid paints only what is on screen, but it must know every row's path the moment it
scrolls there, without asking the catalog on its UI thread. So everything is read in one
pass on a worker, by the statement that reads the order (:func:`~photofind.core.browse.
read_browse`), and put in browse order with numpy (no Python loop per photo but the one
reordering the paths). Paths stay raw bytes until a row is shown: decoding 100k of them
would cost more than the query.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.browse import PATHS, BrowseOrder, integers, raw_paths, read_browse
from photofind.core.catalog import Catalog


@dataclass(frozen=True, eq=False)
class BrowseRows:
    order: BrowseOrder
    raw_paths: list[bytes]  # row by row, as the catalog stores them
    widths: np.ndarray  # int32 pixels after EXIF rotation; 0 where unknown
    heights: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    def path(self, row: int) -> Path:
        return Path(os.fsdecode(self.raw_paths[row]))

    def photo_id(self, row: int) -> int:
        return int(self.order.ids[row])

    def taken_at(self, row: int) -> float | None:
        return None if self.order.date_source(row) is None else float(self.order.taken_at[row])

    @property
    def folder(self) -> Path | None:
        return self.order.folder


def empty_rows() -> BrowseRows:
    empty = np.empty(0, np.int64)
    order = BrowseOrder(empty, np.empty(0, np.float64), np.empty(0, np.uint8), ())
    return BrowseRows(order, [], np.empty(0, np.int32), np.empty(0, np.int32))


def browse_rows(catalog: Catalog, folder: Path | None = None) -> BrowseRows:
    """Every shown photo (or those below ``folder``), newest first, with paths and sizes.
    One statement reads them all, so each path and size is that of the photo beside it
    (a photo indexed meanwhile is in the next read, never half in this one)."""
    sizes = ("group_concat(IFNULL(width, 0))", "group_concat(IFNULL(height, 0))")
    order, sort, (paths, widths, heights) = read_browse(catalog, folder, (PATHS, *sizes))
    unsorted = raw_paths(paths)
    return BrowseRows(
        order,
        [unsorted[i] for i in sort.tolist()],
        integers(widths, np.int32)[sort],
        integers(heights, np.int32)[sort],
    )
