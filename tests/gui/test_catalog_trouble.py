"""The window and a catalog in trouble, on real files: pages of a real indexed catalog are
overwritten with noise (as a failing disk does), a real tmpfs fills up. A damaged catalog is
offered its repair, at the start (it cannot be opened) and in the window (an index run meets
the damage); after Repair the photos are back in the window. A full disk during an index run
is one sentence and the window runs on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers.damage import damage_leaves
from helpers.gui import MODEL, FakeSystem, search, wait_indexed
from PySide6.QtWidgets import QApplication, QMessageBox

from photofind.core.config import AppPaths, app_paths
from photofind.core.errors import DiskFullError
from photofind.core.library import open_library
from photofind.core.settings import load_settings
from photofind.core.shapes import generate_library
from photofind.gui import app
from photofind.gui.dialogs.repair import RepairDialog


def _indexed(paths: AppPaths, folder: Path) -> None:
    """``folder`` indexed as the window would, then closed: the run leaves a backup."""
    library = open_library(paths, MODEL, "cpu")
    try:
        library.catalog.add_folder(folder)
        for _ in library.indexer().run(threading.Event()):
            pass
        library.after_index_run()
    finally:
        library.close()
    assert list((paths.data_dir / "backups").iterdir()), "an index run that changed it backs up"


def _repair_dialog() -> RepairDialog | None:
    shown = QApplication.activeModalWidget()
    return shown if isinstance(shown, RepairDialog) else None


def test_a_damaged_catalog_at_the_start_is_repaired_and_its_photos_are_in_the_window(
    qtbot, tmp_path, library_photos
):
    paths = app_paths(tmp_path / "data")
    _indexed(paths, library_photos)
    damage_leaves(paths.catalog_path, "photos")
    with pytest.raises(Exception, match="damaged"):
        open_library(paths, MODEL, "cpu")  # what photofind meets when it starts

    seen: list[str] = []

    def answer() -> None:
        """Click as a user would: Repair, then (once it says what it did) Continue."""
        dialog = _repair_dialog()
        other = QApplication.activeModalWidget()
        if isinstance(other, QMessageBox):  # not offered the repair: give up, and say so
            seen.append(other.text())
            other.reject()
        elif dialog is None:
            app.QTimer.singleShot(50, answer)
        elif dialog.repair_button.isVisible() and dialog.repair_button.isEnabled():
            seen.append(dialog.sentence.text())
            dialog.repair_button.click()
            app.QTimer.singleShot(50, answer)
        elif dialog.done_button.isVisible():
            seen.append(dialog.sentence.text())
            dialog.done_button.click()
        else:
            assert dialog.busy.isVisible()  # repairing, the buttons waiting
            app.QTimer.singleShot(50, answer)

    app.QTimer.singleShot(0, answer)
    opened = app.open_or_explain(paths, MODEL, "cpu")

    assert opened is not None, seen
    library, _ = opened
    assert "is damaged" in seen[0] and "photofind repair" not in seen[0]  # no CLI hint
    assert "was restored: 48 photos" in seen[1] and "kept as" in seen[1]
    assert list(paths.data_dir.glob("catalog.sqlite3.damaged-*"))  # nothing deleted
    window = app.build_window(
        library, paths, load_settings(paths.settings_path), "cpu", system=FakeSystem()
    )
    qtbot.addWidget(window)
    try:
        window.show()
        window.start()
        qtbot.waitUntil(lambda: window.page_state == "browse", timeout=30_000)
        wait_indexed(qtbot, window)
        assert window.session.counts.photos == 48
        assert len(window.browse.model.rows) == 48
    finally:
        window.shutdown()
        window.session.library.close()


def test_damage_met_by_an_index_run_is_repaired_in_the_window(
    qtbot, make_window, tmp_path, library_photos
):
    paths = app_paths(tmp_path / "data")
    _indexed(paths, library_photos)
    damage_leaves(paths.catalog_path, "embeddings")  # opens fine; the next run that writes meets it
    generate_library(library_photos / "later", 6, seed=41, size_range=(120, 200))

    window = make_window()
    qtbot.waitUntil(lambda: _repair_dialog() is not None, timeout=30_000)
    dialog = _repair_dialog()
    assert "damaged" in dialog.sentence.text()
    assert window.index_status.label.text() == "Indexing stopped: the catalog is damaged"
    assert window.isVisible()  # no error report: the user's disk, not photofind's bug
    assert window.errors.dialog is None

    dialog.repair_button.click()
    qtbot.waitUntil(lambda: dialog.done_button.isVisible(), timeout=30_000)
    assert "was restored: 48 photos" in dialog.sentence.text()
    dialog.done_button.click()
    # the repaired library is the window's, and indexing found the photos the backup lacked
    qtbot.waitUntil(lambda: window.session.counts.photos == 54, timeout=30_000)
    wait_indexed(qtbot, window)
    qtbot.waitUntil(lambda: window.browse.has_photos, timeout=30_000)
    qtbot.waitUntil(lambda: len(window.browse.model.rows) == 54, timeout=30_000)
    search(qtbot, window, "a red circle")
    assert window.results.has_rows
    assert window.index_status.label.text() == "54 photos indexed"


def test_a_full_disk_during_an_index_run_is_one_sentence_and_the_window_runs_on(
    qtbot, make_window, tmp_path, library_photos
):
    from helpers.disks import fill, free_space, small_tmpfs

    with small_tmpfs(tmp_path / "data", "12m") as disk:
        window = make_window([library_photos])
        wait_indexed(qtbot, window)
        more = tmp_path / "more"
        generate_library(more, 24, seed=52, size_range=(300, 500))
        window.set_paused(True)  # the folder is added with room to spare; its run waits
        with qtbot.waitSignal(window.session.folders_changed, timeout=30_000):
            window.session.add_folder(more)  # (the model-first question is not this test)
        assert window.session.indexing.running
        fill(disk, leave=0)
        try:
            with qtbot.waitSignal(window.session.indexing.stopped_by, timeout=60_000) as stopped:
                window.set_paused(False)
            problem = stopped.args[0]
            assert isinstance(problem, DiskFullError), problem
            qtbot.waitUntil(lambda: not window.session.indexing.running, timeout=30_000)
            message = window.statusBar().currentMessage()
            assert f"The disk holding {disk}" in message and "is full" in message
            assert "--" not in message  # no command-line option in the window
            assert window.index_status.label.text() == "Indexing stopped: the disk is full"
            assert window.errors.dialog is None  # not reported as photofind's bug
            search(qtbot, window, "a red circle")  # searching still works
            assert window.results.has_rows
        finally:
            free_space(disk)
        # with room again, the next run gets through and the reason goes
        window.session.start_indexing()
        wait_indexed(qtbot, window)
        assert window.session.counts.photos == 72
        assert window.index_status.label.text() == "72 photos indexed"
        window.shutdown()


def test_start_dialogs_speak_the_windows_words_not_the_command_lines():
    from photofind.core.errors import LibraryBusyError, NotWritableError

    for exc in (DiskFullError("full"), NotWritableError("ro"), LibraryBusyError("busy")):
        advice = app._advice(exc, MODEL)
        assert "Retry" in advice and "--" not in advice
