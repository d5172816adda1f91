"""Train ``tiny-shapes``: a small CLIP that knows six colours and four shapes.

It exists so that tests, CI and the offline demo run the real photofind pipeline (bundle,
tokeniser, ONNX Runtime, preprocessing) without downloading a model. Dev tool only: needs
torch (``pip install torch==2.13.0``) and transformers.

    python models/train_tiny.py --out photofind/builtin_models/tiny-shapes --minutes 10

Recipe (measured on 2 CPU cores, see ../shared/notes/measured.md): a transformers
``CLIPModel`` with a 64-wide, 2-layer vision tower (112 px input, patch 16) and text tower, trained with a
class-aware contrastive loss (every caption of the same colour+shape counts as a positive)
on pre-rendered 112x112 crops stored as uint8, AdamW 2e-3, warm-up then cosine decay.
The text tower uses the real CLIP BPE tokeniser; only the token rows the captions use are
trained, and the export maps every other token to one shared row (``token_remap``), which
keeps the bundle a few MB instead of 13 MB for the full 49408-row table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind.core.clip.preprocess import PreprocessConfig, Preprocessor  # noqa: E402
from photofind.core.clip.tokenizer import ClipTokenizer  # noqa: E402
from photofind.core.shapes import all_classes, iter_training_images  # noqa: E402

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGE_SIZE = 112  # with patch 16: 7x7 patches like ViT-B/32 at 224, at a quarter of the pixels
TEMPLATES = (
    "a {c} {s}",
    "a photo of a {c} {s}",
    "a picture of a {c} {s}",
    "a {c} {s} on a plain background",
    "{c} {s}",
    "a {s} that is {c}",
    "a drawing of a {c} {s}",
    "an image of a {c} {s}",
)
RENDER_CHUNK = 500  # images per worker task: large enough to amortise process overhead


def _load_export_module():
    spec = importlib.util.spec_from_file_location("photofind_export", ROOT / "models" / "export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render_chunk(args: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Render, degrade like real files (JPEG, palette, CMYK round trips), and crop to uint8."""
    import io

    from PIL import Image

    count, seed = args
    rng = random.Random(seed)
    # Mean 0 / std 1 turns photofind's own preprocessing into "resize + crop + /255".
    unit = Preprocessor(PreprocessConfig(size=IMAGE_SIZE, mean=(0, 0, 0), std=(1, 1, 1)))
    classes = {cls: i for i, cls in enumerate(all_classes())}
    images = np.empty((count, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    labels = np.empty(count, dtype=np.int64)
    for k, (img, colour, shape) in enumerate(iter_training_images(count, seed=seed)):
        roll = rng.random()
        if roll < 0.4:
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=rng.randint(60, 95))
            img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        elif roll < 0.5:
            img = img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).convert("RGB")
        elif roll < 0.6:
            img = img.convert("CMYK").convert("RGB")
        images[k] = np.clip(np.rint(unit(img) * 255), 0, 255).astype(np.uint8)
        labels[k] = classes[(colour, shape)]
    return images, labels


def render_dataset(count: int, seed: int, workers: int) -> tuple[np.ndarray, np.ndarray]:
    tasks = [
        (min(RENDER_CHUNK, count - i), seed * 100_003 + i) for i in range(0, count, RENDER_CHUNK)
    ]
    with Pool(workers) as pool:
        parts = pool.map(_render_chunk, tasks)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def build_captions(tokenizer: ClipTokenizer, vocab: int):
    """Token ids of every caption, and the remap from CLIP's vocabulary to the small table."""
    captions: list[list[str]] = []
    for colour, shape in all_classes():
        captions.append([t.format(c=colour, s=shape) for t in TEMPLATES])
    flat = [c for group in captions for c in group]
    ids, lengths = tokenizer.encode(flat)
    used = sorted(set(ids[ids != tokenizer.pad_id].tolist()) - {tokenizer.eot_id})
    remap = np.zeros(vocab, dtype=np.int64)  # row 0: every token the captions never use
    for row, token in enumerate(used, start=1):
        remap[token] = row
    eot_row = len(used) + 1  # the largest row id, and the text tower's eos_token_id
    remap[tokenizer.eot_id] = eot_row
    small = remap[ids].reshape(len(captions), len(TEMPLATES), -1)
    return small, lengths.reshape(len(captions), len(TEMPLATES)), remap, eot_row + 1


def make_model(text_vocab: int, eos_row: int):
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config=dict(
            vocab_size=text_vocab,
            hidden_size=64,
            intermediate_size=256,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
            eos_token_id=eos_row,
            bos_token_id=0,
            pad_token_id=0,
        ),
        vision_config=dict(
            hidden_size=64,
            intermediate_size=256,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=IMAGE_SIZE,
            patch_size=16,
        ),
        projection_dim=64,
    )
    return CLIPModel(config)


