"""Library ▸ Find duplicates…: the duplicate groups of one kind at a time (exact copies, the
same picture in other files, similar shots), each group's photos side by side with the one
to keep marked, and the others moved to the system trash for one group or all of a kind.

The groups are found on a worker thread (:mod:`photofind.gui.workers.duplicates`) every
time the review opens, so it shows the library as it is now. Moving to the trash runs as a
job through :func:`photofind.core.duplicate_actions.trash_others`, which never trashes a
photo that is kept, and the catalog forgets what was trashed: the review, the grids and the
counts follow at once. Only the trash, never a delete; moving every group of a kind at once
asks first, since it can be thousands of photos.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from send2trash import send2trash

from photofind.core.duplicate_actions import others_to_trash, trash_others
from photofind.core.duplicates import KINDS, DuplicateProgress, Kind
from photofind.core.humanize import binary_size, plural
from photofind.core.photo_actions import TrashFunction
from photofind.gui.dialogs.duplicate_cards import CARD_STYLE, GroupRow, ReviewGroup
from photofind.gui.library_session import LibrarySession
from photofind.gui.results.actions import trash_message
from photofind.gui.results.pixmaps import ThumbnailStore
from photofind.gui.workers.duplicates import DuplicateFinder, DuplicatesFound
from photofind.gui.workers.jobs import Job, JobOutcome

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

PAGE_GROUPS = 30  # groups built at a time: a screenful or two; thousands would take seconds
KIND_LABELS = {"exact": "Exact copies", "same": "Same picture", "similar": "Similar"}
KIND_ABOUT = {
    "exact": "The same file, byte for byte, in more than one place.",
    "same": "The same picture saved again: re-encoded, resized, converted to another "
    "format or cropped a little.",
    "similar": "Shots taken moments apart and near-identical scenes. These are different "
    "photos: look at each group before you move any to the trash.",
}
KIND_NONE = {
    "exact": "No exact copies in the library.",
    "same": "No picture is in the library twice in other files.",
    "similar": "No similar photos in the library.",
}


class DuplicatesDialog(QDialog):
    trashed = Signal(list)  # photo ids the library no longer holds
    message = Signal(str)  # for the window's status bar

    def __init__(self, session: LibrarySession, thumbnails: ThumbnailStore,
                 trash: TrashFunction = send2trash, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Duplicates")
        self.setObjectName("duplicatesDialog")
        self.setStyleSheet(CARD_STYLE)
        self.resize(900, 640)
        self.session = session
        self.thumbnails = thumbnails
        self.trash_function = trash
        self.groups: dict[Kind, list[ReviewGroup]] = {kind: [] for kind in KINDS}
        self.taken: dict = {}
        self.kind: Kind = "exact"
        self.found_once = False
        self.shown = PAGE_GROUPS
        self.rows: list[GroupRow] = []
        self.failure = ""  # why the last look failed, shown until the next one
        self._finder: DuplicateFinder | None = None
        self._job: Job | None = None

        layout = QVBoxLayout(self)
        kinds = QHBoxLayout()
        self.kind_buttons: dict[Kind, QPushButton] = {}
        self.kind_group = QButtonGroup(self)
        for kind in KINDS:
            button = QPushButton(KIND_LABELS[kind], self)
            button.setCheckable(True)
            button.setObjectName(f"duplicateKind-{kind}")
            button.clicked.connect(lambda _c=False, k=kind: self.set_kind(k))
            self.kind_group.addButton(button)
            kinds.addWidget(button)
            self.kind_buttons[kind] = button
        kinds.addStretch(1)
        self.again_button = QPushButton("Look again", self)
        self.again_button.clicked.connect(self.find)
        kinds.addWidget(self.again_button)
        layout.addLayout(kinds)
        self.about = QLabel(self)
        self.about.setWordWrap(True)
        layout.addWidget(self.about)
        status = QHBoxLayout()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        status.addWidget(self.status, 1)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(160)
        self.bar.setTextVisible(False)
        status.addWidget(self.bar)
        self.trash_all_button = QPushButton(self)
        self.trash_all_button.clicked.connect(lambda: self.trash_kind())
        status.addWidget(self.trash_all_button)
        layout.addLayout(status)
        self.list_widget = QWidget(self)
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.more_button = QPushButton(self.list_widget)
        self.more_button.clicked.connect(self.show_more)
        self.list_layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.list_layout.addStretch(1)
        scroller = QScrollArea(self)
        scroller.setWidgetResizable(True)
        scroller.setWidget(self.list_widget)
        layout.addWidget(scroller, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        thumbnails.ready.connect(self._on_thumbnail)
        session.reopening.connect(lambda _model: self.stop_finding())
        session.reopened.connect(lambda _r: self.find() if self.isVisible() else None)
        self._show_kind()

    # -- finding ----------------------------------------------------------------------------

    @property
    def finding(self) -> bool:
        return self._finder is not None

    def find(self) -> None:
        """Look for the groups again (the library may have changed since)."""
        self.stop_finding()
        if self.session.reopening_library:
            return  # reopened follows, and looks then
        finder = DuplicateFinder(self.session.library, self)
        finder.progressed.connect(self._on_progress)
        finder.found.connect(self._on_found)
        finder.failed.connect(self._on_failed)
        finder.finished.connect(self._on_finder_finished)
        self._finder, self.failure = finder, ""
        self.status.setText("Looking for duplicates…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self._update_buttons()
        finder.start(finder.Priority.LowPriority)

    def stop_finding(self) -> None:
        """Stop looking and wait for the thread (before the library closes)."""
        finder, self._finder = self._finder, None
        if finder is not None:
            for signal in (finder.progressed, finder.found, finder.failed, finder.finished):
                signal.disconnect()
            finder.request_stop()
            finder.wait()
            finder.deleteLater()
            self.bar.hide()

    def _on_progress(self, progress: DuplicateProgress) -> None:
        if progress.phase == "hashing":
            self.status.setText("Reading the photos indexed before duplicates were looked for…")
        elif progress.phase == "comparing" and progress.total:
            self.status.setText(f"Comparing photos: {progress.done:,} of {progress.total:,}…")
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)

    def _on_found(self, found: DuplicatesFound) -> None:
        self.taken = found.taken
        self.groups = {kind: [] for kind in KINDS}
        for group in found.groups:
            self.groups[group.kind].append(ReviewGroup.of(group))
        if not self.found_once or not self.groups[self.kind]:
            self.kind = next((k for k in KINDS if self.groups[k]), self.kind)
        self.found_once = True
        self.shown = PAGE_GROUPS
        self._show_kind()

    def _on_failed(self, sentence: str) -> None:
        self.failure = sentence

    def _on_finder_finished(self) -> None:
        finder, self._finder = self._finder, None
        if finder is not None:
            finder.deleteLater()
        self.bar.hide()
        self._show_summary()

    # -- showing ----------------------------------------------------------------------------

    def set_kind(self, kind: Kind) -> None:
        if kind != self.kind:
            self.kind, self.shown = kind, PAGE_GROUPS
        self._show_kind()

    def show_more(self) -> None:
        self.shown += PAGE_GROUPS
        self._show_kind()

    def _show_kind(self) -> None:
        for kind, button in self.kind_buttons.items():
            count = len(self.groups[kind])
            button.setText(
                f"{KIND_LABELS[kind]} ({count:,})" if self.found_once else KIND_LABELS[kind]
            )
            button.setChecked(kind == self.kind)
        self.about.setText(KIND_ABOUT[self.kind])
        for row in self.rows:
            self.list_layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        groups = self.groups[self.kind]
        for number, group in enumerate(groups[: self.shown], 1):
            row = GroupRow(group, number, self.taken, self.thumbnails, self.list_widget)
            row.trash_requested.connect(self.trash_group)
            row.keep_changed.connect(self._show_summary)
            self.list_layout.insertWidget(len(self.rows), row)
            self.rows.append(row)
        left = len(groups) - len(self.rows)
        self.more_button.setText(f"Show {min(left, PAGE_GROUPS):,} more of {left:,} groups")
        self.more_button.setVisible(left > 0)
        self._show_summary()

    def _show_summary(self) -> None:
        groups = self.groups[self.kind]
        if self.finding:
            pass  # the finder's progress is shown
        elif self.failure:
            self.status.setText(self.failure)
        elif not self.found_once:
            self.status.setText("")
        elif not groups:
            self.status.setText(KIND_NONE[self.kind])
        else:
            ids = set(others_to_trash([g.as_group() for g in groups]))
            freed = sum(p.size for g in groups for p in g.others if p.id in ids)
            self.status.setText(
                f"{plural(len(groups), 'group', grouped=True)}: "
                f"{plural(len(ids), 'photo', grouped=True)} could go to the trash, "
                f"{binary_size(freed)}."
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        groups = self.groups[self.kind]
        idle = not self.finding and self._job is None
        self.trash_all_button.setText(f"Move the others to trash in all {len(groups):,} groups")
        self.trash_all_button.setVisible(len(groups) > 1)  # one: its own button does it
        self.trash_all_button.setEnabled(idle)
        self.again_button.setEnabled(not self.finding)
        for row in self.rows:
            row.trash_button.setEnabled(idle)

    def _on_thumbnail(self, path) -> None:
        for row in self.rows:
            for card in row.cards_of(path):
                card.show_thumbnail(self.thumbnails.pixmap(path, card.picture.width()))

    # -- the trash --------------------------------------------------------------------------

    def trash_group(self, group: ReviewGroup) -> None:
        """Move the others of ``group`` to the trash (the photo chosen to keep stays)."""
        self._trash([group])

    def trash_kind(self, *, confirm: bool = True) -> None:
        """Move the others of every group of the kind shown; asks first."""
        groups = list(self.groups[self.kind])
        if not groups:
            return
        count = len(others_to_trash([g.as_group() for g in groups]))
        if confirm:
            answer = QMessageBox.question(
                self,
                "Move to trash",
                f"Move {plural(count, 'photo', grouped=True)} to the trash?\n\nIn each of the "
                f"{len(groups):,} groups the photo marked Keep stays. You can restore the "
                "others from the desktop's trash.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._trash(groups)

    def _trash(self, groups: list[ReviewGroup]) -> None:
        if self._job is not None or self.finding:
            return
        library, trash = self.session.library, self.trash_function
        chosen = [g.as_group() for g in groups]
        self._job = Job(
            lambda: (trash_others(library, chosen, trash=trash), library.counts()), self
        )
        self._job.done.connect(self._on_trashed)
        self.status.setText(f"Moving {plural(len(others_to_trash(chosen)), 'photo')} to the trash…")
        self._update_buttons()
        self._job.start()

    def _on_trashed(self, outcome: JobOutcome) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.deleteLater()
        if outcome.error:
            self._show_summary()
            self.status.setText(outcome.error)
            return
        result, counts = outcome.value
        gone = set(result.forgotten_ids)
        for kind in KINDS:
            self.groups[kind] = [g for g in self.groups[kind] if g.forget(gone)]
        self._show_kind()
        sentence = trash_message(result)
        self.status.setText(sentence)
        self.message.emit(sentence)
        if gone:
            self.trashed.emit(sorted(gone))
        self.session.set_counts(counts)

    def shutdown(self) -> None:
        self.stop_finding()
        if self._job is not None:
            self._job.wait()

    def reject(self) -> None:
        self.stop_finding()  # closed: nothing more to show
        super().reject()


def show_duplicates(window: MainWindow) -> DuplicatesDialog:
    """Library ▸ Find duplicates…: one review per window, looking again each time it opens."""
    dialog = getattr(window, "duplicates_dialog", None)
    if dialog is None:
        dialog = DuplicatesDialog(window.session, window.thumbnails,
                                  window.photo_actions.trash_function, window)  # fmt: skip
        dialog.trashed.connect(window.photo_actions.trashed)  # the grids drop them
        dialog.message.connect(window.show_message)
        window.duplicates_dialog = dialog
    dialog.show()
    dialog.raise_()
    dialog.find()
    return dialog


def close_duplicates(window: MainWindow) -> None:
    """At quit: the finder and a trash job end before the library closes."""
    dialog = getattr(window, "duplicates_dialog", None)
    if dialog is not None:
        dialog.shutdown()
