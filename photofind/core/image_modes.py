"""Converting a decoded image of any mode into RGB, the one mode the model reads.

Transparency is composited on white; 16-bit and 32-bit greyscale are scaled to 8 bits
rather than clipped; every other mode goes through Pillow's own conversions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from photofind.core.errors import ImageError

_WHITE = (255, 255, 255)


def to_rgb(img: Image.Image) -> Image.Image:
    """Return ``img`` as an RGB image (``img`` itself when it is RGB already).

    Transparency (alpha band, or a ``transparency`` entry for palette/L/RGB images) is
    composited on white. ``I;16*`` is scaled to 8 bits (``round(v / 257)``). ``I`` and
    ``F`` have no fixed range, so they are read as: 8-bit if all values fit 0..255,
    16-bit if they fit 0..65535 (``I``) or as 0..1 (``F``), else stretched min..max.
    """
    mode = img.mode
    if mode == "RGB" and "transparency" not in img.info:
        return img
    if mode.startswith("I;16"):
        return _gray_to_rgb(_scale_16bit(np.asarray(img)))
    if mode == "I":
        return _gray_to_rgb(_scale_int(np.asarray(img)))
    if mode == "F":
        return _gray_to_rgb(_scale_float(np.asarray(img)))
    if _has_alpha(img):
        return _composite_on_white(img)
    try:
        return img.convert("RGB")
    except ValueError as exc:
        raise ImageError(
            f"The image uses a colour mode photofind cannot convert ({mode})."
        ) from exc


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def _composite_on_white(img: Image.Image) -> Image.Image:
    if img.mode == "La":
        img = img.convert("LA")
    rgba = img if img.mode == "RGBA" else img.convert("RGBA")
    background = Image.new("RGB", rgba.size, _WHITE)
    background.paste(rgba.convert("RGB"), (0, 0), rgba.getchannel("A"))
    return background


def _gray_to_rgb(gray: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8)).convert("RGB")


def _scale_16bit(values: np.ndarray) -> np.ndarray:
    wide = values.astype(np.uint32)
    return ((wide + 128) // 257).astype(np.uint8)


def _scale_int(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values.astype(np.uint8)
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high <= 255:
        return values.astype(np.uint8)
    if low >= 0 and high <= 65535:
        return _scale_16bit(values)
    return _stretch(values.astype(np.float64), float(low), float(high))


def _scale_float(values: np.ndarray) -> np.ndarray:
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if values.size == 0:
        return values.astype(np.uint8)
    low, high = float(values.min()), float(values.max())
    if low >= 0.0 and high <= 1.0:
        return np.rint(values * 255.0).astype(np.uint8)
    if low >= 0.0 and high <= 255.0:
        return np.rint(values).astype(np.uint8)
    return _stretch(values, low, high)


def _stretch(values: np.ndarray, low: float, high: float) -> np.ndarray:
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)
