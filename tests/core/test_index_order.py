"""Indexing newest photos first, and the low impact mode: fewer read threads at a lower
priority, on the run's threads only."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from photofind.core import indexer as indexer_module
from photofind.core.config import app_paths
from photofind.core.indexer import Indexer
from photofind.core.library import open_library
from photofind.core.low_impact import LOW_IMPACT_NICE, thread_priority
from photofind.core.scanner import plan
from photofind.core.shapes import generate_library

MODEL = "tiny-shapes"


@pytest.fixture
def dated(tmp_path: Path) -> list[Path]:
    """12 photos whose names run oldest to newest: the newest come last on disk."""
    photos = [
        p.path for p in generate_library(tmp_path / "photos", 12, seed=6, size_range=(200, 300))
    ]
    base = time.time() - 10 * 86400
    for i, path in enumerate(photos):
        os.utime(path, (base + i * 3600, base + i * 3600))
    return photos


def test_plan_lists_the_newest_photos_first(tmp_path: Path, dated: list[Path]):
    scan = plan([tmp_path / "photos"], {}, set())
    assert [f.path for f in scan.todo] == list(reversed(dated))


def test_the_newest_photos_are_searchable_first(tmp_path: Path, dated: list[Path]):
    lib = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    try:
        lib.catalog.add_folder(tmp_path / "photos")
        list(lib.indexer(batch_size=2, workers=1).run())
        rows = lib.catalog.all_photos().values()
        by_id = [r.path for r in sorted(rows, key=lambda r: r.id)]  # ids count up as committed
        assert by_id == list(reversed(dated))
    finally:
        lib.close()


def run_in_thread(indexer: Indexer) -> dict[str, object]:
    """Run on a thread of its own, as the window's index thread does: a lowered priority
    stays with that thread and never reaches the test's."""
    seen: dict[str, object] = {}

    def target() -> None:
        seen["progress"] = list(indexer.run())
        seen["runner"] = thread_priority()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    return seen


@pytest.mark.skipif(sys.platform != "linux", reason="threads have their own nice value on Linux")
def test_low_impact_reads_one_at_a_time_at_a_lower_priority(
    tmp_path: Path, dated: list[Path], monkeypatch
):
    busy = {"now": 0, "most": 0, "priorities": set()}
    lock = threading.Lock()
    plain_prepare = Indexer._prepare

    def watched_prepare(self, found, reusable):
        with lock:
            busy["now"] += 1
            busy["most"] = max(busy["most"], busy["now"])
            busy["priorities"].add(thread_priority())
        time.sleep(0.02)  # long enough for a second reader to overlap, were there one
        try:
            return plain_prepare(self, found, reusable)
        finally:
            with lock:
                busy["now"] -= 1

    monkeypatch.setattr(indexer_module.Indexer, "_prepare", watched_prepare)
    monkeypatch.setattr(indexer_module.os, "cpu_count", lambda: 4)
    before = thread_priority()
    lib = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    try:
        lib.catalog.add_folder(tmp_path / "photos")
        normal = run_in_thread(lib.indexer())
        assert normal["progress"][-1].indexed == 12
        assert busy["most"] > 1 and busy["priorities"] == {before}
        os.utime(tmp_path / "photos", None)
        for path in dated:  # new bytes' times: every photo is read again
            os.utime(path, (time.time() - 60, time.time() - 60))
        busy.update(most=0, priorities=set())
        polite = run_in_thread(lib.indexer(low_impact=True))
        assert polite["progress"][-1].reused == 12  # touched only: read, not encoded
        assert busy["most"] == 1
        assert busy["priorities"] == {max(before, LOW_IMPACT_NICE)}
        assert polite["runner"] == max(before, LOW_IMPACT_NICE)
        assert thread_priority() == before  # the caller's thread is untouched
    finally:
        lib.close()
