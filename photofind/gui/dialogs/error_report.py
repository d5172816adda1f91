"""Shows uncaught errors from :mod:`photofind.core.errorsink` as a dialog with a copyable report.

The sink calls its subscribers on whichever thread failed; :class:`ErrorPresenter` moves
each report to the UI thread with a queued signal before any widget is touched. Errors
that arrive while the dialog is open are added to it rather than opening more dialogs
(a paint error, for one, would otherwise open one per frame).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from photofind.core import errorsink
from photofind.core.errorsink import ErrorReport

MAX_REPORTS_SHOWN = 20


class ErrorReportDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, log_hint: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("errorReport")
        self.setWindowTitle("photofind ran into a problem")
        self.resize(680, 420)
        self.reports: list[ErrorReport] = []
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.details)
        self.log_hint = log_hint
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def add(self, report: ErrorReport) -> None:
        self.reports.append(report)
        if len(self.reports) <= MAX_REPORTS_SHOWN:
            separator = "\n" + "-" * 72 + "\n" if self.reports[:-1] else ""
            self.details.appendPlainText(separator + report.details.rstrip())
        n = len(self.reports)
        first = self.reports[0].summary
        more = f" ({n - 1} more since)" if n > 1 else ""
        self.summary.setText(
            f"<b>Something went wrong inside photofind</b>: {first}{more}.<br>"
            "photofind keeps running; what you were doing may not have finished. "
            "The report below helps fix it: copy it into a bug report."
            + (f"<br>{self.log_hint}" if self.log_hint else "")
        )

    def text(self) -> str:
        return self.details.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    def done(self, result: int) -> None:
        self.reports.clear()
        self.details.clear()
        super().done(result)


class ErrorPresenter(QObject):
    """Subscribes to the sink for as long as it lives; shows reports in one dialog."""

    _arrived = Signal(ErrorReport)  # from any thread
    shown = Signal(ErrorReport)  # once it is on screen (tests wait for it)

    def __init__(self, parent_widget: QWidget, log_hint: str = "") -> None:
        super().__init__(parent_widget)
        self._parent_widget = parent_widget
        self._log_hint = log_hint
        self.dialog: ErrorReportDialog | None = None
        self._arrived.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = errorsink.subscribe(self._arrived.emit)
        self.destroyed.connect(self._unsubscribe)

    def close(self) -> None:
        self._unsubscribe()
        if self.dialog is not None:
            self.dialog.close()

    def _show(self, report: ErrorReport) -> None:
        if self.dialog is None:
            self.dialog = ErrorReportDialog(self._parent_widget, self._log_hint)
        self.dialog.add(report)
        if not self.dialog.isVisible():
            self.dialog.show()  # not modal: the app goes on working behind it
        self.shown.emit(report)
