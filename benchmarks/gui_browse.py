"""Browsing a 100k-photo library and stepping through photos in the viewer. Prints, never
asserts.

Figures (goals from issue 10):

* **browse order**: ``core.browse.browse_order`` on 100,000 catalog rows (the whole library
  newest first, with month sections): the query the browse view opens with. Also scoped to
  one folder, the folder tree with counts, and dropping 1,000 trashed photos from an order.
  The catalog rows are written straight into SQLite (no photo files, no encoding): 20 years
  of dates, 70% with an EXIF date and 30% with only the file time, 740 folders.
* **viewer step**: from ``PhotoViewer.step(1)`` to the new picture painted (a synchronous
  repaint), when the next photo was decoded ahead, goal median <= 50 ms; and, for
  comparison, the decode of one photo at the screen's size (what a step costs when the
  next photo was not decoded ahead). The photos are generated 4000x3000 JPEGs (12 MP).

Launch to the first screen of browse thumbnails and scrolling the browse grid are measured
by ``benchmarks/gui_startup.py --browse-only`` (a whole app process per launch).

    .venv/bin/python benchmarks/gui_browse.py [--runs 7]

Runs offscreen unless QT_QPA_PLATFORM is set (e.g. xcb under Xvfb, whose screen size then
decides the decode size). Data lives in ``benchmarks/.cache/browse-100k`` (delete it to
rebuild; building takes about a minute).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTOS = 100_000
VIEWER_PHOTOS = 12
CACHE = ROOT / "benchmarks" / ".cache" / "browse-100k"


def build_catalog(folder: Path) -> Path:
    from photofind.core.catalog import Catalog

    path = folder / "catalog.sqlite3"
    library = folder / "Pictures"
    if path.exists():
        return library
    library.mkdir(parents=True, exist_ok=True)
    (library / "README").write_text("rows only: the benchmark's photos have no files\n")
    catalog = Catalog(path)
    rng = random.Random(10)
    rows = []
    for i in range(PHOTOS):
        mtime_ns = int((1.1e9 + rng.random() * 6.3e8) * 1e9)  # 2004 .. 2024
        exif = rng.random() < 0.7
        taken = mtime_ns / 1e9 - rng.random() * 86400 * 30 if exif else mtime_ns / 1e9
        year = 2004 + i % 20
        raw = os.fsencode(library / str(year) / f"{i % 37:02d}" / f"IMG_{i:06d}.jpg")
        rows.append((raw, 3_000_000, mtime_ns, os.urandom(16), 4000, 3000, taken, "indexed"))
    with catalog.transaction() as db:
        db.executemany(
            "INSERT INTO photos (path, size, mtime_ns, content_hash, width, height, taken_at, "
            "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    catalog.add_folder(library)
    catalog.close()
    return library


def timed(fn, runs: int) -> tuple[float, float, object]:
    """(first, median of the rest) in ms, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:] or times), result


def bench_browse(runs: int) -> None:
    import numpy as np

    from photofind.core.browse import browse_order, folder_tree
    from photofind.core.catalog import Catalog

    library = build_catalog(CACHE)
    catalog = Catalog(CACHE / "catalog.sqlite3", read_only=True)
    try:
        first, median, order = timed(lambda: browse_order(catalog), runs)
        print(f"browse order, {len(order):,} photos, {len(order.sections)} months: "
              f"first {first:.0f} ms, median {median:.0f} ms")  # fmt: skip
        first, median, scoped = timed(lambda: browse_order(catalog, library / "2014"), runs)
        print(f"browse order of one folder ({len(scoped):,} photos): "
              f"first {first:.0f} ms, median {median:.0f} ms")  # fmt: skip
        first, median, tree = timed(lambda: folder_tree(catalog), runs)
        folders = sum(1 + len(child.children) for child in tree.roots[0].children)
        print(f"folder tree ({folders} folders, {tree.photos:,} photos): "
              f"first {first:.0f} ms, median {median:.0f} ms")  # fmt: skip
        trashed = np.random.default_rng(3).choice(order.ids, 1000, replace=False)
        first, median, _ = timed(lambda: order.without(trashed), runs)
        print(f"order less 1,000 trashed photos: median {median:.1f} ms")
    finally:
        catalog.close()


def bench_viewer(runs: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication

    from photofind.core.shapes import generate_library
    from photofind.gui.viewer import PhotoViewer, ViewerItem
    from photofind.gui.viewer.loader import decode

    folder = CACHE / "viewer"
    if not folder.exists():
        generate_library(folder, VIEWER_PHOTOS, seed=8, formats=("jpeg",), size_range=(4000, 4000))
    paths = sorted(folder.glob("*.jpg"))
    app = QApplication.instance() or QApplication([])
    viewer = PhotoViewer([ViewerItem(p) for p in paths], 0)
    viewer.show()

    def wait(condition, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition() and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    steps, prefetched = [], 0
    for _ in range(len(paths) - 1):
        wait(lambda: viewer.loader.cached(paths[viewer.row + 1]) is not None)
        prefetched += viewer.loader.cached(paths[viewer.row + 1]) is not None
        start = time.perf_counter()
        viewer.step(1)
        viewer.canvas.repaint()
        steps.append((time.perf_counter() - start) * 1000)
    box = viewer.loader.box
    viewer.close()
    app.processEvents()
    steps.sort()
    print(f"viewer step to a photo decoded ahead ({prefetched}/{len(steps)} were), screen "
          f"{box[0]}x{box[1]}: median {statistics.median(steps):.1f} ms, worst {steps[-1]:.1f} ms")  # fmt: skip
    first, median, _ = timed(lambda: decode(paths[0], box), max(3, runs))
    print(f"decode of one 12 MP JPEG at the screen's size (a step not decoded ahead): "
          f"median {median:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bench_browse(args.runs)
    bench_viewer(args.runs)


if __name__ == "__main__":
    main()
