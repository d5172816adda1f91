"""Searching off the UI thread: one long-lived thread that always answers the newest query.

The typed text is read by the core's parser (:func:`~photofind.core.query.parse_query`, the
one the command line uses); the query images join its terms, and the search says which
results are matches (:meth:`~photofind.core.search.SearchService.find` with the closest
other photos after them), so the window can show the matches above a divider. The hits that
show one picture (copies, re-encodes) are grouped here too
(:func:`~photofind.core.result_groups.same_picture_groups`), so the window shows each picture
once.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from photofind.core import errorsink
from photofind.core.browse import photo_ids_below
from photofind.core.collections import CollectionService
from photofind.core.errors import PhotofindError
from photofind.core.filters import QueryError
from photofind.core.pacing import foreground
from photofind.core.query import Query, Term, parse_query
from photofind.core.result_groups import Groups, same_picture_groups
from photofind.core.search import SearchHit, SearchResult, SearchService
from photofind.core.understanding import QueryNotice, query_notices
from photofind.gui.workers import track_thread
from photofind.gui.workers.collection_hits import (
    check_names,
    collection_names,
    members_best_first,
    within_collections,
)


@dataclass(frozen=True)
class SearchRequest:
    seq: int  # increases with every request: a result is shown only if it is the newest
    text: str
    images: tuple[Path | bytes, ...]
    k: int
    quiet: bool = False  # the same query again because the index grew (not the user asking)
    folder: Path | None = None  # only photos below it (the folder chosen in the sidebar)
    collection: str | None = None  # only its members (the collection chosen in the sidebar)


@dataclass(frozen=True)
class SearchOutcome:
    request: SearchRequest
    hits: list[SearchHit]
    elapsed_s: float
    error: str | None = None  # a user-facing sentence (e.g. the dropped file is no image)
    complete: bool = True  # False: the first page, the rest follows under the same seq
    index_size: int = 0  # photos in the searched index when the search began
    matches: int = 0  # how many photos match; ``hits`` has the matches first, then the closest
    scored: bool = True  # False: filters alone listed the photos, newest first, unscored
    # The text cannot be searched as typed (after:2019-13, in: a folder that is not there):
    # a sentence for under the search field; the results shown stay.
    query_error: str | None = None
    notices: tuple[QueryNotice, ...] = ()  # what the model cannot read in the query
    spread: tuple[float, float] = (0.0, 0.0)  # the library's mean and sd of scores for it
    groups: Groups = ()  # photo ids of hits that show one picture, each best-ranked first

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

    searched = Signal(SearchOutcome)

    def __init__(self, service: Callable[[], SearchService], parent: QObject | None = None,
                 collections: Callable[[], CollectionService] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("photofind-search")
        self._service = service
        self._collections = collections
        self._wake = threading.Condition()
        self._pending: SearchRequest | None = None
        self._stop = False
        track_thread(self)

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
        """Load the text model and the search index now (the library opens without its
        index, for a quick first screen), so that the first keystroke pays for neither."""
        # A second of imports and loading: not during a scroll, but while the first query
        # is typed, since it waits for this.
        foreground.give_way(to_typing=False)
        try:
            service = self._service()
            len(service.index)  # loads it: the file read and checked, or rebuilt
            service.text_embedding("a photo")
        except PhotofindError:
            pass  # reported with the first real query
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())

    def _search(self, request: SearchRequest) -> None:
        started = time.perf_counter()
        service = self._service()
        size = len(service.index)  # the window re-runs the query once the index has grown

        def outcome(
            result: SearchResult | None = None, *, error: str | None = None,
            query_error: str | None = None, notices: tuple[QueryNotice, ...] = (),
            complete: bool = True,
        ) -> SearchOutcome:  # fmt: skip
            if result is None:
                return SearchOutcome(request, [], time.perf_counter() - started, error,
                                     complete, size, query_error=query_error)  # fmt: skip
            groups = picture_groups(service, result)
            return SearchOutcome(request, list(result.hits), time.perf_counter() - started,
                                 error, complete, size, result.matches, result.scored,
                                 query_error, notices, result.spread, groups)  # fmt: skip

        try:
            query = with_images(parse_query(request.text), request.images)
        except QueryError as exc:
            self.searched.emit(outcome(query_error=str(exc)))
            return
        names = collection_names(query, request.collection) if self._collections else ()
        if not query.has_terms and not query.filters and not names:
            self.searched.emit(outcome())
            return
        notices = () if request.quiet else query_notices(service.encoder, text_of(query))
        first_k = min(FIRST_PAGE, request.k)
        try:
            within = None if request.folder is None else photo_ids_below(service.catalog,
                                                                         request.folder)  # fmt: skip
            if names:
                assert self._collections is not None  # names come only with it
                collections = self._collections()
                check_names(collections, names)
                if not query.has_terms and not dataclasses.replace(query.filters, collections=()):
                    members = members_best_first(service.catalog, collections, names, query,
                                                 request.k, within)  # fmt: skip
                    self.searched.emit(outcome(members))
                    return
                within = within_collections(collections, names, within)
            first = service.find(query, first_k, rest=True, within=within)
        except QueryError as exc:
            self.searched.emit(outcome(query_error=str(exc)))
            return
        except PhotofindError as exc:
            self.searched.emit(outcome(error=str(exc)))
            return
        if len(first.hits) < first_k or request.k <= FIRST_PAGE:
            self.searched.emit(outcome(first, notices=notices))
            return
        self.searched.emit(outcome(first, notices=notices, complete=False))
        if self._overtaken():
            return
        rest = service.find(query, request.k, rest=True, within=within)
        self.searched.emit(outcome(rest, notices=notices))


def picture_groups(service: SearchService, result: SearchResult) -> Groups:
    """The groups of ``result``'s hits that show one picture; none when the catalog cannot
    be read now, since every hit is then still shown, one cell each."""
    try:
        return same_picture_groups(service.catalog, service.index,
                                   [h.photo_id for h in result.hits])  # fmt: skip
    except PhotofindError:
        return ()


def with_images(query: Query, images: tuple[Path | bytes, ...]) -> Query:
    """``query`` with the query images as terms of their own (the photo + "at night")."""
    if not images:
        return query
    return dataclasses.replace(query, terms=query.terms + tuple(Term(None, i) for i in images))


def text_of(query: Query) -> str:
    """The words of the query's text terms: what the model has to read."""
    return " ".join(t.text for t in query.terms if t.text)
