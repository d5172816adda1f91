"""Searching in the real window: text as you type, dropped images, actions on results."""

from __future__ import annotations

import threading
from pathlib import Path

from helpers.gui import search, wait_indexed
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from photofind.gui.querying import DEBOUNCE_MS
from photofind.gui.workers import search as search_worker


def test_title_focus_and_placeholder(make_window):
    window = make_window()
    assert window.windowTitle() == "photofind"
    field = window.search_bar.field
    assert field.placeholderText() == "Describe a photo, or drop one here"
    assert QApplication.focusWidget() is field or window.focusWidget() is field


def test_typing_finds_red_circles_first(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    field = window.search_bar.field
    qtbot.keyClicks(field, "a red circle")
    assert window.session.query.last is None  # debounced: nothing searched while typing
    qtbot.waitUntil(lambda: window.session.query.last is not None, timeout=DEBOUNCE_MS + 5_000)
    assert window.page_state == "results"
    names = [h.path.name for h in window.results.model.hits()[:2]]
    assert all("red-circle" in n for n in names), names
    scores = [h.score for h in window.results.model.hits()]
    assert scores == sorted(scores, reverse=True)
    tooltip = window.results.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert names[0] in tooltip and "Score:" in tooltip and str(library_photos) in tooltip

    # Enter and Space open the viewer, the context menu copies and finds similar photos
    window.results.view.setFocus()
    window.results.view.setCurrentIndex(window.results.model.index(0))
    qtbot.keyClick(window.results.view, Qt.Key.Key_Return)
    assert window.viewer is not None and window.viewer.item.path.name == names[0]
    qtbot.keyClick(window.viewer, Qt.Key.Key_Space)  # Space closes it again
    assert not window.viewer.isVisible()
    qtbot.keyClick(window.results.view, Qt.Key.Key_Space)
    assert window.viewer.isVisible() and window.viewer.item.path.name == names[0]
    window.viewer.close()
    first = window.results.model.hit(0)
    menu = window.context_menu([first])
    actions = {a.text(): a for a in menu.actions()}
    assert {"View", "Open with default app", "Show in folder", "Copy path", "Find similar"} <= set(
        actions
    )
    actions["Copy path"].trigger()
    assert window.system.copied == [[first.path]]
    actions["Find similar"].trigger()
    assert [c.image.source for c in window.search_bar.chips()] == [first.path]
    qtbot.waitUntil(
        lambda: window.session.query.last.request.images == (first.path,), timeout=10_000
    )
    assert first.path not in [h.path for h in window.results.hits()]  # not itself first

    # results drag out as file URLs
    mime = window.results.model.mimeData([window.results.model.index(0)])
    assert mime.urls() == [QUrl.fromLocalFile(str(window.results.hits()[0].path))]

    # Esc clears text and images and goes back to browsing the library
    window.search_bar.field.setFocus()
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Escape)
    assert window.search_bar.chips() == [] and window.search_bar.text() == ""
    assert window.page_state == "browse"


def _drop(widget, mime: QMimeData) -> None:
    pos = QPointF(widget.rect().center())
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    try:  # Qt 6.12 takes a QPointF (and deprecates QPoint); earlier versions a QPoint
        enter = QDragEnterEvent(pos, *args)
    except TypeError:
        enter = QDragEnterEvent(pos.toPoint(), *args)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, drop)


