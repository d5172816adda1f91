"""The model part of the status bar: which model is in use and where it runs (CPU or CUDA),
and while a newly chosen model catches up, which one answers searches until then."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from photofind.core.library import Library


def describe(library: Library, pending: int) -> str:
    provider = library.encoder.provider.upper()  # CPU or CUDA
    if library.switching:
        return (
            f"Searches use {library.search_model_name} until {library.model_name} has "
            f"indexed every photo ({pending:,} to go) · {provider}"
        )
    return f"Model: {library.model_name} · {provider}"


class ModelStatus(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelStatus")
        self.setMinimumWidth(1)  # clipped, not widening the window, when the text is long

    def add_to(self, bar: QStatusBar) -> None:
        """On the left of ``bar``, where its messages appear: hidden while one shows."""
        bar.addWidget(self, 1)
        # The status bar hides it for a message itself, but shows it again (over the
        # message) whenever its layout is redone, e.g. when the indexing part changes size.
        # Hidden explicitly, it stays hidden until the message goes.
        bar.messageChanged.connect(lambda text: self.setVisible(not text))

    def show_library(self, library: Library, pending: int) -> None:
        self.setText(describe(library, pending))
        self.setToolTip(self.text())
