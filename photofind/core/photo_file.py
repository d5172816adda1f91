"""Opening a photo file for indexing without trusting what the scan saw.

Between the scan and the read a path can become anything: a FIFO (a plain open waits for a
writer forever), a link to ``/dev/zero`` (endless), a 64 GB sparse file (reading it whole
is a MemoryError). So a photo is opened non-blocking, checked on the open descriptor (not
by path, which can change again) to be a regular file of a size a photo can have, and
hashed in bounded chunks; the decoder then reads from the same descriptor.

Failures are :class:`PhotoReadError`, which says whether the cause can pass by itself (the
file vanished, permissions, an I/O error: tried again on the next run) or lies in the
file's content (tried again only when the file changes).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from photofind.core.errors import ImageError

# An uncompressed 16-bit RGBA image at Pillow's hard pixel limit (2 x 89.5 megapixels) is
# 1.4 GB, so a larger file cannot hold a picture that photofind would decode; reading one
# would only tie a worker up. Layered TIFFs and RAW files of today's cameras stay far below.
MAX_PHOTO_BYTES = 2_000_000_000
HASH_CHUNK_BYTES = 1 << 20  # 1 MiB: bounded memory per worker, few system calls per photo

_LOCKED = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EDEADLK, getattr(errno, "ENOLCK", -1)}


class PhotoReadError(ImageError):
    """A photo file could not be read; ``transient`` when a later run may well succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def read_failure(exc: OSError) -> PhotoReadError:
    """What an error of the operating system while opening or reading a photo means."""
    if isinstance(exc, FileNotFoundError):
        return PhotoReadError("The file disappeared while it was being indexed.", transient=True)
    if isinstance(exc, PermissionError):
        return PhotoReadError(
            "Permission denied: photofind may not read this file; fix its permissions.",
            transient=True,
        )
    if isinstance(exc, IsADirectoryError):
        return PhotoReadError("This is a folder, not a file.", transient=False)
    if exc.errno in _LOCKED:
        return PhotoReadError(
            "The file is locked by another program; it is tried again on the next run.",
            transient=True,
        )
    # I/O errors, timeouts, stale network handles: the drive or the share, not the photo.
    detail = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return PhotoReadError(f"The file cannot be read ({detail}).", transient=True)


def _size_text(size: int) -> str:
    gb = f"{size / 1e9:.1f}".removesuffix(".0") if size < 10e9 else f"{size / 1e9:,.0f}"
    return f"{gb} GB"


@contextlib.contextmanager
def open_photo(path: Path) -> Iterator[io.BufferedReader]:
    """The photo at ``path``, open for reading, once it is known to be a regular file of a
    size a photo can have. Raises :class:`PhotoReadError`."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise read_failure(exc) from None
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise read_failure(exc) from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        # Tried again next run: the scan lists only regular files, so this path changed
        # under the run and the next scan sees what it really is.
        raise PhotoReadError(
            "This is not a regular file (a pipe, a device or a socket took the photo's place); "
            "photofind reads only regular files.",
            transient=True,
        )
    if st.st_size == 0:
        os.close(fd)
        raise PhotoReadError("The file is empty.", transient=False)
    if st.st_size > MAX_PHOTO_BYTES:
        os.close(fd)
        raise PhotoReadError(
            f"The file is too large to be a photo ({_size_text(st.st_size)}; photofind reads "
            f"files up to {_size_text(MAX_PHOTO_BYTES)}).",
            transient=False,
        )
    with open(fd, "rb") as fh:
        yield fh


def hash_photo(fh: io.BufferedReader, digest_size: int) -> bytes:
    """blake2b of the whole file, read in bounded chunks; leaves ``fh`` at its start."""
    digest = hashlib.blake2b(digest_size=digest_size)
    buffer = bytearray(HASH_CHUNK_BYTES)
    view = memoryview(buffer)
    total = 0
    try:
        while n := fh.readinto(view):
            total += n
            if total > MAX_PHOTO_BYTES:  # it grew past the limit while being read
                raise PhotoReadError(
                    f"The file is too large to be a photo (over {_size_text(MAX_PHOTO_BYTES)}).",
                    transient=False,
                )
            digest.update(view[:n])
        fh.seek(0)
    except OSError as exc:
        raise read_failure(exc) from None
    return digest.digest()
