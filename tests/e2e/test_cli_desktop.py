"""`photofind install-desktop` writes a working freedesktop menu entry and icons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def install(tmp_path: Path, xdg: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    env["XDG_DATA_HOME"] = str(xdg)
    return subprocess.run(
        [sys.executable, "-m", "photofind", "--data-dir", str(tmp_path / "data"), "install-desktop"],
        stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=120, env=env,
    )  # fmt: skip


def test_install_desktop_writes_entry_and_icons(tmp_path):
    xdg = tmp_path / "share"
    result = install(tmp_path, xdg)
    assert result.returncode == 0, result.stderr
    entry = xdg / "applications" / "photofind.desktop"
    text = entry.read_text()
    assert "Name=photofind" in text and "Icon=photofind" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert "-m photofind gui" in exec_line
    assert Path(exec_line.split("=", 1)[1].split()[0].strip('"')).exists(), (
        "Exec names a real python"
    )
    for size in (16, 48, 256):
        icon = xdg / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "photofind.png"
        assert icon.read_bytes().startswith(b"\x89PNG")
    assert str(entry) in result.stdout


def test_unwritable_share_folder_is_one_sentence(tmp_path):
    blocker = tmp_path / "share"
    blocker.write_text("a file where a folder should be")
    result = install(tmp_path, blocker)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "menu entry cannot be written" in result.stderr
