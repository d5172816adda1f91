"""The main window: assembles the search bar, the result grid, the empty states and the
status bar, and connects them to the workers. The parts live in widgets/, models/,
dialogs/, workers.py and querying.py; this file only wires them together.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photofind.core.config import MODEL_ENV, AppPaths
from photofind.core.demo import create_demo_library, is_demo_folder
from photofind.core.errors import PhotofindError
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library, open_library
from photofind.core.models import chosen_model, load_registry, set_active_model
from photofind.core.models.store import is_installed
from photofind.core.search import SearchHit
from photofind.core.settings import Settings, save_settings
from photofind.core.thumbnails import ThumbnailCache
from photofind.gui import states
from photofind.gui.dialogs.error_report import ErrorPresenter
from photofind.gui.dialogs.failures import FailuresDialog
from photofind.gui.dialogs.models import ModelsDialog
from photofind.gui.dialogs.preview import PreviewDialog
from photofind.gui.icon import render as render_icon
from photofind.gui.models.results import ResultsModel
from photofind.gui.models.thumbnails import ThumbnailStore
from photofind.gui.query_images import UrlImageFetcher, from_file, images_from_mime, mime_has_images
from photofind.gui.querying import QueryController
from photofind.gui.style import STYLE_SHEET
from photofind.gui.system import SystemActions
from photofind.gui.widgets.delegate import ThumbnailDelegate
from photofind.gui.widgets.drop_overlay import DropOverlay
from photofind.gui.widgets.empty_state import EmptyState
from photofind.gui.widgets.index_status import IndexStatus
from photofind.gui.widgets.model_status import ModelStatus
from photofind.gui.widgets.results_toolbar import ResultsToolbar
from photofind.gui.widgets.results_view import MAX_THUMBNAIL, MIN_THUMBNAIL, ZOOM_STEP, ResultsView
from photofind.gui.widgets.search_bar import SearchBar
from photofind.gui.workers.indexing import IndexController
from photofind.gui.workers.jobs import Job, JobOutcome
from photofind.gui.workers.search import SearchOutcome
from photofind.gui.workers.thumbnails import ThumbnailLoader

log = logging.getLogger(__name__)

COUNTS_EVERY_S = 2.0  # the catalog is counted at most this often while indexing
# While indexing, the query shown is searched again at most this often (if the index has
# grown): new matches appear within a few seconds, yet a query costs one model run and the
# grid is not redrawn under the user more than once per glance.
REFRESH_EVERY_MS = 3000
MAX_QUERY_IMAGES = 8
DEFAULT_SIZE = QSize(1120, 760)
MESSAGE_MS = 8000  # long enough to read a sentence twice
PREFETCH = 40  # thumbnails asked for as results arrive: a screenful at the default size


def _icon_pixmap(side: int, ratio: float) -> QPixmap:
    pixmap = QPixmap.fromImage(render_icon(round(side * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


class MainWindow(QMainWindow):
    def __init__(
        self,
        library: Library,
        paths: AppPaths,
        settings: Settings,
        *,
        system: SystemActions | None = None,
        thumbnail_threads: int = 2,
        log_hint: str = "",
        open_model: Callable[[str], Library] | None = None,
    ) -> None:
        """``open_model(name)`` opens the library with another model (the composition
        root's open_library with the same data folder and provider, and with
        ``settings.query_language``): Models ▸ Use, and a change of the query language."""
        super().__init__()
        self.library = library
        provider = library.encoder.requested_provider
        self.open_model = open_model or (
            lambda name: open_library(paths, name, provider, self.settings.query_language))
        self.paths = paths
        self.settings = settings
        self.system = system or SystemActions()
        self.setWindowTitle("photofind")
        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLE_SHEET)
        self.setAcceptDrops(True)

        # services
        self.errors = ErrorPresenter(self, log_hint)
        self.loader = ThumbnailLoader(ThumbnailCache(paths.thumbnails_dir), thumbnail_threads, self)
        self.thumbnails = ThumbnailStore(self.loader, self)
        # Both ask self.library each time: it is replaced when the model changes, and its
        # .search is replaced when a newly chosen model takes over searching.
        self.query = QueryController(lambda: self.library.search, self)
        self.indexing = IndexController(lambda: self.library.indexer(), self)
        self.fetcher = UrlImageFetcher(self)
        self.refresh_timer = QTimer(self)  # runs while indexing: see _refresh_results
        self.refresh_timer.setInterval(REFRESH_EVERY_MS)
        self.refresh_timer.timeout.connect(self._refresh_results)
        self._jobs: list[Job] = []
        self._folders = library.catalog.folders()
        self._counts = library.counts()
        self._counts_at = time.monotonic()
        self._closed = False
        self._results_seq = 0
        self.preview: PreviewDialog | None = None
        self.failures_dialog: FailuresDialog | None = None
        self.models_dialog: ModelsDialog | None = None

        # widgets
        self.search_bar = SearchBar(self)
        self.toolbar = ResultsToolbar(self)
        self.model = ResultsModel(self)
        self.delegate = ThumbnailDelegate(self.thumbnails, settings.thumbnail_size, self)
        self.view = ResultsView(self.model, self.delegate, self)
        self.empty = EmptyState(self)
        self.empty.set_picture(_icon_pixmap(88, self.devicePixelRatioF()))
        self.index_status = IndexStatus(self)
        self.model_status = ModelStatus(self)
        self._build_layout()
        self._build_menus()
        self.overlay = DropOverlay(self.centralWidget())
        self._connect()

        self.toolbar.set_values(sort=settings.sort, min_score=settings.min_score,
                                zoom=settings.thumbnail_size)
        self._on_sort(settings.sort)
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
        layout.addLayout(bar_row)
        self.pages = QStackedWidget(central)
        results_page = QWidget(self.pages)
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(4, 0, 4, 0)
        results_layout.setSpacing(4)
        results_layout.addWidget(self.toolbar)
        results_layout.addWidget(self.view, 1)
        self.results_page = results_page
        self.pages.addWidget(results_page)
        self.pages.addWidget(self.empty)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.model_status.add_to(self.statusBar())
        self.statusBar().addPermanentWidget(self.index_status)

    def _build_menus(self) -> None:
        library = self.menuBar().addMenu("&Library")
        self.add_folder_action = library.addAction("&Add folder…", self.choose_folder)
        self.add_folder_action.setShortcut(QKeySequence.StandardKey.Open)
        self.remove_menu = library.addMenu("&Remove folder")
        self.remove_menu.aboutToShow.connect(self._fill_remove_menu)
        library.addSeparator()
        self.pause_action = library.addAction("&Pause indexing")
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.set_paused)
        library.addAction("&Look for new photos now", self.indexing.start)
        library.addAction("&Files that could not be read…", self.show_failures)
        library.addSeparator()
        library.addAction("&Models…", self.show_models)
        library.addSeparator()
        self.demo_action = library.addAction("Add the &demo library", self.add_demo)
        library.addSeparator()
        quit_action = library.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        view = self.menuBar().addMenu("&View")
        zoom_in = view.addAction("Larger thumbnails", lambda: self.zoom(1))
        zoom_in.setShortcuts([QKeySequence.StandardKey.ZoomIn, QKeySequence("Ctrl+=")])
        zoom_out = view.addAction("Smaller thumbnails", lambda: self.zoom(-1))
        zoom_out.setShortcuts([QKeySequence.StandardKey.ZoomOut])
        view.addSeparator()
        group = QActionGroup(self)
        self.sort_actions: dict[str, QAction] = {}
        for key, label in (("relevance", "Best match first"), ("date", "Newest first")):
            action = view.addAction(label, lambda k=key: self._set_sort_from_menu(k))
            action.setCheckable(True)
            group.addAction(action)
            self.sort_actions[key] = action
        view.addSeparator()
        focus = view.addAction("Search", self._focus_search)
        focus.setShortcuts([QKeySequence.StandardKey.Find, QKeySequence("Ctrl+L")])

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About photofind", self.show_about)

    def _connect(self) -> None:
        bar = self.search_bar
        bar.text_edited.connect(lambda _t: self._query_changed(immediate=False))
        bar.submitted.connect(lambda: self._query_changed(immediate=True))
        bar.images_changed.connect(lambda: self._query_changed(immediate=True))
        bar.cleared.connect(lambda: self._query_changed(immediate=True))
        bar.images_offered.connect(self.offer_images)
        self.fetcher.fetched.connect(lambda image: self.search_bar.add_images([image]))
        self.fetcher.failed.connect(self.show_message)

        self.query.results.connect(self._on_results)
        self.query.busy_changed.connect(self._on_busy)
        self.thumbnails.ready.connect(self.model.thumbnail_arrived)
        self.model.summary_changed.connect(self._update_summary)

        self.toolbar.sort_changed.connect(self._on_sort)
        self.toolbar.min_score_changed.connect(self._on_min_score)
        self.toolbar.zoom_changed.connect(self._on_zoom)

        self.view.open_requested.connect(self.open_photo)
        self.view.preview_requested.connect(self.show_preview)
        self.view.context_requested.connect(self._context_menu)
        self.view.zoom_requested.connect(self.zoom)
        self.view.paste_requested.connect(self.paste)

        self.empty.action.connect(self._on_empty_action)
        self.empty.link_activated.connect(self._on_link)

        self.indexing.progressed.connect(self._on_index_progress)
        self.indexing.state_changed.connect(self._on_index_state)
        self.index_status.pause_toggled.connect(self.set_paused)
        self.index_status.failures_requested.connect(self.show_failures)
        self.indexing.run_ended.connect(self._on_index_run_ended)

    def start(self) -> None:
        """Begin serving searches and, when there are folders, indexing."""
        self.query.start()
        if self._folders:
            self.indexing.start()

    # -- searching --------------------------------------------------------------------------

    def _query_sources(self) -> tuple:
        return tuple(image.source for image in self.search_bar.images())

    def _query_changed(self, *, immediate: bool) -> None:
        self.query.set_query(self.search_bar.text(), self._query_sources(), immediate=immediate)
        if self.query.is_empty:
            self.model.set_hits([])
            self._update_page()

    def _on_results(self, outcome: SearchOutcome) -> None:
        if outcome.request.quiet:
            self._on_refreshed(outcome)
            return
        self.model.set_hits(outcome.hits)
        if outcome.seq != self._results_seq:  # a new query, not the rest of the one shown
            self._results_seq = outcome.seq
            self.view.scrollToTop()
            self._prefetch_thumbnails()
        if outcome.error:
            self.show_message(outcome.error)
        self._update_page()
        if outcome.complete and not self.indexing.running:
            self._refresh_results()  # the run ended while this was searched: catch up

    def _refresh_results(self) -> None:
        """While indexing: search the query shown again if the index has grown since."""
        last = self.query.last
        if last is not None and last.complete and len(self.library.search.index) > last.index_size:
            self.query.refresh()  # does nothing while the user's own search is on its way

    def _on_refreshed(self, outcome: SearchOutcome) -> None:
        """The outcome of a refresh (:meth:`_refresh_results`), shown without disturbing.

        When the new hits keep every row where it is (the same ones first, new matches
        after them) the rows are appended, and the scrolling and selection stay. Otherwise
        the grid would be rebuilt: that is done only while the user is not using it (at the
        top, nothing selected, the pointer elsewhere), since a cell moving under the pointer
        or out of sight while scrolling is a click on the wrong photo. Else the new matches
        wait: the status bar says so, and Enter in the search field shows them. Focus is
        never touched."""
        if not outcome.complete:
            return  # the rest follows at once: apply the whole list in one go
        self._results_seq = outcome.seq
        if outcome.error:
            return  # the query worked a moment ago; keep its results
        view = self.view
        in_use = (view.verticalScrollBar().value() > 0 or view.underMouse()
                  or view.selectionModel().hasSelection())
        if self.model.keeps_rows(outcome.hits) or not in_use:
            self.model.set_hits(outcome.hits)
            self._update_page()
        else:
            self.show_message("New matches were found; press Enter in the search field to "
                              "show them.")

    def _prefetch_thumbnails(self) -> None:
        """Ask for the first screen's thumbnails now, best first, not after the first paint."""
        size = round(self.delegate.size * self.delegate.device_ratio)
        for hit in self.model.hits()[:PREFETCH]:
            self.thumbnails.pixmap(hit.path, size)

    def _on_busy(self, busy: bool) -> None:
        if busy and self.pages.currentWidget() is self.results_page:
            self.toolbar.summary.setText("Searching…")
        elif not busy:
            self._update_summary()

    def _update_summary(self) -> None:
        last = self.query.last
        self.toolbar.set_summary(self.model.rowCount(), self.model.hidden,
                                 last.elapsed_s if last else None)
        if self.query.last is not None:
            self._update_page()

    def offer_images(self, mime) -> None:
        """Images pasted or dropped: add them to the query (web images download first)."""
        images, remote = images_from_mime(mime)
        room = MAX_QUERY_IMAGES - len(self.search_bar.images())
        if images:
            self.search_bar.add_images(images[:max(0, room)])
        for url in remote[:max(0, room - len(images))]:
            self.show_message(f"Downloading {url.toDisplayString()}…")
            self.fetcher.fetch(url)
        if not images and not remote:
            self.show_message("Nothing there is an image photofind can search with.")

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime_has_images(mime):
            self.offer_images(mime)
        else:
            self.search_bar.field.paste()
            self.search_bar.setFocus()
            self._query_changed(immediate=False)

    def find_similar(self, hits: list[SearchHit]) -> None:
        self.search_bar.field.clear()
        self.search_bar.add_images([from_file(h.path) for h in hits[:MAX_QUERY_IMAGES]],
                                   replace=True)

    def _on_link(self, link: str) -> None:
        if link.startswith("query:"):
            self.search_bar.set_text(link.removeprefix("query:"))
            self.search_bar.setFocus()
            self._query_changed(immediate=True)

    # -- pages ------------------------------------------------------------------------------

    def _update_page(self) -> None:
        model_name = self.library.model_name
        indexing = self.indexing.running
        if not self._folders:
            page = states.first_run(model_name, self._model_offer())
            if self._making_demo:
                page = states.making_demo()
        elif self.query.is_empty:
            has_demo = any(is_demo_folder(self.paths, f) for f in self._folders)
            page = states.idle(model_name, self._counts.photos, indexing, has_demo,
                               self._model_offer())
        elif self.model.rowCount():
            self.pages.setCurrentWidget(self.results_page)
            return
        elif self.query.last is None:
            return  # the first results are on their way: keep what is shown
        else:
            page = states.no_results(self.query.last.error, self.model.total, self.model.hidden,
                                     self.model.min_score, self._counts.photos, indexing)
        self.empty.show_state(page.state, page.title, page.body, page.buttons)
        self.pages.setCurrentWidget(self.empty)

    @property
    def page_state(self) -> str:
        """"results" or the empty state's name (tests and screenshots read it)."""
        return "results" if self.pages.currentWidget() is self.results_page else self.empty.state

    def _on_empty_action(self, key: str) -> None:
        if key == "add-folder":
            self.choose_folder()
        elif key == "demo":
            self.add_demo()
        elif key == "show-all":
            self.toolbar.min_score.setValue(0)
        elif key == "download-default" and (offer := self._model_offer()):
            self.show_models(prepare_install=offer.name)
        elif key == "use-default" and (offer := self._model_offer()):
            error = self.use_model(offer.name)
            if error:
                QMessageBox.warning(self, f"{offer.name} cannot be used", error)

    def _model_offer(self) -> states.ModelOffer | None:
        """The recommended model, while the built-in one is in use."""
        if not states.is_builtin(self.library.model_name):
            return None
        try:
            registry = load_registry()
        except PhotofindError:
            return None
        entry = registry.get(registry.default)
        if entry is None:
            return None
        return states.ModelOffer(entry.name, entry.approx_download_mb,
                                 is_installed(self.paths, entry.name))

    # -- library ----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        if self.library.catalog.add_folder(folder):
            self.show_message(f"Added {folder.name}; indexing it now.")
        self._folders_changed()

    def remove_folder(self, folder: Path, *, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, "Remove folder",
                f"Remove {folder} from the library?\n\nThe photos stay where they are; "
                "photofind forgets them and stops showing them.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.library.catalog.remove_folder(folder)
        self.show_message(f"Removed {folder.name} from the library.")
        self._folders_changed()

    def _folders_changed(self) -> None:
        self._folders = self.library.catalog.folders()
        if self._folders or self.indexing.running:
            self.indexing.start()  # restarts a run in progress: it must see the new folders
        self._refresh_counts()
        self._update_page()

    def _fill_remove_menu(self) -> None:
        self.remove_menu.clear()
        for folder in self._folders:
            self.remove_menu.addAction(str(folder), lambda f=folder: self.remove_folder(f))
        if not self._folders:
            self.remove_menu.addAction("No folders yet").setEnabled(False)

    @property
    def _making_demo(self) -> bool:
        return any(job.objectName() == "demo" for job in self._jobs)

    def add_demo(self) -> None:
        if self._making_demo:
            return
        job = Job(lambda: create_demo_library(self.paths, self.library.catalog), self)
        job.setObjectName("demo")
        job.done.connect(self._on_demo_done)  # a bound method: delivered on the UI thread
        self._jobs.append(job)
        self.show_message("Making the demo library…")
        job.start()
        self._update_page()

    def _on_demo_done(self, outcome: JobOutcome) -> None:
        if self._closed:
            return
        job = self.sender()
        if job in self._jobs:
            self._jobs.remove(job)
            job.deleteLater()
        if outcome.error:
            QMessageBox.warning(self, "The demo library could not be made", outcome.error)
        else:
            self.show_message("Demo library ready; try “a red circle”.")
        self._folders_changed()

    # -- indexing ---------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        self.indexing.set_paused(paused)

    def _on_index_state(self) -> None:
        paused = self.indexing.paused
        if self.pause_action.isChecked() != paused:
            self.pause_action.setChecked(paused)
        if self.indexing.running != self.refresh_timer.isActive():
            (self.refresh_timer.start if self.indexing.running else self.refresh_timer.stop)()
        if self.indexing.last is not None and self.indexing.running:
            self.index_status.show_progress(self.indexing.last, paused)
        elif not self.indexing.running:
            self._refresh_counts()
            self._show_idle_status()
            self._update_page()

    def _on_index_progress(self, progress: IndexProgress) -> None:
        finished = progress.phase in ("done", "cancelled", "failed")
        if finished or time.monotonic() - self._counts_at > COUNTS_EVERY_S:
            self._refresh_counts()
        self.index_status.show_progress(progress, self.indexing.paused)
        if progress.phase == "done":
            self._show_idle_status()
            self._refresh_results()  # the results may now include the rest of the library
        if self.query.is_empty or finished:
            self._update_page()

    def _refresh_counts(self) -> None:
        self._counts = self.library.counts()
        self._counts_at = time.monotonic()
        self.index_status.set_failed(self._counts.failed)
        self._show_model_status()

    def _show_idle_status(self) -> None:
        if not self.indexing.running:
            self.index_status.show_idle(self._counts.photos, self._counts.failed)
            progress = self.indexing.last
            if progress is not None and progress.phase in ("cancelled", "failed"):
                self.index_status.show_progress(progress, False)

    def _on_index_run_ended(self) -> None:
        """Every index run's end: a newly chosen model that has now embedded every photo
        takes over searching (``library.search`` is a new object from then on)."""
        if self._closed:
            return
        if self.library.after_index_run():
            self.show_message(f"Searches now use {self.library.model_name}.")
            if not self.query.is_empty:
                self.query.search_now()
            self._models_changed()
        self._show_model_status()

    def show_failures(self) -> None:
        self.failures_dialog = FailuresDialog(self.library.catalog.failures(), self)
        self.failures_dialog.show()

    # -- models -----------------------------------------------------------------------------

    def _show_model_status(self) -> None:
        self.model_status.show_library(self.library, self._counts.pending)

    def show_models(self, *, prepare_install: str | None = None) -> ModelsDialog:
        """Library ▸ Models…; ``prepare_install`` selects a model with Install ready (the
        user still clicks it)."""
        if self.models_dialog is None:
            dialog = ModelsDialog(self.paths, self)
            dialog.use_requested.connect(self._use_from_dialog)
            dialog.language_chosen.connect(self._language_from_dialog)
            dialog.installed.connect(lambda _name: self._update_page())
            self.models_dialog = dialog
        dialog = self.models_dialog
        dialog.set_current(self.library.model_name, self.library.search_model_name)
        dialog.set_language(self.settings.query_language)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if prepare_install:
            dialog.prepare_install(prepare_install)
        return dialog

    def _use_from_dialog(self, name: str) -> None:
        error = self.use_model(name)
        if error and self.models_dialog is not None:
            self.models_dialog.show_error(error)
        elif self.models_dialog is not None:
            self.models_dialog.show_note(self._switch_note(name))

    def _language_from_dialog(self, code: str | None) -> None:
        error = self.set_query_language(code)
        dialog = self.models_dialog
        if dialog is None:
            return
        dialog.set_language(self.settings.query_language)  # back to the old one on failure
        if error:
            dialog.show_error(error)
        else:
            dialog.show_note(f"Queries are now read as {dialog.language_name(code)}."
                             if code else "The language of each query is now read off its "
                             "script.")

    def _switch_note(self, name: str) -> str:
        library = self.library
        if library.switching:
            note = (f"{name} is now in use. It indexes every photo again; searches use "
                    f"{library.search_model_name} until it is done.")
        else:
            note = f"{name} is now in use."
        overriding = os.environ.get(MODEL_ENV)
        if overriding and overriding != name:
            note += (f" {MODEL_ENV}={overriding} is set and comes first the next time "
                     f"photofind starts; unset it to keep {name}.")
        return note

    def use_model(self, name: str) -> str | None:
        """Make ``name`` the active model and reopen the library with it: the index run
        stops (committing what it has), the new library opens, then the old one closes,
        and indexing starts again with the new model. Returns the sentence to show when
        that cannot be done; the model in use then stays as it was."""
        if name == self.library.model_name:
            return None
        if self._making_demo:
            return "The demo library is being made; choose the model when it is ready."
        previous_choice = chosen_model(self.paths)
        try:
            set_active_model(self.paths, name)  # checks that it loads, then remembers it
        except (PhotofindError, OSError) as exc:
            return str(exc)
        error = self._reopen(name)
        if error:
            with contextlib.suppress(PhotofindError, OSError):
                set_active_model(self.paths, previous_choice)
            return error
        if not self.library.switching:
            self.show_message(f"Searches now use {name}.")
        self._models_changed()
        return None

    def set_query_language(self, code: str | None) -> str | None:
        """Models ▸ Query language: remember it and reopen the library with it (the text
        encoder reads it when it is made, and the search service caches text embeddings).
        Returns the sentence to show when that cannot be done; the language then stays."""
        if code == self.settings.query_language:
            return None
        if self._making_demo:
            return "The demo library is being made; choose the language when it is ready."
        previous, self.settings.query_language = self.settings.query_language, code
        error = self._reopen(self.library.model_name)
        if error:
            self.settings.query_language = previous
        return error

    def _reopen(self, name: str) -> str | None:
        """Open the library again with model ``name`` and the settings' query language: the
        index run stops (committing what it has), the new library opens, then the old one
        closes, and indexing and searching start again. On failure (the sentence returned)
        the old library stays in use."""
        old = self.library
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.indexing.stop()  # run_ended: after_index_run on the old library
            self.query.stop()
            try:
                library = self.open_model(name)
            except (PhotofindError, OSError) as exc:
                self._restart_workers()
                return str(exc)
            self.library = library
            old.close()
            self.indexing.last = None  # that progress was the old model's
            self._folders = library.catalog.folders()
            self._refresh_counts()
            self._restart_workers()
        finally:
            QApplication.restoreOverrideCursor()
        self._show_idle_status()
        self._update_page()
        if not self.query.is_empty:
            self.query.search_now()
        return None

    def _restart_workers(self) -> None:
        self.query.start()
        if self._folders:
            self.indexing.start()

    def _models_changed(self) -> None:
        self._show_model_status()
        if self.models_dialog is not None:
            self.models_dialog.set_current(self.library.model_name, self.library.search_model_name)

    # -- results ----------------------------------------------------------------------------

    def open_photo(self, hit: SearchHit) -> None:
        if not self.system.open_file(hit.path):
            self.show_message(f"No application could open {hit.path.name}.")

    def show_preview(self, hit: SearchHit) -> None:
        hits = self.model.hits()
        row = hits.index(hit) if hit in hits else 0
        if self.preview is not None:
            self.preview.close()
        self.preview = PreviewDialog(self.thumbnails, hits, row, self)
        self.preview.open_requested.connect(self.open_photo)
        self.preview.show_in_folder_requested.connect(lambda h: self.system.show_in_folder(h.path))
        self.preview.show()

    def _context_menu(self, hits: list[SearchHit], where) -> None:
        menu = self.context_menu(hits)
        menu.exec(where)

    def context_menu(self, hits: list[SearchHit]) -> QMenu:
        menu = QMenu(self)
        first = hits[0]
        menu.addAction("Open", lambda: [self.open_photo(h) for h in hits])
        menu.addAction("Show in folder", lambda: self.system.show_in_folder(first.path))
        menu.addAction("Copy path" if len(hits) == 1 else f"Copy {len(hits)} paths",
                       lambda: self.system.copy_paths([h.path for h in hits]))
        menu.addSeparator()
        menu.addAction("Find similar", lambda: self.find_similar(hits))
        menu.addAction("Preview", lambda: self.show_preview(first))
        return menu

    def _on_sort(self, mode: str) -> None:
        self.model.set_sort(mode)
        self.settings.sort = mode
        if mode in self.sort_actions:
            self.sort_actions[mode].setChecked(True)

    def _set_sort_from_menu(self, mode: str) -> None:
        index = self.toolbar.sort.findData(mode)
        self.toolbar.sort.setCurrentIndex(index)

    def _on_min_score(self, value: float) -> None:
        self.model.set_min_score(value)
        self.settings.min_score = value

    def _on_zoom(self, size: int) -> None:
        self.view.set_thumbnail_size(size)
        self.settings.thumbnail_size = size

    def zoom(self, direction: int) -> None:
        size = self.toolbar.zoom.value() + direction * ZOOM_STEP
        self.toolbar.zoom.setValue(max(MIN_THUMBNAIL, min(MAX_THUMBNAIL, size)))

    def _focus_search(self) -> None:
        self.search_bar.setFocus()
        self.search_bar.field.selectAll()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, MESSAGE_MS)

    def show_about(self) -> None:
        from importlib import metadata

        try:
            version = metadata.version("photofind")
        except metadata.PackageNotFoundError:
            version = "development"
        QMessageBox.about(
            self, "About photofind",
            f"<b>photofind</b> {version}<br>Finds photos in your own library by what they "
            f"show, on this computer.<br><br>Model: <i>{self.library.model_name}</i> "
            f"({self.library.encoder.provider})<br>Data folder: {self.paths.data_dir}"
            + (f"<br><br>{states.MODEL_HELP}" if states.is_builtin(self.library.model_name) else ""),
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
        self.offer_images(event.mimeData())

    # -- geometry and shutdown --------------------------------------------------------------

    def _restore_geometry(self) -> None:
        self.resize(DEFAULT_SIZE)
        encoded = self.settings.window_geometry
        if encoded:
            with contextlib.suppress(binascii.Error, ValueError):
                self.restoreGeometry(QByteArray(base64.b64decode(encoded, validate=True)))

    def shutdown(self) -> None:
        """Stop every worker (the indexer commits and saves) and save the settings. Idempotent."""
        if self._closed:
            return
        self._closed = True
        # Signals queued before the workers stopped must not reach a closed library.
        self.indexing.progressed.disconnect(self._on_index_progress)
        self.indexing.state_changed.disconnect(self._on_index_state)
        self.query.results.disconnect(self._on_results)
        self.refresh_timer.stop()
        self.indexing.stop()
        self.query.stop()
        for job in list(self._jobs):
            job.wait()
        if self.models_dialog is not None:
            self.models_dialog.shutdown()
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
