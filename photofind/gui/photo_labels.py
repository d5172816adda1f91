"""A photo's top labels for the viewer's details panel: the built-in collections' labels
with their probabilities (:meth:`~photofind.core.collections.CollectionService.labels_for`).

Worked out on a thread of its own, since the first photo encodes every label's prompts with
the text model (a real model takes a moment); the viewer asks for each photo it shows, and
only the newest photo asked for is worked out next, so stepping quickly through a hundred
photos does not queue a hundred of them. Answers are kept, per model, for going back.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.core.classify import LabelProbability
from photofind.gui.library_session import LibrarySession
from photofind.gui.workers import track_pool
from photofind.gui.workers.jobs import Job, JobOutcome

KEPT = 512  # photos whose labels are kept: stepping back and forth costs nothing


class LabelsLoader(QObject):
    ready = Signal(int, list)  # photo id, [LabelProbability] most probable first

    def __init__(self, session: LibrarySession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._known: OrderedDict[int, list[LabelProbability]] = OrderedDict()
        self._wanted: int | None = None
        self._job: Job | None = None
        self._closed = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        track_pool(self._pool)
        session.reopened.connect(lambda _r: self._known.clear())  # another model, other labels

    def cached(self, photo_id: int) -> list[LabelProbability] | None:
        return self._known.get(photo_id)

    def request(self, photo_id: int) -> None:
        """``ready`` follows for this photo (at once when its labels are known)."""
        known = self._known.get(photo_id)
        if known is not None:
            self.ready.emit(photo_id, known)
            return
        self._wanted = photo_id
        if self._job is None:
            self._start()

    def _start(self) -> None:
        if self._closed or self._wanted is None:
            return
        photo_id, self._wanted = self._wanted, None
        library = self.session.library
        self._job = Job(
            lambda: (photo_id, library.collections.labels_for(photo_id)), self, self._pool
        )
        self._job.done.connect(self._on_done)  # a bound method: delivered on the UI thread
        self._job.start()

    def _on_done(self, outcome: JobOutcome) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.deleteLater()
        if self._closed:
            return
        if outcome.value is not None:
            photo_id, labels = outcome.value
            self._known[photo_id] = labels
            if len(self._known) > KEPT:
                self._known.popitem(last=False)
            self.ready.emit(photo_id, labels)
        self._start()  # the photo shown now, if the viewer moved on meanwhile

    def shutdown(self) -> None:
        self._closed = True
        self._pool.waitForDone()
