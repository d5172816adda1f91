"""The ``photofind`` command: argparse, printing and exit codes over :mod:`photofind.core`.

::

    photofind [--data-dir DIR] [--model NAME_OR_DIR] [--provider auto|cpu|cuda] COMMAND
      gui                       open the window (the default when no command is given)
      index [PATH ...]          add PATHs as library folders, then bring the index up to date
      search TEXT [-k N] [--json]
      similar IMAGE [-k N] [--json]
      status [--json]
      model list [--json]       the recommended and installed models; * marks the active one
      model install NAME [--int8]   download a model (HF_ENDPOINT or huggingface.co)
      model use NAME            make NAME the model that index/search/similar use
      model import DIR [--name NAME] [--int8]   install a model folder (models/export.py)
      model remove NAME         delete a model, its vectors and its search index

Without --model, a command uses $PHOTOFIND_MODEL, else the model chosen with 'model use',
else tiny-shapes.

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
from photofind.core.config import (
    DEFAULT_MODEL,
    MODEL_ENV,
    PROVIDERS,
    AppPaths,
    app_paths,
    default_provider,
)
from photofind.core.errors import ImageError, PhotofindError
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library, open_library
from photofind.core.models import (
    active_model,
    chosen_model,
    list_models,
    load_registry,
    remove_model,
    set_active_model,
)
from photofind.core.models.install import InstallProgress, import_model, install_model
from photofind.core.scanner import is_empty_folder

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
STOP_INDEXING = "photofind: stopping after the current batch (press Ctrl+C again to quit now)…"
STOP_DOWNLOAD = "photofind: stopping the download (press Ctrl+C again to quit now)…"
MB = 1_000_000

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
def _ctrl_c_sets(
    cancel: threading.Event, notify: Callable[[str], None], message: str = STOP_INDEXING
) -> Iterator[None]:
    """While inside, the first Ctrl+C asks the work (indexing, a download) to stop cleanly by
    setting ``cancel`` and says ``message``; a second one quits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        notify(message)

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
            elif is_empty_folder(folder):
                err(
                    f"photofind: {one_line(folder)} is empty (an unplugged drive?); its photos "
                    "are kept until you remove the folder from the library."
                )
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
        if library.switching and library.after_index_run():
            out(f"Searches now use {one_line(library.model_name)}.")
        elif library.switching:
            err(
                f"photofind: searches keep using {one_line(library.search_model_name)} until "
                f"{one_line(library.model_name)} has indexed every photo."
            )
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
            "search_model": library.search_model_name,
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
    if library.switching:
        out(
            f"Searches:     answered by {one_line(info['search_model'])} until "
            f"{one_line(info['model'])} has indexed every photo ({counts.pending} to go)"
        )
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


# -- models ------------------------------------------------------------------------------

INSTALL_STEPS = {
    "connecting": "Asking the model server for {name}…",
    "verifying": "Checking the downloaded files…",
    "testing": "Testing the model…",
    "quantizing": "Making the int8 image encoder and comparing it with the original…",
    "installing": "Installing…",
}


def _size(n_bytes: int | None) -> str:
    if n_bytes is None:
        return "-"
    mb = n_bytes / MB
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:,.0f} MB"


class TransferView(ProgressView):
    """Draws an install's progress: the bytes as a bar (or a line every few seconds without a
    terminal), and each other step once."""

    def __init__(self, stream=None) -> None:
        super().__init__(stream)
        self._phase: str | None = None
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
        done, total = _size(p.done_bytes).removesuffix(" MB"), _size(p.total_bytes)
        percent = 100 * p.done_bytes // p.total_bytes if p.total_bytes else 0
        parts = [f"{verb} {p.name}: {done}/{total} ({percent}%)"]
        if self.tty and p.total_bytes:
            filled = BAR_WIDTH * min(p.done_bytes, p.total_bytes) // p.total_bytes
            parts[0] = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] " + parts[0]
        if p.bytes_per_s > 0:
            parts.append(f"{p.bytes_per_s / MB:.1f} MB/s")
        if p.eta_s is not None:
            parts.append(f"about {_duration(p.eta_s)} left")
        return ", ".join(parts)


