"""What can be done with the photos picked in a grid (search results or browse): view them,
open them with the desktop's app, show them in their folder, copy the picture or the
paths, copy them to a folder, move them to the trash, find similar ones.

Moving to the trash asks nothing: the system trash gives every photo back (the status bar
says where to restore from), and a dialog before each recoverable step teaches people to
click Yes blindly. The files move on a worker thread (a trash on a slow drive takes its
time) and the catalog forgets them at once, so no grid shows them again.

The desktop side goes through SystemActions, so tests see what would have been opened;
the trash is a function given here, so tests trash into a folder of their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImageReader, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget
from send2trash import send2trash

from photofind.core.humanize import plural
from photofind.core.photo_actions import (
    CopyOutcome,
    TrashFunction,
    TrashOutcome,
    copy_to_folder,
    move_to_trash,
)
from photofind.core.search import SearchHit
from photofind.gui.blur import SensitiveBlur
from photofind.gui.library_session import LibrarySession
from photofind.gui.photo_labels import LabelsLoader
from photofind.gui.system import SystemActions
from photofind.gui.viewer import PhotoViewer, ViewerItem
from photofind.gui.viewer.loader import PictureLoader
from photofind.gui.workers.jobs import Job, JobOutcome

Selection = Callable[[], list[SearchHit]]

# (key, menu text, shortcut); the shortcuts act in the grid that has the focus.
SHORTCUTS = (
    ("view", "View", "Return"),
    ("open", "Open with default app", "Ctrl+Shift+O"),
    ("show", "Show in folder", "Ctrl+Shift+R"),
    ("copy_image", "Copy image", "Ctrl+C"),
    ("copy_paths", "Copy path", "Ctrl+Shift+C"),
    ("copy_to", "Copy to folder…", "Ctrl+Shift+E"),
    ("trash", "Move to trash", "Delete"),
    ("similar", "Find similar", "Ctrl+Shift+F"),
)
RESTORE_HINT = "restore from the desktop's trash (Trash in the file manager)"


def trash_message(outcome: TrashOutcome) -> str:
    parts = []
    if outcome.trashed:
        parts.append(f"Moved {plural(len(outcome.trashed), 'photo')} to the trash; {RESTORE_HINT}.")
    if outcome.problems:
        first = outcome.problems[0].reason
        more = len(outcome.problems) - 1
        parts.append(first + (f" ({more} more not moved.)" if more else ""))
    return " ".join(parts) or "Nothing was moved to the trash."


def copy_message(outcome: CopyOutcome, folder: Path) -> str:
    parts = []
    if outcome.copied:
        parts.append(f"Copied {plural(len(outcome.copied), 'photo')} to {folder}.")
    if outcome.problems:
        more = len(outcome.problems) - 1
        parts.append(outcome.problems[0].reason + (f" ({more} more not copied.)" if more else ""))
    if outcome.not_tried:
        parts.append(f"{plural(len(outcome.not_tried), 'photo')} not tried.")
    return " ".join(parts) or "Nothing was copied."


class PhotoActions(QObject):
    message = Signal(str)  # for the status bar
    trashed = Signal(list)  # photo ids the library no longer holds
    viewer_closed = Signal(object)  # the ViewerItem shown last

    def __init__(self, session: LibrarySession, system: SystemActions,
                 find_similar: Callable[[list[SearchHit]], None], window: QWidget,
                 trash: TrashFunction = send2trash) -> None:  # fmt: skip
        super().__init__(window)
        self.session = session
        self.system = system
        self.find_similar = find_similar
        self.window = window
        self.trash_function = trash
        self.viewer: PhotoViewer | None = None
        self.last_folder: Path | None = None
        self._loader: PictureLoader | None = None
        self._jobs: dict[Job, Callable] = {}
        self._selection: Selection = list
        # Parts other screens add to the photos' context menu (collections): (menu, hits).
        self.menu_parts: list[Callable[[QMenu, list[SearchHit]], None]] = []
        self.blur: SensitiveBlur | None = None  # the viewer blurs sensitive photos too
        self.labels: LabelsLoader | None = None  # the viewer shows each photo's top labels
        self.actions: dict[str, QAction] = {}
        for key, label, keys in SHORTCUTS:
            action = QAction(label, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _c=False, k=key: self.run(k))
            self.actions[key] = action

    def attach(self, grid: QWidget) -> None:
        """The shortcuts work while ``grid`` has the focus (so Ctrl+C in the search field
        still copies its text)."""
        grid.addActions([a for k, a in self.actions.items() if k != "view"])

    def set_selection(self, selection: Selection) -> None:
        """Where the photos to act on come from: the grid shown now."""
        self._selection = selection

    def run(self, key: str, hits: list[SearchHit] | None = None) -> None:
        hits = self._selection() if hits is None else hits
        if not hits:
            return
        {
            "open": lambda: [self.open_photo(h) for h in hits],
            "show": lambda: self.system.show_in_folder(hits[0].path),
            "copy_image": lambda: self.copy_image(hits[0]),
            "copy_paths": lambda: self.system.copy_paths([h.path for h in hits]),
            "copy_to": lambda: self.copy_to_folder(hits),
            "trash": lambda: self.move_to_trash(hits),
            "similar": lambda: self.find_similar(hits),
        }.get(key, lambda: None)()

    def context_menu(self, hits: list[SearchHit], view: Callable[[], None] | None = None) -> QMenu:
        menu = QMenu(self.window)
        count = len(hits)
        if count > 1:
            menu.addSection(f"{count:,} photos selected")
        for key, label, keys in SHORTCUTS:
            if key == "view":
                if view is None:
                    continue
                action = menu.addAction(label, view)
            else:
                text = label if key != "copy_paths" or count == 1 else f"Copy {count:,} paths"
                action = menu.addAction(text, lambda k=key: self.run(k, hits))
            action.setShortcut(QKeySequence(keys))
            if key in ("copy_to", "similar"):
                menu.addSeparator()
        for part in self.menu_parts:
            part(menu, hits)
        return menu

    # -- the desktop ------------------------------------------------------------------------

    def open_photo(self, hit: SearchHit) -> None:
        if not self.system.open_file(hit.path):
            self.message.emit(f"No application could open {hit.path.name}.")

    def copy_image(self, hit: SearchHit) -> None:
        """The picture itself (EXIF rotation applied), to paste into another app."""
        reader = QImageReader(os.fspath(hit.path))
        reader.setAutoTransform(True)
        image = reader.read()
        if image.isNull():
            self.message.emit(f"{hit.path.name} could not be copied: {reader.errorString()}.")
            return
        QGuiApplication.clipboard().setImage(image)
        self.message.emit(f"Copied the picture of {hit.path.name}.")

    # -- the viewer -------------------------------------------------------------------------

    def open_viewer(self, items: Sequence[ViewerItem], row: int) -> PhotoViewer | None:
        """photofind's own viewer on ``items`` at ``row``; one viewer at a time."""
        if not len(items):
            return None
        if self.viewer is not None:
            self.viewer.closed.disconnect()
            self.viewer.close()
            self.viewer.deleteLater()
        if self._loader is None:
            screen = self.window.screen()
            size = screen.size() * screen.devicePixelRatio()
            self._loader = PictureLoader((size.width(), size.height()), self)
        viewer = PhotoViewer(items, row, loader=self._loader, parent=self.window,
                             blur=self.blur, labels=self.labels)  # fmt: skip
        viewer.closed.connect(lambda shown: self.viewer_closed.emit(viewer.items[shown]))
        self.viewer = viewer
        viewer.show()
        viewer.activateWindow()
        return viewer

    def view_hits(self, hits: list[SearchHit], hit: SearchHit) -> PhotoViewer | None:
        row = hits.index(hit) if hit in hits else 0
        return self.open_viewer([ViewerItem.from_hit(h) for h in hits], row)

    # -- files ------------------------------------------------------------------------------

    def copy_to_folder(self, hits: list[SearchHit], folder: Path | None = None) -> None:
        """Copies next to what is there (never over it); asks for the folder if not given."""
        if folder is None:
            start = self.last_folder or Path.home()
            chosen = QFileDialog.getExistingDirectory(
                self.window, f"Copy {plural(len(hits), 'photo')} to", str(start)
            )
            if not chosen:
                return
            folder = Path(chosen)
        self.last_folder = folder
        paths = [h.path for h in hits]
        self._start(lambda: copy_to_folder(paths, folder),
                    lambda out: self.message.emit(copy_message(out, folder)))  # fmt: skip

    def move_to_trash(self, hits: list[SearchHit]) -> None:
        library, ids, trash = self.session.library, [h.photo_id for h in hits], self.trash_function
        self.message.emit(f"Moving {plural(len(ids), 'photo')} to the trash…")

        def done(outcome: TrashOutcome) -> None:
            self.message.emit(trash_message(outcome))
            if outcome.forgotten_ids:
                self.trashed.emit(list(outcome.forgotten_ids))

        self._start(lambda: move_to_trash(library, ids, trash), done)

    def _start(self, work: Callable[[], object], then: Callable) -> None:
        job = Job(work, self)
        job.done.connect(self._on_job_done)  # a bound method: delivered on the UI thread
        self._jobs[job] = then
        job.start()

    def _on_job_done(self, outcome: JobOutcome) -> None:
        job = self.sender()
        then = self._jobs.pop(job, None)
        job.deleteLater()
        if outcome.error:
            self.message.emit(outcome.error)
        elif then is not None:
            then(outcome.value)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def shutdown(self) -> None:
        for job in list(self._jobs):
            job.wait()
        if self.viewer is not None:
            self.viewer.close()
        if self._loader is not None:
            self._loader.shutdown()
