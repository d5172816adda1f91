"""An on-disk cache of small JPEG renditions of photos, for the result grid and the preview.

* **Key**: BLAKE2b of (path bytes, file size, mtime in ns, size bucket). An edited or
  replaced file gets a new key, so a stale thumbnail is never shown; entries no photo of
  the library asks for any more are removed by :mod:`photofind.core.thumbnail_upkeep`.
* **Buckets**: a requested size is rounded up to 128, 256, 512 or 1024 pixels (the longer
  side). Zooming the grid then reuses a thumbnail instead of making one per slider step;
  the GUI scales the bucket image down, which keeps it sharp.
* **Decoding**: ``open_image(min_size=bucket)`` lets libjpeg decode camera JPEGs at 1/2,
  1/4 or 1/8 scale (DCT scaling), several times faster than a full decode; EXIF orientation
  is applied, so thumbnails stand the right way up.
* **Writing**: a temporary file in the same folder, then a rename: a reader sees no file or
  a complete one. No fsync: this is a cache, and losing an entry to a power cut only costs
  decoding it again (a file that does not decode is rebuilt).

No Qt here: the GUI's loader turns the JPEG bytes into a QImage on its worker threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from photofind.core.errors import ImageError
from photofind.core.images import open_image

BUCKETS = (128, 256, 512, 1024)
JPEG_QUALITY = 85  # thumbnails of 256 px are ~15 KB at 85; artefacts only show below ~75
KEY_BYTES = 16
# The bucket the window's grid asks for at its default cell (160 px, settings.py) on a
# screen scaled up to 1.6x; index runs write this one from the picture they decode anyway.
GRID_BUCKET = 256
# An entry read is marked used (its mtime moved to now) at most this often.
USED_MARK_S = 24 * 3600


def bucket_for(size: int) -> int:
    """The smallest bucket at least ``size`` pixels (the largest bucket beyond it)."""
    for bucket in BUCKETS:
        if size <= bucket:
            return bucket
    return BUCKETS[-1]


@dataclass
class CacheStats:
    hits: int = 0  # served from the disk cache
    made: int = 0  # decoded from the photo and written


class ThumbnailCache:
    """Thread-safe: any number of worker threads may call :meth:`load` at once."""

    def __init__(self, root: Path, *, quality: int = JPEG_QUALITY) -> None:
        self.root = Path(root)
        self.quality = quality
        self.stats = CacheStats()
        self._lock = threading.Lock()

    def entry_path(self, photo: Path, size: int) -> Path:
        """Where the thumbnail of ``photo`` at ``size`` is (or would be) stored."""
        st = _stat(photo)
        return self._entry(photo, st.st_size, st.st_mtime_ns, bucket_for(size))

    def _entry(self, photo: Path, file_size: int, mtime_ns: int, bucket: int) -> Path:
        digest = entry_key(os.fsencode(os.path.abspath(photo)), file_size, mtime_ns, bucket).hex()
        return self.root / digest[:2] / f"{digest}.jpg"

    def put(self, photo: Path, file_size: int, mtime_ns: int, image: Image.Image) -> None:
        """Store the grid thumbnail of a picture already decoded (at least GRID_BUCKET on
        its longer side to be sharp); shrinks ``image`` in place."""
        entry = self._entry(photo, file_size, mtime_ns, GRID_BUCKET)
        self._write(entry, encode_thumbnail(image, GRID_BUCKET, self.quality))

    def cached(self, photo: Path, file_size: int, mtime_ns: int) -> bytes | None:
        """A thumbnail of the file as it was at (size, mtime) already on disk, the smallest
        bucket first; None when there is none. Never decodes the photo."""
        for bucket in BUCKETS:
            with contextlib.suppress(OSError):
                data = self._entry(photo, file_size, mtime_ns, bucket).read_bytes()
                if data[:2] == b"\xff\xd8":
                    return data
        return None

    def load(self, photo: Path, size: int) -> bytes:
        """JPEG bytes of ``photo`` whose longer side is at most ``bucket_for(size)`` pixels.

        Raises :class:`ImageError` with a user-facing sentence when the photo cannot be read."""
        st = _stat(photo)
        bucket = bucket_for(size)
        entry = self._entry(photo, st.st_size, st.st_mtime_ns, bucket)
        with contextlib.suppress(OSError):
            with open(entry, "rb") as fh:
                data = fh.read()
                if bucket != GRID_BUCKET:  # only these are ever removed to fit a budget
                    _mark_used(fh.fileno(), entry)
            if data[:2] == b"\xff\xd8":  # a JPEG start: anything else is rebuilt
                with self._lock:
                    self.stats.hits += 1
                return data
        data = make_thumbnail(photo, bucket, self.quality)
        self._write(entry, data)
        with self._lock:
            self.stats.made += 1
        return data

    def _write(self, entry: Path, data: bytes) -> None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=entry.parent)
        except OSError:
            return  # an unwritable cache costs speed, not correctness
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, entry)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def files(self) -> list[Path]:
        return sorted(self.root.glob("??/*.jpg")) if self.root.is_dir() else []


def entry_key(abs_path: bytes, file_size: int, mtime_ns: int, bucket: int) -> bytes:
    """The key of a thumbnail: an entry's file name is its hex form."""
    return entry_keys(abs_path, file_size, mtime_ns, (bucket,))[0]


def entry_keys(
    abs_path: bytes, file_size: int, mtime_ns: int, buckets: tuple[int, ...] = BUCKETS
) -> list[bytes]:
    """The keys of one file's thumbnails at ``buckets``, the path hashed once for all."""
    h = hashlib.blake2b(digest_size=KEY_BYTES)
    h.update(abs_path)
    h.update(b"\0%d\0%d\0" % (file_size, mtime_ns))
    keys = []
    for bucket in buckets:
        one = h.copy()
        one.update(b"%d" % bucket)
        keys.append(one.digest())
    return keys


def _mark_used(fd: int, entry: Path) -> None:
    """Move an entry's mtime to now when it is older than :data:`USED_MARK_S`: the budget
    of the other buckets then removes the least recently used first, at the cost of one
    fstat per read and one metadata write per entry and day."""
    if time.time() - os.fstat(fd).st_mtime > USED_MARK_S:
        with contextlib.suppress(OSError):  # a read-only cache: written-time it stays
            os.utime(entry)


def _stat(photo: Path) -> os.stat_result:
    try:
        return os.stat(photo)
    except FileNotFoundError:
        raise ImageError("The file does not exist (it may have been moved or deleted).") from None
    except OSError as exc:
        raise ImageError(f"The file could not be read ({exc.strerror or exc}).") from None


def make_thumbnail(photo: Path | bytes, bucket: int, quality: int = JPEG_QUALITY) -> bytes:
    """Decode (JPEG draft mode, EXIF orientation applied) and shrink to fit ``bucket``."""
    image = open_image(photo, min_size=bucket)
    try:
        return encode_thumbnail(image, bucket, quality)
    finally:
        image.close()


def encode_thumbnail(image: Image.Image, bucket: int, quality: int = JPEG_QUALITY) -> bytes:
    """Shrink a decoded RGB picture (in place) to fit ``bucket`` and encode it as JPEG."""
    image.thumbnail((bucket, bucket), Image.Resampling.BICUBIC, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()
