"""The CUDA provider on a GPU machine: parity with the CPU, and images/s by batch size.

    python benchmarks/gpu.py [--export-dir DIR]

Needs onnxruntime-gpu; exports a random full-size ViT-B/32 with models/export.py (torch and
transformers) unless ``benchmarks/.cache/vit-b32-random`` exists. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from photofind.core.clip import ClipEncoder, ModelBundle, find_model  # noqa: E402

BATCHES = (1, 8, 32, 64, 128, 256)


def images_per_s(encoder: ClipEncoder, batch: int, size: int, runs: int = 5) -> float:
    x = np.random.default_rng(0).standard_normal((batch, 3, size, size), dtype=np.float32)
    encoder.encode_image_batch(x)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        encoder.encode_image_batch(x)
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--export-dir", default=str(REPO / "benchmarks" / ".cache" / "vit-b32-random")
    )
    args = parser.parse_args()
    import onnxruntime as ort

    print("onnxruntime", ort.__version__, ort.get_available_providers())
    tiny = find_model("tiny-shapes")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gpu = ClipEncoder(tiny, provider="cuda")
        text_gpu = gpu.encode_texts(["a red circle", "a blue star"])
    print("tiny-shapes provider:", gpu.provider, "warnings:", [str(w.message) for w in caught])
    cpu = ClipEncoder(tiny, provider="cpu")
    x = np.random.default_rng(1).standard_normal((4, 3, 112, 112), dtype=np.float32)
    print(
        "tiny max |cuda - cpu| image:",
        float(np.abs(gpu.encode_image_batch(x) - cpu.encode_image_batch(x)).max()),
        "text:",
        float(np.abs(text_gpu - cpu.encode_texts(["a red circle", "a blue star"])).max()),
    )
    auto = ClipEncoder(tiny, provider="auto")
    print("auto resolves to:", auto.provider)

    export_dir = Path(args.export_dir)
    if not (export_dir / "visual" / "model.onnx").is_file():
        import importlib.util

        import torch
        from transformers import CLIPConfig, CLIPModel

        spec = importlib.util.spec_from_file_location("export", REPO / "models" / "export.py")
        export = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(export)
        torch.manual_seed(0)
        export.export_hf_clip(
            CLIPModel(CLIPConfig()).eval(), export_dir, tokenizer_json=tiny.tokenizer_json
        )
    bundle = ModelBundle.load(export_dir)
    vit = ClipEncoder(bundle, provider="cuda")
    vit_cpu = ClipEncoder(bundle, provider="cpu", threads=4)
    x = np.random.default_rng(2).standard_normal((8, 3, 224, 224), dtype=np.float32)
    print(
        "ViT-B/32 provider:",
        vit.provider,
        "max |cuda - cpu|:",
        float(np.abs(vit.encode_image_batch(x) - vit_cpu.encode_image_batch(x)).max()),
    )
    print("| batch | images/s (CUDA, fp32, ViT-B/32) |\n|---|---|")
    for b in BATCHES:
        print(f"| {b} | {images_per_s(vit, b, 224):.0f} |", flush=True)
    times = []
    for q in ["a dog on the beach", "a photo of my grandmother's garden in spring"] * 10:
        start = time.perf_counter()
        vit.encode_text(q)
        times.append(time.perf_counter() - start)
    print(f"text query on CUDA: median {statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
