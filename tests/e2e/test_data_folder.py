"""The data folder's disk, locks and odd values, met through the ``photofind`` command in a
real process: a full disk (a small tmpfs, filled to several levels), a read-only one (the
tmpfs remounted read-only, or one file bind-mounted read-only), another program holding the
catalog's write lock, a folder name that is not UTF-8, a model name no file system holds.

Every case ends in one plain sentence or in an answer, never in "unexpected error", and
never in advice to throw away a catalog that is fine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120


def photofind(*args: str, data_dir: Path, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", os.fspath(data_dir)]
    cmd += ["--provider", "cpu", *args]
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        errors="backslashreplace", timeout=TIMEOUT_S, env={**clean, **(env or {})},
    )  # fmt: skip


def one_sentence(result, code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), result.stderr
    assert "unexpected" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


def test_a_model_name_longer_than_any_file_name_is_a_plain_sentence(tmp_path):
    line = one_sentence(photofind("--model", "m" * 300, "status", data_dir=tmp_path / "data"))
    assert "No model named" in line and len(line) < 300
