"""Browsing the library without a query: every photo newest first, in month sections, the
library folders as a tree with counts, and scoping to one folder.

The browse order of a 100k library must come up at once, so it is one SQL statement whose
one row holds each column of every photo gathered into one value (:func:`read_browse`),
sorted by numpy rather than by SQLite (measured at 100k rows on 2 busy cores: 45 ms to fetch
unsorted, 85 ms with SQLite's ORDER BY, which has no index on the date to walk). Months are
found with a binary search per month present (:func:`_month_sections`), never by a Python
loop over the photos.

Dates are "date taken": the EXIF capture time when the photo has one, else the file's
modification time (the indexer stores ``mtime_ns / 1e9`` then). Each row says which it is,
so a front end can mark dates that are only the file's. Month boundaries are local time,
as EXIF times are.

Only photos that decoded (status ``indexed``) are shown: a failed file has no picture, and a
pending one has no date yet.
"""

from __future__ import annotations

import bisect
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from photofind.core.catalog import INDEXED, Catalog
from photofind.core.library_folders import OK, UNREADABLE, reachability

EXIF, FILE_TIME, UNKNOWN = "exif", "file", None
_SOURCE_CODES = (EXIF, FILE_TIME, UNKNOWN)  # the codes in BrowseOrder.sources index this


@dataclass(frozen=True)
class Section:
    """The photos of one month, rows ``start`` to ``stop`` of the order; ``year`` and
    ``month`` are None for the photos whose date is unknown (always the last section)."""

    year: int | None
    month: int | None
    start: int
    count: int

    @property
    def stop(self) -> int:
        return self.start + self.count


@dataclass(frozen=True)
class YearSections:
    """One year of the jump list: its photos and its months, newest first."""

    year: int | None
    start: int
    count: int
    months: tuple[Section, ...]


@dataclass(frozen=True, eq=False)
class BrowseOrder:
    """Photos newest first (equal dates: the higher id, the later added, first)."""

    ids: np.ndarray  # int64 photo ids
    taken_at: np.ndarray  # float64 POSIX times; 0.0 where the date is unknown
    sources: np.ndarray  # uint8 codes into (EXIF, FILE_TIME, UNKNOWN)
    sections: tuple[Section, ...]
    folder: Path | None = None  # the folder it is scoped to; None for the whole library
    _starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", [s.start for s in self.sections])

    def __len__(self) -> int:
        return len(self.ids)

    def date_source(self, row: int) -> str | None:
        """EXIF, FILE_TIME, or UNKNOWN (None) for the photo at ``row``."""
        return _SOURCE_CODES[int(self.sources[row])]

    def section_of(self, row: int) -> Section:
        if not 0 <= row < len(self.ids):
            raise IndexError(f"row {row} outside a browse order of {len(self.ids)} photos")
        return self.sections[bisect.bisect_right(self._starts, row) - 1]

    def row_of(self, photo_id: int) -> int | None:
        found = np.flatnonzero(self.ids == photo_id)
        return int(found[0]) if len(found) else None

    def years(self) -> list[YearSections]:
        """The jump list: years newest first, each with its months."""
        years: list[YearSections] = []
        for section in self.sections:
            if years and years[-1].year == section.year:
                last = years[-1]
                years[-1] = YearSections(
                    last.year, last.start, last.count + section.count, (*last.months, section)
                )
            else:
                years.append(YearSections(section.year, section.start, section.count, (section,)))
        return years

    def row_for_month(self, year: int, month: int) -> int:
        """The first row of that month, or of the newest month before it when it has no
        photos (so a jump lands where the user would look); the last row when every photo
        is newer."""
        wanted = (year, month)
        for section in self.sections:
            if section.year is not None and (section.year, section.month) <= wanted:
                return section.start
        return max(0, len(self.ids) - 1)

    def without(self, photo_ids: np.ndarray | list[int]) -> BrowseOrder:
        """This order less some photos (trashed, forgotten), without asking the catalog."""
        keep = ~np.isin(self.ids, np.asarray(photo_ids, dtype=np.int64))
        return _order(self.ids[keep], self.taken_at[keep], self.sources[keep], self.folder)


def _prefix_bounds(folder: Path) -> tuple[bytes, bytes]:
    """Raw paths below ``folder`` are exactly those with low <= path < high (the photos'
    unique path index answers that range)."""
    low = os.path.join(os.fsencode(Path(folder).absolute()), b"")
    return low, low[:-1] + bytes([low[-1] + 1])


