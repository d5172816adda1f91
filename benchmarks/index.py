"""Indexing throughput on 12-megapixel JPEGs with a full-size ViT-B/32, three ways, one run.

    python benchmarks/index.py [--n 48] [--runs 3] [--thumbnails-ab]

1. **model alone**: ``ClipEncoder.encode_image_batch`` on tensors decoded beforehand
   (batches of the indexer's CPU batch size): the ceiling for any pipeline.
2. **photofind**: ``Indexer.run`` on a fresh data dir: scan, read, hash, draft-decode and
   preprocess on worker threads a bounded number of batches ahead, encode, commit to SQLite,
   add to HNSW, save. Wall time from start to the last progress item.
3. **seed pipeline** (the seed documents' example): one image at a time, full decode, the
   same preprocessing, torch eager ``CLIPModel.get_image_features``.

The ViT-B/32 has random weights (same compute as a trained one); the bundle is shared with
``benchmarks/encoder.py`` in ``benchmarks/.cache/``. The JPEGs are generated shape photos
with sensor-like noise so that they weigh what camera files weigh (~3-4 MB at 12 MP).
Prints medians over ``--runs``; never asserts.

``--thumbnails-ab`` measures only what writing the grid thumbnails from the indexer's own
decode costs: photofind with them and without (``indexer(thumbnails=None)``), alternating
within each run so both see the same load.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from photofind.core.clip import ClipEncoder, ModelBundle  # noqa: E402
from photofind.core.config import app_paths  # noqa: E402
from photofind.core.indexer import CPU_BATCH  # noqa: E402
from photofind.core.library import open_library  # noqa: E402
from photofind.core.shapes import all_classes, render  # noqa: E402

CACHE = REPO / "benchmarks" / ".cache"
BUNDLE = CACHE / "vit-b32-random"
PHOTOS = CACHE / "jpeg-12mp"


def _encoder_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_encoder", REPO / "benchmarks" / "encoder.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_photos(n: int) -> list[Path]:
    PHOTOS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(12)
    noise_rng = np.random.default_rng(12)
    classes = all_classes()
    paths = []
    for i in range(n):
        path = PHOTOS / f"{i:04d}.jpg"
        if not path.exists():
            img = np.asarray(render(*classes[i % len(classes)], (4000, 3000), rng), dtype=np.int16)
            img = img + noise_rng.normal(0, 10, img.shape).astype(np.int16)
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=92)
        paths.append(path)
    return paths


def model_alone(encoder: ClipEncoder, tensors: np.ndarray) -> float:
    start = time.perf_counter()
    for i in range(0, len(tensors), CPU_BATCH):
        encoder.encode_image_batch(tensors[i : i + CPU_BATCH])
    return len(tensors) / (time.perf_counter() - start)


def photofind_pipeline(folder: Path, n: int, thumbnails: bool = True) -> float:
    data = Path(tempfile.mkdtemp(prefix="photofind-bench-"))
    try:
        library = open_library(app_paths(data), str(BUNDLE), "cpu")
        library.catalog.add_folder(folder)
        options = {} if thumbnails else {"thumbnails": None}
        start = time.perf_counter()
        for progress in library.indexer(**options).run():
            last = progress
        elapsed = time.perf_counter() - start
        assert last.indexed == n, last
        library.close()
        return n / elapsed
    finally:
        shutil.rmtree(data, ignore_errors=True)


def seed_pipeline(paths: list[Path], preprocessor) -> float:
    import torch
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig()).eval()
    torch.set_num_threads(os.cpu_count() or 1)
    start = time.perf_counter()
    with torch.inference_mode():
        for path in paths:
            img = Image.open(path).convert("RGB")  # full decode
            x = torch.from_numpy(preprocessor(img))[None]
            out = model.get_image_features(pixel_values=x)
            out = out if hasattr(out, "shape") else out.pooler_output
            torch.nn.functional.normalize(out, dim=-1)
    return len(paths) / (time.perf_counter() - start)


def thumbnails_ab(folder: Path, n: int, runs: int) -> None:
    rates: dict[bool, list[float]] = {True: [], False: []}
    for run in range(runs):
        order = (True, False) if run % 2 == 0 else (False, True)
        for on in order:
            rates[on].append(photofind_pipeline(folder, n, thumbnails=on))
        print(f"run {run + 1}: thumbnails on {rates[True][-1]:.2f}, off {rates[False][-1]:.2f} images/s",
              flush=True)  # fmt: skip
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    print(f"\nmedian images/s: thumbnails on {on:.2f}, off {off:.2f} ({on / off - 1:+.1%})")
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=48, help="number of 12 MP JPEGs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument(
        "--thumbnails-ab",
        action="store_true",
        help="only photofind, with and without writing thumbnails",
    )
    args = parser.parse_args()

    if not (BUNDLE / "visual" / "model.onnx").is_file():
        _encoder_bench().build_bundle(BUNDLE)
    paths = make_photos(args.n)
    folder = Path(tempfile.mkdtemp(prefix="photofind-bench-photos-"))
    for p in paths:  # a folder holding exactly n photos, without copying megabytes
        os.symlink(p, folder / p.name)
    encoder = ClipEncoder(ModelBundle.load(BUNDLE), provider="cpu")
    size_mb = statistics.mean(p.stat().st_size for p in paths) / 1e6
    print(
        f"{args.n} JPEGs, 4000x3000, {size_mb:.1f} MB each; ViT-B/32 random; {os.cpu_count()} cores"
    )
    if args.thumbnails_ab:
        thumbnails_ab(folder, args.n, args.runs)
        return
    tensors = np.stack([encoder.preprocessor.load(p) for p in paths])
    results: dict[str, list[float]] = {"model alone": [], "photofind": [], "seed pipeline": []}
    for run in range(args.runs):
        results["model alone"].append(model_alone(encoder, tensors))
        results["photofind"].append(photofind_pipeline(folder, args.n))
        if not args.skip_seed:
            results["seed pipeline"].append(seed_pipeline(paths, encoder.preprocessor.__call__))
        print(
            f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in results.items() if v),
            flush=True,
        )
    med = {k: statistics.median(v) for k, v in results.items() if v}
    print()
    print("| pipeline | images/s (median) |")
    print("|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:.2f} |")
    print(f"\nphotofind / model alone: {med['photofind'] / med['model alone']:.0%}")
    if "seed pipeline" in med:
        print(f"photofind / seed pipeline: {med['photofind'] / med['seed pipeline']:.1f}x")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
