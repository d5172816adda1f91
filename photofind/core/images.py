"""Decoding image files into RGB pictures, and reading their header facts.

Used by the indexer (thousands of files, on worker threads or processes) and by search.
Every failure that comes from a bad file raises :class:`~photofind.core.errors.ImageError`
with one plain sentence; nothing else escapes for a bad file.

* Files are recognised by content, never by extension (a PNG named ``.jpg`` works).
* HEIC/HEIF (and AVIF when Pillow has no AVIF plugin of its own) go through pillow-heif,
  registered with Pillow lazily, once, under a lock, the first time such a file is met.
* Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) stays on: an image over
  the limit is refused *before* its pixels are decoded, both at Pillow's warning level and
  at its error level, without touching the process-wide warning filters.
* ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set: a truncated file is an error.
* Camera RAW files go through LibRaw (:mod:`photofind.core.raw`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from photofind.core.errors import ImageError
from photofind.core.image_modes import to_rgb
from photofind.core.photo_file import read_failure
from photofind.core.raw import RAW_EXTENSIONS, decode_if_raw, size_if_raw

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageInfo",
    "open_image",
    "read_info",
    "to_rgb",
]

IMAGE_EXTENSIONS: frozenset[str] = (
    frozenset(
        {
            ".jpg",
            ".jpeg",
            ".png",
            ".webp",
            ".gif",
            ".bmp",
            ".tif",
            ".tiff",
            ".heic",
            ".heif",
            ".avif",
        }
    )
    | RAW_EXTENSIONS
)
"""Lower-case file suffixes (with the dot) that the indexer looks at."""

ImageSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""A path, the file's bytes, or a binary file open at its start (read, never closed)."""

_ORIENTATION_TAG = ExifTags.Base.Orientation  # 0x0112
_DATETIME_ORIGINAL_TAG = ExifTags.Base.DateTimeOriginal  # 0x9003


# --------------------------------------------------------------------------------------
# pillow-heif: registered lazily, once, thread-safely


_heif_lock = threading.Lock()
_heif_state: bool | None = None  # None: not tried yet; True: registered; False: unavailable


def _ensure_heif_registered() -> bool:
    """Register pillow-heif's opener with Pillow (once). Returns whether it is available."""
    global _heif_state
    if _heif_state is not None:
        return _heif_state
    with _heif_lock:
        if _heif_state is not None:
            return _heif_state
        try:
            # Load Pillow's own plugins first, so that its AVIF plugin (when it has one)
            # is asked before pillow-heif about files with the shared "mif1" brand.
            Image.init()
            import pillow_heif

            pillow_heif.register_heif_opener()
            if not _pillow_has_avif():
                register_avif = getattr(pillow_heif, "register_avif_opener", None)
                if register_avif is not None:  # pillow-heif < 1.0 only
                    register_avif()
        except Exception:  # ImportError, or a broken binary wheel
            _heif_state = False
        else:
            _heif_state = True
        return _heif_state


def _pillow_has_avif() -> bool:
    try:
        from PIL import features

        return bool(features.check("avif"))
    except Exception:
        return False


def _is_iso_bmff(head: bytes) -> bool:
    """HEIC, HEIF and AVIF files all start with an ISO-BMFF ``ftyp`` box."""
    return head[4:8] == b"ftyp"


# --------------------------------------------------------------------------------------
# Error messages


def _reason(exc: BaseException) -> str:
    """Pillow's own words, cleaned up to sit in parentheses inside one sentence."""
    text = " ".join(str(exc).split())
    text = re.sub(r"\s*\([^()]*\)", "", text)  # no nested parentheses in our sentence
    text = text.strip().rstrip(".").strip()
    if len(text) > 120:
        text = text[:117].rstrip() + "..."
    return text


def _corrupt(exc: BaseException) -> ImageError:
    reason = _reason(exc)
    if reason:
        return ImageError(f"The file is truncated or corrupt ({reason}).")
    return ImageError("The file is truncated or corrupt.")


def _too_large(pixels: int) -> ImageError:
    limit = Image.MAX_IMAGE_PIXELS or 0
    return ImageError(
        f"The image is too large to open safely ({pixels / 1e6:,.0f} megapixels); "
        f"photofind skips images over {limit / 1e6:,.0f} megapixels."
    )


def _bomb_pixels(exc: BaseException) -> int | None:
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return int(match.group(1)) if match else None


def _decode_error(exc: BaseException) -> ImageError:
    """Turn anything Pillow (or a plugin) raised for a bad file into an ImageError."""
    if isinstance(exc, ImageError):
        return exc
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        pixels = _bomb_pixels(exc)
        if pixels is not None:
            return _too_large(pixels)
        return ImageError("The image is too large to open safely.")
    if isinstance(exc, UnidentifiedImageError):
        return ImageError("The file is not an image, or not in a format photofind can read.")
    if isinstance(exc, MemoryError):
        return ImageError("There is not enough memory to open this image.")
    return _corrupt(exc)


