"""``photofind duplicates [--kind exact|same|similar] [--json]``: the library's duplicates.

Lists groups and changes nothing: the library is opened read-only, so it answers while the
window or another photofind indexes. Photos indexed before perceptual hashes were kept are
hashed in memory for this run (``photofind index`` stores them once).

``--json`` prints ``{"groups": [{"kind": "exact"|"same"|"similar", "keep": PATH, "photos":
[{"path": PATH}, ...]}]}``; ``photos`` includes ``keep``, first. Without ``--kind`` every
kind is listed, exact first; a photo is in at most one group of each kind.
"""

from __future__ import annotations

import argparse
import json
import os
import threading

from photofind.cli.common import EXIT_OK, add_command, ctrl_c_sets, opened_library
from photofind.cli.output import err, one_line, out
from photofind.core.config import AppPaths
from photofind.core.duplicates import KINDS, DuplicateGroup, DuplicatePhoto, find_duplicates
from photofind.core.humanize import binary_size, plural

STOP = "photofind: stopping…"
TITLES = {
    "exact": "Exact copies (the same bytes)",
    "same": "The same picture (re-encoded, resized, converted or cropped)",
    "similar": "Similar photos (bursts and near-identical scenes)",
}


def _path(photo: DuplicatePhoto) -> str:
    return os.path.abspath(os.fsdecode(photo.path))


def _describe(photo: DuplicatePhoto) -> str:
    facts = [f"{photo.width}x{photo.height}"] if photo.pixels else []
    facts += [photo.format or "no type", binary_size(photo.size)]
    return f"{one_line(photo.path)}  ({', '.join(facts)})"


def _print_text(groups: list[DuplicateGroup]) -> None:
    for kind in KINDS:
        of_kind = [g for g in groups if g.kind == kind]
        if not of_kind:
            continue
        out(f"{TITLES[kind]}: {plural(len(of_kind), 'group')}")
        for group in of_kind:
            out(f"  keep  {_describe(group.keep)}")
            for photo in group.others:
                out(f"        {_describe(photo)}")
            out()


def cmd_duplicates(args: argparse.Namespace, paths: AppPaths) -> int:
    kinds = (args.kind,) if args.kind else KINDS
    cancel = threading.Event()
    with opened_library(args, paths, read_only=True) as library, ctrl_c_sets(cancel, err, STOP):
        last = None
        for last in find_duplicates(
            library.catalog, library.search.index, library.search.encoder.model_id,
            kinds=kinds, thumbnails=library.thumbnails, cancel=cancel,
        ):  # fmt: skip
            if last.phase == "hashing":
                err("Reading the photos indexed before duplicates were kept track of…")
        if last is None or last.phase == "cancelled":
            raise KeyboardInterrupt
        groups = list(last.groups)
    if args.json:
        found = [
            {
                "kind": g.kind,
                "keep": _path(g.keep),
                "photos": [{"path": _path(p)} for p in g.photos],
            }
            for g in groups
        ]
        out(json.dumps({"groups": found}))
    elif groups:
        _print_text(groups)
    else:
        err("No duplicates found.")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    command = add_command(
        commands,
        "duplicates",
        cmd_duplicates,
        "list duplicate photos in groups, the one to keep first: exact copies, the same "
        "picture in other files, similar shots (changes nothing)",
    )
    command.add_argument(
        "--kind", choices=KINDS, help="only this kind of duplicates (default: all three)"
    )
    command.add_argument("--json", action="store_true", help="print the groups as JSON")
