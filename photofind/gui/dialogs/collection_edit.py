"""New collection… and Edit…: a collection's name, the descriptions of what it holds (one a
line: a photo that matches any of them is a member) and whether it is sensitive.

What the catalog would refuse is refused here first, in the dialog's own words, with the
dialog still open: an empty or taken name, no description, too many. A collection's name
cannot change once made (searches name it: ``collection:NAME``); only a new one can be
named.
"""

from __future__ import annotations

from collections.abc import Collection as Names
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from photofind.core.collection_store import (
    Collection,
    CollectionError,
    clean_descriptions,
    clean_name,
)

PLACEHOLDER = "a red car\na photo of my red car parked outside"


@dataclass(frozen=True)
class CollectionDraft:
    name: str
    descriptions: tuple[str, ...]
    sensitive: bool


class CollectionEditDialog(QDialog):
    saved = Signal(CollectionDraft)

    def __init__(self, taken: Names[str], collection: Collection | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        """``taken``: the names in use (a new collection cannot have one of them, whatever
        its letter case); ``collection``: the one to edit (None: a new one)."""
        super().__init__(parent)
        self.setObjectName("collectionEdit")
        self._taken = {n.casefold() for n in taken}
        self.collection = collection
        self.setWindowTitle("New collection" if collection is None else "Edit collection")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("my red car")
        self.descriptions = QPlainTextEdit(self)
        self.descriptions.setPlaceholderText(PLACEHOLDER)
        self.descriptions.setTabChangesFocus(True)
        self.sensitive = QCheckBox(
            "&Sensitive: blurred while View ▸ Hide sensitive photos is on", self
        )
        self.problem = QLabel(self)
        self.problem.setObjectName("collectionProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        if collection is not None:
            self.name.setText(collection.title)
            self.name.setReadOnly(True)
            self.name.setToolTip("A collection keeps its name; make a new one to name it otherwise")
            self.descriptions.setPlainText("\n".join(collection.descriptions))
            self.sensitive.setChecked(collection.sensitive)

        form = QFormLayout()
        form.addRow("&Name:", self.name)
        hint = QLabel(
            "Describe what it holds, one description a line. A photo that matches any of "
            "them is in it; you can add or take out photos by hand later (right-click them).",
            self,
        )
        hint.setWordWrap(True)
        form.addRow(hint)
        form.addRow("&Descriptions:", self.descriptions)
        form.addRow(self.sensitive)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(460, 320)
        (self.descriptions if collection is not None else self.name).setFocus()

    def draft(self) -> CollectionDraft:
        """What was typed, checked; raises CollectionError with the sentence to show."""
        texts = clean_descriptions(self.descriptions.toPlainText().splitlines())
        if self.collection is not None:
            name = self.collection.name
        else:
            name = clean_name(self.name.text())
            if name.casefold() in self._taken:
                raise CollectionError(
                    f"A collection named “{name}” exists already; choose another name."
                )
        if not texts:
            raise CollectionError("Describe what the collection holds, e.g. “a red car”.")
        return CollectionDraft(name, texts, self.sensitive.isChecked())

    def save(self) -> None:
        try:
            draft = self.draft()
        except CollectionError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        self.saved.emit(draft)
        self.accept()
