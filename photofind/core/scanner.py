"""Find the photos in the library folders and compare them with the catalog (mark and sweep).

A file is *unchanged* when its (size, mtime) match the catalog row; everything else that is
new or changed goes to the indexer. Rows whose files were not seen are *vanished*: they may
have been renamed or moved (the indexer matches them by content hash and reuses their
embeddings) or deleted (swept at the end of a complete run). Photos under a library folder
that is not reachable right now (an unplugged drive) are kept, not swept.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photofind.core.catalog import FAILED, PhotoRow
from photofind.core.images import IMAGE_EXTENSIONS


@dataclass(frozen=True)
class FoundFile:
    path: Path
    size: int
    mtime_ns: int


@dataclass
class ScanPlan:
    todo: list[FoundFile] = field(default_factory=list)  # new, changed, or not yet embedded
    unchanged: int = 0  # indexed (or failed) and untouched since: nothing to do
    vanished: dict[int, PhotoRow] = field(default_factory=dict)  # not found any more
    offline_roots: list[Path] = field(default_factory=list)
    unreadable_folders: list[Path] = field(default_factory=list)  # listing them failed
    cancelled: bool = False  # the walk was stopped: todo is partial, vanished is empty


def is_photo_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def walk(roots: Sequence[Path], unreadable: list[Path] | None = None) -> Iterator[FoundFile]:
    """Every photo file under ``roots``, once each. Hidden folders and files are skipped;
    symlinks are followed, but a folder already visited (a loop, or nested roots) is not
    entered twice, and broken links or unreadable folders are passed over (the latter
    appended to ``unreadable``)."""
    seen_dirs: set[tuple[int, int]] = set()
    stack = [os.path.abspath(r) for r in reversed(roots)]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as entries:
                items = sorted(entries, key=lambda e: e.name)
        except OSError:
            if unreadable is not None:
                unreadable.append(Path(folder))
            continue
        subdirs = []
        for entry in items:
            if entry.name.startswith("."):
                continue
            try:
                info = entry.stat()  # follows symlinks; raises for broken ones
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                subdirs.append(entry.path)
            elif stat.S_ISREG(info.st_mode) and is_photo_name(entry.name):
                yield FoundFile(Path(entry.path), info.st_size, info.st_mtime_ns)
        stack.extend(reversed(subdirs))


def is_empty_folder(folder: Path) -> bool:
    """An empty library folder is most likely a mount point whose drive is unplugged (the
    folder stays behind): its photos are kept, not swept. Removing the folder from the
    library is how to forget them."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def plan(
    roots: Sequence[Path],
    catalog_rows: dict[bytes, PhotoRow],
    embedded_ids: set[int],
    cancel: threading.Event | None = None,
) -> ScanPlan:
    """Compare what is on disk with the catalog.

    ``embedded_ids``: photos that already have an embedding for the active model; an
    unchanged photo without one (a new model, an interrupted run) is still to do.
    ``cancel`` stops a long walk (a large or slow library) early."""
    result = ScanPlan()
    unseen = dict(catalog_rows)
    for found in walk(roots, result.unreadable_folders):
        if cancel is not None and cancel.is_set():
            result.cancelled = True
            return result
        row = unseen.pop(os.fsencode(found.path), None)
        untouched = row is not None and (row.size, row.mtime_ns) == (found.size, found.mtime_ns)
        if untouched and (row.status == FAILED or row.id in embedded_ids):
            result.unchanged += 1
            continue
        result.todo.append(found)
    result.offline_roots = [r for r in roots if not os.path.isdir(r) or is_empty_folder(r)]
    # A folder that could not be listed (permissions, a flaky network share) is kept like
    # an offline root: sweeping it would throw away embeddings that cost hours to redo.
    kept = [*result.offline_roots, *result.unreadable_folders]
    offline = [os.fsencode(os.path.join(os.path.abspath(r), "")) for r in kept]
    for raw, row in unseen.items():
        if not any(raw.startswith(prefix) for prefix in offline):
            result.vanished[row.id] = row
    return result
