"""What a browse grid needs to draw every photo of the library at once: the browse order
(:func:`photofind.core.browse.browse_order`) with each row's path and pixel size beside it.

A grid paints only what is on screen, but it must know every row's path the moment it
scrolls there, without asking the catalog on its UI thread. So everything is read in one
pass on a worker: one statement for the order, one for the paths and sizes, matched by id
with numpy (no Python loop per photo but the one reordering the paths). Paths stay raw
bytes until a row is shown: decoding 100k of them would cost more than the query.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.browse import BrowseOrder, _prefix_bounds, browse_order
from photofind.core.catalog import INDEXED, Catalog


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
    """Every shown photo (or those below ``folder``), newest first, with paths and sizes."""
    order = browse_order(catalog, folder)
    sql = "SELECT id, path, IFNULL(width, 0), IFNULL(height, 0) FROM photos WHERE status = ?"
    params: list[object] = [INDEXED]
    if folder is not None:
        sql += " AND path >= ? AND path < ?"
        params += _prefix_bounds(folder)
    rows = catalog.select(sql, params)
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    by_id = np.argsort(ids)
    # A photo indexed between the two statements is in one and not the other: such rows
    # are left out (the next refresh has them) rather than shown with another's path.
    where = np.zeros(len(order), np.int64)
    found = np.zeros(len(order), bool)
    if len(ids):
        where = by_id[np.minimum(np.searchsorted(ids, order.ids, sorter=by_id), len(ids) - 1)]
        found = ids[where] == order.ids
    if not found.all():
        order = order.without(order.ids[~found])
        where = where[found]
    widths = np.fromiter((r[2] for r in rows), np.int32, len(rows))
    heights = np.fromiter((r[3] for r in rows), np.int32, len(rows))
    return BrowseRows(order, [rows[i][1] for i in where.tolist()], widths[where], heights[where])
