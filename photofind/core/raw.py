"""Camera RAW files (CR2, CR3, NEF, ARW, DNG, ORF, RAF, RW2, PEF, SRW) through LibRaw
(``rawpy``), decoded into the same RGB pictures as every other photo.

* **Recognised by content**, as every photo is: the magic numbers of CR2, CR3, ORF, RW2 and
  RAF, and for the formats that are plain TIFF inside (DNG, NEF, ARW, PEF, SRW) a DNG
  version tag or a camera maker's name in the first directory. Such a TIFF that LibRaw
  does not take (a scan that names its scanner's maker) goes back to Pillow.
* **The embedded preview first**: cameras store a JPEG of the picture as they rendered it,
  and decoding it is several times faster than demosaicing (rclip measured more than 3x).
  It is used when it is large enough for what was asked (the shorter side at least twice
  ``min_size``, as the JPEG draft rule in ``images.py``; with no ``min_size``, at least
  the size of a half-size demosaic); otherwise LibRaw demosaics at half size (each 2x2
  Bayer block becomes one pixel: four times fewer pixels, no interpolation), with the
  camera's white balance, 8 bits per channel.
* **Orientation**: LibRaw turns a demosaiced picture itself; a preview is turned by its
  own EXIF orientation when it has one, else by the RAW's.

``rawpy`` is imported the first time a RAW file is met, so it costs nothing to a library
without RAW files, and a machine without it fails only those files, with a sentence.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
from pathlib import Path
from typing import IO, Any

from PIL import Image, ImageOps

from photofind.core.errors import ImageError

RAW_EXTENSIONS: frozenset[str] = frozenset(
    {".cr2", ".cr3", ".nef", ".arw", ".dng", ".orf", ".raf", ".rw2", ".pef", ".srw"}
)
"""Lower-case suffixes of the RAW formats photofind indexes."""

# A RAW sitting beside one of these with the same name is the same photo: the camera wrote
# both (RAW+JPEG mode), or the user exported the JPEG from it.
RENDERED_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".heic", ".heif"})

# Makers whose RAW files are TIFF inside; their TIFFs are tried with LibRaw first.
_RAW_MAKERS = (b"NIKON", b"SONY", b"PENTAX", b"RICOH", b"SAMSUNG", b"CANON", b"LEICA",
               b"HASSELBLAD", b"OLYMPUS", b"PANASONIC", b"FUJIFILM", b"PHASE ONE")  # fmt: skip
_TAG_MAKE, _TAG_DNG_VERSION = 271, 50706
_HEADER_BYTES = 64 * 1024  # IFD0 of every camera's files sits in the first few kB
_LIBRAW_FLIPS = {3: Image.Transpose.ROTATE_180, 5: Image.Transpose.ROTATE_90,
                 6: Image.Transpose.ROTATE_270}  # fmt: skip
_ORIENTATION_TAG = 0x0112


def looks_raw(head: bytes) -> bool:
    """Whether a file that starts with ``head`` (its first 64 kB or all of it) is a RAW."""
    if head.startswith((b"IIRO", b"IIRS", b"MMOR", b"IIU\x00", b"FUJIFILMCCD-RAW")):
        return True  # ORF, RW2, RAF
    if head[4:8] == b"ftyp" and head[8:12] == b"crx ":
        return True  # CR3
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return False
    if head[8:10] == b"CR":
        return True  # CR2
    make, dng = _ifd0_facts(head)
    return dng or any(make.upper().startswith(m) for m in _RAW_MAKERS)


def _ifd0_facts(head: bytes) -> tuple[bytes, bool]:
    """(Make, whether DNGVersion is present) from the first TIFF directory, or (b"", False)."""
    endian = "<" if head[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(endian + "I", head, 4)
        (count,) = struct.unpack_from(endian + "H", head, offset)
        make, dng = b"", False
        for n in range(min(count, 512)):
            tag, kind, length, value = struct.unpack_from(
                endian + "HHII", head, offset + 2 + 12 * n
            )
            if tag == _TAG_DNG_VERSION:
                dng = True
            elif tag == _TAG_MAKE and kind == 2:
                start = offset + 2 + 12 * n + 8 if length <= 4 else value
                make = head[start : start + length].split(b"\x00")[0].strip()
        return make, dng
    except struct.error:
        return b"", False


def read_head(fh: IO[bytes]) -> bytes:
    head = fh.read(_HEADER_BYTES)
    fh.seek(0)
    return head


def _rawpy() -> Any:
    try:
        import rawpy
    except ImportError:
        raise ImageError(
            "The file is a camera RAW photo, but support for RAW files (rawpy) is not installed."
        ) from None
    return rawpy


class NotRaw(Exception):
    """LibRaw does not take this file after all: Pillow should try it."""


@contextlib.contextmanager
def _libraw(fh: IO[bytes]) -> Any:
    rawpy = _rawpy()
    try:
        raw = rawpy.imread(io.BytesIO(fh.read()))
    except rawpy.LibRawFileUnsupportedError:
        raise NotRaw from None
    except rawpy.LibRawError as exc:
        raise _raw_error(exc) from None
    try:
        yield raw
    except rawpy.LibRawError as exc:
        raise _raw_error(exc) from None
    finally:
        raw.close()


def _raw_error(exc: BaseException) -> ImageError:
    reason = " ".join(str(exc).split()).rstrip(".")
    detail = f" ({reason})" if reason else ""
    return ImageError(f"The RAW file is truncated or corrupt{detail}.")


def raw_size(fh: IO[bytes]) -> tuple[int, int]:
    """(width, height) of the picture, turned as the camera was held. Raises NotRaw."""
    with _libraw(fh) as raw:
        sizes = raw.sizes
        width, height = sizes.width, sizes.height
        return (height, width) if sizes.flip in (5, 6) else (width, height)


def open_raw(fh: IO[bytes], min_size: int | None) -> Image.Image:
    """The picture as RGB, from the embedded preview when it is large enough, else a
    half-size demosaic. Raises ImageError for a damaged file, NotRaw for a plain TIFF."""
    rawpy = _rawpy()
    with _libraw(fh) as raw:
        sizes = raw.sizes
        wanted = 2 * min_size if min_size is not None else min(sizes.width, sizes.height) // 2
        preview = _preview(raw, rawpy, wanted, sizes.flip)
        if preview is not None:
            return preview
        rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
    return Image.fromarray(rgb, "RGB")


def _preview(raw: Any, rawpy: Any, shorter_side: int, flip: int) -> Image.Image | None:
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError:
        return None  # a damaged preview: the sensor data may still be fine
    image: Image.Image
    if thumb.format == rawpy.ThumbFormat.JPEG:
        try:
            image = Image.open(io.BytesIO(thumb.data))
            if min(image.size) < shorter_side:
                return None
            if image.format == "JPEG":
                image.draft("RGB", (shorter_side, shorter_side))
            image.load()
        except Exception:
            return None
        turned_by_exif = image.getexif().get(_ORIENTATION_TAG, 1) not in (0, 1)
        image = ImageOps.exif_transpose(image) if turned_by_exif else image
        image = image.convert("RGB")
    else:
        image = Image.fromarray(thumb.data).convert("RGB")
        if min(image.size) < shorter_side:
            return None
        turned_by_exif = False
    if not turned_by_exif and flip in _LIBRAW_FLIPS:
        image = image.transpose(_LIBRAW_FLIPS[flip])
    return image


def decode_if_raw(fh: IO[bytes], min_size: int | None) -> Image.Image | None:
    """The picture of a RAW file; None when the file is not one (Pillow's turn). Raises
    ImageError for a damaged RAW file, OSError for a read that failed."""
    if not looks_raw(read_head(fh)):
        return None
    try:
        return open_raw(fh, min_size)
    except NotRaw:
        fh.seek(0)
        return None


def size_if_raw(fh: IO[bytes]) -> tuple[int, int] | None:
    """Like :func:`decode_if_raw`, for the size only (nothing is decoded)."""
    if not looks_raw(read_head(fh)):
        return None
    try:
        return raw_size(fh)
    except NotRaw:
        return None
    finally:
        fh.seek(0)


def raw_original(photo: Path) -> Path | None:
    """The RAW file a JPEG (or HEIC) was rendered from: one of the same name beside it."""
    photo = Path(photo)
    if photo.suffix.lower() not in RENDERED_EXTENSIONS:
        return None
    try:
        names = os.listdir(photo.parent)
    except OSError:
        return None
    stem = photo.stem.lower()
    for name in sorted(names):
        base, suffix = os.path.splitext(name)
        if base.lower() == stem and suffix.lower() in RAW_EXTENSIONS:
            return photo.parent / name
    return None
