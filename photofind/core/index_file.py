"""The index file on disk: its names, and the checks that guard hnswlib's unsafe loading.

hnswlib trusts whatever file it is given: a file of another dimension is loaded without
complaint and then read past each vector, damaged neighbour ids can crash the process on
search, and a save cut short by a full disk leaves a short file without a word. These
functions read hnswlib's own layout (hnswalg.h ``saveIndex``) so that :mod:`vector_index`
loads only a file that is whole, of the right geometry, and whose labels can be photo ids.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import time
import zlib
from pathlib import Path

import hnswlib

from photofind.core.saved_vectors import MAPPING_WORKS, SavedVectors

# hnswlib's file header (hnswalg.h saveIndex): offsetLevel0, max_elements, cur_element_count,
# size_data_per_element, label_offset, offsetData, maxlevel, enterpoint_node, maxM, maxM0, M,
# mult, ef_construction. Read to check the dimension before hnswlib allocates anything.
HEADER = struct.Struct("<QQQQQQiIQQQdQ")
FLOAT32_BYTES = 4
LABEL_BYTES = 8
META_FORMAT = 1
# A save takes seconds even at 1M photos; a temporary file this old was left by a crash.
STALE_TEMP_S = 3600
CRC_CHUNK_BYTES = 16 << 20


def index_file_name(model_id: str) -> str:
    """The file name, in the data folder, of the index of one model's vectors."""
    return "index-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", model_id) + ".hnsw"


def index_files(path: Path) -> tuple[Path, Path]:
    """The files an index at ``path`` occupies (hnswlib's, then the meta file): to delete it."""
    path = Path(path)
    return path, path.with_name(path.name + ".meta.json")


def remove_stale_temps(path: Path) -> None:
    """Delete temporary files that a save interrupted by a crash left next to the index."""
    for name in index_files(path):
        for tmp in name.parent.glob(f".{name.name}.*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > STALE_TEMP_S:
                    tmp.unlink()


def crc32(path: Path) -> tuple[int, int]:
    """(size, CRC-32) of a file; CRC-32 runs at several GB/s, so checking costs little."""
    crc = 0
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CRC_CHUNK_BYTES):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def fsync_file(path: str | Path) -> None:
    # Windows' fsync needs a handle opened for writing.
    with open(path, "r+b") as f:
        os.fsync(f.fileno())


def check_header(path: Path, dim: int) -> None:
    """Raise ValueError unless the file's geometry is that of an hnswlib float index of `dim`."""
    with open(path, "rb") as f:
        raw = f.read(HEADER.size)
    if len(raw) < HEADER.size:
        raise ValueError("file shorter than the hnswlib header")
    fields = HEADER.unpack(raw)
    offset_level0, max_elements, count, per_element, label_offset, offset_data = fields[:6]
    max_m0 = fields[9]
    file_dim, rest = divmod(label_offset - offset_data, FLOAT32_BYTES)
    if file_dim != dim or rest:
        raise ValueError(f"index holds {file_dim}-d vectors, expected {dim}-d")
    if (
        offset_level0 != 0
        or offset_data != max_m0 * 4 + 4  # level-0 neighbour list: count word + maxM0 uint32 ids
        or per_element != label_offset + LABEL_BYTES
        or count > max_elements
        or count * per_element > path.stat().st_size
    ):
        raise ValueError("inconsistent hnswlib header")


MAX_LABEL = 2**63  # labels are SQLite row ids, which are signed 64-bit


def checked_labels(index: hnswlib.Index) -> set[int]:
    """The labels of a loaded index; ValueError when some cannot be photo ids (a faulty
    writer can store any 8 bytes there and still record a checksum that matches)."""
    labels = index.get_ids_list()
    if labels and max(labels) >= MAX_LABEL:
        raise ValueError("a label is not a photo id")
    unique = set(labels)
    if len(unique) != index.element_count:
        raise ValueError("two slots hold the same label")
    return unique


def check_complete(path: Path) -> None:
    """Raise ValueError unless the hnswlib file at ``path`` is whole. hnswlib writes with a
    C++ stream that ignores errors, so a disk that fills up mid-save leaves a short file
    without a word; its layout (hnswalg.h saveIndex) tells where the file must end: the
    header, every element's level-0 block, then per element a uint32 size and that many
    bytes of upper-level links."""
    with open(path, "rb") as f:
        header = f.read(HEADER.size)
        if len(header) < HEADER.size:
            raise ValueError("the file ends inside its header")
        count, per_element = HEADER.unpack(header)[2:4]
        f.seek(count * per_element, os.SEEK_CUR)
        links = f.read()
    at = 0
    for _ in range(count):
        if at + 4 > len(links):
            raise ValueError("the file ends before its last element")
        (size,) = struct.unpack_from("<I", links, at)
        at += 4 + size
    if at != len(links):
        raise ValueError("the file does not end where its last element does")


def identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_ino, st.st_dev, st.st_mtime_ns


def map_saved(path: str | Path, dim: int) -> SavedVectors | None:
    """The vectors of the hnswlib file at ``path``, mapped; None where mapping is not used."""
    if not MAPPING_WORKS:
        return None
    with open(path, "rb") as f:
        fields = HEADER.unpack(f.read(HEADER.size))
        offset_level0, _, count, per_element, label_offset, offset_data = fields[:6]
        return SavedVectors(
            f, dim, HEADER.size + offset_level0, count, per_element, label_offset, offset_data
        )
