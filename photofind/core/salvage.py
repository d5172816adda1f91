"""Salvage: every row SQLite can still read from a damaged catalog, copied into a new one.

Rows are read range by range (SALVAGE_CHUNK row ids at a time); a range that raises is read
again one row at a time, so that a damaged page costs the rows on it and not the table.
Embeddings are read for the photos that were recovered, and a vector whose length is not
the usual one for its model is dropped (noise can still parse as a row). The id counter is
carried over: ids are HNSW labels and are never handed out twice.

A file whose 100-byte header is damaged is not a database to SQLite at all, though every
page after it may be fine; a copy with a rebuilt header is read instead.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from photofind.core.catalog import Catalog
from photofind.core.catalog_db import is_damage, sqlite_uri

# Rows read per query while salvaging; a range that fails is read again one row at a time.
SALVAGE_CHUNK = 256
# Not copied: what the next scan records again, SQLite's own counters (carried over on
# their own), and the vectors (read per recovered photo, see _Salvage.embeddings).
_SKIPPED = {"folder_problems", "sqlite_sequence", "embeddings"}


def _readable(db: sqlite3.Connection, sql: str, params: tuple) -> list[tuple] | None:
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.DatabaseError:
        return None


def _upper_id(db: sqlite3.Connection, table: str) -> int:
    """The highest rowid to try: from the table, else from sqlite_sequence, else a guess."""
    for sql in (f"SELECT max(rowid) FROM {table}", "SELECT max(seq) FROM sqlite_sequence"):
        rows = _readable(db, sql, ())
        if rows and rows[0][0] is not None:
            return int(rows[0][0])
    return 1 << 20


class _Salvage:
    """Reads what it can from a damaged catalog into a new one."""

    def __init__(self, source: sqlite3.Connection, dest: sqlite3.Connection) -> None:
        self.source, self.dest = source, dest

    def columns(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` in the new catalog that the damaged one has too (an
        older schema lacks some; a table it lacks gives none)."""
        wanted = [r[1] for r in self.dest.execute(f"PRAGMA table_info({table})")]
        info = _readable(self.source, f"PRAGMA table_info({table})", ())
        if info is None:
            return tuple(wanted)
        present = {r[1] for r in info}
        return tuple(c for c in wanted if c in present)

    def whole_table(self, table: str, columns: tuple[str, ...]) -> list[tuple]:
        """A table without row ids cannot be read range by range: all of it or nothing."""
        return _readable(self.source, f"SELECT {', '.join(columns)} FROM {table}", ()) or []

    def rows(self, table: str, columns: tuple[str, ...]) -> Iterator[tuple]:
        cols = ", ".join(columns)
        upper = _upper_id(self.source, table)
        for start in range(0, upper + 1, SALVAGE_CHUNK):
            end = start + SALVAGE_CHUNK - 1
            chunk = _readable(
                self.source, f"SELECT {cols} FROM {table} WHERE rowid BETWEEN ? AND ?",
                (start, end),
            )  # fmt: skip
            if chunk is None:
                chunk = []
                for rowid in range(start, end + 1):
                    one = _readable(
                        self.source, f"SELECT {cols} FROM {table} WHERE rowid = ?", (rowid,)
                    )
                    chunk += one or []
            yield from chunk

    def embeddings(self, photo_ids: list[int]) -> list[tuple]:
        found: list[tuple] = []
        sql = "SELECT photo_id, model_id, vector FROM embeddings WHERE photo_id BETWEEN ? AND ?"
        for at in range(0, len(photo_ids), SALVAGE_CHUNK):
            ids = photo_ids[at : at + SALVAGE_CHUNK]
            chunk = _readable(self.source, sql, (ids[0], ids[-1]))
            if chunk is None:
                chunk = []
                for photo_id in ids:
                    one = _readable(self.source, sql, (photo_id, photo_id))
                    chunk += one or []
            found += chunk
        recovered = set(photo_ids)  # a range also holds the vectors of photos not recovered
        return _plausible_vectors([r for r in found if r[0] in recovered])

    def run(self) -> None:
        db = self.dest
        db.execute("BEGIN")
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rootpage"
        )]  # fmt: skip
        for table in tables:
            columns = self.columns(table) if table not in _SKIPPED else ()
            if not columns:
                continue
            with_rowid = _readable(db, f"SELECT rowid FROM {table} LIMIT 1", ()) is not None
            marks = ", ".join("?" * len(columns))
            db.executemany(
                f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                self.rows(table, columns) if with_rowid else self.whole_table(table, columns),
            )
        photo_ids = [r[0] for r in db.execute("SELECT id FROM photos ORDER BY id")]
        db.executemany(
            "INSERT OR IGNORE INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
            self.embeddings(photo_ids),
        )
        self.carry_counters(tables)
        db.execute("COMMIT")

    def carry_counters(self, tables: list[str]) -> None:
        """Ids are never handed out twice (photo ids are HNSW labels): each AUTOINCREMENT
        counter continues from the damaged catalog's, or the highest id recovered."""
        db = self.dest
        counters = dict(_readable(self.source, "SELECT name, seq FROM sqlite_sequence", ()) or [])
        for name in [r[0] for r in db.execute("SELECT name FROM sqlite_sequence")] + list(counters):
            if name not in tables:
                continue
            highest = db.execute(f"SELECT max(rowid) FROM {name}").fetchone()[0] or 0
            seq = max(int(counters.get(name) or 0), highest, _upper_id(self.source, name))
            db.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


