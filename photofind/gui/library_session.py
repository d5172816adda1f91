"""The open library, as the window sees it: searching, indexing, folders, models.

:class:`LibrarySession` owns the :class:`~photofind.core.library.Library` and the query and
index controllers. The UI thread never reads or writes the catalog itself: folder changes,
the list of failed files and the demo library run as jobs on pool threads, the index thread
counts the catalog as it goes, and the session keeps the last folders and counts for the
window to show at once.

Choosing another model or query language opens the library again off the UI thread (at
100k photos a new index takes minutes to build): the index run stops first (it commits what
it has), searches go on with the old library meanwhile, and only when the new one is open
do searches switch to it and the old one close. Folder changes asked for meanwhile wait for
it; on failure the old library stays, and so does the model choice.

While indexing, the query shown is searched again now and then if the index has grown
(``quiet`` requests: see :mod:`photofind.gui.querying`), so new matches appear as photos
are indexed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from photofind.core.catalog import Counts
from photofind.core.config import AppPaths
from photofind.core.demo import create_demo_library, is_demo_folder
from photofind.core.errors import PhotofindError
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library
from photofind.core.models import chosen_model, set_active_model
from photofind.core.settings import Settings
from photofind.gui import states, text
from photofind.gui.model_offers import find_offers
from photofind.gui.querying import QueryController
from photofind.gui.thumbnail_tidying import ThumbnailTidying
from photofind.gui.watching import LibraryWatching
from photofind.gui.workers import track_pool
from photofind.gui.workers.indexing import IndexController, IndexWork
from photofind.gui.workers.jobs import Job, JobOutcome
from photofind.gui.workers.search import SearchOutcome

# While indexing, the query shown is searched again at most this often (if the index has
# grown): new matches appear within a few seconds, yet a query costs one model run and the
# grid is not redrawn under the user more than once per glance.
REFRESH_EVERY_MS = 3000

OpenModel = Callable[[str, str | None], Library]  # (model name, query language) -> Library


@dataclass(frozen=True)
class Facts:
    """What the window shows about the catalog, read on a worker thread."""

    folders: list[Path]
    counts: Counts


@dataclass(frozen=True)
class FolderChange:
    folder: Path
    added: bool  # False: removed
    changed: bool  # False: it was already there (or already gone)
    facts: Facts


@dataclass(frozen=True)
class Reopened:
    """The end of :meth:`LibrarySession.use_model` or :meth:`~LibrarySession.set_query_language`."""

    what: Literal["model", "language", "repair"]
    model: str  # the model asked for
    language: str | None  # the query language asked for
    error: str | None = None  # why it could not be done: the library stays as it was


def _facts(library: Library) -> Facts:
    return Facts(library.catalog.folders(), library.counts())


class LibrarySession(QObject):
    folders_changed = Signal(FolderChange)
    counts_changed = Signal(Counts)
    demo_done = Signal(JobOutcome)
    # ([(Path, reason)] of the files indexing could not read, [(Path, reason)] of the folders)
    failures_ready = Signal(object)
    reopening = Signal(str)  # the model the library is being opened with
    reopened = Signal(Reopened)
    searches_switched = Signal(str)  # a newly chosen model now answers searches
    failed = Signal(str)  # the sentence why a folder change or a list could not be made
    folder_refused = Signal(str)  # the sentence why a folder could not be added

    def __init__(
        self,
        library: Library,
        paths: AppPaths,
        settings: Settings,
        open_model: OpenModel,
        parent: QObject | None = None,
    ) -> None:
        """``open_model`` opens the library of ``paths`` with another model or language
        (the composition root's open_library, with its provider)."""
        super().__init__(parent)
        self.library = library
        self.paths = paths
        self.settings = settings
        self.open_model = open_model
        self.query = QueryController(
            lambda: self.library.search, self, lambda: self.library.collections
        )
        self.indexing = IndexController(
            IndexWork(
                make_indexer=lambda: self.library.indexer(),
                count=lambda: self.library.counts(),
                after_run=lambda: self.library.after_index_run(),
            ),
            self,
        )
        self.indexing.counted.connect(self.set_counts)
        self.indexing.run_ended.connect(self._on_run_ended)
        self.indexing.state_changed.connect(self._on_index_state)
        self.indexing.progressed.connect(self._on_progress)
        self.watching = LibraryWatching(self.indexing, self)  # from the first index run on
        self.query.results.connect(self._on_results)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_EVERY_MS)
        self.refresh_timer.timeout.connect(self.refresh_results)
        # Catalog jobs run one at a time, in order: the folders each one reports are the newest.
        self._catalog_pool = QThreadPool(self)
        self._catalog_pool.setMaxThreadCount(1)
        track_pool(self._catalog_pool)
        self.tidying = ThumbnailTidying(
            self.indexing, lambda: self.library, self._catalog_pool,
            lambda: self.reopening_library, self,
        )  # fmt: skip
        self._jobs: list[Job] = []
        self._demo: Job | None = None
        self._reopen: Job | None = None
        self._reopen_request: Reopened | None = None
        self._pending_reopen: tuple[Reopened, Callable[[], Library]] | None = None
        self._after_reopen: list[Callable[[], None]] = []
        self._index_after_reopen = False
        self._closed = False
        facts = _facts(library)  # once, before the window shows; every later read is a job's
        self.folders, self.counts = facts.folders, facts.counts
        self._offers: tuple[states.ModelOffer, ...] = ()
        self._offer_known = False
        # A person chose the model in use (--model, PHOTOFIND_MODEL, 'model use', Use): the
        # built-in demo model then indexes a folder without asking first.
        self.model_chosen = False

    # -- running --------------------------------------------------------------------------

    def start(self) -> None:
        """Begin serving searches and, when there are folders, indexing."""
        if self._closed:
            return  # a start put off until the first screen, which the window never reached
        self.query.start()
        if self.folders:
            self.start_indexing()

    def start_indexing(self) -> None:
        """Look for new photos now (restarting a run in progress, which then sees new folders)."""
        if self.reopening_library:
            self._index_after_reopen = True
        else:
            self.indexing.start()

    def set_paused(self, paused: bool) -> None:
        self.indexing.set_paused(paused)

    @property
    def has_demo(self) -> bool:
        return any(is_demo_folder(self.paths, f) for f in self.folders)

    def shutdown(self) -> None:
        """Stop every worker (the indexer commits and saves) and wait for every job; a library
        opened meanwhile for a model switch is closed. Idempotent; the library stays open."""
        if self._closed:
            return
        self._closed = True
        # Signals queued before the workers stopped must not reach a closed library.
        for source in (self, self.indexing, self.query, self.watching):
            source.blockSignals(True)
        self.refresh_timer.stop()
        self.watching.stop()
        self.indexing.stop()
        self.query.stop()
        self.tidying.stop()
        for job in [*self._jobs, self._demo, self._reopen]:
            if job is not None:
                job.wait()
        self._catalog_pool.waitForDone()
        outcome = self._reopen.outcome if self._reopen is not None else None
        if outcome is not None and isinstance(outcome.value, tuple):
            outcome.value[0].close()

    # -- searching ------------------------------------------------------------------------

    def refresh_results(self) -> None:
        """While indexing: search the query shown again if the index has grown since."""
        last = self.query.last
        if last is not None and last.complete and len(self.library.search.index) > last.index_size:
            self.query.refresh()  # does nothing while the user's own search is on its way

    def _on_results(self, outcome: SearchOutcome) -> None:
        if outcome.complete and not outcome.request.quiet and not self.indexing.running:
            self.refresh_results()  # the run ended while this was searched: catch up

    # -- indexing -------------------------------------------------------------------------

    def set_counts(self, counts: Counts) -> None:
        self.counts = counts
        self.counts_changed.emit(counts)

    def _on_progress(self, progress: IndexProgress) -> None:
        if progress.phase == "done":
            self.refresh_results()  # the results may now include the rest of the library

    def _on_index_state(self) -> None:
        running = self.indexing.running
        if running != self.refresh_timer.isActive():
            (self.refresh_timer.start if running else self.refresh_timer.stop)()
        if running and not self._closed and not self.reopening_library:
            self.watching.start(self.library)

    def _on_run_ended(self, switched: bool) -> None:
        """Every index run's end: a newly chosen model that has now embedded every photo
        has taken over searching (``library.search`` is a new object from then on)."""
        if switched:
            if not self.query.is_empty:
                self.query.search_now()
            self.searches_switched.emit(self.library.model_name)
        if self._pending_reopen is not None and not self.indexing.running:
            self._open_again(*self._pending_reopen)

    # -- folders --------------------------------------------------------------------------

    def add_folder(self, folder: Path) -> None:
        """Add ``folder`` and index it; ``folders_changed`` follows."""
        self._catalog_job(folder, True, lambda catalog: catalog.add_folder(folder))

    def remove_folder(self, folder: Path) -> None:
        """Forget ``folder`` and its photos (the files stay); ``folders_changed`` follows."""
        self._catalog_job(folder, False, lambda catalog: catalog.remove_folder(folder))

    def _catalog_job(self, folder: Path, added: bool, change) -> None:
        if self.reopening_library:
            self._after_reopen.append(lambda: self._catalog_job(folder, added, change))
            return
        library = self.library

        def run() -> FolderChange:
            changed = bool(change(library.catalog))
            return FolderChange(folder, added, changed, _facts(library))

        job = Job(run, self, self._catalog_pool)
        job.setProperty("adding", added)
        job.done.connect(self._on_folder_job)
        self._jobs.append(job)
        job.start()

    def _on_folder_job(self, outcome: JobOutcome) -> None:
        if self._closed:
            return  # queued before shutdown(): the library is closing
        job = self.sender()
        self._forget(job)
        if outcome.error:
            (self.folder_refused if job.property("adding") else self.failed).emit(outcome.error)
            return
        change: FolderChange = outcome.value
        self._took(change.facts)
        self.folders_changed.emit(change)

    def _took(self, facts: Facts) -> None:
        self.folders = facts.folders
        if self.folders or self.indexing.running:
            self.start_indexing()  # restarts a run in progress: it must see the new folders
        self.set_counts(facts.counts)

    def request_failures(self) -> None:
        """The files indexing could not read arrive as ``failures_ready``."""
        if self.reopening_library:
            self._after_reopen.append(self.request_failures)
            return
        catalog = self.library.catalog
        job = Job(lambda: (catalog.failures(), catalog.folder_problems()), self, self._catalog_pool)
        job.done.connect(self._on_failures)
        self._jobs.append(job)
        job.start()

    def _on_failures(self, outcome: JobOutcome) -> None:
        if self._closed:
            return
        self._forget(self.sender())
        if outcome.error:
            self.failed.emit(outcome.error)
        else:
            self.failures_ready.emit(outcome.value)

    def _forget(self, job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            job.deleteLater()

    # -- the demo library -----------------------------------------------------------------

    @property
    def making_demo(self) -> bool:
        return self._demo is not None

    def add_demo(self) -> str | None:
        """Make the demo library and add it (``demo_done`` follows); the sentence why not."""
        if self.reopening_library:
            return text.wait_for_switch("demo library")
        if self._demo is not None:
            return None
        paths, library = self.paths, self.library
        self._demo = Job(
            lambda: (create_demo_library(paths, library.catalog), _facts(library)), self
        )
        self._demo.done.connect(self._on_demo_done)  # a bound method: delivered on the UI thread
        self._demo.start()
        return None

    def _on_demo_done(self, outcome: JobOutcome) -> None:
        if self._closed:
            return
        job, self._demo = self._demo, None
        if job is not None:
            job.deleteLater()
        if outcome.value is not None:
            self._took(outcome.value[1])
        self.demo_done.emit(outcome)

    # -- models ---------------------------------------------------------------------------

    @property
    def reopening_library(self) -> bool:
        return self._pending_reopen is not None or self._reopen is not None

    def model_offers(self) -> tuple[states.ModelOffer, ...]:
        """The models to offer while the built-in one is in use, the recommended one first."""
        if not states.is_builtin(self.library.model_name):
            return ()
        if not self._offer_known:
            self._offers, self._offer_known = find_offers(self.paths), True
        return self._offers

    def models_changed(self) -> None:
        """A model was installed or removed: the offer is asked again."""
        self._offer_known = False

    def use_model(self, name: str) -> str | None:
        """Make ``name`` the active model and open the library with it; ``reopened`` follows
        (at once when it is the model in use). Returns the sentence to show when that cannot
        even start; the model in use then stays as it was."""
        if refusal := self._refusal("model"):
            return refusal
        request = Reopened("model", name, self.settings.query_language)
        if name == self.library.model_name:
            self.reopened.emit(request)
            return None
        paths, open_model, language = self.paths, self.open_model, self.settings.query_language

        def switch() -> Library:
            previous = chosen_model(paths)
            set_active_model(paths, name)  # checks that it loads, then remembers it
            try:
                return open_model(name, language)
            except BaseException:
                with contextlib.suppress(PhotofindError, OSError):
                    set_active_model(paths, previous)
                raise

        self._begin_reopen(request, switch)
        return None

    def set_query_language(self, code: str | None) -> str | None:
        """Read queries as ``code`` (None: off each query's script) and open the library again
        with it (the text encoder reads it when it is made, and the search service caches
        text embeddings); ``reopened`` follows. Returns the sentence why not."""
        if refusal := self._refusal("language"):
            return refusal
        request = Reopened("language", self.library.model_name, code)
        if code == self.settings.query_language:
            self.reopened.emit(request)
            return None
        open_model, name = self.open_model, self.library.model_name
        self._begin_reopen(request, lambda: open_model(name, code))
        return None

    def reopen(self, request: Reopened, open_new: Callable[[], Library]) -> None:
        """Open the library again with ``open_new``, as a model switch does (once the index
        run has stopped, on the catalog's worker thread); ``reopened`` follows with
        ``request``. The catalog's repair closes and mends the file in ``open_new``."""
        self._begin_reopen(request, open_new)

    def _refusal(self, what: str) -> str | None:
        if self._demo is not None:
            return text.wait_for_demo(what)
        if self.reopening_library:
            return text.wait_for_switch(what)
        return None

    def _begin_reopen(self, request: Reopened, open_new: Callable[[], Library]) -> None:
        self._pending_reopen = (request, open_new)
        self._index_after_reopen = bool(self.folders)
        self.reopening.emit(request.model)
        self.watching.request_stop()  # waited for before the old library closes
        if self.indexing.running:
            self.indexing.request_stop()  # the run commits what it has; run_ended goes on
        else:
            self._open_again(request, open_new)

    def _open_again(self, request: Reopened, open_new: Callable[[], Library]) -> None:
        self._pending_reopen = None

        def run() -> tuple[Library, Facts]:
            library = open_new()
            try:
                return library, _facts(library)
            except BaseException:
                library.close()
                raise

        self._reopen_request = request
        self._reopen = Job(run, self, self._catalog_pool)
        self._reopen.done.connect(self._on_reopened)  # a bound method: on the UI thread
        self._reopen.start()

    def _on_reopened(self, outcome: JobOutcome) -> None:
        if self._closed:
            return  # shutdown() has closed what this job opened
        job, self._reopen = self._reopen, None
        request, self._reopen_request = self._reopen_request, None
        assert request is not None
        if job is not None:
            job.deleteLater()
        if outcome.error is None:
            library, facts = outcome.value
            self.query.stop()  # after the query it is running: none runs on the old library
            old, self.library = self.library, library
            self.watching.stop()
            old.close()
            self.settings.query_language = request.language
            self.indexing.last = None  # that progress was the old model's
            self.folders, self.counts = facts.folders, facts.counts
            self._offer_known = False
            self.query.start()
            if not self.query.is_empty:
                self.query.search_now()
        else:
            request = Reopened(request.what, request.model, request.language, outcome.error)
        if self._index_after_reopen or self.folders:
            self.indexing.start()
        self._index_after_reopen = False
        for deferred in self._after_reopen:
            deferred()
        self._after_reopen.clear()
        self.reopened.emit(request)
