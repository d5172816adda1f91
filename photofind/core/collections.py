"""Smart collections: the photos that match a collection's descriptions, with the user's
corrections on top, and a photo's top labels from the built-in set.

Members come from the stored vectors, never from encoding a photo again:

1. :class:`LibraryVectors` holds one model's vectors in memory, in photo-id order. It is
   loaded once and then brought up to date incrementally (:meth:`LibraryVectors.refresh`,
   after each index run): photos that left are dropped, and only new photos, or photos
   whose content changed, are read from the catalog.
2. A collection's queries are its descriptions' text vectors and its example photos'
   vectors. One matrix product scores every photo against all of them.
3. Each query's matches are decided by the rule search uses (:mod:`photofind.core.cutoff`),
   on that query's scores over the whole library; a photo is a member when it matches any
   query (a collection "dogs or cats" holds both), with its best score.
4. Corrections win over the model: a photo the user added is a member, one they took out
   is not, whatever the scores say.

Results are kept until the vectors or the collection change, so a count, a sidebar and a
browse of the same collection cost one computation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.catalog import Catalog
from photofind.core.classify import LabelProbability, ZeroShotClassifier
from photofind.core.clip.vocabulary import unknown_words
from photofind.core.collection_store import (
    EXCLUDE,
    INCLUDE,
    Collection,
    CollectionError,
    CollectionStore,
    PhotoRef,
    builtin_labels,
)
from photofind.core.cutoff import count_matches, needs_more
from photofind.core.pacing import foreground

PHOTOS_PER_READ = 5000  # ~15 ms of reading between two looks at the window
TOP_LABELS = 3  # the viewer's details panel: enough to see the runner-up, not a list


@dataclass(frozen=True)
class Member:
    photo_id: int
    path: Path
    score: float  # the best cosine against the collection's descriptions and examples
    by_hand: bool  # added by the user; it would not have matched on its own


class LibraryVectors:
    """One model's stored vectors in memory (ids ascending), for whole-library products."""

    def __init__(self, catalog: Catalog, model_id: str, dim: int) -> None:
        self.catalog = catalog
        self.model_id = model_id
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, dim), dtype=np.float32)
        self.hashes: list[bytes] = []
        self.generation = 0  # changes whenever the vectors do
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def refresh(self) -> bool:
        """Bring the vectors up to date with the catalog; True when they changed. Only the
        vectors of photos that are new or whose content changed are read."""
        rows = self._photos()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        hashes = [bytes(r[1] or b"") for r in rows]
        held = len(self.ids)
        pos = np.searchsorted(self.ids, ids)
        if held:
            at = np.minimum(pos, held - 1)
            same = self.ids[at] == ids
            keep = np.fromiter(
                (ok and self.hashes[p] == h
                 for ok, p, h in zip(same.tolist(), at.tolist(), hashes, strict=True)),
                dtype=bool, count=len(ids),
            )  # fmt: skip
        else:
            keep = np.zeros(len(ids), dtype=bool)
        if self._loaded and keep.all() and len(ids) == held:
            return False
        got_ids, vectors = self.catalog.embeddings(self.model_id, ids[~keep].tolist())
        # A photo removed between the two reads has no vector: it goes at the next refresh.
        final = keep | np.isin(ids, got_ids)
        kept = keep[final]
        matrix = np.empty((int(final.sum()), self.matrix.shape[1]), dtype=np.float32)
        _copy_rows(self.matrix, pos[keep], matrix, np.flatnonzero(kept))
        if len(got_ids):
            vectors = vectors.reshape(len(got_ids), -1)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            matrix[~kept] = vectors  # both in id order
        self.ids, self.matrix = ids[final], matrix
        self.hashes = [h for h, ok in zip(hashes, final.tolist(), strict=True) if ok]
        self.generation += 1
        self._loaded = True
        return True

    def _photos(self) -> list[tuple]:
        """(id, content hash) of every photo with a vector, by id: read in pieces, giving
        way to the window between them (100k rows take a few hundred milliseconds)."""
        rows: list[tuple] = []
        while True:
            foreground.give_way()
            after = rows[-1][0] if rows else -1
            piece = self.catalog.select(
                "SELECT p.id, p.content_hash FROM photos p JOIN embeddings e ON e.photo_id = p.id "
                "WHERE e.model_id = ? AND p.id > ? ORDER BY p.id LIMIT ?",
                (self.model_id, after, PHOTOS_PER_READ),
            )
            rows += piece
            if len(piece) < PHOTOS_PER_READ:
                return rows

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def rows_of(self, content_hashes: Iterable[bytes]) -> np.ndarray:
        """Row positions of the photos with these contents (every copy)."""
        wanted = set(content_hashes)
        if not wanted:
            return np.zeros(0, dtype=np.int64)
        return np.fromiter((i for i, h in enumerate(self.hashes) if h in wanted), dtype=np.int64)


