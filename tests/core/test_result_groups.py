"""One picture once in the results: on a real indexed library (tiny model) of pictures kept
the ways copies pile up (an exact copy elsewhere, a re-encode, a resize, a PNG) beside
distinct shots of the same colour and shape, the hits of a search are grouped by picture,
each group led by its best-ranked hit, and distinct shots stay apart."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.core.config import app_paths
from photofind.core.library import Library, open_library
from photofind.core.query import parse_query
from photofind.core.result_groups import same_picture_groups
from photofind.core.shapes import random_size, render

MODEL = "tiny-shapes"
# Two pictures of each with copies, and two more distinct shots of the same class alone.
CLASSES = [("red", "circle"), ("blue", "square"), ("green", "triangle")]


def _copies(img: Image.Image, folder: Path, name: str) -> list[Path]:
    w, h = img.size
    (folder / "backup").mkdir(exist_ok=True)
    orig = folder / f"{name}.jpg"
    img.save(orig, "JPEG", quality=92)
    made = [orig, Path(shutil.copyfile(orig, folder / "backup" / orig.name))]
    for path, picture, fmt, options in (
        (folder / f"{name}-q60.jpg", img, "JPEG", {"quality": 60}),
        (folder / f"{name}-half.jpg", img.resize((w // 2, h // 2)), "JPEG", {"quality": 85}),
        (folder / f"{name}.png", img, "PNG", {}),
    ):
        picture.save(path, fmt, **options)
        made.append(path)
    return made


def make_library(folder: Path) -> dict[Path, str]:
    """Photo -> the name of the picture it shows."""
    folder.mkdir(parents=True)
    rng = random.Random(1302)
    truth: dict[Path, str] = {}
    for colour, shape in CLASSES:
        for n in range(2):
            name = f"{colour}-{shape}-{n}"
            for path in _copies(
                render(colour, shape, random_size(rng, 500, 900), rng), folder, name
            ):
                truth[path] = name
        for n in range(2, 4):
            name = f"{colour}-{shape}-{n}"
            path = folder / f"{name}-single.jpg"
            render(colour, shape, random_size(rng, 500, 900), rng).save(path, quality=90)
            truth[path] = name
    return truth


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("result-groups")
    truth = make_library(root / "photos")
    library = open_library(app_paths(root / "data"), MODEL, "cpu")
    library.catalog.add_folder(root / "photos")
    last = list(library.indexer().run())[-1]
    assert (last.indexed, last.failed) == (len(truth), 0)
    yield library, truth
    library.close()


def groups_of(library: Library, ids: list[int]) -> tuple[tuple[int, ...], ...]:
    return same_picture_groups(library.catalog, library.index, ids)


def paths_by_id(library: Library) -> dict[int, Path]:
    rows = library.catalog.select("SELECT id, path FROM photos")
    return {i: Path(os.fsdecode(p)) for i, p in rows}


def test_a_search_groups_its_hits_by_picture_best_ranked_first(dataset):
    library, truth = dataset
    paths = paths_by_id(library)
    result = library.search.find(parse_query("a red circle"), 100, rest=True)
    ids = [h.photo_id for h in result.hits]
    assert len(ids) == len(truth)  # every photo came back: all of them are grouped here
    groups = groups_of(library, ids)
    pictures = {name for name in truth.values() if list(truth.values()).count(name) > 1}
    assert sorted(truth[paths[g[0]]] for g in groups) == sorted(pictures)
    for group in groups:
        names = {truth[paths[i]] for i in group}
        assert len(names) == 1, [paths[i].name for i in group]  # distinct shots stay apart
        assert len(group) == 5  # the original, its copy, a re-encode, a resize, a PNG
        ranks = [ids.index(i) for i in group]
        assert ranks == sorted(ranks)  # the best-ranked hit leads: the results keep their order
    grouped = {i for g in groups for i in g}
    singles = [paths[i].name for i in ids if i not in grouped]
    assert sorted(singles) == sorted(p.name for p, n in truth.items() if "single" in p.name)


def test_only_the_hits_given_are_compared(dataset):
    library, _ = dataset
    paths = paths_by_id(library)
    by_name = {p.relative_to(p.parents[1]) if p.parent.name == "backup" else Path(p.name): i
               for i, p in paths.items()}  # fmt: skip
    red = [by_name[Path("red-circle-0-half.jpg")], by_name[Path("blue-square-0.jpg")],
           by_name[Path("red-circle-0.png")], by_name[Path("red-circle-1.jpg")]]  # fmt: skip
    assert groups_of(library, red) == ((red[0], red[2]),)
    assert groups_of(library, red[:1]) == ()
    assert groups_of(library, []) == ()


def test_exact_copies_are_grouped_without_vectors_or_perceptual_hashes(dataset):
    library, _ = dataset
    paths = paths_by_id(library)
    by_name = {p.relative_to(p.parents[1]) if p.parent.name == "backup" else Path(p.name): i
               for i, p in paths.items()}  # fmt: skip
    orig, copy = by_name[Path("blue-square-1.jpg")], by_name[Path("backup/blue-square-1.jpg")]
    resized = by_name[Path("blue-square-1-half.jpg")]

    class NoVectors:
        def vectors(self, ids):
            return np.zeros(0, np.int64), np.zeros((0, 8), np.float32)

    assert same_picture_groups(library.catalog, NoVectors(), [resized, copy, orig]) == (
        (copy, orig),
    )
