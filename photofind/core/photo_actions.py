"""Acting on photos the user picked: move them to the system trash, copy them to a folder.

Moving to the trash goes through ``send2trash`` (the desktop's own trash: Freedesktop,
macOS, Windows), so the user can always restore a photo; photofind never deletes a file
itself, not even when the trash refuses one. The catalog forgets a trashed photo at once
(its row, embeddings and its place in every open search index), so no search or browse view
shows it again, and an index run has nothing left to sweep.

Each file is its own attempt: a failure is one sentence naming the file and what to do, and
the other files go on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from send2trash import TrashPermissionError, send2trash

from photofind.core.library import Library
from photofind.core.vector_index import VectorIndex

TrashFunction = Callable[[str], None]
"""Moves one file (a ``str`` path) to the trash; raises OSError when it cannot."""

# 1 MB: a 30 MB RAW copies in 30 reads, and memory stays flat whatever the file size.
COPY_CHUNK_BYTES = 1 << 20
MAX_NAME_TRIES = 10_000  # "name (10000).jpg": far beyond any real folder; stops a runaway loop


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str  # one sentence: what happened and what to do


@dataclass(frozen=True)
class TrashOutcome:
    trashed: tuple[Path, ...]  # now in the trash
    forgotten_ids: tuple[int, ...]  # photo ids the catalog no longer holds (trashed or gone)
    problems: tuple[Problem, ...] = ()  # still where they were


@dataclass(frozen=True)
class CopyOutcome:
    copied: tuple[tuple[Path, Path], ...]  # (photo, its copy)
    problems: tuple[Problem, ...] = ()
    not_tried: tuple[Path, ...] = field(default=())  # left after the target disk filled up


def _on_read_only_drive(path: Path) -> bool:
    # send2trash reports a read-only drive as "permission denied" (its os.access check).
    if not hasattr(os, "statvfs"):  # Windows: no read-only mounts to tell apart
        return False
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _trash_problem(path: Path, exc: OSError) -> str:
    if isinstance(exc, TrashPermissionError):
        return (
            f"{path.name} was not moved to the trash: the drive it is on has no trash photofind "
            "may use; it is still in its folder (delete it with your file manager if you want)."
        )
    if exc.errno == errno.EROFS or _on_read_only_drive(path):
        return (
            f"{path.name} was not moved to the trash: its drive is read-only; it is still in "
            f"{path.parent}."
        )
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{path.name} was not moved to the trash: permission denied; it is still in "
            f"{path.parent} (check that you may change that folder)."
        )
    detail = exc.strerror or str(exc) or type(exc).__name__
    return (
        f"{path.name} was not moved to the trash ({detail}); it is still in {path.parent}, "
        "check the drive and try again."
    )


def _unreachable(path: Path) -> str:
    return (
        f"{path.name} was not moved to the trash: {path.parent} is not reachable now (a drive "
        "unplugged, a share not mounted?); connect it and try again."
    )


def _indexes(library: Library) -> list[VectorIndex]:
    # The index being built and the one answering searches differ while a model switch
    # is in progress; a trashed photo must leave both.
    found: list[VectorIndex] = []
    for index in (library.index, library.search.index):
        if not any(index is seen for seen in found):
            found.append(index)
    return found


def forget_photos(library: Library, photo_ids: Sequence[int]) -> None:
    """The catalog and every open search index drop these photos (their files are not
    touched)."""
    if not photo_ids:
        return
    library.catalog.delete(photo_ids)
    ids = np.asarray(list(photo_ids), dtype=np.int64)
    for index in _indexes(library):
        index.remove(ids)


def move_to_trash(
    library: Library, photo_ids: Sequence[int], trash: TrashFunction = send2trash
) -> TrashOutcome:
    """Move the photos' files to the system trash and forget them; a file that is already
    gone is forgotten too (there is nothing left to trash)."""
    rows = library.catalog.photos(photo_ids)
    trashed: list[Path] = []
    forgotten: list[int] = []
    problems: list[Problem] = []
    for photo_id in photo_ids:
        row = rows.get(int(photo_id))
        if row is None:
            continue  # forgotten already (another window, an index run)
        if not os.path.lexists(row.path):
            if row.path.parent.is_dir():
                forgotten.append(row.id)  # deleted outside photofind: nothing left to trash
            else:
                problems.append(Problem(row.path, _unreachable(row.path)))
            continue
        try:
            trash(os.fspath(row.path))
        except OSError as exc:
            problems.append(Problem(row.path, _trash_problem(row.path, exc)))
            continue
        trashed.append(row.path)
        forgotten.append(row.id)
    forget_photos(library, forgotten)
    return TrashOutcome(tuple(trashed), tuple(forgotten), tuple(problems))


def free_name(folder: Path, name: str) -> Path:
    """``folder/name`` if nothing is there, else ``name (2).ext``, ``name (3).ext``, ..."""
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while os.path.lexists(candidate):
        n += 1
        if n > MAX_NAME_TRIES:
            raise FileExistsError(errno.EEXIST, "no free name", os.fspath(folder / name))
        candidate = folder / f"{stem} ({n}){suffix}"
    return candidate


def _claim_name(folder: Path, name: str) -> tuple[Path, BinaryIO]:
    """A free name in ``folder``, claimed by creating it with O_EXCL: a file appearing
    meanwhile (another copy running, the same photo picked twice) makes the next number be
    taken instead of overwriting it."""
    while True:
        target = free_name(folder, name)
        try:
            return target, open(target, "xb")  # noqa: SIM115 (the caller closes it)
        except FileExistsError:
            continue


def _copy_exclusive(source: Path, folder: Path) -> Path:
    with open(source, "rb") as src:
        target, dst = _claim_name(folder, source.name)
        try:
            with dst:
                shutil.copyfileobj(src, dst, COPY_CHUNK_BYTES)
        except BaseException:
            # Only the file this call created is removed: half a copy is nobody's photo.
            target.unlink(missing_ok=True)
            raise
    # The file time is the photo's date when it has no EXIF date, so it is kept where the
    # target drive allows; a drive that refuses times (some network shares) still gets the copy.
    with contextlib.suppress(OSError):
        shutil.copystat(source, target)
    return target


def _copy_problem(source: Path, folder: Path, exc: OSError) -> str:
    if exc.filename is not None and Path(os.fsdecode(exc.filename)) == source:
        if isinstance(exc, FileNotFoundError):
            return f"{source.name} was not copied: it is no longer in {source.parent}."
        return f"{source.name} was not copied: it cannot be read ({exc.strerror}); check its drive."
    if exc.errno == errno.EROFS or isinstance(exc, PermissionError):
        return (
            f"{source.name} was not copied: {folder} cannot be written ({exc.strerror}); choose "
            "a folder you may write to."
        )
    return f"{source.name} was not copied to {folder} ({exc.strerror or exc}); check the drive."


def copy_to_folder(photos: Sequence[Path], folder: Path) -> CopyOutcome:
    """Copy each photo into ``folder``; a name already taken gets " (2)", " (3)", ... and
    nothing is ever overwritten. When the target disk fills up the rest is not tried."""
    folder = Path(folder)
    if not folder.is_dir():
        reason = f"{folder} is not a folder that exists; choose another folder."
        return CopyOutcome((), tuple(Problem(p, reason) for p in photos))
    copied: list[tuple[Path, Path]] = []
    problems: list[Problem] = []
    for position, source in enumerate(photos):
        try:
            copied.append((source, _copy_exclusive(Path(source), folder)))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                left = tuple(Path(p) for p in photos[position:])
                problems.append(
                    Problem(
                        Path(source),
                        f"The disk holding {folder} is full; {len(left)} of the photos were not "
                        "copied (free some space and copy them again).",
                    )
                )
                return CopyOutcome(tuple(copied), tuple(problems), left)
            problems.append(Problem(Path(source), _copy_problem(Path(source), folder, exc)))
    return CopyOutcome(tuple(copied), tuple(problems))