def _copy_rows(source: np.ndarray, rows: np.ndarray, target: np.ndarray, at: np.ndarray) -> None:
    """target[at] = source[rows], as one slice copy where both are runs (the usual refresh:
    photos only added after the others), since a 100k x 512 fancy index copies twice."""

    def run(x: np.ndarray) -> slice | np.ndarray:
        return slice(int(x[0]), int(x[-1]) + 1) if len(x) and x[-1] - x[0] + 1 == len(x) else x

    if len(rows):
        target[run(at)] = source[run(rows)]


FIRST_LOOK = 1024  # top scores sorted first; the rule rarely needs more (then four times more)


def matches(scores: np.ndarray) -> np.ndarray:
    """Which photos match one query, from its scores over the whole library: search's rule
    (:func:`photofind.core.cutoff.count_matches`) with the exact mean and spread of these
    scores, which are at hand here (search estimates them from a sample). Only the top
    scores are sorted, as many as the rule looks at (:func:`~photofind.core.cutoff.needs_more`)."""
    mask = np.zeros(len(scores), dtype=bool)
    if len(scores) == 0:
        return mask
    mean, sd = float(scores.mean()), float(scores.std())
    look = min(FIRST_LOOK, len(scores))
    while True:
        top = np.argpartition(-scores, look - 1)[:look] if look < len(scores) else np.arange(look)
        top = top[np.argsort(-scores[top], kind="stable")]
        if not needs_more(scores[top], mean, sd, len(scores)):
            break
        look = min(4 * look, len(scores))
    mask[top[: count_matches(scores[top], mean, sd)]] = True
    return mask


