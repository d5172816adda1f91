"""Indexing never falls into the demo model by accident.

With no model chosen (no ``--model``, no ``$PHOTOFIND_MODEL``, no 'photofind model use'),
every command would use the built-in tiny-shapes, which knows six colours and four shapes:
a library of real photos indexed with it answers every search with confident nonsense.
So ``photofind index`` refuses to start that way: at a terminal it offers the download of
the recommended model (with its size) and waits for yes or no; anywhere else (a script, a
pipe) it exits 2 with one line naming the install command and ``--model tiny-shapes`` for
the offline demo. Choosing tiny-shapes on purpose (``--model``, ``model use``) works as
before. A search answered by a library indexed only with it says so
(:func:`photofind.cli.common.demo_answers_warning`).
"""

from __future__ import annotations

import argparse
import sys
import threading

from photofind.cli.common import EXIT_OK, UsageError, demo_by_fallback
from photofind.cli.model_commands import report_install, run_install
from photofind.cli.output import err, out
from photofind.core.config import DEFAULT_MODEL, AppPaths
from photofind.core.humanize import approx_size
from photofind.core.models import load_registry, real_models_installed, set_active_model
from photofind.core.models.install import install_model
from photofind.core.models.registry import RegistryModel

YES, NO = ("y", "yes"), ("n", "no")


def no_model_sentence(recommended: RegistryModel) -> str:
    return (
        f"No model for real photos is installed; install one with 'photofind model install "
        f"{recommended.name}' ({approx_size(recommended.approx_download_mb)} download), or "
        f"pass --model {DEFAULT_MODEL} for the offline demo of coloured shapes."
    )


def _at_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask(question: str) -> bool:
    """Yes or no from the terminal; the end of input is a no."""
    while True:
        print(question, end=" ", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
        if not answer:
            print(file=sys.stderr)
            return False
        answer = answer.strip().lower()
        if answer in YES or answer in NO:
            return answer in YES
        print("Please answer y or n.", file=sys.stderr)


def settle_model_for_indexing(args: argparse.Namespace, paths: AppPaths) -> int | None:
    """Before indexing: None to go on with ``args.model`` (a real model may have just been
    installed and made active), else the exit status to stop with, nothing indexed.

    Raises UsageError (exit 2) when the demo model would be used only because none was
    chosen and no model can be installed here and now."""
    if not demo_by_fallback(args):
        return None
    installed = real_models_installed(paths)
    if installed:
        names = ", ".join(installed)
        raise UsageError(
            f"No model is chosen; choose one of the installed models ({names}) with "
            f"'photofind model use NAME', or pass --model {DEFAULT_MODEL} for the offline demo."
        )
    registry = load_registry()
    recommended = registry.get(registry.default)
    assert recommended is not None  # load_registry checks that it lists its default
    if not _at_a_terminal():
        raise UsageError(no_model_sentence(recommended))
    err(
        f"photofind: only the demo model {DEFAULT_MODEL} is installed, which knows six colours "
        "and four shapes and nothing else."
    )
    languages = ", ".join(recommended.languages)
    question = (
        f"Download the recommended model {recommended.name} ({languages}, "
        f"{approx_size(recommended.approx_download_mb)}) and index with it? [y/n]"
    )
    if not _ask(question):
        raise UsageError(no_model_sentence(recommended))
    cancel = threading.Event()
    last = run_install(install_model(paths, recommended.name, cancel=cancel), cancel)
    if last.result is not None:
        set_active_model(paths, last.result.name)
    status = report_install(last, paths)
    if status != EXIT_OK:
        return status
    out(f"{recommended.name} is now the active model.")
    args.model, args.model_chosen = recommended.name, True
    return None
