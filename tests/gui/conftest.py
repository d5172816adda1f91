"""Fixtures for the GUI tests: the real window over a real library with the tiny model.

Every window is registered with qtbot (pytest-qt closes it after the test, which stops its
workers), and an autouse fixture fails any test that leaves a worker thread running or a
thread pool busy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.gui import MODEL, FakeSystem
from PySide6.QtCore import QLocale

from photofind.core.config import app_paths
from photofind.core.library import Library, open_library
from photofind.core.settings import Settings, load_settings
from photofind.core.shapes import ShapePhoto
from photofind.gui import workers
from photofind.gui.app import build_window
from photofind.gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_threads_left_running(qapp):
    yield
    running = [t.objectName() for t in workers.live_threads()]
    running += [t.name for t in workers.live_python_threads()]
    busy = workers.busy_pools()
    assert not running, f"threads still running after the test: {running}"
    assert not busy, f"{len(busy)} thread pool(s) still busy after the test"


@pytest.fixture(autouse=True)
def english_system_locale(monkeypatch):
    """The window recommends models by the system's language: tests speak English unless
    they say otherwise, whatever the machine running them speaks."""
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("en_US")))


@pytest.fixture
def library_photos(shape_library_48: list[ShapePhoto], tmp_path: Path) -> Path:
    """A private copy of the 48-photo library (tests add broken files to theirs)."""
    folder = tmp_path / "photos"
    shutil.copytree(shape_library_48[0].path.parent, folder)
    return folder


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Callable[..., MainWindow]:
    """Open the library in tmp_path/data (with ``folders`` added) and show the window."""
    opened: list[Library] = []
    windows: list[MainWindow] = []

    def make(
        folders: list[Path] = (),
        *,
        model: str = MODEL,
        start: bool = True,
        paused: bool = False,
        settings: Settings | None = None,
    ) -> MainWindow:
        paths = app_paths(tmp_path / "data")
        library = open_library(paths, model, "cpu")
        opened.append(library)
        for folder in folders:
            library.catalog.add_folder(folder)
        window = build_window(
            library,
            paths,
            settings or load_settings(paths.settings_path),
            "cpu",
            system=FakeSystem(),
        )
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        if paused:
            window.set_paused(True)
        if start:
            window.start()
        return window

    yield make
    for window in windows:
        window.shutdown()  # before the library closes; pytest-qt closes the window later
    libraries = [*opened, *(w.session.library for w in windows)]
    for library in {id(lib): lib for lib in libraries}.values():
        library.close()  # the one each window was opened with, and any it switched to
