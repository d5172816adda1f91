"""photofind.core.images: decoding any file into RGB, and failing with ImageError."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, features

from photofind.core.errors import ImageError
from photofind.core.images import IMAGE_EXTENSIONS, ImageInfo, open_image, read_info, to_rgb

RED = (255, 0, 0)
WHITE = (255, 255, 255)


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tol: int) -> bool:
    return all(abs(a - e) <= tol for a, e in zip(actual, expected, strict=True))


def _centre(img: Image.Image) -> tuple[int, ...]:
    return img.getpixel((img.width // 2, img.height // 2))


def _jpeg_bytes(img: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_header(width: int, height: int, idat: bytes) -> bytes:
    """A PNG whose IHDR (with a correct CRC) claims width x height, RGB, 8 bits."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _assert_plain_sentence(err: pytest.ExceptionInfo[ImageError]) -> str:
    message = str(err.value)
    assert message
    assert "\n" not in message
    assert message[0].isupper()
    assert message.endswith(".")
    assert "Traceback" not in message
    return message


# --------------------------------------------------------------------------------------
# Modes


def _pa_image() -> Image.Image:
    img = Image.new("PA", (8, 6))
    img.putpalette(list(RED) + [0, 0, 0] * 255)
    img.putdata([(0, 0)] * (8 * 6))  # palette index 0 (red), alpha 0
    return img


MODE_CASES = [
    # (name, factory, expected RGB, tolerance)
    ("RGBA transparent", lambda: Image.new("RGBA", (8, 6), (255, 0, 0, 0)), WHITE, 0),
    ("RGBA opaque", lambda: Image.new("RGBA", (8, 6), (255, 0, 0, 255)), RED, 0),
    ("RGBA half", lambda: Image.new("RGBA", (8, 6), (255, 0, 0, 128)), (255, 127, 127), 1),
    ("LA transparent", lambda: Image.new("LA", (8, 6), (0, 0)), WHITE, 0),
    ("LA opaque", lambda: Image.new("LA", (8, 6), (40, 255)), (40, 40, 40), 0),
    ("PA transparent", _pa_image, WHITE, 0),
    ("P", lambda: Image.new("RGB", (8, 6), RED).convert("P"), RED, 0),
    ("CMYK red", lambda: Image.new("CMYK", (8, 6), (0, 255, 255, 0)), RED, 0),
    ("I;16 mid-grey", lambda: Image.new("I;16", (8, 6), 32768), (128, 128, 128), 1),
    ("I;16 white", lambda: Image.new("I;16", (8, 6), 65535), WHITE, 0),
    ("I;16B mid-grey", lambda: Image.new("I;16B", (8, 6), 32768), (128, 128, 128), 1),
    ("I 16-bit range", lambda: Image.new("I", (8, 6), 32768), (128, 128, 128), 1),
    ("I 8-bit range", lambda: Image.new("I", (8, 6), 100), (100, 100, 100), 0),
    ("F 0..1", lambda: Image.new("F", (8, 6), 0.5), (128, 128, 128), 1),
    ("1 white", lambda: Image.new("1", (8, 6), 1), WHITE, 0),
    ("1 black", lambda: Image.new("1", (8, 6), 0), (0, 0, 0), 0),
    ("L", lambda: Image.new("L", (8, 6), 77), (77, 77, 77), 0),
    ("RGB", lambda: Image.new("RGB", (8, 6), (1, 2, 3)), (1, 2, 3), 0),
]


@pytest.mark.parametrize(
    ("factory", "expected", "tol"),
    [case[1:] for case in MODE_CASES],
    ids=[case[0] for case in MODE_CASES],
)
def test_to_rgb_every_mode(factory, expected, tol) -> None:
    rgb = to_rgb(factory())
    assert rgb.mode == "RGB"
    assert rgb.size == (8, 6)
    assert _close(_centre(rgb), expected, tol), _centre(rgb)


def _gradient_16bit() -> Image.Image:
    values = np.linspace(0, 65535, 64, dtype=np.uint16).reshape(8, 8)
    img = Image.fromarray(values)
    assert img.mode.startswith("I;16")
    return img


def test_i16_is_scaled_not_clipped() -> None:
    rgb = np.asarray(to_rgb(_gradient_16bit()))[..., 0].ravel()
    assert rgb[0] == 0 and rgb[-1] == 255
    # A full-range gradient stays a gradient: many distinct levels, monotonic.
    assert len(np.unique(rgb)) > 50
    assert np.all(np.diff(rgb.astype(int)) >= 0)


