"""Library ▸ Find duplicates…: the groups of a generated library with exact copies and
re-encodes, the facts on each photo, the photo to keep changeable, and moving the others
to the trash (a folder of the test's own) for one group or every group of a kind, after
which the catalog, the grids and the counts have forgotten them."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from helpers.gui import wait_indexed
from PySide6.QtCore import Qt

from photofind.core.shapes import render
from photofind.gui.dialogs.duplicates import DuplicatesDialog, show_duplicates

BASE_TIME = 1_600_000_000


class FolderTrash:
    """Moves a "trashed" file into a folder of the test's, as the desktop's trash would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        self.asked: list[Path] = []

    def __call__(self, path: str) -> None:
        self.asked.append(Path(path))
        shutil.move(path, self.folder / f"{len(self.asked)}-{Path(path).name}")


def make_library(folder: Path) -> dict[str, Path]:
    """A picture saved four ways plus an exact copy, another with an exact copy, and two
    distinct shots; each original is the oldest file of its picture."""
    (folder / "copies").mkdir(parents=True)
    rng = random.Random(1313)
    files: dict[str, Path] = {}
    wave = render("red", "circle", (720, 540), rng)
    files["red"] = folder / "red-orig.jpg"
    wave.save(files["red"], "JPEG", quality=92)
    files["red-copy"] = Path(shutil.copyfile(files["red"], folder / "copies" / "red-orig.jpg"))
    files["red-q60"] = folder / "red-q60.jpg"
    wave.save(files["red-q60"], "JPEG", quality=60)
    files["red-half"] = folder / "red-half.jpg"
    wave.resize((360, 270)).save(files["red-half"], "JPEG", quality=85)
    files["red-png"] = folder / "red.png"
    wave.save(files["red-png"], "PNG")
    blue = render("blue", "square", (600, 600), rng)
    files["blue"] = folder / "blue-orig.jpg"
    blue.save(files["blue"], "JPEG", quality=92)
    files["blue-copy"] = Path(shutil.copyfile(files["blue"], folder / "copies" / "blue-orig.jpg"))
    for name, (colour, shape) in {
        "green": ("green", "triangle"),
        "star": ("yellow", "star"),
    }.items():
        files[name] = folder / f"{name}.jpg"
        render(colour, shape, (640, 480), rng).save(files[name], "JPEG", quality=90)
    for age, path in enumerate(files.values()):
        os.utime(path, (BASE_TIME + age, BASE_TIME + age))
    return files