def _open_error(exc: OSError, path: Path | None) -> ImageError:
    """An error from the operating system while opening or reading the file itself."""
    if path is None:  # a stream the caller opened: its words, and whether it may pass
        return read_failure(exc)
    if isinstance(exc, FileNotFoundError):
        return ImageError("The file does not exist (it may have been moved or deleted).")
    if isinstance(exc, IsADirectoryError) or (isinstance(exc, PermissionError) and path.is_dir()):
        return ImageError("The path is a folder, not an image file.")
    if isinstance(exc, PermissionError):
        return ImageError("The file cannot be read: permission denied.")
    reason = exc.strerror or _reason(exc)
    if reason:
        return ImageError(f"The file could not be read ({reason.rstrip('.')}).")
    return ImageError("The file could not be read.")


# --------------------------------------------------------------------------------------
# Opening


def _as_path(source: str | os.PathLike[str]) -> Path:
    return source if isinstance(source, Path) else Path(source)


@contextlib.contextmanager
def _opened(source: ImageSource) -> Iterator[tuple[IO[bytes], Path | None]]:
    """The source as a binary stream, and its path when it is one. A stream given as the
    source is read but left open; empty sources fail."""
    if not isinstance(source, str | os.PathLike | bytes | bytearray | memoryview):
        yield cast(IO[bytes], _Borrowed(source)), None
        return
    fh, path = _open_stream(source)
    try:
        yield fh, path
    finally:
        fh.close()


class _Borrowed:
    """The caller's stream, which Pillow must not close (``ImageFile.close`` closes its
    file even when it did not open it)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def close(self) -> None:
        pass


def _open_stream(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
) -> tuple[IO[bytes], Path | None]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise ImageError("The file is empty.")
        return io.BytesIO(data), None
    path = _as_path(source)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise _open_error(exc, path) from None
    try:
        size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        fh.close()
        raise _open_error(exc, path) from None
    if size == 0:
        fh.close()
        raise ImageError("The file is empty.")
    return fh, path


def _pil_open(fh: IO[bytes], path: Path | None) -> Image.Image:
    """``Image.open`` by content, with pillow-heif registered first for ISO-BMFF files."""
    try:
        head = fh.read(16)
        fh.seek(0)
    except OSError as exc:
        raise _open_error(exc, path) from None
    if not head:
        raise ImageError("The file is empty.")
    bmff = _is_iso_bmff(head)
    if bmff:
        _ensure_heif_registered()
    try:
        img = Image.open(fh)
    except UnidentifiedImageError as exc:
        if bmff and not _ensure_heif_registered():
            raise ImageError(
                "The file looks like HEIC/HEIF or AVIF, but support for it (pillow-heif) "
                "is not installed."
            ) from None
        raise _decode_error(exc) from None
    except Exception as exc:
        raise _decode_error(exc) from None
    return img


def _check_pixels(img: Image.Image) -> None:
    """Refuse an image over ``Image.MAX_IMAGE_PIXELS`` before decoding it.

    Pillow itself only *warns* between 1x and 2x the limit; we refuse there too, without
    having to touch the (process-wide, thread-unsafe) warning filters.
    """
    limit = Image.MAX_IMAGE_PIXELS
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageError("The file is corrupt (its header gives the image no size).")
    if limit is not None and width * height > limit:
        raise _too_large(width * height)


def open_image(source: ImageSource, *, min_size: int | None = None) -> Image.Image:
    """Decode an image file (path) or its bytes into a fully loaded RGB image.

    * EXIF orientation is applied (``ImageOps.exif_transpose``).
    * Every mode becomes RGB: transparency is composited on white; 16-bit and 32-bit
      greyscale are scaled to 8 bits rather than clipped; CMYK, palette, 1-bit, L, LAB, ...
      go through Pillow's conversions.
    * Animated GIF/WebP (and multi-page TIFF): the first frame.
    * ``min_size``: for JPEG, let the decoder scale down by 1/2, 1/4 or 1/8 (DCT scaling)
      as long as the shorter side stays at least ``2 * min_size``. Other formats ignore it.

    Raises :class:`ImageError` with one plain sentence for every bad file.
    """
    if min_size is not None and (
        isinstance(min_size, bool) or not isinstance(min_size, int) or min_size <= 0
    ):
        raise ValueError(f"min_size must be a positive integer, not {min_size!r}")
    with _opened(source) as (fh, path):
        if (raw := _raw(decode_if_raw, fh, path, min_size)) is not None:
            return raw
        img = _pil_open(fh, path)
        try:
            _check_pixels(img)
            if min_size is not None and img.format in ("JPEG", "MPO"):
                target = 2 * min_size
                img.draft("RGB", (target, target))
            img.load()
            _apply_orientation(img)
            rgb = to_rgb(img)
            rgb.load()
        except ImageError:
            raise
        except OSError as exc:
            if exc.errno is not None:  # the drive or the share, not the picture
                raise _open_error(exc, path) from None
            raise _decode_error(exc) from None
        except Exception as exc:
            raise _decode_error(exc) from None
    return rgb


def _apply_orientation(img: Image.Image) -> None:
    """Apply the EXIF orientation in place. A broken EXIF block is ignored, not fatal."""
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(img, in_place=True)


# --------------------------------------------------------------------------------------
# Header facts


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: size after EXIF orientation, and when the photo was taken."""

    width: int
    height: int
    taken_at: float | None
    """EXIF DateTimeOriginal as a POSIX timestamp (read as local time), or None."""
    camera: str | None = None
    """EXIF make and model ("Canon EOS 5D"), or None."""


