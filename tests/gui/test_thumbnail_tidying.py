"""The window tidies the thumbnail cache after an index run that changed the library, on a
worker thread, once a day: a removed photo's entry and a stale entry go once the run ends."""

from __future__ import annotations

import os
import threading
import time

from helpers.gui import wait_indexed

from photofind.core.library import Library
from photofind.core.thumbnail_upkeep import STAMP_NAME, TIDY_EVERY_S
from photofind.core.thumbnails import GRID_BUCKET


def test_the_window_tidies_after_an_index_run_off_the_ui_thread(
    qtbot, make_window, library_photos, monkeypatch
):
    threads: list[threading.Thread] = []
    real = Library.tidy_thumbnails

    def recorded(self, cancel=None):
        threads.append(threading.current_thread())
        return real(self, cancel)

    monkeypatch.setattr(Library, "tidy_thumbnails", recorded)
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    session = window.session
    qtbot.waitUntil(lambda: bool(threads) and session.tidying.job is None, timeout=10_000)
    cache = session.library.thumbnails
    stamp = cache.root / STAMP_NAME
    assert stamp.is_file()  # the first run added 48 photos: tidied once

    photos = sorted(library_photos.iterdir())
    gone = cache.entry_path(photos[0], GRID_BUCKET)
    kept = cache.entry_path(photos[1], GRID_BUCKET)
    assert gone.is_file() and kept.is_file()
    stray = cache.root / "ab" / ("ab" + "0" * 30 + ".jpg")
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"\xff\xd8 no photo has this key")
    then = time.time() - TIDY_EVERY_S - 60
    os.utime(stamp, (then, then))
    photos[0].unlink()
    session.start_indexing()
    qtbot.waitUntil(lambda: not stray.exists() and not gone.exists(), timeout=30_000)
    qtbot.waitUntil(lambda: session.tidying.job is None, timeout=10_000)
    assert kept.is_file()
    assert threads and all(t is not threading.main_thread() for t in threads)
