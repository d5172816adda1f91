"""Find the photos in the library folders and compare them with the catalog (mark and sweep).

A file is *unchanged* when its (size, mtime) match the catalog row; everything else that is
new or changed goes to the indexer. Rows whose files were not seen are *vanished*: they may
have been renamed or moved (the indexer matches them by content hash and reuses their
embeddings) or deleted (swept at the end of a complete run). Photos under a library folder
that is not reachable right now (an unplugged drive) are kept, not swept, unless their bytes
turn up under another library folder: then the folder was renamed or moved, and they move.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photofind.core.catalog import FAILED, TRANSIENT, PhotoRow
from photofind.core.images import IMAGE_EXTENSIONS
from photofind.core.library_folders import (
    SYSTEM_FOLDERS,
    is_empty_folder,
    is_skipped_folder_name,
    listing_problem,
    outside_link_problem,
    system_devices,
    system_folder_of,
)
from photofind.core.pacing import foreground
from photofind.core.raw import RAW_EXTENSIONS, RENDERED_EXTENSIONS

__all__ = ["FoundFile", "ScanPlan", "is_empty_folder", "is_photo_name", "plan", "walk"]

# The catalog stores times as SQLite INTEGERs (signed 64-bit). ext4 and tmpfs keep times up
# to the year 2446, so a file can be dated past 2262, beyond what fits in nanoseconds. The
# time is clamped where it is read, so that every run compares the same value.
MAX_MTIME_NS, MIN_MTIME_NS = 2**63 - 1, -(2**63)
# The walk gives way to the window this often (files): ~1-5 ms of work between two looks.
GIVE_WAY_EVERY = 64


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
    # Photos kept because their library folder is offline: if their bytes turn up under
    # another folder (the folder was renamed or moved), they move there.
    offline: dict[int, PhotoRow] = field(default_factory=dict)
    moved_offline: set[int] = field(default_factory=set)  # of ``offline``, found elsewhere
    unreadable_folders: list[Path] = field(default_factory=list)  # listing them failed
    folder_problems: dict[Path, str] = field(default_factory=dict)  # path -> why, to show
    cancelled: bool = False  # the walk was stopped: todo is partial, vanished is empty

    def take_moved(self, photo_id: int) -> PhotoRow | None:
        """The row of a photo whose file is gone (vanished, or on an offline folder) and
        whose bytes were found at another path, now claimed by that path."""
        row = self.vanished.pop(photo_id, None)
        if row is not None or photo_id in self.moved_offline:
            return row
        row = self.offline.get(photo_id)
        if row is None or os.path.lexists(row.path):
            return None
        self.moved_offline.add(photo_id)
        return row

    def moved_roots(self) -> list[Path]:
        """Offline library folders whose photos all turned up elsewhere: renamed or moved.
        Their rows without content (failed files, never read) are all that is left."""
        moved = []
        for root in self.offline_roots:
            prefix = os.path.join(os.fsencode(root), b"")
            known = [
                i for i, r in self.offline.items()
                if r.content_hash and r.raw_path.startswith(prefix)
            ]  # fmt: skip
            if known and all(i in self.moved_offline for i in known):
                moved.append(root)
        return moved


def is_photo_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _inside(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(os.path.join(f, "")) for f in folders)


def walk(
    roots: Sequence[Path],
    unreadable: list[Path] | None = None,
    *,
    problems: dict[Path, str] | None = None,
    skip: Iterable[Path] = (),
) -> Iterator[FoundFile]:
    """Every photo file under ``roots``, once each.

    Never entered: hidden folders and the well-known thumbnail, cache and trash folders
    (``is_skipped_folder_name``), the folders in ``skip`` (photofind's own) unless one is a
    root, system folders (/proc, /sys, /dev), and links to folders outside every root
    (following one could lead anywhere: /proc/PID/cwd leads into the whole machine). Links
    to single files are followed. A folder already visited (a loop, nested roots) is not
    entered twice. Broken links are passed over. Folders (or files) that cannot be looked
    into are appended to ``unreadable``; they and the links not followed go to
    ``problems`` with the reason. A RAW file beside a JPEG or HEIC of the same name is
    left out: the camera wrote both of one shot, and the JPEG is the photo shown
    (:func:`photofind.core.raw.raw_original` finds the RAW from it)."""
    problems = {} if problems is None else problems
    unreadable = [] if unreadable is None else unreadable
    inside = [os.path.realpath(r) for r in roots]
    system = system_devices()
    skipped = set()
    for own in skip:
        try:
            st = os.stat(own)
        except OSError:
            continue
        skipped.add((st.st_dev, st.st_ino))
    seen_dirs: set[tuple[int, int]] = set()
    root_paths = {os.path.abspath(r) for r in roots}
    for root in roots:
        if system_folder_of(root) is not None:  # added before system folders were refused
            problems[Path(root)] = outside_link_problem(os.path.realpath(root))
    stack = [os.path.abspath(r) for r in reversed(roots) if system_folder_of(r) is None]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs or st.st_dev in system or _inside(folder, SYSTEM_FOLDERS):
            continue
        seen_dirs.add(key)
        if key in skipped and folder not in root_paths:
            continue
        try:
            with os.scandir(folder) as entries:
                items = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            unreadable.append(Path(folder))
            problems[Path(folder)] = listing_problem(exc)
            continue
        subdirs = []
        rendered = _rendered_stems(items)
        for entry in items:
            if entry.name.startswith(".") or _has_rendering(entry.name, rendered):
                continue
            try:
                info = entry.stat()  # follows symlinks; raises for broken ones
            except OSError as exc:
                if not entry.is_symlink() and (
                    entry.is_dir(follow_symlinks=False) or is_photo_name(entry.name)
                ):
                    unreadable.append(Path(entry.path))
                    problems[Path(entry.path)] = listing_problem(exc)
                continue
            if stat.S_ISDIR(info.st_mode):
                if is_skipped_folder_name(entry.name):
                    continue
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not _inside(target, inside) or system_folder_of(target) is not None:
                        problems[Path(entry.path)] = outside_link_problem(target)
                        continue
                subdirs.append(entry.path)
            elif stat.S_ISREG(info.st_mode) and is_photo_name(entry.name):
                if entry.is_symlink() and system_folder_of(entry.path) is not None:
                    continue
                mtime_ns = min(max(info.st_mtime_ns, MIN_MTIME_NS), MAX_MTIME_NS)
                yield FoundFile(Path(entry.path), info.st_size, mtime_ns)
        stack.extend(reversed(subdirs))


def _rendered_stems(entries: Iterable[os.DirEntry]) -> set[str]:
    stems = set()
    for entry in entries:
        stem, suffix = os.path.splitext(entry.name)
        if suffix.lower() in RENDERED_EXTENSIONS:
            stems.add(stem.lower())
    return stems


def _has_rendering(name: str, rendered: set[str]) -> bool:
    stem, suffix = os.path.splitext(name)
    return bool(rendered) and suffix.lower() in RAW_EXTENSIONS and stem.lower() in rendered


def plan(
    roots: Sequence[Path],
    catalog_rows: dict[bytes, PhotoRow],
    embedded_ids: set[int],
    cancel: threading.Event | None = None,
    skip: Iterable[Path] = (),
) -> ScanPlan:
    """Compare what is on disk with the catalog.

    ``embedded_ids``: photos that already have an embedding for the active model; an
    unchanged photo without one (a new model, an interrupted run) is still to do.
    ``cancel`` stops a long walk (a large or slow library) early. ``skip``: folders never
    to enter (photofind's own)."""
    result = ScanPlan()
    unseen = dict(catalog_rows)
    found_files = walk(roots, result.unreadable_folders, problems=result.folder_problems, skip=skip)
    for n, found in enumerate(found_files):
        if n % GIVE_WAY_EVERY == 0:
            foreground.give_way(cancel)
        if cancel is not None and cancel.is_set():
            result.cancelled = True
            return result
        row = unseen.pop(os.fsencode(found.path), None)
        if (
            row is not None
            and (row.size, row.mtime_ns) == (found.size, found.mtime_ns)
            # a transient failure (vanished, permissions, I/O) is tried again unchanged
            and ((row.status == FAILED and row.failure_kind != TRANSIENT) or row.id in embedded_ids)
        ):
            result.unchanged += 1
            continue
        result.todo.append(found)
    # Newest first: after a big first import the photos taken lately are the ones looked
    # for, and they become searchable in minutes rather than at the end of the run.
    result.todo.sort(key=lambda f: f.mtime_ns, reverse=True)
    result.offline_roots = [r for r in roots if not os.path.isdir(r) or is_empty_folder(r)]
    offline = [os.path.join(os.fsencode(os.path.abspath(r)), b"") for r in result.offline_roots]
    # A folder that could not be listed (permissions, a flaky network share) is kept like
    # an offline root: sweeping it would throw away embeddings that cost hours to redo.
    unreadable = [os.fsencode(os.path.abspath(r)) for r in result.unreadable_folders]
    for raw, row in unseen.items():
        if any(raw.startswith(prefix) for prefix in offline):
            result.offline[row.id] = row
        elif not any(raw == u or raw.startswith(os.path.join(u, b"")) for u in unreadable):
            result.vanished[row.id] = row
    return result
