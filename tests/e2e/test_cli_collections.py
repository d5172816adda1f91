"""``photofind classify`` and ``photofind collection``, and the search options that use
collections, run as a user runs them: real processes on generated libraries, tiny model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.core.collection_store import builtin_collections, builtin_labels
from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

MODEL = "tiny-shapes"
TIMEOUT_S = 120  # a generous bound on 2 busy cores; a command takes a second or two


def photofind(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--model", MODEL]
    return subprocess.run(
        [*cmd, "--provider", "cpu", *args], stdin=subprocess.DEVNULL, capture_output=True,
        encoding="utf-8", timeout=TIMEOUT_S, env=env, cwd=data_dir.parent,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), result.stderr
    return lines[0]


def label_of(path: str) -> str:
    """ "red circle" from ".../00000-red-circle.png"."""
    return " ".join(Path(path).stem.split("-")[1:3])


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    """96 photos (four of each colour+shape) indexed with 'photofind index'."""
    root = tmp_path_factory.mktemp("cli-collections")
    photos = generate_library(root / "photos", 96, seed=4711, size_range=(300, 600))
    data = root / "data"
    ok(photofind("index", str(root / "photos"), data_dir=data))
    return data, photos


@pytest.fixture
def own_library(tmp_path: Path):
    """A library this test may change: 48 photos, two of each class."""
    photos = generate_library(tmp_path / "photos", 48, seed=99, size_range=(300, 500))
    data = tmp_path / "data"
    ok(photofind("index", str(tmp_path / "photos"), data_dir=data))
    return data, photos


# -- classify ---------------------------------------------------------------------------


def test_classify_json_contract_on_files_outside_the_library(tmp_path: Path):
    photos = generate_library(tmp_path / "loose", 24, seed=515, size_range=(300, 500))
    labels = "red circle,blue square,green star,yellow triangle,purple circle,orange star"
    wanted = [p for p in photos if p.label in labels.split(",")]
    result = ok(
        photofind("classify", *(str(p.path) for p in wanted), "--labels", labels, "--json",
                  data_dir=tmp_path / "data")
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert list(data) == ["results"]
    assert [r["path"] for r in data["results"]] == [str(p.path) for p in wanted]
    for entry, photo in zip(data["results"], wanted, strict=True):
        assert list(entry) == ["path", "labels"]
        assert all(list(item) == ["label", "probability"] for item in entry["labels"])
        probs = [item["probability"] for item in entry["labels"]]
        assert probs == sorted(probs, reverse=True)
        assert sum(probs) == pytest.approx(1.0, abs=1e-5)
        assert sorted(item["label"] for item in entry["labels"]) == sorted(labels.split(","))
        assert entry["labels"][0]["label"] == photo.label
    assert not (tmp_path / "data" / "catalog.sqlite3").exists()  # classify writes nothing


def test_classify_text_is_a_small_table_and_a_bad_file_fails_alone(tmp_path: Path):
    photos = generate_library(tmp_path / "loose", 2, seed=3, size_range=(300, 400))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image at all")
    labels_file = tmp_path / "labels.txt"
    labels_file.write_text("# colours and shapes\nred circle\n\nred square\nblue star\n")
    result = photofind("classify", str(photos[0].path), str(broken), str(photos[1].path),
                       "--labels-file", str(labels_file), "--top", "2",
                       data_dir=tmp_path / "data")  # fmt: skip
    line = one_line_error(result, 1)
    assert str(broken) in line
    lines = result.stdout.splitlines()
    assert lines[0] == str(photos[0].path) and lines[3] == str(photos[1].path)
    assert len(lines) == 6  # each file: its path, then its two best labels
    assert lines[1].strip().endswith("red circle") and lines[1].strip().endswith("%  red circle")
    assert lines[4].strip().endswith("red square")


def test_classify_without_labels_uses_the_builtin_set(tmp_path: Path):
    photo = generate_library(tmp_path / "loose", 1, seed=8, size_range=(300, 400))[0]
    result = ok(photofind("classify", str(photo.path), "--json", data_dir=tmp_path / "data"))
    labels = [item["label"] for item in json.loads(result.stdout)["results"][0]["labels"]]
    assert sorted(labels) == sorted(builtin_labels())


def test_classify_refuses_what_it_cannot_answer(tmp_path: Path):
    photo = generate_library(tmp_path / "loose", 1, seed=9, size_range=(300, 400))[0]
    data = tmp_path / "data"
    assert "two or more" in one_line_error(
        photofind("classify", str(photo.path), "--labels", "red circle", data_dir=data), 2
    )
    assert "SigLIP" in one_line_error(
        photofind("classify", str(photo.path), "--labels", "a,b", "--independent",
                  data_dir=data), 2,
    )  # fmt: skip
    assert "cannot be read" in one_line_error(
        photofind("classify", str(photo.path), "--labels-file", str(tmp_path / "none.txt"),
                  data_dir=data), 2,
    )  # fmt: skip
    assert "is a folder" in one_line_error(photofind("classify", str(tmp_path), data_dir=data), 2)


# -- collections ----------------------------------------------------------------------------


def test_collection_list_json_contract_lists_the_builtins_that_are_on(library):
    data, _ = library
    result = ok(photofind("collection", "list", "--json", data_dir=data))
    listed = json.loads(result.stdout)["collections"]
    assert all(list(c) == ["name", "count", "sensitive", "builtin"] for c in listed)
    on = [b.name for b in builtin_collections() if b.enabled]
    assert [c["name"] for c in listed] == on and "sensitive" not in on
    assert all(c["builtin"] and not c["sensitive"] and c["count"] >= 0 for c in listed)
    text = ok(photofind("collection", "list", data_dir=data))
    assert [line.split()[0] for line in text.stdout.splitlines()] == on
    assert "off: sensitive" in text.stderr
    every = json.loads(ok(photofind("collection", "list", "--json", "--all", data_dir=data)).stdout)
    off = [c for c in every["collections"] if not c["on"]]
    assert [(c["name"], c["sensitive"]) for c in off] == [("sensitive", True)]


def test_a_described_collection_shows_its_class(own_library):
    data, photos = own_library
    added = ok(photofind("collection", "add", "Warm circles", "--describe", "a red circle",
                         "--describe", "an orange circle", data_dir=data))  # fmt: skip
    assert added.stdout.startswith("Added collection 'Warm circles'")
    shown = json.loads(ok(photofind("collection", "show", "warm circles", "--json",
                                    data_dir=data)).stdout)  # fmt: skip
    assert list(shown) == ["name", "photos"] and shown["name"] == "Warm circles"
    assert all(list(p) == ["path", "score"] for p in shown["photos"])
    found = {p["path"] for p in shown["photos"]}
    truth = {str(p.path) for p in photos if p.label in ("red circle", "orange circle")}
    assert len(found & truth) / len(found) >= 0.9 and len(found & truth) / len(truth) >= 0.9
    scores = [p["score"] for p in shown["photos"]]
    assert scores == sorted(scores, reverse=True)
    text = ok(photofind("collection", "show", "Warm circles", data_dir=data)).stdout.splitlines()
    assert [line.split("  ", 1)[1] for line in text] == [p["path"] for p in shown["photos"]]
    listed = json.loads(ok(photofind("collection", "list", "--json", data_dir=data)).stdout)
    mine = [c for c in listed["collections"] if not c["builtin"]]
    assert mine == [{"name": "Warm circles", "count": len(found), "sensitive": False,
                     "builtin": False}]  # fmt: skip


def show_paths(data: Path, name: str) -> set[str]:
    result = ok(photofind("collection", "show", name, "--json", data_dir=data))
    return {p["path"] for p in json.loads(result.stdout)["photos"]}


def test_corrections_are_kept_over_the_model_and_a_reindex(own_library):
    data, photos = own_library
    ok(photofind("collection", "add", "blue stars", "--describe", "a blue star", data_dir=data))
    members = show_paths(data, "blue stars")
    out_by_hand = sorted(members)[0]
    in_by_hand = next(str(p.path) for p in photos if p.label == "green square")
    ok(photofind("collection", "exclude", "blue stars", out_by_hand, data_dir=data))
    ok(photofind("collection", "include", "blue stars", in_by_hand, data_dir=data))
    expected = (members - {out_by_hand}) | {in_by_hand}
    assert show_paths(data, "blue stars") == expected
    # Each photo is re-encoded: its file was edited (new bytes, same picture, same name).
    for photo in photos:
        photo.path.write_bytes(photo.path.read_bytes() + b"\0")
    assert "Indexed 48 new photos" in ok(photofind("index", data_dir=data)).stdout
    assert show_paths(data, "blue stars") == expected
    # Then every photo leaves the catalog and comes back under new rows.
    moved = photos[0].path.parent.parent / "moved"
    photos[0].path.parent.rename(moved)
    ok(photofind("folder", "remove", str(photos[0].path.parent), data_dir=data))
    ok(photofind("index", str(moved), data_dir=data))  # every photo gets a new row
    assert show_paths(data, "blue stars") == {str(moved / Path(p).name) for p in expected}
    reset = ok(photofind("collection", "reset", "blue stars", str(moved / Path(in_by_hand).name),
                         data_dir=data))  # fmt: skip
    assert "The model decides again" in reset.stdout
    assert str(moved / Path(in_by_hand).name) not in show_paths(data, "blue stars")


def search_paths(data: Path, *args: str) -> list[str]:
    result = ok(photofind("search", *args, "--json", "--all", "-k", "48", data_dir=data))
    return [r["path"] for r in json.loads(result.stdout)["results"]]


def test_hide_sensitive_leaves_their_photos_out_of_search(own_library):
    data, photos = own_library
    nothing_hidden = photofind("search", "a red circle", "--hide-sensitive", data_dir=data)
    assert "nothing is hidden" in ok(nothing_hidden).stderr
    ok(photofind("collection", "add", "private", "--describe", "a red circle", "--sensitive",
                 data_dir=data))  # fmt: skip
    hidden = show_paths(data, "private")
    assert hidden and {label_of(p) for p in hidden} == {"red circle"}
    everything = search_paths(data, "a red circle")
    assert hidden <= set(everything)
    kept = search_paths(data, "a red circle", "--hide-sensitive")
    assert not hidden & set(kept) and set(kept) == set(everything) - hidden
    ok(photofind("collection", "edit", "private", "--not-sensitive", data_dir=data))
    assert hidden <= set(search_paths(data, "a red circle", "--hide-sensitive"))


def test_search_within_a_collection(own_library):
    data, _ = own_library
    ok(photofind("collection", "add", "squares", "--describe", "a green square", "--describe",
                 "a yellow square", data_dir=data))  # fmt: skip
    members = show_paths(data, "squares")
    found = search_paths(data, "a green square", "--collection", "squares")
    assert set(found) == members
    assert set(search_paths(data, "a green square collection:squares")) == members
    listed = json.loads(ok(photofind("search", "collection:squares", "--json",
                                     data_dir=data)).stdout)  # fmt: skip
    assert {r["path"] for r in listed["results"]} == members
    assert all(r["score"] is None for r in listed["results"])  # a filter alone: newest first
    assert "no collection named" in one_line_error(
        photofind("search", "a red circle", "--collection", "nope", data_dir=data), 2
    )


def test_remove_and_switching_on_and_off(own_library):
    data, _ = own_library
    ok(photofind("collection", "add", "mine", "--describe", "a purple star", data_dir=data))
    removed = ok(photofind("collection", "remove", "mine", data_dir=data))
    assert "Removed 'mine'" in removed.stdout
    assert "no collection named" in one_line_error(
        photofind("collection", "show", "mine", data_dir=data), 2
    )
    builtin = ok(photofind("collection", "remove", "pets", data_dir=data))
    assert "switched off" in builtin.stdout
    ok(photofind("collection", "on", "sensitive", data_dir=data))
    listed = json.loads(ok(photofind("collection", "list", "--json", data_dir=data)).stdout)
    names = [c["name"] for c in listed["collections"]]
    assert "pets" not in names and "sensitive" in names
    ok(photofind("collection", "on", "pets", data_dir=data))
    ok(photofind("collection", "edit", "sensitive", "--describe", "a purple circle", data_dir=data))
    shown = show_paths(data, "sensitive")
    assert shown and {label_of(p) for p in shown} == {"purple circle"}


def test_collection_mistakes_are_one_sentence(own_library):
    data, photos = own_library
    ok(photofind("collection", "add", "Cars", "--describe", "a red square", data_dir=data))
    for args, words in (
        (("collection", "add", "cars", "--describe", "x"), "exists already"),
        (("collection", "add", "nothing"), "describe it"),
        (("collection", "include", "Cars", str(photos[0].path.parent / "no.jpg")),
         "not an indexed photo"),
        (("collection", "edit", "Cars"), "Say what to change"),
        (("collection", "show", "trucks"), "no collection named"),
    ):  # fmt: skip
        assert words in one_line_error(photofind(*args, data_dir=data), 2)