FILE_CASES = [
    # (name, image factory, format, expected RGB, tolerance)
    ("RGBA png", lambda: Image.new("RGBA", (8, 6), (255, 0, 0, 0)), "PNG", WHITE, 0),
    ("LA png", lambda: Image.new("LA", (8, 6), (0, 0)), "PNG", WHITE, 0),
    ("RGBA webp", lambda: Image.new("RGBA", (8, 6), (255, 0, 0, 0)), "WEBP", WHITE, 2),
    ("CMYK jpeg", lambda: Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", RED, 40),
    ("CMYK tiff", lambda: Image.new("CMYK", (8, 6), (0, 255, 255, 0)), "TIFF", RED, 0),
    ("I;16 png", lambda: Image.new("I;16", (8, 6), 32768), "PNG", (128, 128, 128), 1),
    ("I;16 tiff", lambda: Image.new("I;16", (8, 6), 32768), "TIFF", (128, 128, 128), 1),
    ("I tiff", lambda: Image.new("I", (8, 6), 32768), "TIFF", (128, 128, 128), 1),
    ("F tiff", lambda: Image.new("F", (8, 6), 0.5), "TIFF", (128, 128, 128), 1),
    ("1 png", lambda: Image.new("1", (8, 6), 1), "PNG", WHITE, 0),
    ("L png", lambda: Image.new("L", (8, 6), 77), "PNG", (77, 77, 77), 0),
    ("P gif", lambda: Image.new("RGB", (8, 6), RED).convert("P"), "GIF", RED, 0),
    ("bmp", lambda: Image.new("RGB", (8, 6), RED), "BMP", RED, 0),
]


@pytest.mark.parametrize(
    ("factory", "fmt", "expected", "tol"),
    [case[1:] for case in FILE_CASES],
    ids=[case[0] for case in FILE_CASES],
)
def test_open_image_modes_from_files(tmp_path: Path, factory, fmt, expected, tol) -> None:
    path = tmp_path / f"img.{fmt.lower()}"
    factory().save(path, fmt)
    img = open_image(path)
    assert img.mode == "RGB"
    assert _close(_centre(img), expected, tol), _centre(img)
    # The same bytes work too.
    assert _close(_centre(open_image(path.read_bytes())), expected, tol)


def test_palette_png_with_transparent_index_is_white(tmp_path: Path) -> None:
    img = Image.new("P", (8, 6), 0)
    img.putpalette(list(RED) + [0, 0, 0] * 255)
    path = tmp_path / "p.png"
    img.save(path, transparency=0)
    assert _centre(open_image(path)) == WHITE


def test_animated_gif_and_webp_give_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 6), RED), Image.new("RGB", (8, 6), (0, 0, 255))]
    for name in ("anim.gif", "anim.webp"):
        path = tmp_path / name
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
        with Image.open(path) as check:
            assert getattr(check, "n_frames", 1) == 2
        img = open_image(path)
        assert img.mode == "RGB"
        assert _close(_centre(img), RED, 8), (name, _centre(img))


# --------------------------------------------------------------------------------------
# EXIF orientation, draft, content sniffing


def _oriented_jpeg(path: Path, orientation: int) -> None:
    """40x20 stored pixels: blue, with a red 10x10 block in the stored top-left corner."""
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste(RED, (0, 0, 10, 10))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    img.save(path, "JPEG", quality=95, exif=exif)


def test_exif_orientation_6_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    _oriented_jpeg(path, 6)
    img = open_image(path)
    # Orientation 6: rotate 90 degrees clockwise to display; stored top-left -> top-right.
    assert img.size == (20, 40)
    assert _close(img.getpixel((img.width - 3, 2)), RED, 40)
    assert _close(img.getpixel((2, 2)), (0, 0, 255), 40)
    assert _close(img.getpixel((2, img.height - 3)), (0, 0, 255), 40)


