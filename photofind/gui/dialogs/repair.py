"""The damaged catalog, in a dialog: what happened, then Repair (restore the newest backup
that passes its check), Recover what can be read (salvage the damaged file) or a way out.

The dialog only asks and tells: a choice goes out as ``chosen`` and whoever owns the
library runs the repair off the UI thread (a salvage of a large catalog reads it page by
page) while a busy bar shows and the buttons wait; :meth:`RepairDialog.finish` then says
what was done (which backup and how many photos, where the damaged file was kept) or why it
failed, and the choices come back. :func:`run_repair` is the dialog with its own worker,
for the start, when no library is open yet.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.humanize import plural
from photofind.core.repair import HEALTHY, RESTORED, RepairReport
from photofind.gui.workers.jobs import Job, JobOutcome

CHOICES = (
    "Repair puts back the newest good backup of the catalog; photos added since are found "
    "again by indexing. Recover what can be read keeps what the damaged file still holds "
    "instead. Either way the damaged file is kept, and your photos are not touched."
)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "an unknown time"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def describe(report: RepairReport) -> str:
    """What the repair did, in the window's words (no commands to type)."""
    if report.action == HEALTHY:
        return f"The catalog is healthy ({plural(report.photos, 'photo', grouped=True)}); nothing was changed."
    if report.action == RESTORED:
        parts = [
            f"The backup of {_when(report.backup_made_at)} was restored: "
            f"{plural(report.photos, 'photo', grouped=True)}."
        ]
    else:
        recovered = (
            f"{plural(report.photos, 'photo', grouped=True)} recovered from the damaged catalog"
        )
        if report.photos_before is not None and report.photos_before > report.photos:
            recovered += f" ({report.photos_before - report.photos:,} could not be read)"
        parts = [recovered + "."]
    if report.folders == 0:
        parts.append("No library folder could be read back: add your folders again (photos "
                     "already in the catalog are not encoded again).")  # fmt: skip
    if report.damaged_copy is not None:
        parts.append(f"The damaged file is kept as {report.damaged_copy}.")
    parts.append("Indexing now looks for the photos added or changed since; only those are "
                 "encoded again.")  # fmt: skip
    return " ".join(parts)


class RepairDialog(QDialog):
    """``chosen(salvage)`` when Repair (False) or Recover (True) is clicked; the dialog
    is then busy until :meth:`finish`. It ends Accepted once the user has read the report,
    Rejected for the way out (``leave_label``: "Quit" at start, "Not now" in the window)."""

    chosen = Signal(bool)

    def __init__(
        self,
        sentence: str,
        parent: QWidget | None = None,
        *,
        leave_label: str = "&Quit",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("The catalog is damaged")
        self.setObjectName("repairDialog")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)  # nothing may use the catalog
        self._busy = False
        self.report: RepairReport | None = None
        layout = QVBoxLayout(self)
        self.sentence = QLabel(sentence, self)
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.sentence)
        self.info = QLabel(CHOICES, self)
        self.info.setWordWrap(True)
        self.info.setObjectName("repairInfo")
        layout.addWidget(self.info)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.hide()
        layout.addWidget(self.busy)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.leave_button = QPushButton(leave_label, self)
        self.salvage_button = QPushButton("Recover what can be &read", self)
        self.repair_button = QPushButton("Re&pair", self)
        self.done_button = QPushButton("&Continue", self)
        self.done_button.hide()
        for button in (
            self.leave_button,
            self.salvage_button,
            self.repair_button,
            self.done_button,
        ):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        self.repair_button.setDefault(True)
        layout.addLayout(buttons)
        self.leave_button.clicked.connect(self.reject)
        self.repair_button.clicked.connect(lambda: self.start(salvage=False))
        self.salvage_button.clicked.connect(lambda: self.start(salvage=True))
        self.done_button.clicked.connect(self.accept)
        self.setMinimumWidth(520)

    @property
    def working(self) -> bool:
        return self._busy

    def start(self, *, salvage: bool) -> None:
        if self._busy:
            return
        self._busy = True
        self._show_choices(False)
        self.busy.show()
        self.info.setText(
            "Recovering what the catalog still holds…" if salvage else "Repairing the catalog…"
        )
        self.chosen.emit(salvage)

    def finish(self, done: RepairReport | str, *, can_retry: bool = True) -> None:
        """The report, or the sentence why the repair failed (``can_retry``: False when
        only the way out is left)."""
        self._busy = False
        self.busy.hide()
        if isinstance(done, str):
            self.info.setText(f"{done} {CHOICES}" if can_retry else done)
            self._show_choices(True)
            self.salvage_button.setVisible(can_retry)
            self.repair_button.setVisible(can_retry)
            if not can_retry:
                self.leave_button.setText("&Quit")
            return
        self.report = done
        self.setWindowTitle("The catalog was repaired")
        self.sentence.setText(describe(done))
        self.info.hide()
        for button in (self.leave_button, self.salvage_button, self.repair_button):
            button.hide()
        self.done_button.show()
        self.done_button.setDefault(True)
        self.done_button.setFocus()

    def _show_choices(self, shown: bool) -> None:
        for button in (self.leave_button, self.salvage_button, self.repair_button):
            button.setEnabled(shown)

    def reject(self) -> None:
        if not self._busy:  # Esc while repairing waits for the repair
            super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)


class _Runner(QObject):
    """Runs the repair chosen in a dialog on a worker thread (its bound method receives the
    outcome on the UI thread)."""

    def __init__(self, dialog: RepairDialog, repair: Callable[[bool], RepairReport]) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.repair = repair
        self.job: Job | None = None
        dialog.chosen.connect(self.run)

    def run(self, salvage: bool) -> None:
        repair = self.repair
        self.job = Job(lambda: repair(salvage), self)
        self.job.done.connect(self._on_done)
        self.job.start()

    def _on_done(self, outcome: JobOutcome) -> None:
        if isinstance(outcome.value, RepairReport):
            self.dialog.finish(outcome.value)
        else:
            self.dialog.finish(outcome.error or "The repair failed; the error was reported.")

    def wait(self) -> None:
        if self.job is not None:
            self.job.wait()


def run_repair(sentence: str, repair: Callable[[bool], RepairReport]) -> RepairReport | None:
    """The dialog at the start (no window yet): ``repair(salvage)`` runs on a worker
    thread; the report once the user has read it, None when they quit."""
    dialog = RepairDialog(sentence)
    runner = _Runner(dialog, repair)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    runner.wait()
    dialog.deleteLater()
    return dialog.report if accepted else None
