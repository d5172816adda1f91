"""Catalog: the versioned schema and its migrations, exact paths and vectors, and the row
operations the indexer relies on (move keeps the id, copy duplicates the embeddings)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from photofind.core import catalog as catalog_module
from photofind.core import catalog_schema
from photofind.core.catalog import FAILED, INDEXED, Catalog, Counts, IndexedPhoto
from photofind.core.errors import CatalogDamagedError, CatalogError, NotWritableError

MODEL = "model-a"
OTHER_MODEL = "model-b"
DIM = 8


def photo(path: Path, content: bytes = b"x", size: int = 100, mtime_ns: int = 1) -> IndexedPhoto:
    return IndexedPhoto(path, size, mtime_ns, content.ljust(16, b"\0"), 640, 480, 1.5)


def vector(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=DIM).astype(np.float32)


def sql(path: Path, query: str):
    """One query on a separate plain connection: what is really in the file."""
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def open_files() -> set[str]:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to list this process's open files")
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the fd listdir itself used, closed since
            names.add(os.readlink(f"/proc/self/fd/{fd}"))
    return names


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "catalog.sqlite3"


@pytest.fixture
def cat(db_path: Path):
    catalog = Catalog(db_path)
    yield catalog
    catalog.close()


# -- schema -----------------------------------------------------------------------------

CURRENT = catalog_schema.SCHEMA_VERSION
NEXT = CURRENT + 1  # a hypothetical next step, to test the migration machinery


def test_new_catalog_is_version_1_in_wal_mode_and_reopens(db_path: Path, tmp_path: Path):
    cat = Catalog(db_path)
    assert cat.add_folder(tmp_path / "photos")
    cat.close()

    assert sql(db_path, "PRAGMA user_version") == [(catalog_schema.SCHEMA_VERSION,)]
    assert sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {r[0] for r in sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "folders", "photos", "embeddings"} <= tables
    assert not list(db_path.parent.glob("*.bak")), "a new catalog has nothing to back up"

    again = Catalog(db_path)
    try:
        assert again.folders() == [tmp_path / "photos"]
        assert not again.add_folder(tmp_path / "photos")
    finally:
        again.close()


def test_catalog_from_a_newer_photofind_is_refused_untouched(db_path: Path):
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA user_version = 999")
    db.execute("CREATE TABLE future (x)")
    db.commit()
    db.close()

    with pytest.raises(CatalogError, match="newer"):
        Catalog(db_path)
    assert sql(db_path, "PRAGMA user_version") == [(999,)]
    tables = {r[0] for r in sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"future"}
    # The refused catalog is not left open (Windows could not move it away, as the message
    # suggests, while a handle is open).
    assert str(db_path) not in open_files()


def test_damaged_catalog_file_is_called_damaged_and_names_the_repair(db_path: Path):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database" * 100)
    for read_only in (False, True):
        with pytest.raises(CatalogDamagedError, match="is damaged") as err:
            Catalog(db_path, read_only=read_only)
        assert ".bak" not in str(err.value) and "photofind repair" in err.value.hint
    assert db_path.read_bytes() == b"this is not a database" * 100


def test_migration_backs_up_the_old_version_then_runs_the_step(db_path, tmp_path, monkeypatch):
    cat = Catalog(db_path)
    photo_id = cat.record_indexed(photo(tmp_path / "a.jpg"), MODEL, vector(1))
    cat.close()

    ran = []

    def add_albums(db: sqlite3.Connection) -> None:
        ran.append(db.execute("PRAGMA user_version").fetchone()[0])
        db.execute("CREATE TABLE albums (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")

    monkeypatch.setattr(catalog_schema, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(catalog_schema.MIGRATIONS, NEXT, add_albums)
    migrated = Catalog(db_path)
    try:
        assert ran == [CURRENT], "the new step runs once, on the current catalog"
        assert sql(db_path, "PRAGMA user_version") == [(NEXT,)]
        assert sql(db_path, "SELECT COUNT(*) FROM albums") == [(0,)]
        assert migrated.photos([photo_id])[photo_id].path == tmp_path / "a.jpg"
    finally:
        migrated.close()

    backup = db_path.with_name(db_path.name + f".v{CURRENT}.bak")
    assert backup.is_file()
    assert sql(backup, "PRAGMA user_version") == [(CURRENT,)]
    assert sql(backup, "SELECT id FROM photos") == [(photo_id,)]
    assert not sql(backup, "SELECT name FROM sqlite_master WHERE name = 'albums'")

    reopened = Catalog(db_path)  # at the current version: no step runs again
    reopened.close()
    assert ran == [CURRENT]


def test_version_1_failures_are_classified_and_folder_problems_appear(db_path, tmp_path):
    """A version-1 catalog kept read errors (offline folder, permissions) as failures that
    were never retried; the migration marks those transient so the next run tries them."""
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    catalog_schema._create_v1(db)
    db.execute("PRAGMA user_version = 1")
    rows = [
        (b"/p/gone.jpg", "The file disappeared while it was being indexed."),
        (
            b"/p/locked.jpg",
            "Permission denied: photofind may not read this file; fix its permissions.",
        ),
        (b"/p/io.jpg", "The file cannot be read (Input/output error)."),
        (b"/p/bad.jpg", "The file is truncated or corrupt."),
    ]
    for path, error in rows:
        db.execute(
            "INSERT INTO photos (path, size, mtime_ns, status, error) VALUES (?, 1, 1, 'failed', ?)",
            (path, error),
        )
    db.execute(
        "INSERT INTO photos (path, size, mtime_ns, status) VALUES (?, 1, 1, 'indexed')",
        (b"/p/ok.jpg",),
    )
    db.commit()
    db.close()

    cat = Catalog(db_path)
    try:
        kinds = {r.path.name: r.failure_kind for r in cat.all_photos().values()}
        assert kinds == {
            "gone.jpg": "transient",
            "locked.jpg": "transient",
            "io.jpg": "transient",
            "bad.jpg": "content",
            "ok.jpg": None,
        }
        assert cat.folder_problems() == []
        cat.set_folder_problems({tmp_path / "locked": "Permission denied"})
        assert cat.folder_problems() == [(tmp_path / "locked", "Permission denied")]
    finally:
        cat.close()
    assert db_path.with_name(db_path.name + ".v1.bak").is_file()


def test_a_failure_records_its_kind_and_success_clears_it(db_path, tmp_path):
    cat = Catalog(db_path)
    try:
        path = tmp_path / "a.jpg"
        cat.record_failed(path, 1, 1, "The file disappeared.", kind=catalog_module.TRANSIENT)
        assert cat.photo_by_path(path).failure_kind == "transient"
        cat.record_failed(path, 1, 1, "The file is truncated.", kind=catalog_module.CONTENT)
        assert cat.photo_by_path(path).failure_kind == "content"
        cat.record_indexed(photo(path), MODEL, vector(1))
        row = cat.photo_by_path(path)
        assert (row.status, row.failure_kind, row.error) == ("indexed", None, None)
    finally:
        cat.close()


def test_a_failing_migration_step_leaves_the_old_version_intact(db_path, tmp_path, monkeypatch):
    Catalog(db_path).close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE albums (id INTEGER PRIMARY KEY)")
        db.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(catalog_schema, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(catalog_schema.MIGRATIONS, NEXT, broken)
    with pytest.raises(CatalogError, match="cannot be opened"):
        Catalog(db_path)
    assert sql(db_path, "PRAGMA user_version") == [(CURRENT,)]
    assert not sql(db_path, "SELECT name FROM sqlite_master WHERE name = 'albums'")
    assert db_path.with_name(db_path.name + f".v{CURRENT}.bak").is_file()


def test_two_openers_racing_on_a_new_catalog_migrate_it_once(db_path, monkeypatch):
    """The app and the CLI started together on a fresh data folder: the second one read
    version 0 before the first committed; it must not run the first step again."""
    first_inside = threading.Event()
    second_read = threading.Event()
    real_v1 = catalog_schema.MIGRATIONS[1]
    calls = []

    def slow_v1(db: sqlite3.Connection) -> None:
        calls.append(threading.current_thread().name)
        first_inside.set()
        assert second_read.wait(10)
        real_v1(db)

    versions_seen_by_second = []

    class Spy(Catalog):
        def _migrate(self) -> None:
            if threading.current_thread().name == "second":
                versions_seen_by_second.append(
                    self._db.execute("PRAGMA user_version").fetchone()[0]
                )
                second_read.set()
            super()._migrate()

    monkeypatch.setitem(catalog_schema.MIGRATIONS, 1, slow_v1)
    results: dict[str, object] = {}

    def open_one(name: str) -> None:
        try:
            Spy(db_path).close()
            results[name] = "ok"
        except Exception as exc:  # reported below
            results[name] = exc

    first = threading.Thread(target=open_one, args=("first",), name="first")
    first.start()
    assert first_inside.wait(10)
    second = threading.Thread(target=open_one, args=("second",), name="second")
    second.start()
    first.join(20)
    second.join(20)
    assert versions_seen_by_second == [0], "the second opener read the version before the commit"
    assert results == {"first": "ok", "second": "ok"}
    assert calls == ["first"]
    assert sql(db_path, "PRAGMA user_version") == [(catalog_schema.SCHEMA_VERSION,)]


def test_unwritable_data_folder_is_a_catalog_error(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CatalogError, match="data folder") as err:
        Catalog(blocker / "data" / "catalog.sqlite3")
    assert str(blocker / "data") in str(err.value)


# -- rows -------------------------------------------------------------------------------


def test_non_utf8_path_round_trips_exactly(cat: Catalog, tmp_path: Path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.jpg"
    path = Path(os.fsdecode(raw))
    path.write_bytes(b"jpeg bytes")  # a real file by that name: the OS accepts it
    photo_id = cat.record_indexed(photo(path), MODEL, vector(1))

    rows = cat.all_photos()
    assert list(rows) == [raw]
    assert rows[raw].raw_path == raw
    assert rows[raw].id == photo_id
    assert cat.photo_by_path(path).id == photo_id
    assert cat.photos([photo_id])[photo_id].path.read_bytes() == b"jpeg bytes"

    cat.record_failed(path, 10, 2, "The file is empty.")
    assert [os.fsencode(p) for p, _ in cat.failures()] == [raw]


def test_embeddings_read_back_bit_exact(cat: Catalog, tmp_path: Path):
    rng = np.random.default_rng(3)
    special = np.array([0.0, -0.0, 1e-45, -3.4e38, np.pi, 1 / 3, -1e-38, 7.0], np.float32)
    vectors = {i: rng.normal(size=DIM).astype(np.float32) for i in range(5)}
    vectors[5] = special
    ids = {}
    for i, v in vectors.items():
        ids[i] = cat.record_indexed(photo(tmp_path / f"{i}.jpg", bytes([i])), MODEL, v)

    got_ids, got = cat.embeddings(MODEL)
    assert got.dtype == np.float32 and got.shape == (6, DIM)
    assert got_ids.tolist() == sorted(ids.values())
    by_id = dict(zip(got_ids.tolist(), got, strict=True))
    for i, v in vectors.items():
        assert by_id[ids[i]].tobytes() == v.tobytes()

    some_ids, some = cat.embeddings(MODEL, [ids[5], ids[2]])
    assert some_ids.tolist() == sorted([ids[5], ids[2]])
    assert some[some_ids.tolist().index(ids[5])].tobytes() == special.tobytes()
    assert cat.embedding_ids(MODEL).tolist() == sorted(ids.values())
    assert cat.embedding_ids(OTHER_MODEL).tolist() == []
    assert cat.models() == [MODEL]


def test_counts_and_failures(cat: Catalog, tmp_path: Path):
    for i in range(3):
        cat.record_indexed(photo(tmp_path / f"ok{i}.jpg", bytes([i])), MODEL, vector(i))
    cat.record_failed(tmp_path / "z-empty.jpg", 0, 5, "The file is empty.")
    cat.record_failed(tmp_path / "b-text.jpg", 12, 6, "The file is not an image.")

    assert cat.counts(MODEL) == Counts(photos=3, failed=2, pending=0)
    assert cat.counts(MODEL).total == 5
    # Photos without an embedding for another model are still to do for that model.
    assert cat.counts(OTHER_MODEL) == Counts(photos=0, failed=2, pending=3)
    assert cat.failures() == [
        (tmp_path / "b-text.jpg", "The file is not an image."),
        (tmp_path / "z-empty.jpg", "The file is empty."),
    ]


def test_record_failed_replaces_an_indexed_row_and_drops_its_embedding(cat, tmp_path):
    path = tmp_path / "a.jpg"
    photo_id = cat.record_indexed(photo(path), MODEL, vector(1))
    assert cat.record_failed(path, 7, 9, "The file is truncated or corrupt.") == photo_id
    row = cat.photo_by_path(path)
    assert (row.status, row.error, row.size, row.mtime_ns) == (
        FAILED,
        "The file is truncated or corrupt.",
        7,
        9,
    )
    assert cat.embedding_ids(MODEL).tolist() == []
    assert cat.embedded_hashes(MODEL) == {}


def test_move_keeps_the_id_and_embedding(cat: Catalog, tmp_path: Path):
    old, new = tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg"
    photo_id = cat.record_indexed(photo(old, b"x"), MODEL, vector(1))
    occupant = cat.record_indexed(photo(new, b"y"), MODEL, vector(2))

    assert cat.move(photo_id, new, 555, 777) == occupant, "the row at the target is displaced"
    assert cat.photo_by_path(old) is None
    row = cat.photo_by_path(new)
    assert (row.id, row.size, row.mtime_ns, row.status) == (photo_id, 555, 777, INDEXED)
    ids, vectors = cat.embeddings(MODEL)
    assert ids.tolist() == [photo_id]
    assert vectors[0].tobytes() == vector(1).tobytes()
    assert cat.photos([occupant]) == {}


def test_copy_photo_gets_a_new_id_and_every_embedding(cat: Catalog, tmp_path: Path):
    source = cat.record_indexed(photo(tmp_path / "a.jpg", b"same"), MODEL, vector(1))
    # indexed again with a second model: one row, two vectors
    assert cat.record_indexed(photo(tmp_path / "a.jpg", b"same"), OTHER_MODEL, vector(9)) == source

    copied_now = IndexedPhoto(
        tmp_path / "copy of a.jpg", 100, 42, b"same".ljust(16, b"\0"), 0, 0, 42.0
    )
    copy = cat.copy_photo(source, copied_now)
    assert copy != source
    row = cat.photos([copy])[copy]
    assert row.taken_at == 1.5, "the same bytes were taken when the source was"
    assert (row.path, row.mtime_ns, row.width, row.height, row.status) == (
        tmp_path / "copy of a.jpg",
        42,
        640,
        480,
        INDEXED,
    )
    for model, seed in ((MODEL, 1), (OTHER_MODEL, 9)):
        ids, vectors = cat.embeddings(model)
        assert ids.tolist() == [source, copy]
        assert vectors[1].tobytes() == vector(seed).tobytes()
    assert cat.counts(MODEL) == Counts(photos=2, failed=0, pending=0)


def test_ids_are_never_handed_out_twice(cat: Catalog, tmp_path: Path):
    """Ids are HNSW labels: a deleted photo's id must not come back for another photo."""
    first = cat.record_indexed(photo(tmp_path / "a.jpg"), MODEL, vector(1))
    last = cat.record_indexed(photo(tmp_path / "b.jpg"), MODEL, vector(2))
    cat.delete([last])
    again = cat.record_indexed(photo(tmp_path / "c.jpg"), MODEL, vector(3))
    assert first < last < again
    assert cat.embedding_ids(MODEL).tolist() == [first, again], "embeddings cascade away"


