"""The browse page's reads in the real window while the folder tree waits on a disk that
does not answer (a library folder on a dead network share, made real by a reachability
check that waits until the test lets it go): the rows reach the page and the first screen
is shown without the tree, and a read begun meanwhile shows its own rows and tree, never
the older tree."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers.gui import wait_indexed

from photofind.core import browse
from photofind.core.library_folders import UNREADABLE

WAIT_S = 20  # what a test that fails leaves the tree's thread waiting at the most


class DeadShare:
    """``reachability`` that answers only once opened, as a share that hangs would."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.answer = threading.Event()
        self._real = browse.reachability

    def __call__(self, folder: Path):
        self.asked.set()
        self.answer.wait(WAIT_S)
        return self._real(folder)


@pytest.fixture
def dead_share(make_window, monkeypatch):
    """Set up after make_window, so it answers before the windows are shut down."""
    share = DeadShare()
    monkeypatch.setattr(browse, "reachability", share)
    yield share
    share.answer.set()


@pytest.fixture
def other(make_library) -> Path:
    return make_library(12, seed=99, name="other")[0].path.parent


@pytest.fixture
def window(qtbot, make_window, library_photos, other):
    window = make_window([library_photos, other])
    wait_indexed(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            len(window.browse.model.rows) == 60 and window.sidebar.folder_item(other) is not None
        ),
        timeout=20_000,
    )
    return window


def spy(signal) -> list:
    seen: list = []
    signal.connect(seen.append)
    return seen


def test_the_rows_and_the_first_screen_do_not_wait_for_the_tree(qtbot, window, dead_share):
    page = window.browse
    rows, trees, first_screen = spy(page.loader.loaded), spy(page.loader.tree_loaded), []

    page.reload()
    page.after_first_screen(lambda: first_screen.append(dead_share.answer.is_set()))

    qtbot.waitUntil(lambda: len(rows) == 1 and dead_share.asked.is_set(), timeout=10_000)
    assert page.model.rows is rows[0] and len(rows[0]) == 60
    qtbot.waitUntil(lambda: first_screen == [False], timeout=10_000)  # the share still hangs
    assert trees == []
    dead_share.answer.set()
    qtbot.waitUntil(lambda: len(trees) == 1, timeout=10_000)
    assert trees[0].photos == 60 and page.tree is trees[0]


def test_a_read_begun_while_a_tree_waits_shows_only_its_own_rows_and_tree(
    qtbot, window, dead_share, library_photos, other
):
    page, catalog = window.browse, window.session.library.catalog
    rows, trees = spy(page.loader.loaded), spy(page.loader.tree_loaded)
    page.reload()
    qtbot.waitUntil(lambda: len(rows) == 1 and dead_share.asked.is_set(), timeout=10_000)
    # What only the newer read sees: a folder the last index run could not list.
    locked = library_photos / "locked"
    catalog.set_folder_problems({locked: "Permission denied; fix it."})

    window.sidebar.choose(other)

    qtbot.waitUntil(lambda: len(rows) == 2, timeout=10_000)
    assert page.model.rows is rows[1] and len(rows[1]) == 12 and rows[1].folder == other
    assert trees == []  # the older read's tree is still waiting on the share
    dead_share.answer.set()
    qtbot.waitUntil(lambda: len(trees) > 0, timeout=10_000)
    qtbot.wait(200)
    assert len(trees) == 1  # the older tree was dropped, not shown late
    states = {c.path: c.state for c in trees[0].roots[0].children}
    assert states[locked] == UNREADABLE
    assert window.sidebar.folder_item(locked) is not None
    assert window.sidebar.scope == other  # the newer tree keeps the scope
