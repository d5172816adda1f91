"""Indexer on real files with the tiny model: incremental runs that reuse what they can,
every kind of bad file recorded (retried when it changes, or when its failure may pass),
searches while indexing, and an index file that is missing, damaged or stale coming back
without re-encoding."""

from __future__ import annotations

import io
import os
import shutil
import struct
import threading
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from photofind.core.clip.encoder import ClipEncoder
from photofind.core.config import app_paths
from photofind.core.images import open_image
from photofind.core.indexer import Indexer, IndexProgress
from photofind.core.library import Library, open_library
from photofind.core.shapes import generate_library

MODEL = "tiny-shapes"
SIZES = (300, 700)


# -- helpers ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 photos to copy from (generating costs more than copying), read-only."""
    folder = tmp_path_factory.mktemp("source24")
    generate_library(folder, 24, seed=11, size_range=SIZES)
    return folder


@pytest.fixture(scope="module")
def other_photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """24 photos whose bytes appear nowhere in ``source_photos``: new and modified content."""
    folder = tmp_path_factory.mktemp("other")
    return [p.path for p in generate_library(folder, 24, seed=99, size_range=SIZES)]


@pytest.fixture
def root(tmp_path: Path, source_photos: Path) -> Path:
    folder = tmp_path / "photos"
    shutil.copytree(source_photos, folder)
    return folder


def open_lib(tmp_path: Path) -> Library:
    return open_library(app_paths(tmp_path / "data"), MODEL, "cpu")


@pytest.fixture
def lib(tmp_path: Path, root: Path):
    library = open_lib(tmp_path)
    library.catalog.add_folder(root)
    yield library
    library.close()


@pytest.fixture
def indexed(lib: Library) -> Library:
    last = run(lib)
    assert (last.indexed, last.failed) == (24, 0)
    return lib


def run(lib: Library, **options) -> IndexProgress:
    progress = list(lib.indexer(**options).run())
    assert progress[0].phase == "scanning"
    assert progress[-1].phase == "done"
    return progress[-1]


def count_encodes(monkeypatch: pytest.MonkeyPatch, encoder: ClipEncoder) -> list[int]:
    """Batch sizes passed to the image tower from now on."""
    sizes: list[int] = []
    real = encoder.encode_image_batch

    def counting(batch: np.ndarray) -> np.ndarray:
        sizes.append(len(batch))
        return real(batch)

    monkeypatch.setattr(encoder, "encode_image_batch", counting)
    return sizes


def vector_of(lib: Library, photo_id: int) -> np.ndarray:
    ids, vectors = lib.catalog.embeddings(lib.encoder.model_id, [photo_id])
    assert ids.tolist() == [photo_id]
    return vectors[0]


def id_of(lib: Library, path: Path) -> int:
    row = lib.catalog.photo_by_path(path)
    assert row is not None, f"{path} is not in the catalog"
    return row.id


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def assert_consistent(lib: Library, root: Path) -> None:
    """Catalog, stored embeddings, vector index and search all hold exactly the files."""
    on_disk = files(root)
    rows = lib.catalog.all_photos()
    assert {r.path for r in rows.values()} == on_disk
    embedded = set(lib.catalog.embedding_ids(lib.encoder.model_id).tolist())
    assert embedded == {r.id for r in rows.values()}
    assert len(lib.index) == len(on_disk)
    hits = lib.search.search("a red circle", k=1000)
    assert {h.path for h in hits} == on_disk


# -- incremental runs -------------------------------------------------------------------


def test_first_run_indexes_everything(indexed: Library, root: Path):
    assert indexed.counts().photos == 24
    assert_consistent(indexed, root)
    for row in indexed.catalog.all_photos().values():
        assert row.status == "indexed" and row.error is None and len(row.content_hash) == 16
        # as shown: EXIF-rotated photos have their sides swapped
        assert (row.width, row.height) == open_image(row.path).size


def test_nothing_changed_touches_nothing(indexed: Library, root: Path, monkeypatch):
    encodes = count_encodes(monkeypatch, indexed.encoder)
    before = indexed.catalog.all_photos()
    last = run(indexed)
    assert (last.indexed, last.reused, last.failed, last.removed) == (0, 0, 0, 0)
    assert (last.unchanged, last.total, last.done) == (24, 0, 0)
    assert encodes == []
    assert indexed.catalog.all_photos() == before


