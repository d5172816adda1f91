"""Acting on photos, on a real indexed library: the trash (a fake one that really moves the
files, the real send2trash into a private home trash, a read-only drive that refuses), the
catalog and the search index forgetting trashed photos at once, and copying to a folder
without ever overwriting (name clashes, a missing photo, a full disk)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.disks import fill, read_only, small_tmpfs
from send2trash import TrashPermissionError

from photofind.core.config import app_paths
from photofind.core.library import Library, open_library
from photofind.core.photo_actions import copy_to_folder, free_name, move_to_trash

MODEL = "tiny-shapes"
ROOT = Path(__file__).resolve().parents[2]


class FolderTrash:
    """A trash that moves each file into a folder, as the desktop's would, and can be told
    to refuse some files with a given error."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.refuse: dict[str, OSError] = {}
        self.calls: list[str] = []

    def __call__(self, path: str) -> None:
        self.calls.append(path)
        if Path(path).name in self.refuse:
            raise self.refuse[Path(path).name]
        shutil.move(path, self.folder / Path(path).name)


@pytest.fixture
def indexed(tmp_path: Path, make_library):
    photos = make_library(6, seed=11, size_range=(120, 200))
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].path.parent)
    assert list(library.indexer().run())[-1].phase == "done"
    yield library
    library.close()


def ids_by_name(lib: Library) -> dict[str, int]:
    return {row.path.name: row.id for row in lib.catalog.all_photos().values()}


def searchable(lib: Library) -> set[int]:
    """The ids the vector index itself still returns (search hits are also filtered by the
    catalog, which would hide a photo the index kept)."""
    query = lib.search.text_embedding("a red circle")
    ids, _ = lib.search.index.search(query, 100)
    return {int(i) for i in ids}


def test_trashed_photos_leave_the_disk_folder_the_catalog_and_the_index(
    indexed: Library, tmp_path: Path
) -> None:
    trash = FolderTrash(tmp_path / "trash")
    by_name = ids_by_name(indexed)
    picked = sorted(by_name)[:2]
    paths = {name: indexed.catalog.photos([by_name[name]])[by_name[name]].path for name in picked}

    outcome = move_to_trash(indexed, [by_name[n] for n in picked], trash=trash)

    assert outcome.problems == ()
    assert sorted(outcome.trashed) == sorted(paths.values())
    assert set(outcome.forgotten_ids) == {by_name[n] for n in picked}
    for name, path in paths.items():
        assert not path.exists() and (trash.folder / name).exists()
    assert set(ids_by_name(indexed)) == set(by_name) - set(picked)
    assert searchable(indexed) == set(by_name.values()) - set(outcome.forgotten_ids)
    # an index run finds nothing to sweep and nothing to add back
    last = list(indexed.indexer().run())[-1]
    assert last.phase == "done" and set(ids_by_name(indexed)) == set(by_name) - set(picked)


def test_one_refused_file_is_one_sentence_and_the_others_go_on(
    indexed: Library, tmp_path: Path
) -> None:
    trash = FolderTrash(tmp_path / "trash")
    by_name = ids_by_name(indexed)
    first, second, third = sorted(by_name)[:3]
    trash.refuse[first] = TrashPermissionError(first)
    trash.refuse[second] = PermissionError(errno.EACCES, "Permission denied", second)

    outcome = move_to_trash(indexed, [by_name[first], by_name[second], by_name[third]], trash)

    assert len(trash.calls) == 3
    assert [p.path.name for p in outcome.problems] == [first, second]
    assert "has no trash photofind may use" in outcome.problems[0].reason
    assert "permission denied" in outcome.problems[1].reason
    for problem in outcome.problems:
        assert problem.reason.count(".") >= 1 and "\n" not in problem.reason
        assert problem.path.exists()  # never deleted instead
    assert outcome.forgotten_ids == (by_name[third],)
    assert {first, second} <= set(ids_by_name(indexed)) and third not in ids_by_name(indexed)
    assert {by_name[first], by_name[second]} <= searchable(indexed)


def test_a_photo_deleted_elsewhere_is_forgotten_an_unplugged_one_is_not(
    indexed: Library, tmp_path: Path
) -> None:
    trash = FolderTrash(tmp_path / "trash")
    by_name = ids_by_name(indexed)
    gone, elsewhere = sorted(by_name)[:2]
    rows = indexed.catalog.photos(by_name.values())
    rows[by_name[gone]].path.unlink()
    # The other photo's folder vanished (a drive unplugged): its row points at it.
    offline = tmp_path / "usb" / elsewhere
    indexed.catalog.move(by_name[elsewhere], offline, 1, 1)

    outcome = move_to_trash(indexed, [by_name[gone], by_name[elsewhere]], trash)

    assert trash.calls == []
    assert outcome.forgotten_ids == (by_name[gone],)
    assert [p.path for p in outcome.problems] == [offline]
    assert "not reachable now" in outcome.problems[0].reason
    assert elsewhere in ids_by_name(indexed) and gone not in ids_by_name(indexed)


def test_ids_already_forgotten_are_skipped(indexed: Library, tmp_path: Path) -> None:
    outcome = move_to_trash(indexed, [10_000], FolderTrash(tmp_path / "trash"))
    assert outcome.trashed == () and outcome.forgotten_ids == () and outcome.problems == ()


