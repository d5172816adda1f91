"""Changed paths below the library folders, and when they have settled: the watcher's
notion of "completely written" (see :mod:`photofind.core.watch`).

A file being copied keeps changing size or mtime, and its writer sends events; a path has
*settled* when neither has happened for ``settle_s``. The index run asks
:meth:`PendingChanges.unsettled` about each file it is about to index (its hold_back), so a
file still being written waits for the next run instead of being indexed half-written.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)

from photofind.core.library_folders import is_skipped_folder_name
from photofind.core.scanner import FoundFile, is_photo_name

# A copy that is still being written changes size or mtime many times a second; one
# second without a change (and without an event) means the writer is done.
SETTLE_S = 1.0

_EVENTS = {
    EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED,
    EVENT_TYPE_CLOSED,
}  # fmt: skip


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass
class Change:
    first: float  # time.monotonic() of the first event
    active: float  # of the last event or the last change seen
    stat: tuple[int, int] | None  # (size, mtime_ns); None while missing


class PendingChanges:
    """Changed paths waiting to settle. Filled by the observers' threads, read by the
    watcher's thread and by the index run (``unsettled``, its hold_back)."""

    def __init__(self, settle_s: float) -> None:
        self.settle_s = settle_s
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._paths: dict[str, Change] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._paths)

    def add(self, path: str) -> None:
        stat = _stat(path)  # outside the lock: a stat may be slow
        now = time.monotonic()
        with self._lock:
            change = self._paths.get(path)
            if change is None:
                self._paths[path] = Change(now, now, stat)
            else:
                change.active = now
        self.arrived.set()

    def settled(self) -> tuple[list[str], bool, float]:
        """Look at every waiting path again: (the settled ones, whether that is all of
        them, how long the oldest settled one has waited)."""
        with self._lock:
            paths = list(self._paths)
        stats = {p: _stat(p) for p in paths}  # outside the lock: a stat may be slow
        now = time.monotonic()
        settled, waited = [], 0.0
        with self._lock:
            for path, change in self._paths.items():
                if path in stats and stats[path] != change.stat:
                    change.stat, change.active = stats[path], now
                if now - change.active >= self.settle_s:
                    settled.append(path)
                    waited = max(waited, now - change.first)
            return settled, len(settled) == len(self._paths), waited

    def take(self, paths: Iterable[str]) -> dict[str, Change]:
        with self._lock:
            return {p: c for p in paths if (c := self._paths.pop(p, None)) is not None}

    def put_back(self, taken: dict[str, Change]) -> None:
        with self._lock:
            for path, change in taken.items():
                self._paths.setdefault(path, change)

    def unsettled(self, found: FoundFile) -> bool:
        """The index run's hold_back: True for a file still being written, which then
        waits here for the next run."""
        path = os.fspath(found.path)
        now = time.monotonic()
        with self._lock:
            change = self._paths.get(path)
            if change is not None:
                if change.stat != (found.size, found.mtime_ns):
                    change.stat, change.active = (found.size, found.mtime_ns), now
                return now - change.active < self.settle_s
            # Modified a moment ago but not reported yet (the event is on its way, or the
            # folder is polled): not finished for all we know.
            if 0 <= time.time_ns() - found.mtime_ns < self.settle_s * 1e9:
                self._paths[path] = Change(now, now, (found.size, found.mtime_ns))
                self.arrived.set()
                return True
            return False


class ChangeHandler(FileSystemEventHandler):
    """Runs on an observer's thread: photos (and folders) below ``root`` that changed."""

    def __init__(self, root: Path, changes: PendingChanges, skip: list[str]) -> None:
        self.root = os.fspath(root)
        self.changes = changes
        self.skip = skip

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _EVENTS:
            return  # opened, closed without writing: the indexer's own reads among them
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return  # a folder's own time: its files' events say what changed
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw) if raw else ""
            if path and self._wanted(path, is_dir=event.is_directory):
                self.changes.add(path)

    def _wanted(self, path: str, *, is_dir: bool) -> bool:
        rel = os.path.relpath(path, self.root)
        if rel == os.curdir:
            return True  # the folder itself went away or came back
        parts = rel.split(os.sep)
        if parts[0] == os.pardir or any(is_skipped_folder_name(p) for p in parts[:-1]):
            return False  # moved out of the folder, or in a hidden or thumbnail folder
        if any(path == s or path.startswith(s + os.sep) for s in self.skip):
            return False  # photofind's own files (thumbnails) in a library folder
        if is_dir:
            return not is_skipped_folder_name(parts[-1])
        return is_photo_name(parts[-1])
