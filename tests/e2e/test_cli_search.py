"""The search contract of the command line, run as a user runs it: matches only by default,
--all for the rest, the JSON shape, no match as exit 0 with one line on stderr, operators and
options, warnings when the model cannot read the query, and errors as one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import HIT_LINE, assert_one_line_error, label, photofind

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    """96 photos (four of each class) in two subfolders, indexed; shared, read-only."""
    root = tmp_path_factory.mktemp("cli-search")
    photos = generate_library(root / "photos" / "misc", 72, seed=31, size_range=(200, 320))
    photos += generate_library(root / "photos" / "2020" / "summer", 24, seed=32,
                               size_range=(200, 320))  # fmt: skip
    data = root / "data"
    indexed = photofind("index", str(root / "photos"), data_dir=data)
    assert indexed.returncode == 0, indexed.stderr
    return data, root / "photos", photos


def run_json(*args: str, data_dir: Path) -> dict:
    result = photofind(*args, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_matches_only_by_default_and_the_rest_with_all(library):
    data, _, _ = library
    found = run_json("search", "a red circle", data_dir=data)
    assert found["matches"] == 4
    assert [label(h["path"]) for h in found["results"]] == [("red", "circle")] * 4
    assert all(h["match"] is True for h in found["results"])
    everything = run_json("search", "a red circle", "--all", "-k", "10", data_dir=data)
    assert everything["matches"] == 4
    assert [h["match"] for h in everything["results"]] == [True] * 4 + [False] * 6
    assert everything["results"][:4] == found["results"]
    scores = [h["score"] for h in everything["results"]]
    assert scores == sorted(scores, reverse=True)
    assert len(run_json("search", "a red circle", "-k", "2", data_dir=data)["results"]) == 2


def test_text_output_and_no_match(library):
    data, _, _ = library
    text = photofind("search", "a blue star", data_dir=data)
    assert text.returncode == 0 and text.stderr == ""
    lines = text.stdout.splitlines()
    assert len(lines) == 4 and all(HIT_LINE.match(line) for line in lines)
    nothing = photofind(
        "search", "a red circle in:summer type:png orientation:square", data_dir=data
    )
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert_one_line_error(nothing, 0)
    assert "no good matches" in nothing.stderr and "--all" in nothing.stderr


def test_gibberish_and_foreign_scripts_are_named(library):
    data, _, _ = library
    gibberish = photofind("search", "xqzv flurb 12345", data_dir=data)
    assert gibberish.returncode == 0
    assert "does not know the words 'xqzv', 'flurb', '12345'" in gibberish.stderr
    chinese = photofind("search", "一辆自行车", "--json", data_dir=data)
    assert chinese.returncode == 0
    warning = chinese.stderr.splitlines()[0]
    assert "English only" in warning and "Chinese" in warning and "model install" in warning
    assert "does not know" not in photofind("search", "A red circle!", data_dir=data).stderr


def test_operators_and_options_say_the_same(library):
    data, photos, _ = library
    typed = run_json("search", "a red circle in:2020/summer", data_dir=data)
    option = run_json("search", "a red circle", "--in", "2020/summer", data_dir=data)
    assert typed == option and typed["matches"] == 1
    assert Path(typed["results"][0]["path"]).parent == photos / "2020" / "summer"
    pngs = run_json("search", "type:png", "-k", "500", data_dir=data)
    assert pngs["matches"] == len(pngs["results"]) > 0
    assert all(h["path"].endswith(".png") and h["score"] is None for h in pngs["results"])
    assert run_json("search", "a red circle", "--type", "PNG", "-k", "500", "--all",
                    data_dir=data)["results"] == run_json(
        "search", "a red circle type:png", "-k", "500", "--all", data_dir=data
    )["results"]  # fmt: skip
    future = photofind("search", "a red circle", "--after", "2100", data_dir=data)
    assert future.returncode == 0 and future.stdout == ""
    assert run_json("search", "a red circle", "--before", "2100", data_dir=data)["matches"] == 4


def test_negative_and_image_terms(library):
    data, _, photos = library
    red_circle = next(p for p in photos if p.label == "red circle")
    similar = run_json("search", str(red_circle.path), data_dir=data)
    assert similar["results"][0]["path"] == str(red_circle.path)
    assert all(label(h["path"]) == ("red", "circle") for h in similar["results"])
    pushed = run_json("search", "a red circle", "-a red circle", "-k", "5", "--all", data_dir=data)
    assert all(label(h["path"]) != ("red", "circle") for h in pushed["results"])


def test_similar_follows_the_same_rule(library):
    data, _, photos = library
    photo = next(p for p in photos if p.label == "green square")
    found = run_json("similar", str(photo.path), data_dir=data)
    assert found["matches"] >= 1 and found["results"][0]["path"] == str(photo.path)
    assert all(h["match"] for h in found["results"])
    assert all(label(h["path"]) == ("green", "square") for h in found["results"])
    only_summer = run_json("similar", str(photo.path), "--in", "summer", "--all", "-k", "3",
                           data_dir=data)  # fmt: skip
    assert all("/summer/" in h["path"] for h in only_summer["results"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("search", "a dog after:2019-13"), "after:2019-13"),
        (("search", "a dog", "--after", "2019-13"), "after:2019-13"),
        (("search", "a dog type:doc"), "type:doc"),
        (("search", "a dog in:nowhere"), "in:nowhere"),
        (("search", "after:2020 before:2019"), "after:2020"),
        (("search", "   "), "Say what to look for"),
    ],
)
def test_errors_are_one_plain_sentence_and_exit_2(library, args: tuple[str, ...], says: str):
    data, _, _ = library
    line = assert_one_line_error(photofind(*args, data_dir=data), 2)
    assert says in line
