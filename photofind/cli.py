"""The ``photofind`` command: argparse, printing and exit codes over :mod:`photofind.core`.

::

    photofind [--data-dir DIR] [--model NAME_OR_DIR] [--provider auto|cpu|cuda] COMMAND
      gui                       open the window (the default when no command is given)
      index [PATH ...]          add PATHs as library folders, then bring the index up to date
      search TEXT [-k N] [--json]
      similar IMAGE [-k N] [--json]
      status [--json]

Exit codes: 0 success (also when some photos could not be read), 1 an error a user can act
on (its sentence is printed as ``photofind: ...``), 2 a usage error, 130 stopped by Ctrl+C.
Unexpected errors print one line and leave the traceback in a log file.

File names are bytes on POSIX and need not be valid UTF-8; Python hands them over with the
undecodable bytes as lone surrogates (PEP 383). Output never fails on them:

* Text output escapes what cannot be encoded (``caf\\udce9.jpg``) and control characters
  (a name holding a newline prints as ``a\\nb.jpg``), so every path is exactly one line.
* ``--json`` output is ASCII (``json.dumps`` escapes everything else): a lone surrogate is
  written as ``\\udce9``, which is valid JSON. A reader gets the exact file name back with
  ``os.fsencode(result["path"])`` (or opens ``result["path"]`` directly in Python).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from photofind import __version__
from photofind.core.config import PROVIDERS, AppPaths, app_paths, default_model, default_provider
from photofind.core.errors import ImageError, PhotofindError
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library, open_library

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_K = 20
MAX_LISTED_FAILURES = 20  # enough to see what went wrong; the rest is in 'photofind status'
PLAIN_PROGRESS_EVERY_S = 2.0  # without a terminal (a log, CI), one progress line this often
TTY_REDRAW_EVERY_S = 0.1  # redrawing faster than this only costs time
BAR_WIDTH = 20
LOG_FILE_MAX_BYTES = 1 << 20  # past this the error log starts afresh rather than growing
EMPTY_LIBRARY = "No photos are indexed yet; run 'photofind index FOLDER' first."
NO_FOLDERS = "There are no library folders yet; add one with 'photofind index FOLDER'."
STOPPED = "Stopped; run 'photofind index' again to continue."

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: newlines, terminal escapes


class UsageError(Exception):
    """The command line asks for something impossible: one sentence, exit code 2."""


# -- output ------------------------------------------------------------------------------


def one_line(text: object) -> str:
    """``text`` (a path or a message) as one printable line: control characters escaped."""
    text = os.fsdecode(text) if isinstance(text, os.PathLike | bytes) else str(text)
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def out(line: str = "") -> None:
    print(line, flush=True)


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _reconfigure_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):  # replaced or closed streams
            stream.reconfigure(errors="backslashreplace")


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    err(f"photofind: warning: {one_line(message)}")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m"


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

    def __init__(self, stream=None) -> None:
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
            parts.append(f"{p.images_per_s:.1f} photos/s")
        if p.eta_s is not None and p.done < p.total:
            parts.append(f"about {_duration(p.eta_s)} left")
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


# -- commands ----------------------------------------------------------------------------


@contextlib.contextmanager
def _library(args: argparse.Namespace, paths: AppPaths) -> Iterator[Library]:
    library = open_library(paths, args.model, args.provider)
    try:
        yield library
    finally:
        library.close()


def cmd_gui(args: argparse.Namespace, paths: AppPaths) -> int:
    app = importlib.import_module("photofind.gui.app")  # Qt loads only for the window
    return app.main(paths, args.model, args.provider)


def cmd_demo(args: argparse.Namespace, paths: AppPaths) -> int:
    app = importlib.import_module("photofind.gui.app")
    return app.main(paths, args.model, args.provider, demo=True)


def cmd_install_desktop(args: argparse.Namespace, paths: AppPaths) -> int:
    from photofind.desktop import data_home, install_desktop_entry

    try:
        written = install_desktop_entry()
    except OSError as exc:
        raise PhotofindError(
            f"The menu entry cannot be written ({exc.strerror or exc}); check that "
            f"{one_line(data_home())} is writable."
        ) from exc
    for path in written:
        out(f"Wrote {one_line(path)}")
    return EXIT_OK


@contextlib.contextmanager
def _ctrl_c_sets(cancel: threading.Event, notify: Callable[[str], None]) -> Iterator[None]:
    """While inside, the first Ctrl+C asks the indexer to stop cleanly; a second one quits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        notify("photofind: stopping after the current batch (press Ctrl+C again to quit now)…")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_index(args: argparse.Namespace, paths: AppPaths) -> int:
    folders = [Path(os.path.abspath(p)) for p in args.paths]
    for given, folder in zip(args.paths, folders, strict=True):
        if not folder.is_dir():
            raise UsageError(f"{one_line(given)} is not a folder; give a folder of photos.")
    with _library(args, paths) as library:
        for folder in folders:
            if library.catalog.add_folder(folder):
                out(f"Added folder {one_line(folder)}")
        known = library.catalog.folders()
        if not known:
            raise UsageError(NO_FOLDERS)
        for folder in known:
            if not folder.is_dir():
                err(f"photofind: {one_line(folder)} is not reachable now; its photos are kept.")
        cancel = threading.Event()
        view = ProgressView()
        last = IndexProgress("scanning")
        failed_now: list[tuple[Path, str]] = []
        try:
            with _ctrl_c_sets(cancel, view.note):
                for last in library.indexer().run(cancel):
                    failed_now += last.errors
                    view.update(last)
        finally:
            view.finish()
        out(
            f"Indexed {_plural(last.indexed, 'new photo')}, {last.reused} reused (renamed or "
            f"copied), {last.unchanged} unchanged, {last.failed} failed, {last.removed} removed."
        )
        if failed_now:
            _list_failures(failed_now, err, "in this run")
        if last.phase == "cancelled":
            err(STOPPED)
            return EXIT_INTERRUPTED
    return EXIT_OK


