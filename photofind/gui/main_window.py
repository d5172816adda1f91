"""The main window: assembles the search bar, the results pane, the empty states and the
status bar around a :class:`~photofind.gui.library_session.LibrarySession`, and chooses the
page to show. The parts live in results/, widgets/, dialogs/ and the session; this file
wires them together and says what the user sees.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QCloseEvent, QPixmap
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photofind.core.catalog import Counts
from photofind.core.indexer import IndexProgress
from photofind.core.pacing import foreground
from photofind.core.search import SearchHit
from photofind.core.settings import save_settings
from photofind.core.thumbnails import ThumbnailCache
from photofind.gui import states, text
from photofind.gui.browse.wiring import SIDEBAR_WIDTH, BrowseWiring
from photofind.gui.collections_panel import CollectionsPanel
from photofind.gui.dialogs.duplicates import close_duplicates
from photofind.gui.dialogs.error_report import ErrorPresenter
from photofind.gui.dialogs.failures import FailuresDialog
from photofind.gui.dialogs.models import ModelsDialog
from photofind.gui.icon import render as render_icon
from photofind.gui.library_actions import LibraryActions
from photofind.gui.library_session import LibrarySession
from photofind.gui.menus import build_menus
from photofind.gui.model_choice import ModelChoice
from photofind.gui.query_images import mime_has_images
from photofind.gui.query_input import QueryInput
from photofind.gui.repairing import CatalogRepair
from photofind.gui.results.actions import PhotoActions
from photofind.gui.results.pane import ResultsPane, found
from photofind.gui.results.pixmaps import ThumbnailStore
from photofind.gui.style import STYLE_SHEET
from photofind.gui.system import SystemActions
from photofind.gui.viewer import PhotoViewer
from photofind.gui.watching import WatchWiring
from photofind.gui.widgets.drop_overlay import DropOverlay
from photofind.gui.widgets.empty_state import EmptyState
from photofind.gui.widgets.index_status import IndexStatus
from photofind.gui.widgets.model_status import ModelStatus
from photofind.gui.widgets.query_chips import QueryNotes
from photofind.gui.widgets.search_bar import SearchBar
from photofind.gui.workers.search import SearchOutcome
from photofind.gui.workers.thumbnails import ThumbnailLoader

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1120, 760)
MIN_WIDTH = 560  # half of a 1366 px laptop screen, less the window frame
MESSAGE_MS = 8000  # long enough to read a sentence twice


def _icon_pixmap(side: int, ratio: float) -> QPixmap:
    pixmap = QPixmap.fromImage(render_icon(round(side * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: LibrarySession,
        *,
        system: SystemActions | None = None,
        thumbnail_threads: int = 2,
        log_hint: str = "",
    ) -> None:
        super().__init__()
        self.session = session
        self.paths = session.paths
        self.settings = settings = session.settings
        self.system = system or SystemActions()
        self.setWindowTitle("photofind")
        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLE_SHEET)
        self.setAcceptDrops(True)

        # services
        self.errors = ErrorPresenter(self, log_hint)
        self.loader = ThumbnailLoader(
            ThumbnailCache(self.paths.thumbnails_dir), thumbnail_threads, self
        )
        self.thumbnails = ThumbnailStore(self.loader, self)
        self._closed = False
        self._results_seq = 0
        self.model_choice = ModelChoice(session, self)
        self.library_actions = LibraryActions(session, self, self.model_choice)

        # widgets
        self.search_bar = SearchBar(self)
        self.input = QueryInput(self.search_bar, session.query, self)
        self.fetcher = self.input.fetcher
        self.query_notes = QueryNotes(self.search_bar.operators, self)
        self.results = ResultsPane(
            self.thumbnails,
            sort=settings.sort,
            zoom=settings.thumbnail_size,
            parent=self,
        )
        self.empty = EmptyState(self)
        self.empty.set_picture(_icon_pixmap(88, self.devicePixelRatioF()))
        self.index_status = IndexStatus(self)
        self.model_status = ModelStatus(self)
        self.photo_actions = PhotoActions(session, self.system, self.input.find_similar, self)
        self.photo_actions.menu_parts.append(self.results.group_menu)
        self.places = BrowseWiring(self)
        self.browse, self.sidebar = self.places.page, self.places.sidebar
        self.collections = CollectionsPanel(self)
        self.viewer_closed = self.photo_actions.viewer_closed
        self._build_layout()
        build_menus(self)
        self.overlay = DropOverlay(self.centralWidget())
        self._connect()
        self.repair = CatalogRepair(self)
        self.watch = WatchWiring(self)

        self.sort_actions[settings.sort].setChecked(True)
        self._restore_geometry()
        self._show_idle_status()
        self._show_model_status()
        self._update_page()
        self.search_bar.setFocus()

    # -- assembly -------------------------------------------------------------------------

    def _build_layout(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(8)
        bar_row = QVBoxLayout()
        bar_row.setContentsMargins(14, 0, 14, 0)
        bar_row.addWidget(self.search_bar)
        bar_row.addWidget(self.query_notes)
        layout.addLayout(bar_row)
        self.pages = QStackedWidget(central)
        self.pages.addWidget(self.results)
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.browse)
        self.splitter = QSplitter(central)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        # In a narrow window (half a laptop screen) the sidebar folds away rather than
        # pushing the window wider; dragging its edge or View ▸ Show the sidebar brings it back.
        self.splitter.setCollapsible(0, True)
        self.sidebar.setMinimumWidth(1)  # not its size hint: that would keep the window wide
        self.splitter.setSizes([SIDEBAR_WIDTH, DEFAULT_SIZE.width() - SIDEBAR_WIDTH])
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.model_status.add_to(self.statusBar())
        self.statusBar().addPermanentWidget(self.index_status)

    def _connect(self) -> None:
        self.input.message.connect(self.show_message)
        self.input.emptied.connect(self._on_query_emptied)

        results = self.results
        results.summary_changed.connect(self._update_summary)
        results.sort_changed.connect(self._on_sort)
        self.query_notes.models_requested.connect(
            lambda m: self.show_models(prepare_install=m or None)
        )
        results.zoom_changed.connect(lambda size: setattr(self.settings, "thumbnail_size", size))
        results.zoom_changed.connect(self.browse.set_thumbnail_size)
        results.open_requested.connect(self.places.view_result)
        results.context_requested.connect(self.places.results_context)
        self.photo_actions.message.connect(self.show_message)
        results.paste_requested.connect(self.input.paste)

        self.empty.action.connect(self._on_empty_action)
        self.empty.link_activated.connect(self.input.search_for)
        self.index_status.pause_toggled.connect(self.set_paused)
        self.index_status.failures_requested.connect(self.library_actions.show_failures)
        self.library_actions.message.connect(self.show_message)
        self.library_actions.changed.connect(self._update_page)

        session = self.session
        session.query.results.connect(self._on_results)
        session.query.busy_changed.connect(self._on_busy)
        session.indexing.progressed.connect(self._on_index_progress)
        session.indexing.state_changed.connect(self._on_index_state)
        session.counts_changed.connect(self._on_counts)
        session.failed.connect(self.show_message)
        self.model_choice.message.connect(self.show_message)
        self.model_choice.changed.connect(self._on_models_changed)

    def start(self) -> None:
        """Begin serving searches and, when there are folders, indexing, once the browse
        page has read the library and painted its first screen: an index run's walk of a
        large library holds up the read (at 100k photos, 1.9 s instead of 0.4 s) and the
        thumbnails' delivery."""
        self.browse.after_first_screen(self.session.start)

    # -- searching --------------------------------------------------------------------------

    def _on_query_emptied(self) -> None:
        self.results.clear()
        self._update_page()

    def _on_results(self, outcome: SearchOutcome) -> None:
        if outcome.request.quiet:
            self._on_refreshed(outcome)
            return
        self.query_notes.show_outcome(outcome)
        if outcome.query_error:
            return  # said under the field; the results of what could be searched stay
        new_query = outcome.seq != self._results_seq  # not the rest of the query shown
        self._results_seq = outcome.seq
        shown = self._shown_hits(outcome)
        self.results.show_hits(shown, new_query=new_query, **found(outcome, shown))
        if outcome.error:
            self.show_message(outcome.error)
        self._update_page()

    def _shown_hits(self, outcome: SearchOutcome) -> list[SearchHit]:
        return self.places.shown_hits(outcome.hits, outcome.request.images)

    def _on_refreshed(self, outcome: SearchOutcome) -> None:
        """A quiet refresh: shown if that disturbs no one (see the results pane); else the
        new matches wait behind the results bar's "N new matches" button. Focus is never
        touched."""
        if not outcome.complete:
            return  # the rest follows at once: apply the whole list in one go
        self._results_seq = outcome.seq
        if outcome.error or outcome.query_error:
            return  # the query worked a moment ago; keep its results
        shown = self._shown_hits(outcome)
        if self.results.offer_refresh(shown, **found(outcome, shown)):
            self._update_page()

    def _on_busy(self, busy: bool) -> None:
        if busy and self.pages.currentWidget() is self.results:
            self.results.show_searching()
        elif not busy:
            self._update_summary()

    def _update_summary(self) -> None:
        last = self.session.query.last
        self.results.show_summary(last.elapsed_s if last else None)
        if last is not None:
            self._update_page()

    # -- pages ------------------------------------------------------------------------------

    def _update_page(self) -> None:
        session, query = self.session, self.session.query
        model_name = session.library.model_name
        indexing = session.indexing.running
        photos = session.counts.photos
        if not session.folders:
            page = states.first_run(model_name, session.model_offers())
            if session.making_demo:
                page = states.making_demo()
        elif query.is_empty and self.browse.has_photos:
            self.pages.setCurrentWidget(self.browse)
            return
        elif query.is_empty:
            page = states.idle(
                model_name, photos, indexing, session.has_demo, session.model_offers()
            )
        elif self.results.has_rows:
            self.pages.setCurrentWidget(self.results)
            return
        elif query.last is None or query.last.query_error:
            return  # the first results are on their way, or the text is being corrected
        else:
            last = query.last
            what = f"“{last.request.text}”" if last.request.text.strip() else "this photo"
            closest = self.results.has_closest
            page = states.no_results(last.error, what, closest, last.scored, photos, indexing)
            if last.request.collection and not last.request.text.strip() and not last.error:
                page = states.empty_collection(self.collections.title(last.request.collection))
        self.empty.show_state(page.state, page.title, page.body, page.buttons, page.tips)
        self.pages.setCurrentWidget(self.empty)

    @property
    def page_state(self) -> str:
        """ "results", "browse" or the empty state's name (tests and screenshots read it)."""
        shown = self.pages.currentWidget()
        if shown is self.browse:
            return "browse"
        return "results" if shown is self.results else self.empty.state

    def _on_empty_action(self, key: str) -> None:
        if key == "add-folder":
            self.library_actions.choose_folder()
        elif key == "demo":
            self.add_demo()
        elif key == "show-closest":
            self.results.show_closest()
        elif key.startswith("download:"):
            self.show_models(prepare_install=key.partition(":")[2])
        elif key.startswith("use:"):
            self.model_choice.use(key.partition(":")[2])

    # -- library ----------------------------------------------------------------------------

    def add_folder(self, folder: Path) -> None:
        self.library_actions.add_folder(folder)

    def add_demo(self) -> None:
        self.library_actions.add_demo()

    @property
    def failures_dialog(self) -> FailuresDialog | None:
        return self.library_actions.failures_dialog

    # -- indexing ---------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        self.session.set_paused(paused)

    def _on_index_state(self) -> None:
        indexing = self.session.indexing
        if self.pause_action.isChecked() != indexing.paused:
            self.pause_action.setChecked(indexing.paused)
        if indexing.last is not None and indexing.running:
            self.index_status.show_progress(indexing.last, indexing.paused)
        elif not indexing.running:
            self._show_idle_status()
            self._update_page()

    def _on_index_progress(self, progress: IndexProgress) -> None:
        finished = progress.phase in ("done", "cancelled", "failed")
        self.index_status.show_progress(progress, self.session.indexing.paused)
        if progress.phase == "done":
            self._show_idle_status()
        if self.session.query.is_empty or finished:
            self._update_page()

    def _on_counts(self, counts: Counts) -> None:
        self.index_status.set_failed(counts.failed)
        self._show_model_status()

    def _show_idle_status(self) -> None:
        indexing, counts = self.session.indexing, self.session.counts
        if not indexing.running:
            self.index_status.show_idle(counts.photos, counts.failed)
            progress = indexing.last
            if progress is not None and progress.phase in ("cancelled", "failed"):
                self.index_status.show_progress(progress, False)

    # -- models -----------------------------------------------------------------------------

    def _show_model_status(self) -> None:
        self.model_status.show_library(self.session.library, self.session.counts.pending)

    def show_models(self, *, prepare_install: str | None = None) -> ModelsDialog:
        """Library ▸ Models…; ``prepare_install`` selects a model with Install ready."""
        return self.model_choice.show(prepare_install=prepare_install)

    @property
    def models_dialog(self) -> ModelsDialog | None:
        return self.model_choice.dialog

    def _on_models_changed(self) -> None:
        self._show_model_status()
        self._show_idle_status()
        self._update_page()

    # -- results ----------------------------------------------------------------------------

    @property
    def viewer(self) -> PhotoViewer | None:
        return self.photo_actions.viewer

    def context_menu(self, hits: list[SearchHit]) -> QMenu:
        return self.photo_actions.context_menu(hits, lambda: self.places.view_result(hits[0]))

    def _on_sort(self, mode: str) -> None:
        self.settings.sort = mode
        if mode in self.sort_actions:
            self.sort_actions[mode].setChecked(True)

    def zoom(self, direction: int) -> None:
        self.results.zoom(direction)  # the browse grid follows zoom_changed

    def show_message(self, message: str) -> None:
        self.statusBar().showMessage(message, MESSAGE_MS)

    def show_about(self) -> None:
        library = self.session.library
        QMessageBox.about(
            self,
            "About photofind",
            text.about(library.model_name, library.encoder.provider, self.paths.data_dir),
        )

    # -- drops on the window ----------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        # A drag from our own grid is on its way out to another application: no overlay.
        if event.source() is None and mime_has_images(event.mimeData()):
            event.acceptProposedAction()
            self.overlay.show_over_parent()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self.overlay.hide()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.overlay.hide()
        event.acceptProposedAction()
        adding = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        self.input.offer_images(event.mimeData(), add=adding)

    # -- geometry and shutdown --------------------------------------------------------------

    def _restore_geometry(self) -> None:
        # Never larger than the screen (a 2x laptop screen has 683 logical pixels across).
        available = self.screen().availableGeometry().size()
        self.setMinimumWidth(min(MIN_WIDTH, available.width()))
        self.resize(DEFAULT_SIZE.boundedTo(available * 0.92))
        encoded = self.settings.window_geometry
        if encoded:
            with contextlib.suppress(binascii.Error, ValueError):
                self.restoreGeometry(QByteArray(base64.b64decode(encoded, validate=True)))

    def shutdown(self) -> None:
        """Stop every worker (the indexer commits and saves) and save the settings. Idempotent."""
        if self._closed:
            return
        self._closed = True
        foreground.release()  # workers that give way to a scroll stop waiting for it
        self.places.shutdown()
        close_duplicates(self)
        self.collections.shutdown()
        self.session.shutdown()
        self.model_choice.shutdown()
        self.loader.shutdown()
        self.errors.close()
        self.settings.window_geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode()
        try:
            save_settings(self.paths.settings_path, self.settings)
        except OSError as exc:
            log.warning("Settings could not be saved: %s", exc)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.show_message("Stopping…")
        self.shutdown()
        super().closeEvent(event)
