"""Work that must never run on the UI thread: searching, indexing, decoding thumbnails,
installing models, one-off jobs. One module per kind of work.

Each worker declares its signals, which carry frozen dataclasses; views connect before a
job starts, and nothing here touches a widget or a Qt model. An exception that escapes a
job goes to :mod:`photofind.core.errorsink` and the worker lives on.

Every thread and pool made here is registered, so that the tests can check that none
outlives the test that started it.
"""

from __future__ import annotations

import threading
import weakref

import shiboken6
from PySide6.QtCore import QThread, QThreadPool

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()
_pools: weakref.WeakSet[QThreadPool] = weakref.WeakSet()
_python_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def track_thread(thread: QThread) -> None:
    _threads.add(thread)


def track_pool(pool: QThreadPool) -> None:
    _pools.add(pool)


def track_python_thread(thread: threading.Thread) -> None:
    """A core thread the window runs (the library watcher), checked like the QThreads."""
    _python_threads.add(thread)


def live_python_threads() -> list[threading.Thread]:
    return [t for t in list(_python_threads) if t.is_alive()]


def live_threads() -> list[QThread]:
    """Threads started here that are still running (the tests check none outlives a test)."""
    return [t for t in list(_threads) if shiboken6.isValid(t) and t.isRunning()]


def busy_pools() -> list[QThreadPool]:
    return [p for p in list(_pools) if shiboken6.isValid(p) and p.activeThreadCount() > 0]
