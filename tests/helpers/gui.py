"""The GUI tests' helpers: the desktop stand-in, and waits on a real window."""

from __future__ import annotations

from pathlib import Path

from photofind.gui.main_window import MainWindow

MODEL = "tiny-shapes"


class FakeSystem:
    """Stands in for the desktop: records what would have been opened or copied."""

    def __init__(self) -> None:
        self.opened: list[Path] = []
        self.shown: list[Path] = []
        self.copied: list[list[Path]] = []

    def open_file(self, path: Path) -> bool:
        self.opened.append(path)
        return True

    def show_in_folder(self, path: Path) -> bool:
        self.shown.append(path)
        return True

    def copy_paths(self, paths: list[Path]) -> None:
        self.copied.append(list(paths))


def wait_indexed(qtbot, window: MainWindow, timeout: int = 30_000) -> None:
    qtbot.waitUntil(
        lambda: (
            window.session.indexing.last is not None
            and window.session.indexing.last.phase == "done"
            and not window.session.indexing.running
        ),
        timeout=timeout,
    )


def reopened(qtbot, window: MainWindow, timeout: int = 30_000):
    """Wait for the library to be opened again (Use, a query language): ``with`` around
    what starts it; ``.args[0]`` is the Reopened outcome."""
    return qtbot.waitSignal(window.session.reopened, timeout=timeout)


def search(qtbot, window: MainWindow, text: str) -> None:
    """Type ``text`` into the search field and wait for its results."""
    field = window.search_bar.field
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.waitUntil(
        lambda: (
            window.session.query.last is not None
            and window.session.query.last.request.text == text
            and not window.session.query.busy
        ),
        timeout=10_000,
    )
