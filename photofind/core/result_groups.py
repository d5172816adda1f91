"""Which of a search's results show the same picture, so that the window shows each once.

Copies of one picture (an exact copy in a backup folder, a re-encode, a resize, a PNG made
from a JPEG) look alike to the model, so a search returns them side by side. Two hits are
one picture when their bytes are the same (the content hash) or when they pass the
duplicate finder's rule for "same" (:mod:`photofind.core.duplicates`: the embeddings very
close *and* the perceptual hashes close *and* the aspect ratios close). Distinct shots of
one subject fail the hash or the aspect ratio, so they stay apart.

The hits are compared with each other only, every pair: a search returns at most about a
thousand, and a 1,000 x 1,000 product of their vectors is a millisecond, while nothing
outside the results is read. Groups are transitive (a crop of a resize of the original is
still the original). A hit without a perceptual hash (indexed before they were kept and not
hashed since) is grouped by its bytes only.

Each group lists its hits in the order they were given, so its first is the best-ranked:
the photo shown for the group, which leaves the order of the results as the search made it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from photofind.core.catalog import Catalog
from photofind.core.duplicates import SAME_MAX_ASPECT_CHANGE, SAME_MAX_HAMMING, SAME_MIN_COSINE
from photofind.core.phash import hamming_many
from photofind.core.vector_index import VectorIndex

_CHUNK = 900  # ids per statement: under SQLite's default limit of 999 bound parameters
_FACTS = "SELECT id, content_hash, phash, width, height FROM photos WHERE id IN ({})"

Groups = tuple[tuple[int, ...], ...]


def same_picture_groups(catalog: Catalog, index: VectorIndex, ids: Sequence[int]) -> Groups:
    """The groups of ``ids`` (photo ids, best-ranked first) that show one picture, each
    with more than one photo and in the order of ``ids``; photos alone are left out."""
    order = list(dict.fromkeys(int(i) for i in ids))
    if len(order) < 2:
        return ()
    facts = _facts(catalog, order)
    known = [i for i in order if i in facts]
    position = {photo_id: n for n, photo_id in enumerate(known)}
    parent = list(range(len(known)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_of_bytes: dict[bytes, int] = {}
    for n, photo_id in enumerate(known):
        content = facts[photo_id][0]
        if content is not None:
            join(first_of_bytes.setdefault(content, n), n)
    for a, b in _same_pairs(index, known, position, facts):
        join(a, b)
    members: dict[int, list[int]] = {}
    for n, photo_id in enumerate(known):
        members.setdefault(root(n), []).append(photo_id)
    return tuple(tuple(group) for group in members.values() if len(group) > 1)


def _facts(catalog: Catalog, ids: list[int]) -> dict[int, tuple[bytes | None, int | None, float]]:
    """photo id -> (content hash, perceptual hash, log of the aspect ratio or NaN)."""
    out: dict[int, tuple[bytes | None, int | None, float]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = catalog.select(_FACTS.format(",".join("?" * len(chunk))), chunk)
        for photo_id, content, phash, width, height in rows:
            aspect = float(np.log(width / height)) if width and height else float("nan")
            out[photo_id] = (content, phash, aspect)
    return out


def _same_pairs(
    index: VectorIndex,
    known: list[int],
    position: dict[int, int],
    facts: dict[int, tuple[bytes | None, int | None, float]],
) -> list[tuple[int, int]]:
    """Positions (in ``known``) of the pairs that pass the "same" rule."""
    hashed = [i for i in known if facts[i][1] is not None]
    vector_ids, vectors = index.vectors(np.array(hashed, dtype=np.int64))
    if len(vector_ids) < 2:
        return []
    cosine = vectors @ vectors.T
    rows, cols = np.nonzero(np.triu(cosine >= SAME_MIN_COSINE, k=1))
    if len(rows) == 0:
        return []
    ids = vector_ids.tolist()
    phash = np.array([facts[i][1] for i in ids], dtype=np.int64)
    aspect = np.array([facts[i][2] for i in ids], dtype=np.float64)
    near = hamming_many(phash[rows], phash[cols]) <= SAME_MAX_HAMMING
    with np.errstate(invalid="ignore"):  # NaN: a size unknown is never close
        near &= np.abs(aspect[rows] - aspect[cols]) <= SAME_MAX_ASPECT_CHANGE
    return [(position[ids[a]], position[ids[b]])
            for a, b in zip(rows[near].tolist(), cols[near].tolist(), strict=True)]  # fmt: skip
