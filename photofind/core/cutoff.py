"""Which results of a query are matches: a rule per query, never one fixed score.

No fixed cosine works: 0.91 is the best hit of one query and noise for another, and each
model has its own scale (tiny-shapes scores matches at 0.95, OpenAI CLIP at 0.3). What can
be judged is how a query's top scores stand against the scores of the whole library for
that same query. Their mean and variance need no scoring of every photo: with the library's
mean embedding ``mu`` and covariance ``C``, a query ``q`` scores ``q . mu`` on average with
variance ``q' C q``. Both are estimated from a sample of the stored vectors
(:class:`LibraryStats`), which is cheap to refresh as the library grows.

The rule (:func:`count_matches`), on the top scores standardised as ``z = (s - mean) / sd``:

1. A group of top results is a match when it stands apart: the largest drop below it,
   ``gap``, is at least ``GAP_PER_SPREAD`` times the spread inside the group, the gap
   times the square root of the group's size (a lone photo needs a wider gap than twenty
   alike) is at least ``MIN_SEPARATION``, and the group's lowest score is at least
   ``MIN_Z`` above the library's mean.
2. Where scores fall off smoothly (no gap, as with large real CLIP libraries), the results
   at least ``OUTLIER_Z`` standard deviations above the mean are matches.

Measured on labelled generated libraries with tiny-shapes (benchmarks/search.py --cutoff:
24 colour+shape classes, with each query's class complete, down to one or three photos, or
removed): the constants below were chosen on three libraries and reported on three others.
A library whose scores do not spread for a query (empty, one photo, or one class of near
copies: ``MIN_DIVERSITY``) has nothing that stands out: no result is a match there, and
callers can still show the closest ones. The rule cannot tell there whether the one class
is what was asked for; an absolute score could, but no score means the same for every model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_Z = 1.5  # a match scores well above the library's mean for the query
GAP_PER_SPREAD = 0.5  # the drop below a group is at least half the spread inside it
MIN_SEPARATION = 0.4  # gap (in sd) x sqrt(group size): one photo alone needs a 0.4 sd gap
OUTLIER_Z = 3.0  # without a gap: beyond three sd is an outlier by any usual reading
# A group of matches spans less than this many sd (tiny-shapes' classes: about 0.2); the
# search looks further only while the results seen so far could be one group.
GROUP_SPAN = 1.0
# Below this spread (in cosine) the library's scores for the query are all the same score.
MIN_SD = 1e-4
# The total variance of unit embeddings is 1 - |mean|^2: about 1 for a varied library, 0.02
# for one class of near copies (tiny-shapes, one colour and shape). Below this floor the
# gaps between scores are noise, whatever their size in standard deviations.
MIN_DIVERSITY = 0.1
STATS_SAMPLE = 4096  # vectors sampled for the mean and covariance; their error is ~1/64


@dataclass(frozen=True)
class LibraryStats:
    """The mean and covariance of a library's embeddings (from a sample of them)."""

    count: int  # photos in the library (not the sample size)
    mean: np.ndarray
    covariance: np.ndarray

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, count: int | None = None) -> LibraryStats:
        vectors = np.asarray(vectors, dtype=np.float64)
        n, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
        if n == 0:
            return cls(count or 0, np.zeros(dim), np.zeros((dim, dim)))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
        mean = vectors.mean(axis=0)
        centred = vectors - mean
        return cls(n if count is None else count, mean, centred.T @ centred / n)

    @property
    def diversity(self) -> float:
        """The total variance of the embeddings: 0 for copies of one photo, about 1 for a
        library of unrelated photos."""
        return float(np.trace(self.covariance)) if self.count else 0.0

    def spread(self, query: np.ndarray) -> tuple[float, float]:
        """(mean, standard deviation) of the library's scores for a unit ``query``; the
        deviation is 0 for a library too uniform for anything to stand out in it."""
        if self.count == 0 or self.mean.shape[0] != query.shape[-1]:
            return 0.0, 0.0
        q = np.asarray(query, dtype=np.float64).ravel()
        mean = float(q @ self.mean)
        if self.diversity < MIN_DIVERSITY:
            return mean, 0.0
        return mean, float(np.sqrt(max(float(q @ self.covariance @ q), 0.0)))


def count_matches(scores: np.ndarray, mean: float, sd: float) -> int:
    """How many of ``scores`` (the query's best, in descending order) are matches, given the
    library's ``mean`` and ``sd`` of scores for the query (see :meth:`LibraryStats.spread`)."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0 or sd < MIN_SD:
        return 0
    z = (scores - mean) / sd
    outliers = int(np.count_nonzero(z >= OUTLIER_Z))
    candidates = int(np.count_nonzero(z >= MIN_Z))
    if candidates == 0:
        return outliers
    sizes = np.arange(1, min(candidates, len(z) - 1) + 1)
    if len(sizes) == 0:
        return outliers
    gaps = z[sizes - 1] - z[sizes]
    inner = z[0] - z[sizes - 1]
    separation = gaps * np.sqrt(sizes)
    ok = (gaps >= GAP_PER_SPREAD * inner) & (separation >= MIN_SEPARATION)
    if not ok.any():
        return outliers
    best = int(sizes[ok][np.argmax(separation[ok])])
    return max(best, outliers)


def needs_more(scores: np.ndarray, mean: float, sd: float, available: int) -> bool:
    """Whether more results than ``scores`` could change the count: the library holds more,
    and the last one is an outlier, or still inside a group that has not ended (its
    scores within ``GROUP_SPAN`` sd of the best). A smooth fall-off ends the search early."""
    if len(scores) >= available or len(scores) == 0 or sd < MIN_SD:
        return False
    first, last = (float(scores[0]) - mean) / sd, (float(scores[-1]) - mean) / sd
    return last >= OUTLIER_Z or (last >= MIN_Z and first - last < GROUP_SPAN)
