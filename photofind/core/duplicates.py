"""Duplicates in three kinds, from what the catalog already holds: no photo is decoded or
encoded again (only a photo indexed before perceptual hashes were kept may be hashed once).

* **exact**: the same bytes (the content hash), wherever the copies are.
* **same**: the same picture in other bytes (re-encoded, resized, converted to another
  format, cropped a little): the embeddings very close *and* the perceptual hashes close
  *and* the aspect ratios close. The model alone cannot tell: it calls two shots of one
  subject as close as a re-encode, while their layouts (the hash) and often their
  framing (the aspect ratio) differ.
* **similar**: bursts and near-identical scenes: the embeddings close, nothing else.

Candidate pairs are each photo's nearest neighbours in the HNSW graph
(:meth:`VectorIndex.neighbours`), never all pairs: 100k photos cost one batch search, not
five billion comparisons.

Groups nest. Exact copies are one unit; a "same" group joins units linked by same-pairs
(a crop of a resize of the original is still the original); a "similar" group gathers
same groups (or single photos) whose best photos are all close to the group's best one,
a star rather than a chain, so a long shoot of one beach does not become one group. A
group is reported at a kind only when it holds more than one unit of the kind below, so
each photo is in at most one group of each kind, and the same photos never make two groups.

Each group comes with the photo to keep first: the largest resolution, then the original
format over re-encodes (RAW, then what cameras write, then lossless conversions, then web
formats), then the one with the camera's date, then the oldest file, then the larger one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from photofind.core.catalog import Catalog
from photofind.core.phash import hamming_many, to_signed
from photofind.core.phash_fill import compute_missing, photos_without_phash
from photofind.core.raw import RAW_EXTENSIONS
from photofind.core.thumbnails import ThumbnailCache
from photofind.core.vector_index import VectorIndex

Kind = Literal["exact", "same", "similar"]
KINDS: tuple[Kind, ...] = ("exact", "same", "similar")

# Thresholds measured on generated shape photos with the tiny model (benchmarks/README.md,
# "Duplicates"): re-encodes, resizes and format changes are 0-4 bits apart; a 5% crop up to
# ~10 with cosine >= 0.9, while distinct shots of one colour and shape were >= 12 bits apart
# at cosine up to 0.997. The aspect ratio allows a 5% crop of one side (log 1/0.95 = 0.051).
SAME_MIN_COSINE = 0.90
SAME_MAX_HAMMING = 10
SAME_MAX_ASPECT_CHANGE = 0.06  # |log(aspect a / aspect b)|
# Bursts and retakes seconds apart; full-size CLIP models put distinct shots of one subject
# at 0.80-0.93, so 0.95 keeps "similar" to what a person would call the same moment.
SIMILAR_MIN_COSINE = 0.95
NEIGHBOURS = 16  # per photo: room for a burst and a few copies besides
NEIGHBOUR_EF = 64  # near neighbours this close are found by a shallow graph search

_FORMAT_RANK = {".jpg": 2, ".jpeg": 2, ".heic": 2, ".heif": 2, ".tif": 1, ".tiff": 1, ".png": 1}
_ROWS = (
    "SELECT p.id, p.path, p.size, p.mtime_ns, p.content_hash, p.width, p.height, p.date_source, "
    "p.phash FROM photos p JOIN embeddings e ON e.photo_id = p.id "
    "WHERE e.model_id = ? AND p.status = 'indexed' ORDER BY p.id"
)


@dataclass(frozen=True)
class DuplicatePhoto:
    id: int
    path: Path
    size: int  # bytes
    mtime_ns: int
    width: int
    height: int
    from_camera_date: bool  # its date is the EXIF capture time (converters often drop it)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def format(self) -> str:
        """The file's type as its name says ("JPG", "PNG", "CR2")."""
        return self.path.suffix.lstrip(".").upper()


@dataclass(frozen=True)
class DuplicateGroup:
    kind: Kind
    photos: tuple[DuplicatePhoto, ...]  # the suggested one to keep first

    @property
    def keep(self) -> DuplicatePhoto:
        return self.photos[0]

    @property
    def others(self) -> tuple[DuplicatePhoto, ...]:
        return self.photos[1:]


DuplicatePhase = Literal["hashing", "comparing", "done", "cancelled"]


@dataclass(frozen=True)
class DuplicateProgress:
    phase: DuplicatePhase
    done: int = 0
    total: int = 0
    groups: tuple[DuplicateGroup, ...] = ()  # on the last item, when "done"