def test_dropped_image_searches_and_shows_chip(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    photo = sorted(library_photos.glob("*-red-star.*"))[0]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    _drop(window, mime)
    chips = window.search_bar.chips()
    assert len(chips) == 1 and chips[0].image.source == photo
    qtbot.waitUntil(
        lambda: window.session.query.last is not None and not window.session.query.busy,
        timeout=10_000,
    )
    assert window.session.query.last.request.images == (photo,)
    assert window.results.model.hit(0).path == photo
    assert "red-star" in window.results.model.hit(1).path.name

    # text and image together; removing the chip searches by text alone
    qtbot.keyClicks(window.search_bar.field, "red")
    window.search_bar.submitted.emit()
    qtbot.waitUntil(lambda: window.session.query.last.request.text == "red", timeout=10_000)
    assert window.session.query.last.request.images == (photo,)
    qtbot.mouseClick(chips[0].remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.query.last.request.images == (), timeout=10_000)

    # image data (as a browser drags it) dropped on the search field
    mime = QMimeData()
    mime.setImageData(QImage(str(photo)))
    _drop(window.search_bar.field, mime)
    chips = window.search_bar.chips()
    assert len(chips) == 1 and isinstance(chips[0].image.source, bytes)
    qtbot.waitUntil(
        lambda: isinstance(
            window.session.query.last.request.images[0:1]
            and window.session.query.last.request.images[0],
            bytes,
        ),
        timeout=10_000,
    )
    assert "red-star" in window.results.model.hit(0).path.name


def test_pasted_image_becomes_a_chip(qtbot, make_window, library_photos):
    window = make_window(start=False)
    window.session.query.start()
    photo = sorted(library_photos.glob("*.png"))[0]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    QGuiApplication.clipboard().setMimeData(mime)
    window.search_bar.field.setFocus()
    try:
        qtbot.keyClick(window.search_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert [c.image.source for c in window.search_bar.chips()] == [photo]
        assert window.search_bar.text() == ""
    finally:
        # The clipboard owns the mime data: empty it while the app is alive, or both Qt and
        # Python free it at interpreter exit (a segfault after the last test).
        QGuiApplication.clipboard().clear()


def test_stale_results_never_replace_newer_ones(qtbot, make_window):
    window = make_window(start=False)
    window.session.query.start()
    service = window.session.library.search
    real = service.find
    release = threading.Event()

    def slow_query(query, *args, **kwargs):
        if query.text == "slow":
            release.wait(5)
        return real(query, *args, **kwargs)

    service.find = slow_query
    shown = []
    window.session.query.results.connect(lambda outcome: shown.append(outcome.request.text))
    window.session.query.set_query("slow", (), immediate=True)
    qtbot.wait(50)
    window.session.query.set_query("fast", (), immediate=True)
    release.set()
    qtbot.waitUntil(lambda: shown == ["fast"], timeout=5_000)
    qtbot.wait(100)
    assert shown == ["fast"]


def test_first_page_then_rest_zoom_and_sort(qtbot, make_window, library_photos, monkeypatch):
    monkeypatch.setattr(search_worker, "FIRST_PAGE", 8)
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    parts = []
    window.session.query.results.connect(lambda o: parts.append((o.complete, len(o.hits))))
    search(qtbot, window, "a green square")
    assert parts == [(False, 8), (True, 48)]
    assert len(window.results.model.hits()) == 48  # the matches, then the closest others
    before = window.results.delegate.size
    qtbot.keyClick(window.results.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    window.zoom(1)
    assert window.results.delegate.size > before
    assert window.settings.thumbnail_size == window.results.delegate.size
    window.results.toolbar.sort.setCurrentIndex(window.results.toolbar.sort.findData("date"))
    matches = [h for h in window.results.model.hits() if h.match]
    dates = [h.taken_at for h in matches]
    assert matches and dates == sorted(dates, reverse=True)


def test_thumbnails_are_cached_on_disk_and_reused(qtbot, make_window, library_photos):
    """Indexing wrote every grid thumbnail from the decode it made for the model, so the
    window paints them from the disk cache without decoding a photo again; a changed file
    gets a new one."""
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    cache = window.loader.cache
    files = cache.files()
    assert len(files) >= 48 and all(f.read_bytes()[:2] == b"\xff\xd8" for f in files)
    search(qtbot, window, "a purple star")
    qtbot.waitUntil(lambda: window.results.delegate.painted_thumbnails > 0, timeout=10_000)
    qtbot.waitUntil(lambda: window.loader.pending == 0, timeout=10_000)
    assert cache.stats.hits >= 1 and cache.stats.made == 0
    hit = window.results.model.hit(0)
    size = window.results.delegate.size
    stamp = cache.entry_path(hit.path, size).stat().st_mtime_ns
    assert cache.load(hit.path, size)  # served from the disk cache
    assert cache.stats.made == 0
    assert cache.entry_path(hit.path, size).stat().st_mtime_ns == stamp
    Path(hit.path).touch()  # a changed file gets a new thumbnail
    assert cache.entry_path(hit.path, size) not in files


def test_web_image_url_is_downloaded_into_a_chip(qtbot, make_window, library_photos):
    """A browser that drags only the picture's address: photofind downloads it."""
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(library_photos))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        window = make_window(start=False)
        window.session.query.start()
        photo = sorted(library_photos.glob("*.png"))[0]
        mime = QMimeData()
        mime.setUrls([QUrl(f"http://127.0.0.1:{server.server_address[1]}/{photo.name}")])
        _drop(window, mime)
        qtbot.waitUntil(lambda: len(window.search_bar.chips()) == 1, timeout=10_000)
        chip = window.search_bar.chips()[0]
        assert chip.image.source == photo.read_bytes() and chip.image.label == photo.name
        mime = QMimeData()
        mime.setUrls([QUrl(f"http://127.0.0.1:{server.server_address[1]}/missing.jpg")])
        with qtbot.waitSignal(window.fetcher.failed, timeout=10_000) as failed:
            _drop(window, mime)
        assert "could not be downloaded" in failed.args[0]
    finally:
        server.shutdown()
        server.server_close()
        serving.join()
