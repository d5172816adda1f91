"""The library folders: ``folder list`` (each with its photo count and whether it can be
reached and read) and ``folder remove PATH`` (its photos leave the catalog, not the disk)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from photofind.cli.common import EXIT_OK, UsageError, add_command, opened_library
from photofind.cli.output import one_line, out
from photofind.core.config import AppPaths
from photofind.core.humanize import plural
from photofind.core.library_folders import FolderError, FolderState, folder_states, forget_folder

MAX_LISTED_PROBLEMS = 20  # enough to see what went wrong; 'photofind status --json' has all


def state_json(state: FolderState) -> dict:
    return {
        "path": os.fsdecode(state.path),
        "photos": state.photos,
        "failed": state.failed,
        "state": state.state,
        "reason": state.reason,
    }


def describe(state: FolderState) -> str:
    """One line: the folder, its photos, and what is wrong with it if anything."""
    counts = plural(state.photos, "photo")
    if state.failed:
        counts += f", {state.failed} unreadable"
    line = f"  {one_line(state.path)}  ({counts}; {state.state})"
    return line + (f": {one_line(state.reason)}" if state.reason else "")


def list_folder_problems(problems: list[tuple[Path, str]], write: Callable[[str], None]) -> None:
    # Not only unreadable ones: links that are not followed are listed too, each with why.
    verb = "was" if len(problems) == 1 else "were"
    write(f"{plural(len(problems), 'folder')} {verb} left out:")
    for path, reason in problems[:MAX_LISTED_PROBLEMS]:
        write(f"  {one_line(path)}: {one_line(reason)}")
    if len(problems) > MAX_LISTED_PROBLEMS:
        write(f"  … and {len(problems) - MAX_LISTED_PROBLEMS} more; see 'photofind status --json'")


def cmd_folder_list(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths) as library:
        states = folder_states(library.catalog)
    if args.json:
        out(json.dumps({"folders": [state_json(s) for s in states]}))
        return EXIT_OK
    if not states:
        out("There are no library folders yet; add one with 'photofind index FOLDER'.")
    for state in states:
        out(describe(state))
    return EXIT_OK


def cmd_folder_remove(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths) as library:
        library.index.load()  # a catalog whose vectors cannot be read stops it before any change
        try:
            removed = forget_folder(library.catalog, args.path)
        except FolderError as exc:
            raise UsageError(str(exc)) from None
        library.index.remove(np.asarray(removed, dtype=np.int64))
    folder = os.path.abspath(args.path)
    out(
        f"Removed {one_line(folder)} from the library: {plural(len(removed), 'photo')} left the "
        "catalog (the files stay where they are)."
    )
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    group = add_command(commands, "folder", None, "list or remove library folders")
    actions = group.add_subparsers(dest="folder_action", metavar="ACTION", required=True)
    listing = add_command(
        actions, "list", cmd_folder_list, "the library folders, their photos and their state"
    )
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    remove = add_command(
        actions,
        "remove",
        cmd_folder_remove,
        "remove a folder from the library; its photos leave the catalog (not the disk)",
    )
    remove.add_argument("path", metavar="PATH")
