"""``photofind watch [FOLDER ...]``: keep the library fresh without the window.

It adds the folders as ``index`` does, brings the index up to date, then watches every
library folder and indexes what changes (:mod:`photofind.core.watch`), printing one line
per index run, until Ctrl+C or SIGTERM (exit 0: stopping is what it is for). A second
Ctrl+C quits at once, as during ``index``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

from photofind.cli.common import EXIT_OK, add_command, opened_library
from photofind.cli.first_model import settle_model_for_indexing
from photofind.cli.library_commands import add_folders, add_low_impact_option, checked_folders
from photofind.cli.output import err, list_failures, one_line, out
from photofind.core.config import AppPaths
from photofind.core.humanize import plural
from photofind.core.indexer import IndexProgress

STOPPING = "photofind: stopping (press Ctrl+C again to quit now)…"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def describe_run(progress: IndexProgress, held_back: int = 0) -> str:
    """What an index run changed, in words: '2 new photos, 1 removed'."""
    parts = [
        plural(progress.indexed, "new photo") if progress.indexed else "",
        f"{progress.reused} reused (renamed or copied)" if progress.reused else "",
        f"{progress.removed} removed" if progress.removed else "",
        f"{progress.failed} failed" if progress.failed else "",
    ]
    said = ", ".join(p for p in parts if p) or "nothing changed"
    if held_back:
        said += f"; {held_back} still being written, indexed when complete"
    return said + (" (stopped)" if progress.phase == "cancelled" else "")


class _Printer:
    """Turns the watcher's events into lines; called on the watcher's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # a signal's note and a run's line never interleave

    def note(self, text: str) -> None:
        with self._lock:
            err(text)

    def event(self, event: object) -> None:
        watch = importlib.import_module("photofind.core.watch")
        if isinstance(event, watch.WatchNote):
            self.note(f"photofind: {one_line(event.text)}")
        elif isinstance(event, watch.WatchRun) and event.progress is not None:
            with self._lock:
                out(f"{time.strftime('%H:%M:%S')}  {describe_run(event.progress, event.held_back)}")
                if event.failed:
                    list_failures(list(event.failed), err, "in this run")


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[], None], notify: Callable[[str], None]) -> Iterator[None]:
    """The first Ctrl+C or SIGTERM asks the watcher to stop; a second Ctrl+C quits now."""
    asked = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if asked.is_set():
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            return
        asked.set()
        stop()
        notify(STOPPING)

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def cmd_watch(args: argparse.Namespace, paths: AppPaths) -> int:
    folders = checked_folders(args.paths)
    if (stopped := settle_model_for_indexing(args, paths)) is not None:
        return stopped
    # Imported here: watchdog is needed by this command only.
    watch = importlib.import_module("photofind.core.watch")
    with opened_library(args, paths) as library:
        add_folders(library, folders)
        printer = _Printer()
        watcher = watch.LibraryWatcher(library, printer.event, low_impact=args.low_impact)
        count = len(library.catalog.folders())
        out(f"Watching {plural(count, 'library folder')} for changes; press Ctrl+C to stop.")
        before = library.catalog.state
        with _stop_on_signals(watcher.request_stop, printer.note):
            watcher.start()
            while watcher.is_alive():
                watcher.join(0.5)  # a timeout, so that signals are handled meanwhile
        if library.catalog.state != before:
            library.tidy_thumbnails()  # once a day, as after 'photofind index'
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    watch = add_command(
        commands,
        "watch",
        cmd_watch,
        "keep the index up to date while photos are added, changed, moved or deleted",
    )
    watch.add_argument("paths", nargs="*", metavar="FOLDER", help="a folder of photos to add")
    add_low_impact_option(watch)
