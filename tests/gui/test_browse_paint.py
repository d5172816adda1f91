"""What the browse grid paints, read back from its pixels in the real window: the hollow
file-date mark in the corner of a photo dated by its file and not of one dated by its EXIF,
the tint behind a selected cell, the picture itself; and the mark drawn from one small
pixmap per colour and pixel ratio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.gui import wait_indexed
from PIL import ExifTags, Image
from PySide6.QtGui import QColor, QImage, QPalette

from photofind.core.browse import Section
from photofind.gui.browse.painting import MARK_AT, MARK_SIDE, FileMark, section_title

PICTURE = (200, 40, 40)


def rgb(image: QImage) -> np.ndarray:
    rgb888 = image.convertToFormat(QImage.Format.Format_RGB888)
    row = rgb888.bytesPerLine()
    data = np.frombuffer(rgb888.constBits(), np.uint8, row * rgb888.height())
    lines = data.reshape(rgb888.height(), row)[:, : rgb888.width() * 3]
    return lines.reshape(rgb888.height(), -1, 3).astype(int)  # a copy: outlives rgb888


@pytest.fixture
def two_photos(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A folder with a photo dated by its EXIF (June 2021) and one with no date in it
    (its file's date: now), both landscape, so the mark's corner lies beside the picture."""
    folder = tmp_path / "photos"
    folder.mkdir()
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2021:06:15 14:30:05"
    dated = folder / "dated.jpg"
    Image.new("RGB", (640, 480), PICTURE).save(dated, quality=95, exif=exif)
    undated = folder / "undated.jpg"
    Image.new("RGB", (640, 480), PICTURE).save(undated, quality=95)
    return folder, dated, undated


def browse_painted(qtbot, window, count: int) -> None:
    grid = window.browse.grid
    qtbot.waitUntil(
        lambda: window.page_state == "browse" and len(window.browse.model.rows) == count,
        timeout=20_000,
    )
    size = round(window.browse.delegate.size * window.browse.delegate.device_ratio)
    rows = window.browse.model.rows
    qtbot.waitUntil(
        lambda: all(window.thumbnails.has(rows.path(r), size) for r in grid.visible_rows()),
        timeout=10_000,
    )


def corner(pixels: np.ndarray, cell) -> np.ndarray:
    """The square the mark is drawn in, with a pixel of margin on every side."""
    left, top = cell.left() + MARK_AT - 2, cell.top() + MARK_AT - 2
    return pixels[top : top + MARK_SIDE + 4, left : left + MARK_SIDE + 4]


def test_the_file_date_mark_is_painted_in_the_corner_of_a_file_dated_photo_only(
    qtbot, make_window, two_photos
):
    folder, dated, undated = two_photos
    window = make_window([folder])
    wait_indexed(qtbot, window)
    browse_painted(qtbot, window, 2)
    grid, model = window.browse.grid, window.browse.model
    row_of = {model.rows.path(r): r for r in range(2)}
    assert model.file_dated(row_of[undated]) and not model.file_dated(row_of[dated])
    grid.viewport().repaint()
    pixels = rgb(grid.viewport().grab().toImage())
    background = pixels[grid.visual_rect(row_of[dated]).center().y(), 1]

    marked = corner(pixels, grid.visual_rect(row_of[undated]))
    ring = np.abs(marked - background).max(axis=2)
    assert (ring > 20).sum() >= 12  # a ring of drawn pixels...
    middle = MARK_SIDE // 2 + 2
    assert ring[middle, middle] == 0  # ...hollow
    assert ring[0].max() == 0 and ring[:, 0].max() == 0  # and no wider than it was
    ys, xs = np.indices(ring.shape) + 0.5  # pixel centres
    centre = MARK_AT + MARK_SIDE / 2 - (MARK_AT - 2)  # in the corner's square
    assert abs((xs * ring).sum() / ring.sum() - centre) < 0.25  # where it always was
    assert abs((ys * ring).sum() / ring.sum() - centre) < 0.25
    mid = np.array(QColor(grid.palette().color(QPalette.ColorRole.Mid)).getRgb()[:3])
    darkest = marked.reshape(-1, 3)[ring.argmax()]
    assert np.abs(darkest - mid).max() < 60  # in the palette's Mid, antialiased

    plain = corner(pixels, grid.visual_rect(row_of[dated]))
    assert np.abs(plain - background).max() == 0  # an EXIF date: no mark

    # the picture itself is painted in the middle of each cell
    for row in row_of.values():
        centre = grid.visual_rect(row).center()
        assert np.abs(pixels[centre.y(), centre.x()] - PICTURE).max() < 12


def test_a_selected_cell_is_tinted_and_an_unselected_one_is_not(qtbot, make_window, two_photos):
    folder, _, _ = two_photos
    window = make_window([folder])
    wait_indexed(qtbot, window)
    browse_painted(qtbot, window, 2)
    grid = window.browse.grid
    grid.select_rows([0], current=0)
    grid.viewport().repaint()
    pixels = rgb(grid.viewport().grab().toImage())
    chosen, other = grid.visual_rect(0), grid.visual_rect(1)
    # between the cell's edge and its picture, halfway down
    at = {r: pixels[cell.center().y(), cell.left() + 4] for r, cell in ((0, chosen), (1, other))}
    background = pixels[chosen.center().y(), 0]  # outside every cell's rounded tint
    highlight = np.array(grid.palette().color(QPalette.ColorRole.Highlight).getRgb()[:3])
    assert np.abs(at[1] - background).max() == 0
    tint = at[0] - background
    assert np.abs(tint).max() > 10
    # 90/255 of the highlight over the background, as the delegate paints it
    expected = background + (highlight - background) * 90 / 255
    assert np.abs(at[0] - expected).max() <= 3


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_the_file_mark_is_made_once_per_colour_and_ratio(qapp, ratio):
    marks = FileMark()
    palette = QPalette()
    first = marks.pixmap(palette, ratio)
    assert first.devicePixelRatio() == ratio
    assert first.width() == round((MARK_SIDE + 2) * ratio)
    assert marks.pixmap(palette, ratio).cacheKey() == first.cacheKey()
    palette.setColor(QPalette.ColorRole.Mid, QColor(10, 200, 10))
    recoloured = marks.pixmap(palette, ratio)
    assert recoloured.cacheKey() != first.cacheKey()
    image = recoloured.toImage()
    drawn = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    strongest = max(drawn, key=lambda c: c.alpha())
    assert strongest.alpha() > 150 and strongest.green() > 150 and strongest.red() < 60
    assert image.pixelColor(image.width() // 2, image.height() // 2).alpha() == 0  # hollow


def test_a_month_title_groups_both_of_its_numbers():
    title = section_title(Section(2020, 11, 0, 30_186), 30_186)
    assert title.startswith("November 2020")
    assert "30,186 photos" in title and "(30,186 dated by the file" in title