def test_deleted_photo_leaves_catalog_and_search(indexed: Library, root: Path, monkeypatch):
    victim = sorted(files(root))[5]
    victim_id = id_of(indexed, victim)
    victim.unlink()
    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.removed, last.indexed, last.unchanged) == (1, 0, 23)
    assert encodes == []
    assert indexed.catalog.photos([victim_id]) == {}
    assert victim_id not in [h.photo_id for h in indexed.search.search("a red star", k=1000)]
    assert_consistent(indexed, root)


def test_moved_photo_keeps_its_id_and_embedding(indexed: Library, root: Path, monkeypatch):
    old = sorted(files(root))[3]
    new = root / "2024" / "trip" / ("renamed" + old.suffix)
    photo_id, vector = id_of(indexed, old), vector_of(indexed, id_of(indexed, old))
    new.parent.mkdir(parents=True)
    os.rename(old, new)
    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.reused, last.indexed, last.removed) == (1, 0, 0)
    assert encodes == []
    assert id_of(indexed, new) == photo_id
    assert indexed.catalog.photo_by_path(old) is None
    assert vector_of(indexed, photo_id).tobytes() == vector.tobytes()
    assert_consistent(indexed, root)


def test_a_batch_of_moves_fetches_its_source_rows_once(indexed: Library, root: Path, monkeypatch):
    """Inside the write transaction, the rows the batch's files were matched to are read
    in one query, not once or twice per file."""
    moved = root / "moved"
    moved.mkdir()
    for path in sorted(files(root))[:12]:
        os.rename(path, moved / path.name)
    queries: list[int] = []
    real_photos = indexed.catalog.photos

    def photos(ids):
        ids = list(ids)
        queries.append(len(ids))
        return real_photos(ids)

    monkeypatch.setattr(indexed.catalog, "photos", photos)
    last = run(indexed)
    assert (last.reused, last.indexed) == (12, 0)
    assert queries == [12]
    assert_consistent(indexed, root)


def test_copied_photo_gets_a_new_id_and_the_same_embedding(indexed, root, monkeypatch):
    original = sorted(files(root))[7]
    old_ids = {r.id for r in indexed.catalog.all_photos().values()}
    copy = root / "copies" / original.name
    copy.parent.mkdir()
    shutil.copyfile(original, copy)
    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.reused, last.indexed, last.removed, last.unchanged) == (1, 0, 0, 24)
    assert encodes == []
    original_id, copy_id = id_of(indexed, original), id_of(indexed, copy)
    assert copy_id > max(old_ids), "a new id, never one handed out before"
    assert vector_of(indexed, copy_id).tobytes() == vector_of(indexed, original_id).tobytes()
    assert_consistent(indexed, root)


def test_a_copy_keeps_the_exif_date_of_its_original(tmp_path: Path):
    folder = tmp_path / "dated"
    folder.mkdir()
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2019:07:14 12:30:00"
    Image.new("RGB", (320, 240), (220, 30, 30)).save(folder / "a.jpg", exif=exif)
    taken = datetime(2019, 7, 14, 12, 30).timestamp()
    lib = open_lib(tmp_path)
    try:
        lib.catalog.add_folder(folder)
        run(lib)
        shutil.copyfile(folder / "a.jpg", folder / "b.jpg")  # the copy's mtime is today
        assert run(lib).reused == 1
        assert lib.catalog.photo_by_path(folder / "a.jpg").taken_at == taken
        assert lib.catalog.photo_by_path(folder / "b.jpg").taken_at == taken
    finally:
        lib.close()


def test_touched_photo_is_not_re_encoded(indexed: Library, root: Path, monkeypatch):
    path = sorted(files(root))[2]
    photo_id, vector = id_of(indexed, path), vector_of(indexed, id_of(indexed, path))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))
    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.reused, last.indexed, last.removed) == (1, 0, 0)
    assert encodes == []
    row = indexed.catalog.photo_by_path(path)
    assert (row.id, row.mtime_ns) == (photo_id, st.st_mtime_ns + 10**10)
    assert vector_of(indexed, photo_id).tobytes() == vector.tobytes()
    assert run(indexed).unchanged == 24, "the new mtime was recorded"


