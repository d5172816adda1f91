"""The browse grid's paint of one screen with every thumbnail in memory, and the results
grid's for comparison. Prints, never asserts.

A grid over synthetic rows (no catalog, no files): months of photos, 30 % of them dated by
their file (the hollow mark in the corner), four selected, the focus on one (then all
selected, as after Ctrl+A); the thumbnail
store holds a decoded 256-px picture for every cell on screen. The figure is the median
time of ``viewport().repaint()`` in a loop, no other threads running: the cost of painting
alone, which the UI thread pays on every scroll step.

    .venv/bin/python benchmarks/gui_grid_paint.py [--repaints 200] [--size 1600x1000]

Runs offscreen unless QT_QPA_PLATFORM is set; QT_SCALE_FACTOR=2 paints at 2x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PHOTOS = 3000
PER_MONTH = 37
FILE_DATED = 0.3
DEFAULT_WINDOW = (
    1120,
    760,
)  # main_window.DEFAULT_SIZE, which the window bounds to 92 % of the screen


def synthetic_rows():
    from photofind.core.browse import _order
    from photofind.core.browse_rows import BrowseRows

    rng = np.random.default_rng(10)
    ids = np.arange(1, PHOTOS + 1, dtype=np.int64)
    month = 31 * 86400
    taken = 1.7e9 - (np.arange(PHOTOS) // PER_MONTH) * month - np.arange(PHOTOS) * 60.0
    sources = (rng.random(PHOTOS) < FILE_DATED).astype(np.uint8)
    order = _order(ids, taken, sources, None)
    paths = [f"/photos/{i // 100:03d}/IMG_{i:05d}.jpg".encode() for i in range(PHOTOS)]
    portrait = rng.random(PHOTOS) < 0.2
    widths = np.where(portrait, 3000, 4000).astype(np.int32)
    heights = np.where(portrait, 4000, 3000).astype(np.int32)
    return BrowseRows(order, paths, widths, heights)


def thumbnail_images(count: int):
    """Decoded thumbnails the way the loader makes them, from photo-like pictures."""
    from PIL import Image, ImageFilter

    from photofind.core.thumbnails import GRID_BUCKET, encode_thumbnail
    from photofind.gui.workers.thumbnails import decode_thumbnail

    images = []
    for seed in range(count):
        picture = Image.effect_noise((1200, 900), 40 + seed).convert("RGB")
        picture = picture.filter(ImageFilter.GaussianBlur(2))
        images.append(decode_thumbnail(encode_thumbnail(picture, GRID_BUCKET)))
    return images


def fill_store(store, grid, images) -> int:
    """Put a distinct pixmap for every cell on screen into the store, as if each had been
    loaded: returns how many."""
    from PySide6.QtGui import QPixmap, QTransform

    from photofind.core.thumbnails import bucket_for

    bucket = bucket_for(round(grid.delegate.size * grid.delegate.device_ratio))
    rows = grid.visible_rows()
    for row in rows:
        image = images[row % len(images)]
        if grid.model.rows.heights[row] > grid.model.rows.widths[row]:
            image = image.transformed(QTransform().rotate(90))
        store._pixmaps[(grid.model.rows.path(row), bucket)] = QPixmap.fromImage(image)
    return len(rows)


def median_paint_ms(widget, repaints: int) -> float:
    for _ in range(5):  # the delegate renders each rounded picture once
        widget.repaint()
    times = []
    for _ in range(repaints):
        start = time.perf_counter()
        widget.repaint()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(size: tuple[int, int], repaints: int, images) -> str:
    from PySide6.QtWidgets import QApplication

    from photofind.core.thumbnails import ThumbnailCache
    from photofind.gui.browse.grid import BrowseGrid
    from photofind.gui.browse.model import BrowseModel
    from photofind.gui.results.delegate import ThumbnailDelegate
    from photofind.gui.results.pixmaps import ThumbnailStore
    from photofind.gui.workers.thumbnails import ThumbnailLoader

    with tempfile.TemporaryDirectory() as folder:
        loader = ThumbnailLoader(ThumbnailCache(Path(folder)))
        store = ThumbnailStore(loader)
        model = BrowseModel()
        model.set_rows(synthetic_rows())
        delegate = ThumbnailDelegate(store, 160)
        grid = BrowseGrid(model, delegate)
        grid.resize(*size)
        grid.show()
        QApplication.processEvents()  # shown and exposed: repaint() paints from here on
        grid.set_thumbnail_size(160)
        grid.verticalScrollBar().setValue(grid.row_rect(PER_MONTH * 3).top())
        first = grid.visible_rows().start
        grid.select_rows(range(first + 2, first + 6), current=first + 3)
        grid.setFocus()
        cells = fill_store(store, grid, images)
        grid.select_rows(range(first + 2, first + 6), current=first + 3)
        before = delegate.painted_thumbnails
        grid.viewport().repaint()
        pictures = delegate.painted_thumbnails - before
        paint = median_paint_ms(grid.viewport(), repaints)
        grid.select_rows(range(len(model.rows)), current=first + 3)  # Ctrl+A
        selected = median_paint_ms(grid.viewport(), repaints)
        view = grid.viewport()
        shown = grid.visible_rows()
        file_dated = int(model.rows.order.sources[shown.start : shown.stop].sum())
        line = (f"{view.width()}x{view.height()} viewport at {grid.devicePixelRatioF():g}x: "
                f"{cells} cells ({pictures} pictures, {file_dated} file-dated): "
                f"paint median {paint:.2f} ms, all selected {selected:.2f} ms")  # fmt: skip
        grid.close()
        loader.shutdown()
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repaints", type=int, default=200)
    parser.add_argument("--size", action="append", help="WxH of the grid (repeatable)")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    screen = app.primaryScreen().availableGeometry().size()
    default = (min(DEFAULT_WINDOW[0], int(screen.width() * 0.92)),
               min(DEFAULT_WINDOW[1], int(screen.height() * 0.92)))  # fmt: skip
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.size or ()]
    sizes = sizes or [default, (1600, 1000)]
    images = thumbnail_images(12)
    for size in sizes:
        print(measure(size, args.repaints, images))


if __name__ == "__main__":
    main()
