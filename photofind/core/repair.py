"""``photofind repair``: a damaged catalog back in working order, with nothing deleted.

What it does, in order:

1. Checks the catalog (``PRAGMA quick_check``). A healthy one is left alone unless the user
   asks for a salvage.
2. Builds the replacement beside it, in a temporary file: a copy of the newest backup that
   passes the same check (:mod:`photofind.core.backup`), or, when there is none or the user
   asks, a salvage: a new catalog into which every row SQLite can still read is copied,
   range by range, falling back to one row at a time around damaged pages, skipping the rows
   that cannot be read.
3. Moves the damaged file aside, renamed with the time (its write-ahead log goes with it, so
   the pair can still be opened), and moves the replacement in.
4. Deletes the search index files: they are caches, and after a restore their labels may
   name other photos than the catalog's rows do. The next start rebuilds them from the
   stored vectors.

The photos the replacement lacks (added after the backup, or on an unreadable page) are
found again by the next ``photofind index``, which encodes only those.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from photofind.core.atomic import fsync_dir
from photofind.core.backup import MADE_AT_KEY, backup_paths, check_file, made_at
from photofind.core.catalog_db import catalog_error, open_elsewhere, sqlite_uri
from photofind.core.config import AppPaths
from photofind.core.errors import CatalogError, LibraryBusyError, write_error
from photofind.core.salvage import salvage_into
from photofind.core.vector_index import index_files

HEALTHY, RESTORED, SALVAGED = "healthy", "restored", "salvaged"


@dataclass(frozen=True)
class RepairReport:
    action: str  # HEALTHY (nothing done), RESTORED (from a backup) or SALVAGED
    photos: int  # photos in the catalog now
    backup: Path | None = None  # the backup restored
    backup_made_at: float | None = None
    damaged_copy: Path | None = None  # where the damaged catalog was kept
    problem: str | None = None  # what the check found wrong
    photos_before: int | None = None  # salvage: how many the damaged catalog listed
    folders: int | None = None  # library folders in the catalog now


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def _count(path: Path, table: str = "photos") -> int:
    db = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


def _restore_into(backup: Path, target: Path) -> None:
    source = sqlite3.connect(sqlite_uri(backup, mode="ro"), uri=True)
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(dest)
        dest.execute("DELETE FROM meta WHERE key = ?", (MADE_AT_KEY,))
    finally:
        dest.close()
        source.close()


def _photos_listed(path: Path) -> int | None:
    """How many photos a damaged catalog says it has (its count may still be readable
    where some of the rows are not); None when not even that can be read."""
    with contextlib.suppress(sqlite3.Error):
        return _count(path)
    return None


def _newest_good_backup(catalog_path: Path) -> Path | None:
    for backup in backup_paths(catalog_path):
        if backup.is_file() and check_file(backup) is None:
            return backup
    return None


def _set_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while _exists(aside):
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    wal, shm = _companions(path)
    with contextlib.suppress(FileNotFoundError):
        shm.unlink()  # the connections' shared memory, not data
    if _exists(wal) and wal.stat().st_size > 0:
        os.replace(wal, _companions(aside)[0])  # committed changes may sit in it
    else:
        with contextlib.suppress(FileNotFoundError):
            wal.unlink()
    os.replace(path, aside)
    return aside


def _drop_index_files(data_dir: Path) -> None:
    for index in data_dir.glob("index-*.hnsw"):
        for name in index_files(index):
            with contextlib.suppress(FileNotFoundError):
                name.unlink()


def repair_catalog(paths: AppPaths, *, salvage: bool = False) -> RepairReport:
    """Check the catalog and, when it is damaged (or ``salvage`` is asked for), replace it as
    the module docstring says. Raises CatalogError subclasses with a user-facing sentence
    (nothing to repair from, a full or read-only disk)."""
    catalog = paths.catalog_path
    present = catalog.is_file()
    if present and open_elsewhere(catalog):
        raise LibraryBusyError(
            f"Another program (photofind's window, an index run?) has the library in "
            f"{paths.data_dir} open; close it, then repair."
        )
    problem = check_file(catalog) if present else "there is no catalog file"
    if problem is None and not salvage:
        return RepairReport(HEALTHY, _count(catalog))
    backup = None if salvage else _newest_good_backup(catalog)
    if backup is None and not present:
        raise CatalogError(
            f"There is no catalog in {paths.data_dir} and no backup of one; "
            "'photofind index FOLDER' starts a new one."
        )
    target = catalog.with_name(f".{catalog.name}.repair.tmp")
    try:
        for leftover in (target, *_companions(target)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        before = None
        if backup is not None:
            _restore_into(backup, target)
        else:
            before = _photos_listed(catalog)
            salvage_into(catalog, target)
        if (still := check_file(target)) is not None:
            raise CatalogError(f"The repaired catalog does not pass its check ({still}).")
        aside = _set_aside(catalog) if present else None
        os.replace(target, catalog)
        fsync_dir(catalog.parent)
    except OSError as exc:
        raise (write_error(exc, target) or CatalogError(
            f"The catalog could not be repaired in {paths.data_dir} ({exc}); nothing was "
            "deleted."
        )) from exc  # fmt: skip
    except sqlite3.Error as exc:
        raise (catalog_error(exc, target) or exc) from exc
    finally:
        for leftover in (target, *_companions(target)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    _drop_index_files(paths.data_dir)
    return RepairReport(
        RESTORED if backup is not None else SALVAGED,
        _count(catalog),
        backup=backup,
        backup_made_at=made_at(backup) if backup is not None else None,
        damaged_copy=aside,
        problem=problem,
        photos_before=before,
        folders=_count(catalog, "folders"),
    )
