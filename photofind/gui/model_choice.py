"""Library ▸ Models… beside the window: the dialog, and what the session answers to it.

Use and a new query language ask the session to open the library again; its answer
(``reopened``) comes later, off the UI thread's critical path, and is shown in the dialog
(or, for the first-run page's "Use …" button with no dialog open, in a message box). The
window hears ``changed`` whenever the model in use or the one answering searches changed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from photofind.gui import states, text
from photofind.gui.dialogs.models import ModelsDialog
from photofind.gui.library_session import LibrarySession, Reopened
from photofind.gui.workers.install import InstallOutcome


class ModelChoice(QObject):
    message = Signal(str)  # for the status bar
    changed = Signal()  # the model in use, the one answering searches, or the offer changed
    ready = Signal(str)  # get_and_use: the model is installed and in use
    given_up = Signal(str)  # get_and_use: it is not (cancelled, failed, or refused)

    def __init__(self, session: LibrarySession, window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.dialog: ModelsDialog | None = None
        self.awaited: str | None = None  # get_and_use's model, until ready or given_up
        session.reopening.connect(
            lambda name: self.message.emit(f"Opening the library with {name}…")
        )
        session.reopened.connect(self._on_reopened)
        session.searches_switched.connect(self._on_searches_switched)

    def show(self, *, prepare_install: str | None = None) -> ModelsDialog:
        """Open the dialog; ``prepare_install`` selects a model with Install ready (the user
        still clicks it)."""
        if self.dialog is None:
            dialog = ModelsDialog(self.session.paths, self.window)
            dialog.use_requested.connect(self._use_from_dialog)
            dialog.language_chosen.connect(self._language_from_dialog)
            dialog.installed.connect(self._on_installed_or_removed)
            dialog.install_ended.connect(self._on_install_ended)
            dialog.removed.connect(self._on_installed_or_removed)
            self.dialog = dialog
        dialog = self.dialog
        library = self.session.library
        dialog.set_current(library.model_name, library.search_model_name)
        dialog.set_language(self.session.settings.query_language)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if prepare_install:
            dialog.prepare_install(prepare_install)
        return dialog

    def use(self, name: str) -> None:
        """Use ``name`` (the first-run page's button): a refusal shows in a message box."""
        error = self.session.use_model(name)
        if error:
            QMessageBox.warning(self.window, f"{name} cannot be used", error)

    def get_and_use(self, offer: states.ModelOffer) -> None:
        """Install the offered model (in the dialog, with its progress and Cancel) unless it
        is installed, then use it; ``ready`` or ``given_up`` follows."""
        self.awaited = offer.name
        if offer.installed:
            self._use_awaited()
            return
        dialog = self.show(prepare_install=offer.name)
        if not dialog.install():
            self._give_up("Another model is being installed or removed; try again when it is done.")

    def _on_install_ended(self, outcome: InstallOutcome) -> None:
        if outcome.name != self.awaited:
            return
        if outcome.installed:
            self._use_awaited()
        else:  # the dialog shows why
            self._give_up(outcome.error or "Stopped; nothing was installed.")

    def _use_awaited(self) -> None:
        assert self.awaited is not None
        if error := self.session.use_model(self.awaited):
            QMessageBox.warning(self.window, f"{self.awaited} cannot be used", error)
            self._give_up(error)

    def _give_up(self, why: str) -> None:
        self.awaited = None
        self.given_up.emit(why)

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.shutdown()

    def _on_installed_or_removed(self, _name: str) -> None:
        self.session.models_changed()
        self.changed.emit()

    def _use_from_dialog(self, name: str) -> None:
        error = self.session.use_model(name)
        if error and self.dialog is not None:
            self.dialog.show_error(error)

    def _language_from_dialog(self, code: str | None) -> None:
        error = self.session.set_query_language(code)
        if error and self.dialog is not None:
            self.dialog.set_language(self.session.settings.query_language)
            self.dialog.show_error(error)

    def _on_reopened(self, outcome: Reopened) -> None:
        """The library is open with the model or language asked for, or could not be."""
        if outcome.what == "repair":
            return  # the repair dialog says how that went
        dialog = self.dialog
        if dialog is not None and outcome.what == "language":
            dialog.set_language(self.session.settings.query_language)  # the old one on failure
        awaited = outcome.what == "model" and outcome.model == self.awaited
        if outcome.error:
            if awaited:
                self._give_up(outcome.error)
            if dialog is not None and dialog.isVisible():
                dialog.show_error(outcome.error)
            else:
                QMessageBox.warning(self.window, f"{outcome.model} cannot be used", outcome.error)
            return
        library = self.session.library
        if outcome.what == "model":
            self.session.model_chosen = True
        if outcome.what == "model" and not library.switching:
            self.message.emit(text.searches_now_use(outcome.model))
        if dialog is not None:
            if outcome.what == "model":
                note = text.switch_note(outcome.model, library.switching, library.search_model_name)
            else:
                note = text.language_note(
                    dialog.language_name(outcome.language) if outcome.language else None
                )
            dialog.show_note(note)
        self._models_changed()
        if awaited:
            self.awaited = None
            self.ready.emit(outcome.model)

    def _on_searches_switched(self, name: str) -> None:
        self.message.emit(text.searches_now_use(name))
        self._models_changed()

    def _models_changed(self) -> None:
        if self.dialog is not None:
            library = self.session.library
            self.dialog.set_current(library.model_name, library.search_model_name)
        self.changed.emit()
