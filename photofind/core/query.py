"""The search box's language, parsed once for the CLI and the window.

::

    a dog on the beach          words: one text term (all unquoted words, in order)
    "red car" "blue boat"       each quoted phrase is a term of its own
    -sand   -"two words"        a negative term: its embedding pushes results away
    2:dog   0.5:"a red car"     a weighted term (weights add up, as rclip's)
    in:2020/summer  in:misc     under a library subfolder (relative path or folder name)
    type:jpg  type:png          jpg (.jpeg, .JPG), png, gif, webp, heic, avif, bmp, tif, raw
    after:2019  before:2020-06  date taken (EXIF, else the file time); after: includes the
                                start of its period, before: excludes it
    camera:canon                EXIF make and model contain the text (any case)
    orientation:portrait        portrait, landscape or square
    collection:pets             in a smart collection (collection:"my red car")

Filter values can be quoted (``camera:"EOS 5D"``). A word with a colon that is not an
operator (``12:30``, ``http://x``) is a word. An unclosed quote runs to the end of the text,
so a query typed key by key never fails halfway.

The parse keeps every token with its place in the text, so the window can show each
operator as a chip that can be removed or turned back into plain words, and it notes bare
years and "June 2019" as date hints: offered, never taken out of the words by themselves.
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from photofind.core.filters import (
    Filters,
    Period,
    QueryError,
    check_order,
    folder_names,
    orientation_name,
    type_name,
)

FILTER_KEYS = ("in", "type", "after", "before", "camera", "orientation", "collection")
WORDS, PHRASE, NEGATIVE, WEIGHTED, FILTER = "words", "phrase", "negative", "weighted", "filter"
# A digit after the colon makes it a word: 12:30 is a time, 4:3 a ratio.
_WEIGHT = re.compile(r"^(\d+(?:\.\d*)?|\.\d+):(?=[^\d\s])")
_KEY = re.compile(r"^(" + "|".join(FILTER_KEYS) + r"):", re.I)
_YEAR = re.compile(r"^(1[89]\d\d|2[01]\d\d)$")
_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}


@dataclass(frozen=True)
class Term:
    """One thing to look for: text or an image, with its weight; negative pushes away."""

    text: str | None
    image: Path | bytes | None = None  # bytes: a picture pasted into the window
    weight: float = 1.0
    negative: bool = False


@dataclass(frozen=True)
class QueryToken:
    """One piece of the typed text, where it stands (``start``/``end``), and what it means.

    ``words``: the token as plain words, for turning an operator chip back into text
    (``in:misc`` -> ``misc``, ``-"red car"`` -> ``red car``)."""

    kind: str  # WORDS (one unquoted word), PHRASE, NEGATIVE, WEIGHTED or FILTER
    text: str
    start: int
    end: int
    words: str
    key: str | None = None  # FILTER: one of FILTER_KEYS
    value: str | None = None  # FILTER: the value as typed
    weight: float = 1.0
    image: Path | None = None  # a term that named an image file


@dataclass(frozen=True)
class DateHint:
    """A bare year ("2019") or month and year ("June 2019") among the words: the window
    offers it as a date filter, and :meth:`Query.accept` puts the filter in its place."""

    start: int
    end: int
    text: str
    after: str  # e.g. "2019-06"
    before: str  # e.g. "2019-07"

    @property
    def operators(self) -> str:
        return f"after:{self.after} before:{self.before}"


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[Term, ...]
    filters: Filters
    tokens: tuple[QueryToken, ...]
    date_hints: tuple[DateHint, ...] = field(default=())

    @property
    def has_terms(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> str:
        """The unquoted words of the text term, as one string ("" when there are none)."""
        return " ".join(t.text for t in self.tokens if t.kind == WORDS and t.image is None)

    def without(self, index: int) -> str:
        """The query text with token ``index`` taken out (a chip removed)."""
        return self._replace(self.tokens[index].start, self.tokens[index].end, "")

    def as_words(self, index: int) -> str:
        """The query text with token ``index`` turned back into plain words."""
        token = self.tokens[index]
        return self._replace(token.start, token.end, token.words)

    def accept(self, hint: DateHint) -> str:
        """The query text with a date hint turned into after:/before: filters."""
        return self._replace(hint.start, hint.end, hint.operators)

    def _replace(self, start: int, end: int, new: str) -> str:
        before, after = self.text[:start].rstrip(), self.text[end:].lstrip()
        return " ".join(p for p in (before, new, after) if p)


def _read_value(text: str, at: int) -> tuple[str, int, bool]:
    """(value, end, quoted) of what starts at ``at``: a quoted phrase or a run of non-space."""
    if at < len(text) and text[at] == '"':
        close = text.find('"', at + 1)
        end = len(text) if close < 0 else close + 1
        return text[at + 1 : close if close >= 0 else len(text)], end, True
    match = re.compile(r"\S*").match(text, at)
    assert match is not None
    return match.group(), match.end(), False


def _date_hints(tokens: list[QueryToken]) -> list[DateHint]:
    hints = []
    words = [t for t in tokens if t.kind == WORDS]
    for i, token in enumerate(words):
        if not _YEAR.match(token.text):
            continue
        year = int(token.text)
        month = _MONTHS.get(words[i - 1].text.lower().rstrip(".")) if i else None
        if month is not None:
            start = words[i - 1].start
            nxt = (year + 1, 1) if month == 12 else (year, month + 1)
            hints.append(DateHint(start, token.end, f"{words[i - 1].text} {token.text}",
                                  f"{year}-{month:02d}", f"{nxt[0]}-{nxt[1]:02d}"))  # fmt: skip
        else:
            hints.append(DateHint(token.start, token.end, token.text, str(year), str(year + 1)))
    return hints


def _filter(key: str, value: str, filters: dict[str, list]) -> None:
    if not value.strip():
        examples = {"in": "in:2020/summer", "type": "type:jpg", "after": "after:2019",
                    "before": "before:2020-06", "camera": "camera:canon",
                    "orientation": "orientation:portrait",
                    "collection": "collection:pets"}  # fmt: skip
        raise QueryError(f"{key}: needs a value after the colon, e.g. {examples[key]}.")
    if key == "in":
        if not os.path.isabs(value):
            folder_names(value)  # refused now, not at search time
        filters["folders"].append(value)
    elif key == "type":
        filters["types"].append(type_name(value))
    elif key in ("after", "before"):
        filters[key].append(Period.parse(value, key))
    elif key == "camera":
        filters["cameras"].append(value.strip())
    elif key == "collection":
        filters["collections"].append(" ".join(value.split()))
    else:
        filters["orientations"].append(orientation_name(value))


def parse_query(text: str, *, is_image: Callable[[str], bool] | None = None) -> Query:
    """Parse what was typed. ``is_image``: says whether a term names an image file (the CLI
    passes a check for existing files; such terms become image terms).

    Raises QueryError (one sentence, naming what was typed) for a filter that cannot be
    understood: ``after:2019-13``, ``type:doc``, ``in:`` with nothing after it."""
    tokens: list[QueryToken] = []
    found: dict[str, list] = {k: [] for k in ("folders", "types", "after", "before",
                                              "cameras", "orientations", "collections")}  # fmt: skip
    at = 0
    while True:
        match = re.compile(r"\S").search(text, at)
        if match is None:
            break
        start = at = match.start()
        negative = text[at] == "-" and at + 1 < len(text) and not text[at + 1].isspace()
        at += negative
        weight_match = _WEIGHT.match(text[at:])
        weight = 1.0
        if weight_match:
            weight = float(weight_match.group(1))
            at += weight_match.end()
        key_match = _KEY.match(text[at:])
        if key_match:
            key = key_match.group(1).lower()
            value, end, _ = _read_value(text, at + key_match.end())
            typed = text[start:end]
            if negative or weight_match:
                raise QueryError(
                    f"{typed} is a filter and cannot carry a '-' or a weight; write {key}:{value}."
                )
            _filter(key, value, found)
            tokens.append(QueryToken(FILTER, typed, start, end, value, key, value))
            at = end
            continue
        value, end, quoted = _read_value(text, at)
        typed = text[start:end]
        at = end
        if weight_match and weight <= 0:
            raise QueryError(f"{typed}: a weight must be more than 0, e.g. 2:{value}.")
        if not value.strip():
            continue  # a lone '""' says nothing
        image = Path(value) if is_image is not None and is_image(value) else None
        kind = NEGATIVE if negative else WEIGHTED if weight_match else PHRASE if quoted else WORDS
        tokens.append(QueryToken(kind, typed, start, end, value, weight=weight, image=image))
    filters = Filters(
        folders=tuple(dict.fromkeys(found["folders"])),
        types=tuple(dict.fromkeys(found["types"])),
        after=max(found["after"], key=lambda p: p.start, default=None),
        before=min(found["before"], key=lambda p: p.start, default=None),
        cameras=tuple(dict.fromkeys(found["cameras"])),
        orientations=tuple(dict.fromkeys(found["orientations"])),
        collections=tuple(dict.fromkeys(found["collections"])),
    )
    check_order(filters)
    return Query(text, _terms(tokens), filters, tuple(tokens), tuple(_date_hints(tokens)))


def _terms(tokens: list[QueryToken]) -> tuple[Term, ...]:
    terms: list[Term] = []
    words = [t.words for t in tokens if t.kind == WORDS and t.image is None]
    if words:
        terms.append(Term(" ".join(words)))
    for token in tokens:
        if token.kind == FILTER or (token.kind == WORDS and token.image is None):
            continue
        text = None if token.image is not None else token.words
        terms.append(Term(text, token.image, token.weight, token.kind == NEGATIVE))
    return tuple(terms)
