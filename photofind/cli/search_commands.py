"""``search`` and ``similar``: matches only by default, best first, at most k.

::

    photofind search QUERY [-k N] [--all] [--json] [--in F] [--after D] [--before D]
                           [--type T] [--camera C]
    photofind similar IMAGE [-k N] [--all] [--json] [same filter options]

QUERY is the search box's language (:mod:`photofind.core.query`); a term naming an existing
image file is an image term. ``--all`` appends the closest other photos after the matches
(k in all). ``--json`` prints ``{"matches": M, "results": [{"path", "score", "match"}]}``;
filters alone list photos newest first, with ``"score": null``. No match is no error: exit 0
and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import numpy as np

from photofind.cli.common import EXIT_OK, UsageError, add_command, opened_library, positive_int
from photofind.cli.output import err, one_line, out
from photofind.core.collection_store import CollectionError
from photofind.core.config import AppPaths
from photofind.core.errors import ImageError
from photofind.core.filters import Filters, Period, QueryError, check_order, type_name
from photofind.core.images import IMAGE_EXTENSIONS
from photofind.core.library import Library
from photofind.core.query import FILTER_KEYS, Query, Term, parse_query
from photofind.core.search import SearchResult
from photofind.core.understanding import LANGUAGE, query_notices

DEFAULT_K = 20
EMPTY_LIBRARY = "No photos are indexed yet; run 'photofind index FOLDER' first."
ASK = "Say what to look for, e.g. photofind search 'a dog on a beach'."


def _is_image_file(text: str) -> bool:
    return os.path.splitext(text)[1].lower() in IMAGE_EXTENSIONS and os.path.isfile(text)


def _option_filters(args: argparse.Namespace) -> Filters:
    """The filters given as options, read exactly as the same operators in the query."""
    try:
        filters = Filters(
            folders=tuple(args.folder or ()),
            types=tuple(type_name(t) for t in args.type or ()),
            after=max((Period.parse(d, "after") for d in args.after or ()),
                      key=lambda p: p.start, default=None),
            before=min((Period.parse(d, "before") for d in args.before or ()),
                       key=lambda p: p.start, default=None),
            cameras=tuple(args.camera or ()),
            collections=tuple(" ".join(n.split()) for n in args.collection or ()),
        )  # fmt: skip
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    return filters


def _with_options(query: Query, args: argparse.Namespace) -> Query:
    filters = query.filters.merged(_option_filters(args))
    try:
        check_order(filters)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    return Query(query.text, query.terms, filters, query.tokens, query.date_hints)


def _print(result: SearchResult, as_json: bool) -> None:
    if as_json:
        results = [
            {
                "path": os.path.abspath(os.fsdecode(h.path)),
                "score": h.score if result.scored else None,
                "match": h.match,
            }
            for h in result.hits
        ]
        out(json.dumps({"matches": result.matches, "results": results}))
        return
    for hit in result.hits:
        out(f"{hit.score:.3f}  {one_line(hit.path)}" if result.scored else one_line(hit.path))


def _run(library: Library, query: Query, args: argparse.Namespace, what: str) -> int:
    if library.counts().photos == 0:
        err(EMPTY_LIBRARY)
        _print(SearchResult(query, (), 0), args.json)
        return EXIT_OK
    within, hidden = _collection_scope(library, query, args)
    try:
        result = library.search.find(query, args.k, rest=args.all, within=within, hidden=hidden)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    except ImageError as exc:
        raise UsageError(str(exc)) from None
    # After the search: a query that cannot run says only why, on one line.
    words = " ".join(t.text for t in query.terms if t.text)
    for notice in query_notices(library.search.encoder, words):
        hint = (
            f" Install it with 'photofind model install {notice.suggested_model}'."
            if notice.kind == LANGUAGE and notice.suggested_model
            else ""
        )
        err(f"photofind: warning: {notice.message}{hint}")
    _print(result, args.json)
    if result.matches == 0:
        closest = "" if args.all or not query.has_terms else "; add --all to see the closest photos"
        if query.has_terms:
            err(f"photofind: no good matches for {what}{closest}.")
        else:
            err("photofind: no photo is kept by these filters.")
    elif args.all and len(result.hits) > result.matches and not args.json:
        err(f"photofind: {result.matches} matched; the photos after them are only the closest.")
    return EXIT_OK


def _collection_scope(
    library: Library, query: Query, args: argparse.Namespace
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(only these photos, never these): the members of the collections named by
    ``collection:`` or ``--collection`` and, with ``--hide-sensitive``, the members of every
    sensitive collection that is on."""
    collections = library.collections
    try:
        within, hidden = collections.scope(
            query.filters.collections, hide_sensitive=args.hide_sensitive
        )
    except CollectionError as exc:
        raise UsageError(str(exc)) from None
    if args.hide_sensitive and not collections.any_sensitive():
        err(
            "photofind: no collection is marked sensitive, so nothing is hidden; switch the "
            "built-in one on with 'photofind collection on sensitive', or mark one with "
            "'photofind collection edit NAME --sensitive'."
        )
    return within, hidden


