"""Collections in the real window over a real indexed library with the tiny model: the
sidebar lists them with their counts, choosing one shows its members and keeps a search to
them, New collection… makes one with its members, a photo taken out of or added to one from
the context menu stays so over a re-index, Remove asks first, sensitive photos are blurred
in the grid and the viewer only while View ▸ Hide sensitive photos is on (remembered), and
the viewer's details show a photo's top labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from helpers.gui import search, wait_indexed
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QDialogButtonBox, QStyle, QStyleOptionViewItem

from photofind.core.query import parse_query
from photofind.core.settings import load_settings
from photofind.core.shapes import ShapePhoto
from photofind.gui.collections_panel import NEW_ROW, NOTHING_SENSITIVE
from photofind.gui.viewer import ViewerItem

RED_CIRCLES = "red circles"


def collections_ready(qtbot, window) -> None:
    panel = window.collections
    qtbot.waitUntil(lambda: bool(panel.collections) and not panel.busy, timeout=30_000)


def indexed_window(qtbot, make_window, folder: Path):
    window = make_window([folder])
    wait_indexed(qtbot, window)
    collections_ready(qtbot, window)
    return window


def truth(photos: list[ShapePhoto], colour: str, shape: str) -> set[str]:
    return {p.path.name for p in photos if (p.colour, p.shape) == (colour, shape)}


def shown_names(window) -> set[str]:
    return {h.path.name for h in window.results.hits()}


def make_collection(qtbot, window, name: str, descriptions: str, *, sensitive: bool = False):
    """New collection… typed and saved as a person would."""
    dialog = window.collections.new_collection()
    qtbot.keyClicks(dialog.name, name)
    dialog.descriptions.setPlainText(descriptions)
    dialog.sensitive.setChecked(sensitive)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save),
                     Qt.MouseButton.LeftButton)  # fmt: skip
    qtbot.waitUntil(lambda: window.collections.item_of(name) is not None, timeout=20_000)
    return dialog


def members_shown(qtbot, window, name: str) -> None:
    qtbot.waitUntil(
        lambda: (
            window.sidebar.collection == name
            and window.session.query.last is not None
            and window.session.query.last.request.collection == name
            and not window.session.query.busy
            and window.page_state in ("results", "empty-collection")
        ),
        timeout=20_000,
    )


def test_sidebar_lists_collections_with_counts_and_a_click_shows_the_members(
    qtbot, make_window, library_photos
):
    window = indexed_window(qtbot, make_window, library_photos)
    library = window.session.library
    counts = library.collections.counts()
    sidebar = window.sidebar
    pets = window.collections.item_of("pets")
    assert pets is not None and pets.text(0) == "Pets"
    assert pets.text(1) == f"{counts['pets']:,}"
    # the built-in sensitive set is off until the user turns it on: no count, said so
    sensitive = window.collections.item_of("sensitive")
    assert sensitive is not None and sensitive.text(1) == "off"
    assert "sensitive" not in counts
    last = sidebar.collections_item.child(sidebar.collections_item.childCount() - 1)
    assert last.text(0) == NEW_ROW

    busiest = max(counts, key=counts.get)
    sidebar.setCurrentItem(window.collections.item_of(busiest))
    members_shown(qtbot, window, busiest)
    expected = library.collections.member_ids(busiest).tolist()
    assert [h.photo_id for h in window.results.hits()] == expected  # best first, all of them
    assert "photos" in window.results.toolbar.summary.text()
    title = window.collections.title(busiest)
    assert title in window.search_bar.field.placeholderText()  # a search keeps to it
    # All photos again: browsing the whole library
    sidebar.choose(None)
    qtbot.waitUntil(lambda: window.page_state == "browse", timeout=10_000)
    assert window.session.query.collection is None
    assert title not in window.search_bar.field.placeholderText()


def test_a_new_collection_appears_with_its_members_and_scopes_a_search(
    qtbot, make_window, library_photos, shape_library_48
):
    window = indexed_window(qtbot, make_window, library_photos)
    make_collection(qtbot, window, RED_CIRCLES, "a red circle")
    members_shown(qtbot, window, RED_CIRCLES)  # a new collection is shown at once
    expected = truth(shape_library_48, "red", "circle")
    assert shown_names(window) == expected
    assert window.collections.item_of(RED_CIRCLES).text(1) == str(len(expected))
    assert window.collections.title(RED_CIRCLES) == RED_CIRCLES

    # a search typed meanwhile keeps to the collection's members
    search(qtbot, window, "a red square")  # the squares are not in it: only circles come
    last = window.session.query.last
    assert last.request.collection == RED_CIRCLES
    assert last.hits and {h.path.name for h in last.hits} <= expected
    # the same as a chip, with no collection chosen: the whole library's matches else
    window.sidebar.choose(None)
    search(qtbot, window, f'collection:"{RED_CIRCLES}"')
    assert shown_names(window) == expected
    search(qtbot, window, "collection:nosuch")
    assert "no collection named “nosuch”" in window.session.query.last.query_error


def test_the_dialog_refuses_a_taken_name_and_no_description(qtbot, make_window, library_photos):
    window = indexed_window(qtbot, make_window, library_photos)
    before = len(window.session.library.collections.all(include_off=True))
    dialog = window.collections.new_collection()
    qtbot.keyClicks(dialog.name, "PETS")
    dialog.descriptions.setPlainText("a dog")
    dialog.save()
    assert dialog.isVisible() and "exists already" in dialog.problem.text()
    dialog.name.setText("mine")
    dialog.descriptions.setPlainText("  \n ")
    dialog.save()
    assert dialog.isVisible() and "Describe what the collection holds" in dialog.problem.text()
    dialog.reject()
    assert len(window.session.library.collections.all(include_off=True)) == before


def test_taken_out_and_added_from_the_context_menu_stays_so_over_a_reindex(
    qtbot, make_window, library_photos, shape_library_48
):
    window = indexed_window(qtbot, make_window, library_photos)
    make_collection(qtbot, window, RED_CIRCLES, "a red circle")
    members_shown(qtbot, window, RED_CIRCLES)
    out = window.results.hits()[0]
    menu = window.context_menu([out])
    remove = next(a for a in menu.actions() if a.text() == f"Remove from “{RED_CIRCLES}”")
    remove.trigger()
    assert out.photo_id not in {h.photo_id for h in window.results.hits()}  # at once
    qtbot.waitUntil(lambda: not window.collections.busy and not window.session.query.busy,
                    timeout=20_000)  # fmt: skip
    assert out.path.name not in shown_names(window)

    # a blue star added by hand, from the Add to collection submenu of a search result
    window.sidebar.choose(None)
    search(qtbot, window, "a blue star")
    star = window.results.hits()[0]
    menu = window.context_menu([star])
    add_menu = next(a.menu() for a in menu.actions() if a.menu() and "collection" in a.text())
    next(a for a in add_menu.actions() if a.text() == RED_CIRCLES).trigger()
    qtbot.waitUntil(lambda: not window.collections.busy, timeout=20_000)
    members = {m.path.name: m for m in window.session.library.collections.members(RED_CIRCLES)}
    assert star.path.name in members and members[star.path.name].by_hand
    assert out.path.name not in members

    # both corrections outlive an index run that reads the photos again
    for photo in (out.path, star.path):
        photo.touch()
    window.session.start_indexing()
    qtbot.waitUntil(lambda: window.session.indexing.running, timeout=10_000)
    wait_indexed(qtbot, window)
    window.collections.choose(RED_CIRCLES)
    members_shown(qtbot, window, RED_CIRCLES)
    expected = truth(shape_library_48, "red", "circle") - {out.path.name} | {star.path.name}
    assert shown_names(window) == expected


def test_remove_asks_first_and_keeps_the_collection_unless_told(qtbot, make_window, library_photos):
    window = indexed_window(qtbot, make_window, library_photos)
    panel = window.collections
    make_collection(qtbot, window, RED_CIRCLES, "a red circle")
    members_shown(qtbot, window, RED_CIRCLES)
    asked: list[str] = []
    panel.ask_to_remove = lambda _parent, title: asked.append(title) or False
    menu = panel.sidebar_menu(panel.item_of(RED_CIRCLES))
    next(a for a in menu.actions() if a.text() == "&Remove…").trigger()
    assert asked == [RED_CIRCLES]
    assert not panel.busy and panel.item_of(RED_CIRCLES) is not None

    panel.ask_to_remove = lambda _parent, _title: True
    panel.remove(RED_CIRCLES)
    qtbot.waitUntil(lambda: panel.item_of(RED_CIRCLES) is None and not panel.busy, timeout=20_000)
    assert window.sidebar.collection is None  # back to all photos
    assert all(c.name != RED_CIRCLES for c in window.session.library.collections.all())
    # a built-in one cannot be removed, only turned off
    menu = panel.sidebar_menu(panel.item_of("pets"))
    texts = [a.text() for a in menu.actions()]
    assert "&Remove…" not in texts and "Turn o&ff" in texts


def _cell_roughness(delegate, index, size: int) -> float:
    """How much neighbouring pixels of a painted cell differ: a blurred picture has no edges."""
    cell = delegate.cell_size()
    image = QImage(cell, QImage.Format.Format_RGB32)
    image.fill(0)
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.rect = QRect(QPoint(0, 0), cell)
    option.state = QStyle.StateFlag.State_Enabled
    delegate.paint(painter, option, index)
    painter.end()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(cell.height(), cell.width(), 4)
    # the middle of the picture only: the picture's own edge against the cell is no detail
    middle = slice(cell.height() // 2 - size // 5, cell.height() // 2 + size // 5)
    centre = slice(cell.width() // 2 - size // 5, cell.width() // 2 + size // 5)
    grey = pixels[middle, centre, :3].astype(np.int32).sum(axis=2)
    return float(np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=0)).mean())


def test_sensitive_photos_are_blurred_in_the_grid_only_with_the_option_on(
    qtbot, make_window, library_photos
):
    window = indexed_window(qtbot, make_window, library_photos)
    panel = window.collections
    messages: list[str] = []
    panel.message.connect(messages.append)
    window.hide_sensitive_action.setChecked(True)  # nothing sensitive is on yet
    assert messages[-1] == NOTHING_SENSITIVE
    window.hide_sensitive_action.setChecked(False)

    make_collection(qtbot, window, "blue stars", "a blue star")
    members_shown(qtbot, window, "blue stars")
    view, delegate = window.results.view, window.results.delegate
    model = window.results.model
    index = model.index(0)
    hit = index.data(Qt.ItemDataRole.UserRole + 1)
    size = round(delegate.size * delegate.device_ratio)
    qtbot.waitUntil(
        lambda: isinstance(window.thumbnails.pixmap(hit.path, size), QPixmap), timeout=10_000
    )
    sharp = _cell_roughness(delegate, index, size)

    # marked sensitive (as Edit… does), and hiding turned on while that is being read: it
    # is judged on what is read, so no "nothing is sensitive" this time
    window.session.library.collections.edit("blue stars", sensitive=True)
    panel.reload()
    window.hide_sensitive_action.setChecked(True)
    qtbot.waitUntil(lambda: not panel.busy, timeout=20_000)
    assert messages.count(NOTHING_SENSITIVE) == 1
    assert hit.photo_id in panel.blur.sensitive_ids and panel.blur.hides(hit.photo_id)
    blurred = _cell_roughness(delegate, index, size)
    assert blurred < sharp * 0.6, (blurred, sharp)
    # a photo of no sensitive collection is never blurred
    others = window.session.library.search.find(parse_query("a red square"), 5).hits
    assert others and not any(panel.blur.hides(h.photo_id) for h in others)

    # a click shows that one photo; the others stay blurred
    second = model.index(1).data(Qt.ItemDataRole.UserRole + 1)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(index).center())  # fmt: skip
    assert not panel.blur.hides(hit.photo_id)
    assert _cell_roughness(delegate, index, size) > blurred
    assert second is None or panel.blur.hides(second.photo_id)

    # off: every sensitive photo as it is; on again: hidden again, the one clicked too
    window.hide_sensitive_action.setChecked(False)
    assert not any(panel.blur.hides(i) for i in panel.blur.sensitive_ids)
    assert _cell_roughness(delegate, index, size) == sharp
    window.hide_sensitive_action.setChecked(True)
    assert panel.blur.hides(hit.photo_id)

    # remembered: the setting is saved with the window
    window.shutdown()
    settings = load_settings(window.paths.settings_path)
    assert settings.hide_sensitive is True
    assert json.loads(window.paths.settings_path.read_text())["hide_sensitive"] is True


def test_the_viewer_blurs_a_sensitive_photo_until_clicked_and_shows_its_labels(
    qtbot, make_window, library_photos, monkeypatch
):
    # Labels the demo model can read (it reads none of the built-in ones: pet, food, ...).
    monkeypatch.setattr(
        "photofind.core.collections.builtin_labels",
        lambda: ["blue star", "red circle", "green square", "yellow triangle"],
    )
    window = indexed_window(qtbot, make_window, library_photos)
    panel = window.collections
    make_collection(qtbot, window, "blue stars", "a blue star", sensitive=True)
    members_shown(qtbot, window, "blue stars")
    window.hide_sensitive_action.setChecked(True)
    qtbot.waitUntil(lambda: len(panel.blur.sensitive_ids) > 0, timeout=20_000)
    hit = window.results.hits()[0]
    viewer = window.photo_actions.open_viewer([ViewerItem.from_hit(hit)], 0)
    qtbot.waitUntil(lambda: viewer.canvas.image is not None, timeout=20_000)
    assert viewer.sensitive_note.isVisible()
    picture = viewer.loader.cached(hit.path)
    shown = viewer.canvas.image
    assert shown.size() == picture.image.size() and shown != picture.image

    # the details: the photo's top labels from the built-in collections, with probabilities
    labels = viewer.details.values["labels"]
    qtbot.waitUntil(lambda: "%" in labels.text(), timeout=20_000)
    lines = labels.text().splitlines()
    expected = window.session.library.collections.labels_for(hit.photo_id)
    assert len(lines) == len(expected) == 3
    assert lines[0].startswith(expected[0].label) and lines[0].endswith(
        f"{expected[0].probability:.0%}"
    )

    qtbot.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton)
    assert not viewer.sensitive_note.isVisible()
    assert viewer.canvas.image == picture.image  # shown as it is
    viewer.close()


def test_turning_on_the_builtin_sensitive_set_counts_it(qtbot, make_window, library_photos):
    window = indexed_window(qtbot, make_window, library_photos)
    panel = window.collections
    menu = panel.sidebar_menu(panel.item_of("sensitive"))
    next(a for a in menu.actions() if a.text() == "Turn o&n").trigger()
    qtbot.waitUntil(lambda: panel.item_of("sensitive").text(1) != "off" and not panel.busy,
                    timeout=20_000)  # fmt: skip
    counts = window.session.library.collections.counts()
    assert panel.item_of("sensitive").text(1) == f"{counts['sensitive']:,}"
