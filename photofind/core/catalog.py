"""The catalog: every photo photofind knows, its state, and its embeddings (SQLite, WAL).

The catalog is the source of truth. Photo row ids are the labels in the HNSW index, and the
embeddings are stored here as float32 blobs, so the index file is a cache that can always be
rebuilt without re-encoding a photo. Paths are stored as ``os.fsencode`` bytes so that file
names that are not valid UTF-8 round-trip exactly.

Schema changes are numbered steps (:mod:`photofind.core.catalog_schema`); before an existing
catalog is migrated a copy of it is written next to it, and a catalog written by a newer
photofind is refused rather than damaged. The rows it hands out are in
:mod:`photofind.core.catalog_rows`; opening the file and what its errors mean, in
:mod:`photofind.core.catalog_db`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from photofind.core import catalog_schema
from photofind.core.catalog_db import catalog_error, connect_read_only, connect_read_write
from photofind.core.catalog_rows import (
    COLUMNS,
    CONTENT,
    EXIF,
    FAILED,
    FILE,
    INDEXED,
    PENDING,
    TRANSIENT,
    Counts,
    IndexedPhoto,
    PhotoRow,
    fs_path,
    photo_row,
)
from photofind.core.errors import CatalogError, NotWritableError
from photofind.core.library_folders import check_library_folder
from photofind.core.pacing import foreground

# Re-exported: callers import these from the catalog, whose rows they describe.
__all__ = [
    "CONTENT", "EXIF", "FAILED", "FILE", "INDEXED", "PENDING", "TRANSIENT",
    "Catalog", "Counts", "IndexedPhoto", "PhotoRow",
]  # fmt: skip

OTHER_DATA_DIR = "Or choose another data folder with --data-dir."


class Catalog:
    """One SQLite connection shared by the threads of a process, serialised by a lock.

    ``read_only``: for commands that only look. Nothing is written, not even a new empty
    catalog (a missing one is an empty one in memory), and no lock is taken, so it answers
    on a full or read-only disk and while another photofind holds the write lock."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        db: sqlite3.Connection | None = None
        try:
            self._check_folder(create=not read_only)
            if read_only and self.path.exists():
                self._db = db = self._open_read_only()
            elif read_only:
                self._db = db = sqlite3.connect(":memory:", check_same_thread=False,
                                                isolation_level=None)  # fmt: skip
                self._migrate()
            else:
                self._db = db = connect_read_write(self.path)
                self._migrate()
        except BaseException as exc:
            # A refused catalog (newer version, damaged) must not stay open: the user may
            # need to move the file away, which Windows refuses for an open file.
            if db is not None:
                db.close()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, opening=True) from exc
            raise

    def _check_folder(self, *, create: bool) -> None:
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise CatalogError(
                f"The data folder {folder} is a file, not a folder.", hint=OTHER_DATA_DIR
            )
        if not create:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogError(
                f"The data folder {folder} cannot be created ({exc.strerror}).",
                hint=OTHER_DATA_DIR,
            ) from exc
        if not os.access(folder, os.W_OK):
            raise NotWritableError(
                f"The data folder {folder} is not writable; fix its permissions or make its "
                "disk writable.",
                hint=OTHER_DATA_DIR,
            )
        if self.path.exists() and not os.access(self.path, os.W_OK):
            # SQLite would open it read-only without a word and fail at the first change.
            raise NotWritableError(
                f"The catalog {self.path} is read-only; make it writable and try again "
                "(nothing was changed)."
            )

    def _open_read_only(self) -> sqlite3.Connection:
        db, version = connect_read_only(self.path)
        if version < catalog_schema.SCHEMA_VERSION:
            # A catalog of an older photofind is upgraded once, as any command would.
            db.close()
            Catalog(self.path).close()
            db, version = connect_read_only(self.path)
        self._db = db
        try:
            self._migrate()  # refuses a newer catalog; a current one needs no step
        except BaseException:
            db.close()
            raise
        return db

    def _error(self, exc: sqlite3.Error, *, opening: bool = False) -> BaseException:
        """What to raise for an error SQLite raised: the user's sentence when it is about
        their disk, file or other programs; ``exc`` itself when it is photofind's bug."""
        translated = catalog_error(exc, self.path)
        if translated is not None:
            return translated
        if opening:
            return CatalogError(
                f"The catalog {self.path} cannot be opened ({exc}); nothing in it was changed."
            )
        return exc

    # -- schema -------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > catalog_schema.SCHEMA_VERSION:
            raise CatalogError(
                f"The data folder {self.path.parent} was written by a newer photofind (catalog "
                f"version {version}); update photofind.",
                hint=OTHER_DATA_DIR,
            )
        if version == catalog_schema.SCHEMA_VERSION:
            return
        if version > 0:
            self._backup(version)
        for step in range(version + 1, catalog_schema.SCHEMA_VERSION + 1):
            with self.transaction():
                # Read again under the write lock: another process (the CLI beside the app)
                # may have run this step since the version was read above.
                if self._db.execute("PRAGMA user_version").fetchone()[0] >= step:
                    continue
                catalog_schema.MIGRATIONS[step](self._db)
                self._db.execute(f"PRAGMA user_version = {step}")

    def _backup(self, version: int) -> None:
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        dest = sqlite3.connect(target)
        try:
            self._db.backup(dest)
        finally:
            dest.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all. Re-entrant."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    if self._db.in_transaction:  # SQLite rolls back by itself on some errors
                        self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def select(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """Rows of one read-only statement, for the query modules (browse) that build their
        SQL from fixed text; every value is a bound parameter."""
        if not sql.lstrip().upper().startswith(("SELECT", "PRAGMA TABLE_INFO")):
            raise ValueError(f"Catalog.select runs only reads, not {sql.split()[0]!r}")
        return self._query(sql, params)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def changes(self) -> int:
        """Rows this connection has inserted, updated or deleted since it opened."""
        with self._lock:
            return self._db.total_changes

    @property
    def state(self) -> tuple[int, int]:
        """Changes in the catalog so far, as a pair that differs after any change: rows this
        connection changed, and SQLite's data_version, which moves when another connection
        (another photofind process) commits. For caches of what a query read."""
        with self._lock:
            try:
                (version,) = self._db.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            return self._db.total_changes, version

    def has_photos(self) -> bool:
        return bool(self._query("SELECT 1 FROM photos LIMIT 1"))

    def copy_to(self, target: sqlite3.Connection) -> None:
        """Copy the whole catalog into ``target`` with SQLite's online backup API."""
        with self._lock:
            try:
                self._db.backup(target)
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    # -- settings -----------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- library folders ----------------------------------------------------------------

    def folders(self) -> list[Path]:
        return [
            Path(os.fsdecode(r[0])) for r in self._query("SELECT path FROM folders ORDER BY id")
        ]

    def add_folder(self, path: str | os.PathLike[str]) -> bool:
        """Remember a library folder; False when it was already there. Raises FolderError
        for a path that cannot be one (an empty name, a system folder)."""
        folder = check_library_folder(path)
        with self.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO folders (path, added_at) VALUES (?, ?)",
                (fs_path(folder), time.time()),
            )
            return cur.rowcount > 0

    def remove_folder(self, path: Path) -> bool:
        """Forget a folder; its photos leave the catalog at the next index run."""
        with self.transaction() as db:
            cur = db.execute(
                "DELETE FROM folders WHERE path = ?", (fs_path(Path(path).absolute()),)
            )
            return cur.rowcount > 0

    # -- photos -------------------------------------------------------------------------

    def all_photos(self) -> dict[bytes, PhotoRow]:
        """Every photo by raw path: the "mark" side of mark-and-sweep."""
        return {r[1]: photo_row(r) for r in self._query(f"SELECT {COLUMNS} FROM photos")}

    def photos(self, ids: Iterable[int]) -> dict[int, PhotoRow]:
        ids = [int(i) for i in ids]
        out: dict[int, PhotoRow] = {}
        for start in range(0, len(ids), 900):  # SQLite's default limit on bound parameters
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for r in self._query(f"SELECT {COLUMNS} FROM photos WHERE id IN ({marks})", chunk):
                out[r[0]] = photo_row(r)
        return out

    def photo_by_path(self, path: Path) -> PhotoRow | None:
        rows = self._query(f"SELECT {COLUMNS} FROM photos WHERE path = ?", (fs_path(path),))
        return photo_row(rows[0]) if rows else None

    def photo_ids_where(
        self, where: str, params: Iterable = (), *, newest_first: bool = False
    ) -> np.ndarray:
        """Ids of the photos a condition from :func:`photofind.core.filters.sql_condition`
        keeps (its SQL is made of fixed fragments; what the user typed is in ``params``)."""
        if newest_first:
            rows = self._query(
                f"SELECT id FROM photos WHERE {where} ORDER BY taken_at DESC, id DESC", params
            )
            return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        # One string parsed by numpy instead of a Python tuple per row: 12 ms instead of 44 ms
        # for 100k ids (benchmarks/search_matches.py --filters), in ascending id order.
        ((joined,),) = self._query(f"SELECT group_concat(id) FROM photos WHERE {where}", params)
        if not joined:
            return np.empty(0, dtype=np.int64)
        return np.sort(np.fromstring(joined, dtype=np.int64, sep=","))

    def photos_without_details(self, limit: int) -> list[tuple[int, Path, float | None]]:
        """(id, path, taken_at) of indexed photos whose camera and date source were never
        read (catalogs from before version 3)."""
        rows = self._query(
            "SELECT id, path, taken_at FROM photos WHERE status = 'indexed' AND date_source IS "
            "NULL ORDER BY id LIMIT ?",
            (limit,),
        )
        return [(i, Path(os.fsdecode(p)), t) for i, p, t in rows]

    def set_details(self, details: Iterable[tuple[int, str | None, str, float | None]]) -> None:
        """Store (id, camera, date source, taken_at) read from the files' headers; a None
        taken_at keeps the stored one."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE photos SET camera = ?, date_source = ?, "
                "taken_at = COALESCE(?, taken_at) WHERE id = ?",
                [(camera, source, taken, i) for i, camera, source, taken in details],
            )

    def embedded_hashes(self, model_id: str) -> dict[bytes, int]:
        """Content hash -> a photo id whose embedding can be reused for identical bytes."""
        rows = self._query(
            "SELECT p.content_hash, p.id FROM photos p JOIN embeddings e ON e.photo_id = p.id "
            "WHERE e.model_id = ? AND p.content_hash IS NOT NULL",
            (model_id,),
        )
        return {h: i for h, i in rows}

    def record_indexed(self, photo: IndexedPhoto, model_id: str, vector: np.ndarray) -> int:
        """Insert or update the row for ``photo.path`` and store its embedding; returns its id."""
        with self.transaction() as db:
            photo_id = self._upsert(
                db,
                photo.path,
                photo.size,
                photo.mtime_ns,
                photo.content_hash,
                photo.width,
                photo.height,
                photo.taken_at,
                INDEXED,
                None,
                model_id,
            )
            db.execute(
                "UPDATE photos SET camera = ?, date_source = ? WHERE id = ?",
                (photo.camera, photo.date_source, photo_id),
            )
            self._store_vector(db, photo_id, model_id, vector)
            return photo_id

    def record_failed(
        self, path: Path, size: int, mtime_ns: int, reason: str, kind: str = CONTENT
    ) -> int:
        """``kind``: TRANSIENT (tried again on the next run) or CONTENT (tried again only
        when the file changes)."""
        with self.transaction() as db:
            photo_id = self._upsert(
                db, path, size, mtime_ns, None, None, None, None, FAILED, reason, None
            )
            db.execute("UPDATE photos SET failure_kind = ? WHERE id = ?", (kind, photo_id))
            db.execute("DELETE FROM embeddings WHERE photo_id = ?", (photo_id,))
            return photo_id

    def move(self, photo_id: int, path: Path, size: int, mtime_ns: int) -> int | None:
        """A renamed or moved file: the row, its id (the HNSW label) and embeddings follow it.

        Returns the id of a row that held ``path`` before (now deleted), if there was one."""
        with self.transaction() as db:
            displaced = db.execute(
                "SELECT id FROM photos WHERE path = ? AND id != ?", (fs_path(path), photo_id)
            ).fetchone()
            if displaced:
                db.execute("DELETE FROM photos WHERE id = ?", (displaced[0],))
            db.execute(
                "UPDATE photos SET path = ?, size = ?, mtime_ns = ?, status = 'indexed', "
                "error = NULL, failure_kind = NULL WHERE id = ?",
                (fs_path(path), size, mtime_ns, photo_id),
            )
            return displaced[0] if displaced else None

    def copy_photo(self, source_id: int, photo: IndexedPhoto) -> int:
        """A second copy of identical bytes: a new row that reuses every stored embedding.

        Dimensions and capture time come from the source row: the copy was not
        decoded, and its EXIF date is the source's (its file time is only when it was copied)."""
        with self.transaction() as db:
            src = self.photos([source_id])[source_id]
            photo_id = self._upsert(
                db,
                photo.path,
                photo.size,
                photo.mtime_ns,
                photo.content_hash,
                src.width,
                src.height,
                src.taken_at,
                INDEXED,
                None,
                src.model_id,
            )
            db.execute(
                "UPDATE photos SET camera = ?, date_source = ? WHERE id = ?",
                (src.camera, src.date_source, photo_id),
            )
            db.execute(
                "UPDATE photos SET phash = (SELECT phash FROM photos WHERE id = ?) WHERE id = ?",
                (source_id, photo_id),
            )
            db.execute("DELETE FROM embeddings WHERE photo_id = ?", (photo_id,))
            db.execute(
                "INSERT INTO embeddings (photo_id, model_id, vector) "
                "SELECT ?, model_id, vector FROM embeddings WHERE photo_id = ?",
                (photo_id, source_id),
            )
            return photo_id

    def delete(self, ids: Iterable[int]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM photos WHERE id = ?", [(int(i),) for i in ids])

    def _upsert(
        self,
        db: sqlite3.Connection,
        path: str | os.PathLike[str],
        size: int,
        mtime_ns: int,
        content_hash: bytes | None,
        width: int | None,
        height: int | None,
        taken_at: float | None,
        status: str,
        error: str | None,
        model_id: str | None,
    ) -> int:
        raw = fs_path(path)
        db.execute(
            "INSERT INTO photos (path, size, mtime_ns, content_hash, width, height, taken_at, "
            "status, error, model_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "content_hash = excluded.content_hash, width = excluded.width, "
            "height = excluded.height, taken_at = excluded.taken_at, status = excluded.status, "
            "error = excluded.error, model_id = excluded.model_id, failure_kind = NULL",
            (raw, size, mtime_ns, content_hash, width, height, taken_at, status, error, model_id),
        )
        return db.execute("SELECT id FROM photos WHERE path = ?", (raw,)).fetchone()[0]

    @staticmethod
    def _store_vector(
        db: sqlite3.Connection, photo_id: int, model_id: str, vector: np.ndarray
    ) -> None:
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        db.execute(
            "INSERT OR REPLACE INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
            (photo_id, model_id, blob),
        )

    # -- embeddings ---------------------------------------------------------------------

    def embedding_ids(self, model_id: str) -> np.ndarray:
        """The ids of the photos with a vector of ``model_id``, ascending. Gathered into one
        value by SQLite: one step instead of one per photo, each of which lets go of the
        interpreter lock and waits to take it back (the search index's load beside a busy
        window: ~1 s at 100k photos a row at a time)."""
        ((gathered,),) = self._query(
            "SELECT group_concat(photo_id) FROM embeddings WHERE model_id = ?", (model_id,)
        )
        return np.sort(np.fromstring(gathered or "", np.int64, sep=","))

    def embeddings(
        self, model_id: str, ids: Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the stored embeddings of one model, ordered by id."""
        if ids is None:
            rows = self._query(
                "SELECT photo_id, vector FROM embeddings WHERE model_id = ? ORDER BY photo_id",
                (model_id,),
            )
        else:
            wanted = [int(i) for i in ids]
            rows = []
            for start in range(0, len(wanted), 900):
                foreground.give_way()  # every vector of a library takes seconds to read
                chunk = wanted[start : start + 900]
                marks = ",".join("?" * len(chunk))
                rows += self._query(
                    f"SELECT photo_id, vector FROM embeddings WHERE model_id = ? "
                    f"AND photo_id IN ({marks})",
                    [model_id, *chunk],
                )
            rows.sort()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        out_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return out_ids, vectors.reshape(len(rows), -1).copy()

    def models(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT model_id FROM embeddings ORDER BY 1")]

    def drop_model(self, model_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM embeddings WHERE model_id = ?", (model_id,))

    # -- reporting ----------------------------------------------------------------------

    def counts(self, model_id: str) -> Counts:
        total, failed = self._query(
            "SELECT COUNT(*), COALESCE(SUM(status = 'failed'), 0) FROM photos"
        )[0]
        embedded = self._query("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,))[
            0
        ][0]
        return Counts(photos=embedded, failed=failed, pending=max(0, total - failed - embedded))

    # -- folders that could not be listed -------------------------------------------------

    def set_folder_problems(self, problems: dict[Path, str]) -> None:
        """Replace the recorded folder problems with those of the latest complete scan."""
        with self.transaction() as db:
            db.execute("DELETE FROM folder_problems")
            now = time.time()
            db.executemany(
                "INSERT INTO folder_problems (path, reason, seen_at) VALUES (?, ?, ?)",
                [(fs_path(p), reason, now) for p, reason in problems.items()],
            )

    def photos_below(self, folder: Path) -> dict[int, tuple[bytes, str]]:
        """id -> (raw path, status) of every photo below ``folder``."""
        low = os.path.join(fs_path(folder), b"")
        high = low[:-1] + bytes([low[-1] + 1])  # raw paths below are exactly low <= p < high
        rows = self._query(
            "SELECT id, path, status FROM photos WHERE path >= ? AND path < ?", (low, high)
        )
        return {i: (p, status) for i, p, status in rows}

    def copies(self, hashes: Iterable[bytes]) -> dict[bytes, list[PhotoRow]]:
        """Content hash -> its rows, for the hashes that two or more rows share (the same
        photo in two folders, or a folder moved while it was offline)."""
        wanted = list(hashes)
        found: dict[bytes, list[PhotoRow]] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for r in self._query(
                f"SELECT {COLUMNS} FROM photos WHERE content_hash IN ({marks})", chunk
            ):
                found.setdefault(r[4], []).append(photo_row(r))
        return {h: rows for h, rows in found.items() if len(rows) > 1}

    def folder_problems(self) -> list[tuple[Path, str]]:
        rows = self._query("SELECT path, reason FROM folder_problems ORDER BY path")
        return [(Path(os.fsdecode(p)), r) for p, r in rows]

    def failures(self) -> list[tuple[Path, str]]:
        rows = self._query("SELECT path, error FROM photos WHERE status = 'failed' ORDER BY path")
        return [(Path(os.fsdecode(p)), e or "") for p, e in rows]
