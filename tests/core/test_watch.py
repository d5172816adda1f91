"""The library watcher on real folders with the tiny model: new, changed, moved and deleted
photos reach search; a slow copy is never indexed half-written; a burst is a few runs;
polling takes over when the system cannot watch; an emptied, unplugged or busy library
loses nothing."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from photofind.core import watch as watch_module
from photofind.core.config import BUSY_TIMEOUT_ENV, app_paths
from photofind.core.drives import polling_reason
from photofind.core.library import Library, open_library
from photofind.core.scanner import FoundFile
from photofind.core.shapes import generate_library
from photofind.core.watch import LibraryWatcher, WatchEvent, WatchNote, WatchRun
from photofind.core.watch_changes import ChangeHandler, PendingChanges

pytestmark = pytest.mark.slow

MODEL = "tiny-shapes"
SIZES = (200, 300)
WAIT_S = 60.0  # a bound for a busy machine, not a speed requirement


@pytest.fixture(scope="module")
def newcomers(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Photos whose bytes are in no test library: what gets copied in."""
    folder = tmp_path_factory.mktemp("newcomers")
    return [p.path for p in generate_library(folder, 6, seed=77, size_range=SIZES)]


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One large photo (tens of kB: shapes compress well) to copy slowly."""
    folder = tmp_path_factory.mktemp("big")
    return generate_library(folder, 1, seed=5, formats=("jpeg",), size_range=(1600, 1600))[0].path


class Recorder:
    """Collects the watcher's events (on its thread) for the test to look at."""

    def __init__(self) -> None:
        self.events: list[WatchEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: WatchEvent) -> None:
        with self.lock:
            self.events.append(event)

    def runs(self) -> list[WatchRun]:
        with self.lock:
            return [e for e in self.events if isinstance(e, WatchRun)]

    def notes(self, kind: str | None = None) -> list[WatchNote]:
        with self.lock:
            return [e for e in self.events if isinstance(e, WatchNote) and kind in (None, e.kind)]


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.05)


def searchable(lib: Library) -> set[str]:
    return {os.fspath(h.path) for h in lib.search.search(text="a red circle", k=1000)}


def old(path: Path) -> None:
    """Date a freshly written file back, as photos copied with their times are."""
    t = time.time() - 3600
    os.utime(path, (t, t))


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    for p in generate_library(folder, 6, seed=3, size_range=SIZES):
        old(p.path)
    return folder


@pytest.fixture
def lib(tmp_path: Path, photos: Path):
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos)
    yield library
    library.close()


@pytest.fixture
def start(lib: Library):
    """start(**options) -> (watcher, recorder), with the first run done; stopped at the end."""
    started: list[LibraryWatcher] = []

    def start_watcher(**options) -> tuple[LibraryWatcher, Recorder]:
        recorder = Recorder()
        watcher = LibraryWatcher(lib, recorder, **options)
        started.append(watcher)
        watcher.start()
        wait_for(lambda: recorder.runs(), "the first run")
        return watcher, recorder

    yield start_watcher
    for watcher in started:
        watcher.request_stop()
        watcher.join(WAIT_S)
        assert not watcher.is_alive()


def test_new_photo_becomes_searchable(lib: Library, photos: Path, start, newcomers):
    watcher, rec = start()
    assert rec.runs()[0].progress.indexed == 6
    target = photos / newcomers[0].name
    shutil.copy(newcomers[0], target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "the new photo in search")
    wait_for(lambda: len(rec.runs()) >= 2, "the run's end")
    assert rec.runs()[1].progress.indexed == 1


def test_changed_photo_is_encoded_again(lib: Library, photos: Path, start, newcomers):
    watcher, rec = start()
    victim = sorted(photos.iterdir())[0]
    before = lib.catalog.photo_by_path(victim)
    shutil.copyfile(newcomers[1], victim)  # new bytes, same name
    wait_for(
        lambda: (
            (row := lib.catalog.photo_by_path(victim)) and row.content_hash != before.content_hash
        ),
        "the changed photo re-indexed",
    )
    wait_for(lambda: len(rec.runs()) >= 2, "the run's end")
    assert rec.runs()[1].progress.indexed == 1
    assert os.fspath(victim) in searchable(lib)