def keep_order(photo: DuplicatePhoto) -> tuple:
    """Sort key that puts the photo to keep first."""
    suffix = photo.path.suffix.lower()
    rank = 3 if suffix in RAW_EXTENSIONS else _FORMAT_RANK.get(suffix, 0)
    return (-photo.pixels, -rank, not photo.from_camera_date, photo.mtime_ns, -photo.size,
            os.fsencode(photo.path))  # fmt: skip


class _Sets:
    """Union-find over 0..n-1."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self, members: Sequence[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for m in members:
            out.setdefault(self.find(m), []).append(m)
        return out


@dataclass
class _Library:
    """The photos of one model as arrays, position i for ids[i]."""

    ids: np.ndarray
    photos: list[DuplicatePhoto]
    hashes: list[bytes | None]
    phash: np.ndarray  # int64; only where has_phash
    has_phash: np.ndarray
    log_aspect: np.ndarray  # NaN where the size is unknown

    def position(self, ids: np.ndarray) -> np.ndarray:
        """Positions of ``ids``; -1 for ids not here (photos of another state or model)."""
        if len(self.ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.clip(np.searchsorted(self.ids, ids), 0, len(self.ids) - 1)
        return np.where(self.ids[at] == ids, at, -1)


def _load(catalog: Catalog, model_id: str, extra_phashes: dict[int, int]) -> _Library:
    rows = catalog.select(_ROWS, (model_id,))
    photos, hashes, phashes, has = [], [], [], []
    for i, path, size, mtime, content, width, height, source, phash in rows:
        photos.append(DuplicatePhoto(i, Path(os.fsdecode(path)), size, mtime, width or 0,
                                     height or 0, source == "exif"))  # fmt: skip
        hashes.append(content)
        if phash is None and i in extra_phashes:
            phash = to_signed(extra_phashes[i])
        has.append(phash is not None)
        phashes.append(phash or 0)
    width = np.array([p.width for p in photos], dtype=np.float64)
    height = np.array([p.height for p in photos], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        aspect = np.where((width > 0) & (height > 0), np.log(width / height), np.nan)
    return _Library(
        np.array([p.id for p in photos], dtype=np.int64), photos, hashes,
        np.array(phashes, dtype=np.int64), np.array(has, dtype=bool), aspect,
    )  # fmt: skip


def find_duplicates(
    catalog: Catalog,
    index: VectorIndex,
    model_id: str,
    *,
    kinds: Sequence[Kind] = KINDS,
    thumbnails: ThumbnailCache | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[DuplicateProgress]:
    """The duplicate groups of the photos embedded by ``model_id``, on the last progress
    item ("done"); "cancelled" instead when ``cancel`` was set. Photos without a
    perceptual hash are hashed first (from ``thumbnails`` where it holds them), and kept
    in the catalog unless it is read-only."""
    cancel = cancel or threading.Event()
    extra: dict[int, int] = {}
    wants_pairs = "same" in kinds or "similar" in kinds
    if "same" in kinds and photos_without_phash(catalog, -1, 1):
        yield DuplicateProgress("hashing")
        extra = compute_missing(catalog, thumbnails, cancel)
    library = _load(catalog, model_id, extra)
    units = _Sets(len(library.ids))
    by_hash: dict[bytes, int] = {}
    for at, content in enumerate(library.hashes):
        if content is not None:
            units.union(by_hash.setdefault(content, at), at)
    same = _Sets(len(library.ids))
    for at, content in enumerate(library.hashes):
        if content is not None:
            same.union(by_hash[content], at)
    similar_pairs: list[tuple[np.ndarray, np.ndarray]] = []
    if wants_pairs:
        total = len(index)
        done = 0
        for ids, found, scores in index.neighbours(NEIGHBOURS, ef=NEIGHBOUR_EF):
            if cancel.is_set():
                yield DuplicateProgress("cancelled", done, total)
                return
            done += len(ids)
            a, b, is_same, is_similar = _classify(library, ids, found, scores)
            for x, y in zip(a[is_same].tolist(), b[is_same].tolist(), strict=True):
                same.union(x, y)
            similar_pairs.append((a[is_similar], b[is_similar]))
            yield DuplicateProgress("comparing", done, total)
    groups: list[DuplicateGroup] = []
    everyone = range(len(library.ids))
    if "exact" in kinds:
        groups += _report("exact", library, units.groups(everyone), None)
    same_sets = same.groups(everyone)
    if "same" in kinds:
        groups += _report("same", library, same_sets, units)
    if "similar" in kinds and similar_pairs:
        stars = _stars(catalog, model_id, library, same, same_sets, similar_pairs)
        groups += _report("similar", library, stars, same)
    yield DuplicateProgress("done", len(library.ids), len(library.ids), tuple(groups))


def duplicate_groups(
    catalog: Catalog, index: VectorIndex, model_id: str, **options: Any
) -> list[DuplicateGroup]:
    """:func:`find_duplicates`, waited for."""
    progress = list(find_duplicates(catalog, index, model_id, **options))
    return list(progress[-1].groups)


def _classify(
    library: _Library, ids: np.ndarray, found: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions (a, b) of the candidate pairs close enough to be either kind, and which
    are same-pairs and which similar-pairs."""
    close = (found >= 0) & (scores >= min(SAME_MIN_COSINE, SIMILAR_MIN_COSINE))
    rows, cols = np.nonzero(close)
    a = library.position(ids[rows])
    b = library.position(found[rows, cols])
    cosine = scores[rows, cols]
    known = (a >= 0) & (b >= 0)
    a, b, cosine = a[known], b[known], cosine[known]
    hashed = library.has_phash[a] & library.has_phash[b]
    distance = hamming_many(library.phash[a], library.phash[b])
    with np.errstate(invalid="ignore"):
        aspect_close = (
            np.abs(library.log_aspect[a] - library.log_aspect[b]) <= SAME_MAX_ASPECT_CHANGE
        )
    is_same = (cosine >= SAME_MIN_COSINE) & hashed & (distance <= SAME_MAX_HAMMING) & aspect_close
    return a, b, is_same, is_same | (cosine >= SIMILAR_MIN_COSINE)