def _quiet_hub_logs() -> None:
    """huggingface_hub prints its retries and warnings itself; photofind says what matters."""
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)


def _run_install(steps: Iterator[InstallProgress], cancel: threading.Event) -> InstallProgress:
    _quiet_hub_logs()
    view = TransferView()
    last = InstallProgress("cancelled", "")
    try:
        with _ctrl_c_sets(cancel, view.note, STOP_DOWNLOAD):
            for last in steps:
                view.transfer(last)
    finally:
        view.finish()
    return last


def _report_install(last: InstallProgress, paths: AppPaths) -> int:
    if last.phase == "cancelled" or last.result is None:
        err("Stopped; nothing was installed.")
        return EXIT_INTERRUPTED
    r = last.result
    if r.already_installed:
        out(f"{r.name} is already installed ({_size(r.size_bytes)}) in {one_line(r.path)}.")
    else:
        out(f"Installed {r.name} ({_size(r.size_bytes)}) in {one_line(r.path)}.")
    if r.int8 is not None and r.int8.kept:
        out(
            f"Its image encoder runs in int8 (agreement with the original: cosine "
            f"{r.int8.cosine:.4f})."
        )
    elif r.int8 is not None:
        out(
            f"The int8 image encoder was not kept: it agrees with the original only to cosine "
            f"{r.int8.cosine:.4f} ({r.int8.threshold} needed), so {r.name} runs in full precision."
        )
    elif r.int8_active:
        out("Its image encoder runs in int8.")
    if active_model(paths) != r.name:
        out(f"Use it with 'photofind model use {r.name}'.")
    return EXIT_OK


def cmd_model_install(args: argparse.Namespace, paths: AppPaths) -> int:
    cancel = threading.Event()
    steps = install_model(paths, args.name, int8=args.int8, cancel=cancel)
    return _report_install(_run_install(steps, cancel), paths)


def cmd_model_import(args: argparse.Namespace, paths: AppPaths) -> int:
    cancel = threading.Event()
    steps = import_model(paths, args.folder, name=args.name, int8=args.int8, cancel=cancel)
    return _report_install(_run_install(steps, cancel), paths)


def cmd_model_use(args: argparse.Namespace, paths: AppPaths) -> int:
    previous = chosen_model(paths)
    set_active_model(paths, args.name)
    overriding = os.environ.get(MODEL_ENV)
    if overriding and overriding != args.name:
        err(
            f"photofind: {MODEL_ENV}={one_line(overriding)} is set and comes first; unset it "
            f"to use {args.name}."
        )
    if previous == args.name:
        out(f"{args.name} is already the active model.")
        return EXIT_OK
    out(f"{args.name} is now the active model; run 'photofind index' to index your photos with it.")
    if previous != DEFAULT_MODEL:
        out(f"The vectors of {previous} are kept until 'photofind model remove {previous}'.")
    return EXIT_OK


def cmd_model_remove(args: argparse.Namespace, paths: AppPaths) -> int:
    removed = remove_model(paths, args.name)
    out(
        f"Removed {removed.name}: {_size(removed.freed_bytes)} freed, "
        f"{_plural(removed.vectors, 'photo vector')} deleted."
    )
    return EXIT_OK


