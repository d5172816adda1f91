"""Indexing never stalls and never gives a photo up for good: files that fail for a passing
reason (a folder moved away and back, a permission fixed) come back on the next run; a
file that is huge, endless or blocks is one failed entry while the others are indexed."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from photofind.core.catalog import CONTENT, TRANSIENT
from photofind.core.config import app_paths
from photofind.core.indexer import Indexer, IndexProgress
from photofind.core.library import Library, open_library
from photofind.core.shapes import generate_library

MODEL = "tiny-shapes"
SIZES = (200, 320)
UNBLOCK_AFTER_S = 60.0  # a broken indexer that waits on a blocked read fails, not hangs


@pytest.fixture(scope="module")
def trip_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 photos to copy from, read-only."""
    folder = tmp_path_factory.mktemp("trip30")
    generate_library(folder, 30, seed=31, size_range=SIZES)
    return folder


@pytest.fixture(scope="module")
def home_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 more photos whose bytes are not among ``trip_photos``, read-only."""
    folder = tmp_path_factory.mktemp("home6")
    generate_library(folder, 6, seed=32, size_range=SIZES)
    return folder


@pytest.fixture
def root(tmp_path: Path, trip_photos: Path, home_photos: Path) -> Path:
    folder = tmp_path / "photos"
    shutil.copytree(trip_photos, folder / "trip")
    shutil.copytree(home_photos, folder / "home")
    return folder


@pytest.fixture
def lib(tmp_path: Path, root: Path) -> Iterator[Library]:
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(root)
    yield library
    library.close()


def run(lib: Library, **options) -> IndexProgress:
    progress = list(lib.indexer(**options).run())
    assert progress[-1].phase == "done"
    return progress[-1]


def kinds(lib: Library) -> dict[str, str | None]:
    return {r.path.name: r.failure_kind for r in lib.catalog.all_photos().values() if r.error}


def searchable(lib: Library) -> set[Path]:
    return {h.path for h in lib.search.search("a red circle", k=1000)}


def photo_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def after_scan(monkeypatch: pytest.MonkeyPatch, change) -> None:
    """Make ``change()`` happen after the scan has listed the files, before they are read."""
    real_scan = Indexer.scan

    def scan_then_change(self: Indexer, cancel=None):
        plan = real_scan(self, cancel)
        change()
        return plan

    monkeypatch.setattr(Indexer, "scan", scan_then_change)


def after_first_commit(monkeypatch: pytest.MonkeyPatch, change) -> None:
    real_commit = Indexer._commit
    commits: list[int] = []

    def commit_then_change(self: Indexer, *args):
        done = real_commit(self, *args)
        commits.append(done)
        if len(commits) == 1:
            change()
        return done

    monkeypatch.setattr(Indexer, "_commit", commit_then_change)


def refuse_open(monkeypatch: pytest.MonkeyPatch, path: Path, error: OSError) -> None:
    real_open = os.open

    def fake_open(target, flags, *args, **kw):
        if os.fspath(target) == os.fspath(path):
            raise error
        return real_open(target, flags, *args, **kw)

    monkeypatch.setattr(os, "open", fake_open)


# -- transient failures come back -------------------------------------------------------


@pytest.mark.parametrize("when", ["after-scan", "mid-run"])
def test_a_folder_moved_away_and_back_is_indexed_again(lib, root, tmp_path, monkeypatch, when):
    away = tmp_path / "away"

    def move_away() -> None:
        (root / "trip").rename(away)

    (after_scan if when == "after-scan" else after_first_commit)(monkeypatch, move_away)
    first = run(lib, batch_size=4)
    assert first.indexed + first.failed == 36
    assert first.failed >= 12, "most of the trip was read after it went away"
    failures = dict(lib.catalog.failures())
    assert all(p.parent == root / "trip" for p in failures)
    assert all("disappeared" in r for r in failures.values())
    assert set(kinds(lib).values()) == {TRANSIENT}

    monkeypatch.undo()
    away.rename(root / "trip")  # back unchanged: same sizes, same mtimes
    second = run(lib, batch_size=4)
    assert (second.indexed, second.failed, second.unchanged) == (first.failed, 0, first.indexed)
    assert lib.catalog.failures() == []
    assert searchable(lib) == photo_files(root)


def test_a_permission_fixed_is_retried(lib, root, monkeypatch):
    denied = sorted((root / "home").iterdir())[2]
    refuse_open(monkeypatch, denied, PermissionError(13, "Permission denied", str(denied)))
    first = run(lib)
    assert (first.indexed, first.failed) == (35, 1)
    assert "Permission denied" in dict(lib.catalog.failures())[denied]
    assert kinds(lib) == {denied.name: TRANSIENT}

    monkeypatch.undo()  # the permissions are fixed
    second = run(lib)
    assert (second.total, second.indexed, second.failed) == (1, 1, 0)
    assert denied in searchable(lib)


def test_an_io_error_is_retried(lib, root, monkeypatch):
    flaky = sorted((root / "trip").iterdir())[5]
    refuse_open(monkeypatch, flaky, OSError(5, "Input/output error", str(flaky)))
    first = run(lib)
    assert first.failed == 1
    assert dict(lib.catalog.failures())[flaky] == "The file cannot be read (Input/output error)."
    assert kinds(lib) == {flaky.name: TRANSIENT}
    monkeypatch.undo()
    assert run(lib).indexed == 1


def full_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_a_truncated_jpeg_waits_for_a_change(lib, root):
    whole = full_jpeg()
    broken = root / "home" / "broken.jpg"
    broken.write_bytes(whole[: len(whole) // 2])
    first = run(lib)
    assert (first.indexed, first.failed) == (36, 1)
    assert kinds(lib) == {"broken.jpg": CONTENT}

    second = run(lib)
    assert (second.total, second.unchanged) == (0, 37), "unchanged content is not retried"
    assert "truncated or corrupt" in dict(lib.catalog.failures())[broken]

    broken.write_bytes(whole)  # the download finished
    third = run(lib)
    assert (third.total, third.indexed, third.failed) == (1, 1, 0)
    assert broken in searchable(lib)


# -- huge, endless and blocking files ---------------------------------------------------


def test_a_huge_sparse_file_is_one_failure(lib, root):
    huge = root / "home" / "scan.tif"
    with open(huge, "wb") as fh:
        fh.truncate(64 * 1024**3)  # 64 GB of holes: instant, takes no disk space
    last = run(lib)
    assert (last.indexed, last.failed) == (36, 1)
    reason = dict(lib.catalog.failures())[huge]
    assert (
        reason == "The file is too large to be a photo (69 GB; photofind reads files up to 2 GB)."
    )
    assert kinds(lib) == {"scan.tif": CONTENT}


def test_hashes_are_those_of_the_whole_file(lib, root):
    """Hashing in chunks gives the digest of the whole file: catalogs written before it
    still match renamed photos by content."""
    run(lib)
    for row in lib.catalog.all_photos().values():
        whole = hashlib.blake2b(row.path.read_bytes(), digest_size=16).digest()
        assert row.content_hash == whole


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_photo_replaced_by_a_link_to_dev_zero(lib, root, monkeypatch):
    endless = sorted((root / "trip").iterdir())[3]

    def replace() -> None:
        endless.unlink()
        endless.symlink_to("/dev/zero")

    after_scan(monkeypatch, replace)
    last = run(lib)
    assert (last.indexed, last.failed) == (35, 1)
    assert "not a regular file" in dict(lib.catalog.failures())[endless]


@pytest.fixture
def make_fifo() -> Iterator[Callable[[Path], None]]:
    """Make a FIFO that nobody writes to: opened for reading without O_NONBLOCK, it blocks
    until someone opens it for writing, which a timer does in the end whatever happens."""
    made: list[Path] = []

    def release() -> None:
        for path in made:
            with contextlib.suppress(OSError):  # no reader waiting: nothing to release
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    timer = threading.Timer(UNBLOCK_AFTER_S, release)
    timer.daemon = True
    timer.start()

    def make(path: Path) -> None:
        os.mkfifo(path)
        made.append(path)

    yield make
    timer.cancel()
    release()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_photo_replaced_by_a_fifo_after_the_scan(lib, root, monkeypatch, make_fifo):
    piped = sorted((root / "trip").iterdir())[7]

    def replace() -> None:
        piped.unlink()
        make_fifo(piped)

    after_scan(monkeypatch, replace)
    last = run(lib, read_timeout_s=UNBLOCK_AFTER_S * 2)
    assert (last.indexed, last.failed) == (35, 1)
    assert "not a regular file" in dict(lib.catalog.failures())[piped]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_read_that_never_returns_times_out(lib, root, tmp_path, monkeypatch, make_fifo):
    """A stalled network share: opening one photo never returns."""
    stalled = sorted((root / "trip").iterdir())[0]
    fifo = tmp_path / "share.fifo"
    make_fifo(fifo)
    real_open = os.open

    def stalling_open(target, flags, *args, **kw):
        if os.fspath(target) == os.fspath(stalled):
            return real_open(fifo, os.O_RDONLY)
        return real_open(target, flags, *args, **kw)

    monkeypatch.setattr(os, "open", stalling_open)
    last = run(lib, read_timeout_s=1.0)
    assert (last.indexed, last.failed) == (35, 1)
    assert dict(lib.catalog.failures())[stalled] == (
        "Reading the file took longer than 1 s (a stalled drive or network share?); "
        "it is tried again on the next run."
    )
    assert kinds(lib) == {stalled.name: TRANSIENT}
    stuck = [t for t in threading.enumerate() if t.name.startswith("photofind-read")]
    assert stuck, "the read is still blocked"
    assert all(t.daemon for t in stuck), "a blocked read must not keep the process alive at exit"

    monkeypatch.undo()  # the share answers again
    again = run(lib, read_timeout_s=1.0)
    assert (again.total, again.indexed, again.failed) == (1, 1, 0)
    assert searchable(lib) == photo_files(root)
