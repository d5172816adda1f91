"""The one place every uncaught error goes, from any thread, in the window and on the
command line alike. No Qt in here.

:func:`install` points ``sys.excepthook`` and ``threading.excepthook`` here and opens the
app's one rotating log file in the log folder. Workers catch exceptions at the edge of each
job and call :func:`report` with them, which is the same path; so does the CLI for an error
that reaches its ``main``. Every report is logged with its traceback and handed to the
subscribers as an :class:`ErrorReport`; the GUI subscribes and shows a copyable dialog, and
the process keeps running.

Reports are logged on the :data:`REPORTS_LOGGER` logger. A front end that echoes log
records to a terminal leaves those out: it tells the user about the error itself, in one
line, and the traceback belongs in the file.

Subscribers are called on the thread that raised: a subscriber that touches widgets must
hand the report over to the UI thread itself (the GUI's presenter does this with a queued
signal).
"""

from __future__ import annotations

import logging
import logging.handlers
import platform
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from photofind import __version__

log = logging.getLogger("photofind")
REPORTS_LOGGER = "photofind.errors"
_reports_log = logging.getLogger(REPORTS_LOGGER)

LOG_FILE = "photofind.log"
LOG_MAX_BYTES = 1_000_000  # a few thousand reports; enough history for a bug report
LOG_BACKUPS = 3


@dataclass(frozen=True)
class ErrorReport:
    summary: str  # "ValueError: bad thing", one line
    details: str  # everything a bug report needs: versions, thread, traceback
    thread: str
    when: float


Subscriber = Callable[[ErrorReport], None]

_lock = threading.Lock()
_subscribers: list[Subscriber] = []
_previous_hooks: (
    tuple[
        Callable[[type[BaseException], BaseException, TracebackType | None], object],
        Callable[[threading.ExceptHookArgs], object],
    ]
    | None
) = None
_handler: logging.Handler | None = None
_log_path: Path | None = None


def subscribe(callback: Subscriber) -> Callable[[], None]:
    """Call ``callback`` with every report from now on; returns the function that stops it."""
    with _lock:
        _subscribers.append(callback)

    def unsubscribe() -> None:
        with _lock:
            if callback in _subscribers:
                _subscribers.remove(callback)

    return unsubscribe


def _versions() -> str:
    from importlib import metadata

    parts = [f"Python {platform.python_version()}", platform.platform()]
    for dist in ("photofind", "PySide6-Essentials", "onnxruntime", "numpy", "pillow", "hnswlib"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join(parts)


def make_report(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    thread_name: str | None = None,
) -> ErrorReport:
    thread_name = thread_name or threading.current_thread().name
    summary = "".join(traceback.format_exception_only(exc_type, exc)).strip().splitlines()[-1]
    trace = "".join(traceback.format_exception(exc_type, exc, tb))
    when = time.time()
    details = (
        f"photofind error report, {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(when))}\n"
        f"Thread: {thread_name}\n{_versions()}\n\n{trace}"
    )
    return ErrorReport(summary, details, thread_name, when)


def report(exc: BaseException, *, thread_name: str | None = None, context: str = "") -> ErrorReport:
    """Log an exception that nothing above could handle and tell the subscribers.

    ``context`` is logged with it: what the process was doing (the CLI passes its argv)."""
    return _dispatch(type(exc), exc, exc.__traceback__, thread_name, context)


def _dispatch(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    thread_name: str | None = None,
    context: str = "",
) -> ErrorReport:
    error_report = make_report(exc_type, exc, tb, thread_name)
    _reports_log.error(
        "Uncaught error in thread %s, photofind %s%s",
        error_report.thread,
        __version__,
        f", {context}" if context else "",
        exc_info=(exc_type, exc, tb),
    )
    with _lock:
        subscribers = list(_subscribers)
    for callback in subscribers:
        try:
            callback(error_report)
        except Exception:  # a broken subscriber must not hide the report or loop back here
            _reports_log.exception("An error report could not be shown")
    return error_report


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    _dispatch(exc_type, exc, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else None
    # exc_value is None only for an exception raised as a bare class with no instance made
    exc = args.exc_value if args.exc_value is not None else args.exc_type()
    _dispatch(args.exc_type, exc, args.exc_traceback, name)


def _open_log(folders: list[Path]) -> tuple[logging.Handler | None, Path | None]:
    for folder in folders:
        path = folder / LOG_FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        except OSError:
            continue
        return handler, path
    return None, None


def install(
    log_dir: Path | None, *, fallback_dir: Path | None = None, to_stderr: bool = True
) -> Path | None:
    """Route uncaught exceptions here and log to ``log_dir/photofind.log`` (rotating), or to
    ``fallback_dir/photofind.log`` when ``log_dir`` cannot be written.

    Returns the log file's path, or None when no folder can be written: records then go to
    stderr with ``to_stderr`` (the window still shows its reports), or nowhere (a terminal
    front end, which must not print tracebacks). Installing again keeps the first log."""
    global _previous_hooks, _handler, _log_path
    if _handler is None:
        folders = [Path(f) for f in (log_dir, fallback_dir) if f is not None]
        handler, _log_path = _open_log(folders)
        if handler is None:
            handler = logging.StreamHandler(sys.stderr) if to_stderr else logging.NullHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        )
        handler.setLevel(logging.INFO)
        log.addHandler(handler)
        if log.getEffectiveLevel() > logging.INFO:
            log.setLevel(logging.INFO)
        _handler = handler
    if _previous_hooks is None:
        _previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = _excepthook
        threading.excepthook = _thread_excepthook
    return _log_path


def installed() -> bool:
    return _previous_hooks is not None


def uninstall() -> None:
    global _previous_hooks, _handler, _log_path
    if _previous_hooks is not None:
        sys.excepthook, threading.excepthook = _previous_hooks
        _previous_hooks = None
    if _handler is not None:
        log.removeHandler(_handler)
        _handler.close()
        _handler = None
        _log_path = None
