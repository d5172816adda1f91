"""The photo viewer on real generated photos (offscreen): arrows and on-screen buttons step,
Space and Esc close, no key presses a button, the picture is decoded from the original
with its EXIF rotation, neighbours are decoded before they are stepped to, fit / 100% /
wheel zoom, full screen, and the details panel."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QWidget

from photofind.core.shapes import generate_library
from photofind.gui.viewer import PhotoViewer, ViewerItem
from photofind.gui.viewer.loader import decode


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("viewer")
    made = generate_library(folder, 5, seed=3, formats=("jpeg",), size_range=(1200, 1600))
    rotated = generate_library(
        folder / "rotated", 1, seed=4, formats=("jpeg-exif-rotated",), size_range=(900, 900)
    )
    return [p.path for p in made] + [rotated[0].path]


def items_for(paths: list[Path], **extra) -> list[ViewerItem]:
    items = []
    for path in paths:
        with Image.open(path) as img:
            width, height = img.size
        items.append(
            ViewerItem(path, width=width, height=height, size=path.stat().st_size, **extra)
        )
    return items


@pytest.fixture
def open_viewer(qtbot):
    viewers: list[PhotoViewer] = []

    def make(items: list[ViewerItem], row: int = 0) -> PhotoViewer:
        viewer = PhotoViewer(items, row)
        qtbot.addWidget(viewer)
        viewers.append(viewer)
        viewer.show()
        viewer.activateWindow()
        viewer.setFocus()
        return viewer

    yield make
    for viewer in viewers:
        viewer.close()  # waits for its decodes: no thread outlives the test


def wait_shown(qtbot, viewer: PhotoViewer) -> None:
    qtbot.waitUntil(
        lambda: (
            viewer.canvas.image is not None and viewer.loader.cached(viewer.item.path) is not None
        ),
        timeout=10_000,
    )


def test_arrow_keys_and_buttons_step_through_the_photos(qtbot, open_viewer, photos) -> None:
    viewer = open_viewer(items_for(photos), row=1)
    wait_shown(qtbot, viewer)
    rows: list[int] = []
    viewer.current_changed.connect(rows.append)

    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.row == 2
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.row == 0
    qtbot.keyClick(viewer, Qt.Key.Key_Left)  # the first photo: nowhere to go
    assert viewer.row == 0 and not viewer.previous_button.isEnabled()
    qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
    assert viewer.row == 1
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    assert viewer.row == len(photos) - 1 and not viewer.next_button.isEnabled()
    qtbot.mouseClick(viewer.previous_button, Qt.MouseButton.LeftButton)
    assert viewer.row == len(photos) - 2
    assert rows == [2, 1, 0, 1, len(photos) - 1, len(photos) - 2]
    assert viewer.position.text() == f"{len(photos) - 1} of {len(photos)}"


@pytest.mark.parametrize("key", [Qt.Key.Key_Space, Qt.Key.Key_Escape])
def test_space_and_esc_close_after_a_button_was_clicked(qtbot, open_viewer, photos, key) -> None:
    viewer = open_viewer(items_for(photos), row=0)
    wait_shown(qtbot, viewer)
    qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)  # a button was used last
    closed: list[int] = []
    viewer.closed.connect(closed.append)

    qtbot.keyClick(viewer, key)

    assert closed == [1]  # closed, not "Next" pressed again
    assert not viewer.isVisible()


def test_no_child_takes_the_keyboard(open_viewer, photos) -> None:
    viewer = open_viewer(items_for(photos))
    focusable = [
        w.objectName() or type(w).__name__
        for w in viewer.findChildren(QWidget)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus
    ]
    assert focusable == []


def test_the_picture_is_the_original_with_its_exif_rotation(qtbot, open_viewer, photos) -> None:
    rotated = photos[-1]
    with Image.open(rotated) as stored:
        stored_size = stored.size
    viewer = open_viewer(items_for([rotated]))
    wait_shown(qtbot, viewer)

    image = viewer.canvas.image
    assert viewer.canvas.original == (stored_size[1], stored_size[0])  # turned upright
    assert (image.width() > image.height()) == (stored_size[1] > stored_size[0])
    # Decoded from the original at the screen's size, not a small thumbnail scaled up.
    box = viewer.loader.box
    assert image.width() == min(stored_size[1], box[0]) or image.height() == min(
        stored_size[0], box[1]
    )


def test_neighbours_are_decoded_before_they_are_shown(qtbot, open_viewer, photos) -> None:
    viewer = open_viewer(items_for(photos), row=2)
    wait_shown(qtbot, viewer)
    qtbot.waitUntil(
        lambda: (
            viewer.loader.cached(photos[3]) is not None
            and viewer.loader.cached(photos[1]) is not None
        ),
        timeout=10_000,
    )

    qtbot.keyClick(viewer, Qt.Key.Key_Right)

    # Shown at once, from what was decoded ahead: no "Loading…" in between.
    assert viewer.canvas.image is viewer.loader.cached(photos[3]).image


def test_fit_actual_size_and_wheel_zoom(qtbot, open_viewer, photos) -> None:
    viewer = open_viewer(items_for(photos))
    wait_shown(qtbot, viewer)
    canvas = viewer.canvas
    assert canvas.fit and canvas.zoom < 1.0  # 1200+ px photos in a smaller window
    rect = canvas.picture_rect()
    assert rect.width() <= canvas.width() + 1 and rect.height() <= canvas.height() + 1

    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert not canvas.fit and canvas.zoom == 1.0
    assert viewer.zoom_label.text() == "100%"
    # Zoomed to 100%: the original's pixels are decoded (the screen decode may be smaller).
    qtbot.waitUntil(
        lambda: viewer.loader.cached(viewer.item.path, full=True) is not None, timeout=10_000
    )
    assert canvas.image.width() == canvas.original[0]

    qtbot.keyClick(viewer, Qt.Key.Key_0)
    assert canvas.fit
    fitted = canvas.zoom
    centre = QPointF(canvas.width() / 2, canvas.height() / 2)
    wheel = QWheelEvent(
        centre, canvas.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 240),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    canvas.wheelEvent(wheel)
    assert canvas.zoom == pytest.approx(fitted * 1.25**2)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert canvas.zoom == pytest.approx(fitted * 1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert canvas.fit  # the next photo starts fitted


def test_full_screen_and_esc_leaves_it_first(qtbot, open_viewer, photos) -> None:
    viewer = open_viewer(items_for(photos))
    qtbot.keyClick(viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(viewer.isFullScreen)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isFullScreen())
    assert viewer.isVisible()


def test_details_panel_shows_the_photo_and_hides(qtbot, open_viewer, photos) -> None:
    taken = datetime(2023, 5, 20, 14, 30).timestamp()
    item = items_for(
        photos[:1], taken_at=taken, date_source="file", score=0.3141, camera="Canon EOS R6"
    )
    viewer = open_viewer(item)
    values = viewer.details.values

    assert values["name"].text() == photos[0].name
    assert values["folder"].text() == str(photos[0].parent)
    assert values["taken"].text() == "20 May 2023, 14:30 (the file's date: the photo records none)"
    assert values["camera"].text() == "Canon EOS R6"
    assert values["score"].text() == "0.314"
    assert values["size"].text().endswith("KB")
    assert "×" in values["dimensions"].text()

    qtbot.keyClick(viewer, Qt.Key.Key_I)
    assert not viewer.details.isVisible() and not viewer.details_button.isChecked()
    qtbot.mouseClick(viewer.details_button, Qt.MouseButton.LeftButton)
    assert viewer.details.isVisible()


def test_browsing_hides_the_score_and_unknown_camera(open_viewer, photos) -> None:
    viewer = open_viewer(items_for(photos[:1], date_source="exif", taken_at=0.0))
    form = viewer.details.form
    assert not form.isRowVisible(viewer.details.values["score"])
    assert not form.isRowVisible(viewer.details.values["camera"])
    assert "file's date" not in viewer.details.values["taken"].text()


def test_a_photo_that_cannot_be_read_says_why(qtbot, open_viewer, tmp_path: Path, photos) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    viewer = open_viewer([ViewerItem(broken), *items_for(photos[:1])])
    qtbot.waitUntil(lambda: viewer.loader.cached(broken) is not None, timeout=10_000)

    assert viewer.canvas.image is None
    assert viewer.canvas.message == decode(broken, (800, 600)).error
    assert viewer.canvas.message.endswith(".")
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    wait_shown(qtbot, viewer)  # the next one shows
