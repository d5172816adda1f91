"""Real disks that misbehave, for tests: a small tmpfs that can be filled, and a folder made
read-only by remounting it. Both need root (``mount``); a test skips where it is refused.

Why not chmod: as root a permission bit refuses nothing, and a full disk cannot be faked
with one either; a real file system says ENOSPC and EROFS itself, through every layer
(SQLite, hnswlib's C++ streams, Python's own writes).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = "filler.bin"


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"this machine refuses mount {' '.join(args)}: {result.stderr.strip()}")


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` for the duration."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", os.fspath(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", os.fspath(folder)], check=False)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the disk holding ``folder`` until only ``leave`` bytes are free (0: full)."""
    filler = folder / FILLER
    with open(filler, "ab", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
            if free <= leave:
                break
            f.write(b"\0" * min(1 << 16, max(free - leave, 1)))
    return filler


def free_space(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder / FILLER).unlink()


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` (a tmpfs from :func:`small_tmpfs`) remounted read-only for the duration."""
    _mount("-o", "remount,ro", os.fspath(folder))
    try:
        yield folder
    finally:
        subprocess.run(["mount", "-o", "remount,rw", os.fspath(folder)], check=False)