@pytest.fixture
def duplicates_library(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path / "dups"
    return folder, make_library(folder)


def open_review(qtbot, window, trash: FolderTrash | None = None) -> DuplicatesDialog:
    if trash is not None:
        window.photo_actions.trash_function = trash
    dialog = show_duplicates(window)
    qtbot.waitUntil(lambda: dialog.found_once and not dialog.finding, timeout=30_000)
    return dialog


def group_paths(dialog: DuplicatesDialog, kind: str) -> list[set[Path]]:
    return [{p.path for p in g.photos} for g in dialog.groups[kind]]


def browse_paths(window) -> set[Path]:
    rows = window.browse.model.rows
    return {rows.path(row) for row in range(len(rows))}


def test_the_review_shows_exact_copies_and_the_same_picture_with_their_facts(
    qtbot, make_window, duplicates_library
):
    folder, files = duplicates_library
    window = make_window([folder])
    wait_indexed(qtbot, window)
    dialog = open_review(qtbot, window)

    exact = group_paths(dialog, "exact")
    assert sorted(exact, key=sorted) == sorted(
        [{files["red"], files["red-copy"]}, {files["blue"], files["blue-copy"]}], key=sorted
    )
    same = group_paths(dialog, "same")
    red_versions = {files[k] for k in ("red", "red-copy", "red-q60", "red-half", "red-png")}
    assert red_versions in same
    assert not any(files["green"] in g or files["star"] in g for g in same + exact)
    assert dialog.kind == "exact" and dialog.kind_buttons["exact"].isChecked()
    assert dialog.kind_buttons["exact"].text() == "Exact copies (2)"
    assert len(dialog.rows) == 2

    # The suggested photo is marked on its card, and its facts are the file's.
    row = next(r for r in dialog.rows if files["blue"] in {c.photo.path for c in r.cards})
    kept = next(c for c in row.cards if c.keep_button.isChecked())
    assert kept.photo.path == files["blue"]  # the oldest of two equal copies
    assert kept.fate.text() == "Stays (suggested)"
    assert [c.fate.text() for c in row.cards if c is not kept] == ["Goes to the trash"]
    lines = kept.facts.text().splitlines()
    assert lines[0] == "600 × 600" and lines[1].startswith("JPG · ")
    assert lines[2] != "No date" and lines[3:] == ["(the file's date)"]  # no EXIF in these

    qtbot.mouseClick(dialog.kind_buttons["same"], Qt.MouseButton.LeftButton)
    assert dialog.kind == "same"
    shown = [{c.photo.path for c in r.cards} for r in dialog.rows]
    assert red_versions in shown
    red_row = dialog.rows[shown.index(red_versions)]
    # The largest resolution in the original format is suggested, never the half-size copy.
    assert red_row.group.keep.path in (files["red"], files["red-copy"])
    qtbot.waitUntil(lambda: all(c.picture.pixmap() is not None and not c.picture.pixmap().isNull()
                                for r in dialog.rows for c in r.cards), timeout=10_000)  # fmt: skip


def test_moving_the_others_of_one_group_keeps_the_chosen_photo_and_the_library_forgets_them(
    qtbot, make_window, duplicates_library, tmp_path
):
    folder, files = duplicates_library
    window = make_window([folder])
    wait_indexed(qtbot, window)
    photos_before = window.session.counts.photos
    trash = FolderTrash(tmp_path / "trash")
    dialog = open_review(qtbot, window, trash)
    dialog.set_kind("same")
    red_versions = {files[k] for k in ("red", "red-copy", "red-q60", "red-half", "red-png")}
    row = next(r for r in dialog.rows if {c.photo.path for c in r.cards} == red_versions)

    png = next(c for c in row.cards if c.photo.path == files["red-png"])
    qtbot.mouseClick(png.keep_button, Qt.MouseButton.LeftButton)
    assert row.group.keep.path == files["red-png"] and png.fate.text() == "Stays"
    qtbot.mouseClick(row.trash_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog._job is None and set(trash.asked) == red_versions - {
        files["red-png"]}, timeout=10_000)  # fmt: skip

    assert files["red-png"].exists()
    assert not any(p.exists() for p in red_versions - {files["red-png"]})
    assert len(os.listdir(trash.folder)) == 4
    catalog = window.session.library.catalog
    assert all(catalog.photo_by_path(p) is None for p in red_versions - {files["red-png"]})
    assert catalog.photo_by_path(files["red-png"]) is not None
    assert window.session.counts.photos == photos_before - 4
    qtbot.waitUntil(lambda: browse_paths(window).isdisjoint(red_versions - {files["red-png"]}))
    assert files["red-png"] in browse_paths(window)
    # The red exact-copy group has lost a photo and is gone; the blue one is untouched.
    assert group_paths(dialog, "exact") == [{files["blue"], files["blue-copy"]}]
    assert not any(red_versions & g for g in group_paths(dialog, "same"))
    assert dialog.status.text().startswith("Moved 4 photos to the trash")


def test_moving_the_others_of_every_exact_group_leaves_one_of_each(
    qtbot, make_window, duplicates_library, tmp_path
):
    folder, files = duplicates_library
    window = make_window([folder])
    wait_indexed(qtbot, window)
    trash = FolderTrash(tmp_path / "trash")
    dialog = open_review(qtbot, window, trash)
    assert dialog.trash_all_button.text() == "Move the others to trash in all 2 groups"
    dialog.trash_kind(confirm=False)
    qtbot.waitUntil(lambda: dialog._job is None and len(trash.asked) == 2, timeout=10_000)

    assert sorted(trash.asked) == sorted([files["red-copy"], files["blue-copy"]])
    assert files["red"].exists() and files["blue"].exists()
    assert dialog.groups["exact"] == [] and not dialog.trash_all_button.isVisible()
    assert dialog.rows == [] and dialog.status.text().startswith("Moved 2 photos to the trash")
    dialog.set_kind("same")
    dialog.set_kind("exact")
    assert dialog.status.text() == "No exact copies in the library."
    catalog = window.session.library.catalog
    assert catalog.photo_by_path(files["red-copy"]) is None
    # Looking again finds what the catalog now holds: no exact copies, the red picture's
    # other versions still the same picture.
    dialog.find()
    qtbot.waitUntil(lambda: not dialog.finding, timeout=30_000)
    assert dialog.groups["exact"] == []
    assert {files["red"], files["red-q60"], files["red-half"], files["red-png"]} in group_paths(
        dialog, "same"
    )


def test_closing_the_window_while_the_review_looks_stops_its_thread(
    qtbot, make_window, duplicates_library
):
    folder, _files = duplicates_library
    window = make_window([folder])
    wait_indexed(qtbot, window)
    dialog = show_duplicates(window)
    assert dialog.finding  # looked for on its own thread: the window answers meanwhile
    window.close()
    assert not dialog.finding  # and the live-thread check after the test sees none left
