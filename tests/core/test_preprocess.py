"""photofind.core.clip.preprocess: config parsing and the resize/crop/normalise pipeline."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.core.clip.preprocess import PreprocessConfig, Preprocessor
from photofind.core.errors import ImageError

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _cfg(size: int = 32, **kwargs: object) -> PreprocessConfig:
    return PreprocessConfig(size=size, mean=CLIP_MEAN, std=CLIP_STD, **kwargs)  # type: ignore[arg-type]


def _reference(img: Image.Image, cfg: PreprocessConfig) -> np.ndarray:
    """Straightforward torchvision-style Resize(size) + CenterCrop(size) + Normalize."""
    resample = {
        "bicubic": Image.Resampling.BICUBIC,
        "bilinear": Image.Resampling.BILINEAR,
        "nearest": Image.Resampling.NEAREST,
        "lanczos": Image.Resampling.LANCZOS,
    }[cfg.interpolation]
    s = cfg.size
    w, h = img.size
    if cfg.resize_mode == "squash":
        img = img.resize((s, s), resample)
    else:
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        img = img.resize((new_w, new_h), resample)
        top = int(round((new_h - s) / 2.0))
        left = int(round((new_w - s) / 2.0))
        img = img.crop((left, top, left + s, top + s))
    x = np.asarray(img, dtype=np.float64) / 255.0
    x = (x - np.asarray(cfg.mean)) / np.asarray(cfg.std)
    return x.transpose(2, 0, 1)


def _noise(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


# --------------------------------------------------------------------------------------
# PreprocessConfig


def test_from_dict_open_clip_shape() -> None:
    cfg = PreprocessConfig.from_dict(
        {
            "size": [224, 224],
            "mode": "RGB",
            "mean": list(CLIP_MEAN),
            "std": list(CLIP_STD),
            "interpolation": "bicubic",
            "resize_mode": "shortest",
            "fill_color": 0,
        }
    )
    assert cfg == PreprocessConfig(224, CLIP_MEAN, CLIP_STD, "bicubic", "shortest")
    assert isinstance(cfg.mean, tuple) and isinstance(cfg.std, tuple)


@pytest.mark.parametrize("size", [256, [256], [256, 256], 256.0])
def test_from_dict_size_int_or_list(size: object) -> None:
    cfg = PreprocessConfig.from_dict({"size": size, "mean": [0.5] * 3, "std": [0.5] * 3})
    assert cfg.size == 256
    assert cfg.interpolation == "bicubic"
    assert cfg.resize_mode == "shortest"


def test_from_dict_case_and_optional_keys() -> None:
    cfg = PreprocessConfig.from_dict(
        {
            "size": 64,
            "mean": [0, 0, 0],
            "std": [1, 1, 1],
            "interpolation": "Lanczos",
            "resize_mode": "squash",
            "some_future_key": True,
        }
    )
    assert cfg.interpolation == "lanczos"
    assert cfg.resize_mode == "squash"
    assert cfg.mean == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"size": [224, 256]}, "square"),
        ({"size": 0}, "size"),
        ({"size": -3}, "size"),
        ({"size": "224"}, "size"),
        ({"size": True}, "size"),
        ({"size": 224.5}, "size"),
        ({"size": [1, 2, 3]}, "size"),
        ({"mean": [0.5, 0.5]}, "mean"),
        ({"mean": "abc"}, "mean"),
        ({"mean": [0.5, "x", 0.5]}, "mean"),
        ({"mean": [0.5, float("nan"), 0.5]}, "mean"),
        ({"std": [0.5, 0.0, 0.5]}, "std"),
        ({"std": [0.5, -1.0, 0.5]}, "std"),
        ({"std": None}, "std"),
        ({"interpolation": "area"}, "interpolation"),
        ({"interpolation": 3}, "interpolation"),
        ({"resize_mode": "longest"}, "resize_mode"),
        ({"resize_mode": "crop"}, "resize_mode"),
        ({"mode": "L"}, "mode"),
    ],
)
def test_from_dict_rejects_bad_values(changes: dict[str, object], words: str) -> None:
    d: dict[str, object] = {"size": 224, "mean": list(CLIP_MEAN), "std": list(CLIP_STD)}
    d.update(changes)
    with pytest.raises(ValueError, match=words):
        PreprocessConfig.from_dict(d)


@pytest.mark.parametrize("missing", ["size", "mean", "std"])
def test_from_dict_requires_keys(missing: str) -> None:
    d = {"size": 224, "mean": list(CLIP_MEAN), "std": list(CLIP_STD)}
    del d[missing]
    with pytest.raises(ValueError, match=missing):
        PreprocessConfig.from_dict(d)


def test_from_dict_rejects_non_object() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        PreprocessConfig.from_dict([224])  # type: ignore[arg-type]


def test_direct_construction_is_validated() -> None:
    with pytest.raises(ValueError, match="interpolation"):
        _cfg(interpolation="cubic")
    with pytest.raises(ValueError, match="resize_mode"):
        _cfg(resize_mode="pad")
    with pytest.raises(ValueError, match="size"):
        _cfg(size=0)


# --------------------------------------------------------------------------------------
# Preprocessor


def test_output_shape_dtype_layout() -> None:
    out = Preprocessor(_cfg(32))(_noise(50, 40))
    assert out.shape == (3, 32, 32)
    assert out.dtype == np.float32
    assert out.flags["C_CONTIGUOUS"]


def test_uniform_grey_gives_expected_constant_per_channel() -> None:
    cfg = _cfg(24)
    out = Preprocessor(cfg)(Image.new("RGB", (60, 40), (128, 128, 128)))
    for c in range(3):
        expected = (128 / 255 - CLIP_MEAN[c]) / CLIP_STD[c]
        np.testing.assert_allclose(out[c], expected, rtol=0, atol=1e-5)


def test_colour_channels_stay_in_order() -> None:
    cfg = PreprocessConfig(size=8, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    out = Preprocessor(cfg)(Image.new("RGB", (16, 16), (255, 0, 51)))
    np.testing.assert_allclose(out[:, 4, 4], [1.0, 0.0, 0.2], atol=1e-6)


@pytest.mark.parametrize("interpolation", ["bicubic", "bilinear", "nearest", "lanczos"])
@pytest.mark.parametrize("size_wh", [(101, 50), (50, 101), (64, 64), (33, 97), (20, 10)])
@pytest.mark.parametrize("resize_mode", ["shortest", "squash"])
def test_matches_reference_pipeline(interpolation: str, size_wh, resize_mode: str) -> None:
    cfg = _cfg(24, interpolation=interpolation, resize_mode=resize_mode)
    img = _noise(*size_wh, seed=size_wh[0] * 1000 + size_wh[1])
    np.testing.assert_allclose(Preprocessor(cfg)(img), _reference(img, cfg), rtol=0, atol=1e-5)


def test_interpolation_is_honoured() -> None:
    img = _noise(97, 61, seed=3)
    nearest = Preprocessor(_cfg(24, interpolation="nearest"))(img)
    bicubic = Preprocessor(_cfg(24, interpolation="bicubic"))(img)
    assert not np.allclose(nearest, bicubic)
    # Nearest only ever copies input pixels, so every output value is a normalised input value.
    inputs = np.asarray(img)[..., 0]
    allowed = (np.unique(inputs) / 255 - CLIP_MEAN[0]) / CLIP_STD[0]
    distance = np.abs(nearest[0].reshape(-1, 1) - allowed.reshape(1, -1)).min(axis=1)
    assert distance.max() < 1e-5


def _three_bands(w: int = 300, h: int = 100) -> Image.Image:
    """Black | white | black, in thirds across the width."""
    img = Image.new("RGB", (w, h), (0, 0, 0))
    img.paste((255, 255, 255), (w // 3, 0, 2 * w // 3, h))
    return img


def test_shortest_crops_the_centre_and_squash_keeps_everything() -> None:
    cfg = PreprocessConfig(size=30, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    img = _three_bands()
    shortest = Preprocessor(cfg)(img)
    squash = Preprocessor(PreprocessConfig(30, cfg.mean, cfg.std, resize_mode="squash"))(img)
    # shortest: 300x100 -> 90x30, centre 30x30 crop = the white band only.
    assert shortest[:, :, 2:-2].min() > 0.95
    # squash: 300x100 -> 30x30, all three bands survive, squeezed.
    assert squash[:, :, :8].max() < 0.05
    assert squash[:, :, 12:18].min() > 0.95
    assert squash[:, :, -8:].max() < 0.05
    assert not np.allclose(shortest, squash)


def test_square_image_same_in_both_modes() -> None:
    img = _noise(64, 64, seed=5)
    a = Preprocessor(_cfg(32))(img)
    b = Preprocessor(_cfg(32, resize_mode="squash"))(img)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_non_rgb_input_is_converted() -> None:
    out = Preprocessor(_cfg(16))(Image.new("RGBA", (20, 20), (255, 0, 0, 0)))
    np.testing.assert_allclose(
        out[:, 8, 8], [(1.0 - m) / s for m, s in zip(CLIP_MEAN, CLIP_STD, strict=True)], atol=1e-5
    )


def test_load_accepts_path_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    _noise(80, 60).save(path)
    pre = Preprocessor(_cfg(32))
    from_path = pre.load(path)
    np.testing.assert_array_equal(from_path, pre.load(path.read_bytes()))
    np.testing.assert_array_equal(from_path, pre.load_full(path))  # PNG: no draft anyway
    np.testing.assert_allclose(from_path, _reference(_noise(80, 60), pre.cfg), atol=1e-5)


def test_load_bad_file_raises_image_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not a jpeg at all")
    with pytest.raises(ImageError):
        Preprocessor(_cfg(32)).load(path)


@pytest.fixture(scope="module")
def big_jpeg_bytes() -> bytes:
    """A 4000x3000 (12 MP) JPEG with smooth, photo-like structure."""
    y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
    r = 128 + 90 * np.sin(x / 37.0) * np.cos(y / 53.0)
    g = 128 + 90 * np.sin((x + y) / 71.0)
    b = 128 + 90 * np.cos(x / 23.0 - y / 41.0)
    pixels = np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_draft_load_close_to_full_decode(big_jpeg_bytes: bytes) -> None:
    pre = Preprocessor(_cfg(224))
    drafted = pre.load(big_jpeg_bytes)
    full = pre.load_full(big_jpeg_bytes)
    assert drafted.shape == full.shape == (3, 224, 224)
    assert float(np.abs(drafted - full).mean()) < 0.02


def test_extreme_strip_centre_matches_a_full_resize():
    """Strips are resized only around their centre (a 1 x 20000 px file would otherwise
    cost gigabytes); what the model sees must not change."""
    pre = Preprocessor(PreprocessConfig(size=64, mean=(0.5,) * 3, std=(0.5,) * 3))
    rng = np.random.default_rng(0)
    strip = Image.fromarray(rng.integers(0, 255, (10, 4000, 3), dtype=np.uint8))  # 400:1
    tensor = pre(strip)
    assert tensor.shape == (3, 64, 64)
    full = strip.resize((int(64 * 4000 / 10), 64), Image.Resampling.BICUBIC)
    left = round((full.width - 64) / 2)
    expected = (np.asarray(full)[:, left : left + 64].astype(np.float32) / 255 - 0.5) / 0.5
    assert np.abs(tensor - expected.transpose(2, 0, 1)).max() < 0.05
