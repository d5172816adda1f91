"""The Library menu's folder side: add and remove folders, the demo library, and the
files that could not be read. Each asks the session, which does the work off the UI
thread; the answers come back as messages for the status bar and a ``changed`` signal
for the window to choose its page again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from photofind.core.demo import is_demo_folder
from photofind.gui import text
from photofind.gui.dialogs.failures import FailuresDialog
from photofind.gui.dialogs.model_first import ask_model_first
from photofind.gui.library_session import FolderChange, LibrarySession
from photofind.gui.model_choice import ModelChoice
from photofind.gui.workers.jobs import JobOutcome


class LibraryActions(QObject):
    message = Signal(str)  # for the status bar
    changed = Signal()  # folders or the demo library changed: the page may be another

    def __init__(self, session: LibrarySession, window: QWidget, models: ModelChoice) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.models = models
        self.failures_dialog: FailuresDialog | None = None
        self.waiting_folder: Path | None = None  # added once a real model is in use
        self.demo_model_accepted = False  # "Use the demo model anyway", until photofind quits
        models.ready.connect(self._on_model_ready)
        models.given_up.connect(self._on_model_given_up)
        session.folders_changed.connect(self._on_folders_changed)
        session.demo_done.connect(self._on_demo_done)
        session.failures_ready.connect(self._on_failures)
        session.folder_refused.connect(self._on_refused)
        self.refusal: QMessageBox | None = None  # the last folder that could not be added

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Add a folder of photos", str(Path.home())
        )
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        """Add ``folder`` and index it. While the built-in demo model is in use only because
        no other was installed or chosen, ask first: install (or use) a real model and add
        the folder then, index it with the demo model anyway, or not at all."""
        offers = self.session.model_offers()
        demo_folder = is_demo_folder(self.session.paths, folder)
        if offers and not (self.session.model_chosen or self.demo_model_accepted or demo_folder):
            answer = ask_model_first(self.window, folder, offers[0])
            if answer == "cancel":
                return
            if answer == "model":
                self.waiting_folder = folder
                self.models.get_and_use(offers[0])
                return
            self.demo_model_accepted = True
        self.session.add_folder(folder)

    def _on_model_ready(self, _name: str) -> None:
        folder, self.waiting_folder = self.waiting_folder, None
        if folder is not None:
            self.session.add_folder(folder)

    def _on_model_given_up(self, _why: str) -> None:
        folder, self.waiting_folder = self.waiting_folder, None
        if folder is not None:
            self.message.emit(f"{folder.name} was not added; add it again when a model is ready.")

    def _on_refused(self, sentence: str) -> None:
        """A folder the user chose and did not get is said where they look, not only in the
        status bar (a system folder, one on a full disk...)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Folder not added", sentence,
            QMessageBox.StandardButton.Ok, self.window,
        )  # fmt: skip
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda: setattr(self, "refusal", None))
        self.refusal = box
        box.open()

    def remove_folder(self, folder: Path, *, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self.window,
                "Remove folder",
                f"Remove {folder} from the library?\n\nThe photos stay where they are; "
                "photofind forgets them and stops showing them.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.session.remove_folder(folder)

    def fill_remove_menu(self, menu: QMenu) -> None:
        menu.clear()
        for folder in self.session.folders:
            menu.addAction(str(folder), lambda f=folder: self.remove_folder(f))
        if not self.session.folders:
            menu.addAction("No folders yet").setEnabled(False)

    def _on_folders_changed(self, change: FolderChange) -> None:
        if change.added and change.changed:
            self.message.emit(f"Added {change.folder.name}; indexing it now.")
        elif not change.added:
            self.message.emit(f"Removed {change.folder.name} from the library.")
        self.changed.emit()

    def add_demo(self) -> None:
        if self.session.making_demo:
            return
        refusal = self.session.add_demo()
        self.message.emit(refusal or text.MAKING_DEMO)
        self.changed.emit()

    def _on_demo_done(self, outcome: JobOutcome) -> None:
        if outcome.error:
            QMessageBox.warning(self.window, "The demo library could not be made", outcome.error)
        else:
            self.message.emit("Demo library ready; try “a red circle”.")
        self.changed.emit()

    def show_failures(self) -> None:
        """The list is read off the UI thread; the dialog opens when it is there."""
        self.session.request_failures()

    def _on_failures(self, found: tuple[list[tuple[Path, str]], list[tuple[Path, str]]]) -> None:
        files, folders = found
        self.failures_dialog = FailuresDialog(files, self.window, folders=folders)
        self.failures_dialog.show()