SCRIPT = """
import json, sys
from pathlib import Path
from photofind.core.config import app_paths
from photofind.core.library import open_library
from photofind.core.photo_actions import move_to_trash

library = open_library(app_paths(Path(sys.argv[1])), "tiny-shapes", "cpu")
ids = [int(i) for i in sys.argv[2:]]
outcome = move_to_trash(library, ids)
library.close()
print(json.dumps({"trashed": [str(p) for p in outcome.trashed],
                  "problems": [p.reason for p in outcome.problems]}))
"""


def test_the_real_trash_keeps_the_file_to_restore(indexed: Library, tmp_path: Path) -> None:
    """send2trash itself, in a process whose home trash is a private folder: the photo is
    in the trash with the record that lets the desktop put it back."""
    by_name = ids_by_name(indexed)
    name = sorted(by_name)[0]
    path = indexed.catalog.photos([by_name[name]])[by_name[name]].path
    data_dir = indexed.paths.data_dir
    indexed.close()
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(home / "share"), "HOME": str(home)}

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir), str(by_name[name])],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"trashed": [str(path)], "problems": []}
    assert not path.exists()
    assert (home / "share" / "Trash" / "files" / name).read_bytes()
    info = (home / "share" / "Trash" / "info" / f"{name}.trashinfo").read_text()
    assert f"Path={path}" in info
    reopened = open_library(app_paths(data_dir), MODEL, "cpu")
    try:
        assert name not in ids_by_name(reopened)
    finally:
        reopened.close()


def test_a_read_only_drive_refuses_and_the_photo_stays(indexed: Library, tmp_path: Path) -> None:
    """The real send2trash on a drive of its own (a tmpfs): its trash would be made at the
    top of that drive, which a read-only mount refuses."""
    drive = tmp_path / "drive"
    with small_tmpfs(drive, "2m"):
        by_name = ids_by_name(indexed)
        name = sorted(by_name)[0]
        row = indexed.catalog.photos([by_name[name]])[by_name[name]]
        shutil.copy2(row.path, drive / name)
        indexed.catalog.move(row.id, drive / name, row.size, row.mtime_ns)
        with read_only(drive):
            outcome = move_to_trash(indexed, [row.id])
            assert (drive / name).exists()
        assert outcome.trashed == () and outcome.forgotten_ids == ()
        (problem,) = outcome.problems
        assert problem.reason == (
            f"{name} was not moved to the trash: its drive is read-only; it is still in {drive}."
        )
        assert name in ids_by_name(indexed)


# -- copy to a folder ------------------------------------------------------------------------


def test_copy_never_overwrites(tmp_path: Path) -> None:
    source = tmp_path / "a" / "beach.jpg"
    other = tmp_path / "b" / "beach.jpg"
    for path, data in ((source, b"first photo"), (other, b"second photo")):
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    os.utime(source, (1_600_000_000, 1_600_000_000))
    target = tmp_path / "out"
    target.mkdir()
    (target / "beach.jpg").write_bytes(b"already there")

    outcome = copy_to_folder([source, other, source], target)

    assert outcome.problems == ()
    assert [dest.name for _, dest in outcome.copied] == [
        "beach (2).jpg", "beach (3).jpg", "beach (4).jpg",
    ]  # fmt: skip
    assert (target / "beach.jpg").read_bytes() == b"already there"
    assert (target / "beach (2).jpg").read_bytes() == b"first photo"
    assert (target / "beach (3).jpg").read_bytes() == b"second photo"
    assert (target / "beach (2).jpg").stat().st_mtime == 1_600_000_000  # the date, for no EXIF
    assert source.read_bytes() == b"first photo"  # a copy, not a move


def test_free_name_without_a_suffix(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("x")
    assert free_name(tmp_path, "README") == tmp_path / "README (2)"
    assert free_name(tmp_path, "new.png") == tmp_path / "new.png"


def test_copy_problems_are_sentences_and_the_rest_go_on(tmp_path: Path) -> None:
    good = tmp_path / "good.jpg"
    good.write_bytes(b"photo")
    missing = tmp_path / "missing.jpg"
    target = tmp_path / "out"
    target.mkdir()

    outcome = copy_to_folder([missing, good], target)

    assert [dest for _, dest in outcome.copied] == [target / "good.jpg"]
    (problem,) = outcome.problems
    assert problem.reason == f"missing.jpg was not copied: it is no longer in {tmp_path}."

    nowhere = copy_to_folder([good], tmp_path / "no such folder")
    assert nowhere.copied == ()
    assert nowhere.problems[0].reason.endswith(
        "is not a folder that exists; choose another folder."
    )


def test_copy_to_a_full_disk_stops_and_leaves_no_half_copy(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(os.urandom(600_000))
    small = tmp_path / "small.jpg"
    small.write_bytes(b"s" * 1000)
    with small_tmpfs(tmp_path / "drive", "1m") as drive:
        fill(drive, leave=300_000)

        outcome = copy_to_folder([small, big, small], drive)

        assert [dest.name for _, dest in outcome.copied] == ["small.jpg"]
        assert outcome.not_tried == (big, small)
        (problem,) = outcome.problems
        assert problem.reason == (
            f"The disk holding {drive} is full; 2 of the photos were not copied (free some "
            "space and copy them again)."
        )
        assert sorted(p.name for p in drive.iterdir()) == ["filler.bin", "small.jpg"]


def test_copy_to_a_read_only_folder(tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"photo")
    with small_tmpfs(tmp_path / "drive", "1m") as drive, read_only(drive):
        outcome = copy_to_folder([photo], drive)
    (problem,) = outcome.problems
    assert problem.reason.startswith(f"p.jpg was not copied: {drive} cannot be written (")
    assert problem.reason.endswith("choose a folder you may write to.")