# What may stand before a quoted value: a '-', a weight, a filter's key.
_PREFIX = re.compile(
    r"^(-?(?:\d+(?:\.\d*)?:)?(?:(?:" + "|".join(FILTER_KEYS) + r"):)?)(.*)$", re.S | re.I
)


def _shell_word(word: str) -> str:
    """One of several shell arguments as query text: an argument with spaces was quoted in
    the shell and stays one phrase ('-a red car' is -"a red car", 'in:summer 2020' a folder)."""
    if not any(c.isspace() for c in word) or '"' in word:
        return word
    prefix, rest = _PREFIX.match(word).groups()  # type: ignore[union-attr]
    return f'{prefix}"{rest}"'


def cmd_search(args: argparse.Namespace, paths: AppPaths) -> int:
    # Undecodable bytes in the query arrive as lone surrogates, which the tokenizer refuses.
    parts = [os.fsencode(p).decode("utf-8", errors="replace") for p in args.query]
    text = parts[0] if len(parts) == 1 else " ".join(_shell_word(p) for p in parts)
    try:
        query = _with_options(parse_query(text, is_image=_is_image_file), args)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    if not query.has_terms and not query.filters:
        raise UsageError(ASK)
    with opened_library(args, paths, read_only=True) as library:
        return _run(library, query, args, f'"{one_line(text)}"')


def cmd_similar(args: argparse.Namespace, paths: AppPaths) -> int:
    image = Path(os.path.abspath(args.image))
    if not image.is_file():
        raise UsageError(f"{one_line(args.image)} is not an image file.")
    query = _with_options(Query(args.image, (Term(None, image),), Filters(), ()), args)
    with opened_library(args, paths, read_only=True) as library:
        try:
            return _run(library, query, args, one_line(args.image))
        except UsageError as exc:
            raise UsageError(f"{one_line(args.image)}: {exc}") from None


def add_commands(commands: argparse._SubParsersAction) -> None:
    search = add_command(commands, "search", cmd_search, "find photos that match a description")
    search.add_argument(
        "query", nargs="+", metavar="QUERY",
        help="words, -negative words, 2:weighted words, image files, and filters such as "
        "in:FOLDER type:jpg after:2019 before:2020-06 camera:TEXT orientation:portrait",
    )  # fmt: skip
    similar = add_command(commands, "similar", cmd_similar, "find photos that look like an image")
    similar.add_argument("image", metavar="IMAGE")
    for sub in (search, similar):
        sub.add_argument("-k", type=positive_int, default=DEFAULT_K,
                         help="at most this many results (default: %(default)s)")  # fmt: skip
        sub.add_argument("--all", action="store_true",
                         help="after the matches, the closest other photos (k in all)")  # fmt: skip
        sub.add_argument("--json", action="store_true", help="print the results as JSON")
        sub.add_argument("--in", dest="folder", action="append", metavar="FOLDER",
                         help="only photos under this folder (as in:FOLDER)")  # fmt: skip
        sub.add_argument("--after", action="append", metavar="DATE",
                         help="taken in or after DATE: YYYY, YYYY-MM or YYYY-MM-DD")  # fmt: skip
        sub.add_argument("--before", action="append", metavar="DATE",
                         help="taken before DATE: YYYY, YYYY-MM or YYYY-MM-DD")  # fmt: skip
        sub.add_argument("--type", action="append", metavar="TYPE",
                         help="jpg, png, gif, webp, heic, avif, bmp, tif or raw")  # fmt: skip
        sub.add_argument("--camera", action="append", metavar="TEXT",
                         help="EXIF make and model contain TEXT")  # fmt: skip
        sub.add_argument("--collection", action="append", metavar="NAME",
                         help="only the photos of this collection (as collection:NAME)")  # fmt: skip
        sub.add_argument("--hide-sensitive", action="store_true",
                         help="leave out the photos of sensitive collections")  # fmt: skip
