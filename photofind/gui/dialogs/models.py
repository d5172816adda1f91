"""Library ▸ Models…: the recommended and the installed models, and what to do with them.

Install downloads a model on a worker thread (:class:`~photofind.gui.workers.install.InstallThread`)
with a progress bar and Cancel; nothing is downloaded until Install is clicked. Import
copies a model folder in the same way, for computers without internet. Use asks
the window to reopen the library with the model (``use_requested``); the window answers
with :meth:`ModelsDialog.set_current` or :meth:`ModelsDialog.show_error`. Remove deletes
a model that is not in use, on a pool thread. The query language (for multilingual NLLB
models) is chosen here too: the window remembers it and reopens the library with it
(``language_chosen``), as Use does. Every failure is the core's one sentence,
shown here; the model in use never changes because of one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.config import AppPaths
from photofind.core.errors import PhotofindError
from photofind.core.models import ModelStatus, Registry, list_models, load_registry, remove_model
from photofind.core.models.install import InstallProgress, import_model, install_model
from photofind.core.models.install_progress import INSTALL_STEPS
from photofind.core.models.store import load_installed
from photofind.gui.dialogs.model_rows import (
    IMPORT_TIP,
    INT8_LABEL,
    LANGUAGE_TIP,
    QUERY_LANGUAGES,
    Row,
    describe_install,
    import_refusal,
    installed_note,
    size_text,
)
from photofind.gui.dialogs.model_table import fill_table, make_table
from photofind.gui.workers.install import InstallOutcome, InstallThread
from photofind.gui.workers.jobs import Job, JobOutcome


class ModelsDialog(QDialog):
    use_requested = Signal(str)  # the user chose Use on an installed model
    language_chosen = Signal(object)  # the user chose a query language: a code, or None
    installed = Signal(str)  # a model was installed (the first-run page offers it now)
    install_ended = Signal(InstallOutcome)  # after every install or import, installed or not
    removed = Signal(str)

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        self.resize(960, 520)
        self.paths = paths
        self.registry: Registry | None = None
        self.rows: list[Row] = []
        self.in_use = ""
        self.answering = ""
        self.install_thread: InstallThread | None = None
        self.remove_job: Job | None = None
        self._shut = False
        self._build()
        self._update_buttons()

    # -- assembly -------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The model is what recognises what your photos show. A model is downloaded only "
            "when you click Install; your photos never leave this computer.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.table = make_table(self)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self._double_clicked())
        layout.addWidget(self.table, 1)

        self.details = QLabel(self)
        self.details.setObjectName("modelDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details)

        actions = QHBoxLayout()
        self.int8 = QCheckBox(INT8_LABEL, self)
        self.int8.setToolTip(
            "Also make an 8-bit copy of the image encoder and use it when it agrees with the "
            "original; indexing on a CPU is faster. Searching quality stays about the same."
        )
        actions.addWidget(self.int8)
        actions.addStretch(1)
        self.import_button = self._button("I&mport a model folder…", "importModel", IMPORT_TIP)
        self.import_button.clicked.connect(lambda: self.import_folder())
        self.install_button = self._button("Install", "installModel", "")
        self.install_button.clicked.connect(self.install)
        self.use_button = self._button("Use", "useModel", "Search and index with this model")
        self.use_button.clicked.connect(self.use)
        tip = "Delete the model and the photo vectors it made"
        self.remove_button = self._button("Remove", "removeModel", tip)
        self.remove_button.clicked.connect(lambda: self.remove())
        buttons = (self.import_button, self.install_button, self.use_button, self.remove_button)
        for button in buttons:
            actions.addWidget(button)
        layout.addLayout(actions)

        self.progress_row = QWidget(self)
        progress = QHBoxLayout(self.progress_row)
        progress.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar(self.progress_row)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(16)
        progress.addWidget(self.progress, 1)
        self.cancel_button = QPushButton("Cancel", self.progress_row)
        self.cancel_button.setObjectName("cancelInstall")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel_install)
        progress.addWidget(self.cancel_button)
        self.progress_row.hide()
        layout.addWidget(self.progress_row)

        self.message = QLabel(self)
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)

        language_row = QHBoxLayout()
        label = QLabel("&Query language:", self)
        self.language = QComboBox(self)
        self.language.setObjectName("queryLanguage")
        for name, code in QUERY_LANGUAGES:
            self.language.addItem(name, code)
        self.language.setToolTip(LANGUAGE_TIP)
        label.setToolTip(LANGUAGE_TIP)
        label.setBuddy(self.language)
        self.language.activated.connect(  # the user's choice only, never set_language's
            lambda index: self.language_chosen.emit(self.language.itemData(index))
        )
        language_row.addWidget(label)
        language_row.addWidget(self.language)
        language_row.addStretch(1)
        layout.addLayout(language_row)

        bottom = QHBoxLayout()
        self.source = QLabel(self)
        self.source.setObjectName("recallSource")
        self.source.setWordWrap(True)
        self.source.setEnabled(False)  # greyed: a footnote
        bottom.addWidget(self.source, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        bottom.addWidget(close, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(bottom)

    def _button(self, label: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(label, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        return button

    # -- the list -------------------------------------------------------------------------

    def set_current(self, in_use: str, answering: str) -> None:
        """The model the window uses, and the one answering searches (the same one, except
        while a newly chosen model has not embedded every photo yet)."""
        self.in_use, self.answering = in_use, answering
        self.refresh()

    def set_language(self, code: str | None) -> None:
        """Show ``code`` as the query language (one not in the list reads as Automatic)."""
        index = self.language.findData(code)
        self.language.setCurrentIndex(max(0, index))

    @staticmethod
    def language_name(code: str | None) -> str:
        return next((name for name, c in QUERY_LANGUAGES if c == code), str(code))

    def refresh(self) -> None:
        selected = self.selected_name()
        try:
            self.registry = self.registry or load_registry()
            statuses = list_models(self.paths, self.registry)
        except PhotofindError as exc:
            self.show_error(str(exc))
            statuses = []
        self.rows = [self._row(s) for s in statuses]
        self.source.setText(
            f"Recall: {self.registry.recall_source}"
            if self.registry and self.registry.recall_source
            else ""
        )
        fill_table(self.table, self.rows)
        self.select(selected or self.in_use)
        self._update_buttons()

    def _row(self, status: ModelStatus) -> Row:
        dim = status.entry.embed_dim if status.entry else None
        if dim is None and status.installed and status.problem is None:
            try:
                dim = load_installed(self.paths, status.name).embed_dim
            except PhotofindError:
                dim = None
        answering = (
            bool(self.answering)
            and self.answering != self.in_use
            and (status.name == self.answering)
        )
        return Row(status, dim, status.name == self.in_use, answering)

    def row(self, name: str) -> Row | None:
        return next((r for r in self.rows if r.name == name), None)

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def selected(self) -> Row | None:
        name = self.selected_name()
        return self.row(name) if name else None

    def select(self, name: str) -> None:
        for r, row in enumerate(self.rows):
            if row.name == name:
                self.table.selectRow(r)
                self.table.scrollToItem(self.table.item(r, 0))
                return

    def prepare_install(self, name: str) -> None:
        """Select ``name`` with Install ready to click (the first-run offer): nothing starts."""
        self.select(name)
        if self.install_button.isEnabled():
            self.install_button.setDefault(True)
            self.install_button.setFocus()

    def _update_buttons(self) -> None:
        row = self.selected()
        busy = self.install_thread is not None or self.remove_job is not None
        can_install = row is not None and row.installable and not busy
        self.install_button.setText("Reinstall" if row and row.status.problem else "Install")
        self.install_button.setEnabled(can_install)
        self.import_button.setEnabled(not busy)
        self.int8.setEnabled(can_install)
        self.use_button.setEnabled(
            row is not None
            and row.usable
            and not row.in_use
            and self.remove_job is None
            and not (self.install_thread is not None and self.install_thread.name == row.name)
        )
        self.remove_button.setEnabled(row is not None and row.removable and not busy)
        self.details.setText(row.details(self.in_use) if row is not None else "")

    def _double_clicked(self) -> None:
        row = self.selected()
        if row is not None and row.usable and not row.in_use:
            self.use()

    # -- actions --------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self.message.setProperty("error", True)
        self._show_message(text)

    def show_note(self, text: str) -> None:
        self.message.setProperty("error", False)
        self._show_message(text)

    def _show_message(self, text: str) -> None:
        self.message.style().unpolish(self.message)  # the "error" property picks the colour
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def use(self) -> None:
        row = self.selected()
        if row is not None and row.usable and not row.in_use:
            self.show_note("")
            self.use_requested.emit(row.name)

    def install(self) -> bool:
        """Download and install the selected model; whether it started."""
        row = self.selected()
        if row is None or not row.installable or self.busy:
            return False
        name, int8, paths, registry = row.name, self.int8.isChecked(), self.paths, self.registry
        thread = InstallThread(
            name,
            lambda cancel: install_model(paths, name, int8=int8, cancel=cancel, registry=registry),
            self,
        )
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # it would print retries
        self._start(thread, INSTALL_STEPS["connecting"].format(name=name))
        return True

    def import_folder(self, folder: Path | None = None) -> bool:
        """Install a model from a bundle folder (asked for when not given), for computers
        without internet; whether it started. It runs in full precision: making an int8
        encoder needs the onnx package, which a computer without internet may lack."""
        if self.busy:
            return False
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, "Import a model folder", str(Path.home())
            )
            if not chosen:
                return False
            folder = Path(chosen)
        source = Path(os.path.abspath(folder))
        if refusal := import_refusal(self.paths, source):
            self.show_error(refusal)
            return False
        paths = self.paths
        thread = InstallThread(
            source.name, lambda cancel: import_model(paths, source, cancel=cancel), self, source
        )
        self._start(thread, f"Checking {source}…")
        return True

    def _start(self, thread: InstallThread, first_step: str) -> None:
        thread.progressed.connect(self._on_install_progress)
        thread.ended.connect(self._on_install_ended)
        self.install_thread = thread
        self.show_note("")
        self.progress.setRange(0, 0)
        self.progress_label(first_step)
        self.cancel_button.setEnabled(True)
        self.progress_row.show()
        self._update_buttons()
        thread.start()

    def progress_label(self, text: str) -> None:
        self.progress.setToolTip(text)
        self.message.setProperty("error", False)
        self._show_message(text)

    def _on_install_progress(self, p: InstallProgress) -> None:
        if self.install_thread is None or self.install_thread.stopping:
            return  # Cancel was clicked: "Stopping…" stays until the thread ends
        bytes_counted = p.phase in ("downloading", "copying")
        if bytes_counted and p.total_bytes:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * p.done_bytes / p.total_bytes))
        elif not bytes_counted:
            self.progress.setRange(0, 0)
        if text := describe_install(p):
            self.progress_label(text)

    def cancel_install(self) -> None:
        if self.install_thread is not None:
            self.install_thread.request_stop()
            self.cancel_button.setEnabled(False)
            self.progress_label("Stopping…")

    def _on_install_ended(self, outcome: InstallOutcome) -> None:
        if self._shut:
            return  # queued before shutdown(): the window is gone
        thread, self.install_thread = self.install_thread, None
        if thread is not None:
            thread.wait()  # it has emitted its last signal and is returning
            thread.deleteLater()
        self.progress_row.hide()
        self.refresh()
        if outcome.error:
            self.show_error(outcome.error)
        elif outcome.installed:
            self.select(outcome.name)
            self.show_note(installed_note(outcome, self.in_use))
            self.installed.emit(outcome.name)
        else:
            self.show_note("Stopped; nothing was installed.")
        self.install_ended.emit(outcome)

    def remove(self, *, confirm: bool = True) -> None:
        row = self.selected()
        if row is None or not row.removable or self.remove_job is not None:
            return
        name = row.name
        if confirm:
            answer = QMessageBox.question(
                self,
                "Remove model",
                f"Remove {name}?\n\nIts files and the photo vectors it made are deleted; "
                "installing it again means downloading it and indexing every photo again.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        paths = self.paths
        job = Job(lambda: remove_model(paths, name), self)
        job.done.connect(self._on_removed)
        self.remove_job = job
        self._update_buttons()
        self.show_note(f"Removing {name}…")
        job.start()

    def _on_removed(self, outcome: JobOutcome) -> None:
        if self._shut:
            return
        job, self.remove_job = self.remove_job, None
        if job is not None:
            job.wait()
            job.deleteLater()
        self.refresh()
        if outcome.error:
            self.show_error(outcome.error)
            return
        removed = outcome.value
        self.show_note(f"Removed {removed.name}: {size_text(removed.freed_bytes)} freed.")
        self.removed.emit(removed.name)

    @property
    def busy(self) -> bool:
        return self.install_thread is not None or self.remove_job is not None

    def shutdown(self) -> None:
        """Stop an install (nothing is left of it) and wait for a removal. Idempotent."""
        self._shut = True
        thread, self.install_thread = self.install_thread, None
        if thread is not None:
            thread.ended.disconnect(self._on_install_ended)
            thread.request_stop()
            thread.wait()
        job, self.remove_job = self.remove_job, None
        if job is not None:
            job.done.disconnect(self._on_removed)
            job.wait()
