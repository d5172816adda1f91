"""The sidebar's Collections: each smart collection with its count; choosing one shows its
members (best first, or by date with the sort) and keeps a search typed meanwhile to them;
New collection…, Edit…, Turn on / off and Remove… on its rows; Add to collection ▸ and
Remove from “NAME” on a photo's context menu, kept as the user's corrections.

The UI thread never touches the catalog: the collections, their counts and the photo ids
of the sensitive ones are read by one job at a time on a pool of this panel's own, after
every index run, a model switch, a folder change and every change made here; a change
asked for while a read runs waits its turn on the same pool, so what is shown next is
never older than what was changed. Counting a collection is one matrix product over the
stored vectors (:mod:`photofind.core.collections`): the window never waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPoint, Qt, QThreadPool, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QMenu, QMessageBox, QTreeWidgetItem, QWidget

from photofind.core.collection_store import Collection
from photofind.core.humanize import plural
from photofind.core.library import Library
from photofind.core.pacing import foreground
from photofind.core.search import SearchHit
from photofind.gui.blur import SensitiveBlur
from photofind.gui.dialogs.collection_edit import CollectionDraft, CollectionEditDialog
from photofind.gui.photo_labels import LabelsLoader
from photofind.gui.results.model import HIT_ROLE
from photofind.gui.sidebar import COLLECTION_ROLE
from photofind.gui.widgets.search_bar import PLACEHOLDER
from photofind.gui.workers import track_pool
from photofind.gui.workers.jobs import Job, JobOutcome

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

NEW_ROLE = Qt.ItemDataRole.UserRole + 3  # the "New collection…" row
NEW_ROW = "New collection…"
NOTHING_SENSITIVE = (
    "No collection is marked sensitive, so nothing is blurred; turn on the built-in "
    "Sensitive collection in the sidebar (right-click it), or mark one of yours sensitive."
)


@dataclass(frozen=True)
class CollectionsRead:
    """What the sidebar shows, read on a worker: every collection (those switched off too),
    the member counts of those that are on, and the sensitive ones' photo ids."""

    collections: tuple[Collection, ...]
    counts: dict[str, int]
    sensitive_ids: np.ndarray


def read_collections(library: Library) -> CollectionsRead:
    foreground.give_way()  # not while the grid is being scrolled: it reads every vector
    service = library.collections
    return CollectionsRead(
        tuple(service.all(include_off=True)), service.counts(), service.sensitive_ids()
    )