def test_moved_photo_keeps_its_embedding(lib: Library, photos: Path, start):
    watcher, rec = start()
    source = sorted(photos.iterdir())[0]
    row = lib.catalog.photo_by_path(source)
    (photos / "sub").mkdir()
    target = photos / "sub" / source.name
    source.rename(target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "the moved photo in search")
    assert lib.catalog.photo_by_path(target).id == row.id  # moved, not encoded again
    assert lib.catalog.photo_by_path(source) is None
    wait_for(lambda: len(rec.runs()) >= 2, "the run's end")
    assert sum(r.progress.indexed for r in rec.runs()[1:]) == 0


def test_deleted_photo_leaves_search(lib: Library, photos: Path, start):
    watcher, rec = start()
    victim = sorted(photos.iterdir())[0]
    victim.unlink()
    wait_for(lambda: lib.catalog.photo_by_path(victim) is None, "the deleted photo gone")
    assert os.fspath(victim) not in searchable(lib)
    assert lib.counts().photos == 5


def test_slow_copy_is_not_indexed_half_written(lib: Library, photos: Path, start, big_photo):
    """A copy that appends a chunk every 0.2 s for about 3 s (a slow drive, a network copy):
    the photo enters the catalog only once, complete."""
    watcher, rec = start()
    data = big_photo.read_bytes()
    target = photos / "slow.jpg"
    chunks = 15
    step = len(data) // chunks + 1
    done = threading.Event()

    def write_slowly() -> None:
        with open(target, "wb") as f:
            for i in range(0, len(data), step):
                f.write(data[i : i + step])
                f.flush()
                time.sleep(0.2)
        done.set()

    writer = threading.Thread(target=write_slowly)
    writer.start()
    while not done.is_set():
        row = lib.catalog.photo_by_path(target)
        assert row is None, f"indexed while {target.stat().st_size} of {len(data)} bytes written"
        time.sleep(0.02)
    writer.join()
    wait_for(lambda: os.fspath(target) in searchable(lib), "the slow copy in search")
    row = lib.catalog.photo_by_path(target)
    assert row.size == len(data) and row.status == "indexed"
    assert not [f for r in rec.runs() for f in r.failed]


def test_a_burst_is_indexed_in_a_few_runs(lib: Library, photos: Path, start, tmp_path: Path):
    burst = generate_library(
        tmp_path / "burst", 300, seed=8, formats=("jpeg",), size_range=(64, 96)
    )
    watcher, rec = start()
    runs_before = len(rec.runs())
    (photos / "import").mkdir()
    for p in burst:
        shutil.copy(p.path, photos / "import" / p.path.name)
    wait_for(
        lambda: sum(r.progress.indexed for r in rec.runs()[runs_before:]) == 300,
        "runs that indexed all 300 photos",
    )
    wait_for(lambda: watcher.waiting == 0, "no change left waiting")
    runs = rec.runs()[runs_before:]
    assert 1 <= len(runs) <= 5, [r.changes for r in runs]
    assert lib.counts().photos == 306


