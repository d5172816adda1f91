"""Synthetic "photos" of one coloured shape each: the tiny model's training data, the test
libraries, and the offline demo library (``photofind demo``).

Each photo shows one shape (circle, square, triangle, star) in one colour (red, green, blue,
yellow, purple, orange) on a light or grey background, with the variation a camera folder
has: sizes 300-1600 px, aspect ratios 2:3 to 4:3, shape radius 15-35% of the short side,
centre offset up to 15%, small rotations, colour jitter, mild blur. Library photos are saved
the ways real folders hold them: JPEG, RGBA PNG, WebP, palette GIF, CMYK JPEG and
EXIF-rotated JPEG.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (40, 170, 50),
    "blue": (30, 70, 220),
    "yellow": (240, 215, 30),
    "purple": (135, 45, 175),
    "orange": (250, 135, 20),
}
SHAPES = ("circle", "square", "triangle", "star")
FORMATS = ("jpeg", "png-rgba", "webp", "gif", "jpeg-cmyk", "jpeg-exif-rotated")
_SUFFIX = {
    "jpeg": ".jpg",
    "png-rgba": ".png",
    "webp": ".webp",
    "gif": ".gif",
    "jpeg-cmyk": ".jpg",
    "jpeg-exif-rotated": ".jpg",
}
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ShapePhoto:
    path: Path
    colour: str
    shape: str
    fmt: str

    @property
    def label(self) -> str:
        return f"{self.colour} {self.shape}"


def query_for(colour: str, shape: str) -> str:
    return f"a {colour} {shape}"


def all_classes() -> list[tuple[str, str]]:
    return [(c, s) for c in COLOURS for s in SHAPES]


def _jitter(rgb: tuple[int, int, int], rng: random.Random, amount: int = 18) -> tuple[int, ...]:
    return tuple(max(0, min(255, v + rng.randint(-amount, amount))) for v in rgb)


def _background(rng: random.Random) -> tuple[int, int, int]:
    if rng.random() < 0.6:  # light, faintly tinted
        return tuple(rng.randint(205, 255) for _ in range(3))  # type: ignore[return-value]
    grey = rng.randint(110, 200)
    return tuple(max(0, min(255, grey + rng.randint(-8, 8))) for _ in range(3))  # type: ignore[return-value]


def _polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if shape == "square":
        corners = [(k * math.pi / 2 + math.pi / 4, r) for k in range(4)]
    elif shape == "triangle":
        corners = [(k * 2 * math.pi / 3 - math.pi / 2, r) for k in range(3)]
    else:  # star: five points, inner radius 0.45 r
        corners = [
            (k * math.pi / 5 - math.pi / 2, r if k % 2 == 0 else 0.45 * r) for k in range(10)
        ]
    return [(cx + d * math.cos(a + angle), cy + d * math.sin(a + angle)) for a, d in corners]


def render(colour: str, shape: str, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """One RGB photo of ``shape`` in ``colour`` at ``size`` (width, height)."""
    w, h = size
    img = Image.new("RGB", (w, h), _background(rng))
    draw = ImageDraw.Draw(img)
    short = min(w, h)
    r = short * rng.uniform(0.15, 0.35)
    cx = w / 2 + rng.uniform(-0.15, 0.15) * short
    cy = h / 2 + rng.uniform(-0.15, 0.15) * short
    fill = _jitter(COLOURS[colour], rng)
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        angle = math.radians(rng.uniform(-15, 15))
        draw.polygon(_polygon(shape, cx, cy, r, angle), fill=fill)
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * short / 400))


def random_size(rng: random.Random, lo: int = 300, hi: int = 1600) -> tuple[int, int]:
    long_side = rng.randint(lo, hi)
    aspect = rng.uniform(2 / 3, 4 / 3)  # width / height
    if aspect >= 1:
        return long_side, max(1, round(long_side / aspect))
    return max(1, round(long_side * aspect)), long_side


def save(img: Image.Image, path: Path, fmt: str) -> None:
    """Write ``img`` so that a correct reader shows exactly ``img`` (EXIF rotation included)."""
    if fmt == "jpeg":
        img.save(path, "JPEG", quality=90)
    elif fmt == "png-rgba":
        rgba = img.convert("RGBA")
        rgba.save(path, "PNG")
    elif fmt == "webp":
        img.save(path, "WEBP", quality=85)
    elif fmt == "gif":
        img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path, "GIF")
    elif fmt == "jpeg-cmyk":
        img.convert("CMYK").save(path, "JPEG", quality=90)
    elif fmt == "jpeg-exif-rotated":
        # Orientation 6 means "turn 90 degrees clockwise to display": store it turned back.
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = 6
        img.transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", quality=90, exif=exif)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def generate_library(
    folder: Path,
    count: int,
    *,
    seed: int,
    formats: tuple[str, ...] = FORMATS,
    size_range: tuple[int, int] = (300, 1600),
) -> list[ShapePhoto]:
    """Write ``count`` photos into ``folder``, cycling through every (colour, shape) class
    so each class is equally represented, and return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    classes = all_classes()
    photos = []
    for i in range(count):
        colour, shape = classes[i % len(classes)]
        fmt = formats[rng.randrange(len(formats))]
        img = render(colour, shape, random_size(rng, *size_range), rng)
        path = folder / f"{i:05d}-{colour}-{shape}{_SUFFIX[fmt]}"
        save(img, path, fmt)
        photos.append(ShapePhoto(path=path, colour=colour, shape=shape, fmt=fmt))
    return photos


def iter_training_images(
    count: int, *, seed: int, size_range: tuple[int, int] = (224, 400)
) -> Iterator[tuple[Image.Image, str, str]]:
    """Endless-variety small renders for training (the shapes are scale-invariant)."""
    rng = random.Random(seed)
    classes = all_classes()
    for _ in range(count):
        colour, shape = classes[rng.randrange(len(classes))]
        yield render(colour, shape, random_size(rng, *size_range), rng), colour, shape
