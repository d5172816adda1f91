"""The runtime on the tiny model: bundles, sessions, graph variants, normalisation, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest

from photofind.core.clip import ClipEncoder, ModelBundle, ProviderWarning, find_model
from photofind.core.clip.encoder import resolve_provider
from photofind.core.errors import ModelError
from photofind.core.shapes import render


@pytest.fixture
def bundle_copy(tiny_bundle: ModelBundle, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(tiny_bundle.root, target)
    return target


def test_text_only_search_never_opens_the_visual_model(tiny_bundle):
    encoder = ClipEncoder(tiny_bundle, provider="cpu")
    vector = encoder.encode_text("a red circle")
    assert not encoder.visual_loaded
    assert vector.shape == (tiny_bundle.embed_dim,)
    assert vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert encoder.provider == "cpu"


def test_image_batches_are_normalised_and_batch_independent(tiny_encoder, shape_library_48):
    paths = [p.path for p in shape_library_48[:5]]
    together = tiny_encoder.encode_images(paths)
    one_by_one = np.stack([tiny_encoder.encode_images([p])[0] for p in paths])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_trimmed_text_equals_padded_text(tiny_encoder):
    texts = ["a red circle", "a photo of a blue star", "green", "a very " * 30 + "long caption"]
    trimmed = tiny_encoder.encode_texts(texts, trim=True)
    padded = tiny_encoder.encode_texts(texts, trim=False)
    assert np.abs(trimmed - padded).max() < 1e-5


def test_normalising_twice_changes_nothing(tiny_encoder):
    ids, lengths = tiny_encoder.tokenizer.encode(["a yellow square"])
    once = tiny_encoder.encode_token_ids(ids, lengths)
    assert np.abs(once / np.linalg.norm(once, axis=1, keepdims=True) - once).max() < 1e-6


def test_draft_decoding_matches_full_decoding(tiny_encoder, tmp_path):
    import random

    rng = random.Random(3)
    cosines = []
    for i, (colour, shape) in enumerate(
        [("red", "star"), ("blue", "circle"), ("orange", "triangle")]
    ):
        path = tmp_path / f"big{i}.jpg"
        render(colour, shape, (4000, 3000), rng).save(path, quality=92)
        pre = tiny_encoder.preprocessor
        draft = tiny_encoder.encode_image_batch(pre.load(path)[None])[0]
        full = tiny_encoder.encode_image_batch(pre.load_full(path)[None])[0]
        cosines.append(float(draft @ full))
    assert min(cosines) >= 0.995, cosines


def test_cuda_requested_without_gpu_warns_and_uses_cpu(tiny_bundle, monkeypatch):
    monkeypatch.setattr("onnxruntime.get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.warns(ProviderWarning, match="CUDA"):
        encoder = ClipEncoder(tiny_bundle, provider="cuda")
    assert encoder.provider == "cpu"
    assert encoder.encode_text("a red circle").shape == (tiny_bundle.embed_dim,)


def test_auto_provider_never_warns():
    from photofind.core.clip.encoder import cuda_available

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_provider("auto") == ("cuda" if cuda_available() else "cpu")
    with pytest.raises(ModelError, match="auto, cpu or cuda"):
        resolve_provider("tpu")


def test_find_model_by_name_by_folder_and_unknown(tiny_bundle, bundle_copy, tmp_path):
    assert find_model("tiny-shapes").root == tiny_bundle.root
    assert find_model(bundle_copy).root == bundle_copy
    with pytest.raises(ModelError, match="No model named 'nope'"):
        find_model("nope", tmp_path)
    with pytest.raises(ModelError, match="no config.json"):
        find_model(tmp_path)


@pytest.mark.parametrize(
    "relative",
    [
        "config.json",
        "visual/model.onnx",
        "visual/preprocess_cfg.json",
        "textual/model.onnx",
        "textual/tokenizer.json",
    ],
)
def test_missing_file_is_named(bundle_copy, relative):
    (bundle_copy / relative).unlink()
    with pytest.raises(ModelError) as err:
        ModelBundle.load(bundle_copy)
    assert relative.split("/")[-1] in str(err.value)
    assert "\n" not in str(err.value)


def test_broken_json_and_config_values_are_named(bundle_copy):
    (bundle_copy / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match="config.json is not valid JSON"):
        ModelBundle.load(bundle_copy)
    (bundle_copy / "config.json").write_text(json.dumps({"embed_dim": "wide"}))
    with pytest.raises(ModelError, match="embed_dim"):
        ModelBundle.load(bundle_copy)


def test_bad_preprocess_config_is_named(bundle_copy):
    path = bundle_copy / "visual" / "preprocess_cfg.json"
    cfg = json.loads(path.read_text())
    cfg["interpolation"] = "sparkly"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="preprocess_cfg.json"):
        ModelBundle.load(bundle_copy)


def test_corrupt_onnx_is_reported_when_used(bundle_copy):
    (bundle_copy / "textual" / "model.onnx").write_bytes(b"\x08\x07garbage" * 100)
    encoder = ClipEncoder(ModelBundle.load(bundle_copy), provider="cpu")
    with pytest.raises(ModelError, match=r"textual/model\.onnx cannot be loaded"):
        encoder.encode_text("a red circle")


def test_empty_file_is_reported(bundle_copy):
    (bundle_copy / "visual" / "model.onnx").write_bytes(b"")
    with pytest.raises(ModelError, match="is empty"):
        ModelBundle.load(bundle_copy)


def _fix_input(
    path: Path, *, batch: int | None = None, length: int | None = None, int32: bool = False
) -> None:
    """Rewrite a graph the way some zoo exports look: fixed axes, int32 token ids."""
    model = onnx.load(str(path))
    graph_input = model.graph.input[0]
    dims = graph_input.type.tensor_type.shape.dim
    if batch is not None:
        dims[0].ClearField("dim_param")
        dims[0].dim_value = batch
    if length is not None:
        dims[1].ClearField("dim_param")
        dims[1].dim_value = length
    if int32:
        original = graph_input.name
        inner = original + "_int64"
        for node in model.graph.node:
            for k, name in enumerate(node.input):
                if name == original:
                    node.input[k] = inner
        graph_input.type.tensor_type.elem_type = onnx.TensorProto.INT32
        cast = onnx.helper.make_node("Cast", [original], [inner], to=onnx.TensorProto.INT64)
        model.graph.node.insert(0, cast)
    onnx.save(model, str(path))


def test_fixed_batch_of_one_and_fixed_length_int32_text(
    bundle_copy, tiny_encoder, shape_library_48
):
    _fix_input(bundle_copy / "visual" / "model.onnx", batch=1)
    _fix_input(bundle_copy / "textual" / "model.onnx", length=77, int32=True)
    variant = ClipEncoder(ModelBundle.load(bundle_copy), provider="cpu")
    paths = [p.path for p in shape_library_48[:3]]
    np.testing.assert_allclose(
        variant.encode_images(paths), tiny_encoder.encode_images(paths), atol=1e-5
    )
    texts = ["a red circle", "a green star"]
    np.testing.assert_allclose(
        variant.encode_texts(texts), tiny_encoder.encode_texts(texts), atol=1e-5
    )


def test_auto_provider_with_the_cpu_build_does_not_import_onnxruntime():
    """Where only PyPI's CPU build is installed (as here), choosing the provider at start
    costs no import of ONNX Runtime; the window's first screen does not wait for it."""
    from photofind.core.clip.encoder import cpu_build_only

    if not cpu_build_only():
        pytest.skip("a CUDA build of ONNX Runtime is installed here")
    code = (
        "import sys; from photofind.core.clip.encoder import resolve_provider; "
        "print(resolve_provider('auto'), 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["cpu", "False"]


def test_auto_provider_asks_onnxruntime_when_a_cuda_build_may_be_installed(monkeypatch):
    from importlib import metadata

    from photofind.core.clip import encoder

    real = metadata.distribution

    def with_gpu_build(name: str):
        return real("onnxruntime") if name == "onnxruntime-gpu" else real(name)

    monkeypatch.setattr(metadata, "distribution", with_gpu_build)
    assert not encoder.cpu_build_only()
    asked = []
    monkeypatch.setattr(
        "onnxruntime.get_available_providers",
        lambda: asked.append(1) or ["CUDAExecutionProvider", "CPUExecutionProvider"],
    )
    assert encoder.resolve_provider("auto") == "cuda" and asked
