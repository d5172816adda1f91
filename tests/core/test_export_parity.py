"""models/export.py + photofind's ONNX runtime reproduce the torch model.

A randomly initialised, full-size ViT-B/32 ``CLIPModel`` is exported into a bundle and run
through ``ClipEncoder``; image and text embeddings must match torch to 1e-4. A tiny model
with a 20-row token table shows that a ``token_remap`` export equals the small model run
on remapped ids. Needs torch and transformers (skipped without them).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("onnx")

from photofind.core.clip import ClipEncoder, ModelBundle  # noqa: E402

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TOKENIZER_DIR = REPO / "photofind" / "builtin_models" / "tiny-shapes" / "textual"
TOLERANCE = 1e-4
SENTENCES = [
    "a photo of a dog on the beach",
    "Sunset over the mountains, with clouds!",
    "x",
]
CAPTIONS = ["a red circle", "a blue square", "two green triangles", "a small red square"]


def _load_export_module():
    name = "photofind_models_export"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "models" / "export.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def export():
    if not (TOKENIZER_DIR / "tokenizer.json").is_file():
        pytest.skip("the CLIP tokenizer.json of tiny-shapes is not there yet")
    return _load_export_module()


def _normalised(features) -> np.ndarray:
    pooled = features if isinstance(features, torch.Tensor) else features.pooler_output
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@pytest.fixture(scope="module")
def vit_b32(export, tmp_path_factory):
    """(torch model, bundle path, export report) for a seeded random ViT-B/32."""
    torch.manual_seed(0)
    model = transformers.CLIPModel(transformers.CLIPConfig()).eval()
    out = tmp_path_factory.mktemp("vit-b32")
    report = export.export_hf_clip(
        model, out, tokenizer_json=TOKENIZER_DIR / "tokenizer.json", quantize="int8"
    )
    return model, out, report


def test_bundle_layout(vit_b32):
    _, out, report = vit_b32
    config = json.loads((out / "config.json").read_text())
    assert config["embed_dim"] == 512
    assert config["vision_cfg"] == {
        "image_size": 224,
        "patch_size": 32,
        "width": 768,
        "layers": 12,
        "heads": 12,
    }
    assert config["text_cfg"]["context_length"] == 77
    assert config["text_cfg"]["vocab_size"] == 49408
    pre = json.loads((out / "visual" / "preprocess_cfg.json").read_text())
    assert pre["size"] == [224, 224] and pre["interpolation"] == "bicubic"
    tok_cfg = json.loads((out / "textual" / "tokenizer_config.json").read_text())
    assert tok_cfg["pad_token"] == "!" and tok_cfg["model_max_length"] == 77

    import onnx

    for path, name in (("visual/model.onnx", "image"), ("textual/model.onnx", "text")):
        graph = onnx.load(str(out / path), load_external_data=False).graph
        assert [i.name for i in graph.input] == [name]
        assert [o.name for o in graph.output] == ["embedding"]
        dims = graph.input[0].type.tensor_type.shape.dim
        assert dims[0].dim_param  # dynamic batch
        if name == "text":
            assert dims[1].dim_param  # dynamic sequence
    assert report["visual_max_abs_diff"] < TOLERANCE
    assert report["textual_max_abs_diff"] < TOLERANCE
    assert report["int8_size_ratio"] < 0.35
    bundle = ModelBundle.load(out)
    assert bundle.embed_dim == 512 and bundle.context_length == 77


def test_image_embeddings_match_torch(vit_b32):
    model, out, _ = vit_b32
    encoder = ClipEncoder(ModelBundle.load(out), provider="cpu")
    assert encoder.provider == "cpu"
    batch = np.random.default_rng(1).standard_normal((3, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        want = _normalised(model.get_image_features(pixel_values=torch.from_numpy(batch)))
    got = encoder.encode_image_batch(batch)
    assert got.shape == (3, 512) and got.dtype == np.float32
    assert np.abs(got - want).max() < TOLERANCE
    # One at a time gives the same vectors (dynamic batch axis).
    single = np.concatenate([encoder.encode_image_batch(batch[i : i + 1]) for i in range(3)])
    assert np.abs(single - want).max() < TOLERANCE


def test_text_embeddings_match_torch(vit_b32):
    model, out, _ = vit_b32
    encoder = ClipEncoder(ModelBundle.load(out), provider="cpu")
    ids, lengths = encoder.tokenizer.encode(SENTENCES)
    assert ids.shape == (3, 77) and lengths.max() < 77
    with torch.no_grad():
        want = _normalised(model.get_text_features(input_ids=torch.from_numpy(ids)))
    trimmed = encoder.encode_texts(SENTENCES)  # runs on the real token count
    padded = encoder.encode_token_ids(ids)  # runs all 77 positions
    assert trimmed.shape == (3, 512)
    assert np.abs(trimmed - want).max() < TOLERANCE
    assert np.abs(padded - want).max() < TOLERANCE


def test_int8_visual_is_close_to_fp32(vit_b32):
    _, out, report = vit_b32
    assert report["int8_cosine_mean"] > 0.99
    bundle = ModelBundle.load(out)
    batch = np.random.default_rng(2).standard_normal((2, 3, 224, 224)).astype(np.float32)
    fp32 = ClipEncoder(bundle, provider="cpu").encode_image_batch(batch)
    int8 = ClipEncoder(bundle, provider="cpu", int8=True).encode_image_batch(batch)
    assert (fp32 * int8).sum(axis=1).min() > 0.99


# -- token_remap ---------------------------------------------------------------------------


def _tiny_model(vocab: int, bos: int, eos: int):
    torch.manual_seed(0)
    text = transformers.CLIPTextConfig(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=77,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=0,
    )
    vision = transformers.CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    config = transformers.CLIPConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=16
    )
    return transformers.CLIPModel(config).eval()


def _caption_remap(tokenizer) -> tuple[np.ndarray, int, int]:
    """Row 0: pad and every unknown token; rows 1..k: caption tokens; then BOS, EOT."""
    ids, lengths = tokenizer.encode(CAPTIONS)
    words = sorted({int(t) for row, n in zip(ids, lengths, strict=True) for t in row[1 : n - 1]})
    remap = np.zeros(49408, dtype=np.int64)
    remap[words] = np.arange(1, len(words) + 1)
    bos_row, eot_row = len(words) + 1, len(words) + 2
    remap[tokenizer.sot_id], remap[tokenizer.eot_id] = bos_row, eot_row
    assert eot_row < 20
    return remap, bos_row, eot_row


def test_token_remap_equals_small_model_on_remapped_ids(export, tmp_path):
    from photofind.core.clip.tokenizer import ClipTokenizer

    tokenizer = ClipTokenizer.from_files(
        TOKENIZER_DIR / "tokenizer.json", TOKENIZER_DIR / "tokenizer_config.json", 77
    )
    remap, bos_row, eot_row = _caption_remap(tokenizer)
    model = _tiny_model(20, bos_row, eot_row)
    report = export.export_hf_clip(
        model, tmp_path, tokenizer_json=TOKENIZER_DIR / "tokenizer.json", token_remap=remap
    )
    assert report["remap_max_abs_diff"] < TOLERANCE
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["text_cfg"]["vocab_size"] == 49408  # the graph takes real token ids

    encoder = ClipEncoder(ModelBundle.load(tmp_path), provider="cpu")
    ids, _ = encoder.tokenizer.encode(CAPTIONS)
    with torch.no_grad():
        want = _normalised(model.get_text_features(input_ids=torch.from_numpy(remap[ids])))
    assert np.abs(encoder.encode_texts(CAPTIONS) - want).max() < TOLERANCE
    assert np.abs(encoder.encode_token_ids(ids) - want).max() < TOLERANCE
    # Words the model has no row for still run (they share the unknown row).
    assert np.isfinite(encoder.encode_texts(["a purple hexagon"])).all()


def test_token_remap_with_wrong_eos_is_refused(export, tmp_path):
    from photofind.core.clip.tokenizer import ClipTokenizer

    tokenizer = ClipTokenizer.from_files(
        TOKENIZER_DIR / "tokenizer.json", TOKENIZER_DIR / "tokenizer_config.json", 77
    )
    remap, bos_row, _ = _caption_remap(tokenizer)
    model = _tiny_model(20, bos_row, eos=1)  # pools at a caption token, not at EOT
    with pytest.raises(export.ExportError, match="eos_token_id"):
        export.export_hf_clip(
            model, tmp_path, tokenizer_json=TOKENIZER_DIR / "tokenizer.json", token_remap=remap
        )
