"""Work that must never run on the UI thread: searching, indexing, decoding thumbnails.

Each worker declares its signals, which carry frozen dataclasses; views connect before a
job starts, and nothing here touches a widget or a Qt model (STYLE habits 3-5). An
exception that escapes a job goes to :mod:`photofind.gui.errorsink` and the worker lives on.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QThread, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage

from photofind.core.errors import PhotofindError
from photofind.core.indexer import Indexer, IndexProgress
from photofind.core.models.install import InstallProgress
from photofind.core.search import SearchHit, SearchService
from photofind.core.thumbnails import ThumbnailCache, bucket_for
from photofind.gui import errorsink

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()
_pools: weakref.WeakSet[QThreadPool] = weakref.WeakSet()


def live_threads() -> list[QThread]:
    """Threads started here that are still running (the tests check none outlives a test)."""
    return [t for t in list(_threads) if shiboken6.isValid(t) and t.isRunning()]


def busy_pools() -> list[QThreadPool]:
    return [p for p in list(_pools) if shiboken6.isValid(p) and p.activeThreadCount() > 0]


# -- searching --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    seq: int  # increases with every request: a result is shown only if it is the newest
    text: str
    images: tuple[Path | bytes, ...]
    k: int
    quiet: bool = False  # the same query again because the index grew (not the user asking)


@dataclass(frozen=True)
class SearchOutcome:
    request: SearchRequest
    hits: list[SearchHit]
    elapsed_s: float
    error: str | None = None  # a user-facing sentence (e.g. the dropped file is no image)
    complete: bool = True  # False: the first page, the rest follows under the same seq
    index_size: int = 0  # photos in the searched index when the search began

    @property
    def seq(self) -> int:
        return self.request.seq


FIRST_PAGE = 200  # a screenful or three: shown as soon as it is found, the rest follows


class SearchThread(QThread):
    """Turns queries into results off the UI thread.

    Why a thread of its own: a query runs the model (a millisecond for the tiny model, tens
    of milliseconds to seconds for a real one on a CPU, more for an image), and typing must
    never wait for it. Why one long-lived thread rather than a task per keystroke: queries
    arrive several a second and only the newest matters, so the thread sleeps until a
    request arrives, always takes the newest one (those it overtook are never run), and
    stops when asked (:meth:`request_stop`).

    Each query is answered in two parts: the first :data:`FIRST_PAGE` hits at once, then
    all ``k`` (looking up a thousand catalog rows takes tens of milliseconds at 100k
    photos; the first screen should not wait for them). The second part is skipped when a
    newer request is already waiting.

    ``service`` is asked for the SearchService at every query, never kept: the library
    replaces its SearchService when a newly chosen model takes over searching."""

    searched = Signal(object)  # SearchOutcome

    def __init__(
        self, service: Callable[[], SearchService], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-search")
        self._service = service
        self._wake = threading.Condition()
        self._pending: SearchRequest | None = None
        self._stop = False
        _threads.add(self)

    def submit(self, request: SearchRequest) -> None:
        with self._wake:
            self._pending = request  # replaces an older request not yet started
            self._wake.notify()

    def request_stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()

    def _overtaken(self) -> bool:
        with self._wake:
            return self._pending is not None or self._stop

    def run(self) -> None:
        self._warm_up()
        while True:
            with self._wake:
                while self._pending is None and not self._stop:
                    self._wake.wait()
                if self._stop:
                    return
                request, self._pending = self._pending, None
            try:
                self._search(request)
            except Exception as exc:  # a bug: report it, keep serving queries
                errorsink.report(exc, thread_name=self.objectName())
                self.searched.emit(SearchOutcome(request, [], 0.0, "The search failed."))

    def _warm_up(self) -> None:
        """Load the text model now, so that the first keystroke does not pay for it."""
        try:
            self._service().text_embedding("a photo")
        except PhotofindError:
            pass  # reported with the first real query
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())

    def _search(self, request: SearchRequest) -> None:
        started = time.perf_counter()
        service = self._service()
        size = len(service.index)  # the window re-runs the query once the index has grown

        def outcome(hits: list[SearchHit], error: str | None = None, *,
                    complete: bool = True) -> SearchOutcome:
            return SearchOutcome(request, hits, time.perf_counter() - started, error,
                                 complete, size)

        try:
            query = service.query_vector(request.text, request.images)
        except PhotofindError as exc:
            self.searched.emit(outcome([], str(exc)))
            return
        if query is None:
            self.searched.emit(outcome([]))
            return
        first = service.search_vector(query, min(FIRST_PAGE, request.k))
        if len(first) < min(FIRST_PAGE, request.k) or request.k <= FIRST_PAGE:
            self.searched.emit(outcome(first))
            return
        self.searched.emit(outcome(first, complete=False))
        if self._overtaken():
            return
        self.searched.emit(outcome(service.search_vector(query, request.k)))


# -- indexing ---------------------------------------------------------------------------


class IndexThread(QThread):
    """Brings the catalog up to date with the library folders, beside the UI.

    Why a thread: indexing takes minutes to hours and runs from launch. It consumes
    ``Indexer.run(cancel)`` one progress item at a time; the indexer only advances when
    consumed, so pausing is waiting on an Event between items. Stopping sets the cancel
    Event (and wakes a paused thread): the indexer commits the batch it has, saves the
    index and yields a last "cancelled" item, which ends the loop; the next run carries on
    where this one stopped."""

    progressed = Signal(object)  # IndexProgress

    def __init__(self, make_indexer: Callable[[], Indexer], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-index")
        self._make_indexer = make_indexer
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        _threads.add(self)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def request_stop(self) -> None:
        self._cancel.set()
        self._running.set()

    def run(self) -> None:
        try:
            for progress in self._make_indexer().run(self._cancel):
                self.progressed.emit(progress)
                self._running.wait()
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())
            self.progressed.emit(IndexProgress("failed"))


class IndexController(QObject):
    """Owns the index thread: starts it, pauses it, and restarts it when folders change.

    A restart asks the running thread to stop and starts the next one when it has finished,
    so two runs never write the catalog at once. ``run_ended`` follows every run, restarted
    or not, on the UI thread: the library's ``after_index_run()`` belongs there."""

    progressed = Signal(object)  # IndexProgress
    state_changed = Signal()  # running or paused changed
    run_ended = Signal()  # a run's thread has finished (the catalog is quiet)

    def __init__(self, make_indexer: Callable[[], Indexer], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_indexer = make_indexer
        self._thread: IndexThread | None = None
        self._paused = False
        self._again = False
        self.last: IndexProgress | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._paused

    def start(self) -> None:
        """Start a run, or (when one is running) run again once it has stopped."""
        if self._thread is not None:
            self._again = True
            self._thread.request_stop()
            return
        thread = IndexThread(self._make_indexer, self)
        if self._paused:
            thread.pause()
        thread.progressed.connect(self._on_progress)
        thread.finished.connect(self._on_finished)
        self._thread = thread
        thread.start(QThread.Priority.LowPriority)
        self.state_changed.emit()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self._thread is not None:
            (self._thread.pause if paused else self._thread.resume)()
        self.state_changed.emit()

    def stop(self) -> None:
        """Stop the run (the indexer commits what it has and saves) and wait for it."""
        self._again = False
        thread = self._thread
        if thread is not None:
            thread.request_stop()
            thread.wait()
            self._finish(thread)

    def _on_progress(self, progress: IndexProgress) -> None:
        self.last = progress
        self.progressed.emit(progress)

    def _on_finished(self) -> None:
        sender = self.sender()
        if isinstance(sender, IndexThread):
            self._finish(sender)

    def _finish(self, thread: IndexThread) -> None:
        if thread is not self._thread:
            return  # already handled by stop()
        self._thread = None
        thread.deleteLater()
        self.run_ended.emit()
        if self._again:
            self._again = False
            self.start()
        else:
            self.state_changed.emit()


# -- thumbnails -------------------------------------------------------------------------


@dataclass(frozen=True)
class ThumbnailResult:
    path: Path
    bucket: int
    image: QImage | None
    error: str | None = None


MAX_QUEUED_THUMBNAILS = 400  # ~3 screens of small cells: older requests were scrolled past


class ThumbnailLoader(QObject):
    """Decodes thumbnails (through the disk cache) on a small pool of threads.

    Order: the cells painted most recently come first (after a scroll, what is on screen
    now before what was scrolled past), and within one paint, in the order painted (the
    best results, top left, first). When the queue is long the oldest requests are dropped;
    they are asked for again if their cells are painted again. A request already queued or
    being decoded is not queued twice."""

    loaded = Signal(object)  # ThumbnailResult

    def __init__(self, cache: ThumbnailCache, threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.cache = cache
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pool.setExpiryTimeout(2000)
        _pools.add(self._pool)
        self._lock = threading.Lock()
        self._waiting: dict[tuple[Path, int], tuple[int, int]] = {}  # key -> (paint, order)
        self._decoding: set[tuple[Path, int]] = set()
        self._paint = 0  # requests made in one turn of the event loop share a number
        self._paint_open = False
        self._order = 0
        self._draining = 0
        self._closed = False

    def request(self, path: Path, size: int) -> None:
        """Called while painting, on the UI thread."""
        key = (path, bucket_for(size))
        if not self._paint_open:
            self._paint_open = True
            self._paint += 1
            QTimer.singleShot(0, self._close_paint)
        with self._lock:
            if self._closed or key in self._decoding:
                return
            known = key in self._waiting
            self._order += 1
            self._waiting[key] = (self._paint, -self._order)
            if not known and len(self._waiting) > MAX_QUEUED_THUMBNAILS:
                del self._waiting[min(self._waiting, key=self._waiting.__getitem__)]
            start = not known and self._draining < self._pool.maxThreadCount()
            if start:
                self._draining += 1
        if start:
            self._pool.start(self._drain)

    def _close_paint(self) -> None:
        self._paint_open = False

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._waiting) + len(self._decoding)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._waiting or self._closed:
                    self._draining -= 1
                    return
                key = max(self._waiting, key=self._waiting.__getitem__)
                del self._waiting[key]
                self._decoding.add(key)
            try:
                result = self._load(*key)
            except Exception as exc:
                errorsink.report(exc)
                result = ThumbnailResult(key[0], key[1], None, "The thumbnail failed.")
            with self._lock:
                self._decoding.discard(key)
            self.loaded.emit(result)

    def _load(self, path: Path, bucket: int) -> ThumbnailResult:
        try:
            data = self.cache.load(path, bucket)
        except PhotofindError as exc:
            return ThumbnailResult(path, bucket, None, str(exc))
        image = QImage.fromData(data, "JPEG")
        if image.isNull():
            return ThumbnailResult(path, bucket, None, "The thumbnail cannot be decoded.")
        return ThumbnailResult(path, bucket, image)

    def shutdown(self) -> None:
        """Drop what is queued and wait for the decodes in progress."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
        self._pool.waitForDone()


# -- installing models ------------------------------------------------------------------


@dataclass(frozen=True)
class InstallOutcome:
    name: str
    last: InstallProgress | None  # "installed" (with its result) or "cancelled"; None on error
    error: str | None = None  # the core's sentence (no network, disk full, damaged download)

    @property
    def installed(self) -> bool:
        return self.last is not None and self.last.result is not None


class InstallThread(QThread):
    """Downloads and installs one model (the Models dialog's Install).

    Why a thread: a download takes minutes and the dialog shows its progress meanwhile. It
    consumes the core's install generator one item at a time. :meth:`request_stop` (Cancel,
    or the window closing) sets the Event the generator watches: the download stops at its
    next chunk, the staging folder is deleted and the last item is "cancelled", which ends
    the thread; nothing is installed."""

    progressed = Signal(object)  # InstallProgress
    ended = Signal(object)  # InstallOutcome, always the last signal

    def __init__(
        self,
        name: str,
        steps: Callable[[threading.Event], Iterator[InstallProgress]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-install")
        self.name = name
        self._steps = steps
        self._cancel = threading.Event()
        _threads.add(self)

    @property
    def stopping(self) -> bool:
        return self._cancel.is_set()

    def request_stop(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        last: InstallProgress | None = None
        try:
            for last in self._steps(self._cancel):
                self.progressed.emit(last)
        except PhotofindError as exc:
            self.ended.emit(InstallOutcome(self.name, None, str(exc)))
            return
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.ended.emit(InstallOutcome(self.name, None,
                                           f"{self.name} could not be installed: {reason}."))
            return
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())
            self.ended.emit(InstallOutcome(self.name, None,
                                           "The install failed; the error was reported."))
            return
        self.ended.emit(InstallOutcome(self.name, last))


# -- one-off jobs -----------------------------------------------------------------------


@dataclass(frozen=True)
class JobOutcome:
    value: object
    error: str | None  # a user-facing sentence when the job raised PhotofindError or OSError


class Job(QObject):
    """A single function run on a pool thread (making the demo library, removing a folder's
    cache...), its outcome delivered by the ``done`` signal on the UI thread."""

    done = Signal(object)  # JobOutcome

    def __init__(self, fn: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        _pools.add(self._pool)

    def start(self) -> None:
        self._pool.start(self._run)

    def wait(self) -> None:
        self._pool.waitForDone()

    def _run(self) -> None:
        try:
            outcome = JobOutcome(self._fn(), None)
        except (PhotofindError, OSError) as exc:
            outcome = JobOutcome(None, str(exc))
        except Exception as exc:
            errorsink.report(exc)
            outcome = JobOutcome(None, "The task failed; the error was reported.")
        self.done.emit(outcome)
