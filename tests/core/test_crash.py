"""Crash safety: the indexer runs in a real subprocess that is SIGKILLed at chosen points
(starting up, scanning, mid-run, right after a commit, between the two renames of an index
save). After each kill the catalog opens, and one complete run in this process leaves every
photo exactly once, re-encoding only what the killed run had not committed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from photofind.core.catalog import Catalog
from photofind.core.clip import find_model
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.config import app_paths
from photofind.core.library import open_library
from photofind.core.shapes import generate_library

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

MODEL = "tiny-shapes"
N_PHOTOS = 60
BATCH = 4
ROOT = Path(__file__).resolve().parents[2]
KILL_WAIT_S = 120  # a child that never reaches its kill point is killed anyway

# The child: index the library, printing one line per step, flushed, so the test can kill
# it at a known point. A hook may hold it still at a point that has no line of its own.
CHILD = r"""
import os
import sys
import time
from pathlib import Path

from photofind.core import indexer as indexer_module
from photofind.core.config import app_paths
from photofind.core.library import open_library

data, model, root, hook, batch = sys.argv[1:6]
# Save the index file after every batch, so that kills land around saves as well.
indexer_module.SAVE_EVERY_S = 0.0


def say(*words):
    print(*words, flush=True)


if hook.startswith("hold-after-commit:"):
    wanted = int(hook.split(":")[1])
    real_commit = indexer_module.Indexer._commit
    commits = []

    def commit(self, *args):
        n = real_commit(self, *args)
        if n:
            commits.append(n)
            if len(commits) == wanted:
                say("committed", sum(commits))
                time.sleep(120)
        return n

    indexer_module.Indexer._commit = commit
elif hook.startswith("hold-between-renames:"):
    wanted = int(hook.split(":")[1])
    real_replace = os.replace
    saves = []

    def replace(src, dst):
        real_replace(src, dst)
        if str(dst).endswith(".hnsw"):
            saves.append(dst)
            if len(saves) == wanted:
                say("index renamed, meta not yet")
                time.sleep(120)

    os.replace = replace

say("starting")
lib = open_library(app_paths(data), model, "cpu")
lib.catalog.add_folder(Path(root))
say("opened", lib.index_status)
for p in lib.indexer(batch_size=int(batch)).run():
    say(p.phase, p.done, p.total)
lib.close()
say("closed")
"""


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "photos"
    generate_library(folder, N_PHOTOS, seed=31, size_range=(300, 600))
    return folder


def run_and_kill(tmp_path: Path, photos: Path, hook: str, kill_at: Callable[[str], bool]):
    """Start the child, SIGKILL it as soon as a line satisfies ``kill_at``; its lines."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with open(tmp_path / "child.stderr", "wb") as stderr:
        child = subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(tmp_path / "data"),
                MODEL,
                str(photos),
                hook,
                str(BATCH),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    watchdog = threading.Timer(KILL_WAIT_S, child.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if kill_at(lines[-1]):
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        child.kill()
        child.wait(30)
        child.stdout.close()
    if child.returncode != -signal.SIGKILL or not lines or not kill_at(lines[-1]):
        errors = (tmp_path / "child.stderr").read_text(errors="replace")[-3000:]
        pytest.fail(f"the child was not killed where planned: {lines[-5:]} {errors}")
    return lines


def sql(data: Path, query: str, *params) -> list[tuple]:
    """A query on a connection of its own: what another process would read."""
    db = sqlite3.connect(data / "catalog.sqlite3")
    try:
        return db.execute(query, params).fetchall()
    finally:
        db.close()


def indexing_done(line: str) -> int:
    words = line.split()
    return int(words[1]) if words and words[0] == "indexing" else -1


SCENARIOS = {
    # name: (hook, kill when, (committed photos at least, at most), index status after)
    "starting": ("none", lambda line: line == "starting", (0, 0), {"rebuilt"}),
    "scanning": ("none", lambda line: line.startswith("scanning"), (0, 0), {"rebuilt"}),
    "after 20 done": (
        "none",
        lambda line: indexing_done(line) >= 20,
        (20, N_PHOTOS - 1),
        {"loaded", "patched", "rebuilt"},
    ),
    # The third batch is in the catalog, the index file holds only the first two.
    "right after a commit": (
        "hold-after-commit:3",
        lambda line: line.startswith("committed"),
        (3 * BATCH, 3 * BATCH),
        {"patched"},
    ),
    # The new index file is in place but its checksum file still describes the old one.
    "between the renames of a save": (
        "hold-between-renames:2",
        lambda line: line.startswith("index renamed"),
        (2 * BATCH, 2 * BATCH),
        {"rebuilt"},
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_killed_indexer_recovers(tmp_path: Path, photos: Path, scenario: str, monkeypatch):
    hook, kill_at, (least, most), statuses = SCENARIOS[scenario]
    run_and_kill(tmp_path, photos, hook, kill_at)
    data = tmp_path / "data"
    model_id = find_model(MODEL).model_id

    # The catalog opens after the kill (SQLite replays or drops its write-ahead log) and
    # holds whole batches only.
    if least:
        assert (data / "catalog.sqlite3-wal").stat().st_size > 0, "committed rows are in the WAL"
    catalog = Catalog(data / "catalog.sqlite3")
    try:
        assert sql(data, "PRAGMA integrity_check") == [("ok",)]
        committed = len(catalog.embedding_ids(model_id))
        assert least <= committed <= most
        assert committed % BATCH == 0, "a batch is committed whole or not at all"
        assert len(catalog.all_photos()) == committed
    finally:
        catalog.close()

    encoded: list[int] = []
    real_encode = ClipEncoder.encode_image_batch

    def counting(self, batch: np.ndarray) -> np.ndarray:
        encoded.append(len(batch))
        return real_encode(self, batch)

    monkeypatch.setattr(ClipEncoder, "encode_image_batch", counting)
    lib = open_library(app_paths(data), MODEL, "cpu")
    try:
        assert lib.index_status in statuses
        lib.catalog.add_folder(photos)
        progress = list(lib.indexer().run())
        last = progress[-1]
        assert last.phase == "done"
        assert (last.indexed, last.unchanged, last.failed) == (
            N_PHOTOS - committed,
            committed,
            0,
        ), "what the killed run committed is kept, and only the rest is encoded"
        assert sum(encoded) == N_PHOTOS - committed

        on_disk = {p for p in photos.iterdir() if p.is_file()}
        rows = lib.catalog.all_photos()
        assert {r.path for r in rows.values()} == on_disk
        assert lib.counts().photos == lib.counts().total == N_PHOTOS
        assert sql(data, "SELECT COUNT(*), COUNT(DISTINCT path) FROM photos") == [
            (N_PHOTOS, N_PHOTOS)
        ]
        assert sql(data, "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", model_id) == [
            (N_PHOTOS,)
        ]
        assert len(lib.index) == N_PHOTOS
        hits = lib.search.search("a red circle", k=N_PHOTOS)
        assert {h.path for h in hits} == on_disk
    finally:
        lib.close()

    again = open_library(app_paths(data), MODEL, "cpu")
    try:
        assert again.index_status == "loaded"
        assert len(again.index) == N_PHOTOS
        assert sum(encoded) == N_PHOTOS - committed
    finally:
        again.close()
    assert sql(data, "PRAGMA integrity_check") == [("ok",)]
