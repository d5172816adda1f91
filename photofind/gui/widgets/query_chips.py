"""The query's operators as chips in the search bar, and the notes under it.

The text is read by the core's parser (:func:`~photofind.core.query.parse_query`), the one
the command line uses. Each operator (``-sand``, ``2:dog``, ``in:2020/summer``, ``type:png``,
``after:2019``, ``before:2020-06``, ``camera:canon``, ``orientation:portrait``) leaves the
field for a chip of its own once it is complete: followed by a space and the cursor gone
past it, or on Enter. A chip is removed with its ×, turned back into plain words with a
double-click (``type:png`` becomes the word ``png``: for when the parser read as an
operator what was meant as words), or put back into the field to edit it (its menu, or
Backspace in an empty field). The query searched is the chips' text, then the field's.

Under the bar (:class:`QueryNotes`): a sentence when the text cannot be searched as typed
(``after:2019-13``), an offer for each bare year or "June 2019" in the words (one click
makes it a date chip; it is never taken out of the words by itself), and, once, what the
model cannot read in the query, with a button to the Models dialog.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.filters import QueryError
from photofind.core.query import FILTER, NEGATIVE, WEIGHTED, DateHint, QueryToken, parse_query
from photofind.core.understanding import LANGUAGE, QueryNotice
from photofind.gui.workers.search import SearchOutcome

CHIP_KINDS = (NEGATIVE, WEIGHTED, FILTER)  # words and "quoted phrases" stay in the field
MAX_LABEL_PX = 160


@dataclass(frozen=True)
class ChipSpec:
    """What a chip stands for: ``text`` goes into the query, ``words`` back into the field."""

    text: str
    words: str
    label: str


def _quoted(value: str) -> str:
    return f'"{value}"' if not value or any(c.isspace() for c in value) else value


def chip_spec(token: QueryToken) -> ChipSpec:
    """The chip of an operator token, its text rewritten whole (an unclosed quote closed)."""
    if token.kind == NEGATIVE:
        return ChipSpec(f"-{_quoted(token.words)}", token.words, f"not {token.words}")
    if token.kind == WEIGHTED:
        return ChipSpec(
            f"{token.weight:g}:{_quoted(token.words)}",
            token.words,
            f"{token.weight:g}× {token.words}",
        )
    value = token.value or ""
    labels = {"in": f"in {value}", "type": f"type {value.lower()}", "after": f"after {value}",
              "before": f"before {value}", "camera": f"camera {value}",
              "orientation": value.lower()}  # fmt: skip
    return ChipSpec(f"{token.key}:{_quoted(value)}", value, labels.get(token.key or "", value))


def date_chip(hint: DateHint) -> ChipSpec:
    return ChipSpec(hint.operators, hint.text, f"taken in {hint.text}")


def split_operators(text: str, cursor: int, *, everything: bool) -> tuple[str, int, list[ChipSpec]]:
    """(the text left in the field, where the cursor goes, the chips to add) for ``text``.

    Only complete operators leave: followed by a space, with the cursor outside them, or
    every one of them (``everything``, on Enter). A text the parser refuses stays as it is
    (the sentence under the field says why)."""
    try:
        query = parse_query(text)
    except QueryError:
        return text, cursor, []
    taken: list[QueryToken] = []
    for token in query.tokens:
        if token.kind not in CHIP_KINDS:
            continue
        followed = token.end < len(text) and text[token.end].isspace()
        if everything or (followed and not token.start <= cursor <= token.end):
            taken.append(token)
    if not taken:
        return text, cursor, []
    kept, at, new_cursor = [], 0, cursor
    for token in taken:
        # One space beside an operator goes with it: the words either side keep one.
        start, end = token.start, token.end
        if end < len(text) and text[end].isspace():
            end += 1
        elif start > at and text[start - 1].isspace():
            start -= 1
        kept.append(text[at:start])
        if cursor > start:
            new_cursor -= min(cursor, end) - start
        at = end
    kept.append(text[at:])
    return "".join(kept), new_cursor, [chip_spec(t) for t in taken]


def date_hints(text: str) -> tuple[DateHint, ...]:
    """The bare years and "June 2019"s among the words of ``text`` (none if it cannot be
    parsed)."""
    try:
        return parse_query(text).date_hints
    except QueryError:
        return ()


class OperatorChip(QFrame):
    """One operator: its label, and a button that removes it. Double-click: plain words."""

    remove_requested = Signal(QFrame)
    words_requested = Signal(QFrame)
    edit_requested = Signal(QFrame)

    def __init__(self, spec: ChipSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName("chip")
        self.setProperty("operator", True)
        self.setToolTip(
            f"<b>{html.escape(spec.text)}</b><br>Double-click to search for "
            f"“{html.escape(spec.words)}” as words instead; right-click to edit it."
        )
        self.setAccessibleName(f"Search operator {spec.text}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(7, 2, 2, 2)
        layout.setSpacing(2)
        self.label = QLabel(self)
        metrics = self.label.fontMetrics()
        self.label.setText(
            metrics.elidedText(spec.label, Qt.TextElideMode.ElideMiddle, MAX_LABEL_PX)
        )
        layout.addWidget(self.label)
        close = QToolButton(self)
        close.setObjectName("chipRemove")
        close.setText("×")
        close.setToolTip(f"Remove {spec.text} from the search")
        close.setAutoRaise(True)
        close.setCursor(Qt.CursorShape.ArrowCursor)
        close.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(close)
        self.remove_button = close
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)

    def menu(self) -> QMenu:
        menu = QMenu(self)
        menu.addAction(
            f"Search for “{self.spec.words}” as words", lambda: self.words_requested.emit(self)
        )
        menu.addAction("Edit", lambda: self.edit_requested.emit(self))
        menu.addAction("Remove", lambda: self.remove_requested.emit(self))
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        self.menu().exec(self.mapToGlobal(pos))

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.words_requested.emit(self)


class OperatorChips(QWidget):
    """The row of operator chips before the search field; see the module docstring."""

    changed = Signal()  # the query changed (a chip removed, turned into words, a date taken)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.field: QLineEdit | None = None
        self.hide()

    def attach(self, field: QLineEdit) -> None:
        self.field = field
        field.textEdited.connect(self._on_edited)

    def chips(self) -> list[OperatorChip]:
        return [
            w
            for i in range(self._layout.count())
            if isinstance(w := self._layout.itemAt(i).widget(), OperatorChip)
        ]

    def text(self) -> str:
        return " ".join(chip.spec.text for chip in self.chips())

    def add(self, specs: list[ChipSpec]) -> None:
        known = {chip.spec.text for chip in self.chips()}
        for spec in specs:
            if spec.text in known:
                continue  # the same filter twice says nothing more
            known.add(spec.text)
            chip = OperatorChip(spec, self)
            chip.remove_requested.connect(self.remove)
            chip.words_requested.connect(self.to_words)
            chip.edit_requested.connect(self.edit)
            self._layout.addWidget(chip)
        self.setVisible(bool(self.chips()))

    def chip_all(self) -> None:
        """Enter: every operator in the field becomes a chip."""
        self._take(everything=True)

    def accept_date(self, hint: DateHint) -> None:
        """The offered date taken: its words leave the field for a date chip."""
        field = self.field
        assert field is not None
        text = field.text()
        if text[hint.start : hint.end] != hint.text:
            return  # typed over since it was offered
        rest = " ".join(f"{text[: hint.start]} {text[hint.end :]}".split())
        field.setText(rest)
        self.add([date_chip(hint)])
        self.changed.emit()

    def remove(self, chip: OperatorChip) -> None:
        self._drop(chip)
        self.changed.emit()
        if self.field is not None:
            self.field.setFocus()

    def to_words(self, chip: OperatorChip) -> None:
        """The chip's words go back into the field, as words."""
        self._drop(chip)
        self._put_back(chip.spec.words)
        self.changed.emit()

    def edit(self, chip: OperatorChip) -> None:
        """The chip's operator text goes back into the field, to be edited."""
        self._drop(chip)
        self._put_back(chip.spec.text)

    def edit_last(self) -> bool:
        """Backspace in an empty field: the last chip back into the field. False: none."""
        chips = self.chips()
        if not chips:
            return False
        self.edit(chips[-1])
        return True

    def clear(self) -> None:
        for chip in self.chips():
            self._drop(chip)

    def _put_back(self, words: str) -> None:
        field = self.field
        assert field is not None
        text = field.text().rstrip()
        field.setText(f"{text} {words}" if text else words)
        field.setFocus()
        field.end(False)

    def _drop(self, chip: OperatorChip) -> None:
        self._layout.removeWidget(chip)
        chip.hide()
        chip.deleteLater()
        self.setVisible(bool(self.chips()))

    def _on_edited(self, _text: str) -> None:
        self._take(everything=False)

    def _take(self, *, everything: bool) -> None:
        field = self.field
        assert field is not None
        text, cursor, specs = split_operators(
            field.text(), field.cursorPosition(), everything=everything
        )
        if specs:
            field.setText(text)
            field.setCursorPosition(cursor)
            self.add(specs)


