"""Worker threads that read and decode photos for the indexer, and may be given up on.

Why not ``ThreadPoolExecutor``: its threads are joined at interpreter exit, so one read
that never returns (a stalled network share, a drive that stopped answering) would keep
the process alive after the user asked it to quit, and the executor cannot replace a
stuck thread. Here the threads are daemons; the caller waits for each result with a
deadline, and a job it gives up on leaves its thread behind (it ends when its read does)
while a fresh thread takes its place, up to a bound.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Job(Generic[T]):
    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn = fn
        self.future: Future[T] = Future()
        self.started_at: float | None = None  # time.monotonic() when a thread took it
        self.finished = False
        self.abandoned = False


class ReadPool(Generic[T]):
    """Daemon threads running jobs in submission order."""

    def __init__(self, workers: int, *, max_abandoned: int, name: str = "photofind-read") -> None:
        self._jobs: queue.SimpleQueue[Job[T] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._name = name
        self._max_abandoned = max_abandoned
        self._abandoned = 0
        self._serving = 0  # threads not stuck in a job given up on
        self._started = 0
        for _ in range(max(1, workers)):
            self._start_thread()

    @property
    def serving(self) -> int:
        """Threads still taking jobs; 0 means a queued job will never start."""
        return self._serving

    def submit(self, fn: Callable[[], T]) -> Job[T]:
        job: Job[T] = Job(fn)
        self._jobs.put(job)
        return job

    def abandon(self, job: Job[T]) -> bool:
        """Give up on a job that has not finished. False when it finished meanwhile (its
        result is there to take). A started job's thread is replaced while fewer than
        ``max_abandoned`` threads have been left behind."""
        with self._lock:
            if job.finished:
                return False
            job.abandoned = True
            if not job.future.cancel() and job.started_at is not None:
                self._serving -= 1
                self._abandoned += 1
                if self._abandoned <= self._max_abandoned:
                    self._start_thread()
            return True

    def close(self) -> None:
        """Queued jobs never start; idle threads end. Nothing is waited for."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.future.cancel()
        with self._lock:
            for _ in range(self._serving):
                self._jobs.put(None)

    def _start_thread(self) -> None:
        self._serving += 1
        self._started += 1
        thread = threading.Thread(
            target=self._serve, name=f"{self._name}-{self._started}", daemon=True
        )
        thread.start()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            with self._lock:
                if not job.future.set_running_or_notify_cancel():
                    continue
                job.started_at = time.monotonic()
            try:
                result = job.fn()
            except BaseException as exc:
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)
            with self._lock:
                job.finished = True
                if job.abandoned:
                    return  # a fresh thread already serves in this one's place
