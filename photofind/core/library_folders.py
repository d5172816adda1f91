"""Library folders: which folders may be one, what is never entered below one, how each
stands (reachable, offline, unreadable), and forgetting one with its photos.

The catalog stores the folders; the scanner walks them with the rules kept here.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from photofind.core.config import app_paths
from photofind.core.errors import PhotofindError

if TYPE_CHECKING:
    from photofind.core.catalog import Catalog

# Kernel interfaces, not folders of files: /proc/PID/cwd alone leads into the whole machine,
# /dev holds endless devices and /sys ten thousand tiny files.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")

# Folders below a library folder that hold copies, thumbnails or deleted files, never the
# user's photos: indexing them shows each photo two or three times. Matched against the
# folder's name, ignoring case (Windows and NAS shares do), as shell-style patterns.
# Names starting with "." are skipped as hidden anyway; the hidden ones are listed so that
# the list says what it is about.
SKIPPED_FOLDER_NAMES = frozenset(
    {
        # Synology DSM: thumbnails beside every photo, the share's recycle bin, snapshots.
        "@eaDir",
        "#recycle",
        "#snapshot",
        # QNAP QTS: thumbnails, recycle bin, snapshots.
        ".@__thumb",
        "@Recycle",
        "@Recently-Snapshot",
        # Windows drives: the recycle bin (XP and later), restore points and indexer data.
        "$RECYCLE.BIN",
        "RECYCLER",
        "System Volume Information",
        # Linux desktops (freedesktop.org): thumbnail cache and per-drive trash.
        ".thumbnails",
        ".cache",
        ".Trash",
        ".Trash-*",
        # macOS: per-drive trash and search index.
        ".Trashes",
        ".Spotlight-V100",
    }
)
_SKIPPED_NAME = re.compile(
    "|".join(fnmatch.translate(p) for p in sorted(SKIPPED_FOLDER_NAMES)), re.IGNORECASE
)


class FolderError(PhotofindError):
    """A path that cannot be a library folder, or is not one."""


def is_skipped_folder_name(name: str) -> bool:
    return name.startswith(".") or _SKIPPED_NAME.fullmatch(name) is not None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def system_folder_of(path: str | os.PathLike[str]) -> str | None:
    """The system folder (``/proc``, ...) that ``path`` lies in, as written or with its
    links resolved (``/proc/self/cwd`` resolves to a folder outside /proc)."""
    candidates = (os.path.abspath(path), os.path.realpath(path))
    return next((s for s in SYSTEM_FOLDERS for c in candidates if _within(c, s)), None)


def system_devices() -> set[int]:
    """The devices of the system folders that are mount points of their own: a folder on
    one of them is a system folder wherever it is reached from."""
    devices = set()
    for folder in SYSTEM_FOLDERS:
        try:
            st, parent = os.stat(folder), os.stat(os.path.dirname(folder))
        except OSError:
            continue
        if st.st_dev != parent.st_dev:  # without its own mount it is a plain folder of /
            devices.add(st.st_dev)
    return devices


def photofind_folders(data_dir: Path) -> list[Path]:
    """photofind's own folders (data, models, cache, thumbnails, logs) for the catalog in
    ``data_dir``, and the platform's default ones: inside a library folder they would be
    indexed as photos (every thumbnail a second copy of its photo)."""
    folders: list[Path] = []
    for paths in (app_paths(data_dir), app_paths()):
        folders += [paths.data_dir, paths.models_dir, paths.cache_dir, paths.thumbnails_dir]
        folders.append(paths.log_dir)
    return folders


def check_library_folder(path: str | os.PathLike[str]) -> Path:
    """``path`` as an absolute library folder, or FolderError saying why it cannot be one."""
    if os.fspath(path) in ("", b""):
        raise FolderError(
            "The folder name is empty (an unset shell variable?); give the folder of photos to add."
        )
    folder = Path(os.path.abspath(path))
    system = system_folder_of(folder)
    if system is not None:
        where = "a system folder" if str(folder) == system else f"in the system folder {system}"
        raise FolderError(f"{folder} is {where}, which holds no photos; choose a folder of photos.")
    return folder


def listing_problem(exc: OSError) -> str:
    """Why a folder could not be looked into, as a sentence that says what to do."""
    if exc.errno == errno.ENAMETOOLONG:
        return (
            "Its path is longer than the system allows; rename or move the folders above it "
            "to shorten it."
        )
    if isinstance(exc, PermissionError):
        return "Permission denied: photofind may not look into this folder; fix its permissions."
    return f"It cannot be read ({exc.strerror or exc}); check the drive or the network share."


def outside_link_problem(target: str) -> str:
    system = system_folder_of(target)
    if system is not None:
        return f"A link to the system folder {system}, which holds no photos; it is not followed."
    return (
        f"A link to {target}, outside the library folders; it is not followed (add "
        f"{target} as a library folder to include its photos)."
    )


def is_empty_folder(folder: Path) -> bool:
    """An empty library folder is most likely a mount point whose drive is unplugged (the
    folder stays behind): its photos are kept, not swept. Removing the folder from the
    library is how to forget them."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