def _list_failures(
    failures: list[tuple[Path, str]], write: Callable[[str], None], where: str = "in the library"
) -> None:
    write(f"{_plural(len(failures), 'file')} {where} cannot be read:")
    for path, reason in failures[:MAX_LISTED_FAILURES]:
        write(f"  {one_line(path)}: {one_line(reason)}")
    if len(failures) > MAX_LISTED_FAILURES:
        write(f"  … and {len(failures) - MAX_LISTED_FAILURES} more; see 'photofind status'")


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        results = [{"path": os.path.abspath(os.fsdecode(h.path)), "score": h.score} for h in hits]
        out(json.dumps({"results": results}))
        return
    for hit in hits:
        out(f"{hit.score:.3f}  {one_line(hit.path)}")


def cmd_search(args: argparse.Namespace, paths: AppPaths) -> int:
    # Undecodable bytes in the query arrive as lone surrogates, which the tokenizer refuses.
    text = os.fsencode(args.text).decode("utf-8", errors="replace")
    if not text.strip():
        raise UsageError("Say what to look for, e.g. photofind search 'a dog on a beach'.")
    with _library(args, paths) as library:
        if library.counts().photos == 0:
            err(EMPTY_LIBRARY)
            hits = []
        else:
            hits = library.search.search(text=text, k=args.k)
    _print_hits(hits, args.json)
    return EXIT_OK


def cmd_similar(args: argparse.Namespace, paths: AppPaths) -> int:
    image = Path(os.path.abspath(args.image))
    if not image.is_file():
        raise UsageError(f"{one_line(args.image)} is not an image file.")
    with _library(args, paths) as library:
        if library.counts().photos == 0:
            err(EMPTY_LIBRARY)
            hits = []
        else:
            try:
                hits = library.search.search(images=[image], k=args.k)
            except ImageError as exc:
                raise UsageError(f"{one_line(args.image)}: {exc}") from None
    _print_hits(hits, args.json)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, paths: AppPaths) -> int:
    with _library(args, paths) as library:
        counts = library.counts()
        folders = library.catalog.folders()
        failures = library.catalog.failures()
        info = {
            "photos": counts.photos,
            "failed": counts.failed,
            "pending": counts.pending,
            "model": library.model_name,
            "provider": library.encoder.provider,
            "data_dir": os.fsdecode(paths.data_dir),
            "index_file": os.fsdecode(library.index.path),
            "folders": [os.fsdecode(f) for f in folders],
        }
    if args.json:
        out(json.dumps(info))
        return EXIT_OK
    out(f"Data folder:  {one_line(info['data_dir'])}")
    out(f"Model:        {one_line(info['model'])} ({info['provider']})")
    out(f"Search index: {one_line(info['index_file'])}")
    out(
        f"Photos:       {counts.photos} indexed, {counts.failed} unreadable, {counts.pending} pending"
    )
    if not folders:
        out(NO_FOLDERS)
    else:
        out("Library folders:")
    for folder in folders:
        note = "" if folder.is_dir() else "  (not reachable now)"
        out(f"  {one_line(folder)}{note}")
    if failures:
        _list_failures(failures, out)
    return EXIT_OK


