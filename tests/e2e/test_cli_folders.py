"""``photofind folder list|remove`` and what ``index`` and ``status`` say about library
folders, run as a user runs them: a real process on generated libraries."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

MODEL = "tiny-shapes"
TIMEOUT_S = 120  # a generous bound on 2 busy cores; a run takes a few seconds


def photofind(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--model", MODEL]
    return subprocess.run(
        [*cmd, "--provider", "cpu", *args], stdin=subprocess.DEVNULL, capture_output=True,
        encoding="utf-8", timeout=TIMEOUT_S, env=env, cwd=data_dir.parent,
    )  # fmt: skip


def status_json(data_dir: Path) -> dict:
    result = photofind("status", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def search_json(*args: str, data_dir: Path) -> list[dict]:
    result = photofind(*args, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["results"]


def assert_one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), result.stderr
    return lines[0]


def summary_counts(stdout: str) -> dict[str, int]:
    line = next(s for s in stdout.splitlines() if s.startswith("Indexed "))
    found = re.findall(r"(\d+) (new photos?|reused|unchanged|failed|removed)", line)
    return {word.split()[0]: int(n) for n, word in found}


@pytest.fixture(scope="module")
def six_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("six")
    generate_library(folder, 6, seed=77, size_range=(200, 400))
    return folder


def indexed(tmp_path: Path, source: Path, name: str = "Pictures") -> tuple[Path, Path]:
    folder = tmp_path / name
    shutil.copytree(source, folder)
    data = tmp_path / "data"
    result = photofind("index", str(folder), data_dir=data)
    assert result.returncode == 0, result.stderr
    return data, folder


def folder_list(data: Path) -> list[dict]:
    result = photofind("folder", "list", "--json", data_dir=data)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["folders"]


def test_an_empty_folder_name_is_refused(tmp_path: Path):
    data = tmp_path / "data"
    line = assert_one_line_error(photofind("index", "", data_dir=data), 2)
    assert "empty" in line
    assert status_json(data)["folders"] == []


@pytest.mark.parametrize("path", ["/proc", "/sys", "/dev"])
def test_system_folders_are_refused(tmp_path: Path, path: str):
    if not os.path.isdir(path):
        pytest.skip(f"{path} does not exist here")
    data = tmp_path / "data"
    line = assert_one_line_error(photofind("index", path, data_dir=data), 2)
    assert "system folder" in line
    assert status_json(data)["folders"] == []


def test_a_renamed_folder_is_moved_not_doubled(tmp_path: Path, six_photos: Path):
    data, old = indexed(tmp_path, six_photos)
    new = old.rename(tmp_path / "Photos")
    result = photofind("index", str(new), data_dir=data)
    assert result.returncode == 0, result.stderr
    counts = summary_counts(result.stdout)
    assert (counts["new"], counts["reused"]) == (0, 6)
    assert folder_list(data) == [
        {"path": str(new), "photos": 6, "failed": 0, "state": "ok", "reason": None}
    ]
    hits = search_json("search", "a red circle", "--all", data_dir=data)
    assert len(hits) == 6 and all(Path(h["path"]).is_file() for h in hits)


def test_folder_list_and_remove(tmp_path: Path, six_photos: Path):
    data, folder = indexed(tmp_path, six_photos)
    other = tmp_path / "usb"
    shutil.copytree(six_photos, other)
    (other / "extra.jpg").write_bytes(b"")
    assert photofind("index", str(other), data_dir=data).returncode == 0
    shutil.rmtree(other)  # unplugged

    listed = {f["path"]: f for f in folder_list(data)}
    assert listed[str(folder)]["state"] == "ok" and listed[str(folder)]["photos"] == 6
    usb = listed[str(other)]
    assert (usb["state"], usb["photos"], usb["failed"]) == ("offline", 6, 1)
    assert "not reachable" in usb["reason"]
    text = photofind("folder", "list", data_dir=data)
    assert text.returncode == 0
    assert str(other) in text.stdout and "offline" in text.stdout

    removed = photofind("folder", "remove", str(other), data_dir=data)
    assert removed.returncode == 0, removed.stderr
    assert "7 photos" in removed.stdout
    assert [f["path"] for f in folder_list(data)] == [str(folder)]
    info = status_json(data)
    assert (info["photos"], info["failed"]) == (6, 0)
    assert len(search_json("search", "a red circle", "-k", "50", "--all", data_dir=data)) == 6

    line = assert_one_line_error(photofind("folder", "remove", str(other), data_dir=data), 2)
    assert "not a library folder" in line
    assert_one_line_error(photofind("folder", "remove", "", data_dir=data), 2)


def test_folders_that_cannot_be_read_are_reported(tmp_path: Path, six_photos: Path, monkeypatch):
    root = tmp_path / "photos"
    shutil.copytree(six_photos, root)
    monkeypatch.chdir(root)
    depth = 0
    while len(os.fsencode(root)) + depth * 201 <= 4096 + 400:  # past PATH_MAX
        os.mkdir("d" * 200)
        os.chdir("d" * 200)
        depth += 1
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    result = photofind("index", str(root), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "1 folder was left out" in result.stderr and "longer than" in result.stderr
    assert summary_counts(result.stdout)["new"] == 6

    info = status_json(data)
    ((problem),) = info["folder_problems"]
    assert problem["path"].startswith(str(root) + os.sep) and "longer than" in problem["reason"]
    text = photofind("status", data_dir=data)
    assert "1 folder was left out" in text.stdout


def test_index_and_status_say_a_library_folder_is_offline(tmp_path: Path, six_photos: Path):
    data, folder = indexed(tmp_path, six_photos)
    shutil.rmtree(folder)
    result = photofind("index", data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "not reachable now" in result.stderr
    assert summary_counts(result.stdout)["removed"] == 0
    info = status_json(data)
    assert info["photos"] == 6
    (state,) = info["library_folders"]
    assert (state["path"], state["state"], state["photos"]) == (str(folder), "offline", 6)
    text = photofind("status", data_dir=data)
    assert "offline" in text.stdout and "6 photos" in text.stdout
