"""A page that says what to do when there is nothing to show, with the buttons to do it."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    link_activated = Signal(str)  # an <a href> in the text (example queries)
    action = Signal(str)  # the key of the button pressed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.picture)
        outer.addSpacing(8)
        self.title = QLabel(self)
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        outer.addWidget(self.title)
        self.body = QLabel(self)
        self.body.setObjectName("emptyBody")
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.body.setMaximumWidth(560)
        self.body.linkActivated.connect(self.link_activated)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.body, 4)
        row.addStretch(1)
        outer.addSpacing(6)
        outer.addLayout(row)
        outer.addSpacing(14)
        self._buttons = QHBoxLayout()
        self._buttons.addStretch(1)
        self._buttons.addStretch(1)
        outer.addLayout(self._buttons)
        outer.addStretch(3)
        self.buttons: dict[str, QPushButton] = {}
        self.state = ""

    def set_picture(self, pixmap: QPixmap) -> None:
        self.picture.setPixmap(pixmap)

    def show_state(
        self,
        state: str,
        title: str,
        body: str,
        buttons: list[tuple[str, str]],
        tips: Mapping[str, str] | None = None,
    ) -> None:
        """``state`` names the situation (tests and the window read it); ``buttons`` are
        (key, label) pairs, the first being the default, a label's ``&`` marking its Alt
        key; a press emits ``action(key)``. ``tips``: tooltips by key."""
        self.state = state
        self.title.setText(title)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        wanted = [key for key, _ in buttons]
        for key in list(self.buttons):
            if key not in wanted:
                gone = self.buttons.pop(key)
                self._buttons.removeWidget(gone)
                gone.deleteLater()
        kept, self.buttons = self.buttons, {}  # in the order shown
        for position, (key, label) in enumerate(buttons):
            if (button := kept.get(key)) is None:
                button = QPushButton(label, self)
                button.setObjectName(f"empty-{key}")
                button.clicked.connect(lambda _checked=False, k=key: self.action.emit(k))
            else:
                self._buttons.removeWidget(button)
                button.setText(label)
            self._buttons.insertWidget(1 + position, button)
            self.buttons[key] = button
            button.setDefault(position == 0)
            button.setToolTip((tips or {}).get(key, ""))
