"""Errors nobody handled, met by the ``photofind`` command in a real process: one line on the
terminal, the details in the app's one rotating log file (the one the window writes too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind import __version__
from photofind.core import errorsink
from photofind.core.config import app_paths
from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120  # a generous bound on 2 busy cores; a run takes a few seconds

# Replaces 'photofind status' with a command that fails the way a photofind bug would.
FAILING_STATUS = (
    "import sys, photofind.cli as cli, photofind.cli.library_commands as commands\n"
    "def fail(args, paths):\n"
    "    raise RuntimeError('boom')\n"
    "commands.cmd_status = fail\n"
)


def run_cli(code: str, *args: str, cwd: Path, tmpdir: Path | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run(
        [sys.executable, "-c", code + "sys.exit(cli.main(sys.argv[1:]))\n", *args],
        stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=TIMEOUT_S,
        env=env, cwd=cwd,
    )  # fmt: skip


def one_error_line(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unexpected_error_goes_to_the_log_file_the_window_writes(tmp_path):
    data = tmp_path / "data"
    result = run_cli(FAILING_STATUS, "--data-dir", str(data), "status", cwd=tmp_path)
    line = one_error_line(result)
    log_file = data / "logs" / errorsink.LOG_FILE
    assert line == (f"photofind: unexpected error: boom; please report it (details in {log_file})")
    text = log_file.read_text()
    assert "RuntimeError: boom" in text and "Traceback" in text
    assert f"photofind {__version__}" in text and "'status'" in text  # the version and argv
    assert sorted(p.name for p in (data / "logs").iterdir()) == [errorsink.LOG_FILE]
    try:  # the window, started on the same data folder, logs to the very same file
        assert errorsink.install(app_paths(data).log_dir) == log_file
    finally:
        errorsink.uninstall()


def test_a_thread_that_dies_during_a_command_is_logged_not_printed(tmp_path):
    code = (
        "import sys, threading, photofind.cli as cli, photofind.cli.library_commands as c\n"
        "def status(args, paths):\n"
        "    def fail():\n"
        "        raise ValueError('broken in a thread')\n"
        "    thread = threading.Thread(target=fail, name='worker-x')\n"
        "    thread.start()\n"
        "    thread.join()\n"
        "    return 0\n"
        "c.cmd_status = status\n"
    )
    data = tmp_path / "data"
    result = run_cli(code, "--data-dir", str(data), "status", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    text = (data / "logs" / errorsink.LOG_FILE).read_text()
    assert "worker-x" in text and "ValueError: broken in a thread" in text


def test_an_unwritable_log_folder_sends_the_log_to_the_temp_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "logs").write_text("a file where the log folder would be\n")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    result = run_cli(FAILING_STATUS, "--data-dir", str(data), "status", cwd=tmp_path, tmpdir=tmpdir)
    log_file = tmpdir / errorsink.LOG_FILE
    assert one_error_line(result).endswith(f"please report it (details in {log_file})")
    assert "RuntimeError: boom" in log_file.read_text()


def test_with_no_folder_to_log_in_the_error_is_still_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "logs").write_text("a file where the log folder would be\n")
    nowhere = tmp_path / "not-a-folder"
    nowhere.write_text("")
    code = FAILING_STATUS + f"import tempfile\ntempfile.tempdir = {str(nowhere)!r}\n"
    result = run_cli(code, "--data-dir", str(data), "status", cwd=tmp_path)
    assert one_error_line(result).endswith(
        "please report it (details in no log file could be written)"
    )


def test_a_decoder_bug_fails_one_photo_and_leaves_its_traceback_in_the_log(tmp_path):
    folder = tmp_path / "photos"
    generate_library(folder, 3, seed=5)
    broken = sorted(folder.iterdir())[0]
    code = (
        "import os, sys, photofind.cli as cli, photofind.core.indexer as indexer\n"
        "real_read_info = indexer.read_info\n"
        "def read_info(source):\n"  # the indexer passes the open photo file
        f"    if os.path.samestat(os.fstat(source.fileno()), os.stat({str(broken)!r})):\n"
        "        raise KeyError('decoder bug')\n"
        "    return real_read_info(source)\n"
        "indexer.read_info = read_info\n"
    )
    data = tmp_path / "data"
    args = ("--data-dir", str(data), "--model", "tiny-shapes", "--provider", "cpu")
    result = run_cli(code, *args, "index", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{broken}: The file could not be decoded (KeyError: 'decoder bug')." in result.stderr
    text = (data / "logs" / errorsink.LOG_FILE).read_text()
    assert "unexpected error while decoding" in text and "KeyError: 'decoder bug'" in text
