"""The search bar's operator chips and the notes under it, in the real window over a real
library: every operator becomes a chip, a removed chip changes the search, a chip turns back
into words, a bare year is offered as a date (never taken by itself), a query that cannot be
parsed says why under the field, and what the model cannot read is said once."""

from __future__ import annotations

import pytest
from helpers.gui import wait_indexed
from PySide6.QtCore import Qt

from photofind.gui.widgets.query_chips import OperatorChip, split_operators


def wait_searched(qtbot, window, text: str) -> None:
    query = window.session.query
    qtbot.waitUntil(
        lambda: query.last is not None and query.last.request.text == text and not query.busy,
        timeout=10_000,
    )


def type_in(qtbot, window, text: str) -> None:
    """Type ``text`` key by key into an emptied search field."""
    window.search_bar.clear()
    qtbot.keyClicks(window.search_bar.field, text)


def enter(qtbot, window, text: str) -> None:
    """Put ``text`` in the field and press Enter (QTest cannot type Chinese key by key)."""
    window.search_bar.set_text(text)
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Return)


# -- the parse, without a window ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "chip", "label", "words"),
    [
        ("-square ", "-square", "not square", "square"),
        ('-"red car" ', '-"red car"', "not red car", "red car"),
        ("2:blue ", "2:blue", "2× blue", "blue"),
        ("in:2020/summer ", "in:2020/summer", "in 2020/summer", "2020/summer"),
        ("type:PNG ", "type:PNG", "type png", "PNG"),
        ("after:2019 ", "after:2019", "after 2019", "2019"),
        ("before:2020-06 ", "before:2020-06", "before 2020-06", "2020-06"),
        ('camera:"EOS 5D" ', 'camera:"EOS 5D"', "camera EOS 5D", "EOS 5D"),
        ("orientation:portrait ", "orientation:portrait", "portrait", "portrait"),
    ],
)
def test_each_operator_is_a_chip_once_complete(typed, chip, label, words):
    text, cursor, specs = split_operators(f"a red {typed}", len(f"a red {typed}"), everything=False)
    assert [(s.text, s.label, s.words) for s in specs] == [(chip, label, words)]
    assert (text, cursor) == ("a red ", 6)  # the words stay, the cursor after them
    # still being typed (no space after it, or the cursor inside it): it stays in the field
    unfinished = f"a red {typed.rstrip()}"
    assert split_operators(unfinished, len(unfinished), everything=False)[2] == []
    assert split_operators(f"a red {typed}", 7, everything=False)[2] == []
    # Enter takes it whatever the cursor
    assert [s.text for s in split_operators(unfinished, 7, everything=True)[2]] == [chip]


def test_words_phrases_and_what_cannot_be_parsed_stay_in_the_field():
    assert split_operators('a red "big circle" 12:30 ', 25, everything=True)[2] == []
    typed = "a red circle after:2019-13 type:png "
    assert split_operators(typed, len(typed), everything=True) == (typed, len(typed), [])
    # an unclosed quote is closed in the chip, so text after the chips cannot run into it
    assert split_operators('x -"red car', 11, everything=True)[2][0].text == '-"red car"'


# -- chips in the window ------------------------------------------------------------------


