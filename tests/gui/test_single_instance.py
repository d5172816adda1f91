"""One window per library, with real processes: a second launch on the same data folder
hands its folders and photos to the first and exits; one on another data folder starts;
a socket left by a crashed photofind does not block the next launch; a stranger's message
is ignored."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer

from photofind.gui.single_instance import SingleInstance, bring_forward, server_name

ROOT = Path(__file__).resolve().parents[2]

SECOND_LAUNCH = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from photofind.gui.single_instance import SingleInstance

app = QCoreApplication([])
instance = SingleInstance(Path(sys.argv[1]))
first = instance.claim([Path(p) for p in sys.argv[2:]])
print("first" if first else "handed over", flush=True)
instance.close()
"""


def launch(qtbot, data_dir: Path, *args: str, cwd: Path) -> str:
    """Run a second photofind launch in its own process; the test's event loop keeps
    answering while it runs (the first instance lives in this process)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SECOND_LAUNCH, str(data_dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


@pytest.fixture
def first(tmp_path: Path):
    instance = SingleInstance(tmp_path / "data")
    assert instance.claim([]) is True and instance.listening
    yield instance
    instance.close()


def test_a_second_launch_hands_over_its_paths_and_exits(qtbot, first, tmp_path: Path) -> None:
    received: list[list[Path]] = []
    first.paths_received.connect(received.append)
    raw_name = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg"))

    said = launch(qtbot, tmp_path / "data", "holiday.jpg", str(tmp_path / "Pictures"), raw_name,
                  cwd=tmp_path)  # fmt: skip

    assert said == "handed over"
    qtbot.waitUntil(lambda: len(received) == 1)
    assert received[0] == [tmp_path / "holiday.jpg", tmp_path / "Pictures", Path(raw_name)]
    assert os.fsencode(received[0][2]).endswith(b"caf\xe9.jpg")  # the exact bytes


def test_a_launch_with_nothing_to_open_still_brings_the_window(
    qtbot, first, tmp_path: Path
) -> None:
    received: list[list[Path]] = []
    first.paths_received.connect(received.append)
    assert launch(qtbot, tmp_path / "data", cwd=tmp_path) == "handed over"
    qtbot.waitUntil(lambda: received == [[]])


def test_another_library_gets_its_own_window(qtbot, first, tmp_path: Path) -> None:
    assert launch(qtbot, tmp_path / "other-data", cwd=tmp_path) == "first"
    assert server_name(tmp_path / "data") != server_name(tmp_path / "other-data")


def test_the_same_folder_by_another_path_is_the_same_library(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    assert server_name(tmp_path / "link") == server_name(tmp_path / "data")


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes leave no file behind")
def test_a_socket_left_by_a_crash_does_not_block_the_next_launch(tmp_path: Path) -> None:
    probe = QLocalServer()
    assert probe.listen(server_name(tmp_path / "data"))
    path = probe.fullServerName()
    probe.close()
    # What a killed photofind leaves: the socket file, with nobody listening on it.
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(path)
    leftover.close()
    assert os.path.exists(path)

    instance = SingleInstance(tmp_path / "data")
    try:
        assert instance.claim([]) is True and instance.listening
    finally:
        instance.close()


@pytest.mark.skipif(sys.platform == "win32", reason="speaks to the Unix socket directly")
def test_a_message_that_is_not_photofinds_is_ignored(qtbot, first) -> None:
    received: list[list[Path]] = []
    first.paths_received.connect(received.append)
    stranger = socket.socket(socket.AF_UNIX)
    stranger.connect(first._server.fullServerName())
    stranger.sendall(b"GET / HTTP/1.0\n")
    stranger.settimeout(0.05)
    answer = b"?"
    for _ in range(100):
        qtbot.wait(20)
        try:
            answer = stranger.recv(16)
            break
        except TimeoutError:
            continue
    stranger.close()
    assert answer == b""  # hung up on, no "ok"
    assert received == []


def test_bring_forward_restores_a_minimised_window(qtbot) -> None:
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    bring_forward(window)
    qtbot.waitUntil(lambda: not window.isMinimized() and window.isVisible())
