"""A perceptual hash: 64 bits that stay nearly the same when a picture is re-encoded,
resized, converted to another format or cropped a little, and differ when it shows
something else (the DCT hash of Zauner 2010, "pHash", as ``imagehash.phash`` computes it).

1. The picture, greyscale (ITU-R 601 luma), is shrunk to 32x32 with an area filter, so
   what is left is its coarse layout of light and dark, whatever its size or codec.
2. A 2-D DCT-II of that square; its top-left 8x8 coefficients are the lowest
   frequencies, the picture's broad structure (fine detail and codec noise live above).
3. Each of those 64 coefficients becomes one bit: above their median or not. The median
   makes the hash indifferent to overall brightness and contrast.

Two hashes are compared by Hamming distance (:func:`hamming`): a JPEG re-encode or a
resize is 0-4 bits away, a crop of a few percent 4-12, another photo ~32.

Written with NumPy rather than taken from ``imagehash``, which pulls in SciPy and
PyWavelets for this one transform. Stored in SQLite as a signed 64-bit INTEGER
(:func:`to_signed`).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

HASH_SIDE = 8  # 8x8 low frequencies: 64 bits
IMAGE_SIDE = 32  # the DCT input; 4x the hash side, as pHash does


def _dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II: ``D @ x`` transforms a column, ``D @ X @ D.T`` a square."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    d = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    d[0] /= np.sqrt(2)
    return d


_DCT = _dct_matrix(IMAGE_SIDE)[:HASH_SIDE]  # only the rows of the kept frequencies
_BIT_WEIGHTS = (1 << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def perceptual_hash(image: Image.Image) -> int:
    """The 64-bit DCT hash of a decoded picture (any mode), as an unsigned int."""
    grey = image if image.mode == "L" else image.convert("L")  # ITU-R 601-2 luma
    small = grey.resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.float64)
    low = _DCT @ pixels @ _DCT.T  # (8, 8)
    bits = (low > np.median(low)).ravel()
    return int(np.sum(_BIT_WEIGHTS[bits], dtype=np.uint64))


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ (either sign convention)."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def to_signed(value: int) -> int:
    """The hash as SQLite stores an INTEGER (signed 64-bit)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming_many(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise Hamming distance of two int64 arrays of hashes."""
    x = np.bitwise_xor(a.astype(np.int64), b.astype(np.int64)).view(np.uint64)
    # Population count by bytes: NumPy has no vectorised popcount before 2.0.
    as_bytes = x.reshape(-1, 1).view(np.uint8)
    return _POPCOUNT[as_bytes].sum(axis=1).astype(np.int64)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
