"""``collection``: smart collections, the photos that match a description.

::

    photofind collection list [--json] [--all]
    photofind collection show NAME [--json]
    photofind collection add NAME --describe TEXT [--describe TEXT ...] [--example PHOTO ...]
                             [--sensitive]
    photofind collection edit NAME [--describe TEXT ...] [--sensitive | --not-sensitive]
    photofind collection on NAME | off NAME       switch a collection on or off
    photofind collection include NAME PHOTO...    add photos by hand (kept over the model)
    photofind collection exclude NAME PHOTO...    take photos out by hand
    photofind collection reset NAME PHOTO...      let the model decide again
    photofind collection remove NAME

``list --json``: ``{"collections": [{"name", "count", "sensitive", "builtin"}]}``, the ones
that are on (``--all``: also those that are off, with ``"on": false``). ``show --json``:
``{"name": ..., "photos": [{"path", "score"}]}``, best first. The built-in "sensitive"
collection is off until it is switched on; a built-in collection that is removed is only
switched off.
"""

from __future__ import annotations

import argparse
import json
import os

from photofind.cli.common import EXIT_OK, UsageError, add_command, opened_library
from photofind.cli.output import err, one_line, out
from photofind.core.collection_store import Collection, CollectionError
from photofind.core.config import AppPaths
from photofind.core.humanize import plural
from photofind.core.library import Library

EMPTY_LIBRARY = (
    "No photos are indexed yet, so every collection is empty; run 'photofind index FOLDER'."
)


def _entry(collection: Collection, count: int, with_state: bool) -> dict:
    entry = {
        "name": collection.name,
        "count": count,
        "sensitive": collection.sensitive,
        "builtin": collection.builtin,
    }
    if with_state:
        entry["on"] = collection.enabled
    return entry


def _count(library: Library, collection: Collection) -> int:
    return len(library.collections.member_ids(collection.name))


def cmd_list(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths, read_only=True) as library:
        if library.counts().photos == 0:
            err(EMPTY_LIBRARY)
        everything = library.collections.all(include_off=True)
        found = [(c, _count(library, c)) for c in everything if args.all or c.enabled]
    if args.json:
        out(json.dumps({"collections": [_entry(c, n, args.all) for c, n in found]}))
        return EXIT_OK
    width = max((len(one_line(c.name)) for c, _ in found), default=0)
    for collection, count in found:
        notes = [
            note
            for note, shown in (
                ("built-in", collection.builtin),
                ("sensitive", collection.sensitive),
                ("off", not collection.enabled),
            )
            if shown
        ]
        tail = f"  ({', '.join(notes)})" if notes else ""
        out(f"{one_line(collection.name):<{width}}  {count:>6}{tail}")
    if not args.all:
        off = [c.name for c in everything if not c.enabled]
        if off:
            err(
                f"photofind: off: {', '.join(one_line(n) for n in off)} (switch one on with "
                "'photofind collection on NAME')."
            )
    return EXIT_OK


def cmd_show(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths, read_only=True) as library:
        collection = _get(library, args.name)
        if library.counts().photos == 0:
            err(EMPTY_LIBRARY)
        members = library.collections.members(collection.name)
    if args.json:
        photos = [{"path": os.path.abspath(os.fsdecode(m.path)), "score": m.score} for m in members]
        out(json.dumps({"name": collection.name, "photos": photos}))
        return EXIT_OK
    for member in members:
        out(f"{member.score:.3f}  {one_line(member.path)}")
    if not members:
        err(f"photofind: no photo is in '{one_line(collection.name)}'.")
    return EXIT_OK


def _get(library: Library, name: str) -> Collection:
    try:
        return library.collections.get(name)
    except CollectionError as exc:
        raise UsageError(str(exc)) from None


def cmd_add(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths) as library:
        try:
            collection = library.collections.add(
                args.name, args.describe or (), sensitive=args.sensitive,
                examples=args.example or (),
            )  # fmt: skip
        except CollectionError as exc:
            raise UsageError(str(exc)) from None
        count = _count(library, collection)
    kind = "sensitive collection" if collection.sensitive else "collection"
    out(f"Added {kind} '{one_line(collection.name)}': {plural(count, 'photo')}.")
    return EXIT_OK


def cmd_edit(args: argparse.Namespace, paths: AppPaths) -> int:
    if args.describe is None and args.sensitive is None:
        raise UsageError("Say what to change: --describe TEXT, --sensitive or --not-sensitive.")
    with opened_library(args, paths) as library:
        try:
            collection = library.collections.edit(
                args.name, descriptions=args.describe, sensitive=args.sensitive
            )
        except CollectionError as exc:
            raise UsageError(str(exc)) from None
        count = _count(library, collection)
    out(f"Changed '{one_line(collection.name)}': {plural(count, 'photo')}.")
    return EXIT_OK


