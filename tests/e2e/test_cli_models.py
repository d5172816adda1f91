"""'photofind model ...' run as a user runs it: a real process talking HTTP to a hub on
127.0.0.1 (tests/helpers/hubserver.py) that serves the tiny model as an Immich repository."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.hubserver import FakeHub, free_port, hub_environment

from photofind.core.clip import ModelBundle
from photofind.core.models.download import RUNTIME_FILES
from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120
REPO = "immich-app/ViT-B-32__openai"
NAME = "ViT-B-32__openai"
DECOYS = {
    "visual/fp16/model.onnx": b"\0" * 4096,
    "textual/rknpu/rk3588/model.rknn": b"\1" * 2048,
    "README.md": b"# readme\n",
}


@pytest.fixture
def hub(tiny_bundle: ModelBundle):
    server = FakeHub()
    server.add_repo(REPO, tiny_bundle.root, extra=DECOYS)
    with server:
        yield server


@pytest.fixture
def env(hub: FakeHub, tmp_path: Path) -> dict[str, str]:
    return hub_environment(dict(os.environ), tmp_path / "hf-home", hub.url)


def photofind(*args: str, data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--provider", "cpu", *args],
        stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=TIMEOUT_S,
        env=env, cwd=data_dir.parent,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def plain_error(result: subprocess.CompletedProcess, code: int = 1) -> str:
    """The one 'photofind: ...' sentence of a failed command (progress lines may precede it)."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("photofind:")]
    assert len(errors) == 1 and result.stderr.splitlines()[-1] == errors[0], result.stderr
    return errors[0]


def listing(data: Path, env: dict[str, str]) -> dict:
    return json.loads(ok(photofind("model", "list", "--json", data_dir=data, env=env)))


def hidden(data: Path) -> list[str]:
    models = data / "models"
    return (
        sorted(p.name for p in models.iterdir() if p.name.startswith("."))
        if models.exists()
        else []
    )


def test_install_use_index_and_remove(hub, env, tmp_path, tiny_bundle):
    data = tmp_path / "data"
    table = ok(photofind("model", "list", data_dir=data, env=env))
    lines = table.splitlines()
    assert lines[1].startswith("* tiny-shapes") and "built in" in lines[1]
    laion = next(line for line in lines if "ViT-B-32__laion2b-s34b-b79k" in line)
    assert "68.8%" in laion and "recommended" in laion and "~600 MB" in laion
    assert "recommended for other languages" in next(
        line for line in lines if "XLM-Roberta" in line
    )

    out = ok(photofind("model", "install", NAME, data_dir=data, env=env))
    assert f"Installed {NAME} (" in out and f"photofind model use {NAME}" in out
    assert sorted(hub.fetched(REPO)) == sorted(RUNTIME_FILES)
    rows = {m["name"]: m for m in listing(data, env)["models"]}
    assert rows[NAME]["installed"] and not rows[NAME]["active"] and rows["tiny-shapes"]["active"]

    out = ok(photofind("model", "use", NAME, data_dir=data, env=env))
    assert f"{NAME} is now the active model" in out
    assert listing(data, env)["active"] == NAME
    photos = tmp_path / "photos"
    generate_library(photos, 6, seed=5, size_range=(200, 300))
    ok(photofind("index", str(photos), data_dir=data, env=env))
    status = json.loads(ok(photofind("status", "--json", data_dir=data, env=env)))
    assert status["model"] == NAME and status["photos"] == 6
    assert status["index_file"].endswith(f"index-{NAME}.hnsw")
    explicit = json.loads(
        ok(photofind("--model", "tiny-shapes", "status", "--json", data_dir=data, env=env))
    )
    assert explicit["model"] == "tiny-shapes"  # --model still wins
    from_env = json.loads(
        ok(
            photofind(
                "status", "--json", data_dir=data, env={**env, "PHOTOFIND_MODEL": "tiny-shapes"}
            )
        )
    )
    assert from_env["model"] == "tiny-shapes"

    refused = plain_error(photofind("model", "remove", NAME, data_dir=data, env=env))
    assert refused.startswith(f"photofind: {NAME} is the active model; choose another one first")
    assert "cannot be removed" in plain_error(
        photofind("model", "remove", "tiny-shapes", data_dir=data, env=env)
    )
    out = ok(photofind("model", "use", "tiny-shapes", data_dir=data, env=env))
    assert f"The vectors of {NAME} are kept until 'photofind model remove {NAME}'" in out
    out = ok(photofind("model", "remove", NAME, data_dir=data, env=env))
    assert out.startswith(f"Removed {NAME}: ") and "6 photo vectors deleted" in out
    assert not (data / "models" / NAME).exists()
    assert not (data / f"index-{NAME}.hnsw").exists()
    with sqlite3.connect(data / "catalog.sqlite3") as db:
        assert db.execute("SELECT DISTINCT model_id FROM embeddings").fetchall() == []
    assert hidden(data) == []


