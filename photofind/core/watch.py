"""Keep the library fresh while its folders change: watch them, wait until each changed
file is completely written, then bring the catalog up to date with an ordinary index run.

Why index runs, and not a catalog change per event: a run applies every rule the scanner
and the indexer already keep (renames found by content, failures recorded and retried,
the photos of an unplugged drive or an emptied folder kept). The storm of deletion events
an unmount or a dropped share sends is only a reason to run; the run finds the folder
offline or empty and keeps its photos, exactly as ``photofind index`` would.

1. watchdog reports changes below each library folder: with the system's notifications
   (inotify) on local disks, or with its PollingObserver, which compares listings every
   ``poll_interval_s``, on network and removable drives (:mod:`photofind.core.drives`) and
   when the system's limit on watched folders is reached (said once, never an error).
2. Each changed photo (or folder) waits until it has *settled*: no event about it and the
   same size and mtime for ``settle_s``. A file being copied keeps changing.
3. A run starts when every change has settled, or when the oldest settled one has waited
   MAX_DELAY_S (an import going on for minutes is indexed as it goes, in a few runs, not a
   run per file). The run holds back every file that has not settled or was modified less
   than ``settle_s`` ago, so nothing is indexed half-written; those wait for the next run.
4. Every RECHECK_S the library folders are looked at again: a folder added meanwhile is
   watched, a drive unplugged loses its watch (its photos stay), one plugged back in is
   watched again and indexed.

One run at a time, on the watcher's thread (or through ``run_index``, which a front end
that already owns an index thread passes in). A run that meets another program holding
the library (``LibraryBusyError``), a full disk or any other user-facing error is said once
and tried again after RETRY_S, with its changes kept.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from photofind.core import errorsink
from photofind.core.drives import count_folders, inotify_watches, polling_reason
from photofind.core.errors import PhotofindError, write_error
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library
from photofind.core.library_folders import OK, photofind_folders, reachability
from photofind.core.pacing import foreground
from photofind.core.scanner import FoundFile
from photofind.core.watch_changes import SETTLE_S, Change, ChangeHandler, PendingChanges

log = logging.getLogger(__name__)

TICK_S = 0.25  # how often waiting changes are looked at again
MAX_DELAY_S = 5.0  # a settled change waits at most this long for a burst around it to end
# Polling lists every folder and stats every file: on a local disk 100k photos take about
# half a second of one core, on a network share several seconds.
POLL_INTERVAL_S = 10.0
RECHECK_S = 5.0  # library folders added, unplugged or plugged back in are seen this often
RETRY_S = 10.0  # a run that could not be done (another program, a full disk) is retried
# A catalog backup after every photo copied in would rewrite a large file all day long.
AFTER_RUN_EVERY_S = 300.0
WATCH_LIMIT_ERRNOS = (errno.ENOSPC, errno.EMFILE)  # the watch limit, the instance limit

NoteKind = Literal["polling", "offline", "back", "problem"]


@dataclass(frozen=True)
class WatchNote:
    """Something the person should know, once: a folder polled, unplugged or back, a run
    that could not be done (it is retried)."""

    kind: NoteKind
    text: str
    folder: Path | None = None


@dataclass(frozen=True)
class WatchRun:
    """An index run has ended. ``changes``: the settled changes that started it (0 for the
    first run); ``failed``: the files that could not be read in it; ``held_back``: files
    left for the next run because they were still being written."""

    changes: int
    progress: IndexProgress | None  # its last item; None when run_index yielded none
    failed: tuple[tuple[Path, str], ...] = ()
    held_back: int = 0


WatchEvent = WatchNote | WatchRun | IndexProgress
HoldBack = Callable[[FoundFile], bool]
RunIndex = Callable[[HoldBack, threading.Event], Iterable[IndexProgress]]


@dataclass
class _Folder:
    identity: tuple[int, int] | None  # (st_dev, st_ino) when watched; None: not reachable
    observer: BaseObserver | None = None
    watch: ObservedWatch | None = None


def _identity(folder: Path) -> tuple[int, int] | None:
    if reachability(folder)[0] != OK:
        return None
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class LibraryWatcher(threading.Thread):
    """Watches the library folders and runs an index run when photos have changed.

    Why a thread: watching lasts as long as the window or ``photofind watch``, and a run
    takes from a moment to hours; the caller's thread stays free. It waits on an Event,
    stops on :meth:`request_stop` (a run in progress stops after its current batch, as a
    stopped ``photofind index`` does), and says what happens through ``on_event``, called on
    this thread with typed events: a :class:`WatchNote`, each :class:`IndexProgress` of a
    run, and a :class:`WatchRun` when a run has ended. It never prints.

    ``run_index(hold_back, cancel)``: how a run is done; by default the library's own
    Indexer on this thread (with ``after_index_run`` at most every AFTER_RUN_EVERY_S and
    at the end). A front end that owns an index thread passes one that runs there with
    ``hold_back`` given to the Indexer, and returns when the run has ended.
    ``force_polling``: poll every folder (for tests, and for drives the system cannot tell
    apart)."""

    def __init__(
        self,
        library: Library,
        on_event: Callable[[WatchEvent], None],
        *,
        run_index: RunIndex | None = None,
        low_impact: bool = False,
        first_run: bool = True,
        force_polling: bool = False,
        settle_s: float = SETTLE_S,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        super().__init__(name="photofind-watch", daemon=True)
        self.library = library
        self.on_event = on_event
        self.low_impact = low_impact
        self.first_run = first_run
        self.force_polling = force_polling
        self.poll_interval_s = poll_interval_s
        self._run_index = run_index or self._run_here
        self._changes = PendingChanges(settle_s)
        self._stopping = threading.Event()
        self._cancel = threading.Event()
        self._folders: dict[Path, _Folder] = {}
        self._observers: dict[str, BaseObserver] = {}
        self._said: set[str] = set()
        self._problem: str | None = None
        self._after_run_at = float("-inf")
        self._runs_since_after = 0

    # -- control ------------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stopping.set()
        self._cancel.set()
        self._changes.arrived.set()

    @property
    def waiting(self) -> int:
        """Changed paths not indexed yet: settling, or held back by the last run."""
        return len(self._changes)

    @property
    def polled(self) -> list[Path]:
        """The folders being polled rather than watched."""
        poller = self._observers.get("poll")
        folders = self._folders.copy()  # read from another thread: copied in one step
        return [f for f, s in folders.items() if poller and s.observer is poller and s.watch]

    @property
    def watched(self) -> list[Path]:
        """Every library folder being watched or polled now."""
        return [f for f, s in self._folders.copy().items() if s.watch is not None]

    # -- the thread ---------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._sync_folders(first=True)
            if self.first_run:
                self._index(0, {})
            self._watch_loop()
        except Exception as exc:  # photofind's own bug: reported, and watching ends
            errorsink.report(exc, thread_name=self.name)
            self._note("problem", f"Watching stopped after an unexpected error ({exc}); "
                       "please report it.")  # fmt: skip
        finally:
            for observer in self._observers.values():
                observer.stop()
            for observer in self._observers.values():
                observer.join(timeout=5)
            if self._run_index == self._run_here and self._runs_since_after:
                self._after_runs()

    def _watch_loop(self) -> None:
        next_check = time.monotonic() + RECHECK_S
        retry_at = 0.0
        while not self._stopping.is_set():
            if len(self._changes):
                self._stopping.wait(TICK_S)  # not on each event: a burst would spin
            else:
                self._changes.arrived.wait(max(0.0, next_check - time.monotonic()))
            self._changes.arrived.clear()
            if self._stopping.is_set():
                return
            now = time.monotonic()
            if now >= next_check:
                self._sync_folders()
                next_check = now + RECHECK_S
            if now < retry_at:
                continue
            settled, everything, waited = self._changes.settled()
            ready = settled and (everything or waited >= MAX_DELAY_S)
            if ready and not self._index(len(settled), self._changes.take(settled)):
                retry_at = time.monotonic() + RETRY_S

    # -- index runs ---------------------------------------------------------------------

    def _index(self, changes: int, taken: dict[str, Change]) -> bool:
        """One run; False when it could not be done (its changes wait for the retry)."""
        last: IndexProgress | None = None
        failed: list[tuple[Path, str]] = []
        held: list[FoundFile] = []

        def hold_back(found: FoundFile) -> bool:
            if self._changes.unsettled(found):
                held.append(found)
                return True
            return False

        try:
            for last in self._run_index(hold_back, self._cancel):
                failed += last.errors
                self.on_event(last)
        except (PhotofindError, OSError) as exc:
            problem = exc if isinstance(exc, PhotofindError) else self._disk_problem(exc)
            if problem is None:
                raise
            self._changes.put_back(taken)
            text = f"{problem} photofind tries again in {RETRY_S:g} s."
            if text != self._problem:  # said once, not at every retry
                self._problem = text
                self.on_event(WatchNote("problem", text))
            return False
        self._problem = None
        self.on_event(WatchRun(changes, last, tuple(failed), len(held)))
        return True

    def _disk_problem(self, exc: OSError) -> PhotofindError | None:
        """The sentence for a write the user's disk refused (the index file on a full disk)."""
        where = exc.filename or self.library.paths.data_dir
        return write_error(exc, Path(os.fsdecode(where)))

    def _run_here(self, hold_back: HoldBack, cancel: threading.Event) -> Iterator[IndexProgress]:
        indexer = self.library.indexer(low_impact=self.low_impact, hold_back=hold_back)
        yield from indexer.run(cancel)
        self._runs_since_after += 1
        if time.monotonic() - self._after_run_at >= AFTER_RUN_EVERY_S:
            self._after_runs()

    def _after_runs(self) -> None:
        self._after_run_at = time.monotonic()
        self._runs_since_after = 0
        try:
            self.library.after_index_run()  # the catalog backup, a finished model switch
        except PhotofindError as exc:
            self.on_event(WatchNote("problem", str(exc)))

    # -- folders ------------------------------------------------------------------------

    def _note(
        self, kind: NoteKind, text: str, folder: Path | None = None, *, key: str = ""
    ) -> None:
        """Say ``text``; with a ``key``, only the first time for that key."""
        if key:
            if key in self._said:
                return
            self._said.add(key)
        self.on_event(WatchNote(kind, text, folder))

    def _sync_folders(self, *, first: bool = False) -> None:
        folders = self.library.catalog.folders()
        for folder in folders:
            identity = _identity(folder)
            state = self._folders.get(folder)
            if state is not None and state.identity == identity:
                continue
            if state is not None:
                self._unwatch(state)
            if identity is None:
                if state is None or state.identity is not None:
                    reason = reachability(folder)[1] or "It cannot be read now."
                    self._note(
                        "offline",
                        f"{folder}: {reason} Its photos are kept; it is watched again when "
                        "it is back.", folder,
                    )  # fmt: skip
                self._folders[folder] = _Folder(None)
                continue
            # Watching walks the whole folder (a recursive watch per subfolder): not while
            # someone scrolls the window. The stop request ends the wait.
            foreground.give_way(self._stopping)
            self._folders[folder] = self._watch(folder, identity)
            if state is not None:
                self._note("back", f"{folder} can be reached again; looking for changes in it.",
                           folder)  # fmt: skip
            if state is not None or not first:  # back, or added meanwhile: index what it holds
                self._changes.add(os.fspath(folder))
        for gone in set(self._folders) - set(folders):
            self._unwatch(self._folders.pop(gone))

    def _observer(self, kind: str) -> BaseObserver:
        observer = self._observers.get(kind)
        if observer is None:
            observer = (
                PollingObserver(timeout=self.poll_interval_s) if kind == "poll" else Observer()
            )
            observer.start()
            self._observers[kind] = observer
        return observer

    def _watch(self, folder: Path, identity: tuple[int, int]) -> _Folder:
        handler = ChangeHandler(folder, self._changes, [os.fspath(p) for p in photofind_folders(
            self.library.paths.data_dir)])  # fmt: skip
        why = "forced" if self.force_polling else polling_reason(folder)
        if why is None:
            try:
                return self._notify(folder, identity, handler)
            except OSError as exc:
                if exc.errno in WATCH_LIMIT_ERRNOS:
                    self._note(
                        "polling",
                        "The system's limit on watched folders is reached (raise "
                        "fs.inotify.max_user_watches to watch more); photofind looks for "
                        f"changes every {self.poll_interval_s:g} s instead in {folder}"
                        " and any further folders.", folder, key="limit",
                    )  # fmt: skip
                else:
                    self._note(
                        "polling",
                        f"{folder} cannot be watched ({exc.strerror or exc}); photofind looks "
                        f"for changes in it every {self.poll_interval_s:g} s instead.", folder,
                    )  # fmt: skip
        elif why != "forced":
            self._note(
                "polling",
                f"{folder} is on {why}, whose changes the system does not report; photofind "
                f"looks for changes in it every {self.poll_interval_s:g} s.", folder,
                key=f"drive:{folder}",
            )  # fmt: skip
        observer = self._observer("poll")
        try:
            watch = observer.schedule(handler, os.fspath(folder), recursive=True)
        except OSError as exc:  # gone or closed meanwhile: tried again at the next check
            self._note(
                "problem", f"{folder} cannot be looked into ({exc.strerror or exc}); photofind "
                "tries again in a moment.", folder, key=f"poll:{folder}",
            )  # fmt: skip
            return _Folder(None)
        return _Folder(identity, observer, watch)

    def _notify(self, folder: Path, identity: tuple[int, int], handler: ChangeHandler) -> _Folder:
        """A watch with the system's notifications; OSError(ENOSPC) when it is not whole."""
        observer = self._observer("notify")
        before = inotify_watches()
        watch = observer.schedule(handler, os.fspath(folder), recursive=True)
        after = inotify_watches()
        # Nested library folders share their watches, so only a lone one can be counted.
        nested = any(
            folder.is_relative_to(f) or f.is_relative_to(folder)
            for f, s in self._folders.items()
            if s.watch is not None and f != folder
        )
        # watchdog skips the subfolders it cannot watch without a word; those left out when
        # the limit is reached would never report a change.
        if (
            before is not None
            and after is not None
            and not nested
            and after - before < count_folders(folder)
        ):
            observer.unschedule(watch)
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return _Folder(identity, observer, watch)

    def _unwatch(self, state: _Folder) -> None:
        if state.observer is not None and state.watch is not None:
            # When its drive went away the system has dropped the watch already.
            with contextlib.suppress(KeyError, OSError):
                state.observer.unschedule(state.watch)
        state.watch = None
