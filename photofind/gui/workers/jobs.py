"""One-off jobs: a single function run on a pool thread, its outcome back on the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.core import errorsink
from photofind.core.errors import PhotofindError
from photofind.gui.workers import track_pool


@dataclass(frozen=True)
class JobOutcome:
    value: object
    error: str | None  # a user-facing sentence when the job raised PhotofindError or OSError


class Job(QObject):
    """A single function run on a pool thread (making the demo library, removing a folder's
    cache...), its outcome delivered by the ``done`` signal on the UI thread.

    Jobs given the same single-thread ``pool`` run one after another, in the order started.
    ``outcome`` is set before ``done`` is sent, so that whoever waits for a job (instead of
    receiving ``done``) can still release what it made."""

    done = Signal(JobOutcome)

    def __init__(
        self,
        fn: Callable[[], object],
        parent: QObject | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self._fn = fn
        self.outcome: JobOutcome | None = None
        if pool is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
            track_pool(pool)
        self._pool = pool

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
        self.outcome = outcome
        self.done.emit(outcome)
