"""``photofind model ACTION``: list, install, use, import and remove models."""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
from collections.abc import Iterator

from photofind.cli.common import EXIT_INTERRUPTED, EXIT_OK, add_command, ctrl_c_sets
from photofind.cli.output import TransferView, err, one_line, out
from photofind.core.config import DEFAULT_MODEL, MODEL_ENV, AppPaths
from photofind.core.humanize import approx_size, plural, size
from photofind.core.models import (
    active_model,
    chosen_model,
    list_models,
    load_registry,
    remove_model,
    set_active_model,
)
from photofind.core.models.install import InstallProgress, import_model, install_model

STOP_DOWNLOAD = "photofind: stopping the download (press Ctrl+C again to quit now)…"


def _quiet_hub_logs() -> None:
    """huggingface_hub prints its retries and warnings itself; photofind says what matters."""
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)


def run_install(steps: Iterator[InstallProgress], cancel: threading.Event) -> InstallProgress:
    _quiet_hub_logs()
    view = TransferView()
    last = InstallProgress("cancelled", "")
    try:
        with ctrl_c_sets(cancel, view.note, STOP_DOWNLOAD):
            for last in steps:
                view.transfer(last)
    finally:
        view.finish()
    return last


def report_install(last: InstallProgress, paths: AppPaths) -> int:
    if last.phase == "cancelled" or last.result is None:
        err("Stopped; nothing was installed.")
        return EXIT_INTERRUPTED
    r = last.result
    if r.already_installed:
        out(f"{r.name} is already installed ({size(r.size_bytes)}) in {one_line(r.path)}.")
    else:
        out(f"Installed {r.name} ({size(r.size_bytes)}) in {one_line(r.path)}.")
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
    return report_install(run_install(steps, cancel), paths)


def cmd_model_import(args: argparse.Namespace, paths: AppPaths) -> int:
    cancel = threading.Event()
    steps = import_model(paths, args.folder, name=args.name, int8=args.int8, cancel=cancel)
    return report_install(run_install(steps, cancel), paths)


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
        f"Removed {removed.name}: {size(removed.freed_bytes)} freed, "
        f"{plural(removed.vectors, 'photo vector')} deleted."
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
            shown_size = size(r.size_bytes)
        else:
            shown_size = (
                approx_size(r.entry.approx_download_mb, mark="~", in_gb=False) if r.entry else "-"
            )
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
        line = (
            f"{mark} {r.name:<{width}}  {state:<15}  {shown_size:>9}  {languages:<12}  {recall:>6}"
        )
        out((line + ("  " + "; ".join(notes) if notes else "")).rstrip())
    if not any(r.active for r in rows):
        out(f"Active model: {one_line(active)}")
    out("* the active model. Recall: " + registry.recall_source)
    for r in rows:
        if r.problem:
            err(f"photofind: {r.name}: {one_line(r.problem)}")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    model = add_command(commands, "model", None, "list, install, choose and remove models")
    actions = model.add_subparsers(dest="model_action", metavar="ACTION", required=True)

    listing = add_command(
        actions, "list", cmd_model_list, "the recommended and the installed models"
    )
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    install = add_command(
        actions,
        "install",
        cmd_model_install,
        "download a model from the model server and install it",
    )
    install.add_argument(
        "name",
        metavar="NAME",
        help="a name from 'photofind model list', or a repository owner/name",
    )
    use = add_command(
        actions, "use", cmd_model_use, "make a model the one that index, search and similar use"
    )
    use.add_argument("name", metavar="NAME")
    imported = add_command(
        actions, "import", cmd_model_import, "install a model folder in the Immich layout"
    )
    imported.add_argument("folder", metavar="DIR")
    imported.add_argument("--name", help="install it under this name (default: the folder's name)")
    for sub in (install, imported):
        sub.add_argument(
            "--int8",
            action="store_true",
            help="also make an int8 image encoder (faster on a CPU); kept only if it agrees "
            "with the original",
        )
    remove = add_command(
        actions, "remove", cmd_model_remove, "delete a model, its vectors and its search index"
    )
    remove.add_argument("name", metavar="NAME")
