"""``photofind duplicates`` run as a user runs it: a real process on a generated library
with copies, a resize, a format conversion and a distinct shot; the JSON contract, --kind,
the text listing, an empty library, and nothing written to the catalog."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.core.shapes import render

pytestmark = pytest.mark.slow

MODEL = "tiny-shapes"
TIMEOUT_S = 120


def photofind(*args: str, data_dir: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--model", MODEL]
    cmd += ["--provider", "cpu", *args]
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        timeout=TIMEOUT_S, env=env, cwd=data_dir.parent,
    )  # fmt: skip


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dupcli")
    photos = root / "photos"
    (photos / "backup").mkdir(parents=True)
    rng = random.Random(8)
    shot = render("red", "circle", (800, 600), rng)
    shot.save(photos / "beach.jpg", quality=92)
    os.utime(photos / "beach.jpg", (1_600_000_000, 1_600_000_000))
    shutil.copyfile(photos / "beach.jpg", photos / "backup" / "beach.jpg")
    shot.resize((400, 300)).save(photos / "beach-small.jpg", quality=80)
    shot.save(photos / "beach.png")
    render("green", "star", (640, 480), rng).save(photos / "other.jpg", quality=92)
    data = root / "data"
    result = photofind("index", str(photos), data_dir=data)
    assert result.returncode == 0, result.stderr
    return photos, data


def groups_json(*args: str, data_dir: Path) -> list[dict]:
    result = photofind("duplicates", *args, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)["groups"]


def test_the_json_lists_each_kind_with_the_photo_to_keep_first(indexed):
    photos, data = indexed
    groups = groups_json(data_dir=data)
    for group in groups:
        assert set(group) == {"kind", "keep", "photos"}
        assert group["kind"] in ("exact", "same", "similar")
        assert all(set(p) == {"path"} for p in group["photos"])
        assert group["photos"][0]["path"] == group["keep"]
    by_kind = {g["kind"]: g for g in groups}
    assert sorted(p["path"] for p in by_kind["exact"]["photos"]) == sorted(
        [str(photos / "backup" / "beach.jpg"), str(photos / "beach.jpg")]
    )
    assert by_kind["exact"]["keep"] == str(photos / "beach.jpg")  # the older file
    same = sorted(p["path"] for p in by_kind["same"]["photos"])
    assert same == sorted(
        str(photos / n) for n in ("beach.jpg", "backup/beach.jpg", "beach-small.jpg", "beach.png")
    )
    assert by_kind["same"]["keep"] == str(photos / "beach.jpg")  # full size, JPEG, oldest
    assert all(p["path"] != str(photos / "other.jpg") for g in groups for p in g["photos"])


def test_kind_limits_the_listing(indexed):
    _, data = indexed
    assert [g["kind"] for g in groups_json("--kind", "exact", data_dir=data)] == ["exact"]
    assert [g["kind"] for g in groups_json("--kind", "same", data_dir=data)] == ["same"]


def test_the_text_listing_names_each_group_and_changes_nothing(indexed):
    photos, data = indexed
    before = (data / "catalog.sqlite3").read_bytes()
    result = photofind("duplicates", data_dir=data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Exact copies (the same bytes): 1 group")
    assert any(line.startswith("  keep  ") and "beach.jpg  (800x600, JPG" in line for line in lines)
    assert (data / "catalog.sqlite3").read_bytes() == before
    assert all(Path(p).exists() for p in photos.rglob("*"))


def test_an_empty_library_has_no_groups(tmp_path):
    data = tmp_path / "data"
    assert groups_json(data_dir=data) == []
    result = photofind("duplicates", data_dir=data)
    assert (result.returncode, result.stdout, result.stderr.strip()) == (
        0, "", "No duplicates found."
    )  # fmt: skip


def test_an_unknown_kind_is_a_usage_error(tmp_path):
    result = photofind("duplicates", "--kind", "twins", data_dir=tmp_path / "data")
    assert result.returncode == 2 and "Traceback" not in result.stderr