def _features(out):
    return out if hasattr(out, "shape") else out.pooler_output


def train(args: argparse.Namespace) -> None:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    out_dir = Path(args.out)
    tokenizer_json = Path(args.tokenizer)
    tokenizer = ClipTokenizer.from_files(
        tokenizer_json, tokenizer_json.with_name("tokenizer_config.json"), context_length=77
    )
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(tokenizer_json)).get_vocab_size()
    caption_ids, caption_lengths, remap, text_vocab = build_captions(tokenizer, vocab)
    max_len = int(caption_lengths.max())
    caption_ids = torch.from_numpy(caption_ids[:, :, :max_len].copy())

    t0 = time.time()
    images, labels = render_dataset(args.samples, args.seed, args.workers)
    print(f"rendered {len(images)} training images in {time.time() - t0:.0f} s", flush=True)
    images_t = torch.from_numpy(images)
    labels_t = torch.from_numpy(labels)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1) * 255
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1) * 255

    model = make_model(text_vocab, eos_row=text_vocab - 1)
    model.train()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "embedding" in n]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
    )
    budget = args.minutes * 60
    start = time.time()
    step = 0
    total_steps = None
    warmup = 100
    while True:
        elapsed = time.time() - start
        if total_steps is None and step == 30:
            total_steps = max(200, int(30 * budget / elapsed))
            print(f"~{elapsed / 30:.2f} s/step: planning {total_steps} steps", flush=True)
        if total_steps is not None and step >= total_steps:
            break
        horizon = total_steps or 10**6
        lr = (
            args.lr
            * min(1.0, (step + 1) / warmup)
            * 0.5
            * (1 + math.cos(math.pi * min(1.0, step / horizon)))
        )
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.from_numpy(rng.integers(0, len(images_t), args.batch))
        x = images_t[idx].float()
        if rng.random() < 0.5:
            x = x.flip(3)
        x = (x - mean) / std
        y = labels_t[idx]
        tmpl = torch.from_numpy(rng.integers(0, len(TEMPLATES), args.batch))
        ids = caption_ids[y, tmpl]
        img = F.normalize(_features(model.get_image_features(pixel_values=x)), dim=-1)
        txt = F.normalize(_features(model.get_text_features(input_ids=ids)), dim=-1)
        logits = model.logit_scale.exp().clamp(max=100) * img @ txt.T
        same = (y[:, None] == y[None, :]).float()
        target = same / same.sum(1, keepdim=True)
        loss = (
            -(target * F.log_softmax(logits, 1)).sum(1).mean()
            - (target * F.log_softmax(logits.T, 1)).sum(1).mean()
        ) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            acc = (logits.argmax(1) == torch.arange(len(y))).float()
            hit = same[torch.arange(len(y)), logits.argmax(1)].mean()
            print(
                f"step {step}/{total_steps} loss {loss.item():.3f} class-hit {hit:.3f} "
                f"lr {lr:.2e} {time.time() - start:.0f}s",
                flush=True,
            )
            del acc
    model.eval()
    ckpt = ROOT / "models" / ".cache" / "tiny-shapes.pt"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"state": model.state_dict(), "config": model.config.to_dict(), "remap": remap}, ckpt
    )
    print(f"saved checkpoint {ckpt}", flush=True)
    export(model, remap, out_dir, tokenizer_json)


def export(model, remap: np.ndarray, out_dir: Path, tokenizer_json: Path) -> None:
    exporter = _load_export_module()
    config = json.loads(tokenizer_json.with_name("tokenizer_config.json").read_text())
    report = exporter.export_hf_clip(
        model,
        out_dir,
        tokenizer_json=tokenizer_json,
        tokenizer_config=config,
        mean=CLIP_MEAN,
        std=CLIP_STD,
        token_remap=remap,
    )
    print(json.dumps(report, indent=2, default=str), flush=True)


def export_checkpoint(args: argparse.Namespace) -> None:
    import torch
    from transformers import CLIPConfig, CLIPModel

    ckpt = torch.load(ROOT / "models" / ".cache" / "tiny-shapes.pt", weights_only=False)
    model = CLIPModel(CLIPConfig.from_dict(ckpt["config"]))
    model.load_state_dict(ckpt["state"])
    model.eval()
    export(model, ckpt["remap"], Path(args.out), Path(args.tokenizer))


def main() -> None:
    default_out = ROOT / "photofind" / "builtin_models" / "tiny-shapes"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(default_out))
    parser.add_argument(
        "--tokenizer",
        default=str(default_out / "textual" / "tokenizer.json"),
        help="CLIP tokenizer.json (made by models/make_tokenizer.py)",
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--samples", type=int, default=16000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--export-only", action="store_true", help="re-export models/.cache/tiny-shapes.pt"
    )
    args = parser.parse_args()
    if args.export_only:
        export_checkpoint(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