def test_exif_orientation_6_with_draft(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    _oriented_jpeg(path, 6)
    img = open_image(path, min_size=2)  # target 4 px: the decoder may scale by 1/4
    assert img.width < img.height
    assert _close(img.getpixel((img.width - 1, 0)), RED, 60)


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4000x3000 (12 MP) JPEG with smooth, photo-like structure."""
    y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
    r = 128 + 90 * np.sin(x / 37.0) * np.cos(y / 53.0)
    g = 128 + 90 * np.sin((x + y) / 71.0)
    b = 128 + 90 * np.cos(x / 23.0 - y / 41.0)
    pixels = np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def test_jpeg_draft_keeps_twice_min_size(big_jpeg: Path) -> None:
    drafted = open_image(big_jpeg, min_size=224)
    assert drafted.mode == "RGB"
    assert 448 <= min(drafted.size) < 3000
    assert drafted.width / drafted.height == pytest.approx(4 / 3, rel=0.01)
    full = open_image(big_jpeg)
    assert full.size == (4000, 3000)


def test_min_size_ignored_for_png(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (400, 300), RED).save(path)
    assert open_image(path, min_size=10).size == (400, 300)


def test_min_size_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 3), RED).save(path)
    with pytest.raises(ValueError):
        open_image(path, min_size=0)


def test_png_named_jpg_decodes(tmp_path: Path) -> None:
    path = tmp_path / "actually_png.jpg"
    Image.new("RGBA", (8, 6), (255, 0, 0, 255)).save(path, "PNG")
    img = open_image(path)
    assert img.size == (8, 6)
    assert _centre(img) == RED


def test_str_path_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 6), RED).save(path)
    assert _centre(open_image(str(path))) == RED


# --------------------------------------------------------------------------------------
# HEIC / AVIF


def _two_tone(size: tuple[int, int] = (64, 48)) -> Image.Image:
    img = Image.new("RGB", size, RED)
    img.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return img


def test_heic_round_trip(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("this libheif build has no HEVC encoder")
    path = tmp_path / "photo.heic"
    pillow_heif.from_pillow(_two_tone()).save(path, quality=95)
    img = open_image(path)
    assert img.mode == "RGB"
    assert img.size == (64, 48)
    assert _close(img.getpixel((8, 24)), RED, 40)
    assert _close(img.getpixel((56, 24)), (0, 0, 255), 40)
    info = read_info(path)
    assert (info.width, info.height) == (64, 48)
    # By content: a HEIC named .jpg still opens.
    renamed = tmp_path / "photo.jpg"
    renamed.write_bytes(path.read_bytes())
    assert open_image(renamed).size == (64, 48)


def test_avif_round_trip(tmp_path: Path) -> None:
    if not features.check("avif"):
        pytest.skip("this Pillow build has no AVIF support")
    path = tmp_path / "photo.avif"
    _two_tone().save(path, "AVIF", quality=95)
    img = open_image(path)
    assert img.mode == "RGB"
    assert img.size == (64, 48)
    assert _close(img.getpixel((8, 24)), RED, 40)
    assert _close(img.getpixel((56, 24)), (0, 0, 255), 40)


def test_heif_opener_is_registered_lazily() -> None:
    code = (
        "from PIL import Image\n"
        "import photofind.core.images\n"
        "Image.init()\n"
        "print('HEIF' in Image.OPEN)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------
# Bad files: always ImageError with one plain sentence


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError) as err:
        open_image(path)
    assert _assert_plain_sentence(err) == "The file is empty."
    with pytest.raises(ImageError, match="empty"):
        open_image(b"")
    with pytest.raises(ImageError, match="empty"):
        read_info(path)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ImageError) as err:
        open_image(path)
    assert "not an image" in _assert_plain_sentence(err)
    with pytest.raises(ImageError):
        read_info(path)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("hello, this is not a picture\n")
    with pytest.raises(ImageError) as err:
        open_image(path)
    _assert_plain_sentence(err)


def test_truncated_jpeg(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noisy = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    data = _jpeg_bytes(noisy, quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as err:
        open_image(path)
    message = _assert_plain_sentence(err)
    assert message.startswith("The file is truncated or corrupt")
    with pytest.raises(ImageError, match="truncated or corrupt"):
        open_image(path, min_size=16)
    # The header is intact, so read_info (header only, no decode) still works.
    assert read_info(path) == ImageInfo(width=160, height=120, taken_at=None)


def test_truncated_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "PNG")
    data = buf.getvalue()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as err:
        open_image(path)
    _assert_plain_sentence(err)


def test_lying_header_bigger_than_data(tmp_path: Path) -> None:
    """IHDR says 2000x2000 but the pixel data is for a 4x4 image."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    path = tmp_path / "liar.png"
    path.write_bytes(_png_with_header(2000, 2000, zlib.compress(raw)))
    with pytest.raises(ImageError) as err:
        open_image(path)
    assert "truncated or corrupt" in _assert_plain_sentence(err)


def test_decompression_bomb_error_level(tmp_path: Path) -> None:
    """100000 x 100000 is over twice Pillow's limit: Pillow itself refuses to open it."""
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_with_header(100_000, 100_000, zlib.compress(b"\x00" * 100)))
    with pytest.raises(ImageError) as err:
        open_image(path)
    message = _assert_plain_sentence(err)
    assert message.startswith("The image is too large to open safely")
    assert "10,000 megapixels" in message
    with pytest.raises(ImageError, match="too large"):
        read_info(path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_warning_level(tmp_path: Path) -> None:
    """Between 1x and 2x the limit Pillow only warns; we refuse before decoding."""
    assert Image.MAX_IMAGE_PIXELS is not None
    side = int((1.5 * Image.MAX_IMAGE_PIXELS) ** 0.5)
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_with_header(side, side, zlib.compress(b"\x00" * 100)))
    with pytest.raises(ImageError) as err:
        open_image(path)
    assert "too large to open safely" in _assert_plain_sentence(err)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixel_limit_is_read_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.jpg"
    Image.new("RGB", (40, 40), RED).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1600 px: Pillow's warning level
    with pytest.raises(ImageError, match="too large"):
        open_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 16x over: Pillow's error level
    with pytest.raises(ImageError, match="too large"):
        open_image(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as err:
        open_image(tmp_path / "nope.jpg")
    assert "does not exist" in _assert_plain_sentence(err)
    with pytest.raises(ImageError, match="does not exist"):
        read_info(tmp_path / "nope.jpg")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.jpg"
    Image.new("RGB", (8, 6), RED).save(path)
    path.chmod(0)
    try:
        with pytest.raises(ImageError) as err:
            open_image(path)
        assert "permission denied" in _assert_plain_sentence(err)
    finally:
        path.chmod(0o644)


def test_permission_error_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as test_unreadable_file, reachable when the tests run as root."""
    import photofind.core.images as images

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    path = tmp_path / "secret.jpg"
    Image.new("RGB", (8, 6), RED).save(path)
    monkeypatch.setattr(images, "open", denied, raising=False)
    with pytest.raises(ImageError) as err:
        open_image(path)
    assert "permission denied" in _assert_plain_sentence(err)
    with pytest.raises(ImageError, match="permission denied"):
        read_info(path)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    with pytest.raises(ImageError) as err:
        open_image(folder)
    assert "folder" in _assert_plain_sentence(err)
    with pytest.raises(ImageError, match="folder"):
        read_info(folder)


# --------------------------------------------------------------------------------------
# read_info


def test_read_info_with_exif_datetime_and_orientation(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), RED)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2021:06:15 14:30:05"
    path = tmp_path / "dated.jpg"
    img.save(path, "JPEG", exif=exif)
    info = read_info(path)
    assert (info.width, info.height) == (20, 40)  # after orientation
    assert info.taken_at == datetime(2021, 6, 15, 14, 30, 5).timestamp()
    assert read_info(path.read_bytes()) == info


def test_read_info_without_exif(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    Image.new("RGB", (30, 10), RED).save(path)
    assert read_info(path) == ImageInfo(width=30, height=10, taken_at=None)


def test_read_info_placeholder_datetime_is_none(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "0000:00:00 00:00:00"
    path = tmp_path / "zero.jpg"
    Image.new("RGB", (30, 10), RED).save(path, "JPEG", exif=exif)
    assert read_info(path).taken_at is None


def test_every_listed_extension_is_found_by_the_scanner_in_any_case(tmp_path: Path) -> None:
    """What the scanner picks up is decided by this list: every suffix in it, whatever its
    case, is a photo name; other suffixes and hidden files are not."""
    from photofind.core.scanner import is_photo_name

    assert {".jpg", ".jpeg", ".png", ".heic", ".avif", ".dng"} <= IMAGE_EXTENSIONS
    for ext in IMAGE_EXTENSIONS:
        assert is_photo_name("photo" + ext) and is_photo_name("photo" + ext.upper())
    for name in ("notes.txt", "movie.mp4", "photo.jpg.part", ".hidden.jpg", "jpg"):
        assert not is_photo_name(name)