def test_a_failed_transaction_leaves_nothing_behind(cat: Catalog, tmp_path: Path):
    with pytest.raises(RuntimeError), cat.transaction():
        cat.record_indexed(photo(tmp_path / "a.jpg"), MODEL, vector(1))
        raise RuntimeError("crash in the middle of a batch")
    assert cat.all_photos() == {}
    assert cat.embedding_ids(MODEL).tolist() == []
    cat.set_meta("k", "v")  # the connection is usable afterwards
    assert cat.get_meta("k") == "v"


# -- read-only ------------------------------------------------------------------------------


def test_read_only_catalog_reads_and_writes_nothing(db_path: Path, tmp_path: Path):
    cat = Catalog(db_path)
    cat.record_indexed(photo(tmp_path / "a.jpg"), MODEL, vector(1))
    cat.close()
    before = db_path.read_bytes()
    looking = Catalog(db_path, read_only=True)
    try:
        assert looking.counts(MODEL) == Counts(photos=1, failed=0, pending=0)
        with pytest.raises(NotWritableError):
            looking.set_meta("x", "y")  # a bug if a read-only command ever tries
    finally:
        looking.close()
    assert db_path.read_bytes() == before


def test_read_only_without_a_catalog_is_empty_and_creates_nothing(tmp_path: Path):
    missing = tmp_path / "nowhere" / "catalog.sqlite3"
    looking = Catalog(missing, read_only=True)
    try:
        assert looking.counts(MODEL).total == 0 and looking.folders() == []
    finally:
        looking.close()
    assert not missing.parent.exists()


def test_read_only_upgrades_an_older_catalog_once(db_path: Path, tmp_path: Path, monkeypatch):
    Catalog(db_path).close()
    calls = []
    monkeypatch.setattr(catalog_schema, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(catalog_schema.MIGRATIONS, NEXT, lambda db: calls.append(1))
    Catalog(db_path, read_only=True).close()
    Catalog(db_path, read_only=True).close()
    assert calls == [1] and sql(db_path, "PRAGMA user_version") == [(NEXT,)]


def test_embedding_ids_are_every_photo_of_the_model_ascending(cat, tmp_path: Path):
    ids = [cat.record_indexed(photo(tmp_path / f"{i}.jpg", bytes([i])), MODEL, vector(i))
           for i in range(25)]  # fmt: skip
    cat.record_indexed(photo(tmp_path / "other.jpg", b"o"), "another-model", vector(99))
    cat.delete([ids[3], ids[17]])
    got = cat.embedding_ids(MODEL)
    assert got.dtype == np.int64
    assert got.tolist() == sorted(set(ids) - {ids[3], ids[17]})
    assert cat.embedding_ids("no-such-model").tolist() == []