def ask_to_remove(parent: QWidget, title: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Remove collection",
        f"Remove the collection “{title}”? Its descriptions and the photos you added to it or "
        "took out of it are forgotten. The photos themselves stay in the library.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class CollectionsPanel(QObject):
    message = Signal(str)  # for the status bar
    loaded = Signal(CollectionsRead)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = session = window.session
        self.sidebar = window.sidebar
        self.collections: tuple[Collection, ...] = ()
        self.counts: dict[str, int] = {}
        self.dialog: CollectionEditDialog | None = None
        self.ask_to_remove: Callable[[QWidget, str], bool] = ask_to_remove  # tests answer
        self.blur = SensitiveBlur(window.settings.hide_sensitive, self)
        self.labels = LabelsLoader(session, self)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        track_pool(self._pool)
        self._jobs: set[Job] = set()
        self._reading = False
        self._stale = False
        self._closed = False

        self.message.connect(window.show_message)
        self.sidebar.collection_chosen.connect(self._on_chosen)
        self.sidebar.itemClicked.connect(self._on_clicked)
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        session.indexing.run_ended.connect(lambda _switched: self.reload())
        session.reopened.connect(lambda _r: self.reload())
        session.folders_changed.connect(lambda _change: self.reload())
        self._watch_grids()
        actions = window.photo_actions
        actions.menu_parts.append(self.photo_menu)
        actions.blur, actions.labels = self.blur, self.labels
        if self.blur.enabled:
            self.reload()  # which photos to blur is wanted before the first one is shown
        else:
            # Reading every vector of a large library takes seconds of the interpreter's
            # time: not while the window opens on its first screen.
            window.browse.after_first_screen(self.reload)

    def _watch_grids(self) -> None:
        results, browse = self.window.results, self.window.browse
        view, grid = results.view, browse.grid
        for delegate in (results.delegate, browse.delegate):
            delegate.blur = self.blur

        def result_at(pos: QPoint) -> int | None:
            hit = view.indexAt(pos).data(HIT_ROLE)
            return None if hit is None else hit.photo_id

        def browse_at(pos: QPoint) -> int | None:
            row = grid.row_at(pos)
            return None if row is None else grid.model.rows.photo_id(row)

        self.blur.watch(view.viewport(), result_at)
        self.blur.watch(grid.viewport(), browse_at)

    # -- reading --------------------------------------------------------------------------

    @property
    def chosen(self) -> str | None:
        return self.sidebar.collection

    def title(self, name: str) -> str:
        found = self._find(name)
        return found.title if found is not None else name

    def _find(self, name: str | None) -> Collection | None:
        if name is None:
            return None
        wanted = name.casefold()
        return next((c for c in self.collections if c.name.casefold() == wanted), None)

    @property
    def busy(self) -> bool:
        return self._reading or bool(self._jobs)

    def reload(self) -> None:
        """Read the collections and their counts again (one read at a time; a change while
        one runs makes one more follow it)."""
        if self._closed:
            return
        if self._reading:
            self._stale = True
            return
        self._reading, self._stale = True, False
        library = self.session.library
        job = Job(lambda: read_collections(library), self, self._pool)
        job.done.connect(self._on_read)
        self._jobs.add(job)
        job.start()

    def _on_read(self, outcome: JobOutcome) -> None:
        self._forget(self.sender())
        self._reading = False
        if self._closed:
            return
        if self._stale:
            self.reload()
            return
        if outcome.error:
            self.message.emit(outcome.error)
            return
        read: CollectionsRead = outcome.value
        self.collections, self.counts = read.collections, read.counts
        self.blur.set_sensitive(read.sensitive_ids.tolist())
        self._fill()
        self.loaded.emit(read)

    def _fill(self) -> None:
        sidebar, section = self.sidebar, self.sidebar.collections_item
        chosen = self.chosen
        sidebar.blockSignals(True)
        section.takeChildren()
        current = None
        dim = sidebar.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        for collection in self.collections:
            count = self.counts.get(collection.name)
            item = QTreeWidgetItem(
                section, [collection.title, "off" if count is None else f"{count:,}"]
            )
            item.setData(0, COLLECTION_ROLE, collection.name)
            item.setData(1, Qt.ItemDataRole.TextAlignmentRole, Qt.AlignmentFlag.AlignRight)
            item.setToolTip(0, _tooltip(collection))
            if not collection.enabled:
                item.setForeground(0, dim)
                item.setForeground(1, dim)
            if chosen is not None and collection.name.casefold() == chosen.casefold():
                current = item
        new = QTreeWidgetItem(section, [NEW_ROW, ""])
        new.setData(0, NEW_ROLE, True)
        new.setFlags(Qt.ItemFlag.ItemIsEnabled)  # an action, not a place to stay on
        new.setToolTip(0, "Make a collection of the photos that match a description")
        section.setExpanded(True)
        if current is not None:
            sidebar.setCurrentItem(current)
        sidebar.blockSignals(False)
        if chosen is not None and current is None:
            sidebar.choose(None)  # the chosen collection is gone: back to all photos

    def item_of(self, name: str) -> QTreeWidgetItem | None:
        section = self.sidebar.collections_item
        for i in range(section.childCount()):
            item = section.child(i)
            if (item.data(0, COLLECTION_ROLE) or "").casefold() == name.casefold():
                return item
        return None

    # -- choosing -------------------------------------------------------------------------

    def choose(self, name: str | None) -> None:
        item = self.item_of(name) if name is not None else None
        if item is not None:
            self.sidebar.setCurrentItem(item)
        else:
            self.sidebar.choose(None)

    def _on_chosen(self, name: str | None) -> None:
        query = self.session.query
        query.set_collection(name)
        field = self.window.search_bar.field
        field.setPlaceholderText(
            PLACEHOLDER if name is None else f"Search in “{self.title(name)}”, or drop a photo here"
        )
        if query.is_empty:
            self.window.input.emptied.emit()  # the collection's members leave the window

    def _on_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, NEW_ROLE):
            self.new_collection()

    # -- the sidebar's menu ---------------------------------------------------------------

    def _sidebar_menu(self, pos: QPoint) -> None:
        item = self.sidebar.itemAt(pos)
        menu = self.sidebar_menu(item)
        if menu is not None:
            menu.exec(self.sidebar.viewport().mapToGlobal(pos))

    def sidebar_menu(self, item: QTreeWidgetItem | None) -> QMenu | None:
        """The context menu of a row of the Collections section (None elsewhere)."""
        if item is None:
            return None
        section = self.sidebar.collections_item
        collection = self._find(item.data(0, COLLECTION_ROLE))
        if item is not section and item.parent() is not section:
            return None
        menu = QMenu(self.sidebar)
        if collection is not None:
            menu.addAction("&Show", lambda: self.choose(collection.name))
            menu.addAction("&Edit…", lambda: self.edit_collection(collection.name))
            if collection.enabled:
                turn = menu.addAction("Turn o&ff", lambda: self.switch(collection.name, False))
                turn.setToolTip("Not counted, not blurred; its corrections are kept")
            else:
                menu.addAction("Turn o&n", lambda: self.switch(collection.name, True))
            if not collection.builtin:
                menu.addAction("&Remove…", lambda: self.remove(collection.name))
            menu.addSeparator()
        menu.addAction("&New collection…", self.new_collection)
        return menu

    # -- changes --------------------------------------------------------------------------

    def _change(self, work: Callable[[Library], object], said: str,
                then: Callable[[], None] | None = None) -> None:  # fmt: skip
        """Run ``work`` on the pool, then say ``said``, read the collections again and show
        what changed (the chosen collection's members searched again)."""
        library = self.session.library
        job = Job(lambda: work(library), self, self._pool)

        def done(outcome: JobOutcome) -> None:
            self._forget(job)
            if self._closed:
                return
            if outcome.error:
                self.message.emit(outcome.error)
                return
            self.message.emit(said)
            if then is not None:
                then()
            self.reload()
            query = self.session.query
            if query.collection is not None or not query.is_empty:
                query.search_now()

        job.done.connect(done)
        self._jobs.add(job)
        job.start()

    def new_collection(self) -> CollectionEditDialog:
        return self._open_dialog(None)

    def edit_collection(self, name: str) -> CollectionEditDialog | None:
        collection = self._find(name)
        return None if collection is None else self._open_dialog(collection)

    def _open_dialog(self, collection: Collection | None) -> CollectionEditDialog:
        if self.dialog is not None:
            self.dialog.close()
        taken = {c.name for c in self.collections}
        dialog = CollectionEditDialog(taken, collection, self.window)
        dialog.saved.connect(lambda draft: self._save(collection, draft))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _save(self, before: Collection | None, draft: CollectionDraft) -> None:
        if before is None:

            def add(library: Library) -> None:
                library.collections.add(draft.name, draft.descriptions, sensitive=draft.sensitive)

            self._change(add, f"Made the collection “{draft.name}”.",
                         lambda: self._choose_when_read(draft.name))  # fmt: skip
            return

        def edit(library: Library) -> None:
            library.collections.edit(
                before.name, descriptions=draft.descriptions, sensitive=draft.sensitive
            )

        self._change(edit, f"Changed the collection “{before.title}”.")

    def _choose_when_read(self, name: str) -> None:
        """A new collection is shown as soon as its row is in the sidebar."""
        self._after_read(lambda _read: self.choose(name))

    def _after_read(self, then: Callable[[CollectionsRead], None]) -> None:
        """``then`` once, when the next read of the collections is shown."""

        def once(read: CollectionsRead) -> None:
            self.loaded.disconnect(once)
            then(read)

        self.loaded.connect(once)

    def switch(self, name: str, on: bool) -> None:
        title = self.title(name)
        said = f"Turned on “{title}”." if on else f"Turned off “{title}”; its corrections are kept."
        self._change(lambda library: library.collections.edit(name, enabled=on), said)

    def remove(self, name: str) -> None:
        title = self.title(name)
        if not self.ask_to_remove(self.window, title):
            return
        self._change(lambda library: library.collections.remove(name),
                     f"Removed the collection “{title}”; the photos stay in the library.")  # fmt: skip

    # -- photos' context menu -------------------------------------------------------------

    def photo_menu(self, menu: QMenu, hits: list[SearchHit]) -> None:
        """Add to collection ▸ and, while a collection is shown, Remove from “NAME”."""
        menu.addSeparator()
        add = menu.addMenu("Add to &collection")
        for collection in self.collections:
            if collection.enabled:
                add.addAction(collection.title, lambda n=collection.name: self.include(n, hits))
        add.setEnabled(not add.isEmpty())
        shown = self._find(self.chosen)
        if shown is not None:
            menu.addAction(f"Remove from “{shown.title}”", lambda: self.exclude(shown.name, hits))

    def include(self, name: str, hits: list[SearchHit]) -> None:
        paths = [h.path for h in hits]
        title = self.title(name)
        self._change(lambda library: library.collections.include(name, paths),
                     f"Added {plural(len(paths), 'photo')} to “{title}”.")  # fmt: skip

    def exclude(self, name: str, hits: list[SearchHit]) -> None:
        """Out of the collection for good (the correction outlives a re-index); the photos
        leave the grid at once and stay in the library."""
        paths, ids = [h.path for h in hits], [h.photo_id for h in hits]
        title = self.title(name)
        if self.chosen is not None and self.chosen.casefold() == name.casefold():
            self.window.results.forget(ids)
        self._change(lambda library: library.collections.exclude(name, paths),
                     f"Took {plural(len(paths), 'photo')} out of “{title}”; "
                     "they stay in the library.")  # fmt: skip

    # -- sensitive photos -----------------------------------------------------------------

    def set_hide_sensitive(self, on: bool) -> None:
        """View ▸ Hide sensitive photos (remembered in the settings)."""
        self.window.settings.hide_sensitive = on
        self.blur.set_enabled(on)
        if on and self._reading:
            self._after_read(
                lambda _read: self._say_if_nothing_sensitive()
            )  # a change may mark one
        elif on:
            self._say_if_nothing_sensitive()

    def _say_if_nothing_sensitive(self) -> None:
        if self.blur.enabled and not any(c.sensitive and c.enabled for c in self.collections):
            self.message.emit(NOTHING_SENSITIVE)

    # -- the end --------------------------------------------------------------------------

    def _forget(self, job) -> None:
        if job in self._jobs:
            self._jobs.discard(job)
            job.deleteLater()

    def shutdown(self) -> None:
        self._closed = True
        self._pool.waitForDone()
        self.labels.shutdown()


def _tooltip(collection: Collection) -> str:
    lines = [*(f"“{d}”" for d in collection.descriptions[:4])]
    if len(collection.descriptions) > 4:
        lines.append(f"and {len(collection.descriptions) - 4} more")
    if collection.corrections:
        lines.append(f"{plural(collection.corrections, 'photo')} added or taken out by you")
    if collection.sensitive:
        lines.append("Sensitive: blurred while View ▸ Hide sensitive photos is on")
    if not collection.enabled:
        lines.append("Off: not counted; right-click to turn it on")
    return "\n".join(lines)