class CollectionService:
    """The collections of one library as seen by one model (the one answering searches).
    Thread-safe: the window counts and browses from worker threads."""

    def __init__(self, catalog: Catalog, classifier: ZeroShotClassifier) -> None:
        self.catalog = catalog
        self.classifier = classifier
        self.store = CollectionStore(catalog)
        encoder = classifier.encoder
        self.vectors = LibraryVectors(catalog, encoder.model_id, encoder.embed_dim)
        self._lock = threading.RLock()
        self._texts: dict[str, np.ndarray] = {}
        self._members: dict[str, tuple[tuple, np.ndarray, np.ndarray, np.ndarray]] = {}

    @property
    def model_id(self) -> str:
        return self.vectors.model_id

    def refresh(self) -> bool:
        """After an index run: only what changed is read, and only once vectors are in use
        (a library that never looks at a collection pays nothing)."""
        with self._lock:
            return self.vectors.loaded and self.vectors.refresh()

    # -- definitions --------------------------------------------------------------------

    def all(self, *, include_off: bool = False) -> list[Collection]:
        return [c for c in self.store.all() if include_off or c.enabled]

    def get(self, name: str) -> Collection:
        return self.store.get(name)

    def add(self, name: str, descriptions: Sequence[str], *, sensitive: bool = False,
            examples: Sequence[Path] = ()) -> Collection:  # fmt: skip
        self.store.add(name, descriptions, sensitive=sensitive, examples=self._hashes(examples))
        return self.store.get(name)

    def edit(
        self,
        name: str,
        *,
        descriptions: Sequence[str] | None = None,
        sensitive: bool | None = None,
        enabled: bool | None = None,
    ) -> Collection:
        """Change what is given (None: as it is); ``enabled`` switches it on or off."""
        return self.store.edit(
            name, descriptions=descriptions, sensitive=sensitive, enabled=enabled
        )

    def remove(self, name: str) -> Collection:
        return self.store.remove(name)

    def include(self, name: str, photos: Sequence[Path]) -> None:
        self.store.correct(name, self._hashes(photos), INCLUDE)

    def exclude(self, name: str, photos: Sequence[Path]) -> None:
        self.store.correct(name, self._hashes(photos), EXCLUDE)

    def reset(self, name: str, photos: Sequence[Path]) -> None:
        """Forget the corrections of these photos: the model decides again."""
        self.store.correct(name, self._hashes(photos), None)

    def _hashes(self, photos: Sequence[Path]) -> list[PhotoRef]:
        out = []
        for photo in photos:
            row = self.catalog.photo_by_path(Path(os.path.abspath(photo)))
            if row is None or row.content_hash is None or row.status != "indexed":
                raise CollectionError(
                    f"{photo} is not an indexed photo of the library; add its folder with "
                    "'photofind index FOLDER' first."
                )
            out.append(PhotoRef(row.content_hash, row.id))
        return out

    # -- members ------------------------------------------------------------------------

    def _text_vectors(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._texts]
        if missing:
            encoded = self.classifier.encoder.encode_texts(missing)
            encoded /= np.maximum(np.linalg.norm(encoded, axis=1, keepdims=True), 1e-12)
            self._texts.update(zip(missing, encoded, strict=True))
        dim = self.vectors.matrix.shape[1]
        return np.stack([self._texts[t] for t in texts]) if texts else np.zeros((0, dim))

    def _queries(self, collection: Collection) -> np.ndarray:
        vectors = self.vectors
        return np.concatenate(
            [self._text_vectors(self.readable(collection)),
             vectors.matrix[vectors.rows_of(collection.examples)]]
        ).astype(np.float32)  # fmt: skip

    def readable(self, collection: Collection) -> tuple[str, ...]:
        """The descriptions the model can read. One with words outside its vocabulary (the
        demo model knows only colours and shapes: "a photo of a pet") would still come out
        as some vector and match photos at random, so it is left out; a collection with none
        left holds only the photos the user put in it."""
        encoder = self.classifier.encoder
        return tuple(d for d in collection.descriptions if not unknown_words(encoder, d))

    def _decide(
        self, collection: Collection, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(photo ids, scores, by_hand) of the members, best first, from every photo's
        scores against each of the collection's queries ((n, queries))."""
        vectors = self.vectors
        n = len(vectors.ids)
        member = np.zeros(n, dtype=bool)
        for column in scores.T:
            member |= matches(column)
        best = scores.max(axis=1) if scores.shape[1] else np.zeros(n, dtype=np.float32)
        added = np.zeros(n, dtype=bool)
        added[vectors.rows_of(collection.includes | collection.examples)] = True
        by_hand = added & ~member
        member |= added
        member[vectors.rows_of(collection.excludes)] = False
        rows = np.flatnonzero(member)
        rows = rows[np.lexsort((vectors.ids[rows], -best[rows]))]
        return vectors.ids[rows], best[rows], by_hand[rows]

    @staticmethod
    def _key(generation: int, collection: Collection) -> tuple:
        return (
            generation, collection.descriptions, collection.includes, collection.excludes,
            collection.examples,
        )  # fmt: skip

    def _compute(self, collections: Sequence[Collection]) -> None:
        """Bring the members of these collections up to date, all of them from one matrix
        product (the library's vectors are read from memory once, whatever their number)."""
        with self._lock:
            self.vectors.ensure_loaded()
            generation = self.vectors.generation
            stale = [
                c for c in collections
                if self._members.get(c.name, (None,))[0] != self._key(generation, c)
            ]  # fmt: skip
            if not stale:
                return
            queries = [self._queries(c) for c in stale]
            stacked = np.concatenate(queries)
            scores = self.vectors.matrix @ stacked.T  # every photo against every query
            start = 0
            for collection, own in zip(stale, queries, strict=True):
                part = scores[:, start : start + len(own)]
                start += len(own)
                self._members[collection.name] = (
                    self._key(generation, collection),
                    *self._decide(collection, part),
                )

    def _members_of(self, collection: Collection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            self._compute([collection])
            cached = self._members[collection.name]
            return cached[1], cached[2], cached[3]

    def member_ids(self, name: str) -> np.ndarray:
        """Photo ids of a collection's members, best first (also for a collection that is
        switched off: asking for it by name is the user's say)."""
        return self._members_of(self.get(name))[0]

    def ranked(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(photo ids, scores) of a collection's members, best first, without reading their
        catalog rows (a window shows the first screenful of a large collection at once)."""
        found, scores, _ = self._members_of(self.get(name))
        return found, scores

    def members(self, name: str) -> list[Member]:
        found, scores, by_hand = self._members_of(self.get(name))
        ids = found.tolist()
        paths = self.catalog.photos(ids)
        return [
            Member(i, paths[i].path, float(s), bool(h))
            for i, s, h in zip(ids, scores.tolist(), by_hand.tolist(), strict=True)
            if i in paths
        ]

    def counts(self) -> dict[str, int]:
        """Members of every collection that is on, by name."""
        collections = self.all()
        with self._lock:
            self._compute(collections)
            return {c.name: len(self._members[c.name][1]) for c in collections}

    def sensitive_ids(self) -> np.ndarray:
        """Photo ids of the members of every sensitive collection that is on."""
        sensitive = [c for c in self.all() if c.sensitive]
        with self._lock:
            self._compute(sensitive)
            found = [self._members[c.name][1] for c in sensitive]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def scope(
        self, names: Sequence[str], *, hide_sensitive: bool = False
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """What a search keeps to (``SearchService.find(within=, hidden=)``): the members of
        any of these collections (None: no such limit), and the photos of the sensitive
        collections that are on when they are to be hidden (None: none hidden). Raises
        CollectionError for a name that is no collection."""
        within = None
        if names:
            within = np.unique(np.concatenate([self.member_ids(name) for name in names]))
        return within, self.sensitive_ids() if hide_sensitive else None

    def any_sensitive(self) -> bool:
        """Whether hiding sensitive photos hides anything: some sensitive collection is on."""
        return any(c.sensitive for c in self.all())

    # -- labels -------------------------------------------------------------------------

    def labels_for(self, photo_id: int, top: int = TOP_LABELS) -> list[LabelProbability]:
        """A photo's most probable labels among the built-in collections that are not
        sensitive (probabilities over all of those labels, summing to 1); empty when the
        photo has no vector for this model. Labels the model cannot read are left out, and
        with fewer than two left there is nothing to tell apart: no labels."""
        encoder = self.classifier.encoder
        labels = [label for label in builtin_labels() if not unknown_words(encoder, label)]
        _, vectors = self.catalog.embeddings(self.model_id, [photo_id])
        if len(vectors) == 0 or len(labels) < 2:
            return []
        return list(self.classifier.rank(vectors, labels)[0][:top])
