"""What a query's filters mean: which photos ``in:``, ``type:``, ``after:``/``before:``,
``camera:`` and ``orientation:`` keep, as one SQL condition over the catalog's photos.

The condition is assembled here from fixed fragments; every value the user typed is a bound
parameter, never part of the SQL text. Paths are raw bytes in the catalog, so folder
conditions compare bytes: a range for "under this folder", ``instr`` for "a folder of this
name anywhere below a library folder".

Repeated filters of one kind widen (``type:jpg type:png`` keeps both kinds); ``after:`` and
``before:`` narrow (the latest ``after:`` and the earliest ``before:`` apply).
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photofind.core.errors import PhotofindError

# type:NAME -> the file suffixes it stands for (what a camera or a phone writes for it).
TYPES: dict[str, tuple[str, ...]] = {
    "jpg": (".jpg", ".jpeg", ".jpe"),
    "png": (".png",),
    "gif": (".gif",),
    "webp": (".webp",),
    "heic": (".heic", ".heif"),
    "avif": (".avif",),
    "bmp": (".bmp",),
    "tif": (".tif", ".tiff"),
    "raw": (".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".pef", ".srw"),
}
TYPE_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "heif": "heic", "tiff": "tif"} | {
    suffix[1:]: "raw" for suffix in TYPES["raw"]
}
ORIENTATIONS = ("portrait", "landscape", "square")
# Sides within 1% of each other read as square: a 1000 x 1005 crop looks square to anyone.
SQUARE_TOLERANCE_PERCENT = 1
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
DATE_FORMATS = "YYYY, YYYY-MM or YYYY-MM-DD"


class QueryError(PhotofindError):
    """Something typed in a query cannot be understood; the message says what and how."""


@dataclass(frozen=True)
class Period:
    """A calendar period typed as YYYY, YYYY-MM or YYYY-MM-DD, in local time."""

    text: str
    start: float  # POSIX time of its first second
    end: float  # POSIX time of the first second after it

    @classmethod
    def parse(cls, text: str, operator: str) -> Period:
        """Raises QueryError for anything that is not one of the three forms."""
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError(text)
            year, month, day = (int(g) if g else None for g in match.groups())
            assert year is not None
            first = datetime.datetime(year, month or 1, day or 1)
            if day is not None:
                after = first + datetime.timedelta(days=1)
            elif month is not None:
                after = datetime.datetime(year + month // 12, month % 12 + 1, 1)
            else:
                after = datetime.datetime(year + 1, 1, 1)
            return cls(text, first.timestamp(), after.timestamp())
        except (ValueError, OverflowError, OSError):
            raise QueryError(
                f"{operator}:{text} is not a date; write it as {DATE_FORMATS} "
                f"(e.g. {operator}:2019-06)."
            ) from None


@dataclass(frozen=True)
class Filters:
    folders: tuple[str, ...] = ()  # as typed: relative to a library folder, a name, or absolute
    types: tuple[str, ...] = ()  # keys of TYPES
    after: Period | None = None
    before: Period | None = None
    cameras: tuple[str, ...] = ()
    orientations: tuple[str, ...] = ()
    # Smart collections by name. Not SQL: membership follows from the vectors, so the caller
    # turns these into photo ids (CollectionService.scope) for SearchService.find(within=).
    collections: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.folders or self.types or self.after or self.before or self.cameras
            or self.orientations or self.collections
        )  # fmt: skip

    def merged(self, other: Filters) -> Filters:
        """Both sets of filters (the CLI's options with the ones typed in the query)."""
        after = max(
            (p for p in (self.after, other.after) if p), key=lambda p: p.start, default=None
        )
        before = min((p for p in (self.before, other.before) if p), key=lambda p: p.start,
                     default=None)  # fmt: skip
        return Filters(
            _union(self.folders, other.folders), _union(self.types, other.types), after, before,
            _union(self.cameras, other.cameras), _union(self.orientations, other.orientations),
            _union(self.collections, other.collections),
        )  # fmt: skip


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a + b))


