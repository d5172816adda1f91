"""The library side of the window: indexing in the background, pausing, quitting mid-run,
failed files, the first-run and demo states, and errors."""

from __future__ import annotations

import dataclasses
import functools
import shutil
import threading

from helpers.gui import search, wait_indexed
from PySide6.QtCore import Qt

from photofind.core import demo
from photofind.core.settings import load_settings
from photofind.gui import library_session


def _pause_after_first_batch(window) -> None:
    """Pause the index thread from inside it, right after its first batch: deterministic."""
    thread = window.session.indexing._thread
    assert thread is not None

    def on_progress(progress):
        if progress.phase == "indexing" and progress.done > 0:
            thread.pause()
            window.session.indexing._paused = True

    thread.progressed.connect(on_progress, Qt.ConnectionType.DirectConnection)


def test_pause_search_while_indexing_quit_and_resume(qtbot, make_window, library_photos):
    window = make_window([library_photos], start=False)
    window.session.indexing.start()
    window.session.query.start()
    _pause_after_first_batch(window)
    qtbot.waitUntil(
        lambda: window.session.indexing.last is not None and window.session.indexing.last.done > 0,
        timeout=20_000,
    )
    qtbot.wait(300)
    done = window.session.library.counts().photos
    assert 0 < done < 48
    qtbot.wait(300)
    assert window.session.library.counts().photos == done  # paused: nothing more indexed
    window.session.indexing.state_changed.emit()
    assert "paused" in window.index_status.label.text().lower()
    assert window.index_status.pause_button.text() == "Resume"

    # searching works over what is indexed so far
    search(qtbot, window, "a red circle")
    assert len(window.session.query.last.hits) == done  # the matches, then the closest

    # quitting mid-run stops the thread cleanly and keeps what was indexed
    window.close()
    assert not window.session.indexing.running
    kept = window.session.library.counts().photos
    assert kept >= done
    window.session.library.close()

    # the next launch goes on from there; Resume is the status bar's button
    again = make_window([library_photos], paused=True)
    qtbot.waitUntil(lambda: again.session.indexing.last is not None, timeout=10_000)
    assert again.index_status.pause_button.text() == "Resume"
    qtbot.mouseClick(again.index_status.pause_button, Qt.MouseButton.LeftButton)
    assert not again.session.indexing.paused
    wait_indexed(qtbot, again)
    assert again.session.library.counts().photos == 48
    assert again.session.indexing.last.indexed == 48 - kept
    assert "48 photos indexed" in again.index_status.label.text()


def test_failed_files_dialog_lists_the_broken_file(qtbot, make_window, library_photos):
    (library_photos / "broken.jpg").write_bytes(b"\xff\xd8 this is not really a JPEG")
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    button = window.index_status.failures_button
    assert button.isVisible() and button.text().startswith("1 ")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the list is read off the UI thread
    qtbot.waitUntil(lambda: window.failures_dialog is not None, timeout=10_000)
    dialog = window.failures_dialog
    assert dialog.isVisible()
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text() == "broken.jpg"
    assert "corrupt" in dialog.table.item(0, 1).text() or "image" in dialog.table.item(0, 1).text()
    assert "broken.jpg" in dialog.text()


def test_first_run_offers_demo_with_the_builtin_model(qtbot, make_window, monkeypatch):
    window = make_window()
    assert window.page_state == "no-model"
    assert list(window.empty.buttons)[1:] == ["demo", "add-folder"]
    assert "Library ▸ Models…" in window.empty.body.text()
    monkeypatch.setattr(
        library_session,
        "create_demo_library",
        functools.partial(demo.create_demo_library, count=24),
    )
    qtbot.mouseClick(window.empty.buttons["demo"], Qt.MouseButton.LeftButton)
    assert window.page_state == "making-demo"
    wait_indexed(qtbot, window)
    assert window.session.library.catalog.folders() == [demo.demo_folder(window.paths)]
    assert window.session.library.counts().photos == 24
    qtbot.waitUntil(lambda: window.page_state == "browse", timeout=10_000)  # the photos show
    assert "demo" not in window.empty.buttons  # already in the library
    search(qtbot, window, "a red circle")
    assert window.page_state == "results"


def test_first_run_with_a_real_model_asks_for_a_folder(qtbot, make_window, tmp_path, tiny_bundle):
    model = tmp_path / "my-model"
    shutil.copytree(tiny_bundle.root, model)
    window = make_window(model=str(model))
    assert window.page_state == "no-folder"
    assert list(window.empty.buttons) == ["add-folder"]
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.add_folder(tmp_path / "empty-folder")
    assert window.page_state == "idle"


