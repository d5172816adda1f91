"""The query parser: every operator, quoting, chips back to words, date hints, and errors as
one plain sentence naming what was typed."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from photofind.core.filters import QueryError
from photofind.core.query import FILTER, NEGATIVE, PHRASE, WEIGHTED, WORDS, Term, parse_query


def local(*ymd: int) -> float:
    return datetime.datetime(*ymd).timestamp()


def test_plain_words_are_one_text_term():
    query = parse_query("  a dog  on the beach ")
    assert query.terms == (Term("a dog on the beach"),)
    assert [t.kind for t in query.tokens] == [WORDS] * 5
    assert not query.filters


def test_quoted_phrases_negative_and_weighted_terms():
    query = parse_query('beach "red car" -sand -"two words" 2:dog 0.5:"a blue boat"')
    assert query.terms == (
        Term("beach"),
        Term("red car"),
        Term("sand", negative=True),
        Term("two words", negative=True),
        Term("dog", weight=2.0),
        Term("a blue boat", weight=0.5),
    )
    assert [t.kind for t in query.tokens] == [WORDS, PHRASE, NEGATIVE, NEGATIVE, WEIGHTED, WEIGHTED]
    assert parse_query("-2:dog").terms == (Term("dog", weight=2.0, negative=True),)


def test_every_filter():
    query = parse_query(
        "cat in:2020/summer in:misc type:JPG type:.png after:2019 before:2020-06-15 "
        'camera:"EOS 5D" orientation:Portrait'
    )
    f = query.filters
    assert query.terms == (Term("cat"),)
    assert f.folders == ("2020/summer", "misc")
    assert f.types == ("jpg", "png")
    assert f.after.start == local(2019, 1, 1) and f.after.end == local(2020, 1, 1)
    assert f.before.start == local(2020, 6, 15)
    assert f.cameras == ("EOS 5D",)
    assert f.orientations == ("portrait",)
    assert [t.key for t in query.tokens if t.kind == FILTER] == [
        "in", "in", "type", "type", "after", "before", "camera", "orientation",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("jpeg", "jpg"),
        ("JPG", "jpg"),
        ("tiff", "tif"),
        ("heif", "heic"),
        ("dng", "raw"),
        ("raw", "raw"),
    ],
)
def test_type_aliases(typed: str, name: str):
    assert parse_query(f"type:{typed}").filters.types == (name,)


def test_dates_narrow_and_months_end_where_they_should():
    f = parse_query("after:2018 after:2019-12 before:2021 before:2020-02").filters
    assert f.after.start == local(2019, 12, 1) and f.after.end == local(2020, 1, 1)
    assert f.before.start == local(2020, 2, 1)


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("after:2019-13", "after:2019-13"),
        ("before:2019-02-30", "before:2019-02-30"),
        ("after:19", "after:19"),
        ("after:yesterday", "after:yesterday"),
        ("type:doc", "type:doc"),
        ("orientation:diagonal", "orientation:diagonal"),
        ("in:", "in:"),
        ("in:..", "in:.."),
        ("camera:", "camera:"),
        ("-in:misc", "-in:misc"),
        ("2:type:jpg", "2:type:jpg"),
        ("0:dog", "0:dog"),
        ("after:2020 before:2019", "after:2020"),
    ],
)
def test_errors_are_one_sentence_that_names_what_was_typed(typed: str, names: str):
    with pytest.raises(QueryError) as caught:
        parse_query(f"a dog {typed}")
    message = str(caught.value)
    assert names in message and "\n" not in message and message.endswith(".")


def test_words_with_colons_that_are_no_operators_stay_words():
    query = parse_query("sunset at 12:30 4:3 http://example.org note:x")
    assert query.terms == (Term("sunset at 12:30 4:3 http://example.org note:x"),)


def test_unclosed_quote_runs_to_the_end_and_empty_quotes_say_nothing():
    assert parse_query('dog "red car').terms == (Term("dog"), Term("red car"))
    assert parse_query('"" dog').terms == (Term("dog"),)
    assert parse_query("   ").terms == ()


def test_quoted_filter_values_and_case_of_keys():
    f = parse_query('IN:"summer 2020" Camera:canon').filters
    assert f.folders == ("summer 2020",) and f.cameras == ("canon",)


def test_image_terms_come_from_the_callers_check(tmp_path: Path):
    photo = tmp_path / "beach.jpg"
    photo.write_bytes(b"x")
    query = parse_query(f"{photo} at night -{photo}", is_image=lambda s: Path(s).is_file())
    texts = [t for t in query.terms if t.text]
    images = [t for t in query.terms if t.image]
    assert texts == [Term("at night")]
    assert [(t.image, t.negative) for t in images] == [(photo, False), (photo, True)]


def test_chips_are_removed_or_turned_back_into_words():
    query = parse_query('red car in:misc -"blue boat" 2:dog')
    chips = {t.text: i for i, t in enumerate(query.tokens)}
    assert query.without(chips["in:misc"]) == 'red car -"blue boat" 2:dog'
    assert query.as_words(chips["in:misc"]) == 'red car misc -"blue boat" 2:dog'
    assert query.as_words(chips['-"blue boat"']) == "red car in:misc blue boat 2:dog"
    assert query.as_words(chips["2:dog"]) == 'red car in:misc -"blue boat" dog'
    assert parse_query(query.as_words(chips["in:misc"])).terms[0] == Term("red car misc")


def test_bare_years_and_month_years_are_offered_not_taken():
    query = parse_query("beach June 2019 and 2021 sun")
    assert query.terms == (Term("beach June 2019 and 2021 sun"),)  # the words stay words
    june, year = query.date_hints
    assert (june.text, june.after, june.before) == ("June 2019", "2019-06", "2019-07")
    assert (year.text, year.after, year.before) == ("2021", "2021", "2022")
    accepted = parse_query(query.accept(june))
    assert accepted.text == "beach after:2019-06 before:2019-07 and 2021 sun"
    assert accepted.terms == (Term("beach and 2021 sun"),)
    assert accepted.filters.after.start == local(2019, 6, 1)
    assert accepted.filters.before.start == local(2019, 7, 1)
    dec = parse_query("dec 2019").date_hints[0]
    assert (dec.after, dec.before) == ("2019-12", "2020-01")
    assert parse_query("route 66 in 12345").date_hints == ()