def cmd_model_list(args: argparse.Namespace, paths: AppPaths) -> int:
    registry = load_registry()
    rows = list_models(paths, registry)
    active = active_model(paths)
    if args.json:
        models = [
            {
                "name": r.name,
                "installed": r.installed,
                "builtin": r.builtin,
                "active": r.active,
                "int8": r.int8,
                "size_bytes": r.size_bytes,
                "approx_download_mb": r.entry.approx_download_mb if r.entry else None,
                "repo": r.entry.repo if r.entry else None,
                "embed_dim": r.entry.embed_dim if r.entry else None,
                "languages": list(r.languages) if r.languages else None,
                "license": r.entry.license if r.entry else None,
                "recall": r.recall,
                "recommended": r.recommended,
                "recommended_multilingual": r.recommended_multilingual,
                "problem": r.problem,
            }
            for r in rows
        ]
        out(json.dumps({"active": active, "models": models}))
        return EXIT_OK
    width = max(len(r.name) for r in rows)
    out(f"  {'NAME':<{width}}  {'INSTALLED':<15}  {'SIZE':>9}  {'LANGUAGES':<12}  {'RECALL':>6}")
    for r in rows:
        if r.builtin:
            state = "built in"
        elif r.installed:
            state = "damaged" if r.problem else ("yes, int8" if r.int8 else "yes")
        else:
            state = "no"
        if r.installed:
            size = _size(r.size_bytes)
        else:
            size = f"~{r.entry.approx_download_mb:,} MB" if r.entry else "-"
        languages = ", ".join(r.languages) if r.languages else "-"
        recall = f"{r.recall:.1f}%" if r.recall is not None else "-"
        notes = []
        if r.recommended:
            notes.append("recommended")
        if r.recommended_multilingual:
            notes.append("recommended for other languages")
        if r.installed and r.entry is None and not r.builtin:
            notes.append("imported")
        mark = "*" if r.active else " "
        line = f"{mark} {r.name:<{width}}  {state:<15}  {size:>9}  {languages:<12}  {recall:>6}"
        out((line + ("  " + "; ".join(notes) if notes else "")).rstrip())
    if not any(r.active for r in rows):
        out(f"Active model: {one_line(active)}")
    out("* the active model. Recall: " + registry.recall_source)
    for r in rows:
        if r.problem:
            err(f"photofind: {r.name}: {one_line(r.problem)}")
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
        default=default(None),
        metavar="NAME_OR_DIR",
        help=f"a model name or a model folder (default: ${MODEL_ENV}, else the one chosen with "
        f"'photofind model use', else {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--provider",
        default=default(default_provider()),
        choices=PROVIDERS,
        help="run the model on the CPU or a CUDA GPU" + shown,
    )


def _add_model_commands(commands) -> None:
    """``photofind model ACTION``: list, install, use, import, remove."""
    group_help = "list, install, choose and remove models"
    model = commands.add_parser("model", help=group_help, description=group_help)
    _add_global_options(model, with_defaults=False)
    actions = model.add_subparsers(dest="model_action", metavar="ACTION", required=True)

    def action(name: str, handler, help: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help, description=help)
        _add_global_options(sub, with_defaults=False)
        sub.set_defaults(handler=handler)
        return sub

    listing = action("list", cmd_model_list, "the recommended and the installed models")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    install = action(
        "install", cmd_model_install, "download a model from the model server and install it"
    )
    install.add_argument(
        "name",
        metavar="NAME",
        help="a name from 'photofind model list', or a repository owner/name",
    )
    use = action("use", cmd_model_use, "make a model the one that index, search and similar use")
    use.add_argument("name", metavar="NAME")
    imported = action("import", cmd_model_import, "install a model folder in the Immich layout")
    imported.add_argument("folder", metavar="DIR")
    imported.add_argument("--name", help="install it under this name (default: the folder's name)")
    for sub in (install, imported):
        sub.add_argument(
            "--int8",
            action="store_true",
            help="also make an int8 image encoder (faster on a CPU); kept only if it agrees "
            "with the original",
        )
    remove = action("remove", cmd_model_remove, "delete a model, its vectors and its search index")
    remove.add_argument("name", metavar="NAME")


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
    _add_model_commands(commands)
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
            if args.model is None:
                args.model = active_model(paths)
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
