"""What every command family shares: exit codes, usage errors, the global options, the way a
command is registered, the library a command opens, and Ctrl+C during long work."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from photofind.cli.output import err
from photofind.core.config import DEFAULT_MODEL, MODEL_ENV, PROVIDERS, AppPaths, default_provider
from photofind.core.library import Library, open_library
from photofind.core.models import load_registry

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
STOP_INDEXING = "photofind: stopping after the current batch (press Ctrl+C again to quit now)…"

Handler = Callable[[argparse.Namespace, AppPaths], int]


class UsageError(Exception):
    """The command line asks for something impossible: one sentence, exit code 2."""


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return n


def add_global_options(parser: argparse.ArgumentParser, *, with_defaults: bool) -> None:
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


def add_command(
    commands: argparse._SubParsersAction, name: str, handler: Handler | None, help: str
) -> argparse.ArgumentParser:
    """A subcommand (or a group of them, with ``handler=None``) that takes the global options
    and runs ``handler(args, paths)``."""
    sub = commands.add_parser(name, help=help, description=help)
    add_global_options(sub, with_defaults=False)
    if handler is not None:
        sub.set_defaults(handler=handler)
    return sub


def demo_by_fallback(args: argparse.Namespace) -> bool:
    """The command is about to use the built-in demo model only because no model was chosen
    (no --model, no $PHOTOFIND_MODEL, no 'photofind model use')."""
    return args.model == DEFAULT_MODEL and not getattr(args, "model_chosen", True)


def answers_from_fallback_demo(args: argparse.Namespace, library: Library) -> bool:
    return (
        demo_by_fallback(args)
        and library.search_model_name == DEFAULT_MODEL
        and library.counts().photos > 0
    )


def demo_answers_warning() -> str:
    return (
        f"photofind: this library is indexed only with {DEFAULT_MODEL}, the demo model, which "
        "knows six colours and four shapes and nothing else; install a real model with "
        f"'photofind model install {load_registry().default}', choose it with 'photofind model "
        "use', then run 'photofind index'."
    )


@contextlib.contextmanager
def opened_library(
    args: argparse.Namespace, paths: AppPaths, *, read_only: bool = False
) -> Iterator[Library]:
    """``read_only`` for commands that only look: they then write nothing at all. Their
    answers come from the demo model when no one chose it: then they say so first."""
    library = open_library(paths, args.model, args.provider, read_only=read_only)
    try:
        if read_only and answers_from_fallback_demo(args, library):
            err(demo_answers_warning())
        yield library
    finally:
        library.close()


@contextlib.contextmanager
def ctrl_c_sets(
    cancel: threading.Event, notify: Callable[[str], None], message: str = STOP_INDEXING
) -> Iterator[None]:
    """While inside, the first Ctrl+C asks the work (indexing, a download) to stop cleanly by
    setting ``cancel`` and says ``message``; a second one quits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        notify(message)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