def _best(library: _Library, members: Sequence[int]) -> int:
    return min(members, key=lambda at: keep_order(library.photos[at]))


def _stars(
    catalog: Catalog,
    model_id: str,
    library: _Library,
    same: _Sets,
    same_sets: dict[int, list[int]],
    pairs: list[tuple[np.ndarray, np.ndarray]],
) -> dict[int, list[int]]:
    """Similar groups: same groups linked by similar pairs, split into stars around their
    best photos, each member's best photo close to the star's."""
    a = np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0, np.int64)
    b = np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0, np.int64)
    linked = _Sets(len(library.ids))
    nodes: set[int] = set()
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = same.find(x), same.find(y)
        if rx != ry:
            linked.union(rx, ry)
            nodes.update((rx, ry))
    best = {root: _best(library, same_sets[root]) for root in nodes}
    wanted = sorted({int(library.ids[at]) for at in best.values()})
    vector_ids, vectors = catalog.embeddings(model_id, wanted)
    row_of = {int(i): n for n, i in enumerate(vector_ids.tolist())}
    stars: dict[int, list[int]] = {}
    for cluster in linked.groups(sorted(nodes)).values():
        left = sorted(cluster, key=lambda root: keep_order(library.photos[best[root]]))
        left = [r for r in left if int(library.ids[best[r]]) in row_of]
        while len(left) > 1:
            rows = np.array([row_of[int(library.ids[best[r]])] for r in left])
            cosine = vectors[rows] @ vectors[rows[0]]
            close = cosine >= SIMILAR_MIN_COSINE
            close[0] = True
            members = [r for r, near in zip(left, close.tolist(), strict=True) if near]
            if len(members) > 1:
                stars[left[0]] = [at for r in members for at in same_sets[r]]
            left = [r for r, near in zip(left, close.tolist(), strict=True) if not near]
    return stars


def _report(
    kind: Kind, library: _Library, sets: dict[int, list[int]], units: _Sets | None
) -> list[DuplicateGroup]:
    """The sets holding more than one unit (photos for "exact", exact copies for "same",
    same groups for "similar") as groups, the photo to keep first."""
    groups = []
    for members in sets.values():
        if len({units.find(m) for m in members} if units else members) < 2:
            continue
        photos = sorted((library.photos[m] for m in members), key=keep_order)
        groups.append(DuplicateGroup(kind, tuple(photos)))
    groups.sort(key=lambda g: os.fsencode(g.keep.path))
    return groups