def _switch(args: argparse.Namespace, paths: AppPaths, on: bool) -> int:
    with opened_library(args, paths) as library:
        try:
            collection = library.collections.edit(args.name, enabled=on)
        except CollectionError as exc:
            raise UsageError(str(exc)) from None
        count = _count(library, collection)
    state = "on" if on else "off (its corrections are kept)"
    out(f"'{one_line(collection.name)}' is {state}: {plural(count, 'photo')}.")
    return EXIT_OK


def cmd_on(args: argparse.Namespace, paths: AppPaths) -> int:
    return _switch(args, paths, True)


def cmd_off(args: argparse.Namespace, paths: AppPaths) -> int:
    return _switch(args, paths, False)


def cmd_remove(args: argparse.Namespace, paths: AppPaths) -> int:
    with opened_library(args, paths) as library:
        try:
            collection = library.collections.remove(args.name)
        except CollectionError as exc:
            raise UsageError(str(exc)) from None
    name = one_line(collection.name)
    if collection.builtin:
        out(f"'{name}' is built in, so it is switched off instead ('photofind collection on "
            f"{name}' brings it back).")  # fmt: skip
    else:
        corrections = f" and its {plural(collection.corrections, 'correction')}"
        out(
            f"Removed '{name}'{corrections if collection.corrections else ''} (no photo was touched)."
        )
    return EXIT_OK


def _correct(args: argparse.Namespace, paths: AppPaths, action: str) -> int:
    with opened_library(args, paths) as library:
        collections = library.collections
        try:
            getattr(collections, action)(args.name, list(args.photos))
            collection = collections.get(args.name)
        except CollectionError as exc:
            raise UsageError(str(exc)) from None
        count = _count(library, collection)
    done = {"include": "Added", "exclude": "Took out", "reset": "The model decides again for"}
    where = {"include": "to", "exclude": "of", "reset": "in"}
    out(
        f"{done[action]} {plural(len(args.photos), 'photo')} {where[action]} "
        f"'{one_line(collection.name)}': {plural(count, 'photo')} in it now."
    )
    return EXIT_OK


def cmd_include(args: argparse.Namespace, paths: AppPaths) -> int:
    return _correct(args, paths, "include")


def cmd_exclude(args: argparse.Namespace, paths: AppPaths) -> int:
    return _correct(args, paths, "exclude")


def cmd_reset(args: argparse.Namespace, paths: AppPaths) -> int:
    return _correct(args, paths, "reset")


def add_commands(commands: argparse._SubParsersAction) -> None:
    group = add_command(
        commands, "collection", None, "smart collections: photos that match a description"
    )
    actions = group.add_subparsers(dest="collection_action", metavar="ACTION", required=True)
    listing = add_command(
        actions, "list", cmd_list, "the collections and how many photos each holds"
    )
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.add_argument("--all", action="store_true", help="also the collections that are off")
    show = add_command(actions, "show", cmd_show, "the photos of a collection, best first")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print the photos as JSON")
    add = add_command(actions, "add", cmd_add, "make a collection from descriptions")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--describe", action="append", metavar="TEXT",
                     help="what its photos show; a photo that matches any description is in")  # fmt: skip
    add.add_argument("--example", action="append", metavar="PHOTO",
                     help="a photo of the library that its photos should look like")  # fmt: skip
    add.add_argument("--sensitive", action="store_true",
                     help="keep its photos out of sight where sensitive photos are hidden")  # fmt: skip
    edit = add_command(actions, "edit", cmd_edit, "change a collection's descriptions or mark")
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--describe", action="append", metavar="TEXT",
                      help="the new descriptions (they replace the old ones)")  # fmt: skip
    mark = edit.add_mutually_exclusive_group()
    mark.add_argument("--sensitive", dest="sensitive", action="store_const", const=True,
                      default=None, help="mark it sensitive")  # fmt: skip
    mark.add_argument("--not-sensitive", dest="sensitive", action="store_const", const=False,
                      help="mark it not sensitive")  # fmt: skip
    for name, handler, text in (
        ("on", cmd_on, "switch a collection on (the built-in 'sensitive' one starts off)"),
        ("off", cmd_off, "switch a collection off, keeping it and its corrections"),
        ("remove", cmd_remove, "delete a collection you made (a built-in one is switched off)"),
    ):
        add_command(actions, name, handler, text).add_argument("name", metavar="NAME")
    for name, handler, text in (
        ("include", cmd_include, "add photos to a collection by hand; kept over the model"),
        ("exclude", cmd_exclude, "take photos out of a collection by hand; kept over the model"),
        ("reset", cmd_reset, "forget what you added or took out: the model decides again"),
    ):
        sub = add_command(actions, name, handler, text)
        sub.add_argument("name", metavar="NAME")
        sub.add_argument("photos", nargs="+", metavar="PHOTO", help="photos of the library")