class RefusingObserver:
    """An inotify observer at the system's watch limit."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def start(self) -> None:
        pass

    def schedule(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    def stop(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass


def test_watch_limit_falls_back_to_polling_and_says_so_once(
    lib: Library, photos: Path, tmp_path: Path, start, newcomers, monkeypatch
):
    second = tmp_path / "more"
    generate_library(second, 2, seed=21, size_range=SIZES)
    lib.catalog.add_folder(second)
    monkeypatch.setattr(watch_module, "Observer", RefusingObserver)
    watcher, rec = start(poll_interval_s=0.3)
    assert sorted(watcher.polled) == sorted([photos, second])
    notes = rec.notes("polling")
    assert len(notes) == 1 and "limit" in notes[0].text, notes
    target = second / newcomers[2].name
    shutil.copy(newcomers[2], target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "a new photo in a polled folder")


def test_subfolders_the_system_left_unwatched_fall_back_to_polling(
    lib: Library, photos: Path, start, newcomers, monkeypatch
):
    (photos / "deep" / "er").mkdir(parents=True)
    monkeypatch.setattr(watch_module, "inotify_watches", lambda: 0)  # no watch was added
    watcher, rec = start(poll_interval_s=0.3)
    assert watcher.polled == [photos]
    assert len(rec.notes("polling")) == 1
    target = photos / "deep" / "er" / newcomers[3].name
    shutil.copy(newcomers[3], target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "a new photo deep down")


def test_forced_polling_sees_changes(lib: Library, photos: Path, start, newcomers):
    watcher, rec = start(force_polling=True, poll_interval_s=0.3)
    assert watcher.polled == [photos]
    target = photos / newcomers[4].name
    shutil.copy(newcomers[4], target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "a new photo, polled")


def test_an_emptied_folder_keeps_its_photos(lib: Library, photos: Path, start):
    """Every photo deleted at once (what an unmount looks like to the watcher): the storm of
    deletions is only a reason to run, and the run keeps the photos of an empty folder."""
    watcher, rec = start()
    for p in photos.iterdir():
        p.unlink()
    wait_for(lambda: len(rec.runs()) >= 2, "a run after the deletions")
    time.sleep(2 * watch_module.SETTLE_S)  # any further run has come by now
    assert lib.counts().photos == 6
    assert sum(r.progress.removed for r in rec.runs()) == 0


def test_a_folder_moved_away_and_back_is_watched_again(
    lib: Library, photos: Path, tmp_path: Path, start, newcomers, monkeypatch
):
    monkeypatch.setattr(watch_module, "RECHECK_S", 0.3)
    watcher, rec = start()
    away = tmp_path / "away"
    photos.rename(away)
    wait_for(lambda: rec.notes("offline"), "the folder noted offline")
    assert lib.counts().photos == 6
    away.rename(photos)
    wait_for(lambda: rec.notes("back"), "the folder noted back")
    target = photos / newcomers[5].name
    shutil.copy(newcomers[5], target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "a new photo after the comeback")
    assert lib.counts().photos == 7
    assert sum(r.progress.removed for r in rec.runs()) == 0


def test_an_unmounted_drive_keeps_its_photos(tmp_path: Path, newcomers, monkeypatch):
    mount = tmp_path / "drive"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a tmpfs needs root")
    try:
        for p in generate_library(mount / "photos", 4, seed=9, size_range=SIZES):
            old(p.path)
        monkeypatch.setattr(watch_module, "RECHECK_S", 0.3)
        library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
        library.catalog.add_folder(mount)
        rec = Recorder()
        watcher = LibraryWatcher(library, rec)
        watcher.start()
        try:
            wait_for(lambda: rec.runs(), "the first run")
            assert library.counts().photos == 4
            subprocess.run(["umount", "-l", str(mount)], check=True)
            wait_for(lambda: rec.notes("offline"), "the drive noted offline")
            time.sleep(2 * watch_module.SETTLE_S)
            assert library.counts().photos == 4
            assert sum(r.progress.removed for r in rec.runs()) == 0
        finally:
            watcher.request_stop()
            watcher.join(WAIT_S)
            library.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_busy_library_is_retried_and_said_once(
    tmp_path: Path, photos: Path, newcomers, monkeypatch
):
    """Another program holds the catalog's write lock: the run waits, says so once, and
    indexes the photo once the lock is released."""
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "0.2")
    monkeypatch.setattr(watch_module, "RETRY_S", 0.3)
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos)
    rec = Recorder()
    watcher = LibraryWatcher(library, rec)
    watcher.start()
    other = sqlite3.connect(library.catalog.path, isolation_level=None)
    try:
        wait_for(lambda: rec.runs(), "the first run")
        other.execute("BEGIN IMMEDIATE")
        target = photos / newcomers[0].name
        shutil.copy(newcomers[0], target)
        wait_for(lambda: rec.notes("problem"), "the busy library noted")
        time.sleep(1.5)  # a few retries
        other.execute("ROLLBACK")
        wait_for(lambda: os.fspath(target) in searchable(library), "the photo after the lock")
        notes = rec.notes("problem")
        assert len(notes) == 1 and "Another program" in notes[0].text, notes
    finally:
        other.close()
        watcher.request_stop()
        watcher.join(WAIT_S)
        library.close()


# -- the parts --------------------------------------------------------------------------


def test_a_file_modified_a_moment_ago_is_held_back(tmp_path: Path):
    changes = PendingChanges(settle_s=1.0)
    path = tmp_path / "a.jpg"
    path.write_bytes(b"x")
    st = path.stat()
    fresh = FoundFile(path, st.st_size, st.st_mtime_ns)  # no event about it yet
    assert changes.unsettled(fresh)
    assert len(changes) == 1  # it waits for the next run
    old(path)
    st = path.stat()
    assert not PendingChanges(settle_s=1.0).unsettled(FoundFile(path, st.st_size, st.st_mtime_ns))


def test_only_photos_outside_hidden_and_own_folders_count(tmp_path: Path):
    changes = PendingChanges(settle_s=1.0)
    own = tmp_path / "lib" / "data"
    handler = ChangeHandler(tmp_path / "lib", changes, [os.fspath(own)])

    class Event:
        def __init__(self, kind: str, src: Path, is_directory: bool = False) -> None:
            self.event_type, self.src_path, self.is_directory = kind, os.fspath(src), is_directory
            self.dest_path = ""

    root = tmp_path / "lib"
    for ignored in (
        Event("created", root / "notes.txt"),
        Event("created", root / ".hidden" / "a.jpg"),
        Event("created", root / "@eaDir" / "a.jpg"),
        Event("created", own / "cache" / "thumbnails" / "t.jpg"),
        Event("opened", root / "a.jpg"),
        Event("closed_no_write", root / "a.jpg"),
        Event("modified", root / "sub", is_directory=True),
    ):
        handler.on_any_event(ignored)
    assert len(changes) == 0
    handler.on_any_event(Event("closed", root / "a.jpg"))
    handler.on_any_event(Event("created", root / "sub", is_directory=True))
    assert len(changes) == 2


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /mnt/nas rw,relatime shared:20 - nfs4 nas:/photos rw,vers=4.2
41 22 8:17 / /run/media/ann/CARD rw,nosuid shared:21 - vfat /dev/sdb1 rw
42 22 8:33 / /run/media/ann/Backup\\040Disk rw,nosuid shared:22 - ext4 /dev/sdc1 rw
43 40 0:36 / /mnt/nas/local rw shared:23 - tmpfs tmpfs rw
"""


