"""Writing DNG files for tests: a real Bayer mosaic LibRaw demosaics, and optionally an
embedded JPEG preview, laid out as cameras and Adobe's converter write them (IFD0 the
preview with the DNG tags, a SubIFD the raw CFA data). No camera file is shipped: the
writer is small, and the test can say exactly what is in the file."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10
WHITE_LEVEL = 4095  # a 12-bit sensor
XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)


def _rationals(values: tuple[float, ...]) -> tuple[int, ...]:
    return tuple(v for x in values for v in (round(x * 10000), 10000))


def mosaic(picture: Image.Image) -> np.ndarray:
    """An RGGB Bayer mosaic of an RGB picture, 12-bit linear light (as a sensor counts)."""
    rgb = (np.asarray(picture.convert("RGB"), dtype=np.float64) / 255.0) ** 2.2
    h, w = rgb.shape[:2]
    cfa = np.zeros((h - h % 2, w - w % 2), dtype=np.uint16)
    scale = WHITE_LEVEL * 0.9
    cfa[0::2, 0::2] = rgb[0 : cfa.shape[0] : 2, 0 : cfa.shape[1] : 2, 0] * scale
    cfa[0::2, 1::2] = rgb[0 : cfa.shape[0] : 2, 1 : cfa.shape[1] : 2, 1] * scale
    cfa[1::2, 0::2] = rgb[1 : cfa.shape[0] : 2, 0 : cfa.shape[1] : 2, 1] * scale
    cfa[1::2, 1::2] = rgb[1 : cfa.shape[0] : 2, 1 : cfa.shape[1] : 2, 2] * scale
    return cfa


def _ifd(entries: dict[int, tuple[int, object]], at: int) -> tuple[bytes, bytes]:
    """One directory at offset ``at``, and the out-of-line values that follow it."""
    count = len(entries)
    data_at = at + 2 + 12 * count + 4
    head, tail = [struct.pack("<H", count)], b""
    for tag in sorted(entries):
        kind, value = entries[tag]
        if kind == ASCII:
            raw = str(value).encode() + b"\0"
            n = len(raw)
        elif kind in (RATIONAL, SRATIONAL):
            n = len(value) // 2  # type: ignore[arg-type]
            code = "i" if kind == SRATIONAL else "I"
            raw = struct.pack(f"<{len(value)}{code}", *value)  # type: ignore[arg-type]
        else:
            values = value if isinstance(value, tuple) else (value,)
            n = len(values)
            raw = struct.pack("<" + {BYTE: "B", SHORT: "H", LONG: "I"}[kind] * n, *values)
        if len(raw) <= 4:
            head.append(struct.pack("<HHI", tag, kind, n) + raw.ljust(4, b"\0"))
        else:
            head.append(struct.pack("<HHII", tag, kind, n, data_at + len(tail)))
            tail += raw + (b"\0" if len(raw) % 2 else b"")
    head.append(struct.pack("<I", 0))
    return b"".join(head), tail


def write_dng(
    path: Path,
    picture: Image.Image,
    *,
    preview: Image.Image | None = None,
    orientation: int = 1,
    make: str = "Photofind",
    model: str = "Test DNG",
) -> Path:
    """A DNG of ``picture`` (its mosaic, LibRaw demosaics it) with ``preview`` embedded as
    a baseline JPEG when given."""
    cfa = mosaic(picture)
    raw_bytes = cfa.astype("<u2").tobytes()
    jpeg = b""
    if preview is not None:
        out = io.BytesIO()
        preview.convert("RGB").save(out, "JPEG", quality=90)
        jpeg = out.getvalue()
    # Layout: header, IFD0 (+ its values), raw IFD (+ its values), JPEG, CFA data.
    dng_tags: dict[int, tuple[int, object]] = {
        271: (ASCII, make), 272: (ASCII, model), 274: (SHORT, orientation),
        50706: (BYTE, (1, 4, 0, 0)), 50707: (BYTE, (1, 1, 0, 0)),
        50708: (ASCII, f"{make} {model}"),
        # XYZ (D65) to linear sRGB: this "camera" sees in sRGB's primaries.
        50721: (SRATIONAL, _rationals(XYZ_TO_SRGB)),
        50778: (SHORT, 21),
        50728: (RATIONAL, (1, 1, 1, 1, 1, 1)),  # as-shot neutral: white is (1, 1, 1)
    }  # fmt: skip

    def raw_ifd(offset: int, data_at: int) -> tuple[bytes, bytes]:
        h, w = cfa.shape
        return _ifd(
            {
                254: (LONG, 0),
                256: (LONG, w),
                257: (LONG, h),
                258: (SHORT, 16),
                259: (SHORT, 1),
                262: (SHORT, 32803),
                273: (LONG, data_at),
                277: (SHORT, 1),
                278: (LONG, h),
                279: (LONG, len(raw_bytes)),
                284: (SHORT, 1),
                33421: (SHORT, (2, 2)),
                33422: (BYTE, (0, 1, 1, 2)),
                50717: (SHORT, WHITE_LEVEL),
            },  # fmt: skip
            offset,
        )

    def ifd0(sub_at: int, jpeg_at: int, raw_at: int) -> tuple[bytes, bytes]:
        entries = dict(dng_tags)
        entries[330] = (LONG, sub_at)
        if preview is None:
            entries[254] = (LONG, 1)
            entries.update({256: (LONG, 1), 257: (LONG, 1), 258: (SHORT, 8), 259: (SHORT, 1),
                            262: (SHORT, 1), 273: (LONG, raw_at), 277: (SHORT, 1),
                            278: (LONG, 1), 279: (LONG, 1)})  # fmt: skip
        else:
            w, h = preview.size
            entries.update({254: (LONG, 1), 256: (LONG, w), 257: (LONG, h),
                            258: (SHORT, (8, 8, 8)), 259: (SHORT, 7), 262: (SHORT, 6),
                            273: (LONG, jpeg_at), 277: (SHORT, 3), 278: (LONG, h),
                            279: (LONG, len(jpeg))})  # fmt: skip
        return _ifd(entries, 8)

    # Two passes: the sizes of the directories do not depend on the offsets they hold.
    head0, tail0 = ifd0(0, 0, 0)
    sub_at = 8 + len(head0) + len(tail0)
    head1, tail1 = raw_ifd(sub_at, 0)
    jpeg_at = sub_at + len(head1) + len(tail1)
    raw_at = jpeg_at + len(jpeg) + len(jpeg) % 2
    head0, tail0 = ifd0(sub_at, jpeg_at, raw_at)
    head1, tail1 = raw_ifd(sub_at, raw_at)
    body = b"II*\0" + struct.pack("<I", 8) + head0 + tail0 + head1 + tail1
    body += jpeg + b"\0" * (len(jpeg) % 2) + raw_bytes
    Path(path).write_bytes(body)
    return Path(path)
