"""Searching inside collections, for the search thread: the collection chosen in the sidebar
and the ``collection:NAME`` chips keep a search to their members, and a collection with no
words to search for is shown as its members, best first.

Members come from :class:`~photofind.core.collections.CollectionService` (one matrix product
over the stored vectors, kept until the vectors or the collection change), so choosing a
collection and then typing costs no more than typing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from photofind.core.catalog import Catalog
from photofind.core.collections import CollectionService
from photofind.core.filters import QueryError
from photofind.core.query import Query
from photofind.core.search import SearchHit, SearchResult


def collection_names(query: Query, chosen: str | None) -> tuple[str, ...]:
    """The collections a search keeps to: its chips and the one chosen in the sidebar."""
    names = query.filters.collections
    if chosen is not None and chosen.casefold() not in {n.casefold() for n in names}:
        names = (*names, chosen)
    return names


def check_names(collections: CollectionService, names: Sequence[str]) -> None:
    """Raises QueryError, in the window's words, for a name that is no collection."""
    known = {c.name.casefold() for c in collections.all(include_off=True)}
    for name in names:
        if name.casefold() not in known:
            raise QueryError(
                f"There is no collection named “{name}”; the sidebar lists them under Collections."
            )


def within_collections(
    collections: CollectionService, names: Sequence[str], within: np.ndarray | None
) -> np.ndarray | None:
    """The photo ids a search may show: members of any of ``names``, and of ``within``
    when it is given (a folder's photos). Raises CollectionError for an unknown name."""
    if not names:
        return within
    members = np.unique(np.concatenate([collections.member_ids(name) for name in names]))
    return members if within is None else members[np.isin(members, within)]


def members_best_first(
    catalog: Catalog,
    collections: CollectionService,
    names: Sequence[str],
    query: Query,
    k: int,
    within: np.ndarray | None = None,
) -> SearchResult:
    """The members of any of ``names`` (those in ``within`` when given), best first by
    their score against the collection, at most ``k``; each is a match. Unscored as search
    results go (``scored`` is False: a score against a collection is no search score)."""
    parts = [collections.ranked(name) for name in names]
    ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float32)
    if within is not None:
        keep = np.isin(ids, within)
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))
    ids, scores = ids[order], scores[order]
    _, first = np.unique(ids, return_index=True)  # a photo in two collections: its best
    first.sort()
    ids, scores = ids[first], scores[first]
    rows = catalog.photos(ids[:k].tolist())
    hits = tuple(
        SearchHit(row.id, row.path, score, row.taken_at, row.width, row.height, True)
        for photo_id, score in zip(ids[:k].tolist(), scores[:k].tolist(), strict=True)
        if (row := rows.get(photo_id)) is not None
    )
    return SearchResult(query, hits, len(ids))
