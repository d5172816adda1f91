"""The window stays fresh: photos copied into, changed in or deleted from a library folder
while the window is open reach the browse grid and the results by themselves, through the
window's own index controller; the watcher stops at close and before a library is reopened."""

from __future__ import annotations

import random
from pathlib import Path

from helpers.gui import reopened, search, wait_indexed

from photofind.core.shapes import render

# The watcher waits 1 s for a file to settle and runs within a few more; 15 s leaves room for
# a machine shared with other test runs without letting a watcher that never runs pass.
WATCH_TIMEOUT_MS = 15_000


def write_photo(folder: Path, name: str, colour: str = "red", shape: str = "circle") -> Path:
    path = folder / name
    partial = folder / f".{name}.part"  # written beside it, then renamed: as a copy does
    render(colour, shape, (480, 360), random.Random(name)).save(partial, "JPEG", quality=90)
    partial.rename(path)
    return path


def browse_paths(window) -> set[Path]:
    rows = window.browse.model.rows
    return {rows.path(row) for row in range(len(rows))}


def watching_started(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.session.watching.active, timeout=10_000)
    watcher = window.session.watching.watcher
    qtbot.waitUntil(lambda: bool(watcher.watched), timeout=10_000)


def test_a_photo_copied_in_appears_in_browse_and_a_deleted_one_leaves(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    watching_started(qtbot, window)
    assert window.watch.status.isVisible() and window.watch.status.text() == "Watching"
    qtbot.waitUntil(lambda: len(browse_paths(window)) == 48, timeout=10_000)

    new = write_photo(library_photos, "new-red-circle.jpg")
    qtbot.waitUntil(lambda: new in browse_paths(window), timeout=WATCH_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.index_status.label.text() == "49 photos indexed")

    gone = sorted(browse_paths(window) - {new})[0]
    gone.unlink()
    qtbot.waitUntil(lambda: gone not in browse_paths(window), timeout=WATCH_TIMEOUT_MS)
    assert len(browse_paths(window)) == 48


def test_a_photo_copied_in_joins_the_results_of_the_query_shown(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    watching_started(qtbot, window)
    search(qtbot, window, "a red circle")
    assert window.page_state == "results"

    new = write_photo(library_photos, "another-red-circle.jpg")
    qtbot.waitUntil(
        lambda: new in {h.path for h in window.results.hits()}, timeout=WATCH_TIMEOUT_MS
    )


def test_watcher_runs_are_the_controllers_held_back_and_low_impact_while_in_use(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    watching_started(qtbot, window)
    library = window.session.library
    made: list[dict] = []
    real_indexer = library.indexer

    def recording_indexer(**options):
        made.append(options)
        return real_indexer(**options)

    library.indexer = recording_indexer
    window.session.watching.low_impact = lambda: True  # as when the window is in front
    progressed = []
    window.session.indexing.progressed.connect(progressed.append)

    new = write_photo(library_photos, "blue-square.jpg", "blue", "square")
    qtbot.waitUntil(lambda: new in browse_paths(window), timeout=WATCH_TIMEOUT_MS)
    # The grid may show the committed photo while the run still saves the index.
    qtbot.waitUntil(lambda: any(p.phase == "done" and p.indexed == 1 for p in progressed))
    # The watcher's own runner would not be low impact here: the run is the bridge's.
    assert made and all(o["low_impact"] is True and o["hold_back"] is not None for o in made)


def test_polled_folders_are_said_in_the_status_bar_and_still_seen(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos], start=False)
    window.session.watching.options = {"force_polling": True, "poll_interval_s": 1.0}
    window.start()
    wait_indexed(qtbot, window)
    watching_started(qtbot, window)
    window.watch.update_status()
    assert window.watch.status.text() == "Watching · 1 folder checked every 1 s"
    assert str(library_photos) in window.watch.status.toolTip()

    new = write_photo(library_photos, "polled.jpg", "green", "triangle")
    qtbot.waitUntil(lambda: new in browse_paths(window), timeout=WATCH_TIMEOUT_MS)


def test_the_watcher_stops_at_close_and_before_the_library_is_reopened(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    watching_started(qtbot, window)
    first = window.session.watching.watcher
    old_library = window.session.library

    with reopened(qtbot, window) as outcome:
        assert window.session.set_query_language("de") is None
    assert outcome.args[0].error is None
    assert not first.is_alive()
    assert window.session.library is not old_library
    watching_started(qtbot, window)  # the run after reopening starts a watcher on the new one
    second = window.session.watching.watcher
    assert second is not first and second.library is window.session.library

    window.close()
    assert not second.is_alive()
    assert not window.watch.status.isVisible() or not window.session.watching.active
