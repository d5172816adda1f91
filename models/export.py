"""Export a CLIP model to a photofind / Immich-zoo model bundle (a developer tool).

This file is not part of the photofind package: it needs torch, transformers and onnx,
which photofind itself never imports. It writes a folder in the layout of the public
Immich CLIP zoo, which ``photofind.core.clip.ModelBundle`` loads as it is::

    config.json                    open_clip-style config (embed_dim, vision_cfg, text_cfg)
    visual/model.onnx              "image" float32 [batch, 3, S, S] -> "embedding" [batch, D]
    visual/model_int8.onnx         (with --quantize int8) dynamically quantised image tower
    visual/preprocess_cfg.json     size, mode, mean, std, interpolation, resize_mode
    textual/model.onnx             "text" int64 [batch, seq] -> "embedding" [batch, D]
    textual/tokenizer.json         HF tokenizers file
    textual/tokenizer_config.json  pad_token "!", model_max_length

Both embeddings are L2-normalised inside the graphs. The batch axis of both graphs and
the sequence axis of the text graph are dynamic, so photofind can run a query on its
real token count instead of all 77 positions (exact, because CLIP's text attention is
causal and pools at the end-of-text token). Every export is checked against torch with
onnxruntime (image tower at batch 1 and 3, text tower at 5 and 77 tokens) before it is
reported as done.

Usage::

    python models/export.py --hf HF_MODEL_DIR --out OUT_DIR [--tokenizer tokenizer.json]
                            [--quantize int8]

``HF_MODEL_DIR`` is a local transformers ``CLIPModel`` folder (config.json plus weights).
Its tokenizer.json is used when it has one, else ``--tokenizer`` (default: the standard
CLIP BPE tokenizer shipped with photofind's built-in tiny-shapes model). Mean, std and
interpolation come from its preprocessor_config.json when it has one, else the OpenAI
CLIP defaults. Nothing is downloaded: the hub cannot be reached from here.

``--open-clip NAME --checkpoint FILE`` is not supported: open_clip cannot be imported
without torchvision (its package ``__init__`` imports its torchvision-based training
transforms), and photofind's tool environment must not install torchvision. Convert the
checkpoint to a transformers CLIPModel folder elsewhere (transformers ships
``convert_clip_original_pytorch_to_hf.py``) and export that folder with ``--hf``.

From Python, :func:`export_hf_clip` exports any in-memory ``transformers.CLIPModel``;
its ``token_remap`` argument serves tiny models whose token-embedding table only has
rows for the few tokens their captions use.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOKENIZER = (
    REPO_ROOT / "photofind" / "builtin_models" / "tiny-shapes" / "textual" / "tokenizer.json"
)

BOS_TOKEN = "<|startoftext|>"
EOT_TOKEN = "<|endoftext|>"
PARITY_TOLERANCE = 1e-4
# PIL resample codes in preprocessor_config.json -> the filters photofind implements.
_PIL_RESAMPLE = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic"}


class ExportError(Exception):
    """Raised with one plain sentence that says what went wrong and what to do."""


# -- torch wrappers ------------------------------------------------------------------------


def _pooled(out: Any) -> Any:
    """``get_*_features`` returns a tensor (transformers 4) or a model output (transformers 5)."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    pooled = getattr(out, "pooler_output", None)
    if pooled is not None:
        return pooled
    if isinstance(out, tuple | list) and len(out) > 1:
        return out[1]  # (last_hidden_state, pooler_output)
    raise ExportError(f"Cannot find the pooled features in a {type(out).__name__}.")


def _wrappers(model: Any, token_remap: np.ndarray | None, eot_id: int) -> tuple[Any, Any]:
    import torch
    import torch.nn.functional as F

    class Visual(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            return F.normalize(_pooled(self.model.get_image_features(pixel_values=image)), dim=-1)

    class Textual(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, text: torch.Tensor) -> torch.Tensor:
            return F.normalize(_pooled(self.model.get_text_features(input_ids=text)), dim=-1)

    class RemappedTextual(torch.nn.Module):
        """Real token ids -> the small model's rows (a constant Gather), then the text model.

        Pooling uses the end-of-text position of the ORIGINAL ids: HF CLIP pools at the
        argmax of the ids (legacy eos_token_id == 2) or at the first id equal to
        eos_token_id, and neither rule can be trusted on remapped ids.
        """

        def __init__(self, remap: np.ndarray) -> None:
            super().__init__()
            self.model = model
            small = np.int16 if int(remap.max()) < 2**15 else np.int32
            self.register_buffer("remap", torch.from_numpy(remap.astype(small)), persistent=False)

        def forward(self, text: torch.Tensor) -> torch.Tensor:
            small_ids = self.remap[text].long()
            hidden = self.model.text_model(input_ids=small_ids, return_dict=True).last_hidden_state
            eot = (text == eot_id).int().argmax(dim=-1)
            pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), eot]
            return F.normalize(self.model.text_projection(pooled), dim=-1)

    textual = Textual() if token_remap is None else RemappedTextual(token_remap)
    return Visual().eval(), textual.eval()


