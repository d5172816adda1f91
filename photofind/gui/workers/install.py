"""Installing a model off the UI thread (the Models dialog's Install and Import)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from photofind.core import errorsink
from photofind.core.errors import PhotofindError
from photofind.core.models.install import InstallProgress
from photofind.gui.workers import track_thread


@dataclass(frozen=True)
class InstallOutcome:
    name: str
    last: InstallProgress | None  # "installed" (with its result) or "cancelled"; None on error
    error: str | None = None  # the core's sentence (no network, disk full, damaged download)
    source: Path | None = None  # the folder it was imported from; None for a download

    @property
    def installed(self) -> bool:
        return self.last is not None and self.last.result is not None


class InstallThread(QThread):
    """Downloads and installs one model (the Models dialog's Install), or copies one in from
    a folder (``source``, its Import).

    Why a thread: a download takes minutes, a copy from a USB stick too, and the dialog
    shows its progress meanwhile. It
    consumes the core's install generator one item at a time. :meth:`request_stop` (Cancel,
    or the window closing) sets the Event the generator watches: the download stops at its
    next chunk, the staging folder is deleted and the last item is "cancelled", which ends
    the thread; nothing is installed."""

    progressed = Signal(InstallProgress)
    ended = Signal(InstallOutcome)  # always the last signal

    def __init__(
        self,
        name: str,
        steps: Callable[[threading.Event], Iterator[InstallProgress]],
        parent: QObject | None = None,
        source: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-install")
        self.name = name
        self.source = source
        self._steps = steps
        self._cancel = threading.Event()
        track_thread(self)

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
            self._end(None, str(exc))
            return
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if self.source is None:
                self._end(None, f"{self.name} could not be installed: {reason}.")
            else:
                self._end(
                    None,
                    f"{self.name} could not be imported: {reason}; check the folder and its "
                    "drive, then import it again.",
                )
            return
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())
            self._end(None, "The install failed; the error was reported.")
            return
        self._end(last)

    def _end(self, last: InstallProgress | None, error: str | None = None) -> None:
        self.ended.emit(InstallOutcome(self.name, last, error, self.source))
