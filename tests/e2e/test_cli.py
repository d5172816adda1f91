"""The ``photofind`` command run as a user runs it: a real process, on generated libraries,
with the tiny model. Each test reads only stdout, stderr, exit codes and the files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

MODEL = "tiny-shapes"
TIMEOUT_S = 120  # a generous bound on 2 busy cores; a run takes a few seconds
PART_WAY_S = (
    0.25  # into a 60-photo run: some batches committed, most still to do (any split passes)
)
HIT_LINE = re.compile(r"^-?\d\.\d{3}  (?P<path>.+)$")


def photofind(*args: str, data_dir: Path, model: str = MODEL, provider: str = "cpu"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--model", model]
    cmd += ["--provider", provider, *args]
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        timeout=TIMEOUT_S, env=env, cwd=data_dir.parent,
    )  # fmt: skip


def status_json(data_dir: Path, **kw) -> dict:
    result = photofind("status", "--json", data_dir=data_dir, **kw)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def search_json(*args: str, data_dir: Path) -> list[dict]:
    result = photofind(*args, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["results"]


def label(path: str) -> tuple[str, str]:
    """("red", "circle") from ".../00000-red-circle.png"."""
    colour, shape = Path(path).stem.split("-")[1:3]
    return colour, shape


def assert_one_line_error(result, code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), result.stderr
    return lines[0]


def summary_counts(stdout: str) -> dict[str, int]:
    """The numbers of the summary line of 'photofind index'."""
    line = next(s for s in stdout.splitlines() if s.startswith("Indexed "))
    found = re.findall(r"(\d+) (new photos?|reused|unchanged|failed|removed)", line)
    return {word.split()[0]: int(n) for n, word in found}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    """48 photos indexed into a data dir by 'photofind index FOLDER'; shared, read-only."""
    root = tmp_path_factory.mktemp("cli")
    photos = generate_library(root / "photos", 48, seed=2024, size_range=(300, 700))
    data = root / "data"
    first = photofind("index", str(root / "photos"), data_dir=data)
    return data, root / "photos", photos, first


def test_index_then_status(library):
    data, folder, _, first = library
    assert first.returncode == 0, first.stderr
    assert f"Added folder {folder}" in first.stdout
    assert summary_counts(first.stdout) == {
        "new": 48, "reused": 0, "unchanged": 0, "failed": 0, "removed": 0,
    }  # fmt: skip
    info = status_json(data)
    assert (info["photos"], info["failed"], info["pending"]) == (48, 0, 0)
    assert info["model"] == MODEL and info["provider"] == "cpu"
    assert info["data_dir"] == str(data)
    assert info["folders"] == [str(folder)]
    assert Path(info["index_file"]).is_file()

    again = photofind("index", data_dir=data)
    assert again.returncode == 0, again.stderr
    counts = summary_counts(again.stdout)
    assert (counts["new"], counts["unchanged"], counts["failed"]) == (0, 48, 0)

    text = photofind("status", data_dir=data)
    assert text.returncode == 0
    for expected in (str(data), MODEL, "48 indexed", str(folder)):
        assert expected in text.stdout


def test_search_json_finds_red_circles(library):
    data, *_ = library
    hits = search_json("search", "a red circle", "--all", data_dir=data)
    assert len(hits) == 20  # the default k
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert Path(hit["path"]).is_absolute() and Path(hit["path"]).is_file()
    assert [label(h["path"]) for h in hits[:2]] == [("red", "circle")] * 2
    assert len(search_json("search", "a red circle", "-k", "5", "--all", data_dir=data)) == 5


def test_search_text_output(library):
    data, *_ = library
    result = photofind("search", "a blue square", "-k", "7", "--all", data_dir=data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    for line in lines:
        match = HIT_LINE.match(line)
        assert match, line
        assert Path(match["path"]).is_file()


def test_similar_puts_the_photo_itself_first(library):
    data, _, photos, _ = library
    photo = photos[5]
    hits = search_json("similar", str(photo.path), "-k", "5", "--all", data_dir=data)
    assert hits[0]["path"] == str(photo.path)
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert label(hits[1]["path"]) == (photo.colour, photo.shape)


def test_similar_with_a_missing_image_is_a_usage_error(library):
    data, folder, *_ = library
    result = photofind("similar", str(folder / "no-such-photo.jpg"), data_dir=data)
    assert_one_line_error(result, 2)


def test_broken_files_are_reported_and_do_not_stop_indexing(tmp_path):
    folder = tmp_path / "photos"
    photos = generate_library(folder, 24, seed=11, size_range=(300, 500))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "noise.png").write_bytes(os.urandom(2000))
    jpeg = next(p.path for p in photos if p.path.suffix == ".jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    data = tmp_path / "data"

    result = photofind("index", str(folder), data_dir=data)
    assert result.returncode == 0, result.stderr
    counts = summary_counts(result.stdout)
    assert (counts["new"], counts["failed"]) == (24, 3)
    for name in ("empty.jpg", "noise.png", "truncated.jpg"):
        assert re.search(rf"{name}: \S", result.stderr), result.stderr
    info = status_json(data)
    assert (info["photos"], info["failed"], info["pending"]) == (24, 3, 0)


@pytest.mark.skipif(sys.platform != "linux", reason="file names must be arbitrary bytes")
def test_file_names_that_are_not_utf8_or_hold_a_newline(tmp_path):
    folder = tmp_path / "photos"
    photos = generate_library(folder, 24, seed=12, size_range=(300, 500))
    source = next(p.path for p in photos if p.path.suffix == ".jpg").read_bytes()
    latin1 = os.path.join(os.fsencode(folder), b"caf\xe9.jpg")
    with open(latin1, "wb") as f:
        f.write(source)
    (folder / "two\nlines.jpg").write_bytes(source + b"\0")  # other bytes: not a copy
    data = tmp_path / "data"

    result = photofind("index", str(folder), data_dir=data)
    assert result.returncode == 0, result.stderr
    counts = summary_counts(result.stdout)
    assert counts["new"] + counts["reused"] == 26 and counts["failed"] == 0

    hits = search_json("search", "a photo", "-k", "50", "--all", data_dir=data)
    raw_paths = {os.fsencode(h["path"]) for h in hits}
    assert len(hits) == 26
    assert latin1 in raw_paths and os.fsencode(folder / "two\nlines.jpg") in raw_paths
    assert all(os.path.isfile(p) for p in raw_paths)

    text = photofind("search", "a photo", "-k", "50", "--all", data_dir=data)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == 26  # one line per photo, the newline escaped
    assert any(line.endswith("two\\nlines.jpg") for line in lines)
    assert any(line.endswith("caf\\udce9.jpg") for line in lines)
    assert photofind("status", data_dir=data).returncode == 0


def test_unknown_model(tmp_path):
    result = photofind("status", data_dir=tmp_path / "data", model="no-such-model")
    assert "no-such-model" in assert_one_line_error(result, 1)


def test_data_dir_that_is_a_file(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a folder")
    assert_one_line_error(photofind("status", data_dir=data), 1)


def test_catalog_from_a_newer_version(library, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(library[0], data)
    with sqlite3.connect(data / "catalog.sqlite3") as db:
        db.execute("PRAGMA user_version = 999")
    db.close()
    message = assert_one_line_error(photofind("search", "a red circle", data_dir=data), 1)
    assert "newer" in message


def test_index_a_folder_that_does_not_exist(tmp_path):
    missing = tmp_path / "does" / "not" / "exist"
    assert_one_line_error(photofind("index", str(missing), data_dir=tmp_path / "data"), 2)


def test_index_without_folders(tmp_path):
    message = assert_one_line_error(photofind("index", data_dir=tmp_path / "data"), 2)
    assert "photofind index FOLDER" in message


def test_cuda_requested_without_a_gpu(library):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine can run CUDA")
    result = photofind("status", "--json", data_dir=library[0], provider="cuda")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["provider"] == "cpu"
    warning = result.stderr.splitlines()
    assert len(warning) == 1 and warning[0].startswith("photofind: warning: ")
    assert "CUDA" in warning[0]


def test_search_an_empty_library(tmp_path):
    data = tmp_path / "data"
    result = photofind("search", "a red circle", "--json", data_dir=data)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"matches": 0, "results": []}
    assert "photofind index FOLDER" in result.stderr
    text = photofind("search", "a red circle", data_dir=data)
    assert (text.returncode, text.stdout) == (0, "")


def test_help_and_options_after_the_command(tmp_path):
    code = (
        "import contextlib, io, sys\n"
        "from photofind.cli import main\n"
        "for command in ([], ['gui'], ['index'], ['search'], ['similar'], ['status']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as text:\n"
        "        assert main([*command, '--help']) == 0, command\n"
        "    assert 'usage: photofind' in text.getvalue(), command\n"
    )
    helps = subprocess.run(
        [sys.executable, "-c", code], stdin=subprocess.DEVNULL, capture_output=True,
        encoding="utf-8", timeout=TIMEOUT_S,
    )  # fmt: skip
    assert helps.returncode == 0, helps.stderr
    data = tmp_path / "data"
    late = photofind("status", "--json", "--data-dir", str(data), data_dir=tmp_path / "other")
    assert late.returncode == 0, late.stderr
    assert json.loads(late.stdout)["data_dir"] == str(data)
    assert not (tmp_path / "other").exists()


def test_unexpected_error_is_one_line_and_logged(tmp_path):
    code = (
        "import sys, photofind.cli as cli, photofind.cli.library_commands as commands\n"
        "def fail(args, paths):\n"
        "    raise RuntimeError('boom')\n"
        "commands.cmd_status = fail\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data), "status"],
        stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=TIMEOUT_S,
    )  # fmt: skip
    line = assert_one_line_error(result, 1)
    assert line.startswith("photofind: unexpected error: boom; please report it")
    log_files = list((data / "logs").iterdir())
    assert len(log_files) == 1 and "RuntimeError: boom" in log_files[0].read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_cleanly_and_the_next_run_continues(tmp_path):
    folder = tmp_path / "photos"
    generate_library(folder, 60, seed=13, size_range=(300, 400))
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", str(data), "--model", MODEL]
    proc = subprocess.Popen(
        [*cmd, "--provider", "cpu", "index", str(folder)], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", env=env,
    )  # fmt: skip
    try:
        for line in proc.stderr:  # interrupt once indexing has begun and had a moment
            if line.startswith("Indexing 0/"):
                time.sleep(PART_WAY_S)
                proc.send_signal(signal.SIGINT)
                break
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    if "Stopped;" not in stderr:
        # It finished before the signal arrived (a fast machine): the signal may then land
        # while the interpreter exits, which is not the path under test.
        assert summary_counts(stdout)["new"] == 60
        return
    first = summary_counts(stdout)
    assert proc.returncode == 130, stderr
    assert "Stopped; run 'photofind index' again to continue." in stderr
    assert "Traceback" not in stderr
    assert status_json(data)["photos"] == first["new"] <= 60

    second = photofind("index", data_dir=data)
    assert second.returncode == 0, second.stderr
    counts = summary_counts(second.stdout)
    assert counts["new"] == 60 - first["new"] and counts["unchanged"] == first["new"]
    assert status_json(data)["photos"] == 60