def test_typed_operators_become_chips_and_are_searched(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    bar = window.search_bar
    type_in(qtbot, window, "a blue -star 2:circle type:png orientation:landscape after:2000 ")
    chips = [c.spec.text for c in bar.operators.chips()]
    assert chips == ["-star", "2:circle", "type:png", "orientation:landscape", "after:2000"]
    assert bar.text() == "a blue "
    expected = "-star 2:circle type:png orientation:landscape after:2000 a blue "
    assert bar.query_text() == expected
    wait_searched(qtbot, window, expected)
    hits = window.session.query.last.hits  # the matches and the closest others
    assert hits and all(h.path.suffix == ".png" for h in hits)
    assert all(h.width > h.height for h in hits)  # landscape only

    # Esc clears the chips too
    bar.field.setFocus()
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert bar.operators.chips() == [] and bar.query_text() == ""


def test_removing_a_chip_changes_the_search(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    bar = window.search_bar
    type_in(qtbot, window, "a red circle type:png")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)  # Enter makes the last operator a chip
    assert [c.spec.text for c in bar.operators.chips()] == ["type:png"]
    wait_searched(qtbot, window, "type:png a red circle")
    assert {h.path.suffix for h in window.session.query.last.hits} == {".png"}

    qtbot.mouseClick(bar.operators.chips()[0].remove_button, Qt.MouseButton.LeftButton)
    assert bar.operators.chips() == []
    wait_searched(qtbot, window, "a red circle")
    assert len({h.path.suffix for h in window.session.query.last.hits}) > 1
    assert "red-circle" in window.results.model.hit(0).path.name


def test_a_chip_turns_back_into_words_or_into_text_to_edit(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    bar = window.search_bar
    type_in(qtbot, window, "a red -circle ")
    wait_searched(qtbot, window, "-circle a red ")
    assert "red-circle" not in window.session.query.last.hits[0].path.name  # pushed away
    chip = bar.operators.chips()[0]
    assert isinstance(chip, OperatorChip)
    qtbot.mouseDClick(chip.label, Qt.MouseButton.LeftButton)  # reaches the chip
    assert bar.operators.chips() == [] and bar.text() == "a red circle"
    wait_searched(qtbot, window, "a red circle")
    assert "red-circle" in window.results.model.hit(0).path.name

    # the menu's Edit puts the operator itself back; Backspace in an empty field does too
    type_in(qtbot, window, "type:gif ")
    menu = {a.text(): a for a in bar.operators.chips()[0].menu().actions()}
    assert set(menu) == {"Search for “gif” as words", "Edit", "Remove"}
    menu["Edit"].trigger()
    assert bar.operators.chips() == [] and bar.text() == "type:gif"
    bar.field.clear()
    type_in(qtbot, window, "after:2001 ")
    qtbot.keyClick(bar.field, Qt.Key.Key_Backspace)
    assert bar.operators.chips() == [] and bar.text() == "after:2001"


def test_a_bare_year_is_offered_as_a_date_never_taken(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    bar, notes = window.search_bar, window.query_notes
    type_in(qtbot, window, "a red circle 2019")
    wait_searched(qtbot, window, "a red circle 2019")  # searched with the year as a word
    assert bar.operators.chips() == [] and bar.text() == "a red circle 2019"
    assert notes.isVisible() and [b.text() for b in notes.date_buttons] == [
        "Only photos taken in 2019"
    ]
    qtbot.mouseClick(notes.date_buttons[0], Qt.MouseButton.LeftButton)
    chips = bar.operators.chips()
    assert [(c.spec.text, c.spec.label) for c in chips] == [
        ("after:2019 before:2020", "taken in 2019")
    ]
    assert bar.text() == "a red circle" and notes.date_buttons == []
    wait_searched(qtbot, window, "after:2019 before:2020 a red circle")
    # the date chip turns back into the words it was made of
    qtbot.mouseDClick(chips[0].label, Qt.MouseButton.LeftButton)
    assert bar.text() == "a red circle 2019"

    type_in(qtbot, window, "a blue star June 2019")
    assert [b.text() for b in notes.date_buttons] == ["Only photos taken in June 2019"]
    notes.date_buttons[0].click()
    assert bar.operators.text() == "after:2019-06 before:2019-07"


def test_a_query_that_cannot_be_parsed_says_why_under_the_field(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    type_in(qtbot, window, "a red circle")
    wait_searched(qtbot, window, "a red circle")
    shown = window.results.model.hits()
    notes = window.query_notes
    assert not notes.error.isVisible()
    qtbot.keyClicks(window.search_bar.field, " after:2019-13")  # typed on
    wait_searched(qtbot, window, "a red circle after:2019-13")
    assert notes.error.isVisible()
    assert notes.error.text() == (
        "after:2019-13 is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD (e.g. after:2019-06)."
    )
    assert window.page_state == "results" and window.results.model.hits() == shown
    assert window.search_bar.operators.chips() == []  # nothing taken from a broken text
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(window.search_bar.field, "2")
    wait_searched(qtbot, window, "a red circle after:2019-12")
    assert not notes.error.isVisible()


def test_what_the_model_cannot_read_is_said_once(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    notes = window.query_notes
    enter(qtbot, window, "红色的圆")
    wait_searched(qtbot, window, "红色的圆")
    assert notes.notice.isVisible()
    assert notes.notice_text.text().startswith("tiny-shapes understands English only")
    assert "Chinese" in notes.notice_text.text()
    assert notes.notice_button.text() == "Install it…"
    notes.notice_button.click()  # opens Library ▸ Models… with the multilingual one ready
    dialog = window.models_dialog
    assert dialog is not None and dialog.isVisible()
    suggested = window.session.query.last.notices[0].suggested_model
    assert suggested and dialog.selected_name() == suggested
    dialog.close()
    assert not notes.notice.isVisible()
    enter(qtbot, window, "蓝色的星")
    wait_searched(qtbot, window, "蓝色的星")
    assert window.session.query.last.notices and not notes.notice.isVisible()  # said once

    # words outside tiny-shapes' vocabulary: said, with the Models dialog as the remedy
    type_in(qtbot, window, "a red dog")
    wait_searched(qtbot, window, "a red dog")
    assert notes.notice.isVisible() and "'dog'" in notes.notice_text.text()
    assert notes.notice_button.text() == "Models…"
    type_in(qtbot, window, "a red circle")
    wait_searched(qtbot, window, "a red circle")
    assert not notes.notice.isVisible()
