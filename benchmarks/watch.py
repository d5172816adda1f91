"""Watching and newest-first indexing, with the tiny-shapes model, one process.

    python benchmarks/watch.py [--library 200] [--files 20] [--photos 3000] [--newest 1000]

1. **watch latency**: a ``LibraryWatcher`` on a library of ``--library`` indexed photos;
   ``--files`` new photos are written one at a time (each written and closed, then waited
   for), and the time from its close to its row being committed (it is then in the search
   index) is taken. Median and worst. Most of it is the settle time (``SETTLE_S``: size and
   mtime still for that long) plus the tick that sees it; the rest is the index run (a
   scan of the whole library, the read, the encode, the commit).
2. **newest first**: ``--photos`` photos whose mtimes grow with their names (the newest
   are last on disk, as a camera import is), indexed from scratch twice: in the indexer's
   order (newest first) and in the walk order it had before. The time until the
   ``--newest`` most recent photos are all searchable, and until the whole run is done.

Prints the figures; never asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from photofind.core import indexer as indexer_module  # noqa: E402
from photofind.core.config import app_paths  # noqa: E402
from photofind.core.library import Library, open_library  # noqa: E402
from photofind.core.shapes import generate_library  # noqa: E402
from photofind.core.watch import LibraryWatcher, WatchRun  # noqa: E402

MODEL = "tiny-shapes"


def _date_back(paths: list[Path], start: float, step_s: float) -> None:
    for i, path in enumerate(paths):
        os.utime(path, (start + i * step_s, start + i * step_s))


def watch_latency(root: Path, library_size: int, files: int) -> list[float]:
    photos = root / "photos"
    existing = [
        p.path for p in generate_library(photos, library_size, seed=1, size_range=(200, 400))
    ]
    _date_back(existing, time.time() - 86400, 1.0)
    fresh = [p.path for p in generate_library(root / "new", files, seed=2, size_range=(200, 400))]
    lib = open_library(app_paths(root / "data"), MODEL, "cpu")
    lib.catalog.add_folder(photos)
    runs: list[WatchRun] = []
    first = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, WatchRun):
            runs.append(event)
            first.set()

    watcher = LibraryWatcher(lib, on_event)
    watcher.start()
    first.wait()
    latencies = []
    try:
        for source in fresh:
            target = photos / f"new-{source.name}"  # generated names repeat across seeds
            data = source.read_bytes()
            with open(target, "wb") as f:
                f.write(data)
            written = time.monotonic()
            while (row := lib.catalog.photo_by_path(target)) is None or row.status != "indexed":
                time.sleep(0.005)
            latencies.append(time.monotonic() - written)
            time.sleep(0.2)  # one file at a time: let the run end
    finally:
        watcher.request_stop()
        watcher.join()
        lib.close()
    return latencies


def _walk_order_plan(*args, **kwargs):
    """The scanner's plan with its to-do list back in walk order (the order before)."""
    scan = _plain_plan(*args, **kwargs)
    scan.todo.sort(key=lambda f: os.fsencode(f.path))
    return scan


_plain_plan = indexer_module.plan


def index_timing(
    photos: Path, data: Path, newest: set[str], walk_order: bool
) -> tuple[float, float]:
    """(seconds until every photo of ``newest`` is committed, seconds for the whole run)."""
    lib: Library = open_library(app_paths(data), MODEL, "cpu")
    lib.catalog.add_folder(photos)
    committed: dict[str, float] = {}
    plain_record = lib.catalog.record_indexed

    def record_indexed(photo, model_id, vector):
        committed[os.fspath(photo.path)] = time.monotonic()
        return plain_record(photo, model_id, vector)

    lib.catalog.record_indexed = record_indexed  # type: ignore[method-assign]
    indexer_module.plan = _walk_order_plan if walk_order else _plain_plan
    try:
        started = time.monotonic()
        for _ in lib.indexer().run():
            pass
        ended = time.monotonic()
    finally:
        indexer_module.plan = _plain_plan
        lib.close()
    return max(committed[p] for p in newest) - started, ended - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", type=int, default=200)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--photos", type=int, default=3000)
    parser.add_argument("--newest", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="photofind-bench-watch-"))
    try:
        latencies = watch_latency(root / "latency", args.library, args.files)
        print(
            f"watch latency over {len(latencies)} files, library of {args.library}: "
            f"median {statistics.median(latencies):.2f} s, worst {max(latencies):.2f} s, "
            f"best {min(latencies):.2f} s"
        )
        photos = root / "order" / "photos"
        made = [p.path for p in generate_library(photos, args.photos, seed=3, size_range=(96, 160))]
        _date_back(made, time.time() - 86400 * 30, 60.0)  # newest last on disk
        newest = {os.fspath(p) for p in made[-args.newest :]}
        for label, walk_order in (("newest first", False), ("walk order (before)", True)):
            data = root / "order" / ("data-walk" if walk_order else "data-newest")
            to_newest, whole = index_timing(photos, data, newest, walk_order)
            print(
                f"{label}: the {args.newest} newest of {args.photos} searchable after "
                f"{to_newest:.1f} s; whole run {whole:.1f} s"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