def test_worker_exception_shows_report_and_app_survives(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    service = window.session.library.search
    real = service.find
    failing = threading.Event()

    def broken(*args, **kwargs):
        if not failing.is_set():
            failing.set()
            raise RuntimeError("boom in the search thread")
        return real(*args, **kwargs)

    service.find = broken
    with qtbot.waitSignal(window.errors.shown, timeout=10_000):
        window.search_bar.set_text("a red circle")
        window.search_bar.submitted.emit()
    dialog = window.errors.dialog
    assert dialog.isVisible()
    assert "RuntimeError: boom in the search thread" in dialog.text()
    assert "Traceback" in dialog.text()
    dialog.close()
    search(qtbot, window, "a blue circle")  # the search thread lives on
    assert window.results.model.matches > 0


def test_window_geometry_and_view_settings_are_remembered(qtbot, make_window, tmp_path):
    window = make_window()
    window.resize(700, 500)
    window.results.toolbar.zoom.setValue(224)
    window.close()
    saved = load_settings(window.paths.settings_path)
    assert saved.window_geometry and saved.thumbnail_size == 224
    window.session.library.close()
    again = make_window(settings=saved)
    assert (again.width(), again.height()) == (700, 500)
    assert again.results.delegate.size == 224


def test_a_query_typed_early_gets_new_matches_while_indexing(
    qtbot, make_window, library_photos, monkeypatch
):
    monkeypatch.setattr(library_session, "REFRESH_EVERY_MS", 50)
    window = make_window([library_photos], start=False)
    window.session.indexing.start()
    window.session.query.start()
    _pause_after_first_batch(window)  # and after every batch once resumed
    qtbot.waitUntil(
        lambda: window.session.indexing.last is not None and window.session.indexing.last.done > 0,
        timeout=20_000,
    )
    search(qtbot, window, "a red circle")
    first = len(window.session.query.last.hits)  # the matches, then the closest others
    assert 0 < first < 48
    window.session.refresh_results()
    assert not window.session.query.busy  # the index has not grown since: nothing searched
    window.results.view.setFocus()
    focused = window.focusWidget()

    window.session.indexing._thread.resume()  # one more batch, then paused again: still running
    qtbot.waitUntil(lambda: window.results.model.total > first, timeout=20_000)
    assert window.session.indexing.running
    assert (
        window.session.query.last.request.quiet
        and window.session.query.last.request.text == "a red circle"
    )
    assert window.search_bar.text() == "a red circle"
    assert window.focusWidget() is focused  # never steals focus


def test_new_matches_held_back_wait_behind_a_button_that_shows_them(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    outcome = window.session.query.last
    hits = outcome.hits
    matches = [h for h in hits if h.match]
    assert len(matches) >= 2
    # the window shows the query as it was before its best match was indexed
    earlier = [h for h in hits if h != matches[0]]
    window.results.model.set_hits(earlier, matches=len(matches) - 1)
    window.results.view.setCurrentIndex(window.results.model.index(0))  # the user is at work
    request = dataclasses.replace(outcome.request, seq=outcome.seq + 1, quiet=True)
    window._on_results(dataclasses.replace(outcome, request=request))

    assert window.results.model.hits() == earlier  # nothing moved under the user
    button = window.results.toolbar.held
    assert button.isVisible() and button.text() == "1 new match"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.results.model.hits() == hits
    assert window.results.matches == len(matches)
    assert not button.isVisible()
    # a query of the user's own drops what was held back
    window.results.model.set_hits(earlier, matches=len(matches) - 1)
    window.results.view.setCurrentIndex(window.results.model.index(0))
    window._on_results(dataclasses.replace(outcome, request=request))
    assert button.isVisible()
    search(qtbot, window, "a blue star")
    assert not button.isVisible() and not window.results.held_back


def test_a_refresh_keeps_the_selection_and_never_beats_a_newer_query(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    outcome = window.session.query.last
    hits = outcome.hits

    def refreshed(shown):
        request = dataclasses.replace(outcome.request, seq=outcome.seq + 1, quiet=True)
        window._on_results(dataclasses.replace(outcome, request=request, hits=shown))

    # pretend only the first 40 were found, select one, then the rest arrive: appended
    window.results.model.set_hits(hits[:40])
    row = window.results.model.rows_of(hits[3].path)[0]  # the divider may come before it
    window.results.view.setCurrentIndex(window.results.model.index(row))
    refreshed(hits)
    assert len(window.results.model.hits()) == 48
    assert window.results.view.selected_hits() == [hits[3]]
    # a reordered list while a photo is selected waits: the grid does not move
    reordered = [hits[-1], *hits[:-1]]  # the last of the rest becomes the first of them
    arranged = [h for h in reordered if h.match] + [h for h in reordered if not h.match]
    assert arranged != hits
    refreshed(reordered)
    assert window.results.model.hits() == hits
    held = window.results.toolbar.held
    assert held.isVisible() and held.text() == "Show updated results"  # nothing new: reordered
    # with nothing selected, at the top, the grid is simply rebuilt
    window.results.view.clearSelection()
    refreshed(reordered)
    assert window.results.model.hits() == arranged  # the matches stay above the divider
    assert not held.isVisible()

    # a refresh asked for while the user's own search is on its way does nothing
    window.session.query.set_query("a blue star", (), immediate=False)
    assert not window.session.query.refresh()
    qtbot.waitUntil(
        lambda: (
            window.session.query.last.request.text == "a blue star"
            and not window.session.query.busy
        ),
        timeout=10_000,
    )
    assert not window.session.query.last.request.quiet