# -- the command line --------------------------------------------------------------------


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return n


def _add_global_options(parser: argparse.ArgumentParser, *, with_defaults: bool) -> None:
    """On the main parser with defaults; on each command without, so that an option given
    after the command (``photofind index --data-dir D``) works and one before it is kept."""

    def default(value: object) -> object:
        return value if with_defaults else argparse.SUPPRESS

    shown = " (default: %(default)s)" if with_defaults else ""  # SUPPRESS has no value to show
    parser.add_argument(
        "--data-dir",
        default=default(None),
        metavar="DIR",
        help="where the catalog and index live (default: $PHOTOFIND_DATA_DIR or the user data folder)",
    )
    parser.add_argument(
        "--model",
        default=default(default_model()),
        metavar="NAME_OR_DIR",
        help="a model name or a model folder" + shown,
    )
    parser.add_argument(
        "--provider",
        default=default(default_provider()),
        choices=PROVIDERS,
        help="run the model on the CPU or a CUDA GPU" + shown,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photofind", description="Find photos in your own library by what they show."
    )
    parser.add_argument("--version", action="version", version=f"photofind {__version__}")
    _add_global_options(parser, with_defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        _add_global_options(sub, with_defaults=False)
        sub.set_defaults(handler=handler)
        return sub

    command("gui", cmd_gui, "open the window (the default when no command is given)")
    command(
        "demo", cmd_demo, "open the window on a generated demo library (works offline)"
    )
    command(
        "install-desktop",
        cmd_install_desktop,
        "add photofind to your desktop's application menu (this user only)",
    )
    index = command(
        "index", cmd_index, "add folders to the library, then bring the index up to date"
    )
    index.add_argument("paths", nargs="*", metavar="PATH", help="a folder of photos to add")
    search = command("search", cmd_search, "find photos that match a description")
    search.add_argument("text", metavar="TEXT")
    similar = command("similar", cmd_similar, "find photos that look like an image")
    similar.add_argument("image", metavar="IMAGE")
    for sub in (search, similar):
        sub.add_argument(
            "-k",
            type=_positive_int,
            default=DEFAULT_K,
            help="how many results (default: %(default)s)",
        )
        sub.add_argument("--json", action="store_true", help="print the results as JSON")
    status = command("status", cmd_status, "show what is indexed, where, and with which model")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.set_defaults(handler=cmd_gui)
    return parser


def _log_unexpected(paths: AppPaths | None) -> str:
    """Append the traceback to the error log; returns where it went."""
    folders = ([paths.log_dir] if paths else []) + [Path(tempfile.gettempdir())]
    for folder in folders:
        log_file = folder / "photofind-errors.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            big = log_file.exists() and log_file.stat().st_size > LOG_FILE_MAX_BYTES
            with open(
                log_file, "w" if big else "a", encoding="utf-8", errors="backslashreplace"
            ) as f:
                f.write(f"--- {datetime.datetime.now().isoformat(timespec='seconds')} ")
                f.write(f"photofind {__version__}, argv {sys.argv!r}\n{traceback.format_exc()}\n")
            return os.fsdecode(log_file)
        except OSError:
            continue
    return "no log file could be written"


def main(argv: list[str] | None = None) -> int:
    _reconfigure_streams()
    logging.basicConfig(format="photofind: %(message)s", level=logging.WARNING)
    paths = None
    with warnings.catch_warnings():
        warnings.showwarning = _print_warning
        try:
            args = build_parser().parse_args(argv)
            paths = app_paths(args.data_dir)
            return args.handler(args, paths)
        except SystemExit as exc:  # argparse has printed the usage message or the help
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        except UsageError as exc:
            err(f"photofind: {one_line(exc)}")
            return EXIT_USAGE
        except PhotofindError as exc:
            err(f"photofind: {one_line(exc)}")
            return EXIT_ERROR
        except KeyboardInterrupt:
            err(("\n" if sys.stderr.isatty() else "") + "photofind: stopped.")
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # the reader went away (photofind search x | head -1)
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_ERROR
        except Exception as exc:
            where = _log_unexpected(paths)
            err(
                f"photofind: unexpected error: {one_line(exc) or type(exc).__name__}; please "
                f"report it (details in {one_line(where)})"
            )
            return EXIT_ERROR
