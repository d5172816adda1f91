"""Matches and the rest in the window: the matches first, a divider the grid shows, the date
orders sorting only the matches, "No good matches" with "Show closest anyway", and scores
as a relevance bar with the number in the tooltip."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.gui import search, wait_indexed
from PySide6.QtCore import Qt

from photofind.core.search import SearchHit
from photofind.gui.results.delegate import DIVIDER_HEIGHT
from photofind.gui.results.model import (
    DIVIDER_ROLE,
    DIVIDER_TEXT,
    HIT_ROLE,
    RELEVANCE_ROLE,
    SCORE_ROLE,
    ResultsModel,
)


def _split(window) -> tuple[list[SearchHit], list[SearchHit]]:
    model = window.results.model
    divider = model.divider_row
    assert divider is not None
    rows = [model.index(r).data(HIT_ROLE) for r in range(model.rowCount())]
    return rows[:divider], rows[divider + 1 :]


def test_matches_come_first_above_a_divider_the_grid_shows(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a blue circle")
    last = window.session.query.last
    model, view = window.results.model, window.results.view
    assert 0 < last.matches < len(last.hits)
    matches, rest = _split(window)
    assert len(matches) == model.matches == last.matches
    assert all(h.match for h in matches) and not any(h.match for h in rest)
    assert all("blue-circle" in h.path.name for h in matches[:2])
    assert window.results.toolbar.summary.text().startswith(
        f"{last.matches} match{'es' if last.matches != 1 else ''} · "
    )

    # the divider: a row across the grid, the photos after it on lines of their own
    divider = model.index(model.divider_row)
    assert divider.data(DIVIDER_ROLE) == DIVIDER_TEXT and divider.data(HIT_ROLE) is None
    assert not divider.flags() & Qt.ItemFlag.ItemIsSelectable
    line = view.visualRect(divider)
    assert line.height() == DIVIDER_HEIGHT
    assert line.width() >= view.viewport().width() - view.verticalScrollBar().sizeHint().width() - 4
    last_match = view.visualRect(model.index(model.divider_row - 1))
    first_other = view.visualRect(model.index(model.divider_row + 1))
    assert last_match.bottom() < line.top() and line.bottom() < first_other.top()
    assert first_other.left() == view.visualRect(model.index(0)).left()
    picture = view.viewport().grab(line).toImage()
    colours = {picture.pixel(x, y) for x in range(picture.width()) for y in range(picture.height())}
    assert len(colours) > 3  # words and a line are painted there, not an empty band

    # the arrow keys step over the divider
    view.setFocus()
    view.setCurrentIndex(model.index(model.divider_row - 1))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().row() == model.divider_row + 1
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.current_hit() is not None and view.current_hit().match

    # selecting everything selects photos only
    view.selectAll()
    assert view.selected_hits() == matches + rest
    assert window.results.hits() == matches + rest


def _dated(folder: Path) -> None:
    """Give the photos file dates that go against their names' order (the photos record no
    date of their own), so that a date order differs from the best-match order."""
    for i, path in enumerate(sorted(folder.iterdir())):
        stamp = 1_600_000_000 + i * 86_400
        os.utime(path, (stamp, stamp))


def test_date_orders_sort_only_the_matches(qtbot, make_window, library_photos):
    _dated(library_photos)
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a blue circle")
    best_first, rest = _split(window)
    assert len(best_first) >= 2 and rest
    dates = [h.taken_at for h in best_first]
    assert len(set(dates)) == len(dates) and dates != sorted(dates, reverse=True)

    window.results.set_sort("date")  # View ▸ Newest first
    assert window.settings.sort == "date" and window.sort_actions["date"].isChecked()
    newest, rest_then = _split(window)
    assert sorted(newest, key=lambda h: h.photo_id) == sorted(best_first, key=lambda h: h.photo_id)
    assert [h.taken_at for h in newest] == sorted(dates, reverse=True)
    assert rest_then == rest  # the other photos stay below the divider, best first

    toolbar = window.results.toolbar
    toolbar.sort.setCurrentIndex(toolbar.sort.findData("oldest"))
    oldest, rest_then = _split(window)
    assert [h.taken_at for h in oldest] == sorted(dates)
    assert rest_then == rest and window.settings.sort == "oldest"
    window.sort_actions["relevance"].trigger()
    assert _split(window) == (best_first, rest)


def test_no_good_matches_then_show_closest_anyway(qtbot, make_window, library_photos):
    for path in library_photos.glob("*-red-circle.*"):
        path.unlink()  # the library holds no red circle at all
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    assert window.session.query.last.matches == 0
    assert window.page_state == "no-match"
    assert window.empty.title.text() == "No good matches for “a red circle”"
    button = window.empty.buttons["show-closest"]
    assert button.text() == "Show closest anyway"
    button.click()
    assert window.page_state == "results"
    model = window.results.model
    assert model.divider_row == 0 and model.rowCount() > 1
    closest = model.hits()
    assert closest and not any(h.match for h in closest)
    assert window.results.toolbar.summary.text().startswith(
        f"No good matches · the closest {len(closest)} photos"
    )
    # another query hides the closest photos of this one again
    search(qtbot, window, "a red circle type:png")
    assert window.session.query.last.matches == 0 and window.page_state == "no-match"
    # filters that keep no photo at all have no closest photos to offer
    search(qtbot, window, "a red circle after:2100")
    assert window.session.query.last.hits == [] and window.page_state == "no-results"
    assert window.empty.title.text() == "No photo is kept by these filters"


def test_scores_as_a_relevance_bar_with_the_number_in_the_tooltip(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    assert not hasattr(window.results.toolbar, "min_score")  # no fixed threshold any more
    search(qtbot, window, "a yellow star")
    model = window.results.model
    matches, rest = _split(window)
    bars = [model.index(r).data(RELEVANCE_ROLE) for r in range(model.divider_row)]
    assert bars[0] == 1.0 and all(0.0 <= b <= 1.0 for b in bars)
    after = [model.index(r).data(RELEVANCE_ROLE) for r in range(model.divider_row + 1, 12)]
    assert max(after) < bars[0] and min(after) >= 0.0
    scores = [h.score for h in matches + rest]
    relevance_order = bars + after
    assert relevance_order == sorted(relevance_order, reverse=True)  # as the scores fall
    assert scores == sorted(scores, reverse=True)
    tip = model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert f"Score: {matches[0].score:.3f} (a good match)" in tip
    tip = model.index(model.divider_row + 1).data(Qt.ItemDataRole.ToolTipRole)
    assert f"Score: {rest[0].score:.3f} (less likely)" in tip

    # filters alone: photos newest first with no score to show
    search(qtbot, window, "type:png")
    last = window.session.query.last
    assert not last.scored and last.matches == len(model.hits()) > 0
    assert model.divider_row is None
    assert model.index(0).data(SCORE_ROLE) is None and model.index(0).data(RELEVANCE_ROLE) is None
    assert "Score" not in model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert window.results.toolbar.summary.text().startswith(f"{last.matches} photos · ")


def _hits(n: int, start: int = 0, *, match: bool) -> list[SearchHit]:
    return [
        SearchHit(i, Path(f"/p/{i}.jpg"), 1 - i / 100, float(i), 4, 3, match)
        for i in range(start, start + n)
    ]


def test_the_rest_of_a_search_is_appended_below_the_divider(qapp):
    model = ResultsModel()
    resets, inserts = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    first = _hits(3, match=True) + _hits(2, 3, match=False)
    model.set_hits(first, new_query=True)
    assert model.divider_row == 3 and model.rowCount() == 6 and len(resets) == 1
    more = first + _hits(3, 5, match=False)
    assert model.keeps_rows(more)
    model.set_hits(more)
    assert inserts == [(6, 8)] and len(resets) == 1
    assert [h.photo_id for h in model.hits()] == list(range(8))
    assert model.rows_of(Path("/p/5.jpg")) == [6]
    # a new match would land above the divider: the rows move, so they are rebuilt
    assert not model.keeps_rows(first + _hits(1, 9, match=True))
    model.set_sort("date")  # the matches newest first, the others as they were
    assert [h.photo_id for h in model.hits()] == [2, 1, 0, 3, 4, 5, 6, 7]
    model.set_sort("oldest")
    assert [h.photo_id for h in model.hits()][:3] == [0, 1, 2]