def test_a_dropped_connection_is_retried(hub, env, tmp_path, tiny_bundle):
    data = tmp_path / "data"
    hub.drop_once.add("visual/model.onnx")
    ok(photofind("model", "install", NAME, data_dir=data, env=env))
    assert hub.fetched(REPO).count("visual/model.onnx") == 2  # the first answer was cut short
    installed = data / "models" / NAME / "visual" / "model.onnx"
    assert installed.read_bytes() == (tiny_bundle.root / "visual" / "model.onnx").read_bytes()


def test_a_corrupted_download_is_refused(hub, env, tmp_path, tiny_bundle):
    data = tmp_path / "data"
    ok(
        photofind(
            "model", "import", str(tiny_bundle.root), "--name", "mine", data_dir=data, env=env
        )
    )
    ok(photofind("model", "use", "mine", data_dir=data, env=env))
    hub.corrupt.add("textual/model.onnx")
    line = plain_error(photofind("model", "install", NAME, data_dir=data, env=env))
    assert line == (
        f"photofind: The downloaded file textual/model.onnx of {REPO} is damaged (its checksum "
        "does not match the server's); nothing was installed, run the install again."
    )
    assert not (data / "models" / NAME).exists() and hidden(data) == []
    assert listing(data, env)["active"] == "mine"


def test_no_network_and_unknown_names(env, tmp_path):
    data = tmp_path / "data"
    closed = {**env, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    line = plain_error(photofind("model", "install", NAME, data_dir=data, env=closed))
    assert line.startswith("photofind: Cannot reach the model server (127.0.0.1:")
    assert line.endswith("; check your internet connection and try again.")
    line = plain_error(photofind("model", "install", "ViT-Q-99", data_dir=data, env=env))
    assert "no model named 'ViT-Q-99' in the list; see 'photofind model list'" in line
    line = plain_error(photofind("model", "use", "nothing", data_dir=data, env=env))
    assert line == "photofind: No model named 'nothing' is installed; see 'photofind model list'."
    usage = photofind("model", data_dir=data, env=env)
    assert usage.returncode == 2 and "ACTION" in usage.stderr
    assert not (data / "models").exists()


def test_disk_full_is_one_sentence(hub, env, tmp_path):
    data = tmp_path / "data"
    code = (
        "import errno, sys\n"
        "import photofind.cli as cli\n"
        "from photofind.core.models import install\n"
        "def full(staging, target):\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "install._publish = full\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data), "model", "install", NAME],
        stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=TIMEOUT_S, env=env,
    )  # fmt: skip
    line = plain_error(result)
    assert line.startswith(f"photofind: Not enough disk space to install {NAME}; free ")
    assert line.endswith(" MB and try again.")
    assert not (data / "models" / NAME).exists() and hidden(data) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_the_download_and_installs_nothing(hub, env, tmp_path):
    data = tmp_path / "data"
    hub.bytes_per_s = 500_000  # tokenizer.json (1.7 MB) takes more than three seconds
    proc = subprocess.Popen(
        [sys.executable, "-m", "photofind", "--data-dir", str(data), "model", "install", NAME],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        encoding="utf-8", env=env,
    )  # fmt: skip
    deadline = time.monotonic() + TIMEOUT_S
    while not hub.fetched(REPO) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 130, (stdout, stderr)
    assert "stopping the download" in stderr
    assert stderr.splitlines()[-1] == "Stopped; nothing was installed."
    assert not (data / "models" / NAME).exists() and hidden(data) == []


def test_import_with_int8_and_help(env, tmp_path, tiny_bundle):
    data = tmp_path / "data"
    out = ok(
        photofind("model", "import", str(tiny_bundle.root), "--name", "fast", "--int8",
                  data_dir=data, env=env)
    )  # fmt: skip
    # tiny-shapes quantises well (cosine ~0.9999), so its int8 encoder is kept
    assert "Installed fast (" in out and "Its image encoder runs in int8" in out
    rows = {m["name"]: m for m in listing(data, env)["models"]}
    assert rows["fast"]["installed"] and rows["fast"]["int8"]
    assert (data / "models" / "fast" / "visual" / "model_int8.onnx").is_file()
    table = ok(photofind("model", "list", data_dir=data, env=env))
    assert "yes, int8" in next(line for line in table.splitlines() if " fast " in line)
    ok(photofind("model", "use", "fast", data_dir=data, env=env))
    status = json.loads(ok(photofind("status", "--json", data_dir=data, env=env)))
    assert status["model"] == "fast"
    assert status["index_file"].endswith("index-fast+int8.hnsw"), "the library runs the int8 graph"
    for action in ("list", "install", "use", "import", "remove"):
        assert "usage: photofind model" in ok(
            photofind("model", action, "--help", data_dir=data, env=env)
        )
