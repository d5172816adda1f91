"""Duplicates on a real indexed library (tiny model): a generated set of pictures, each
kept the ways copies pile up (an exact copy, re-encodes, a resize, PNG and WebP
conversions, a small crop), beside distinct shots of the same colour and shape, which must
never be called exact or same. Also: the photo to keep, perceptual hashes filled for old
rows from the thumbnail cache without decoding a photo, and moving the others to a trash."""

from __future__ import annotations

import itertools
import os
import random
import shutil
from pathlib import Path

import pytest
from PIL import Image

from photofind.core import phash_fill
from photofind.core.config import app_paths
from photofind.core.duplicate_actions import others_to_trash, trash_others
from photofind.core.duplicates import DuplicateGroup, duplicate_groups
from photofind.core.library import Library, open_library
from photofind.core.phash import hamming
from photofind.core.shapes import random_size, render

MODEL = "tiny-shapes"
CLASSES = [("red", "circle"), ("blue", "square"), ("green", "triangle"), ("yellow", "star"),
           ("purple", "circle"), ("orange", "square")]  # fmt: skip
SHOTS_PER_CLASS = 2  # pictures with variants
SINGLES_PER_CLASS = 1  # more distinct shots of the class, no variants
# (left, top, right, bottom) fractions cut away: at most 5% of a side in all
CROPS = [(0.05, 0, 0, 0), (0.025, 0.025, 0.025, 0.025), (0, 0.03, 0, 0.02), (0, 0, 0.04, 0.01)]
BASE_TIME = 1_600_000_000


def _variants(img: Image.Image, folder: Path, name: str, crop: tuple[float, ...]) -> list[Path]:
    """The original and its copies, oldest first."""
    w, h = img.size
    box = (round(w * crop[0]), round(h * crop[1]), w - round(w * crop[2]), h - round(h * crop[3]))
    (folder / "copies").mkdir(exist_ok=True)
    orig = folder / f"{name}-orig.jpg"
    img.save(orig, "JPEG", quality=92)
    copy = shutil.copyfile(orig, folder / "copies" / orig.name)
    made = {
        folder / f"{name}-q60.jpg": (img, "JPEG", {"quality": 60}),
        folder / f"{name}-half.jpg": (img.resize((w // 2, h // 2)), "JPEG", {"quality": 85}),
        folder / f"{name}.png": (img, "PNG", {}),
        folder / f"{name}.webp": (img, "WEBP", {"quality": 80}),
        folder / f"{name}-crop.jpg": (img.crop(box), "JPEG", {"quality": 90}),
    }
    for path, (picture, fmt, options) in made.items():
        picture.save(path, fmt, **options)
    return [orig, copy, *made]


def make_duplicate_set(folder: Path) -> dict[Path, int]:
    """Photo -> the number of the picture it shows."""
    folder.mkdir(parents=True)
    rng = random.Random(2025)
    truth: dict[Path, int] = {}
    shots = itertools.product(CLASSES, range(SHOTS_PER_CLASS + SINGLES_PER_CLASS))
    for picture, ((colour, shape), n) in enumerate(shots):
        img = render(colour, shape, random_size(rng, 500, 900), rng)
        name = f"{colour}-{shape}-{n}"
        if n < SHOTS_PER_CLASS:
            paths = _variants(img, folder, name, CROPS[picture % len(CROPS)])
        else:
            paths = [folder / f"{name}-single.jpg"]
            img.save(paths[0], "JPEG", quality=92)
        for age, path in enumerate(paths):  # the original is the oldest file
            os.utime(path, (BASE_TIME + age, BASE_TIME + age))
            truth[path] = picture
    return truth


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, int]]:
    root = tmp_path_factory.mktemp("dups")
    truth = make_duplicate_set(root / "photos")
    data = root / "data"
    library = open_library(app_paths(data), MODEL, "cpu")
    library.catalog.add_folder(root / "photos")
    last = list(library.indexer().run())[-1]
    assert (last.indexed + last.reused, last.failed) == (len(truth), 0)
    library.close()
    return data, truth


@pytest.fixture
def library(dataset, tmp_path: Path):
    """A private copy of the indexed data folder (some tests change the catalog)."""
    data = tmp_path / "data"
    shutil.copytree(dataset[0], data)
    lib = open_library(app_paths(data), MODEL, "cpu")
    yield lib
    lib.close()


def groups_of(library: Library, **options) -> list[DuplicateGroup]:
    return duplicate_groups(
        library.catalog, library.index, library.encoder.model_id,
        thumbnails=library.thumbnails, **options,
    )  # fmt: skip


def pairs(groups: list[DuplicateGroup], kinds: tuple[str, ...]) -> set[frozenset[Path]]:
    return {
        frozenset((a.path, b.path))
        for g in groups if g.kind in kinds
        for a, b in itertools.combinations(g.photos, 2)
    }  # fmt: skip


def test_exact_and_same_find_the_copies_and_never_join_distinct_shots(library, dataset):
    truth = dataset[1]
    groups = groups_of(library)
    predicted = pairs(groups, ("exact", "same"))
    actual = {
        frozenset((a, b)) for a, b in itertools.combinations(truth, 2) if truth[a] == truth[b]
    }
    hits = len(predicted & actual)
    precision, recall = hits / max(1, len(predicted)), hits / len(actual)
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)
    # Distinct shots of one class: never exact, never same.
    for g in groups:
        if g.kind in ("exact", "same"):
            assert len({truth[p.path] for p in g.photos}) == 1, [p.path.name for p in g.photos]


