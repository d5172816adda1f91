"""Keeping the thumbnail cache to what the library still asks for.

An entry's name is the key of (path, size, mtime, bucket), so an edited, moved, renamed or
removed photo leaves its old entries behind, never asked for again. :func:`tidy_thumbnails`
removes them:

* an entry whose key is no current photo's, at any bucket, is stale and goes. Every row
  of the catalog counts, also those of an offline folder (an unplugged drive keeps its
  rows, and its thumbnails are shown while it is away), but not a failed photo's, which
  has no thumbnail;
* the grid bucket of current photos stays whatever its size: index runs write it for
  every photo so that the grid of a large library is instant;
* the other buckets (zoomed out, zoomed in, previews) are kept up to a budget, the least
  recently used first out (by mtime: a read moves it to now, at most once a day);
* a temporary file a crashed writer left (``.*.tmp``) goes once it is an hour old.

It only removes files it recognises as its own, in the cache's two-letter subfolders,
and follows no link. A file that vanishes meanwhile (another photofind) is no error; a
cache that cannot be written (read-only, full) is logged in one line and left as it is.
:func:`tidy_if_due` runs it at most once a day, remembered by the time of a stamp file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from photofind.core.catalog import Catalog
from photofind.core.catalog_rows import FAILED
from photofind.core.pacing import foreground
from photofind.core.thumbnails import BUCKETS, GRID_BUCKET, ThumbnailCache, entry_keys

log = logging.getLogger(__name__)

# The buckets beside the grid's are made on demand and cost a decode to make again; 512 MB
# is ~2,000 previews of 1024 px or ~30,000 thumbnails of 256 px.
OTHER_BUCKETS_BUDGET_BYTES = 512 * 1024 * 1024
TIDY_EVERY_S = 24 * 3600
# A writer renames its temporary file within milliseconds; one an hour old is a crash's.
TEMP_FILE_AGE_S = 3600
STAMP_NAME = ".tidied"  # its mtime: when the cache was last tidied
GIVE_WAY_EVERY = 1000  # files looked at between two chances for the window to paint


@dataclass(frozen=True)
class Tidied:
    looked_at: int = 0  # files in the cache's subfolders
    removed: int = 0
    freed_bytes: int = 0
    problem: str | None = None  # why it stopped early: the cache could not be written
    cancelled: bool = False


class _CannotWrite(Exception):
    pass


def tidy_due(cache: ThumbnailCache, now: float | None = None) -> bool:
    """True when the cache has not been tidied in the last day (or the clock went back)."""
    now = time.time() if now is None else now
    try:
        last = os.stat(cache.root / STAMP_NAME).st_mtime
    except OSError:
        return cache.root.is_dir()
    return not 0 <= now - last < TIDY_EVERY_S


def tidy_if_due(
    catalog: Catalog, cache: ThumbnailCache, cancel: threading.Event | None = None
) -> Tidied | None:
    """Tidy the cache when :func:`tidy_due`, stamping it first (so a cache that cannot be
    written is found out before anything is listed); None when it was not due."""
    if not tidy_due(cache):
        return None
    try:
        (cache.root / STAMP_NAME).touch()
    except OSError as exc:
        return _stopped(Tidied(), exc)
    return tidy_thumbnails(catalog, cache, cancel=cancel)


def live_keys(catalog: Catalog) -> dict[bytes, int]:
    """The key of every thumbnail a photo of the catalog may ask for, with its bucket."""
    keys: dict[bytes, int] = {}
    rows = catalog.select("SELECT path, size, mtime_ns FROM photos WHERE status != ?", (FAILED,))
    for raw, size, mtime_ns in rows:
        keys_of_row = entry_keys(os.path.abspath(raw), size, mtime_ns)
        keys.update(zip(keys_of_row, BUCKETS, strict=True))
    return keys


def tidy_thumbnails(
    catalog: Catalog,
    cache: ThumbnailCache,
    *,
    budget_bytes: int = OTHER_BUCKETS_BUDGET_BYTES,
    cancel: threading.Event | None = None,
    now: float | None = None,
) -> Tidied:
    """Remove the stale entries, the other buckets beyond ``budget_bytes`` (least recently
    used first) and old temporary files. Gives way to the window every
    :data:`GIVE_WAY_EVERY` files."""
    now = time.time() if now is None else now
    keys = live_keys(catalog)
    sweep = _Sweep(cancel)
    others: list[tuple[float, int, str]] = []  # (mtime, size, path) of the other buckets
    try:
        for folder in _subfolders(cache.root):
            for entry in _entries(folder):
                if sweep.pause():
                    return sweep.result(cancelled=True)
                if not entry.is_file(follow_symlinks=False):
                    continue
                name = entry.name
                key = _key_of(name, folder)
                if key is not None:
                    bucket = keys.get(key)
                    if bucket is None:
                        st = _stat(entry)
                        sweep.remove(entry.path, st.st_size if st is not None else 0)
                    elif bucket != GRID_BUCKET and (st := _stat(entry)) is not None:
                        others.append((st.st_mtime, st.st_size, entry.path))
                elif name.startswith(".") and name.endswith(".tmp"):
                    st = _stat(entry)
                    if st is not None and now - st.st_mtime > TEMP_FILE_AGE_S:
                        sweep.remove(entry.path, st.st_size)
        total = sum(size for _, size, _ in others)
        for _, size, path in sorted(others):
            if total <= budget_bytes:
                break
            sweep.remove(path, size)
            total -= size
    except _CannotWrite as exc:
        return _stopped(sweep.result(), exc.__cause__ or exc)
    result = sweep.result()
    if result.removed:
        log.info("thumbnail cache: %d of %d files removed", result.removed, result.looked_at)
    return result


class _Sweep:
    def __init__(self, cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.looked_at = self.removed = self.freed = 0

    def pause(self) -> bool:
        """Counts a file; True when asked to stop."""
        self.looked_at += 1
        if self.looked_at % GIVE_WAY_EVERY == 0:
            foreground.give_way(self.cancel)
        return self.cancel is not None and self.cancel.is_set()

    def remove(self, path: str, size: int) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return  # another photofind removed or replaced it meanwhile
        except OSError as exc:
            raise _CannotWrite() from exc
        self.removed += 1
        self.freed += size

    def result(self, cancelled: bool = False) -> Tidied:
        return Tidied(self.looked_at, self.removed, self.freed, None, cancelled)


def _stopped(result: Tidied, exc: BaseException) -> Tidied:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    log.warning("The thumbnail cache could not be tidied (%s); it is left as it is.", reason)
    return Tidied(result.looked_at, result.removed, result.freed_bytes, reason)


def _subfolders(root: Path) -> list[str]:
    """The cache's own subfolders: two lower-case hex digits, real folders (not links)."""
    names = []
    for entry in _entries(str(root)):
        name = entry.name
        if len(name) == 2 and _is_hex(name) and entry.is_dir(follow_symlinks=False):
            names.append(entry.path)
    return sorted(names)


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except FileNotFoundError:
        return []  # the cache (or one subfolder) is gone: nothing to tidy there
    except OSError as exc:
        raise _CannotWrite() from exc


def _key_of(name: str, folder: str) -> bytes | None:
    """The key of an entry file named ``<32 hex digits>.jpg`` in the folder of its first
    two digits; None for any other name."""
    stem = name[:-4]
    if len(name) != 36 or not name.endswith(".jpg") or not _is_hex(stem):
        return None
    if stem[:2] != os.path.basename(folder):
        return None
    return bytes.fromhex(stem)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _stat(entry: os.DirEntry[str]) -> os.stat_result | None:
    with contextlib.suppress(OSError):  # vanished meanwhile: nothing to keep or remove
        return entry.stat(follow_symlinks=False)
    return None
