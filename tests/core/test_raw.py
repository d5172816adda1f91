"""Camera RAW files, on DNGs written here (tests/helpers/raw_files.py) that LibRaw really decodes:
the embedded JPEG preview when it is large enough, a half-size demosaic of the Bayer data
otherwise, the camera's orientation, the header facts, a damaged file, a plain TIFF that
only names a camera maker, and indexing: a RAW beside its JPEG is one photo, a RAW alone is
searchable."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from helpers.raw_files import write_dng
from PIL import Image

from photofind.core.config import app_paths
from photofind.core.errors import ImageError
from photofind.core.images import open_image, read_info
from photofind.core.library import open_library
from photofind.core.raw import looks_raw, raw_original
from photofind.core.scanner import walk
from photofind.core.shapes import render

pytest.importorskip("rawpy")

RED, GREEN, BLUE = (210, 30, 30), (30, 190, 40), (30, 60, 210)
SENSOR = (800, 600)


def two_colours(
    left: tuple[int, int, int], right: tuple[int, int, int], size=SENSOR
) -> Image.Image:
    img = Image.new("RGB", size, left)
    img.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return img


def dominant(img: Image.Image, x: float, y: float) -> str:
    """Which primary wins at a point given as fractions of the width and height."""
    r, g, b = np.asarray(img.convert("RGB"))[int(y * img.height), int(x * img.width)].astype(int)
    return "red" if r > max(g, b) else "green" if g > max(r, b) else "blue"


def test_a_large_embedded_preview_is_used_without_demosaicing(tmp_path):
    # The preview shows other colours than the sensor data, so the result tells which was read.
    path = write_dng(tmp_path / "a.dng", two_colours(RED, GREEN), preview=two_colours(BLUE, RED))
    img = open_image(path, min_size=224)
    assert img.mode == "RGB" and img.size == SENSOR
    assert (dominant(img, 0.25, 0.5), dominant(img, 0.75, 0.5)) == ("blue", "red")


def test_a_preview_too_small_for_the_request_gives_a_half_size_demosaic(tmp_path):
    small = two_colours(BLUE, RED).resize((160, 120))
    path = write_dng(tmp_path / "a.dng", two_colours(RED, GREEN), preview=small)
    img = open_image(path, min_size=224)
    assert img.size == (SENSOR[0] // 2, SENSOR[1] // 2)
    assert (dominant(img, 0.25, 0.5), dominant(img, 0.75, 0.5)) == ("red", "green")
    # A small request is served by the same small preview.
    assert open_image(path, min_size=32).size == (160, 120)


def test_a_raw_without_a_preview_is_demosaiced(tmp_path):
    path = write_dng(tmp_path / "a.dng", two_colours(GREEN, BLUE))
    img = open_image(path)
    assert img.size == (SENSOR[0] // 2, SENSOR[1] // 2)
    assert (dominant(img, 0.25, 0.5), dominant(img, 0.75, 0.5)) == ("green", "blue")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "demosaic"])
def test_the_camera_orientation_is_applied(tmp_path, preview):
    # Orientation 6: the camera was turned clockwise; shown upright the picture is portrait
    # and its left half (red) ends up on top.
    picture = two_colours(RED, GREEN)
    path = write_dng(
        tmp_path / "a.dng", picture, preview=picture if preview else None, orientation=6
    )
    img = open_image(path, min_size=100)
    assert img.width < img.height
    assert (dominant(img, 0.5, 0.25), dominant(img, 0.5, 0.75)) == ("red", "green")
    info = read_info(path)
    assert (info.width, info.height) == (SENSOR[1], SENSOR[0])


def test_header_facts_come_from_the_raw(tmp_path):
    path = write_dng(tmp_path / "a.dng", two_colours(RED, GREEN), make="Nikon", model="Z 9")
    info = read_info(path)
    assert (info.width, info.height, info.camera) == (*SENSOR, "Nikon Z 9")
    with open(path, "rb") as fh:  # the indexer's way in: an open stream, no name to go by
        assert looks_raw(fh.read(65536))
        fh.seek(0)
        assert open_image(fh).size == (SENSOR[0] // 2, SENSOR[1] // 2)


def test_a_truncated_raw_is_one_sentence(tmp_path):
    path = write_dng(tmp_path / "a.dng", two_colours(RED, GREEN))
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(ImageError) as caught:
        open_image(path)
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and "corrupt" in message


def test_a_plain_tiff_naming_a_camera_maker_is_read_by_pillow(tmp_path):
    path = tmp_path / "scan.tif"
    exif = Image.Exif()
    exif[271] = "NIKON"
    two_colours(RED, BLUE, (120, 80)).save(path, "TIFF", exif=exif)
    assert looks_raw(path.read_bytes()[:65536])
    img = open_image(path)
    assert img.size == (120, 80) and dominant(img, 0.75, 0.5) == "blue"
    assert read_info(path).width == 120


def test_a_raw_beside_its_jpeg_is_one_photo_and_a_raw_alone_is_indexed(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = random.Random(3)
    shot = render("red", "circle", SENSOR, rng)
    write_dng(folder / "IMG_0001.CR2", shot, preview=shot)  # the bytes of a DNG, named as Canon's
    shot.save(folder / "IMG_0001.JPG", "JPEG", quality=90)
    alone = render("blue", "square", SENSOR, rng)
    write_dng(folder / "IMG_0002.dng", alone, preview=alone.resize((400, 300)))
    for i, (colour, shape) in enumerate([("green", "star"), ("yellow", "triangle")]):
        render(colour, shape, (400, 300), rng).save(folder / f"other{i}.jpg")

    assert sorted(f.path.name for f in walk([folder])) == [
        "IMG_0001.JPG", "IMG_0002.dng", "other0.jpg", "other1.jpg",
    ]  # fmt: skip
    assert raw_original(folder / "IMG_0001.JPG") == folder / "IMG_0001.CR2"
    assert raw_original(folder / "other0.jpg") is None

    library = open_library(app_paths(tmp_path / "data"), "tiny-shapes", "cpu")
    try:
        library.catalog.add_folder(folder)
        last = list(library.indexer().run())[-1]
        assert (last.indexed, last.failed) == (4, 0)
        row = library.catalog.photo_by_path(folder / "IMG_0002.dng")
        assert (row.width, row.height) == SENSOR
        hits = library.search.search("a blue square", k=1)
        assert [h.path.name for h in hits] == ["IMG_0002.dng"]
        thumb = library.thumbnails.load(folder / "IMG_0002.dng", 160)
        assert library.thumbnails.stats.made == 0  # written by the index run
        assert Image.open(io.BytesIO(thumb)).size == (256, 192)
    finally:
        library.close()