def test_each_kind_has_its_own_groups(library, dataset):
    truth = dataset[1]
    groups = groups_of(library)
    exact = [g for g in groups if g.kind == "exact"]
    # One exact group per picture with variants: the original and its copy, nothing else.
    assert len(exact) == len(CLASSES) * SHOTS_PER_CLASS
    for g in exact:
        assert sorted(p.path.name for p in g.photos) == [g.keep.path.name] * 2
        assert g.keep.path.parent.name == "photos"  # the older file of the two
    for g in (g for g in groups if g.kind == "same"):
        assert g.keep.path.name.endswith("-orig.jpg") and g.keep.path.parent.name == "photos"
        names = {p.path.name.split("-")[-1] for p in g.photos}
        assert {"orig.jpg", "q60.jpg", "half.jpg"} <= names
    # --kind: only that kind, the same groups.
    assert groups_of(library, kinds=("exact",)) == exact
    assert [g for g in groups if g.kind == "same"] == groups_of(library, kinds=("same",))
    for g in (g for g in groups if g.kind == "similar"):  # more than one same group in each
        assert len({truth[p.path] for p in g.photos}) > 1


def _null_hashes(library: Library) -> dict[int, int]:
    before = dict(library.catalog.select("SELECT id, phash FROM photos"))
    with library.catalog.transaction() as db:
        db.execute("UPDATE photos SET phash = NULL")
    return before


def test_old_rows_get_their_hashes_from_the_thumbnails_without_decoding_a_photo(
    library, monkeypatch
):
    before = _null_hashes(library)
    assert all(h is not None for h in before.values())

    def no_decode(*args, **kwargs):
        raise AssertionError("a photo was decoded although its thumbnail was cached")

    monkeypatch.setattr(phash_fill, "open_image", no_decode)
    assert list(library.indexer().run())[-1].phase == "done"
    after = dict(library.catalog.select("SELECT id, phash FROM photos"))
    assert after.keys() == before.keys()
    assert max(hamming(before[i], after[i]) for i in before) <= 6


def test_without_thumbnails_old_rows_are_hashed_from_their_files(library, dataset):
    before = _null_hashes(library)
    shutil.rmtree(library.paths.thumbnails_dir)
    assert list(library.indexer(thumbnails=None).run())[-1].phase == "done"
    after = dict(library.catalog.select("SELECT id, phash FROM photos"))
    assert max(hamming(before[i], after[i]) for i in before) <= 6
    assert pairs(groups_of(library), ("same",))


def test_a_read_only_library_hashes_in_memory_and_writes_nothing(library, dataset):
    expected = pairs(groups_of(library), ("exact", "same"))
    _null_hashes(library)
    library.close()
    paths = app_paths(library.paths.data_dir)
    catalog_bytes = paths.catalog_path.read_bytes()
    looking = open_library(paths, MODEL, "cpu", read_only=True)
    try:
        found = duplicate_groups(
            looking.catalog, looking.index, looking.encoder.model_id, thumbnails=looking.thumbnails
        )
        assert pairs(found, ("exact", "same")) == expected
        assert looking.catalog.select("SELECT COUNT(*) FROM photos WHERE phash IS NOT NULL") == [
            (0,)
        ]
    finally:
        looking.close()
    assert paths.catalog_path.read_bytes() == catalog_bytes


class FolderTrash:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()

    def __call__(self, path: str) -> None:
        shutil.move(path, self.folder / f"{len(os.listdir(self.folder))}-{Path(path).name}")


def test_moving_the_others_of_a_kind_to_the_trash_keeps_each_groups_photo(library, tmp_path):
    groups = groups_of(library)
    same = [g for g in groups if g.kind == "same"]
    trash = FolderTrash(tmp_path / "trash")
    outcome = trash_others(library, groups, "same", trash=trash)
    assert outcome.problems == ()
    moved = {p.path for g in same for p in g.others}
    assert set(outcome.trashed) == moved
    assert len(os.listdir(trash.folder)) == len(moved)
    for g in same:
        assert g.keep.path.exists()
        assert not any(p.path.exists() for p in g.others)
    left = {row.path for row in library.catalog.all_photos().values()}
    assert not moved & left and {g.keep.path for g in same} <= left
    assert not [g for g in groups_of(library) if g.kind == "same"]


def test_a_photo_kept_by_one_group_is_never_trashed_for_another(library):
    groups = groups_of(library)
    ids = others_to_trash(groups)
    kept = {g.keep.id for g in groups}
    assert ids and not kept & set(ids) and len(ids) == len(set(ids))