def test_network_and_removable_drives_are_polled(tmp_path: Path):
    info = tmp_path / "mountinfo"
    info.write_text(MOUNTINFO)

    def reason(folder: str) -> str | None:
        return polling_reason(Path(folder), os.fspath(info))

    assert reason("/home/ann/Pictures") is None
    assert reason("/mnt/nas/2024/summer") == "a network drive (nfs4)"
    assert reason("/mnt/nas/local/x") is None  # a local mount on top of the share
    assert reason("/run/media/ann/CARD/DCIM") == "a removable drive (vfat)"
    assert reason("/run/media/ann/Backup Disk/photos") == "a removable drive (ext4)"
    assert reason("/mnt/nasty") is None  # a name that only begins like a mount point


def test_a_folder_on_a_network_drive_is_polled_and_said_once(
    lib: Library, photos: Path, start, newcomers, monkeypatch
):
    monkeypatch.setattr(watch_module, "polling_reason", lambda folder: "a network drive (nfs4)")
    monkeypatch.setattr(watch_module, "RECHECK_S", 0.2)
    watcher, rec = start(poll_interval_s=0.3)
    assert watcher.polled == [photos]
    target = photos / newcomers[0].name
    shutil.copy(newcomers[0], target)
    wait_for(lambda: os.fspath(target) in searchable(lib), "a new photo on the share")
    notes = rec.notes("polling")
    assert len(notes) == 1 and "network drive (nfs4)" in notes[0].text, notes
