"""Rotating backups of the catalog, the one file in the data folder that cannot be rebuilt.

After an index run that changed the catalog, a copy is made with SQLite's online backup API
(consistent even while another process writes), checked with ``PRAGMA quick_check``, and only
then moved in as the newest backup, the older one moving down; BACKUPS_KEPT are kept. A copy
that fails the check means the catalog itself is damaged: no good backup is replaced by it,
and the damage is reported while the backups from before it still exist.

``data_dir/backups/catalog-1.sqlite3`` is the newest, ``catalog-2.sqlite3`` the one before.
Each records when it was made (``meta`` key ``backup_made_at``). ``photofind repair``
restores the newest one that passes the check (:mod:`photofind.core.repair`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from photofind.core.atomic import fsync_dir
from photofind.core.catalog import Catalog
from photofind.core.catalog_db import catalog_error, damaged, sqlite_uri
from photofind.core.errors import (
    CatalogDamagedError,
    CatalogError,
    DiskFullError,
    write_error,
)

log = logging.getLogger(__name__)

BACKUPS_KEPT = 2  # the newest, and the one before in case damage came in unnoticed with it
BACKUP_DIR = "backups"
MADE_AT_KEY = "backup_made_at"
# A backup is as big as the catalog; it is skipped rather than allowed to fill the disk,
# which would stop the next index run. A tenth more covers SQLite's own slack, and the
# reserve is left for the next run's first commits.
SPACE_MARGIN = 0.1
RESERVE_BYTES = 256 << 10


def backup_dir(catalog_path: Path) -> Path:
    return Path(catalog_path).parent / BACKUP_DIR


def backup_paths(catalog_path: Path) -> list[Path]:
    """Where the backups go, newest first (whether they exist or not)."""
    return [backup_dir(catalog_path) / f"catalog-{n}.sqlite3" for n in range(1, BACKUPS_KEPT + 1)]


def check_file(path: Path) -> str | None:
    """None when the SQLite file at ``path`` passes ``PRAGMA quick_check``, else why not."""
    try:
        db = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        db.close()
    return None if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows[:3])


def made_at(path: Path) -> float | None:
    """When the backup at ``path`` was made (from its own record, else the file's time)."""
    with contextlib.suppress(sqlite3.Error, ValueError, TypeError):
        db = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (MADE_AT_KEY,)).fetchone()
        finally:
            db.close()
        if row:
            return float(row[0])
    with contextlib.suppress(OSError):
        return path.stat().st_mtime
    return None


def _copy(catalog: Catalog, target: Path) -> None:
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        catalog.copy_to(dest)
        # One self-contained file: the copy needs no -wal beside it to be whole.
        dest.execute("PRAGMA journal_mode=DELETE")
        dest.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (MADE_AT_KEY, repr(time.time())),
        )
    finally:
        dest.close()


def back_up(catalog: Catalog) -> Path:
    """Make a new newest backup of ``catalog`` and return where it is.

    Raises CatalogDamagedError when the copy fails its check (the backups are left as they
    were), DiskFullError when there is not room for it, CatalogError for other write errors."""
    newest = backup_paths(catalog.path)
    folder = newest[0].parent
    tmp = folder / ".catalog-new.sqlite3.tmp"
    try:
        folder.mkdir(exist_ok=True)
        size = catalog.path.stat().st_size
        if shutil.disk_usage(folder).free < size * (1 + SPACE_MARGIN) + RESERVE_BYTES:
            raise DiskFullError(
                f"There is not enough free space on the disk holding {catalog.path.parent} "
                "for a new backup of the catalog; free some space on it (the catalog itself "
                "is fine, and the earlier backups are kept)."
            )
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _copy(catalog, tmp)
        problem = check_file(tmp)
        if problem is not None:
            raise damaged(catalog.path, problem)
        with open(tmp, "r+b") as f:
            os.fsync(f.fileno())
        for older, newer in reversed(list(zip(newest[1:], newest[:-1], strict=True))):
            if newer.exists():
                os.replace(newer, older)
        os.replace(tmp, newest[0])
        fsync_dir(folder)
    except OSError as exc:
        raise (write_error(exc, tmp) or CatalogError(
            f"The catalog could not be backed up in {folder} ({exc}); it is fine itself."
        )) from exc  # fmt: skip
    except sqlite3.Error as exc:
        raise (catalog_error(exc, catalog.path) or exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return newest[0]


def back_up_if_changed(catalog: Catalog, changes_backed_up: int) -> int:
    """Back up ``catalog`` when it changed since ``changes_backed_up`` (its ``changes``
    count when last backed up) or has photos and no backup yet; returns the count now.

    Damage is raised (CatalogDamagedError); a backup that cannot be written is only logged,
    since the catalog itself is fine and the older backups are kept."""
    changes = catalog.changes
    if catalog.read_only:
        return changes
    first = not backup_paths(catalog.path)[0].exists() and catalog.has_photos()
    if changes == changes_backed_up and not first:
        return changes
    try:
        back_up(catalog)
    except CatalogDamagedError:
        raise
    except CatalogError as exc:
        log.warning("%s", exc)
        return changes_backed_up
    return changes
