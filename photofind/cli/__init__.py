"""The ``photofind`` command: argparse, printing and exit codes over :mod:`photofind.core`.

::

    photofind [--data-dir DIR] [--model NAME_OR_DIR] [--provider auto|cpu|cuda] COMMAND
      gui [PATH ...]            open the window (the default when no command is given)
    photofind PATH ...          the same as 'photofind gui PATH ...' (PATH exists, is no command)
      index [PATH ...] [--low-impact]   add PATHs as library folders, then bring the index up to date
      watch [FOLDER ...] [--low-impact]   index, then keep indexing what changes until Ctrl+C
      search QUERY [-k N] [--all] [--json] [--in F] [--after D] [--before D] [--type T]
                [--camera C]   matches only, best first (see photofind.cli.search_commands)
      similar IMAGE [-k N] [--all] [--json] [the same filter options]
      status [--json]
      duplicates [--kind exact|same|similar] [--json]   duplicate groups, the one to keep first
      classify IMAGE... [--labels L1,L2] [--labels-file F] [--json]   zero-shot labels
      collection list|show|add|edit|on|off|include|exclude|reset|remove   smart collections
      folder list [--json]      the library folders: photos, and whether they can be read
      folder remove PATH        forget a library folder and its photos (the files stay)
      model list [--json]       the recommended and installed models; * marks the active one
      model install NAME [--int8]   download a model (HF_ENDPOINT or huggingface.co)
      model use NAME            make NAME the model that index/search/similar use
      model import DIR [--name NAME] [--int8]   install a model folder (models/export.py)
      model remove NAME         delete a model, its vectors and its search index
      repair [--salvage]        mend a damaged catalog from its backup or what it still holds

Without --model, a command uses $PHOTOFIND_MODEL, else the model chosen with 'model use',
else tiny-shapes; but 'index' never falls back to that demo model: it offers a real model
(or names the command that installs one), and a search answered by it says so.

Exit codes: 0 success (also when some photos could not be read), 1 an error a user can act
on (its sentence is printed as ``photofind: ...``), 2 a usage error, 130 stopped by Ctrl+C.
Unexpected errors print one line and leave the traceback in the log file the window writes
too (:mod:`photofind.core.errorsink`), as do errors in background threads.

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
import os
import sys
import tempfile
import warnings
from pathlib import Path

from photofind import __version__
from photofind.cli import (
    classify_commands,
    collection_commands,
    duplicate_commands,
    folder_commands,
    library_commands,
    model_commands,
    repair_commands,
    search_commands,
    watch_commands,
)
from photofind.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    add_global_options,
)
from photofind.cli.output import (
    err,
    log_to_stderr,
    one_line,
    print_warning,
    reconfigure_streams,
)
from photofind.core import errorsink
from photofind.core.config import AppPaths, app_paths
from photofind.core.errors import PhotofindError, write_error
from photofind.core.models import active_model, model_is_chosen

# Each family registers its subcommands with add_commands(commands); a new family is a new
# module here.
COMMAND_FAMILIES = (
    library_commands,
    search_commands,
    folder_commands,
    model_commands,
    repair_commands,
    watch_commands,
    classify_commands,
    collection_commands,
    duplicate_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photofind", description="Find photos in your own library by what they show."
    )
    parser.add_argument("--version", action="version", version=f"photofind {__version__}")
    add_global_options(parser, with_defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for family in COMMAND_FAMILIES:
        family.add_commands(commands)
    parser.set_defaults(handler=library_commands.cmd_gui)
    return parser


# The global options that take a value (``--data-dir DIR``): the word after one is no command.
_VALUE_OPTIONS = ("--data-dir", "--model", "--provider")


def _gui_for_paths(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``photofind PATH...`` is ``photofind gui PATH...``, as a file manager's "Open with"
    runs it: when the first word that is not an option is no command but an existing path.
    A command wins over a file of the same name in the current folder."""
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return argv
        if word.startswith("-"):
            # argparse takes an option's unambiguous prefix too (--data for --data-dir)
            takes_value = "=" not in word and any(o.startswith(word) for o in _VALUE_OPTIONS)
            i += 2 if takes_value and len(word) > 2 else 1
            continue
        if word not in commands and os.path.lexists(word):
            return [*argv[:i], "gui", *argv[i:]]
        return argv
    return argv


def _start_error_log(paths: AppPaths | None) -> Path | None:
    """The app's error log (a traceback on the terminal would help nobody), in the temp
    folder when the log folder cannot be written."""
    return errorsink.install(
        paths.log_dir if paths else None,
        fallback_dir=Path(tempfile.gettempdir()),
        to_stderr=False,
    )


def _with_hint(exc: PhotofindError) -> str:
    """The sentence, then the remedy only the command line offers (an option to pass)."""
    return f"{exc} {exc.hint}" if exc.hint else str(exc)


def main(argv: list[str] | None = None) -> int:
    reconfigure_streams()
    log_to_stderr()
    paths = None
    log_started_here = not errorsink.installed()
    with warnings.catch_warnings():
        warnings.showwarning = print_warning
        try:
            parser = build_parser()
            args = parser.parse_args(_gui_for_paths(parser, sys.argv[1:] if argv is None else argv))
            paths = app_paths(args.data_dir)
            if log_started_here:
                _start_error_log(paths)
            # Whether a person chose the model: photofind never indexes with the demo model
            # it fell back to (photofind.cli.first_model).
            args.model_chosen = args.model is not None or model_is_chosen(paths)
            if args.model is None:
                args.model = active_model(paths)
            return args.handler(args, paths)
        except SystemExit as exc:  # argparse has printed the usage message or the help
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        except UsageError as exc:
            err(f"photofind: {one_line(exc)}")
            return EXIT_USAGE
        except PhotofindError as exc:
            err(f"photofind: {one_line(_with_hint(exc))}")
            return EXIT_ERROR
        except KeyboardInterrupt:
            err(("\n" if sys.stderr.isatty() else "") + "photofind: stopped.")
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # the reader went away (photofind search x | head -1)
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_ERROR
        except OSError as exc:
            # A write the user's disk refused (full, read-only) anywhere below: their
            # sentence, not a report of a bug.
            where = Path(os.fsdecode(exc.filename)) if exc.filename else None
            if where is None and paths is not None:
                where = paths.data_dir
            mine = write_error(exc, where) if where is not None else None
            if mine is None:
                return _report_unexpected(exc, paths)
            err(f"photofind: {one_line(_with_hint(mine))}")
            return EXIT_ERROR
        except Exception as exc:
            return _report_unexpected(exc, paths)
        finally:
            if log_started_here:
                errorsink.uninstall()


def _report_unexpected(exc: Exception, paths: AppPaths | None) -> int:
    # Also when the error came before the log was started (paths unknown yet).
    log_file = _start_error_log(paths)
    errorsink.report(exc, context=f"argv {sys.argv!r}")
    where = log_file if log_file is not None else "no log file could be written"
    err(
        f"photofind: unexpected error: {one_line(exc) or type(exc).__name__}; please "
        f"report it (details in {one_line(where)})"
    )
    return EXIT_ERROR