# -- helpers --------------------------------------------------------------------------------


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _torch_run(module: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def _mb(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 2)


def _sample_images(n: int, size: int, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Half noise, half smooth colour gradients (closer to photos), normalised like CLIP."""
    rng = np.random.default_rng(0)
    images = rng.random((n, 3, size, size), dtype=np.float32)
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)
    for i in range(n // 2):
        phase = rng.random(3, dtype=np.float32)
        yy, xx = np.meshgrid(ramp, ramp, indexing="ij")
        for c in range(3):
            images[i, c] = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * (c + 1) + yy * (i + 1) + phase[c]))
    m = np.asarray(mean, dtype=np.float32)[None, :, None, None]
    s = np.asarray(std, dtype=np.float32)[None, :, None, None]
    return (images - m) / s


def _sample_ids(
    n: int, length: int, real: int, bos: int, eot: int, pool: np.ndarray, pad: int = 0
) -> np.ndarray:
    """``n`` sequences of ``length`` ids: BOS, ``real - 2`` ids drawn from ``pool``, EOT, pad."""
    rng = np.random.default_rng(length)
    ids = np.full((n, length), pad, dtype=np.int64)
    ids[:, 0] = bos
    ids[:, 1 : real - 1] = rng.choice(pool, size=(n, real - 2))
    ids[:, real - 1] = eot
    return ids


def _check(name: str, got: np.ndarray, want: np.ndarray, hint: str = "") -> float:
    diff = float(np.abs(got - want).max())
    if not diff <= PARITY_TOLERANCE:
        raise ExportError(
            f"The exported {name} differs from torch by {diff:.2e} (more than "
            f"{PARITY_TOLERANCE:g}); {hint or 'the export is wrong, do not use it'}."
        )
    return diff


def _tokenizer_info(tokenizer_json: Path) -> tuple[int, int, int]:
    """(vocab size, BOS id, EOT id) of a tokenizers file."""
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(tokenizer_json))
    except Exception as exc:  # tokenizers raises plain Exception for a bad file
        raise ExportError(f"{tokenizer_json} is not a valid tokenizers file ({exc}).") from exc
    bos, eot = tok.token_to_id(BOS_TOKEN), tok.token_to_id(EOT_TOKEN)
    if bos is None or eot is None:
        raise ExportError(
            f"{tokenizer_json} has no {BOS_TOKEN} / {EOT_TOKEN} tokens; use a CLIP BPE tokenizer."
        )
    return tok.get_vocab_size(with_added_tokens=True), bos, eot


def default_tokenizer_config(context_length: int = 77) -> dict[str, Any]:
    """The tokenizer_config.json of the Immich zoo (pads with "!", id 0, like open_clip)."""
    return {
        "add_prefix_space": False,
        "bos_token": BOS_TOKEN,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": EOT_TOKEN,
        "errors": "replace",
        "model_max_length": context_length,
        "pad_token": "!",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": EOT_TOKEN,
    }


def open_clip_config(model: Any, vocab_size: int | None = None) -> dict[str, Any]:
    """config.json in open_clip's layout, filled from a transformers CLIPModel config."""
    vc, tc = model.config.vision_config, model.config.text_config
    return {
        "embed_dim": int(model.config.projection_dim),
        "vision_cfg": {
            "image_size": int(vc.image_size),
            "patch_size": int(vc.patch_size),
            "width": int(vc.hidden_size),
            "layers": int(vc.num_hidden_layers),
            "heads": int(vc.num_attention_heads),
        },
        "text_cfg": {
            "context_length": int(tc.max_position_embeddings),
            "vocab_size": int(vocab_size if vocab_size is not None else tc.vocab_size),
            "width": int(tc.hidden_size),
            "layers": int(tc.num_hidden_layers),
            "heads": int(tc.num_attention_heads),
        },
        # What zero-shot labels scale cosines by (photofind.core.classify): the learned
        # temperature, capped at 100 as CLIP's training caps it. The ONNX towers leave it out.
        "logit_scale": round(min(float(model.logit_scale.detach().exp()), 100.0), 4),
    }


KNOWN_TOKENS_ABOUT = (
    "The token ids of textual/tokenizer.json that this text tower has rows for; every other "
    "token shares one untrained row, so words made of them are not understood. Written by "
    "models/export.py from its token_remap."
)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# -- quantisation -----------------------------------------------------------------------------


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


# -- export -----------------------------------------------------------------------------------


def export_hf_clip(
    model: Any,
    out_dir: Path,
    *,
    tokenizer_json: Path,
    tokenizer_config: dict[str, Any] | None = None,
    mean: Sequence[float] = CLIP_MEAN,
    std: Sequence[float] = CLIP_STD,
    interpolation: str = "bicubic",
    resize_mode: str = "shortest",
    token_remap: np.ndarray | None = None,
    quantize: str | None = None,
    opset: int = 17,
) -> dict[str, Any]:
    """Export a ``transformers.CLIPModel`` to a bundle in ``out_dir`` and check it.

    ``token_remap``: optional integer array, one entry per token of ``tokenizer_json``
    (49408 for the CLIP BPE), giving the row of the model's token-embedding table for each
    real token id. The text graph then takes real token ids, maps them with a constant
    Gather, and pools at the end-of-text position of the real ids.

    ``quantize="int8"`` also writes ``visual/model_int8.onnx``; without it an older
    ``model_int8.onnx`` in ``out_dir`` is deleted, since it would no longer match.

    The model is moved to the CPU, cast to float32 and put in eval mode (in place). Graphs
    over 2 GiB (ViT-bigG and up) are not supported: the exporter would need external data.

    Returns a report: sizes in MiB, the largest |onnx - torch| of each tower, the int8
    cosine to fp32 and size ratio, and the seconds taken. Raises :class:`ExportError`.
    """
    import torch

    started = time.perf_counter()
    out_dir = Path(out_dir)
    tokenizer_json = Path(tokenizer_json)
    if quantize not in (None, "int8"):
        raise ExportError(f"Unknown quantisation '{quantize}'; the only choice is int8.")
    if not tokenizer_json.is_file():
        raise ExportError(f"The tokenizer file {tokenizer_json} does not exist.")
    vocab_size, bos_id, eot_id = _tokenizer_info(tokenizer_json)

    vc, tc = model.config.vision_config, model.config.text_config
    size, context = int(vc.image_size), int(tc.max_position_embeddings)
    model_vocab = int(model.text_model.embeddings.token_embedding.num_embeddings)
    if token_remap is not None:
        token_remap = np.asarray(token_remap)
        if token_remap.ndim != 1 or not np.issubdtype(token_remap.dtype, np.integer):
            raise ExportError("token_remap must be a one-dimensional integer array.")
        if len(token_remap) != vocab_size:
            raise ExportError(
                f"token_remap has {len(token_remap)} entries but the tokenizer has "
                f"{vocab_size} tokens; give one row index per token."
            )
        if token_remap.min() < 0 or token_remap.max() >= model_vocab:
            raise ExportError(
                f"token_remap points outside the model's {model_vocab} token-embedding rows."
            )
        token_remap = token_remap.astype(np.int64)
    elif model_vocab < vocab_size:
        raise ExportError(
            f"The model has {model_vocab} token embeddings but the tokenizer has {vocab_size} "
            "tokens; pass token_remap or use the model's own tokenizer."
        )

    model = model.float().cpu().eval()
    visual, textual = _wrappers(model, token_remap, eot_id)
    (out_dir / "visual").mkdir(parents=True, exist_ok=True)
    (out_dir / "textual").mkdir(parents=True, exist_ok=True)
    visual_path = out_dir / "visual" / "model.onnx"
    textual_path = out_dir / "textual" / "model.onnx"
    int8_path = out_dir / "visual" / "model_int8.onnx"
    int8_path.unlink(missing_ok=True)  # never leave an int8 file from an older export

    # Token ids the checks feed: for a remapped model, the tokens it has rows of.
    if token_remap is None:
        pool = np.setdiff1d(np.arange(1, min(model_vocab, vocab_size)), [bos_id, eot_id])
    else:
        rows, counts = np.unique(token_remap, return_counts=True)
        special = {token_remap[bos_id], token_remap[eot_id], token_remap[0]}
        own = [r for r, c in zip(rows, counts, strict=True) if c == 1 and r not in special]
        pool = np.array([int(np.flatnonzero(token_remap == r)[0]) for r in own], dtype=np.int64)
        if pool.size == 0:
            pool = np.setdiff1d(np.arange(1, vocab_size), [bos_id, eot_id])

    images = _sample_images(4, size, mean, std)
    ids = _sample_ids(2, context, min(10, context), bos_id, eot_id, pool)

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about python bools in HF code
        torch.onnx.export(
            visual,
            (torch.from_numpy(images[:2]),),
            str(visual_path),
            input_names=["image"],
            output_names=["embedding"],
            dynamic_axes={"image": {0: "batch"}, "embedding": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
        torch.onnx.export(
            textual,
            (torch.from_numpy(ids),),
            str(textual_path),
            input_names=["text"],
            output_names=["embedding"],
            dynamic_axes={"text": {0: "batch", 1: "sequence"}, "embedding": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )

    # Parity: image tower at batch 1 and 3, text tower at 5 tokens and at 77 (padded).
    v_sess, t_sess = _session(visual_path), _session(textual_path)
    visual_diff = max(
        _check("image tower", v_sess.run(None, {"image": batch})[0], _torch_run(visual, batch))
        for batch in (images[:1], images[1:4])
    )
    text_batches = [
        _sample_ids(3, 5, 5, bos_id, eot_id, pool),
        _sample_ids(3, context, min(12, context), bos_id, eot_id, pool),
    ]
    text_diff = max(
        _check("text tower", t_sess.run(None, {"text": t})[0], _torch_run(textual, t))
        for t in text_batches
    )
    report: dict[str, Any] = {
        "out_dir": str(out_dir),
        "embed_dim": int(model.config.projection_dim),
        "image_size": size,
        "visual_mb": _mb(visual_path),
        "textual_mb": _mb(textual_path),
        "visual_max_abs_diff": visual_diff,
        "textual_max_abs_diff": text_diff,
    }
    if token_remap is not None:
        # The remapped graph must equal the small model run directly on remapped ids.
        direct = max(
            _check(
                "remapped text tower",
                t_sess.run(None, {"text": t})[0],
                _torch_run(lambda x: _direct_text(model, x), token_remap[t]),
                "the model does not pool at the end-of-text token of remapped ids, so set its "
                f"text_config.eos_token_id to token_remap[{eot_id}] = {token_remap[eot_id]}",
            )
            for t in text_batches
        )
        report["remap_max_abs_diff"] = direct

    # Bundle metadata.
    _write_json(
        out_dir / "config.json",
        open_clip_config(model, vocab_size=vocab_size if token_remap is not None else None),
    )
    _write_json(
        out_dir / "visual" / "preprocess_cfg.json",
        {
            "size": [size, size],
            "mode": "RGB",
            "mean": [float(x) for x in mean],
            "std": [float(x) for x in std],
            "interpolation": interpolation,
            "resize_mode": resize_mode,
            "fill_color": 0,
        },
    )
    if tokenizer_json.resolve() != (out_dir / "textual" / "tokenizer.json").resolve():
        shutil.copyfile(tokenizer_json, out_dir / "textual" / "tokenizer.json")
    tok_cfg = dict(tokenizer_config) if tokenizer_config else default_tokenizer_config(context)
    tok_cfg.setdefault("model_max_length", context)
    _write_json(out_dir / "textual" / "tokenizer_config.json", tok_cfg)
    known = out_dir / "textual" / "known_tokens.json"
    if token_remap is not None:
        # Row 0 is the one every unused token shares: photofind warns about words that
        # fall on it (photofind.core.understanding) instead of ranking them as noise.
        ids = np.flatnonzero(np.asarray(token_remap) != 0).tolist()
        _write_json(known, {"about": KNOWN_TOKENS_ABOUT, "token_ids": ids})
    elif known.exists():
        known.unlink()  # a full vocabulary now: an old list would raise false warnings

    if quantize == "int8":
        # The same quantisation 'photofind model install --int8' runs on downloaded models.
        from photofind.core.models.quantize import quantize_visual_int8

        quantize_visual_int8(visual_path, int8_path)
        fp32 = v_sess.run(None, {"image": images})[0]
        int8 = _session(int8_path).run(None, {"image": images})[0]
        cosine = _cosine(fp32, int8)
        report.update(
            int8_mb=_mb(int8_path),
            int8_size_ratio=round(int8_path.stat().st_size / visual_path.stat().st_size, 3),
            int8_cosine_mean=round(float(cosine.mean()), 5),
            int8_cosine_min=round(float(cosine.min()), 5),
        )
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _direct_text(model: Any, ids: Any) -> Any:
    import torch.nn.functional as F

    return F.normalize(_pooled(model.get_text_features(input_ids=ids)), dim=-1)


# -- CLI --------------------------------------------------------------------------------------


def _hf_preprocess(folder: Path) -> dict[str, Any]:
    """mean/std/interpolation/resize_mode from a preprocessor_config.json, else CLIP's."""
    path = folder / "preprocessor_config.json"
    if not path.is_file():
        return {}
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path} is not valid JSON ({exc}).") from exc
    out: dict[str, Any] = {}
    if cfg.get("image_mean") is not None:
        out["mean"] = tuple(float(x) for x in cfg["image_mean"])
    if cfg.get("image_std") is not None:
        out["std"] = tuple(float(x) for x in cfg["image_std"])
    resample = cfg.get("resample")
    if resample in _PIL_RESAMPLE:
        out["interpolation"] = _PIL_RESAMPLE[resample]
    size = cfg.get("size")
    if cfg.get("do_center_crop") is False and isinstance(size, dict) and "height" in size:
        out["resize_mode"] = "squash"
    return out


def load_hf_folder(folder: Path) -> Any:
    """A float32 ``CLIPModel`` from a local transformers folder, in eval mode."""
    import torch
    from transformers import CLIPModel

    if not (folder / "config.json").is_file():
        raise ExportError(f"{folder} is not a transformers model folder (it has no config.json).")
    try:
        model_type = json.loads((folder / "config.json").read_text(encoding="utf-8")).get(
            "model_type"
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{folder / 'config.json'} is not valid JSON ({exc}).") from exc
    if model_type != "clip":
        raise ExportError(
            f"{folder} holds a '{model_type}' model; only transformers CLIP models are supported."
        )
    try:
        model = CLIPModel.from_pretrained(str(folder), dtype=torch.float32)
    except Exception as exc:  # transformers raises many types for a bad folder
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = first[:200].rstrip(". ")
        raise ExportError(f"{folder} cannot be loaded as a CLIPModel ({first}).") from exc
    return model.eval()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python models/export.py",
        description="Export a CLIP model to a photofind / Immich-zoo ONNX bundle.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--hf", type=Path, metavar="DIR", help="local transformers CLIP folder")
    source.add_argument("--open-clip", metavar="NAME", help="open_clip model name (unsupported)")
    parser.add_argument("--checkpoint", type=Path, help="open_clip checkpoint (unsupported)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="bundle folder")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        help="tokenizer.json when the folder has none (default: photofind's CLIP BPE copy)",
    )
    parser.add_argument("--quantize", choices=["int8"], help="also write visual/model_int8.onnx")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args(argv)

    try:
        if args.open_clip is not None:
            raise ExportError(
                "open_clip checkpoints cannot be exported here because open_clip does not "
                "import without torchvision, which this tool must not install; convert the "
                "checkpoint to a transformers CLIP folder and use --hf."
            )
        folder: Path = args.hf
        if not folder.is_dir():
            raise ExportError(f"The folder {folder} does not exist.")
        tokenizer = folder / "tokenizer.json"
        if not tokenizer.is_file():
            tokenizer = args.tokenizer or DEFAULT_TOKENIZER
        if not tokenizer.is_file():
            raise ExportError(
                f"{folder} has no tokenizer.json and {tokenizer} does not exist; "
                "pass --tokenizer with a CLIP tokenizer.json."
            )
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = load_hf_folder(folder)
        print(f"Exporting {folder} to {args.out} ...", file=sys.stderr)
        report = export_hf_clip(
            model,
            args.out,
            tokenizer_json=tokenizer,
            quantize=args.quantize,
            opset=args.opset,
            **_hf_preprocess(folder),
        )
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a tool for people: one sentence, not a traceback
        print(f"error: the export failed ({type(exc).__name__}: {exc}).", file=sys.stderr)
        return 1
    for key, value in report.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