def test_modified_photo_is_re_encoded_under_the_same_id(indexed, root, other_photos, monkeypatch):
    path = sorted(files(root))[4]
    photo_id, old_vector = id_of(indexed, path), vector_of(indexed, id_of(indexed, path))
    path.write_bytes(other_photos[0].read_bytes())
    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.indexed, last.reused, last.removed, last.unchanged) == (1, 0, 0, 23)
    assert encodes == [1]
    assert id_of(indexed, path) == photo_id
    new_vector = vector_of(indexed, photo_id)
    assert not np.array_equal(new_vector, old_vector)
    expected = indexed.encoder.encode_images([other_photos[0]])[0]
    np.testing.assert_allclose(new_vector, expected, atol=1e-5)
    # The index holds the new vector: the photo is its own best match.
    assert indexed.search.search(images=[path], k=1)[0].photo_id == photo_id


def test_added_photo_is_indexed(indexed: Library, root: Path, other_photos, monkeypatch):
    added = root / "new" / "added.gif"  # content decides, not the name
    added.parent.mkdir()
    shutil.copyfile(other_photos[1], added)
    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.indexed, last.unchanged, last.total, last.done) == (1, 24, 1, 1)
    assert encodes == [1]
    assert indexed.search.search(images=[added], k=1)[0].path == added
    assert_consistent(indexed, root)


def test_every_kind_of_change_in_one_run(indexed, root, other_photos, monkeypatch):
    paths = sorted(files(root))
    deleted, moved, copied, touched, modified = paths[:5]
    ids = {p: id_of(indexed, p) for p in paths[:5]}
    deleted.unlink()
    (root / "sub").mkdir()
    os.rename(moved, root / "sub" / "moved.jpg")
    shutil.copyfile(copied, root / "sub" / "copy.jpg")
    os.utime(touched, ns=(0, touched.stat().st_mtime_ns - 10**10))
    modified.write_bytes(other_photos[0].read_bytes())
    shutil.copyfile(other_photos[1], root / "sub" / "added.jpg")

    encodes = count_encodes(monkeypatch, indexed.encoder)
    last = run(indexed)
    assert (last.indexed, last.reused, last.removed, last.failed) == (2, 3, 1, 0)
    assert last.unchanged == 24 - 4  # all but deleted, moved, touched and modified
    assert sum(encodes) == 2
    assert id_of(indexed, root / "sub" / "moved.jpg") == ids[moved]
    assert id_of(indexed, touched) == ids[touched]
    assert id_of(indexed, modified) == ids[modified]
    assert id_of(indexed, root / "sub" / "copy.jpg") not in ids.values()
    assert_consistent(indexed, root)


def test_cancelled_run_keeps_its_work_and_sweeps_nothing(indexed, root, other_photos):
    """Cancelled before every file was matched, a run cannot tell deleted from moved."""
    doomed = sorted(files(root))[0]
    doomed_id = id_of(indexed, doomed)
    doomed.unlink()
    for p in other_photos[:12]:
        shutil.copyfile(p, root / ("new-" + p.name))
    cancel = threading.Event()
    progress = []
    for p in indexed.indexer(batch_size=2).run(cancel):
        progress.append(p)
        if p.done >= 4:
            cancel.set()
    last = progress[-1]
    assert last.phase == "cancelled"
    assert 4 <= last.indexed < 12 and last.removed == 0
    assert indexed.catalog.photos([doomed_id]), "not swept by a cancelled run"
    assert indexed.counts().photos == 24 + last.indexed
    assert not indexed.index.dirty, "the index was saved"

    rest = run(indexed)
    assert (rest.indexed, rest.removed) == (12 - last.indexed, 1)
    assert_consistent(indexed, root)


def test_cancel_after_the_last_file_still_finishes_the_run(indexed, root):
    doomed = sorted(files(root))[0]
    doomed.unlink()
    cancel = threading.Event()
    progress = []
    for p in indexed.indexer().run(cancel):
        progress.append(p)
        if p.phase == "indexing" and p.done == p.total:
            cancel.set()  # nothing left to do: the sweep must still happen
    assert progress[-1].phase == "done" and progress[-1].removed == 1


def test_cancel_during_the_scan_stops_before_any_work(indexed, root):
    (root / sorted(files(root))[0].name).unlink()
    cancel = threading.Event()
    cancel.set()
    progress = list(indexed.indexer().run(cancel))
    assert progress[-1].phase == "cancelled"
    assert (progress[-1].total, progress[-1].removed) == (0, 0)
    assert indexed.counts().photos == 24, "a partial scan sweeps nothing"


