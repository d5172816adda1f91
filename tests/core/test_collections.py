"""Smart collections on indexed generated libraries with the tiny model: members against the
true class, corrections that outlive a re-index, sensitive ones, built-ins, the catalog
rows, incremental refresh after index runs, and a photo's top labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from photofind.core.catalog import Catalog
from photofind.core.collection_store import CollectionError, builtin_collections, builtin_labels
from photofind.core.config import app_paths
from photofind.core.filters import QueryError
from photofind.core.library import Library, open_library
from photofind.core.shapes import ShapePhoto, all_classes, generate_library, query_for

MODEL = "tiny-shapes"


def open_lib(data: Path) -> Library:
    return open_library(app_paths(data), MODEL, "cpu")


def index(lib: Library) -> None:
    progress = list(lib.indexer().run())
    assert progress[-1].phase == "done" and progress[-1].failed == 0
    lib.after_index_run()


def make_indexed(base: Path, count: int, seed: int) -> tuple[Library, list[ShapePhoto]]:
    photos = generate_library(base / "photos", count, seed=seed, size_range=(300, 600))
    lib = open_lib(base / "data")
    lib.catalog.add_folder(base / "photos")
    index(lib)
    return lib, photos


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):
    """240 photos (ten of each colour+shape) that the read-only tests share."""
    lib, photos = make_indexed(tmp_path_factory.mktemp("collections"), 240, seed=808)
    yield lib, photos
    lib.close()


@pytest.fixture
def fresh(tmp_path: Path):
    lib, photos = make_indexed(tmp_path, 96, seed=31)
    yield lib, photos
    lib.close()


def member_paths(lib: Library, name: str) -> set[Path]:
    return {m.path for m in lib.collections.members(name)}


def precision_recall(found: set[Path], truth: set[Path]) -> tuple[float, float]:
    hit = len(found & truth)
    return (hit / len(found) if found else 0.0), hit / len(truth)


def test_a_described_collection_holds_its_class(shared):
    lib, photos = shared
    precisions, recalls = [], []
    for colour, shape in all_classes():
        name = f"{colour} {shape}s"
        lib.collections.add(name, [query_for(colour, shape)])
        truth = {p.path for p in photos if (p.colour, p.shape) == (colour, shape)}
        precision, recall = precision_recall(member_paths(lib, name), truth)
        precisions.append(precision)
        recalls.append(recall)
        lib.collections.remove(name)
    assert np.mean(precisions) >= 0.9 and np.mean(recalls) >= 0.9, (precisions, recalls)
    assert min(precisions) >= 0.6 and min(recalls) >= 0.6, (precisions, recalls)


def test_several_descriptions_hold_the_photos_of_any_of_them(shared):
    lib, photos = shared
    lib.collections.add("warm circles", ["a red circle", "an orange circle"])
    try:
        truth = {p.path for p in photos if p.shape == "circle" and p.colour in ("red", "orange")}
        precision, recall = precision_recall(member_paths(lib, "warm circles"), truth)
        assert precision >= 0.9 and recall >= 0.9
        scores = [m.score for m in lib.collections.members("warm circles")]
        assert scores == sorted(scores, reverse=True)
    finally:
        lib.collections.remove("warm circles")


def test_an_example_photo_makes_a_collection_of_its_look_alikes(shared):
    lib, photos = shared
    example = next(p for p in photos if p.label == "green star")
    lib.collections.add("like this", [], examples=[example.path])
    try:
        truth = {p.path for p in photos if p.label == "green star"}
        precision, recall = precision_recall(member_paths(lib, "like this"), truth)
        assert example.path in member_paths(lib, "like this")
        assert precision >= 0.8 and recall >= 0.8
    finally:
        lib.collections.remove("like this")


def test_corrections_win_over_the_model_and_outlive_a_reindex(fresh, tmp_path: Path):
    lib, photos = fresh
    lib.collections.add("red circles", ["a red circle"])
    members = member_paths(lib, "red circles")
    taken_out = next(iter(sorted(members)))
    added = next(p.path for p in photos if p.label == "blue square")
    lib.collections.exclude("red circles", [taken_out])
    lib.collections.include("red circles", [added])
    assert member_paths(lib, "red circles") == (members - {taken_out}) | {added}
    by_hand = [m for m in lib.collections.members("red circles") if m.by_hand]
    assert [m.path for m in by_hand] == [added]

    # The whole library leaves the catalog and comes back as new rows with new ids.
    folder = tmp_path / "photos"
    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    lib.catalog.remove_folder(folder)
    index(lib)
    assert lib.counts().photos == 0
    lib.catalog.add_folder(moved)
    index(lib)
    lib.close()
    lib = open_lib(tmp_path / "data")  # and a new process reads them from the catalog
    try:
        again = member_paths(lib, "red circles")
        assert again == {moved / p.name for p in (members - {taken_out}) | {added}}
        lib.collections.reset("red circles", [moved / added.name, moved / taken_out.name])
        assert member_paths(lib, "red circles") == {moved / p.name for p in members}
    finally:
        lib.close()


def test_new_and_removed_photos_follow_after_an_index_run(fresh, tmp_path: Path):
    lib, photos = fresh
    lib.collections.add("yellow stars", ["a yellow star"])
    before = member_paths(lib, "yellow stars")
    gone = next(iter(before))
    gone.unlink()
    extra = generate_library(tmp_path / "photos" / "more", 48, seed=77, size_range=(300, 500))
    asked: list[list[int]] = []
    original = lib.catalog.embeddings

    def recording(model_id, ids=None):
        asked.append(list(ids) if ids is not None else ["all"])
        return original(model_id, ids)

    lib.catalog.embeddings = recording  # type: ignore[method-assign]
    index(lib)
    lib.catalog.embeddings = original  # type: ignore[method-assign]
    after = member_paths(lib, "yellow stars")
    assert gone not in after
    assert {p.path for p in extra if p.label == "yellow star"} <= after
    # Only the 48 new photos' vectors were read again, not the library's.
    refresh_reads = [a for a in asked if a != ["all"] and len(a) > 1]
    assert refresh_reads and all(len(a) == 48 for a in refresh_reads), [len(a) for a in asked]


def test_sensitive_photos_are_hidden_only_once_the_user_says_so(fresh):
    lib, photos = fresh
    collections = lib.collections
    assert not collections.get("sensitive").enabled and collections.get("sensitive").sensitive
    assert not collections.any_sensitive() and len(collections.sensitive_ids()) == 0
    collections.add("purple things", ["a purple circle", "a purple square"], sensitive=True)
    assert collections.any_sensitive()
    hidden = set(lib.catalog.photos(collections.sensitive_ids().tolist()))
    assert hidden == set(collections.member_ids("purple things").tolist())
    hidden_paths = {r.path for r in lib.catalog.photos(list(hidden)).values()}
    truth = {p.path for p in photos if p.colour == "purple" and p.shape in ("circle", "square")}
    assert precision_recall(hidden_paths, truth) >= (0.9, 0.9)
    collections.edit("sensitive", enabled=True)
    both = set(collections.sensitive_ids().tolist())
    assert hidden <= both and set(collections.member_ids("sensitive").tolist()) <= both
    collections.edit("purple things", sensitive=False)
    collections.edit("sensitive", enabled=False)
    assert len(collections.sensitive_ids()) == 0


def test_builtins_are_listed_first_and_removing_one_switches_it_off(fresh):
    lib, _ = fresh
    collections = lib.collections
    shipped = [b.name for b in builtin_collections()]
    assert [c.name for c in collections.all(include_off=True)] == shipped
    assert "sensitive" not in [c.name for c in collections.all()]
    collections.add("mine", ["a green triangle"])
    assert [c.name for c in collections.all()][-1] == "mine"
    collections.include(
        "pets", [lib.catalog.all_photos()[next(iter(lib.catalog.all_photos()))].path]
    )
    removed = collections.remove("pets")
    assert removed.builtin and not collections.get("pets").enabled
    assert collections.get("pets").corrections == 1  # kept for when it comes back
    collections.edit("pets", descriptions=["a red star"])
    assert collections.get("pets").descriptions == ("a red star",)
    collections.remove("mine")
    with pytest.raises(CollectionError, match="no collection named"):
        collections.get("mine")
    counts = collections.counts()
    assert set(counts) == {c.name for c in collections.all()} and "pets" not in counts


def test_names_are_checked_in_plain_sentences(fresh):
    lib, _ = fresh
    collections = lib.collections
    collections.add("My Car", ["a red square"])
    for name, message in (
        ("my car", "exists already"),
        ("PETS", "exists already"),
        ("   ", "needs a name"),
        ("x" * 81, "keep it to 80"),
        ("tab\there", None),  # whitespace is folded: a valid name
    ):
        if message is None:
            collections.add(name, ["a red square"])
            assert collections.get("tab here").name == "tab here"
            continue
        with pytest.raises(CollectionError, match=message):
            collections.add(name, ["a red square"])
    with pytest.raises(CollectionError, match="describe it"):
        collections.add("empty", ["  "])
    with pytest.raises(CollectionError, match="not an indexed photo"):
        collections.include("My Car", [Path("/nowhere/at/all.jpg")])
    assert collections.get("my car").name == "My Car"  # any letter case finds it


def test_an_empty_library_has_empty_collections(tmp_path: Path):
    lib = open_lib(tmp_path / "data")
    try:
        lib.collections.add("anything", ["a red circle"])
        assert lib.collections.members("anything") == []
        assert set(lib.collections.counts().values()) == {0}
        assert lib.collections.labels_for(1) == []
    finally:
        lib.close()


def test_collections_are_catalog_rows_written_in_one_step(fresh, tmp_path: Path):
    lib, _ = fresh
    lib.collections.add("kept", ["a blue star", "a blue circle"], sensitive=True)
    lib.collections.edit("sensitive", enabled=True)
    catalog = Catalog(tmp_path / "data" / "catalog.sqlite3", read_only=True)
    try:
        rows = catalog.select(
            "SELECT name, builtin, sensitive, enabled FROM collections ORDER BY id"
        )
    finally:
        catalog.close()
    assert rows == [("kept", 0, 1, 1), ("sensitive", 1, None, 1)]


def test_descriptions_the_model_cannot_read_match_nothing(fresh):
    """tiny-shapes knows colours and shapes only: a built-in such as Pets would otherwise
    match whatever its unknown words happen to land near. A collection keeps the photos the
    user put in it, and its readable descriptions still work."""
    lib, photos = fresh
    counts = lib.collections.counts()
    unreadable = [
        c.name for c in lib.collections.all() if c.builtin and not lib.collections.readable(c)
    ]
    assert {"pets", "food", "people", "vehicles"} <= set(unreadable)
    assert all(counts[name] == 0 for name in unreadable), sorted(counts.items())
    lib.collections.add("reds", ["a photo of my cat", query_for("red", "circle")])
    truth = {p.path for p in photos if (p.colour, p.shape) == ("red", "circle")}
    assert lib.collections.readable(lib.collections.get("reds")) == (query_for("red", "circle"),)
    assert member_paths(lib, "reds") == truth
    lib.collections.include("pets", [photos[0].path])
    assert member_paths(lib, "pets") == {photos[0].path}


def test_a_photos_top_labels_are_the_builtin_labels_its_model_reads(shared, monkeypatch):
    lib, photos = shared
    photo = next(p for p in photos if (p.colour, p.shape) == ("blue", "star"))
    photo_id = lib.catalog.photo_by_path(photo.path).id
    # the demo model reads none of the built-in labels (pet, food, ...): nothing to say
    assert lib.collections.labels_for(photo_id) == []
    assert "nudity" not in builtin_labels()  # the sensitive set is never a label
    readable = ["blue star", "red circle", "green square", "yellow triangle"]
    monkeypatch.setattr(
        "photofind.core.collections.builtin_labels", lambda: [*readable, "a pet dog"]
    )
    labels = lib.collections.labels_for(photo_id)
    assert [lp.label for lp in labels][0] == "blue star" and len(labels) == 3
    assert {lp.label for lp in labels} <= set(readable)
    probs = [lp.probability for lp in labels]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
    _, vector = lib.catalog.embeddings(lib.search.encoder.model_id, [photo_id])
    every = lib.collections.classifier.probabilities(vector, readable)
    assert every.sum() == pytest.approx(1.0, abs=1e-5)
    assert probs[0] == pytest.approx(float(every.max()), abs=1e-6)


def test_collection_is_an_operator_of_the_search_box():
    from photofind.core.query import FILTER, parse_query

    query = parse_query('a dog collection:pets collection:"my  red car" -cat')
    assert query.filters.collections == ("pets", "my red car")
    assert [t.text for t in query.terms] == ["a dog", "cat"]
    chips = [t for t in query.tokens if t.kind == FILTER]
    assert [(t.text, t.key, t.words) for t in chips] == [
        ("collection:pets", "collection", "pets"),
        ('collection:"my  red car"', "collection", "my  red car"),
    ]
    assert not parse_query("a dog").filters.collections
    with pytest.raises(QueryError, match="collection:pets"):
        parse_query("collection:")


def test_a_search_keeps_to_its_collections_and_hides_sensitive_ones(shared):
    from photofind.core.query import parse_query

    lib, photos = shared
    collections = lib.collections
    collections.add("reds", ["a red circle"])
    collections.add("blues", ["a blue circle"])
    collections.add("hidden greens", ["a green circle"], sensitive=True)
    try:
        query = parse_query("a circle collection:reds collection:blues")
        within, hidden = collections.scope(query.filters.collections, hide_sensitive=True)
        both = set(collections.member_ids("reds").tolist()) | set(
            collections.member_ids("blues").tolist()
        )
        assert set(within.tolist()) == both
        result = lib.search.find(query, k=100, rest=True, within=within, hidden=hidden)
        assert result.hits and {h.photo_id for h in result.hits} <= both
        listed = lib.search.find(parse_query("collection:reds"), k=100, within=within)
        assert {h.photo_id for h in listed.hits} == both  # filters alone: every member
        greens = parse_query("a green circle")
        plain = lib.search.find(greens, k=240, rest=True)
        _, hidden = collections.scope((), hide_sensitive=True)
        kept = lib.search.find(greens, k=240, rest=True, hidden=hidden)
        assert set(hidden.tolist()) & {h.photo_id for h in plain.hits}
        assert {h.photo_id for h in kept.hits} == {h.photo_id for h in plain.hits} - set(
            hidden.tolist()
        )
        with pytest.raises(CollectionError, match="no collection named"):
            collections.scope(["nope"])
    finally:
        for name in ("reds", "blues", "hidden greens"):
            collections.remove(name)


def test_vectors_read_in_pieces_are_those_read_at_once(shared, monkeypatch):
    """The photos are read a piece at a time (giving way to the window between pieces):
    pieces of 7 over 240 photos, one short at the end, give what one read gives."""
    from photofind.core import collections as collections_module
    from photofind.core.collections import LibraryVectors

    lib, _ = shared
    model_id, dim = lib.encoder.model_id, lib.encoder.embed_dim
    whole = LibraryVectors(lib.catalog, model_id, dim)
    whole.refresh()
    monkeypatch.setattr(collections_module, "PHOTOS_PER_READ", 7)
    pieces = LibraryVectors(lib.catalog, model_id, dim)
    pieces.refresh()
    assert len(pieces.ids) == len(whole.ids) == 240
    assert np.array_equal(pieces.ids, whole.ids) and pieces.hashes == whole.hashes
    assert np.array_equal(pieces.matrix, whole.matrix)
    monkeypatch.setattr(collections_module, "PHOTOS_PER_READ", 240)  # exactly one piece
    exact = LibraryVectors(lib.catalog, model_id, dim)
    exact.refresh()
    assert np.array_equal(exact.ids, whole.ids)
