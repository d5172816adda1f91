"""The catalog's schema: numbered migration steps, each with why it exists.

Version N is reached from N-1 by ``MIGRATIONS[N]``; :class:`photofind.core.catalog.Catalog`
runs the missing steps (after a copy of the old file) when it opens a catalog, and refuses a
catalog whose version is newer than ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 5


def execute_script(db: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction, one by one.

    ``executescript`` would first COMMIT the open transaction, leaving a migration step
    half applied if it failed (and the migration's own COMMIT with nothing to commit)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {statement.strip()[:80]}")


def _create_v1(db: sqlite3.Connection) -> None:
    """The first schema: library folders, photos, per-model embeddings, key-value settings."""
    execute_script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,
            added_at REAL NOT NULL
        );
        -- AUTOINCREMENT: an id is an HNSW label and must never be handed out twice.
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path BLOB NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash BLOB,
            width INTEGER,
            height INTEGER,
            taken_at REAL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'failed')),
            error TEXT,
            model_id TEXT
        );
        CREATE INDEX photos_by_hash ON photos (content_hash);
        CREATE TABLE embeddings (
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (photo_id, model_id)
        ) WITHOUT ROWID;
        CREATE INDEX embeddings_by_model ON embeddings (model_id);
        """,
    )


def _add_failure_kinds_v2(db: sqlite3.Connection) -> None:
    """Version 1 retried a failed file only when it changed, so a photo that failed because
    its folder was offline or its permissions were wrong stayed out of search for good.
    Failures now carry their kind; the old rows are classified by their message (the
    sentences version 1 wrote for read errors are the transient ones). Folders that could
    not be listed are recorded too, so that they can be shown instead of skipped silently."""
    execute_script(
        db,
        """
        ALTER TABLE photos ADD COLUMN failure_kind TEXT
            CHECK (failure_kind IN ('transient', 'content'));
        UPDATE photos SET failure_kind = CASE
            WHEN error LIKE 'The file disappeared%' OR error LIKE 'Permission denied%'
                 OR error LIKE 'The file cannot be read (%' THEN 'transient'
            ELSE 'content' END
        WHERE status = 'failed';
        CREATE TABLE folder_problems (
            path BLOB PRIMARY KEY,
            reason TEXT NOT NULL,
            seen_at REAL NOT NULL
        );
        """,
    )


def _add_photo_details_v3(db: sqlite3.Connection) -> None:
    """Searches filter by camera (``camera:``) and by date taken, and the browser marks a
    date that is only the file's time; version 2 kept neither the camera nor where a date
    came from. Both are in the file's header, which opening the catalog must not wait to
    read for a large library: the columns start empty and the next index run fills them
    from the headers without re-encoding a photo (``date_source`` NULL means not read yet).
    The date index keeps ``after:``/``before:`` and "newest first" from scanning every row."""
    execute_script(
        db,
        """
        ALTER TABLE photos ADD COLUMN camera TEXT;
        ALTER TABLE photos ADD COLUMN date_source TEXT CHECK (date_source IN ('exif', 'file'));
        CREATE INDEX photos_by_taken ON photos (taken_at);
        """,
    )


def _add_collections_v4(db: sqlite3.Connection) -> None:
    """Smart collections are the user's own work (their descriptions, and the photos they
    added to or took out of one), so they live here, where they are backed up, and not in
    settings. Members themselves are not stored: they follow from the vectors. A row for a
    built-in collection holds only the user's changes to it (NULL: as shipped). Corrections
    name a photo by its content and by its row: after each index run the one that still
    holds follows the other (an edited file keeps its row, a folder removed and added again
    keeps the content), so they outlive a re-index, a move, an edit and a removed folder."""
    execute_script(
        db,
        """
        CREATE TABLE collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            builtin INTEGER NOT NULL CHECK (builtin IN (0, 1)),
            descriptions TEXT,
            sensitive INTEGER CHECK (sensitive IN (0, 1)),
            enabled INTEGER CHECK (enabled IN (0, 1)),
            created_at REAL NOT NULL
        );
        CREATE TABLE collection_photos (
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            content_hash BLOB NOT NULL,
            photo_id INTEGER,  -- no REFERENCES: a correction outlives the photo's row
            role TEXT NOT NULL CHECK (role IN ('include', 'exclude', 'example')),
            PRIMARY KEY (collection_id, content_hash)
        ) WITHOUT ROWID;
        """,
    )


def _add_perceptual_hash_v5(db: sqlite3.Connection) -> None:
    """Finding the same picture re-encoded, resized or cropped needs more than the model's
    embedding, which also calls two shots of one subject close: a perceptual hash of the
    picture's layout (:mod:`photofind.core.phash`). Index runs compute it from the decode
    they already do; rows from before start NULL and are filled once, from the thumbnail
    cache where it has them (:mod:`photofind.core.phash_fill`), never by re-encoding."""
    execute_script(db, "ALTER TABLE photos ADD COLUMN phash INTEGER;")


# version reached -> the step that reaches it from the version before
MIGRATIONS = {
    1: _create_v1, 2: _add_failure_kinds_v2, 3: _add_photo_details_v3, 4: _add_collections_v4,
    5: _add_perceptual_hash_v5,
}  # fmt: skip
