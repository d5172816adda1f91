"""Tidying the thumbnail cache of a 100k-photo library (``core.thumbnail_upkeep``). Prints,
never asserts.

The catalog of ``benchmarks/.cache/gui-100k-<model>`` (made by gui_startup.py) is copied to
a temporary folder, never changed in place, and a cache is made beside it the way the
library would have one: a grid entry (256 px) for every photo, a preview (512 px) for one
photo in ten, and ``--stale`` entries no photo has (edited, moved or removed photos). The
entries are small files (the size of a file does not change listing or removing it). Then:

* **keys**: reading (path, size, mtime) of every photo and hashing its four keys;
* **tidy**: the whole of ``tidy_thumbnails`` (keys, listing, removals), first with the stale
  entries and a budget that removes half the previews, then again with nothing to remove.

The page cache is warm (the files were just written): a cold disk lists slower.

    .venv/bin/python benchmarks/thumbnail_tidy.py [--model tiny-shapes] [--stale 5000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind.core.catalog import Catalog  # noqa: E402
from photofind.core.thumbnail_upkeep import live_keys, tidy_thumbnails  # noqa: E402
from photofind.core.thumbnails import ThumbnailCache, entry_keys  # noqa: E402

ENTRY = b"\xff\xd8" + b"\0" * 98


def make_cache(catalog: Catalog, root: Path, stale: int) -> int:
    """Returns the bytes of the previews written."""
    previews = 0
    rows = catalog.select("SELECT path, size, mtime_ns FROM photos")
    for n, (raw, size, mtime_ns) in enumerate(rows):
        _, grid, preview, _ = entry_keys(os.path.abspath(raw), size, mtime_ns)
        for key in (grid, preview) if n % 10 == 0 else (grid,):
            name = key.hex()
            (root / name[:2]).mkdir(parents=True, exist_ok=True)
            (root / name[:2] / f"{name}.jpg").write_bytes(ENTRY)
            previews += len(ENTRY) if key == preview else 0
    for _ in range(stale):
        name = os.urandom(16).hex()
        (root / name[:2]).mkdir(parents=True, exist_ok=True)
        (root / name[:2] / f"{name}.jpg").write_bytes(ENTRY)
    return previews


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-shapes")
    parser.add_argument("--stale", type=int, default=5000)
    args = parser.parse_args()
    source = ROOT / "benchmarks" / ".cache" / f"gui-100k-{args.model}" / "catalog.sqlite3"
    if not source.is_file():
        sys.exit(f"{source} is missing: run benchmarks/gui_startup.py first")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "catalog.sqlite3"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        catalog = Catalog(target, read_only=True)
        cache = ThumbnailCache(Path(tmp) / "thumbnails")
        preview_bytes = make_cache(catalog, cache.root, args.stale)
        started = time.perf_counter()
        keys = live_keys(catalog)
        print(f"keys: {len(keys):,} in {(time.perf_counter() - started) * 1000:.0f} ms")
        for label, budget in (("with removals", preview_bytes // 2), ("nothing to do", 1 << 40)):
            started = time.perf_counter()
            result = tidy_thumbnails(catalog, cache, budget_bytes=budget)
            ms = (time.perf_counter() - started) * 1000
            print(
                f"tidy, {label}: {ms:.0f} ms, {result.looked_at:,} files, {result.removed:,} removed"
            )
        catalog.close()
        shutil.rmtree(cache.root)


if __name__ == "__main__":
    main()