def _source_sql(catalog: Catalog) -> str:
    """SQL for a row's date source code. A catalog that records the source is asked;
    older rows (and older catalogs) are told apart the way the indexer wrote them: a date
    equal to the file time came from the file."""
    columns = {r[1] for r in catalog.select("PRAGMA table_info(photos)")}
    derived = "CASE WHEN taken_at = mtime_ns / 1e9 THEN 1 ELSE 0 END"
    if "date_source" in columns:
        derived = "CASE date_source WHEN 'exif' THEN 0 WHEN 'file' THEN 1 ELSE " + derived + " END"
    return f"CASE WHEN taken_at IS NULL THEN 2 ELSE {derived} END"


# Each column comes back gathered into one value by group_concat, so that the whole read is
# one SQLite step and not one per photo: per photo the sqlite3 module makes Python objects
# and lets go of the interpreter lock and takes it back, and on a worker each retake waits
# for a busy UI thread. Measured at 100k photos on 2 cores: 160 ms a row at a time against
# 90 ms gathered, and 9.5 s against 0.25 s beside a thread that runs Python.
PATHS = "CAST(group_concat(path, char(0)) AS BLOB)"  # no path holds a NUL byte
_TAKEN = "IFNULL(taken_at, 0.0)"
_SECONDS = f"CAST({_TAKEN} AS INTEGER)"
# group_concat writes a real with 15 digits, which loses a file time's last ones. The whole
# seconds and the fraction counted in 2**-52 s are integers that give the date back exactly:
# a date a second or more away from 1970 has no finer bits.
_FRACTION_UNIT = 2**52
_ORDER_COLUMNS = (
    "group_concat(id)",
    f"group_concat({_SECONDS})",
    f"group_concat(CAST(({_TAKEN} - {_SECONDS}) * {_FRACTION_UNIT} AS INTEGER))",
)


def integers(gathered: str | None, dtype: type = np.int64) -> np.ndarray:
    """The numbers of a column gathered by group_concat (None: no photos)."""
    return np.fromstring(gathered or "", dtype, sep=",")


def raw_paths(gathered: bytes | None) -> list[bytes]:
    """The paths gathered by :data:`PATHS` (None: no photos)."""
    return [] if gathered is None else gathered.split(b"\0")


def read_browse(
    catalog: Catalog, folder: Path | None = None, columns: tuple[str, ...] = ()
) -> tuple[BrowseOrder, np.ndarray, list]:
    """The browse order of the shown photos (or those below ``folder``) and, read by the
    same statement, the values of ``columns`` (group_concat expressions) in the order read,
    with the permutation that puts them in browse order."""
    gathered = (*_ORDER_COLUMNS, f"group_concat({_source_sql(catalog)}, '')", *columns)
    sql = f"SELECT {', '.join(gathered)} FROM photos WHERE status = ?"
    params: list[object] = [INDEXED]
    if folder is not None:
        sql += " AND path >= ? AND path < ?"
        params += _prefix_bounds(folder)
    ((ids, seconds, fractions, codes, *values),) = catalog.select(sql, params)
    ids = integers(ids)
    taken_at = integers(seconds) + integers(fractions) / _FRACTION_UNIT
    sources = np.frombuffer((codes or "").encode("ascii"), np.uint8) - ord("0")
    # lexsort sorts by its last key first: known dates before unknown, newest, higher id.
    sort = np.lexsort((-ids, -taken_at, sources == 2))
    return _order(ids[sort], taken_at[sort], sources[sort], folder), sort, values


def browse_order(catalog: Catalog, folder: Path | None = None) -> BrowseOrder:
    """Every shown photo of the library (or below ``folder``), newest first, in months."""
    return read_browse(catalog, folder)[0]


def _order(
    ids: np.ndarray, taken_at: np.ndarray, sources: np.ndarray, folder: Path | None
) -> BrowseOrder:
    known = int(np.count_nonzero(sources != 2))
    sections = _month_sections(taken_at[:known])
    if known < len(ids):
        sections.append(Section(None, None, known, len(ids) - known))
    return BrowseOrder(ids, taken_at, sources, tuple(sections), folder)


def _local_month(timestamp: float) -> tuple[int, int]:
    try:
        moment = datetime.fromtimestamp(timestamp)
    except (OverflowError, OSError, ValueError):
        # Beyond what the platform's localtime handles (a bogus EXIF year): clamp.
        return (9999, 12) if timestamp > 0 else (1, 1)
    return moment.year, moment.month


def _month_start(year: int, month: int) -> float:
    try:
        return datetime(year, month, 1).timestamp()
    except (OverflowError, OSError, ValueError):
        return float("-inf")


def _month_sections(taken_at: np.ndarray) -> list[Section]:
    """Month sections of dates sorted newest first: one binary search per month present."""
    ascending = -taken_at  # searchsorted needs ascending order
    sections: list[Section] = []
    start = 0
    while start < len(taken_at):
        year, month = _local_month(float(taken_at[start]))
        begins = _month_start(year, month)
        # The month's rows are those from `start` whose date is at or after its first
        # second; a date before that belongs to an older month.
        stop = int(np.searchsorted(ascending, -begins, side="right"))
        stop = max(stop, start + 1)  # a clamped date still makes progress
        sections.append(Section(year, month, start, stop - start))
        start = stop
    return sections


