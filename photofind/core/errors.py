"""Errors a user can meet. Each carries one plain sentence that says what happened and what
to do, and optionally a ``hint``: a remedy that only one front end can offer (the CLI names
its options there; the window offers a button instead and leaves the hint out)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


class PhotofindError(Exception):
    """Base class: ``str(err)`` is a message fit to show a user as it is."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ModelError(PhotofindError):
    """A model bundle is missing, incomplete or cannot be run."""


class ImageError(PhotofindError):
    """One image file cannot be read; recorded per file, never stops a run."""


class CatalogError(PhotofindError):
    """The catalog or data directory cannot be used."""


class CatalogDamagedError(CatalogError):
    """The catalog file is damaged; :func:`photofind.core.repair.repair_catalog` mends it."""


class DiskFullError(CatalogError):
    """The disk holding the data folder is full; nothing was lost, space must be freed."""


class NotWritableError(CatalogError):
    """The data folder or a file in it is read-only (a read-only disk, or its permissions)."""


class LibraryBusyError(CatalogError):
    """Another program (another photofind, usually) holds the catalog's write lock."""


# Below this much free space a failed write is put down to a full disk: SQLite reports a
# full disk as several kinds of I/O error (a wal-index that cannot grow is SHMSIZE).
NEARLY_FULL_BYTES = 1 << 20
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def is_nearly_full(folder: Path) -> bool:
    """True when the disk holding ``folder`` (or its nearest existing parent) is about full."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def disk_full(folder: Path, what: str = "nothing was lost") -> DiskFullError:
    return DiskFullError(
        f"The disk holding {folder} is full; free some space on it and try again ({what})."
    )


def write_error(exc: OSError, path: Path) -> PhotofindError | None:
    """The sentence for an OSError met while writing ``path``, when it is the user's disk
    that refused (full, read-only, not permitted, failing); None for anything else."""
    where = Path(path)
    folder = where if where.is_dir() else where.parent
    if exc.errno in _FULL_ERRNOS:
        return disk_full(folder)
    if exc.errno in _READ_ONLY_ERRNOS:
        return NotWritableError(
            f"{where} cannot be written ({os.strerror(exc.errno)}); make the folder "
            "writable and try again (nothing was changed)."
        )
    if exc.errno == errno.EIO:
        return CatalogError(
            f"The disk holding {folder} reported an error while writing {where.name}; "
            "check the disk and try again."
        )
    return None