class QueryNotes(QWidget):
    """Under the search bar: why the text cannot be searched, date offers, model notices."""

    models_requested = Signal(str)  # a model to install ("" for the Models dialog as it is)

    def __init__(self, chips: OperatorChips, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queryNotes")
        self.chips = chips
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(2)
        self.error = QLabel(self)
        self.error.setObjectName("queryError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        layout.addWidget(self.error)
        self._dates = QHBoxLayout()
        self._dates.setSpacing(6)
        layout.addLayout(self._dates)
        self.notice = QFrame(self)
        self.notice.setObjectName("queryNotice")
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(0, 0, 0, 0)
        self.notice_text = QLabel(self.notice)
        self.notice_text.setWordWrap(True)
        self.notice_text.setTextFormat(Qt.TextFormat.PlainText)
        row.addWidget(self.notice_text, 1)
        self.notice_button = QPushButton(self.notice)
        self.notice_button.clicked.connect(self._on_notice_button)
        row.addWidget(self.notice_button)
        dismiss = QToolButton(self.notice)
        dismiss.setText("×")
        dismiss.setAutoRaise(True)
        dismiss.setToolTip("Do not say this again")
        dismiss.clicked.connect(self.dismiss_notice)
        row.addWidget(dismiss)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.date_buttons: list[QPushButton] = []
        self._notice: QueryNotice | None = None
        self._dismissed: set[tuple[str, str, str]] = set()
        if chips.field is not None:
            chips.field.textChanged.connect(self._on_text)
        self.hide()

    def show_outcome(self, outcome: SearchOutcome) -> None:
        """A search's answer: the sentence when the text could not be searched, else the
        model's notices (a quiet refresh of the same query says nothing new)."""
        self.show_error(outcome.query_error)
        if not outcome.request.quiet and not outcome.query_error:
            self.show_notices(outcome.notices)

    # -- the parse error -----------------------------------------------------------------

    def show_error(self, sentence: str | None) -> None:
        self.error.setText(sentence or "")
        self.error.setVisible(bool(sentence))
        self._update()

    # -- date offers ---------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        if not text.strip() and not self.chips.chips():
            self.show_error(None)
        self.show_dates(date_hints(text))

    def show_dates(self, hints: tuple[DateHint, ...]) -> None:
        while self._dates.count():
            item = self._dates.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.date_buttons = []
        for hint in hints:
            label = QLabel(f"“{hint.text}” looks like a date:", self)
            label.setTextFormat(Qt.TextFormat.PlainText)
            self._dates.addWidget(label)
            button = QPushButton(f"Only photos taken in {hint.text}", self)
            button.setObjectName("dateOffer")
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(f"Search with {hint.operators} instead of the word")
            button.clicked.connect(lambda _=False, h=hint: self.chips.accept_date(h))
            self._dates.addWidget(button)
            self.date_buttons.append(button)
        if hints:
            self._dates.addStretch(1)
        self._update()

    # -- what the model cannot read ------------------------------------------------------

    def show_notices(self, notices: tuple[QueryNotice, ...]) -> None:
        shown = next((n for n in notices if self._key(n) not in self._dismissed), None)
        self._notice = shown
        if shown is not None:
            self.notice_text.setText(shown.message)
            if shown.kind == LANGUAGE and shown.suggested_model:
                self.notice_button.setText("Install it…")
                self.notice_button.setToolTip(
                    f"Library ▸ Models…, with {shown.suggested_model} ready to install"
                )
            else:
                self.notice_button.setText("Models…")
                self.notice_button.setToolTip("Library ▸ Models…: choose a model that knows more")
        self.notice.setVisible(shown is not None)
        self._update()

    def dismiss_notice(self) -> None:
        """Said once: the same problem with the same model is not said again."""
        if self._notice is not None:
            self._dismissed.add(self._key(self._notice))
        self.show_notices(())

    def _on_notice_button(self) -> None:
        notice = self._notice
        if notice is not None:
            suggested = notice.suggested_model if notice.kind == LANGUAGE else None
            self.dismiss_notice()
            self.models_requested.emit(suggested or "")

    @staticmethod
    def _key(notice: QueryNotice) -> tuple[str, str, str]:
        # Unknown words differ from query to query; the model's small vocabulary is said once.
        return (notice.model, notice.kind, notice.language or "")

    def _update(self) -> None:
        self.setVisible(
            self.error.isVisibleTo(self) or bool(self.date_buttons) or self.notice.isVisibleTo(self)
        )

    def clear(self) -> None:
        self.show_error(None)
        self.show_notices(())
