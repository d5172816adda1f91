"""What the catalog hands out: photo rows, counts, and what the indexer records."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PENDING, INDEXED, FAILED = "pending", "indexed", "failed"
# Why a file failed decides when it is tried again. A transient failure (the file vanished
# mid-run, permission denied, an I/O error, a lock, a timeout) is retried on the next run:
# the cause is usually fixed without touching the file. A content failure (not an image,
# truncated, too large) is retried only when the file's size or mtime change.
TRANSIENT, CONTENT = "transient", "content"


@dataclass(frozen=True)
class PhotoRow:
    id: int
    path: Path
    size: int
    mtime_ns: int
    content_hash: bytes | None
    width: int | None
    height: int | None
    taken_at: float | None
    status: str
    error: str | None
    model_id: str | None
    failure_kind: str | None = None  # TRANSIENT or CONTENT when status is FAILED
    camera: str | None = None  # EXIF make and model
    date_source: str | None = None  # EXIF or FILE: where taken_at came from; None: not read yet

    @property
    def raw_path(self) -> bytes:
        return os.fsencode(self.path)


@dataclass(frozen=True)
class Counts:
    photos: int  # indexed for the model asked about
    failed: int
    pending: int

    @property
    def total(self) -> int:
        return self.photos + self.failed + self.pending


@dataclass(frozen=True)
class IndexedPhoto:
    """What the indexer learned about one file that encoded fine."""

    path: Path
    size: int
    mtime_ns: int
    content_hash: bytes
    width: int
    height: int
    taken_at: float
    camera: str | None = None
    date_source: str | None = None  # EXIF when taken_at is the EXIF capture time, else FILE


EXIF, FILE = "exif", "file"
COLUMNS = (
    "id, path, size, mtime_ns, content_hash, width, height, taken_at, status, error, model_id, "
    "failure_kind, camera, date_source"
)


def photo_row(r: tuple) -> PhotoRow:
    return PhotoRow(r[0], Path(os.fsdecode(r[1])), *r[2:])


def fs_path(path: str | os.PathLike[str]) -> bytes:
    return os.fsencode(os.fspath(path))
