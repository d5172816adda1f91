"""The window comes first: scrolling makes background work give way, and what the first
screen does not need (every vector, for the collections' counts) waits for it to be shown."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from helpers.gui import wait_indexed

from photofind.core.pacing import foreground
from photofind.core.settings import Settings
from photofind.gui.viewer import PhotoViewer, ViewerItem


def test_scrolling_the_browse_grid_puts_background_work_off(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    grid = window.browse.grid
    window.resize(700, 500)
    qtbot.waitUntil(lambda: grid.verticalScrollBar().maximum() > 0, timeout=10_000)
    foreground.release()
    assert not foreground.in_use
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum())
    assert foreground.in_use
    window.shutdown()
    assert not foreground.in_use  # a closing window holds up nobody's work


def test_scrolling_the_results_and_stepping_the_viewer_do_too(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    window.resize(700, 500)
    view = window.results.view
    library = window.session.library
    hits = library.search.search_vector(library.search.text_embedding("a photo"), 48)
    window.results.model.set_hits([dataclasses.replace(h, match=True) for h in hits])
    window.pages.setCurrentWidget(window.results)
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0, timeout=10_000)
    foreground.release()
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    assert foreground.in_use
    items = [ViewerItem(h.path, width=h.width, height=h.height) for h in hits[:3]]
    viewer = PhotoViewer(items, 0)
    qtbot.addWidget(viewer)
    viewer.show()
    foreground.release()
    viewer.step(1)
    assert foreground.in_use and viewer.row == 1
    viewer.close()
    foreground.release()


def test_collections_are_read_once_the_first_screen_is_painted(
    qtbot, make_window, library_photos: Path
):
    first = make_window([library_photos])
    wait_indexed(qtbot, first)
    first.shutdown()
    window = make_window(start=False)
    panel = window.collections
    assert not panel.busy and not panel.collections  # nothing read while the window opens
    qtbot.waitUntil(lambda: window.browse.loaded_once, timeout=10_000)
    qtbot.waitUntil(lambda: bool(panel.collections) and not panel.busy, timeout=30_000)
    assert panel.counts  # then read as before, with their counts


def test_with_sensitive_photos_hidden_they_are_known_before_the_first_screen(
    qtbot, make_window, library_photos: Path
):
    first = make_window([library_photos])
    wait_indexed(qtbot, first)
    first.shutdown()
    window = make_window(start=False, settings=Settings(hide_sensitive=True))
    assert window.collections.busy  # which photos to blur is being read already


def test_the_search_index_is_loaded_after_the_first_screen_not_before(
    qtbot, make_window, library_photos: Path
):
    first = make_window([library_photos])
    wait_indexed(qtbot, first)
    first.shutdown()
    window = make_window(start=False)
    index = window.session.library.search.index
    qtbot.waitUntil(lambda: window.browse.loaded_once, timeout=10_000)
    assert not index.loaded  # the window opened on its photos without it
    window.start()
    qtbot.waitUntil(lambda: index.loaded, timeout=20_000)  # before any search is typed
    assert window.session.query.last is None


def test_typing_a_query_puts_background_work_off_but_not_shorter_than_its_search(
    qtbot, make_window
):
    from photofind.gui.querying import DEBOUNCE_MS
    from photofind.gui.widgets.search_bar import TYPING_S

    window = make_window(start=False)
    foreground.release()
    qtbot.keyClicks(window.search_bar.field, "a red")
    assert foreground.in_use
    assert TYPING_S * 1000 < DEBOUNCE_MS  # the search a key starts finds the wait over
    qtbot.wait(int(TYPING_S * 1000) + 50)
    assert not foreground.in_use