def _plausible_vectors(rows: list[tuple]) -> list[tuple]:
    """Drop vectors whose length is not the one most of their model's vectors have: the
    bytes of a damaged page can still read as a row."""
    lengths: dict[str, Counter[int]] = {}
    for _, model, vector in rows:
        size = len(vector) if isinstance(vector, bytes) else -1
        lengths.setdefault(model, Counter())[size] += 1
    usual = {model: counts.most_common(1)[0][0] for model, counts in lengths.items()}
    return [
        r for r in rows
        if isinstance(r[2], bytes) and len(r[2]) == usual[r[1]] and len(r[2]) % 4 == 0
    ]  # fmt: skip


def salvage_into(damaged: Path, target: Path) -> None:
    """Copy into a new catalog at ``target`` every row of ``damaged`` that can be read."""
    Catalog(target).close()  # the current schema, empty
    readable = _with_a_header_sqlite_accepts(damaged, target)
    source = sqlite3.connect(sqlite_uri(readable, mode="ro"), uri=True)
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        _Salvage(source, dest).run()
    finally:
        dest.close()
        source.close()
        if readable != damaged:
            readable.unlink()


# The fields of a header that a reader needs and that have one right value for a catalog
# (https://www.sqlite.org/fileformat2.html#the_database_header): the magic string, the page
# size (guessed), legacy journal versions (the copy needs no -wal), no reserved bytes, the
# fixed payload fractions, schema format 4, UTF-8. The page count and freelist are left at
# 0, so SQLite takes the size from the file and reads no freelist.
_MAGIC = b"SQLite format 3\0"
_PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536)


def _rebuilt_header(page_size: int) -> bytes:
    header = bytearray(100)
    header[0:16] = _MAGIC
    header[16:18] = (1 if page_size == 65536 else page_size).to_bytes(2, "big")
    header[18:24] = bytes([1, 1, 0, 64, 32, 32])
    header[24:28] = (1).to_bytes(4, "big")  # change counter
    header[40:44] = (1).to_bytes(4, "big")  # schema cookie
    header[44:48] = (4).to_bytes(4, "big")  # schema format
    header[56:60] = (1).to_bytes(4, "big")  # UTF-8
    return bytes(header)


def _schema_readable(path: Path) -> bool:
    try:
        db = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    except sqlite3.Error:
        return False
    try:
        return bool(db.execute("PRAGMA table_info(photos)").fetchall())
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()


def _with_a_header_sqlite_accepts(damaged: Path, beside: Path) -> Path:
    """``damaged`` itself when SQLite reads its schema, else a copy with a rebuilt header
    (next to ``beside``) when one page size makes the schema readable, else ``damaged``."""
    try:
        db = sqlite3.connect(sqlite_uri(damaged, mode="ro"), uri=True)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return damaged
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
    copy = beside.with_name(beside.name + ".header")
    shutil.copyfile(damaged, copy)
    size = copy.stat().st_size
    for page_size in _PAGE_SIZES:
        if size % page_size:
            continue
        with open(copy, "r+b") as f:
            f.write(_rebuilt_header(page_size))
        if _schema_readable(copy):
            return copy
    with contextlib.suppress(FileNotFoundError):
        copy.unlink()
    return damaged
