"""Scanner: which files count as photos, walking real folders (hidden entries, symlink loops,
broken links, nested roots), and the plan that compares the disk with the catalog."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.core.catalog import Catalog, IndexedPhoto
from photofind.core.images import open_image
from photofind.core.scanner import plan, walk

MODEL = "model-a"


def touch(path: Path, data: bytes = b"not really an image") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def names(roots: list[Path]) -> list[str]:
    return [os.path.relpath(f.path, roots[0]) for f in walk(roots)]


def test_extensions_are_matched_case_insensitively_and_others_ignored(tmp_path: Path):
    for name in ("a.JPG", "b.Png", "c.HEIC", "d.jpeg", "e.webp", "f.TiFF", "g.avif", "h.gif"):
        touch(tmp_path / name)
    for name in ("notes.txt", "movie.MOV", "a.jpg.txt", "jpg", "x.jpgx", "noext"):
        touch(tmp_path / name)
    touch(tmp_path / "raw.CR2")
    assert names([tmp_path]) == [
        "a.JPG",
        "b.Png",
        "c.HEIC",
        "d.jpeg",
        "e.webp",
        "f.TiFF",
        "g.avif",
        "h.gif",
        "raw.CR2",
    ]


def test_found_files_carry_size_and_mtime(tmp_path: Path):
    path = touch(tmp_path / "a.jpg", b"12345")
    os.utime(path, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    (found,) = walk([tmp_path])
    assert (found.path, found.size, found.mtime_ns) == (path, 5, 1_600_000_000_123_456_789)


def test_hidden_folders_and_files_are_skipped(tmp_path: Path):
    touch(tmp_path / "visible.jpg")
    touch(tmp_path / ".hidden.jpg")
    touch(tmp_path / ".thumbnails" / "t.jpg")
    touch(tmp_path / "album" / ".cache" / "c.jpg")
    touch(tmp_path / "album" / "in-album.jpg")
    assert names([tmp_path]) == ["visible.jpg", os.path.join("album", "in-album.jpg")]


def test_symlink_loop_terminates_and_lists_each_file_once(tmp_path: Path):
    touch(tmp_path / "dir" / "a.jpg")
    touch(tmp_path / "dir" / "sub" / "b.jpg")
    (tmp_path / "dir" / "loop").symlink_to(tmp_path / "dir")
    (tmp_path / "dir" / "sub" / "up").symlink_to(tmp_path / "dir", target_is_directory=True)
    found = names([tmp_path / "dir"])
    assert sorted(found) == ["a.jpg", os.path.join("sub", "b.jpg")]


def test_broken_symlink_is_skipped(tmp_path: Path):
    touch(tmp_path / "ok.jpg")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    (tmp_path / "dangling-dir").symlink_to(tmp_path / "gone-dir", target_is_directory=True)
    assert names([tmp_path]) == ["ok.jpg"]


@pytest.mark.parametrize("inner_first", [False, True])
def test_nested_roots_do_not_duplicate_files(tmp_path: Path, inner_first: bool):
    outer, inner = tmp_path / "photos", tmp_path / "photos" / "2024"
    touch(outer / "a.jpg")
    touch(inner / "b.jpg")
    touch(inner / "trip" / "c.jpg")
    roots = [inner, outer] if inner_first else [outer, inner]
    paths = [f.path for f in walk(roots)]
    assert len(paths) == len(set(paths)) == 3
    assert set(paths) == {outer / "a.jpg", inner / "b.jpg", inner / "trip" / "c.jpg"}


def test_missing_root_yields_nothing(tmp_path: Path):
    touch(tmp_path / "here" / "a.jpg")
    paths = [f.path for f in walk([tmp_path / "not-mounted", tmp_path / "here"])]
    assert paths == [tmp_path / "here" / "a.jpg"]


def test_png_named_jpg_is_found_and_decodes(tmp_path: Path):
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:, :30] = (200, 10, 10)
    Image.fromarray(pixels).save(tmp_path / "really-a-png.jpg", format="PNG")
    (found,) = walk([tmp_path])
    assert found.path.name == "really-a-png.jpg"
    img = open_image(found.path)
    assert img.size == (60, 40)
    assert np.array_equal(np.asarray(img), pixels)


# -- plan -------------------------------------------------------------------------------


@pytest.fixture
def cat(tmp_path: Path):
    catalog = Catalog(tmp_path / "data" / "catalog.sqlite3")
    yield catalog
    catalog.close()


def record(cat: Catalog, path: Path, content: bytes = b"h") -> int:
    st = path.stat()
    info = IndexedPhoto(path, st.st_size, st.st_mtime_ns, content.ljust(16, b"\0"), 1, 1, 0.0)
    return cat.record_indexed(info, MODEL, np.ones(4, np.float32))


def make_plan(cat: Catalog, roots: list[Path]):
    return plan(roots, cat.all_photos(), set(cat.embedding_ids(MODEL).tolist()))


def test_plan_sorts_files_into_unchanged_todo_and_vanished(cat: Catalog, tmp_path: Path):
    root = tmp_path / "photos"
    same = touch(root / "same.jpg")
    resized = touch(root / "resized.jpg")
    retimed = touch(root / "retimed.jpg")
    gone = touch(root / "gone.jpg")
    failed_same = touch(root / "failed-same.jpg")
    failed_changed = touch(root / "failed-changed.jpg")
    ids = {p.name: record(cat, p, p.name.encode()) for p in (same, resized, retimed, gone)}
    for p in (failed_same, failed_changed):
        cat.record_failed(p, p.stat().st_size, p.stat().st_mtime_ns, "The file is empty.")

    resized.write_bytes(b"more bytes than before, so another size")
    st = retimed.stat()
    os.utime(retimed, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    os.utime(failed_changed, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    gone.unlink()
    new = touch(root / "sub" / "new.jpg")

    result = make_plan(cat, [root])
    assert result.unchanged == 2  # same.jpg, and failed-same.jpg (not retried)
    assert sorted(f.path for f in result.todo) == sorted([resized, retimed, failed_changed, new])
    assert set(result.vanished) == {ids["gone.jpg"]}
    assert result.vanished[ids["gone.jpg"]].path == gone
    assert result.offline_roots == []


def test_plan_redoes_unchanged_photos_without_an_embedding(cat: Catalog, tmp_path: Path):
    """An interrupted run or a newly chosen model: the row is there, the vector is not."""
    path = touch(tmp_path / "photos" / "a.jpg")
    record(cat, path)
    result = plan([tmp_path / "photos"], cat.all_photos(), embedded_ids=set())
    assert [f.path for f in result.todo] == [path]
    assert result.unchanged == 0


def test_unreachable_root_keeps_its_photos(cat: Catalog, tmp_path: Path):
    drive, drive_2 = tmp_path / "usb", tmp_path / "usb2"  # one name a prefix of the other
    home = tmp_path / "home"
    on_drive = record(cat, touch(drive / "a.jpg"))
    on_drive_2 = record(cat, touch(drive_2 / "b.jpg"))
    touch(drive_2 / "other.jpg")  # drive_2 is plugged in: it still holds a photo
    at_home = record(cat, touch(home / "c.jpg"))
    (drive_2 / "b.jpg").unlink()
    (drive / "a.jpg").unlink()
    drive.rmdir()  # unplugged

    result = make_plan(cat, [drive, drive_2, home])
    assert result.offline_roots == [drive]
    assert on_drive not in result.vanished
    assert set(result.vanished) == {on_drive_2}, "a deleted file beside an offline root goes"
    assert result.unchanged == 1 and at_home not in result.vanished


def test_folder_that_cannot_be_listed_keeps_its_photos(cat, tmp_path, monkeypatch):
    root = tmp_path / "photos"
    kept = record(cat, touch(root / "share" / "a.jpg"))
    gone = record(cat, touch(root / "b.jpg"))
    (root / "b.jpg").unlink()
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("share"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = make_plan(cat, [root])
    assert result.unreadable_folders == [root / "share"]
    assert set(result.vanished) == {gone}
    assert kept not in result.vanished


def test_empty_root_is_a_drive_unplugged_from_its_mount_point(cat: Catalog, tmp_path: Path):
    mount = tmp_path / "mnt" / "photos"
    kept = record(cat, touch(mount / "a.jpg"))
    (mount / "a.jpg").unlink()  # the folder stays behind, empty, when the drive goes
    result = make_plan(cat, [mount])
    assert result.offline_roots == [mount]
    assert kept not in result.vanished

    touch(mount / "new.jpg")  # something is there again: deletions count once more
    result = make_plan(cat, [mount])
    assert result.offline_roots == [] and set(result.vanished) == {kept}


# -- what the walk never enters ---------------------------------------------------------


@pytest.mark.parametrize(
    "folder",
    [
        "@eaDir",  # Synology thumbnails
        "#recycle",
        "#snapshot",
        "@Recycle",  # QNAP
        "@Recently-Snapshot",
        "$RECYCLE.BIN",  # Windows
        "$Recycle.Bin",
        "System Volume Information",
        ".Trash-1000",
        ".@__thumb",
    ],
)
def test_thumbnail_cache_and_trash_folders_are_skipped(tmp_path: Path, folder: str):
    touch(tmp_path / "album" / "a.jpg")
    touch(tmp_path / "album" / folder / "a.jpg" / "SYNOFILE_THUMB_XL.jpg")
    touch(tmp_path / "album" / folder / "b.jpg")
    assert names([tmp_path]) == [os.path.join("album", "a.jpg")]


def test_a_library_folder_with_a_skipped_name_is_still_walked(tmp_path: Path):
    """The names are skipped below a library folder; one the user chose is theirs."""
    touch(tmp_path / "#recycle" / "a.jpg")
    assert names([tmp_path / "#recycle"]) == ["a.jpg"]


def test_photofind_own_folders_inside_a_library_are_skipped(tmp_path: Path):
    library = tmp_path / "photos"
    touch(library / "a.jpg")
    data = library / "photofind-data"
    touch(data / "cache" / "thumbnails" / "ab" / "abcdef.jpg")
    touch(data / "models" / "m" / "sample.png")
    elsewhere = tmp_path / "cache-elsewhere"
    touch(elsewhere / "t.jpg")
    (library / "linked-cache").symlink_to(elsewhere)  # reached through a link: skipped too
    found = [f.path for f in walk([library], skip=[data, elsewhere])]
    assert found == [library / "a.jpg"]


def test_a_library_folder_that_is_the_data_folder_keeps_its_photos(tmp_path: Path):
    touch(tmp_path / "a.jpg")
    touch(tmp_path / "cache" / "thumbnails" / "t.jpg")
    found = [f.path for f in walk([tmp_path], skip=[tmp_path, tmp_path / "cache"])]
    assert found == [tmp_path / "a.jpg"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_links_to_system_folders_are_not_followed(tmp_path: Path):
    touch(tmp_path / "a.jpg")
    (tmp_path / "proc").symlink_to("/proc")
    (tmp_path / "cwd").symlink_to("/proc/self/cwd")  # the way into the whole machine
    if os.path.isdir("/sys"):
        (tmp_path / "sys").symlink_to("/sys")
    if os.path.isdir("/dev"):
        (tmp_path / "dev").symlink_to("/dev")
    problems: dict[Path, str] = {}
    assert [f.path for f in walk([tmp_path], problems=problems)] == [tmp_path / "a.jpg"]
    assert "system folder /proc" in problems[tmp_path / "proc"]
    assert "it is not followed" in problems[tmp_path / "cwd"]  # it resolves to where we are


def test_links_to_folders_outside_the_library_are_not_followed(tmp_path: Path):
    library, outside = tmp_path / "photos", tmp_path / "elsewhere"
    touch(library / "a.jpg")
    touch(library / "2024" / "b.jpg")
    touch(outside / "c.jpg")
    touch(outside / "single.jpg")
    (library / "outside").symlink_to(outside)
    (library / "same-2024").symlink_to(library / "2024")  # inside: fine, and listed once
    (library / "one-photo.jpg").symlink_to(outside / "single.jpg")  # a file link: one file
    problems: dict[Path, str] = {}
    found = sorted(os.path.relpath(f.path, library) for f in walk([library], problems=problems))
    assert found == [os.path.join("2024", "b.jpg"), "a.jpg", "one-photo.jpg"]
    assert list(problems) == [library / "outside"]
    assert str(outside) in problems[library / "outside"]


def test_links_into_another_library_folder_are_followed(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    touch(a / "x.jpg")
    touch(b / "y.jpg")
    (a / "to-b").symlink_to(b)
    problems: dict[Path, str] = {}
    found = {f.path.name for f in walk([a, b], problems=problems)}
    assert found == {"x.jpg", "y.jpg"} and problems == {}


def test_a_root_that_is_a_link_is_walked_and_its_inner_links_count_as_inside(tmp_path: Path):
    real = tmp_path / "disk" / "Pictures"
    touch(real / "2024" / "a.jpg")
    (real / "latest").symlink_to(real / "2024")
    (tmp_path / "Pictures").symlink_to(real)
    problems: dict[Path, str] = {}
    found = [f.path for f in walk([tmp_path / "Pictures"], problems=problems)]
    assert found == [tmp_path / "Pictures" / "2024" / "a.jpg"] and problems == {}


# -- odd values -------------------------------------------------------------------------

SQLITE_MAX_INT = 2**63 - 1


@pytest.mark.parametrize("mtime_ns", [2**63, 2**63 + 10**9 * 3600 * 24 * 365, SQLITE_MAX_INT])
def test_modification_time_after_2262_fits_the_catalog(cat: Catalog, tmp_path: Path, mtime_ns):
    path = touch(tmp_path / "photos" / "future.jpg")
    os.utime(path, ns=(mtime_ns, mtime_ns))
    if os.stat(path).st_mtime_ns != mtime_ns:
        pytest.skip("this file system does not store such a modification time")
    (found,) = walk([tmp_path / "photos"])
    assert found.mtime_ns == min(mtime_ns, SQLITE_MAX_INT)
    cat.record_failed(found.path, found.size, found.mtime_ns, "The file is empty.")
    again = make_plan(cat, [tmp_path / "photos"])
    assert again.unchanged == 1 and again.todo == []


# -- folders that cannot be read are reported, not skipped silently ---------------------


def test_folder_that_cannot_be_listed_is_reported_with_a_reason(cat, tmp_path, monkeypatch):
    root = tmp_path / "photos"
    touch(root / "share" / "a.jpg")
    touch(root / "b.jpg")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("share"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = make_plan(cat, [root])
    assert list(result.folder_problems) == [root / "share"]
    assert "Permission denied" in result.folder_problems[root / "share"]


def deep_tree(base: Path, monkeypatch) -> tuple[Path, Path]:
    """Nested folders whose full path passes the system's limit (PATH_MAX, 4096 bytes on
    Linux), made one level at a time with relative paths, which have no such limit. Returns
    the root and a photo that lies beyond the limit."""
    limit = os.pathconf(base, "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    root = base / "deep"
    root.mkdir()
    touch(root / "shallow.jpg")
    monkeypatch.chdir(root)
    depth = 0
    while len(os.fsencode(root)) + depth * 201 <= limit + 400:
        os.mkdir("d" * 200)
        os.chdir("d" * 200)
        depth += 1
    with open("beyond.jpg", "wb") as f:
        f.write(b"far away")
    return root, root.joinpath(*["d" * 200] * depth, "beyond.jpg")


def test_folder_beyond_the_path_length_limit_is_reported(cat, tmp_path, monkeypatch):
    root, beyond = deep_tree(tmp_path, monkeypatch)
    result = make_plan(cat, [root])
    assert [f.path.name for f in result.todo] == ["shallow.jpg"]
    (problem,) = result.folder_problems
    assert str(beyond).startswith(str(problem) + os.sep)
    assert "longer than" in result.folder_problems[problem]
    assert problem in result.unreadable_folders  # kept like a folder that cannot be listed
