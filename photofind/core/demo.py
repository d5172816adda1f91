"""The offline demo: a small library of synthetic shape photos for the built-in model.

``photofind demo`` (and the GUI's "Try the demo" button) writes about 120 photos of
coloured shapes into ``data_dir/demo-library`` and adds that folder to the library. The
built-in tiny-shapes model knows exactly these pictures, so a new user sees search work
within seconds, offline, before installing a real CLIP model.

The photos are written into a temporary folder and renamed into place when complete, so
an interrupted run never leaves a half-made demo that would be taken for a finished one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from photofind.core.catalog import Catalog
from photofind.core.config import AppPaths
from photofind.core.scanner import is_photo_name
from photofind.core.shapes import generate_library

DEMO_FOLDER = "demo-library"
DEMO_COUNT = 120  # 5 of each of the 24 colour+shape classes: enough to scroll, ~3 s to make
DEMO_SEED = 20_240_517
DEMO_SIZES = (400, 1000)  # long side in px: photo-like, yet quick to write, index and preview


def demo_folder(paths: AppPaths) -> Path:
    return paths.data_dir / DEMO_FOLDER


def _has_photos(folder: Path) -> bool:
    return folder.is_dir() and any(is_photo_name(p.name) for p in folder.iterdir())


def ensure_demo_photos(paths: AppPaths, count: int = DEMO_COUNT) -> Path:
    """The demo folder, writing its photos first if it has none. Returns its path."""
    folder = demo_folder(paths)
    if _has_photos(folder):
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    generate_library(partial, count, seed=DEMO_SEED, size_range=DEMO_SIZES)
    if folder.exists():
        shutil.rmtree(folder)  # an empty or photo-less leftover
    partial.rename(folder)
    return folder


def create_demo_library(paths: AppPaths, catalog: Catalog, count: int = DEMO_COUNT) -> Path:
    """Make the demo photos (once) and add their folder to the library."""
    folder = ensure_demo_photos(paths, count)
    catalog.add_folder(folder)
    return folder


def is_demo_folder(paths: AppPaths, folder: Path) -> bool:
    return Path(folder).absolute() == demo_folder(paths).absolute()