def test_progress_names_each_failed_file_once(lib, root):
    for name in ("empty.jpg", "junk.png"):
        (root / name).write_bytes(b"" if name == "empty.jpg" else b"not an image at all")
    progress = list(lib.indexer(batch_size=4).run())
    reported = [path.name for p in progress for path, _ in p.errors]
    assert sorted(reported) == ["empty.jpg", "junk.png"]
    assert progress[-1].failed == 2


# -- bad files --------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png() -> bytes:
    """A valid PNG header claiming 100000 x 100000 pixels (10 gigapixels)."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 301))
        + png_chunk(b"IEND", b"")
    )


def lying_png() -> bytes:
    """An 8 x 8 PNG whose header (with a correct CRC) says 300 x 300."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    real = buf.getvalue()
    ihdr = struct.pack(">II", 300, 300) + real[24:29]
    return real[:8] + png_chunk(b"IHDR", ihdr) + real[33:]


def truncated_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()[: len(buf.getvalue()) // 2]


BAD_FILES = {
    "empty.jpg": (b"", "The file is empty."),
    "truncated.jpg": (truncated_jpeg(), "truncated or corrupt"),
    "notes.jpg": (b"shopping list: eggs, milk\n" * 20, "not an image"),
    "bomb.png": (bomb_png(), "too large"),
    "lying.png": (lying_png(), "truncated or corrupt"),
}


def test_bad_files_are_recorded_and_not_retried(lib: Library, root: Path, monkeypatch):
    good = sorted(files(root))
    bad = root / "bad"
    bad.mkdir()
    for name, (data, _) in BAD_FILES.items():
        (bad / name).write_bytes(data)
    shutil.copyfile(good[0], bad / "denied.jpg")  # a fine photo, but the OS says no
    shutil.copyfile(good[1], bad / "vanishing.jpg")

    real_open = os.open

    def open_photo(path, flags, *args, **kw):
        if os.path.basename(path) == "denied.jpg":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kw)

    real_scan = Indexer.scan

    def scan_then_delete(self: Indexer, cancel=None):
        plan = real_scan(self, cancel)
        (bad / "vanishing.jpg").unlink()  # after the scan saw it, before it is read
        return plan

    monkeypatch.setattr(os, "open", open_photo)
    monkeypatch.setattr(Indexer, "scan", scan_then_delete)
    last = run(lib)
    assert (last.indexed, last.failed) == (24, 7), "the run goes on past every bad file"
    reasons = {p.name: r for p, r in lib.catalog.failures()}
    assert set(reasons) == {*BAD_FILES, "denied.jpg", "vanishing.jpg"}
    for name, (_, expected) in BAD_FILES.items():
        assert expected in reasons[name], (name, reasons[name])
    assert "Permission denied" in reasons["denied.jpg"]
    assert "disappeared" in reasons["vanishing.jpg"]
    for reason in reasons.values():
        assert reason.strip() and "\n" not in reason and len(reason) < 200
    assert lib.counts().failed == 7
    assert len(lib.index) == 24

    # Next run, nothing patched: content failures are not retried, the permission failure
    # is (its bytes are those of a photo already embedded: a copy, without encoding), and
    # the vanished one is swept.
    monkeypatch.undo()
    encodes = count_encodes(monkeypatch, lib.encoder)
    last = run(lib)
    assert (last.total, last.reused, last.failed, last.removed) == (1, 1, 0, 1)
    assert last.unchanged == 24 + 5
    assert encodes == []

    # A changed size or mtime is a reason to try again: it now holds the bytes of a photo
    # already embedded, so it comes back as a copy without encoding.
    (bad / "empty.jpg").write_bytes(good[2].read_bytes())
    last = run(lib)
    assert (last.total, last.reused, last.indexed, last.failed) == (1, 1, 0, 0)
    assert encodes == []
    assert {p.name for p, _ in lib.catalog.failures()} == {
        "truncated.jpg",
        "notes.jpg",
        "bomb.png",
        "lying.png",
    }
    assert (lib.counts().photos, lib.counts().failed, len(lib.index)) == (26, 4, 26)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_for_real(lib: Library, root: Path):
    locked = root / "locked.jpg"
    shutil.copyfile(sorted(files(root))[0], locked)
    locked.chmod(0)
    try:
        last = run(lib)
    finally:
        locked.chmod(0o644)
    assert (last.indexed, last.failed) == (24, 1)
    assert "Permission denied" in dict(lib.catalog.failures())[locked]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_limit_applies_to_real_photos(lib, root, monkeypatch):
    """A real photo over a (lowered) pixel limit fails with the reason; the rest index."""
    pixels = {}
    for p in files(root):
        with Image.open(p) as img:
            pixels[p] = img.width * img.height
    limit = sorted(pixels.values())[len(pixels) // 2]  # half the photos go over
    big = {p for p, n in pixels.items() if n > limit}
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    last = run(lib)
    assert (last.failed, last.indexed) == (len(big), 24 - len(big))
    failures = dict(lib.catalog.failures())
    assert set(failures) == big
    assert all("too large" in r for r in failures.values())


# -- searching while indexing -----------------------------------------------------------


def test_search_while_indexing_from_another_thread(lib: Library, root: Path, other_photos):
    originals = sorted(files(root))
    run(lib)
    # The second run encodes 24 new photos, copies 4, and sweeps 4 deleted ones at the end.
    for p in originals[:4]:
        p.unlink()
    for p in other_photos:
        shutil.copyfile(p, root / ("new-" + p.name))
    for p in originals[4:8]:
        shutil.copyfile(p, root / ("dup-" + p.name))
    catalogued = files(root) | set(originals[:4])  # deleted files stay until the sweep

    errors: list[BaseException] = []
    seen_counts: list[int] = []
    searches = {"started": 0, "finished": 0}
    turn = threading.Condition()
    cancel = threading.Event()
    finished = threading.Event()

    def index_in_background() -> None:
        try:
            for _ in lib.indexer(batch_size=2).run(cancel):
                # Hold each state until a search that starts after it has finished.
                with turn:
                    wanted = searches["started"] + 1
                    turn.wait_for(lambda w=wanted: searches["finished"] >= w or cancel.is_set(), 10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=index_in_background, name="indexer")
    worker.start()
    try:
        while not finished.is_set():
            with turn:
                searches["started"] += 1
            hits = lib.search.search("a red circle", k=200)
            ids = [h.photo_id for h in hits]
            assert len(ids) == len(set(ids))
            assert all(h.path in catalogued for h in hits)
            assert all(-1.0 <= h.score <= 1.0 for h in hits)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
            seen_counts.append(len(hits))
            with turn:
                searches["finished"] += 1
                turn.notify_all()
    finally:
        cancel.set()
        with turn:
            turn.notify_all()
        worker.join(60)
    assert not errors, errors
    assert min(seen_counts) == 24 and max(seen_counts) == 24 + 24 + 4
    assert len(set(seen_counts)) > 5, "searches saw the index grow batch by batch"
    assert_consistent(lib, root)


# -- the vector index file --------------------------------------------------------------


def index_files(lib: Library) -> list[Path]:
    return [lib.index.path, lib.index.meta_path]


def reopen_without_encoding(tmp_path: Path, monkeypatch) -> tuple[Library, list[int]]:
    sizes: list[int] = []
    real = ClipEncoder.encode_image_batch

    def counting(self, batch):
        sizes.append(len(batch))
        return real(self, batch)

    monkeypatch.setattr(ClipEncoder, "encode_image_batch", counting)
    return open_lib(tmp_path), sizes


def test_unchanged_index_file_loads(indexed: Library, tmp_path: Path):
    indexed.close()
    again = open_lib(tmp_path)
    try:
        assert again.index_status == "loaded"
        assert len(again.index) == 24
    finally:
        again.close()


@pytest.mark.parametrize("damage", ["deleted", "garbage", "meta deleted"])
def test_missing_or_damaged_index_is_rebuilt_without_encoding(
    indexed, root, tmp_path, monkeypatch, damage
):
    index_path, meta_path = index_files(indexed)
    expected = [h.photo_id for h in indexed.search.search("a blue square", k=5)]
    indexed.close()
    if damage == "deleted":
        index_path.unlink()
    elif damage == "garbage":
        size = index_path.stat().st_size
        index_path.write_bytes(np.random.default_rng(0).bytes(size))
    else:
        meta_path.unlink()

    again, encodes = reopen_without_encoding(tmp_path, monkeypatch)
    try:
        assert again.index_status == "rebuilt"
        assert len(again.index) == 24
        assert [h.photo_id for h in again.search.search("a blue square", k=5)] == expected
        assert run(again).unchanged == 24
        assert encodes == []
        assert_consistent(again, root)
    finally:
        again.close()


def test_stale_index_is_patched(lib: Library, root: Path, tmp_path, other_photos, monkeypatch):
    run(lib)
    saved = tmp_path / "saved"
    saved.mkdir()
    for f in index_files(lib):
        shutil.copy2(f, saved / f.name)
    removed = sorted(files(root))[0]
    removed.unlink()
    for p in other_photos[:3]:
        shutil.copyfile(p, root / ("new-" + p.name))
    run(lib)  # the saved file misses 3 new photos and still has the deleted one
    lib.close()
    for f in index_files(lib):
        shutil.copy2(saved / f.name, f)

    again, encodes = reopen_without_encoding(tmp_path, monkeypatch)
    try:
        assert again.index_status == "patched"
        assert len(again.index) == 24 - 1 + 3
        assert encodes == []
        assert_consistent(again, root)
    finally:
        again.close()


# -- quality ----------------------------------------------------------------------------


def test_red_circles_come_first(shape_library_48, tmp_path: Path):
    """With the trained model, the two red circles of 48 photos are the top 2."""
    folder = shape_library_48[0].path.parent
    lib = open_lib(tmp_path)
    try:
        lib.catalog.add_folder(folder)
        assert run(lib).indexed == 48
        top = lib.search.search("a red circle", k=2)
        labels = {p.path: p.label for p in shape_library_48}
        assert [labels[h.path] for h in top] == ["red circle", "red circle"]
    finally:
        lib.close()


def assert_vectors_fit_files(lib: Library) -> None:
    """Every stored vector is the embedding of the bytes now at its row's path."""
    rows = sorted(lib.catalog.all_photos().values(), key=lambda r: r.id)
    expected = lib.encoder.encode_images([r.path for r in rows])
    ids, stored = lib.catalog.embeddings(lib.encoder.model_id)
    assert ids.tolist() == [r.id for r in rows]
    for row, want, got in zip(rows, expected, stored, strict=True):
        assert np.allclose(got, want, atol=1e-4), f"{row.path.name} has another photo's vector"


def edit_after_duplicating(root: Path, other_photos: list[Path]) -> None:
    """The duplicate keeps the old bytes; the original takes new ones."""
    original = sorted(files(root))[0]
    shutil.copyfile(original, root / "zz-duplicate.jpg")  # after the original in every order
    original.write_bytes(other_photos[0].read_bytes())


def swap_names(root: Path, other_photos: list[Path]) -> None:
    a, b = sorted(files(root))[:2]
    os.rename(a, root / "swap.tmp")
    os.rename(b, a)
    os.rename(root / "swap.tmp", b)


def replace_after_copying(root: Path, other_photos: list[Path]) -> None:
    """Keep a copy of b, then move a over b: b's row gives way to a's before the copy of
    b's old bytes is matched to it."""
    a, b = sorted(files(root))[:2]
    shutil.copyfile(b, root / "zz-copy-of-b.jpg")
    os.replace(a, b)


@pytest.mark.parametrize(
    ("change", "batch_size"),
    [
        # batch size 1: the edited original is committed in a batch before the duplicate
        (edit_after_duplicating, 1),
        (edit_after_duplicating, 8),
        (swap_names, 8),  # files matched by hash are always committed in one batch here
        (replace_after_copying, 8),
    ],
    ids=["edit-after-duplicating-apart", "edit-after-duplicating-together", "swap", "replace"],
)
def test_reused_vectors_follow_the_bytes(indexed, root, other_photos, change, batch_size):
    """A file matched by its hash to a photo whose bytes change in the same run must not
    take that photo's new vector."""
    change(root, other_photos)
    last = run(indexed, batch_size=batch_size)
    assert last.failed == 0 and last.indexed + last.reused == 2
    assert_vectors_fit_files(indexed)
    assert_consistent(indexed, root)


def test_an_unexpected_decoder_error_fails_one_file_not_the_run(lib, root, monkeypatch):
    unlucky = sorted(files(root))[10]

    def load(source, **options):
        if os.path.samefile(source.fileno(), unlucky):
            raise ValueError("a bug in some decoder plugin\nwith a second line")
        return open_image(source, **options)

    monkeypatch.setattr("photofind.core.indexer.open_image", load)
    last = run(lib)
    assert (last.indexed, last.failed) == (23, 1)
    ((path, reason),) = lib.catalog.failures()
    assert path == unlucky
    assert "ValueError: a bug in some decoder plugin with a second line" in reason
