"""Everything the CLI writes: one printable line per path or message, warnings, the progress
of indexing and of installs, and the list of files that cannot be read."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from photofind.core import errorsink
from photofind.core.humanize import photo_rate, plural, size, time_left, transfer_rate
from photofind.core.indexer import IndexProgress
from photofind.core.models.install_progress import INSTALL_STEPS, InstallPhase, InstallProgress

MAX_LISTED_FAILURES = 20  # enough to see what went wrong; the rest is in 'photofind status'
PLAIN_PROGRESS_EVERY_S = 2.0  # without a terminal (a log, CI), one progress line this often
TTY_REDRAW_EVERY_S = 0.1  # redrawing faster than this only costs time
BAR_WIDTH = 20

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: newlines, terminal escapes


def one_line(text: object) -> str:
    """``text`` (a path or a message) as one printable line: control characters escaped."""
    text = os.fsdecode(text) if isinstance(text, os.PathLike | bytes) else str(text)
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def out(line: str = "") -> None:
    print(line, flush=True)


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def reconfigure_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):  # replaced or closed streams
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


class _OneLineFormatter(logging.Formatter):
    """``photofind: message``, never a traceback: those go to the log file."""

    def format(self, record: logging.LogRecord) -> str:
        return f"photofind: {one_line(record.getMessage())}"


def log_to_stderr() -> None:
    """Warnings logged by photofind and its libraries, one line each on stderr. The error
    sink's reports are left out: the command prints its own line for those."""
    root = logging.getLogger()
    if root.handlers:  # configured already, by a program that embeds the CLI or a test run
        return
    handler = logging.StreamHandler()
    # The error sink lets photofind's info records through to its log file; not here.
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_OneLineFormatter())
    handler.addFilter(lambda record: record.name != errorsink.REPORTS_LOGGER)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def print_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    err(f"photofind: warning: {one_line(message)}")


def list_failures(
    failures: list[tuple[Path, str]], write: Callable[[str], None], where: str = "in the library"
) -> None:
    write(f"{plural(len(failures), 'file')} {where} cannot be read:")
    for path, reason in failures[:MAX_LISTED_FAILURES]:
        write(f"  {one_line(path)}: {one_line(reason)}")
    if len(failures) > MAX_LISTED_FAILURES:
        write(f"  … and {len(failures) - MAX_LISTED_FAILURES} more; see 'photofind status'")


def _shorten(name: str, width: int) -> str:
    if len(name) <= width:
        return name
    if width < 5:
        return ""
    head = (width - 1) // 2
    return name[:head] + "…" + name[len(name) - (width - 1 - head) :]


class ProgressView:
    """Draws the indexer's progress on stderr: one redrawn line on a terminal, else a plain
    line every few seconds, so that a log gets a record and not one line per photo."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_draw = 0.0
        self._width = 0  # of the line on screen, to blank what a shorter line leaves

    def update(self, p: IndexProgress) -> None:
        now = time.monotonic()
        if p.phase == "scanning":
            self._show("Looking for new and changed photos…")
            return
        if p.phase != "indexing" or not p.total:
            return
        every = TTY_REDRAW_EVERY_S if self.tty else PLAIN_PROGRESS_EVERY_S
        if now - self._last_draw >= every or p.done == 0:
            self._show(self._describe(p))
            self._last_draw = now

    def _describe(self, p: IndexProgress) -> str:
        percent = 100 * p.done // p.total
        parts = [f"Indexing {p.done}/{p.total} ({percent}%)"]
        if self.tty:
            filled = BAR_WIDTH * p.done // p.total
            parts[0] = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] " + parts[0]
        if p.images_per_s > 0:
            parts.append(photo_rate(p.images_per_s))
        if p.eta_s is not None and p.done < p.total:
            parts.append(time_left(p.eta_s, precise=True))
        text = ", ".join(parts)
        if self.tty and p.current is not None:
            room = shutil.get_terminal_size().columns - 1 - len(text) - 2
            name = _shorten(one_line(p.current.name), room)
            if name:
                text += "  " + name
        return text

    def _show(self, text: str) -> None:
        if not self.tty:
            print(text, file=self.stream, flush=True)
            return
        text = text[: shutil.get_terminal_size().columns - 1]
        print("\r" + text.ljust(self._width), end="", file=self.stream, flush=True)
        self._width = len(text)

    def note(self, text: str) -> None:
        """A message of its own between progress lines."""
        self.finish()
        err(text)

    def finish(self) -> None:
        """Leave the terminal on a fresh line."""
        if self.tty and self._width:
            print("\r" + " " * self._width + "\r", end="", file=self.stream, flush=True)
            self._width = 0


class TransferView(ProgressView):
    """Draws an install's progress: the bytes as a bar (or a line every few seconds without a
    terminal), and each other step once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._phase: InstallPhase | None = None
        self._shown = ""

    def transfer(self, p: InstallProgress) -> None:
        if p.phase in ("downloading", "copying"):
            now = time.monotonic()
            every = TTY_REDRAW_EVERY_S if self.tty else PLAIN_PROGRESS_EVERY_S
            complete = bool(p.total_bytes) and p.done_bytes >= p.total_bytes
            if p.phase != self._phase or now - self._last_draw >= every or complete:
                self._show_once(self._describe_transfer(p))
                self._last_draw = now
        elif p.phase in INSTALL_STEPS and p.phase != self._phase:
            self._show_once(INSTALL_STEPS[p.phase].format(name=p.name))
        self._phase = p.phase

    def _show_once(self, text: str) -> None:
        if text != self._shown:
            self._show(text)
            self._shown = text

    def _describe_transfer(self, p: InstallProgress) -> str:
        verb = "Downloading" if p.phase == "downloading" else "Copying"
        done, total = size(p.done_bytes).removesuffix(" MB"), size(p.total_bytes)
        percent = 100 * p.done_bytes // p.total_bytes if p.total_bytes else 0
        parts = [f"{verb} {p.name}: {done}/{total} ({percent}%)"]
        if self.tty and p.total_bytes:
            filled = BAR_WIDTH * min(p.done_bytes, p.total_bytes) // p.total_bytes
            parts[0] = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] " + parts[0]
        if p.bytes_per_s > 0:
            parts.append(transfer_rate(p.bytes_per_s))
        if p.eta_s is not None:
            parts.append(time_left(p.eta_s, precise=True))
        return ", ".join(parts)