# -- the state of each library folder -----------------------------------------------------

OK, OFFLINE, UNREADABLE = "ok", "offline", "unreadable"


@dataclass(frozen=True)
class FolderState:
    path: Path
    photos: int  # catalog rows below it that are not failures
    failed: int
    state: str  # OK, OFFLINE or UNREADABLE
    reason: str | None = None  # what is wrong, for OFFLINE and UNREADABLE


def _below(raw: bytes, folder: Path) -> bool:
    return raw.startswith(os.path.join(os.fsencode(folder), b""))


def reachability(folder: Path) -> tuple[str, str | None]:
    """(state, reason) of a library folder as it is on disk right now."""
    try:
        is_dir = stat.S_ISDIR(os.stat(folder).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        is_dir = False
    except OSError as exc:  # there, but photofind may not look (permissions, a long path)
        return UNREADABLE, listing_problem(exc)
    if not is_dir:
        return OFFLINE, "It is not reachable now (a drive unplugged, a share not mounted?)."
    try:
        with os.scandir(folder) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        return UNREADABLE, listing_problem(exc)
    if empty:
        return OFFLINE, "It is empty (a drive unplugged from its mount point?)."
    return OK, None


def folder_states(catalog: Catalog) -> list[FolderState]:
    recorded = dict(catalog.folder_problems())
    states = []
    for folder in catalog.folders():
        rows = catalog.photos_below(folder)
        failed = sum(1 for _, status in rows.values() if status == "failed")
        state, reason = reachability(folder)
        if state == OK and folder in recorded:
            state, reason = UNREADABLE, recorded[folder]
        states.append(FolderState(folder, len(rows) - failed, failed, state, reason))
    return states


def forget_folder(catalog: Catalog, folder: str | os.PathLike[str]) -> list[int]:
    """Remove a library folder and its photos from the catalog (not from the disk); returns
    the ids of the photos removed. Photos that also lie in another library folder stay."""
    path = Path(os.path.abspath(folder)) if os.fspath(folder) else None
    folders = catalog.folders()
    if path is None or path not in folders:
        raise FolderError(
            f"{os.fspath(folder) or '(an empty name)'} is not a library folder; 'photofind "
            "folder list' shows them."
        )
    others = [f for f in folders if f != path]
    with catalog.transaction():
        ids = [
            photo_id
            for photo_id, (raw, _) in catalog.photos_below(path).items()
            if not any(_below(raw, other) for other in others)
        ]
        catalog.delete(ids)
        problems = catalog.folder_problems()
        kept = {p: r for p, r in problems if p != path and not _below(os.fsencode(p), path)}
        if len(kept) != len(problems):
            catalog.set_folder_problems(kept)
        catalog.remove_folder(path)
    return ids