def read_info(source: ImageSource) -> ImageInfo:
    """Width, height (after EXIF orientation) and EXIF capture time, without decoding pixels.

    Raises :class:`ImageError` for a file that cannot be opened or identified, or whose
    header gives a size over Pillow's decompression-bomb limit.
    """
    try:
        with _opened(source) as (fh, path):
            if (raw_size := _raw(size_if_raw, fh, path)) is not None:
                return _raw_info(fh, raw_size)
            img = _pil_open(fh, path)
            try:
                _check_pixels(img)
                width, height = img.size
                exif = _header_exif(img)
                orientation = _safe_int(exif.get(_ORIENTATION_TAG)) if exif is not None else None
                if orientation in (5, 6, 7, 8):
                    width, height = height, width
                taken_at = _taken_at(exif) if exif is not None else None
                camera = _camera(exif) if exif is not None else None
            finally:
                img.close()
    except ImageError:
        raise
    except OSError as exc:
        if exc.errno is not None:
            raise _open_error(exc, path) from None
        raise _decode_error(exc) from None
    except Exception as exc:
        raise _decode_error(exc) from None
    return ImageInfo(width=width, height=height, taken_at=taken_at, camera=camera)


def _raw(reader: Any, fh: IO[bytes], path: Path | None, *args: Any) -> Any:
    try:
        return reader(fh, *args)
    except OSError as exc:
        raise _open_error(exc, path) from None


def _raw_info(fh: IO[bytes], size: tuple[int, int]) -> ImageInfo:
    """Date and camera from the TIFF header most RAW formats have (CR3, RAF, ORF and RW2
    photos have none that Pillow reads: their file time dates them)."""
    exif = None
    with contextlib.suppress(Exception), Image.open(fh) as header:
        exif = _header_exif(header)
    return ImageInfo(*size, _taken_at(exif) if exif else None, _camera(exif) if exif else None)


def _camera(exif: Image.Exif) -> str | None:
    """Make and model as one name; the make once where the model repeats it (Canon writes
    "Canon" and "Canon EOS 5D")."""
    make, model = (
        " ".join(str(exif.get(tag) or "").replace("\0", " ").split())
        for tag in (ExifTags.Base.Make, ExifTags.Base.Model)
    )
    if make and model.lower().startswith(make.split()[0].lower()):
        make = ""
    return " ".join(p for p in (make, model) if p)[:200] or None


def _header_exif(img: Image.Image) -> Image.Exif | None:
    """The EXIF block found in the header, or None; never decodes pixel data.

    (``PngImageFile.getexif`` loads the whole image to look for an eXIf chunk after the
    pixel data; the base class only looks at what was read with the header.)
    """
    try:
        return Image.Image.getexif(img)
    except Exception:
        return None


def _safe_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


_EXIF_DATETIME = re.compile(
    r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?"
)


def _taken_at(exif: Image.Exif) -> float | None:
    try:
        value = exif.get_ifd(ExifTags.IFD.Exif).get(_DATETIME_ORIGINAL_TAG)
        if value is None:
            value = exif.get(_DATETIME_ORIGINAL_TAG)
    except Exception:
        return None
    return parse_exif_datetime(value)


def parse_exif_datetime(value: object) -> float | None:
    """``"YYYY:MM:DD HH:MM:SS"`` (local time) as a POSIX timestamp; None when unusable."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    match = _EXIF_DATETIME.match(value.replace("\x00", ""))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7)
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        return datetime(year, month, day, hour, minute, second, micro).timestamp()
    except (ValueError, OverflowError, OSError):
        return None  # "0000:00:00 00:00:00" and other placeholders
