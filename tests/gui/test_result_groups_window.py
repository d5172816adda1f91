"""One cell per picture in the search results, on a real indexed library (tiny model) with
exact copies, re-encodes, a resize and a PNG of one picture, an exact copy of another and
distinct shots of the same class: the copies collapse into their best-ranked photo's cell
with a count badge, a click on the badge (or the context menu) expands them in place and
another collapses them, the matches count pictures, actions and the viewer take the photo
shown, and the browse grid still shows every file. The badge is read in a light and a dark
palette."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from helpers.gui import search, wait_indexed
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from photofind.core.shapes import render
from photofind.gui.results.model import BADGE_ROLE, HIT_ROLE


def make_library(folder: Path) -> dict[str, Path]:
    """A red circle kept five ways, another red circle and its exact copy, a third red
    circle alone, and two other shapes."""
    (folder / "backup").mkdir(parents=True)
    rng = random.Random(1313)
    files: dict[str, Path] = {}
    red = render("red", "circle", (720, 540), rng)
    files["red"] = folder / "red.jpg"
    red.save(files["red"], "JPEG", quality=92)
    files["red-copy"] = Path(shutil.copyfile(files["red"], folder / "backup" / "red.jpg"))
    files["red-q60"] = folder / "red-q60.jpg"
    red.save(files["red-q60"], "JPEG", quality=60)
    files["red-half"] = folder / "red-half.jpg"
    red.resize((360, 270)).save(files["red-half"], "JPEG", quality=85)
    files["red-png"] = folder / "red.png"
    red.save(files["red-png"], "PNG")
    files["other"] = folder / "other-red.jpg"
    render("red", "circle", (500, 700), rng).save(files["other"], "JPEG", quality=90)
    files["other-copy"] = Path(shutil.copyfile(files["other"], folder / "backup" / "other-red.jpg"))
    files["third"] = folder / "third-red.jpg"
    render("red", "circle", (800, 520), rng).save(files["third"], "JPEG", quality=90)
    for name, (colour, shape) in {"blue": ("blue", "square"), "star": ("yellow", "star")}.items():
        files[name] = folder / f"{name}.jpg"
        render(colour, shape, (640, 480), rng).save(files[name], "JPEG", quality=90)
    return files


FIVE = {"red", "red-copy", "red-q60", "red-half", "red-png"}
TWO = {"other", "other-copy"}


class Shown:
    """The window after the search, and the names of the photos in it."""

    def __init__(self, window, files: dict[str, Path], others: list[Path]) -> None:
        self.window = window
        self.names = {path: f"library/{path.name}" for path in others}
        self.names.update({path: name for name, path in files.items()})
        self.view, self.model = window.results.view, window.results.model

    def rows(self) -> list[tuple[str, str | None]]:
        """(photo name, badge text) of every photo row shown."""
        out = []
        for r in range(self.model.rowCount()):
            index = self.model.index(r)
            hit, badge = index.data(HIT_ROLE), index.data(BADGE_ROLE)
            if hit is not None:
                out.append((self.names[hit.path], None if badge is None else badge.text))
        return out

    def lead(self, group: set[str]) -> str:
        """The photo of ``group`` shown while it is collapsed."""
        [name] = {n for n, _ in self.rows()} & group
        return name

    def row_of(self, name: str) -> int:
        return next(r for r in range(self.model.rowCount())
                    if (h := self.model.hit(r)) is not None and self.names[h.path] == name)  # fmt: skip

    def badge_area(self, qtbot, row: int) -> QRect:
        """Where the badge of ``row`` is painted, once it is."""
        view, index = self.view, self.model.index(row)
        photo_id = self.model.hit(row).photo_id
        view.scrollTo(index)

        def area() -> QRect | None:
            return view._delegate.badge_area(photo_id, view.visualRect(index))

        qtbot.waitUntil(lambda: view.viewport().repaint() or area() is not None, timeout=5_000)
        return area()

    def click_badge(self, qtbot, row: int) -> None:
        point = self.badge_area(qtbot, row).center()
        qtbot.mouseClick(self.view.viewport(), Qt.MouseButton.LeftButton, pos=point)


@pytest.fixture
def shown(qtbot, make_window, library_photos: Path) -> Shown:
    """The 48 generated photos, and the copies beside them: matches stand out from a library
    of some size, not from ten photos."""
    others = sorted(library_photos.iterdir())
    files = make_library(library_photos / "kept")
    window = make_window([library_photos])
    window.resize(1100, 700)
    wait_indexed(qtbot, window)
    every = len(files) + len(others)
    qtbot.waitUntil(
        lambda: window.page_state == "browse" and len(window.browse.model.rows) == every,
        timeout=10_000,
    )  # the browse grid shows every file, copies too
    search(qtbot, window, "a red circle")
    return Shown(window, files, others)


def test_copies_collapse_into_one_cell_with_a_count_and_the_matches_count_pictures(shown):
    rows = shown.rows()
    names = [n for n, _ in rows]
    last = shown.window.session.query.last
    ranked = [shown.names[h.path] for h in last.hits]
    assert len(ranked) == len(shown.names)  # the search returned every photo, copies too
    # One cell per picture, its best-ranked photo's, with the count of its photos.
    leads = {min(group, key=ranked.index) for group in (FIVE, TWO)}
    assert len(names) == len(set(names)) == len(shown.names) - 5
    assert set(names) & (FIVE | TWO) == leads
    badges = dict(rows)
    assert {badges[n] for n in leads} == {"5", "2"}
    assert all(badges[n] is None for n in names if n not in leads)
    # The matches counted are pictures: the search's count less the copies among them.
    copies = sum(h.match and shown.names[h.path] in (FIVE | TWO) - leads for h in last.hits)
    assert copies > 0
    assert shown.window.results.matches == last.matches - copies
    summary = shown.window.results.toolbar.summary
    assert summary.text().startswith(f"{last.matches - copies} match")
    assert "Counts pictures" in summary.toolTip() and f"{copies} more photo" in summary.toolTip()
    tip = shown.model.index(shown.row_of(shown.lead(FIVE))).data(Qt.ItemDataRole.ToolTipRole)
    assert "5 photos of the same picture" in tip and "this photo only" in tip


def test_a_click_on_the_badge_expands_the_group_in_place_and_another_collapses_it(qtbot, shown):
    before = shown.rows()
    matches = shown.window.results.matches
    lead = shown.lead(FIVE)
    red = shown.row_of(lead)
    shown.view.selectionModel().clear()
    shown.click_badge(qtbot, red)
    expanded = shown.rows()
    assert len(expanded) == len(before) + 4
    assert expanded[:red] == before[:red]  # the rows before stay where they were
    group = expanded[red : red + 5]
    assert {n for n, _ in group} == FIVE and group[0][0] == lead
    assert [b for _, b in group] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert expanded[red + 5 :] == before[red + 1 :]
    assert not shown.view.selectionModel().hasSelection()  # a click on a badge selects nothing
    assert shown.window.results.matches == matches  # still pictures, expanded or not
    shown.click_badge(qtbot, red + 3)  # any photo's badge collapses the group
    assert shown.rows() == before
    shown.view.setCurrentIndex(shown.model.index(red))
    qtbot.keyClick(shown.view, Qt.Key.Key_Plus)
    assert len(shown.rows()) == len(before) + 4
    qtbot.keyClick(shown.view, Qt.Key.Key_Minus)
    assert shown.rows() == before


def test_the_context_menu_shows_every_copy_and_once_again(shown):
    window, before = shown.window, shown.rows()
    red = shown.model.hit(shown.row_of(shown.lead(FIVE)))
    [show_all] = [
        a for a in window.context_menu([red]).actions() if a.text() == "Show all 5 copies"
    ]
    show_all.trigger()
    assert len(shown.rows()) == len(before) + 4
    [once] = [
        a for a in window.context_menu([red]).actions() if a.text() == "Show the picture once"
    ]
    once.trigger()
    assert shown.rows() == before
    alone = shown.model.hit(shown.row_of("blue"))
    assert not [a for a in window.context_menu([alone]).actions() if "copies" in a.text()]


def test_a_collapsed_cell_acts_on_its_shown_photo_and_the_viewer_steps_over_pictures(shown):
    red = shown.row_of(shown.lead(FIVE))
    shown.view.setCurrentIndex(shown.model.index(red))
    [hit] = shown.view.selected_hits()
    mime = shown.model.mimeData([shown.model.index(red)])
    assert [u.toLocalFile() for u in mime.urls()] == [str(hit.path)]  # a drag: this photo only
    viewer = shown.window.places.view_result(hit)
    assert viewer is not None
    assert [shown.names[i.path] for i in viewer.items] == [n for n, _ in shown.rows()]
    viewer.close()


def test_a_trashed_first_photo_leaves_its_copies_to_the_next(shown):
    lead = shown.lead(FIVE)
    shown.window.results.forget([shown.model.hit(shown.row_of(lead)).photo_id])
    rows = dict(shown.rows())
    assert lead not in rows
    assert [b for n, b in rows.items() if n in FIVE] == ["4"]


@pytest.mark.parametrize("dark", [False, True])
def test_the_badge_reads_in_light_and_dark_palettes(qtbot, shown, dark):
    app = QApplication.instance()
    old = app.palette()
    palette = QPalette(old)
    for role, light, night in (
        (QPalette.ColorRole.Base, "#ffffff", "#1e1e1e"),
        (QPalette.ColorRole.Window, "#f0f0f0", "#2b2b2b"),
        (QPalette.ColorRole.Text, "#000000", "#f0f0f0"),
        (QPalette.ColorRole.Mid, "#b0b0b0", "#505050"),
    ):
        palette.setColor(role, QColor(night if dark else light))
    app.setPalette(palette)
    try:
        area = shown.badge_area(qtbot, shown.row_of(shown.lead(FIVE)))
        image = shown.view.viewport().grab(area).toImage()
        pill = QColor(image.pixel(3, image.height() // 2)).lightness()  # left of the digits
        brightest = max(QColor(image.pixel(x, y)).lightness()
                        for x in range(image.width()) for y in range(image.height()))  # fmt: skip
        # Light digits on a dark pill, whatever the window's colours.
        assert pill <= 60 and brightest >= 230, (pill, brightest)
    finally:
        app.setPalette(old)
