"""The library session: a model switch opens the new library off the UI thread while the old
one keeps answering, changes asked for meanwhile wait for it, and quitting meanwhile leaves
nothing open."""

from __future__ import annotations

import shutil
import sqlite3
import threading

import pytest
from helpers.gui import search, wait_indexed

from photofind.core.clip.bundle import builtin_models_dir
from photofind.gui import text


def _install_copy(window, name: str) -> None:
    shutil.copytree(builtin_models_dir() / "tiny-shapes", window.paths.models_dir / name)


def _held_open(monkeypatch, session):
    """Make the session's open_model wait for ``release``; returns (opening, release, opened)."""
    opening, release, opened = threading.Event(), threading.Event(), []
    real = session.open_model

    def held(name, language):
        opening.set()
        assert release.wait(30), "the test never released the open"
        opened.append(real(name, language))
        return opened[-1]

    monkeypatch.setattr(session, "open_model", held)
    return opening, release, opened


def test_a_model_switch_opens_off_the_ui_thread(
    qtbot, make_window, library_photos, make_library, monkeypatch
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    session = window.session
    old = session.library
    _install_copy(window, "shapes-copy")
    opening, release, _ = _held_open(monkeypatch, session)

    assert session.use_model("shapes-copy") is None  # returns while the library opens
    qtbot.waitUntil(opening.is_set, timeout=10_000)
    assert session.reopening_library and session.library is old
    assert session.use_model("tiny-shapes") == text.wait_for_switch("model")
    assert "Opening the library with shapes-copy" in window.statusBar().currentMessage()

    # the window keeps working meanwhile, answered by the old library
    search(qtbot, window, "a red circle")
    assert (
        len(window.results.model.hits()) == 48
        and "red-circle" in window.results.model.hit(0).path.name
    )

    # a folder added meanwhile is added to the new library, once it is open
    extra = make_library(6, name="more")[0].path.parent
    changes = []
    session.folders_changed.connect(changes.append)
    session.add_folder(extra)
    qtbot.wait(200)
    assert changes == [] and extra not in session.folders

    with qtbot.waitSignal(session.reopened, timeout=30_000) as done:
        release.set()
    assert done.args[0].error is None
    assert session.library is not old and session.library.model_name == "shapes-copy"
    with pytest.raises(sqlite3.ProgrammingError):
        old.catalog.folders()  # the old library was closed
    qtbot.waitUntil(lambda: bool(changes), timeout=10_000)
    assert changes[0].folder == extra and changes[0].changed and extra in session.folders
    wait_indexed(qtbot, window)
    assert session.counts.photos == 54 and session.counts.pending == 0


def test_quitting_while_a_library_opens_closes_the_new_one(
    qtbot, make_window, library_photos, monkeypatch
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    session = window.session
    _install_copy(window, "shapes-copy")
    opening, release, opened = _held_open(monkeypatch, session)
    session.use_model("shapes-copy")
    qtbot.waitUntil(opening.is_set, timeout=10_000)
    threading.Timer(0.3, release.set).start()  # the window waits for the open to finish
    window.close()
    assert len(opened) == 1 and opened[0] is not session.library
    with pytest.raises(sqlite3.ProgrammingError):
        opened[0].catalog.folders()  # nobody else would ever close it
