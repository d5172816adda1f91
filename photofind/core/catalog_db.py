"""Opening the catalog's SQLite file, and what its errors mean to a user.

Two ways in. Read-write, for commands that change the library (index, the window). Read-only,
for commands that only look (search, similar, status): they take no lock, write no byte, and so
answer while another photofind indexes, on a full disk and on a read-only one. A WAL database
read-only still needs its shared-memory index (``-shm``), which SQLite cannot create or grow on
a full or read-only disk; when the write-ahead log is empty the database file alone holds every
committed transaction and is opened ``immutable`` instead.

SQLite's errors are turned into sentences here (:func:`catalog_error`): a full disk is a full
disk, a held lock is another program at work, a read-only file is read-only; only a damaged
file is called damaged, and it names the way to repair it.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

from photofind.core.config import busy_timeout_s
from photofind.core.errors import (
    CatalogDamagedError,
    CatalogError,
    LibraryBusyError,
    NotWritableError,
    disk_full,
    is_nearly_full,
)

# Primary result codes (sqlite3.h); extended codes keep these in their low byte.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
REPAIR_HINT = "Run 'photofind repair' to restore its latest backup or recover what it still holds."


def _primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_damage(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and _primary(exc) in (
        SQLITE_CORRUPT,
        SQLITE_NOTADB,
    )


def damaged(path: Path, reason: object) -> CatalogDamagedError:
    return CatalogDamagedError(
        f"The catalog {path} is damaged and cannot be used ({reason}); your photos are not "
        "touched.",
        hint=REPAIR_HINT,
    )


def catalog_error(exc: sqlite3.Error, path: Path) -> CatalogError | None:
    """The user's sentence for an error SQLite raised on the catalog at ``path``; None when it
    is not about the user's disk, file or other programs (then it is photofind's own bug)."""
    primary = _primary(exc)
    folder = Path(path).parent
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return damaged(path, exc)
    if primary == SQLITE_FULL or (primary == SQLITE_IOERR and is_nearly_full(folder)):
        return disk_full(folder)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return LibraryBusyError(
            f"Another program (another photofind?) is using the library in {folder}; try "
            "again when it finishes."
        )
    if primary in (SQLITE_READONLY, SQLITE_PERM):
        return NotWritableError(
            f"The catalog {path} is read-only ({exc}); make it and its folder writable, then "
            "try again (nothing was changed)."
        )
    if primary == SQLITE_CANTOPEN:
        return CatalogError(
            f"The catalog {path} cannot be opened ({exc}); check that its folder is reachable "
            "and that you may read and write it."
        )
    if primary == SQLITE_IOERR:
        return CatalogError(
            f"The disk holding {folder} reported an error while reading or writing the catalog "
            f"({exc}); check the disk, then try again."
        )
    return None


def sqlite_uri(path: Path, **params: str) -> str:
    # Percent-encoding the raw bytes lets a folder name that is not valid UTF-8 through.
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return "file:" + urllib.parse.quote(os.fsencode(path)) + "?" + query


def connect_read_write(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(
        path, check_same_thread=False, isolation_level=None, timeout=busy_timeout_s()
    )
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a killed process loses nothing committed; only a power cut
        # can drop the last transactions, never corrupt the file.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        db.close()
        raise
    return db


def _probe(db: sqlite3.Connection) -> int:
    """The schema version; reading the schema also finds a file that is not a database."""
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return db.execute("PRAGMA user_version").fetchone()[0]


def connect_read_only(path: Path) -> tuple[sqlite3.Connection, int]:
    """(connection, schema version) of an existing catalog, opened so that nothing is written."""
    db = sqlite3.connect(
        sqlite_uri(path, mode="ro"), uri=True, check_same_thread=False, isolation_level=None,
        timeout=busy_timeout_s(),
    )  # fmt: skip
    try:
        return db, _probe(db)
    except sqlite3.OperationalError as exc:
        db.close()
        wal = path.with_name(path.name + "-wal")
        if _primary(exc) not in (SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_READONLY):
            raise
        if wal.exists() and wal.stat().st_size > 0:
            raise  # transactions sit in the log: the file alone would be out of date
    db = sqlite3.connect(
        sqlite_uri(path, mode="ro", immutable="1"), uri=True, check_same_thread=False,
        isolation_level=None,
    )  # fmt: skip
    try:
        return db, _probe(db)
    except BaseException:
        db.close()
        raise


# SQLite's unix VFS: every connection to a WAL database holds a read lock on these bytes of
# the file for as long as it is open (os_unix.c: PENDING_BYTE + 2, SHARED_SIZE bytes).
_SHARED_FIRST, _SHARED_SIZE = 0x40000000 + 2, 510


def open_elsewhere(path: Path) -> bool:
    """True when another process has the catalog at ``path`` open (the window, an index
    run). Where the platform offers no such test, False."""
    try:
        import fcntl
    except ImportError:  # Windows: a file another process has open cannot be renamed anyway
        return False
    try:
        fd = os.open(path, os.O_RDWR)  # a write lock needs a descriptor open for writing
    except OSError:
        return False
    try:
        # A write lock cannot coexist with the read lock of another process's connection.
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, _SHARED_SIZE, _SHARED_FIRST)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, _SHARED_SIZE, _SHARED_FIRST)
        return False
    finally:
        os.close(fd)
