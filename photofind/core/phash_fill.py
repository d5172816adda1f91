"""Perceptual hashes in the catalog: stored by index runs, filled once for older photos.

Index runs hash the picture they decode for the model (:mod:`photofind.core.indexer`).
Photos indexed before the catalog kept hashes (version 5) get theirs here, at the end of
an index run, without re-encoding: from a thumbnail already in the cache when there is one
(128 px and up are far more than the 32x32 the hash looks at), else from the file decoded
at a fraction of its size (a 12 MP JPEG at 1/4). A file that cannot be read
now keeps NULL and is tried again on the next run. A photo without a hash can still be an
exact or a similar duplicate, never a "same" one.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from photofind.core.catalog import Catalog
from photofind.core.errors import ImageError
from photofind.core.images import open_image
from photofind.core.phash import perceptual_hash, to_signed
from photofind.core.thumbnails import ThumbnailCache

BATCH = 256  # rows hashed, then written in one transaction: a cancel loses at most these
# The shorter side a file is decoded at, at least (JPEG draft: twice this): near what index
# runs hash, since a hash of a 1/8-scale decode was up to 16 bits off theirs (measured on
# the generated shapes of tests/core/test_duplicates.py), 0-2 at this size.
FILE_DECODE_MIN = 128

_WITHOUT_HASH = (
    "SELECT id, path, size, mtime_ns FROM photos WHERE status = 'indexed' AND phash IS NULL "
    "AND id > ? ORDER BY id LIMIT ?"
)


def store_phashes(catalog: Catalog, hashes: Iterable[tuple[int, int]]) -> None:
    """Write (photo id, unsigned 64-bit hash) pairs; joins the caller's transaction."""
    rows = [(to_signed(h), photo_id) for photo_id, h in hashes]
    if rows:
        with catalog.transaction() as db:
            db.executemany("UPDATE photos SET phash = ? WHERE id = ?", rows)


def photos_without_phash(
    catalog: Catalog, after_id: int, limit: int
) -> list[tuple[int, Path, int, int]]:
    """(id, path, size, mtime_ns) of indexed photos with no hash yet, by id, past ``after_id``."""
    return [
        (i, Path(os.fsdecode(p)), size, mtime)
        for i, p, size, mtime in catalog.select(_WITHOUT_HASH, (after_id, limit))
    ]


def hash_of_photo(path: Path, size: int, mtime_ns: int, thumbnails: ThumbnailCache | None) -> int:
    """The photo's hash, from its cached thumbnail if there is one, else from the file.
    Raises ImageError or OSError when neither can be read."""
    cached = thumbnails.cached(path, size, mtime_ns) if thumbnails is not None else None
    if cached is not None:
        try:
            with Image.open(io.BytesIO(cached)) as thumb:
                return perceptual_hash(thumb)
        except Exception:  # a damaged cache entry: the file itself decides
            pass
    image = open_image(path, min_size=FILE_DECODE_MIN)
    try:
        return perceptual_hash(image)
    finally:
        image.close()


def compute_missing(
    catalog: Catalog,
    thumbnails: ThumbnailCache | None,
    cancel: threading.Event | None = None,
) -> dict[int, int]:
    """Hash the indexed photos that have none; returns id -> unsigned hash of those done.
    They are written to the catalog batch by batch, unless it was opened read-only (its
    caller then uses them in memory). Stops between files when ``cancel`` is set."""
    done: dict[int, int] = {}
    after = -1
    while cancel is None or not cancel.is_set():
        rows = photos_without_phash(catalog, after, BATCH)
        if not rows:
            break
        batch: dict[int, int] = {}
        for photo_id, path, size, mtime_ns in rows:
            if cancel is not None and cancel.is_set():
                break
            try:
                batch[photo_id] = hash_of_photo(path, size, mtime_ns, thumbnails)
            except (ImageError, OSError):
                continue  # offline, gone or unreadable now: tried again on the next run
        if not catalog.read_only:
            store_phashes(catalog, batch.items())
        done.update(batch)
        after = rows[-1][0]
    return done
