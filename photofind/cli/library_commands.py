"""The commands on the library: ``index``, ``status``, and the ones that open the window
(``gui``, ``demo``) or add it to the desktop menu (``install-desktop``). ``search`` and
``similar`` are in :mod:`photofind.cli.search_commands`."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import threading
from pathlib import Path

from photofind.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    add_command,
    ctrl_c_sets,
    opened_library,
)
from photofind.cli.first_model import settle_model_for_indexing
from photofind.cli.folder_commands import describe, list_folder_problems, state_json
from photofind.cli.output import ProgressView, err, list_failures, one_line, out
from photofind.core.config import AppPaths
from photofind.core.errors import PhotofindError
from photofind.core.humanize import plural
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library
from photofind.core.library_folders import (
    UNREADABLE,
    FolderError,
    check_library_folder,
    folder_states,
    reachability,
)
from photofind.core.scanner import is_empty_folder

EMPTY_LIBRARY = "No photos are indexed yet; run 'photofind index FOLDER' first."
NO_FOLDERS = "There are no library folders yet; add one with 'photofind index FOLDER'."
STOPPED = "Stopped; run 'photofind index' again to continue."


def cmd_gui(args: argparse.Namespace, paths: AppPaths) -> int:
    app = importlib.import_module("photofind.gui.app")  # Qt loads only for the window
    given = [Path(p) for p in getattr(args, "paths", None) or ()]
    chosen = bool(getattr(args, "model_chosen", False))
    return app.main(paths, args.model, args.provider, model_chosen=chosen, open_paths=given)


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


def add_low_impact_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--low-impact",
        action="store_true",
        help="index with fewer threads at a lower priority, leaving the machine to other work",
    )


def checked_folders(given: list[str]) -> list[Path]:
    """The folders named on the command line, as library folders; UsageError when one
    cannot be (empty name, a system folder, not a folder). Checked before anything opens."""
    try:
        folders = [check_library_folder(p) for p in given]
    except FolderError as exc:
        raise UsageError(str(exc)) from None
    for name, folder in zip(given, folders, strict=True):
        if not folder.is_dir():
            raise UsageError(f"{one_line(name)} is not a folder; give a folder of photos.")
    return folders


def add_folders(library: Library, folders: list[Path]) -> None:
    """Add ``folders`` to the library, then say which library folders cannot be read now;
    UsageError when the library has no folders at all."""
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
        elif (problem := reachability(folder))[0] == UNREADABLE:
            err(f"photofind: {one_line(folder)}: {problem[1]} Its photos are kept.")


def cmd_index(args: argparse.Namespace, paths: AppPaths) -> int:
    folders = checked_folders(args.paths)
    if (stopped := settle_model_for_indexing(args, paths)) is not None:
        return stopped
    with opened_library(args, paths) as library:
        library.index.load()  # a catalog whose vectors cannot be read stops it before any change
        add_folders(library, folders)
        cancel = threading.Event()
        view = ProgressView()
        last = IndexProgress("scanning")
        failed_now: list[tuple[Path, str]] = []
        try:
            with ctrl_c_sets(cancel, view.note):
                for last in library.indexer(low_impact=args.low_impact).run(cancel):
                    failed_now += last.errors
                    view.update(last)
        finally:
            view.finish()
        out(
            f"Indexed {plural(last.indexed, 'new photo')}, {last.reused} reused (renamed or "
            f"copied), {last.unchanged} unchanged, {last.failed} failed, {last.removed} removed."
        )
        if failed_now:
            list_failures(failed_now, err, "in this run")
        if last.phase == "done" and (problems := library.catalog.folder_problems()):
            list_folder_problems(problems, err)
        if library.after_index_run():  # also backs the catalog up when the run changed it
            out(f"Searches now use {one_line(library.model_name)}.")
        elif library.switching:
            err(
                f"photofind: searches keep using {one_line(library.search_model_name)} until "
                f"{one_line(library.model_name)} has indexed every photo."
            )
        if last.phase == "done" and (last.indexed or last.reused or last.removed):
            library.tidy_thumbnails()  # once a day; silent unless the cache cannot be written
        if last.phase == "cancelled":
            err(STOPPED)
            return EXIT_INTERRUPTED
    return EXIT_OK


def cmd_status(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths, read_only=True) as library:
        counts = library.counts()
        folders = library.catalog.folders()
        failures = library.catalog.failures()
        states = folder_states(library.catalog)
        problems = library.catalog.folder_problems()
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
            "library_folders": [state_json(s) for s in states],
            "folder_problems": [{"path": os.fsdecode(p), "reason": r} for p, r in problems],
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
    for state in states:
        out(describe(state))
    if failures:
        list_failures(failures, out)
    if problems:
        list_folder_problems(problems, out)
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    gui = add_command(
        commands, "gui", cmd_gui, "open the window (the default when no command is given)"
    )
    gui.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="a folder to add to the library or a photo to search with; a window already "
        "open on this library is brought forward and takes them",
    )  # fmt: skip
    add_command(
        commands, "demo", cmd_demo, "open the window on a generated demo library (works offline)"
    )
    add_command(
        commands,
        "install-desktop",
        cmd_install_desktop,
        "add photofind to your desktop's application menu (this user only)",
    )
    index = add_command(
        commands, "index", cmd_index, "add folders to the library, then bring the index up to date"
    )
    index.add_argument("paths", nargs="*", metavar="PATH", help="a folder of photos to add")
    add_low_impact_option(index)
    status = add_command(
        commands, "status", cmd_status, "show what is indexed, where, and with which model"
    )
    status.add_argument("--json", action="store_true", help="print the status as JSON")
