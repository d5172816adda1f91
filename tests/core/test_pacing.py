"""Background work gives way while the window is in use, and only then."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from photofind.core.drives import count_folders
from photofind.core.pacing import Foreground
from photofind.core.scanner import plan
from photofind.core.shapes import generate_library


def test_give_way_returns_at_once_when_nobody_uses_the_window():
    assert Foreground().give_way() < 0.01


def in_a_worker(fn):
    """``fn()`` on a thread of its own, as background work runs; its result."""
    result = []
    worker = threading.Thread(target=lambda: result.append(fn()))
    worker.start()
    worker.join()
    return result[0]


def test_give_way_waits_until_the_window_is_left_alone():
    front = Foreground()
    front.touch(0.2)
    assert front.in_use
    waited = in_a_worker(front.give_way)
    assert 0.15 <= waited < 1.0
    assert not front.in_use


def test_the_main_thread_never_waits_for_itself():
    front = Foreground()
    front.touch(30)
    assert front.give_way() == 0.0


def test_each_touch_extends_the_wait():
    front = Foreground()
    front.touch(0.15)
    stop = threading.Event()

    def keep_scrolling() -> None:
        end = time.monotonic() + 0.4
        while time.monotonic() < end and not stop.is_set():
            front.touch(0.15)
            time.sleep(0.02)

    scroller = threading.Thread(target=keep_scrolling)
    scroller.start()
    try:
        waited = in_a_worker(front.give_way)
    finally:
        stop.set()
        scroller.join()
    assert waited >= 0.4  # the touches went on for 0.4 s, then 0.15 s more


def test_a_cancel_ends_the_wait_and_release_lets_everyone_go():
    front = Foreground()
    front.touch(30)
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    assert in_a_worker(lambda: front.give_way(cancel)) < 5
    front.release()
    assert not front.in_use and front.give_way() < 0.01


def test_the_scan_waits_while_the_window_is_in_use(tmp_path: Path, monkeypatch):
    generate_library(tmp_path / "lib", 6, seed=1)
    front = Foreground()
    monkeypatch.setattr("photofind.core.scanner.foreground", front)
    front.touch(0.3)
    started = time.monotonic()
    result = in_a_worker(lambda: plan([tmp_path / "lib"], {}, set()))
    assert len(result.todo) == 6
    assert time.monotonic() - started >= 0.25
    front.release()
    started = time.monotonic()
    assert len(in_a_worker(lambda: plan([tmp_path / "lib"], {}, set())).todo) == 6
    assert time.monotonic() - started < 0.25


def _walk_count(root: Path) -> int:
    return sum(1 for _ in os.walk(root))


def test_count_folders_agrees_with_a_walk(tmp_path: Path):
    root = tmp_path / "lib"
    for sub in ("a/b/c", "a/d", "e", "f/g/h/i"):
        (root / sub).mkdir(parents=True)
    for i in range(30):  # photos in leaves and in folders with subfolders
        (root / ("a/b/c" if i % 2 else "a") / f"{i}.jpg").write_bytes(b"x")
    (root / "empty").mkdir()
    os.symlink(root / "a", root / "link-to-a")  # a link is not followed
    (root / "file-link.jpg").symlink_to(root / "a" / "0.jpg")
    assert count_folders(root) == _walk_count(root) == 11


def test_count_folders_of_a_folder_that_is_gone_or_a_file(tmp_path: Path):
    assert count_folders(tmp_path / "gone") == _walk_count(tmp_path / "gone") == 0
    (tmp_path / "photo.jpg").write_bytes(b"x")
    os.link(tmp_path / "photo.jpg", tmp_path / "same.jpg")  # a file with two links
    assert count_folders(tmp_path / "photo.jpg") == _walk_count(tmp_path / "photo.jpg") == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_count_folders_leaves_out_a_folder_that_cannot_be_listed(tmp_path: Path):
    (tmp_path / "open" / "leaf").mkdir(parents=True)
    (tmp_path / "shut").mkdir()
    (tmp_path / "shut").chmod(0)
    try:
        assert count_folders(tmp_path) == _walk_count(tmp_path) == 3
    finally:
        (tmp_path / "shut").chmod(0o755)


def test_work_for_the_search_goes_on_while_a_query_is_typed():
    front = Foreground()
    front.touch(0.3, typing=True)
    assert front.in_use
    assert in_a_worker(lambda: front.give_way(to_typing=False)) < 0.05  # the text model loads
    assert in_a_worker(front.give_way) >= 0.2  # the walk of the library waits
    front.touch(0.2)  # a scroll holds up both
    assert in_a_worker(lambda: front.give_way(to_typing=False)) >= 0.15
