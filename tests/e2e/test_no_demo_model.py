"""photofind never indexes real photos with the demo model by accident (issue 14).

With no model chosen and no real model installed, 'photofind index' refuses in a script
(exit 2, one sentence naming the install command and --model tiny-shapes) and asks at a
terminal (a real pseudo-terminal here); choosing tiny-shapes on purpose works as before;
a search answered by a library indexed only with the demo model says so."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.hubserver import FakeHub, hub_environment

from photofind.core.clip import ModelBundle
from photofind.core.models import load_registry
from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120
DEMO = "tiny-shapes"
RECOMMENDED = load_registry().default
DEMO_WARNING = "indexed only with tiny-shapes, the demo model"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    return {**env, **extra}


def command(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "photofind", "--data-dir", os.fspath(data), "--provider",
            "cpu", *args]  # fmt: skip


def photofind(*args: str, data: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        command(data, *args), stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        timeout=TIMEOUT_S, env=env or clean_env(),
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    generate_library(folder, 6, seed=14, size_range=(200, 300))
    return folder


@pytest.mark.parametrize("command", ["index", "watch"])
def test_a_script_is_refused_with_the_install_command_and_nothing_is_written(
    tmp_path, photos, command
):
    data = tmp_path / "data"
    result = photofind(command, os.fspath(photos), data=data)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("photofind: No model for real photos is installed;"), line
    assert f"'photofind model install {RECOMMENDED}'" in line
    assert f"--model {DEMO} for the offline demo" in line
    assert not (data / "catalog.sqlite3").exists()
    # Nothing was remembered either: the folder was not added.
    status = json.loads(ok(photofind("--model", DEMO, "status", "--json", data=data)).stdout)
    assert (status["folders"], status["photos"]) == ([], 0)


@pytest.mark.parametrize("how", ["--model", "PHOTOFIND_MODEL", "model use"])
def test_choosing_the_demo_model_on_purpose_works_as_before(tmp_path, photos, how):
    data = tmp_path / "data"
    env = clean_env()
    options: tuple[str, ...] = ()
    if how == "--model":
        options = ("--model", DEMO)
    elif how == "PHOTOFIND_MODEL":
        env = clean_env(PHOTOFIND_MODEL=DEMO)
    else:
        ok(photofind("model", "use", DEMO, data=data))
    indexed = ok(photofind(*options, "index", os.fspath(photos), data=data, env=env))
    assert "Indexed 6 new photos" in indexed.stdout
    found = ok(photofind(*options, "search", "a red circle", "--all", "--json", data=data, env=env))
    assert len(json.loads(found.stdout)["results"]) == 6
    assert DEMO_WARNING not in found.stderr


def test_a_search_answered_by_the_fallback_demo_model_says_so(tmp_path, photos):
    data = tmp_path / "data"
    ok(photofind("--model", DEMO, "index", os.fspath(photos), data=data))
    found = ok(photofind("search", "a red circle", "--all", "--json", data=data))
    assert len(json.loads(found.stdout)["results"]) == 6  # the answer itself is unchanged
    warnings = [line for line in found.stderr.splitlines() if DEMO_WARNING in line]
    assert len(warnings) == 1 and warnings[0].startswith("photofind: "), found.stderr
    assert f"'photofind model install {RECOMMENDED}'" in warnings[0]
    similar = ok(photofind("similar", os.fspath(next(photos.iterdir())), data=data))
    assert DEMO_WARNING in similar.stderr


def test_an_installed_model_that_is_not_chosen_is_named(tmp_path, photos, tiny_bundle):
    data = tmp_path / "data"
    ok(photofind("model", "import", os.fspath(tiny_bundle.root), "--name", "my-clip", data=data))
    result = photofind("index", os.fspath(photos), data=data)
    assert result.returncode == 2, (result.stdout, result.stderr)
    (line,) = result.stderr.splitlines()
    assert "installed models (my-clip)" in line and "'photofind model use NAME'" in line, line
    assert not (data / "catalog.sqlite3").exists()


class Terminal:
    """photofind on a pseudo-terminal: stdin, stdout and stderr are its slave side."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.text = ""

    def read_until(self, wanted: str) -> str:
        deadline = time.monotonic() + TIMEOUT_S
        while wanted not in self.text:
            assert time.monotonic() < deadline, f"never said {wanted!r}: {self.text!r}"
            if not self._read(0.5) and self.process.poll() is not None:
                raise AssertionError(f"exited before saying {wanted!r}: {self.text!r}")
        return self.text

    def _read(self, wait_s: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait_s)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child has closed the terminal
            return False
        self.text += chunk.decode("utf-8", errors="replace")
        return bool(chunk)

    def answer(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self) -> int:
        code = self.process.wait(TIMEOUT_S)
        while self._read(0.1):
            pass
        os.close(self.master)
        return code


QUESTION = f"Download the recommended model {RECOMMENDED} (en, ≈600 MB) and index with it? [y/n]"


def test_at_a_terminal_no_leaves_everything_as_it_was(tmp_path, photos):
    data = tmp_path / "data"
    terminal = Terminal(command(data, "index", os.fspath(photos)), clean_env())
    terminal.read_until(QUESTION)
    terminal.answer("maybe")
    terminal.read_until("Please answer y or n.")
    terminal.answer("n")
    assert terminal.finish() == 2, terminal.text
    assert f"'photofind model install {RECOMMENDED}'" in terminal.text
    assert "Indexed" not in terminal.text and "Added folder" not in terminal.text
    assert not (data / "catalog.sqlite3").exists() and not (data / "models").exists()


@pytest.fixture
def hub(tiny_bundle: ModelBundle):
    # The tiny model's files served as the recommended model's repository: the install,
    # its checks and the indexing after it are real; only the weights are small.
    server = FakeHub()
    server.add_repo(f"immich-app/{RECOMMENDED}", tiny_bundle.root)
    with server:
        yield server


def test_at_a_terminal_yes_installs_the_recommended_model_and_indexes_with_it(
    tmp_path, photos, hub
):
    data = tmp_path / "data"
    env = hub_environment(clean_env(), tmp_path / "hf-home", hub.url)
    terminal = Terminal(command(data, "index", os.fspath(photos)), env)
    terminal.read_until(QUESTION)
    terminal.answer("y")
    assert terminal.finish() == 0, terminal.text
    assert f"Installed {RECOMMENDED} (" in terminal.text
    assert f"{RECOMMENDED} is now the active model." in terminal.text
    assert "Indexed 6 new photos" in terminal.text
    status = json.loads(ok(photofind("status", "--json", data=data, env=env)).stdout)
    assert (status["model"], status["photos"]) == (RECOMMENDED, 6)
    found = ok(photofind("search", "a red circle", data=data, env=env))
    assert DEMO_WARNING not in found.stderr
