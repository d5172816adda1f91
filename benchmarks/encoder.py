"""CPU throughput of photofind's ClipEncoder on a full-size ViT-B/32 bundle.

    python benchmarks/encoder.py [--rebuild] [--runs 5] [--threads N]

The first run exports a randomly initialised ViT-B/32 (transformers ``CLIPConfig()``,
seed 0) with an int8 image tower into ``benchmarks/.cache/vit-b32-random/`` (~30 s,
needs torch and transformers); later runs only need photofind. Random weights cost
exactly as much compute as trained ones, so the speeds hold for a real ViT-B/32; the
int8 cosine does not carry over (trained weights have activation outliers that random
ones lack): models/export.py reports it for each real model it quantises.

Printed: images/s at batch 1, 8 and 32 for fp32 and int8 (median of ``--runs`` timed
runs after one warm-up; also process CPU ms per image, which other work on the
shared machine skews less), text-query latency padded to 77 tokens vs trimmed to the real
token count (median over 20 queries, tokenisation included), and the int8 cosine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from photofind.core.clip import ClipEncoder, ModelBundle  # noqa: E402

CACHE = REPO / "benchmarks" / ".cache" / "vit-b32-random"
TOKENIZER = REPO / "photofind" / "builtin_models" / "tiny-shapes" / "textual" / "tokenizer.json"
BATCHES = (1, 8, 32)
QUERIES = [
    "dog",
    "a cat",
    "sunset at the beach",
    "red car",
    "birthday cake with candles",
    "snow on mountains",
    "two people hiking in a forest",
    "a plate of pasta",
    "city skyline at night",
    "my kids playing football in the garden",
    "old black and white photo of a house",
    "screenshot",
    "receipt",
    "a bicycle leaning against a brick wall",
    "fireworks",
    "a whiteboard covered in handwritten notes from the planning meeting",
    "boat",
    "flowers in a vase on the kitchen table",
    "selfie with sunglasses",
    "a long exposure photo of stars over a lake with a wooden pier in the foreground",
]


def build_bundle(path: Path) -> None:
    import torch
    from transformers import CLIPConfig, CLIPModel

    spec = importlib.util.spec_from_file_location("photofind_export", REPO / "models" / "export.py")
    export = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export)
    print(f"building {path} (random ViT-B/32, fp32 + int8) ...", flush=True)
    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig()).eval()
    # Other benchmarks read this folder too: build beside it, then swap it in whole.
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    report = export.export_hf_clip(model, tmp, tokenizer_json=TOKENIZER, quantize="int8")
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
    print(f"  built in {report['seconds']} s", flush=True)


def timed(fn, runs: int) -> tuple[float, float]:
    """Median (wall seconds, process CPU seconds) of ``runs`` calls after one warm-up.

    CPU seconds are what the work costs however busy the machine is (onnxruntime's
    threads spin briefly while waiting, so they run a little high).
    """
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="export the bundle again")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads")
    args = parser.parse_args()

    if args.rebuild or not (CACHE / "visual" / "model_int8.onnx").is_file():
        build_bundle(CACHE)
    bundle = ModelBundle.load(CACHE)
    encoders = {
        "fp32": ClipEncoder(bundle, provider="cpu", threads=args.threads),
        "int8": ClipEncoder(bundle, provider="cpu", threads=args.threads, int8=True),
    }

    import onnxruntime

    print(
        f"ClipEncoder, random ViT-B/32 bundle, provider cpu, {os.cpu_count()} cores, "
        f"threads {args.threads or os.cpu_count()}, onnxruntime {onnxruntime.__version__}, "
        f"{platform.processor() or platform.machine()}, load average "
        f"{os.getloadavg()[0]:.1f} (other work on the machine skews the numbers)"
    )
    rng = np.random.default_rng(0)
    size = bundle.preprocess.size
    print(f"\nimage tower, images/s (median of {args.runs} runs)")
    print(
        f"  {'batch':>5}  {'fp32':>8}  {'int8':>8}  {'speed-up':>8}   "
        f"{'fp32 cpu-ms/img':>15}  {'int8 cpu-ms/img':>15}"
    )
    for batch in BATCHES:
        images = rng.standard_normal((batch, 3, size, size)).astype(np.float32)
        t = {
            kind: timed(lambda enc=enc, x=images: enc.encode_image_batch(x), args.runs)
            for kind, enc in encoders.items()
        }
        rate = {kind: batch / wall for kind, (wall, _) in t.items()}
        cpu_ms = {kind: cpu / batch * 1000 for kind, (_, cpu) in t.items()}
        print(
            f"  {batch:>5}  {rate['fp32']:>8.1f}  {rate['int8']:>8.1f}  "
            f"{rate['int8'] / rate['fp32']:>7.2f}x   {cpu_ms['fp32']:>15.1f}  "
            f"{cpu_ms['int8']:>15.1f}"
        )

    fp32 = encoders["fp32"]
    _, lengths = fp32.tokenizer.encode(QUERIES)
    ms, cpu_ms = {}, {}
    for trim in (False, True):
        per_query = [timed(lambda q=q, t=trim: fp32.encode_texts([q], trim=t), 3) for q in QUERIES]
        ms[trim] = statistics.median(wall for wall, _ in per_query) * 1000
        cpu_ms[trim] = statistics.median(cpu for _, cpu in per_query) * 1000
    print(
        f"\ntext query, ms (median over {len(QUERIES)} queries of {int(lengths.min())}-"
        f"{int(lengths.max())} tokens, median {int(np.median(lengths))})"
    )
    print(f"  padded to 77   {ms[False]:7.2f}   (cpu {cpu_ms[False]:.1f})")
    print(
        f"  trimmed        {ms[True]:7.2f}   (cpu {cpu_ms[True]:.1f}; "
        f"{ms[False] / ms[True]:.1f}x faster)"
    )
    token_ms = timed(lambda: [fp32.tokenizer.encode([q]) for q in QUERIES], 3)[0] * 1000
    print(f"  tokenising     {token_ms / len(QUERIES):7.3f}   (included above)")

    images = rng.standard_normal((16, 3, size, size)).astype(np.float32)
    a = encoders["fp32"].encode_image_batch(images)
    b = encoders["int8"].encode_image_batch(images)
    cosine = (a * b).sum(axis=1)
    sizes = bundle.visual_model_int8.stat().st_size / bundle.visual_model.stat().st_size
    print(
        f"\nint8 vs fp32 image embeddings: cosine mean {cosine.mean():.5f}, "
        f"min {cosine.min():.5f} (16 random inputs); int8 file {sizes:.0%} of fp32"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
