"""Library folders through the indexer, on real files with the tiny model: a renamed folder
moves its rows instead of doubling them, a folder is forgotten with its photos, folders that
cannot be read are recorded, photofind's own and system folders are refused or skipped, and
odd modification times are indexed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from photofind.core.config import app_paths
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library, open_library
from photofind.core.library_folders import (
    OFFLINE,
    OK,
    UNREADABLE,
    FolderError,
    folder_states,
    forget_folder,
)
from photofind.core.shapes import generate_library

MODEL = "tiny-shapes"


@pytest.fixture(scope="module")
def source_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("source8")
    generate_library(folder, 8, seed=31, size_range=(200, 400))
    return folder


@pytest.fixture
def lib(tmp_path: Path):
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    yield library
    library.close()


def run(lib: Library) -> IndexProgress:
    progress = list(lib.indexer().run())
    assert progress[-1].phase == "done"
    return progress[-1]


def rows(lib: Library) -> dict[Path, int]:
    return {r.path: r.id for r in lib.catalog.all_photos().values()}


def vectors(lib: Library) -> dict[int, bytes]:
    ids, vecs = lib.catalog.embeddings(lib.encoder.model_id)
    return {int(i): v.tobytes() for i, v in zip(ids, vecs, strict=True)}


def copy_library(source: Path, to: Path) -> Path:
    shutil.copytree(source, to)
    return to


# -- a renamed library folder -----------------------------------------------------------


def test_a_renamed_library_folder_moves_its_photos(lib, tmp_path, source_photos):
    old = copy_library(source_photos, tmp_path / "Pictures")
    (old / "broken.jpg").write_bytes(b"")  # a failed file moves along with the rest
    lib.catalog.add_folder(old)
    first = run(lib)
    assert (first.indexed, first.failed) == (8, 1)
    before_rows, before_vectors = rows(lib), vectors(lib)

    new = old.rename(tmp_path / "Photos")
    lib.catalog.add_folder(new)
    last = run(lib)
    assert (last.indexed, last.reused) == (0, 8), "moved, not encoded again"
    after = rows(lib)
    assert sorted(after) == sorted(new / p.relative_to(old) for p in before_rows)
    assert {after[new / p.relative_to(old)] for p in before_rows if p.name != "broken.jpg"} == {
        i for p, i in before_rows.items() if p.name != "broken.jpg"
    }, "same ids: they are the labels in the search index"
    assert vectors(lib) == before_vectors
    assert lib.catalog.folders() == [new], "the old folder is gone from the library"

    hits = lib.search.search(text="a red circle", k=20)
    assert hits and all(h.path.is_file() for h in hits)
    assert len(hits) == 8


def test_a_folder_moved_in_part_keeps_what_did_not_turn_up(lib, tmp_path, source_photos):
    old = copy_library(source_photos, tmp_path / "usb")
    lib.catalog.add_folder(old)
    run(lib)
    copied = sorted(old.iterdir())[:3]
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    for p in copied:
        shutil.copy2(p, laptop / p.name)
    shutil.rmtree(old)  # the drive unplugged; three photos had been copied to the laptop
    lib.catalog.add_folder(laptop)
    last = run(lib)
    assert (last.indexed, last.reused, last.removed) == (0, 3, 0)
    assert lib.catalog.folders() == [old, laptop], "the drive keeps the photos not seen elsewhere"
    paths = set(rows(lib))
    assert len(paths) == 8 and {laptop / p.name for p in copied} <= paths


def test_an_unplugged_drive_with_no_copy_elsewhere_keeps_its_photos(lib, tmp_path, source_photos):
    drive = copy_library(source_photos, tmp_path / "usb")
    lib.catalog.add_folder(drive)
    run(lib)
    shutil.rmtree(drive)
    last = run(lib)
    assert last.removed == 0 and lib.catalog.folders() == [drive] and len(rows(lib)) == 8


def test_search_does_not_show_a_gone_path_when_the_photo_is_elsewhere(lib, tmp_path, source_photos):
    """Two copies in the catalog; one file deleted since the last run."""
    a = copy_library(source_photos, tmp_path / "a")
    b = copy_library(source_photos, tmp_path / "b")
    lib.catalog.add_folder(a)
    lib.catalog.add_folder(b)
    run(lib)
    gone = sorted(a.iterdir())[0]
    gone.unlink()
    hits = lib.search.search(images=[b / gone.name], k=16)
    paths = [h.path for h in hits]
    assert gone not in paths
    assert paths.count(b / gone.name) == 1 and paths[0] == b / gone.name
    assert len(paths) == 15


# -- forgetting a folder ----------------------------------------------------------------


def test_forget_folder_removes_its_photos_but_not_those_of_a_surrounding_folder(
    lib, tmp_path, source_photos
):
    outer = copy_library(source_photos, tmp_path / "photos")
    inner = copy_library(source_photos, outer / "2024")
    other = copy_library(source_photos, tmp_path / "other")
    for f in (inner, other):
        lib.catalog.add_folder(f)
    run(lib)
    removed = forget_folder(lib.catalog, other)
    assert len(removed) == 8
    assert lib.catalog.folders() == [inner]
    assert all(not p.is_relative_to(other) for p in rows(lib)) and len(rows(lib)) == 8
    assert other.is_dir() and len(list(other.iterdir())) == 8, "nothing leaves the disk"

    lib.catalog.add_folder(outer)
    run(lib)
    assert forget_folder(lib.catalog, inner) == [], "its photos are still in photos/"
    assert lib.catalog.folders() == [outer] and len(rows(lib)) == 16


@pytest.mark.parametrize("name", ["", "not-a-library-folder"])
def test_forget_folder_that_is_not_one_says_so(lib, tmp_path, name):
    with pytest.raises(FolderError, match="not a library folder"):
        forget_folder(lib.catalog, name and tmp_path / name)


def test_folder_states(lib, tmp_path, source_photos, monkeypatch):
    ok = copy_library(source_photos, tmp_path / "ok")
    (ok / "broken.jpg").write_bytes(b"")
    gone, empty = tmp_path / "gone", tmp_path / "empty"
    locked = copy_library(source_photos, tmp_path / "locked")
    empty.mkdir()
    for f in (ok, gone, empty, locked):
        lib.catalog.add_folder(f)
    run(lib)
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    states = {s.path: s for s in folder_states(lib.catalog)}
    assert (states[ok].state, states[ok].photos, states[ok].failed) == (OK, 8, 1)
    assert states[gone].state == OFFLINE and "not reachable" in states[gone].reason
    assert states[empty].state == OFFLINE and "empty" in states[empty].reason
    assert states[locked].state == UNREADABLE and "Permission denied" in states[locked].reason
    assert states[locked].photos == 8


# -- what may be a library folder -------------------------------------------------------


def test_an_empty_folder_name_is_refused(lib):
    with pytest.raises(FolderError, match="empty"):
        lib.catalog.add_folder("")
    assert lib.catalog.folders() == []


@pytest.mark.parametrize("path", ["/proc", "/proc/self/cwd", "/sys", "/dev", "/dev/shm"])
def test_system_folders_are_refused(lib, path):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(FolderError, match="system folder"):
        lib.catalog.add_folder(Path(path))
    assert lib.catalog.folders() == []


def test_a_link_to_proc_added_as_folder_is_refused(lib, tmp_path):
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux /proc")
    (tmp_path / "innocent").symlink_to("/proc")
    with pytest.raises(FolderError, match="system folder /proc"):
        lib.catalog.add_folder(tmp_path / "innocent")


# -- photofind's own folders inside the library -----------------------------------------


def test_data_folder_inside_the_library_is_not_indexed(tmp_path, source_photos):
    library_root = copy_library(source_photos, tmp_path / "photos")
    paths = app_paths(library_root / "photofind")
    paths.thumbnails_dir.mkdir(parents=True)
    for p in sorted(library_root.glob("*.png"))[:2]:  # thumbnails look like photos
        shutil.copy(p, paths.thumbnails_dir / p.name)
    lib = open_library(paths, MODEL, "cpu")
    try:
        lib.catalog.add_folder(library_root)
        last = run(lib)
        assert (last.indexed, last.reused) == (8, 0)
        assert all(not p.is_relative_to(paths.data_dir) for p in rows(lib))
    finally:
        lib.close()


# -- folders that cannot be read --------------------------------------------------------


def test_folders_that_cannot_be_listed_are_recorded_until_they_can(
    lib, tmp_path, source_photos, monkeypatch
):
    root = copy_library(source_photos, tmp_path / "photos")
    share = copy_library(source_photos, root / "share")
    lib.catalog.add_folder(root)
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(share):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    run(lib)
    ((path, reason),) = lib.catalog.folder_problems()
    assert path == share and "Permission denied" in reason

    cancelled = __import__("threading").Event()
    cancelled.set()
    monkeypatch.setattr(os, "scandir", real_scandir)
    list(lib.indexer().run(cancelled))
    assert lib.catalog.folder_problems() == [(share, reason)], "a partial scan changes nothing"
    run(lib)
    assert lib.catalog.folder_problems() == []
    assert len(rows(lib)) == 16


# -- odd values -------------------------------------------------------------------------


def test_a_photo_dated_after_2262_is_indexed_and_then_unchanged(lib, tmp_path, source_photos):
    root = copy_library(source_photos, tmp_path / "photos")
    future = sorted(root.iterdir())[0]
    os.utime(future, ns=(2**63 + 10**18, 2**63 + 10**18))
    if os.stat(future).st_mtime_ns <= 2**63 - 1:
        pytest.skip("this file system does not store such a modification time")
    lib.catalog.add_folder(root)
    first = run(lib)
    assert (first.indexed, first.failed) == (8, 0)
    again = run(lib)
    assert (again.indexed, again.unchanged) == (0, 8)
    assert np.isfinite(lib.catalog.photo_by_path(future).taken_at)


def test_a_library_folder_beyond_the_path_length_limit_is_unreadable_not_offline(
    lib, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    parts = []
    while len(os.fsencode(tmp_path)) + len(parts) * 201 <= 4096 + 400:  # past PATH_MAX
        os.mkdir("d" * 200)
        os.chdir("d" * 200)
        parts.append("d" * 200)
    deep = tmp_path.joinpath(*parts)
    lib.catalog.add_folder(deep)
    (state,) = folder_states(lib.catalog)
    assert state.state == UNREADABLE and "longer than" in state.reason