def type_name(text: str) -> str:
    """The TYPES key for what was typed after ``type:`` (``JPG``, ``.jpeg``, ``tiff``)."""
    name = text.lower().lstrip(".")
    name = TYPE_ALIASES.get(name, name)
    if name not in TYPES:
        raise QueryError(
            f"type:{text} is not a kind of photo photofind knows; use one of {', '.join(TYPES)}."
        )
    return name


def folder_names(text: str) -> list[str]:
    """The folder names of a relative ``in:`` value (``2020/summer`` -> two names)."""
    names = [p for p in re.split(r"[/\\]+", text) if p and p != "."]
    if not names or ".." in names:
        raise QueryError(f"in:{text} is not a folder name; write e.g. in:2020/summer or in:misc.")
    return names


def orientation_name(text: str) -> str:
    name = text.lower()
    if name not in ORIENTATIONS:
        raise QueryError(
            f"orientation:{text} is not an orientation; use {', '.join(ORIENTATIONS)}."
        )
    return name


def check_order(filters: Filters) -> None:
    if filters.after and filters.before and filters.after.start >= filters.before.start:
        raise QueryError(
            f"No photo can be taken after:{filters.after.text} and before:{filters.before.text}; "
            "change one of the dates."
        )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _folder_condition(folder: str, roots: Sequence[Path]) -> tuple[str, list[object]]:
    """Photos under ``folder``: an absolute path, a path relative to a library folder, or a
    folder name (or a run of names, ``2020/summer``) anywhere below a library folder."""
    if os.path.isabs(folder):
        low = os.path.join(os.fsencode(os.path.abspath(folder)), b"")
        return "(path >= ? AND path < ?)", [low, low[:-1] + bytes([low[-1] + 1])]
    names = folder_names(folder)
    needle = os.fsencode(os.sep + os.sep.join(names) + os.sep)
    parts, params = [], []
    for root in roots:
        low = os.path.join(os.fsencode(root), b"")
        # Looked for from the library folder's own name on (in:Pictures is the whole folder),
        # never in the path above it: /home/me/Pictures must not match in:me.
        above = os.path.join(os.fsencode(Path(root).parent), b"")
        # The plain instr first: it rejects most rows without copying a substring.
        parts.append(
            "(path >= ? AND path < ? AND instr(path, ?) > 0 AND instr(substr(path, ?), ?) > 0)"
        )
        params += [low, low[:-1] + bytes([low[-1] + 1]), needle, len(above), needle]
    return ("(" + " OR ".join(parts) + ")") if parts else "0", params


def sql_condition(filters: Filters, roots: Sequence[Path]) -> tuple[str, list[object]]:
    """(WHERE clause, parameters) over the ``photos`` table for ``filters``; ``roots`` are
    the library folders that relative ``in:`` folders are looked for in."""
    clauses: list[str] = ["status = 'indexed'"]
    params: list[object] = []

    def any_of(parts: list[tuple[str, list[object]]]) -> None:
        clauses.append("(" + " OR ".join(p for p, _ in parts) + ")")
        for _, values in parts:
            params.extend(values)

    if filters.folders:
        any_of([_folder_condition(f, roots) for f in filters.folders])
    if filters.types:
        suffixes = [s for t in filters.types for s in TYPES[t]]
        # LIKE ignores ASCII case: .JPG is .jpg
        any_of(
            [("CAST(path AS TEXT) LIKE ? ESCAPE '\\'", ["%" + _like_escape(s)]) for s in suffixes]
        )
    if filters.after:
        clauses.append("taken_at >= ?")
        params.append(filters.after.start)
    if filters.before:
        clauses.append("taken_at < ?")
        params.append(filters.before.start)
    if filters.cameras:
        any_of([
            ("camera LIKE ? ESCAPE '\\'", ["%" + _like_escape(c) + "%"]) for c in filters.cameras
        ])  # fmt: skip
    if filters.orientations:
        t = 100 + SQUARE_TOLERANCE_PERCENT
        shapes = {
            "portrait": f"height * 100 > width * {t}",
            "landscape": f"width * 100 > height * {t}",
            "square": f"width > 0 AND width * 100 <= height * {t} AND height * 100 <= width * {t}",
        }
        any_of([(f"({shapes[o]})", []) for o in filters.orientations])
    return " AND ".join(clauses), params