def photo_ids_below(catalog: Catalog, folder: Path) -> np.ndarray:
    """The ids of the shown photos below ``folder``: a search scoped to it keeps these."""
    low, high = _prefix_bounds(folder)
    rows = catalog.select(
        "SELECT id FROM photos WHERE status = ? AND path >= ? AND path < ?", (INDEXED, low, high)
    )
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


# -- the folder tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderNode:
    """A folder with the number of shown photos in it and below it. ``state`` and
    ``reason`` come from library_folders (OK, OFFLINE, UNREADABLE); a subfolder is
    UNREADABLE when the last index run could not list it."""

    path: Path
    photos: int
    children: tuple[FolderNode, ...] = ()
    state: str = OK
    reason: str | None = None

    @property
    def name(self) -> str:
        return self.path.name or str(self.path)


@dataclass(frozen=True)
class FolderTree:
    photos: int  # every shown photo of the library, each counted once
    roots: tuple[FolderNode, ...]  # the library folders, in the order they were added


@dataclass(frozen=True, eq=False)
class TreeSource:
    """What the folder tree is made of, all read from the catalog: every shown photo's raw
    path, the library folders in the order they were added, and the folders the last index
    run could not list (raw path: reason)."""

    raw_paths: Sequence[bytes]
    folders: list[Path]
    problems: dict[bytes, str]


def tree_source(catalog: Catalog, paths: Sequence[bytes] | None = None) -> TreeSource:
    """``paths``: every shown photo's raw path when the caller has read them already (the
    whole library's browse rows), so that the catalog is not asked for them again."""
    if paths is None:
        ((gathered,),) = catalog.select(f"SELECT {PATHS} FROM photos WHERE status = ?", (INDEXED,))
        paths = raw_paths(gathered)
    problems = {os.fsencode(p): reason for p, reason in catalog.folder_problems()}
    return TreeSource(paths, catalog.folders(), problems)


def folder_tree(catalog: Catalog, paths: Sequence[bytes] | None = None) -> FolderTree:
    """The library folders and their subfolders with photo counts, each library folder
    marked offline or unreadable when it is (``paths`` as for :func:`tree_source`). It looks
    at the disk, so a front end calls it off its UI thread: see :func:`tree_from`."""
    return tree_from(tree_source(catalog, paths))


def tree_from(source: TreeSource) -> FolderTree:
    """The folder tree made of ``source``. It asks the disk whether each library folder is
    there and never the catalog: a dead network share can stall it, so a front end reads
    the source and shows the photos first, then makes the tree on a thread of its own."""
    sep = os.fsencode(os.sep)
    per_folder = Counter(raw.rpartition(sep)[0] for raw in source.raw_paths)
    problems = source.problems
    roots = []
    for folder in source.folders:
        state, reason = reachability(folder)
        raw_root = os.fsencode(folder)
        if state == OK and raw_root in problems:
            state, reason = UNREADABLE, problems[raw_root]
        roots.append(_subtree(raw_root, sep, per_folder, problems, state, reason))
    return FolderTree(len(source.raw_paths), tuple(roots))


def _subtree(
    root: bytes,
    sep: bytes,
    per_folder: Counter[bytes],
    problems: dict[bytes, str],
    state: str,
    reason: str | None,
) -> FolderNode:
    below = root.rstrip(sep) + sep
    totals: Counter[bytes] = Counter()
    children: dict[bytes, set[bytes]] = {}

    def attach(folder: bytes, count: int) -> None:
        # Count the folder and every folder above it up to the root.
        while True:
            totals[folder] += count
            if folder == root:
                return
            parent = folder.rpartition(sep)[0] or sep
            children.setdefault(parent, set()).add(folder)
            folder = parent

    for folder, count in per_folder.items():
        if folder == root or folder.startswith(below):
            attach(folder, count)
    for folder in problems:
        if folder.startswith(below):
            attach(folder, 0)

    def node(folder: bytes) -> FolderNode:
        kids = sorted(children.get(folder, ()), key=lambda f: os.fsdecode(f).casefold())
        if folder == root:
            own_state, own_reason = state, reason
        elif folder in problems:
            own_state, own_reason = UNREADABLE, problems[folder]
        else:
            own_state, own_reason = OK, None
        return FolderNode(
            Path(os.fsdecode(folder)), totals[folder], tuple(node(k) for k in kids),
            own_state, own_reason,
        )  # fmt: skip

    return node(root)
