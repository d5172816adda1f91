"""Thumbnails decoded by Pillow on the loader's threads (off the interpreter lock) look the
way Qt's own decode of the same cached bytes looks: size, orientation, colours; a damaged
cache entry becomes the loader's error, never a half-grey picture."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from PySide6.QtGui import QImage

from photofind.core.low_impact import LOW_IMPACT_NICE, thread_priority
from photofind.core.thumbnails import ThumbnailCache
from photofind.gui.workers.thumbnails import (
    BROKEN,
    ThumbnailLoader,
    ThumbnailResult,
    decode_thumbnail,
)

ORIENTATION = 0x0112


def photo_like(size: tuple[int, int], seed: int) -> Image.Image:
    """Detail at every scale (noise, blurred a little, under coloured shapes): what makes
    two JPEG decoders differ, where flat shapes would hide it."""
    rng = random.Random(seed)
    picture = Image.effect_noise(size, 50).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(25):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + rng.randrange(30, 300), y + rng.randrange(30, 200)), colour)
    return picture.filter(ImageFilter.GaussianBlur(1))


def pixels(image: QImage) -> np.ndarray:
    """An RGB array of ``image`` (any format), for comparing decodes."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    row = rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), np.uint8, row * rgb.height())
    lines = data.reshape(rgb.height(), row)[:, : rgb.width() * 3]
    return lines.reshape(rgb.height(), -1, 3).copy()  # the pixels go with ``rgb``


def qt_decode(data: bytes) -> QImage:
    image = QImage.fromData(data, "JPEG")
    assert not image.isNull()
    return image


@pytest.fixture
def cache(tmp_path: Path) -> ThumbnailCache:
    return ThumbnailCache(tmp_path / "thumbs")


@pytest.mark.parametrize("size", [(1200, 900), (700, 1000), (257, 333)])
@pytest.mark.parametrize("bucket", [128, 256, 512])
def test_pillow_decode_matches_qts_decode_of_the_same_thumbnail(
    qapp, tmp_path, cache, size, bucket
):
    photo = tmp_path / "photo.jpg"
    photo_like(size, seed=size[0] + bucket).save(photo, quality=92)
    data = cache.load(photo, bucket)
    ours, theirs = decode_thumbnail(data), qt_decode(data)
    assert ours is not None
    assert ours.format() == QImage.Format.Format_RGB32  # what a pixmap holds: no conversion
    assert (ours.width(), ours.height()) == (theirs.width(), theirs.height())
    assert max(ours.width(), ours.height()) == min(bucket, max(size))
    difference = np.abs(pixels(ours).astype(int) - pixels(theirs).astype(int))
    assert difference.mean() < 1.0  # two libjpeg builds: IDCT rounding, nothing visible
    assert np.percentile(difference, 99) <= 4
    assert not ours.hasAlphaChannel() and ours.pixelColor(0, 0).alpha() == 255


def test_a_photo_turned_by_its_exif_stands_up_in_both_decodes(qapp, tmp_path, cache):
    picture = photo_like((800, 500), seed=3)
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored on its side: shown rotated 90 degrees, portrait
    photo = tmp_path / "turned.jpg"
    picture.save(photo, quality=92, exif=exif)
    data = cache.load(photo, 256)
    ours, theirs = decode_thumbnail(data), qt_decode(data)
    assert ours is not None
    assert (ours.width(), ours.height()) == (theirs.width(), theirs.height()) == (160, 256)
    assert np.abs(pixels(ours).astype(int) - pixels(theirs).astype(int)).mean() < 1.0


def test_a_grey_jpeg_decodes_as_grey_rgb(qapp, tmp_path):
    grey = photo_like((300, 200), seed=5).convert("L")
    path = tmp_path / "grey.jpg"
    grey.save(path, quality=90)
    data = path.read_bytes()
    ours, theirs = decode_thumbnail(data), qt_decode(data)
    assert ours is not None and ours.format() == QImage.Format.Format_RGB32
    rgb = pixels(ours)
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
    assert np.abs(rgb.astype(int) - pixels(theirs).astype(int)).mean() < 1.0


def test_a_transparent_photo_gets_an_opaque_thumbnail_on_white(qapp, tmp_path, cache):
    """The cache writes JPEG only: transparency is composited on white when the thumbnail
    is made, so there is no alpha to keep when it is decoded."""
    picture = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(picture).ellipse((100, 50, 300, 250), (200, 30, 30, 255))
    photo = tmp_path / "cutout.png"
    picture.save(photo)
    ours = decode_thumbnail(cache.load(photo, 256))
    assert ours is not None and not ours.hasAlphaChannel()
    corner, middle = ours.pixelColor(2, 2), ours.pixelColor(128, 96)
    assert corner.alpha() == 255 and min(corner.red(), corner.green(), corner.blue()) > 245
    assert middle.red() > 180 and middle.green() < 70


def test_damaged_bytes_do_not_decode(qapp, tmp_path, cache):
    photo = tmp_path / "photo.jpg"
    photo_like((900, 600), seed=8).save(photo, quality=92)
    data = cache.load(photo, 256)
    assert decode_thumbnail(data[: len(data) // 2]) is None  # truncated
    assert decode_thumbnail(data[:2] + b"\x00" * 200) is None  # a JPEG start, then nothing
    assert decode_thumbnail(b"") is None
    # a header that claims 60000 x 60000 pixels: refused before they are allocated
    start = data.index(b"\xff\xc0")
    huge = data[: start + 5] + (60000).to_bytes(2, "big") * 2 + data[start + 9 :]
    assert decode_thumbnail(huge) is None


def load_one(qtbot, loader: ThumbnailLoader, photo: Path, size: int) -> ThumbnailResult:
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as blocker:
        loader.request(photo, size)
    result = blocker.args[0]
    assert result.path == photo
    return result


def test_a_truncated_cache_entry_is_reported_as_a_thumbnail_that_cannot_be_decoded(
    qtbot, tmp_path, cache
):
    photo = tmp_path / "photo.jpg"
    photo_like((900, 600), seed=9).save(photo, quality=92)
    loader = ThumbnailLoader(cache)
    try:
        good = load_one(qtbot, loader, photo, 256)
        assert good.error is None and good.image is not None
        assert (good.image.width(), good.image.height()) == (256, 171)
        entry = cache.entry_path(photo, 256)
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) * 2 // 3])  # still starts as a JPEG: served as is
        broken = load_one(qtbot, loader, photo, 256)
        assert broken.image is None and broken.error == BROKEN
        assert broken.error == "The thumbnail cannot be decoded."
    finally:
        loader.shutdown()


@pytest.mark.skipif(
    thread_priority() is None, reason="threads have no nice value of their own here"
)
def test_thumbnails_decode_below_the_ui_threads_priority(qtbot, tmp_path, cache, monkeypatch):
    """A scroll's frames come before the pictures: the decoding threads run at the low
    impact nice value, the UI thread (this one) keeps its own."""
    photo = tmp_path / "photo.jpg"
    photo_like((900, 600), seed=3).save(photo, quality=92)
    seen = []
    plain = ThumbnailLoader._load

    def observed(self, path, bucket):
        seen.append(thread_priority())
        return plain(self, path, bucket)

    monkeypatch.setattr(ThumbnailLoader, "_load", observed)
    ui_nice = thread_priority()
    loader = ThumbnailLoader(cache)
    try:
        assert load_one(qtbot, loader, photo, 256).image is not None
    finally:
        loader.shutdown()
    assert seen == [max(LOW_IMPACT_NICE, ui_nice)]
    assert thread_priority() == ui_nice
