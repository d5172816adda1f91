"""Small generated model bundles with the signatures found in the public Immich CLIP zoo.

Real zoo models are hundreds of megabytes and cannot be downloaded in tests, so each
variant is rebuilt here in miniature: the same folder layout, config keys, tokenizer kind,
graph input names, dtypes and fixed or dynamic axes, with a few kilobytes of random
weights. The graphs are simple enough that a test can compute the expected embedding
with NumPy:

* text: token ids -> rows of an embedding table -> pooled over the sequence
  (``mean`` of every position, ``masked_mean`` under the attention mask, ``first`` or
  ``last`` position) -> a projection matrix;
* image: per-channel mean over the whole tensor -> a projection matrix.

The tokenizers are trained on a dozen sentences with the tokenizers library itself:
SentencePiece-style Unigram models with the special tokens and post-processors of
SigLIP (``… </s>``), XLM-RoBERTa (``<s> … </s>``, pad id 1) and NLLB (``eng_Latn … </s>``,
FLORES-200 language tokens).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

OPSET = 17
CORPUS = [
    "a photo of a bicycle",
    "a red car on the street",
    "a dog on the beach",
    "the cat sleeps on a sofa",
    "mountains under a blue sky",
    "ein Fahrrad am See",
    "un chat sur le canapé",
    "一辆自行车",
    "海滩上的狗",
    "自転車に乗る",
    "собака на пляже",
    "велосипед у озера",
]
FLORES_CODES = ("eng_Latn", "zho_Hans", "jpn_Jpan", "rus_Cyrl", "deu_Latn", "fra_Latn")
PREPROCESS_CLIP = {
    "size": [32, 32],
    "mode": "RGB",
    "mean": [0.48145466, 0.4578275, 0.40821073],
    "std": [0.26862954, 0.26130258, 0.27577711],
    "interpolation": "bicubic",
    "resize_mode": "shortest",
}
PREPROCESS_SIGLIP = {
    "size": [32, 32],
    "mode": "RGB",
    "mean": [0.5, 0.5, 0.5],
    "std": [0.5, 0.5, 0.5],
    "interpolation": "bicubic",
    "resize_mode": "squash",
}


# -- tokenizers ----------------------------------------------------------------------------


def _unigram(special: tuple[str, ...], unk: str) -> Tokenizer:
    # Training may split the work across threads, so two runs can differ: train once per
    # process and hand out copies, so that bundles built alike share one vocabulary.
    return Tokenizer.from_str(_trained_unigram(special, unk))


@functools.cache
def _trained_unigram(special: tuple[str, ...], unk: str) -> str:
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=160, special_tokens=list(special), unk_token=unk, show_progress=False
    )
    tok.train_from_iterator(CORPUS * 3, trainer)
    return tok.to_str()


def siglip_tokenizer() -> Tokenizer:
    """T5-style SentencePiece as SigLIP uses it: ``<pad>`` 0, ``</s>`` 1, ``<unk>`` 2; every
    text ends in ``</s>``."""
    tok = _unigram(("<pad>", "</s>", "<unk>"), "<unk>")
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))]
    )
    return tok


def xlmr_tokenizer() -> Tokenizer:
    """XLM-RoBERTa: ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3; ``<s> … </s>``."""
    tok = _unigram(("<s>", "<pad>", "</s>", "<unk>"), "<unk>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    return tok


def nllb_tokenizer(*, language_in_template: bool = True, codes_in_vocab: bool = False) -> Tokenizer:
    """NLLB: XLM-R's specials plus FLORES-200 language tokens; the saved template puts the
    default source language first (``eng_Latn … </s>``), or nothing when told not to. The
    language tokens are added special tokens, or (``codes_in_vocab``) plain vocabulary."""
    tok = _unigram(("<s>", "<pad>", "</s>", "<unk>"), "<unk>")
    if codes_in_vocab:
        data = json.loads(tok.to_str())
        data["model"]["vocab"] += [[code, -100.0] for code in FLORES_CODES]
        tok = Tokenizer.from_str(json.dumps(data))
    else:
        tok.add_special_tokens(list(FLORES_CODES))
    eos = ("</s>", tok.token_to_id("</s>"))
    if language_in_template:
        tok.post_processor = processors.TemplateProcessing(
            single="eng_Latn $A </s>",
            special_tokens=[("eng_Latn", tok.token_to_id("eng_Latn")), eos],
        )
    else:
        tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[eos])
    return tok


def plain_bpe_tokenizer() -> Tokenizer:
    """A BPE without CLIP's ``</w>`` word ends (Gemma-like, as in SigLIP 2)."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=200, special_tokens=["<pad>", "<eos>", "<unk>"], show_progress=False
    )
    tok.train_from_iterator(CORPUS * 3, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="$A <eos>", special_tokens=[("<eos>", tok.token_to_id("<eos>"))]
    )
    return tok


# -- graphs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextWeights:
    table: np.ndarray  # (vocab, width)
    projection: np.ndarray  # (width, embed_dim)


def text_weights(vocab_size: int, embed_dim: int, *, width: int = 16, seed: int = 0) -> TextWeights:
    rng = np.random.default_rng(seed)
    return TextWeights(
        table=rng.standard_normal((vocab_size, width)).astype(np.float32),
        projection=rng.standard_normal((width, embed_dim)).astype(np.float32),
    )


def _dim(value: int | None, name: str) -> int | str:
    return value if value is not None else name


def text_graph(
    weights: TextWeights,
    *,
    input_name: str = "text",
    dtype: int = TensorProto.INT32,
    batch: int | None = None,
    length: int | None = None,
    mask: bool = False,
    pool: str = "mean",
    output: str = "embedding",
    extra_inputs: tuple[str, ...] = (),
) -> onnx.ModelProto:
    """A text tower: ids -> table rows -> pooled over the sequence -> projection."""
    shape = [_dim(batch, "batch"), _dim(length, "sequence")]
    inputs = [helper.make_tensor_value_info(input_name, dtype, shape)]
    nodes = [
        helper.make_node("Cast", [input_name], ["ids64"], to=TensorProto.INT64),
        helper.make_node("Gather", ["table", "ids64"], ["rows"], axis=0),
    ]
    initializers = [
        numpy_helper.from_array(weights.table, "table"),
        numpy_helper.from_array(weights.projection, "projection"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "seq_axis"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "feature_axis"),
    ]
    if mask:
        inputs.append(helper.make_tensor_value_info("attention_mask", dtype, shape))
    for name in extra_inputs:
        inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        nodes.append(helper.make_node("Identity", [name], [name + "_unused"]))
    if pool == "mean":
        nodes.append(helper.make_node("ReduceMean", ["rows"], ["pooled"], axes=[1], keepdims=0))
    elif pool == "masked_mean":
        assert mask, "masked_mean needs the attention_mask input"
        nodes += [
            helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["maskf", "feature_axis"], ["mask3"]),
            helper.make_node("Mul", ["rows", "mask3"], ["masked"]),
            helper.make_node("ReduceSum", ["masked", "seq_axis"], ["total"], keepdims=0),
            helper.make_node("ReduceSum", ["maskf", "seq_axis"], ["count"], keepdims=1),
            helper.make_node("Div", ["total", "count"], ["pooled"]),
        ]
    elif pool in ("first", "last"):
        index = 0 if pool == "first" else -1
        initializers.append(numpy_helper.from_array(np.array(index, dtype=np.int64), "position"))
        nodes.append(helper.make_node("Gather", ["rows", "position"], ["pooled"], axis=1))
    else:
        raise ValueError(pool)
    nodes.append(helper.make_node("MatMul", ["pooled", "projection"], [output]))
    out = helper.make_tensor_value_info(
        output, TensorProto.FLOAT, [_dim(batch, "batch"), weights.projection.shape[1]]
    )
    graph = helper.make_graph(nodes, "text", inputs, [out], initializers)
    return _model(graph)


def pool_text(weights: TextWeights, ids: np.ndarray, pool: str, lengths=None) -> np.ndarray:
    """What :func:`text_graph` computes, in NumPy, L2-normalised like the encoder's output."""
    rows = weights.table[ids]
    if pool == "mean":
        pooled = rows.mean(axis=1)
    elif pool == "masked_mean":
        mask = (np.arange(ids.shape[1])[None, :] < np.asarray(lengths)[:, None]).astype(np.float32)
        pooled = (rows * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    elif pool == "first":
        pooled = rows[:, 0]
    else:
        pooled = rows[:, -1]
    out = pooled @ weights.projection
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def visual_graph(
    projection: np.ndarray,
    *,
    size: int,
    batch: int | None = None,
    output: str = "embedding",
    input_name: str = "image",
    extra_input: str | None = None,
) -> onnx.ModelProto:
    """An image tower: per-channel mean of the whole preprocessed image -> projection."""
    inputs = [
        helper.make_tensor_value_info(
            input_name, TensorProto.FLOAT, [_dim(batch, "batch"), 3, size, size]
        )
    ]
    nodes = [
        helper.make_node("GlobalAveragePool", [input_name], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "projection"], [output]),
    ]
    if extra_input is not None:
        inputs.append(helper.make_tensor_value_info(extra_input, TensorProto.FLOAT, [1]))
        nodes.append(helper.make_node("Identity", [extra_input], [extra_input + "_unused"]))
    out = helper.make_tensor_value_info(
        output, TensorProto.FLOAT, [_dim(batch, "batch"), projection.shape[1]]
    )
    initializers = [numpy_helper.from_array(projection.astype(np.float32), "projection")]
    return _model(helper.make_graph(nodes, "visual", inputs, [out], initializers))


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# -- bundles -------------------------------------------------------------------------------


def write_bundle(
    root: Path,
    *,
    config: dict[str, Any],
    preprocess: dict[str, Any],
    textual: onnx.ModelProto,
    visual: onnx.ModelProto,
    tokenizer: Tokenizer,
    tokenizer_config: dict[str, Any] | None,
) -> Path:
    """Writes the Immich zoo layout under ``root`` and returns ``root``."""
    (root / "visual").mkdir(parents=True, exist_ok=True)
    (root / "textual").mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (root / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess), encoding="utf-8")
    onnx.save(visual, str(root / "visual" / "model.onnx"))
    onnx.save(textual, str(root / "textual" / "model.onnx"))
    tokenizer.save(str(root / "textual" / "tokenizer.json"))
    if tokenizer_config is not None:
        (root / "textual" / "tokenizer_config.json").write_text(
            json.dumps(tokenizer_config), encoding="utf-8"
        )
    return root


@dataclass(frozen=True)
class Zoo:
    """A written bundle and what a test needs to predict its output."""

    root: Path
    tokenizer: Tokenizer
    weights: TextWeights
    pool: str


def siglip_bundle(root: Path, *, fixed_length: bool = True, embed_dim: int = 8) -> Zoo:
    """``ViT-B-16-SigLIP__webli``: mean/std 0.5, context 64, ``text`` int32 of shape
    (1, 64) (or a dynamic sequence axis), SentencePiece padded with ``</s>``, no mask."""
    tok = siglip_tokenizer()
    weights = text_weights(tok.get_vocab_size(), embed_dim, seed=1)
    config = {
        "embed_dim": embed_dim,
        "vision_cfg": {"image_size": 32, "timm_model_name": "vit_base_patch16_siglip_224"},
        "text_cfg": {
            "context_length": 64,
            "vocab_size": tok.get_vocab_size(),
            "hf_tokenizer_name": "timm/ViT-B-16-SigLIP",
            "tokenizer_kwargs": {"clean": "canonicalize"},
            "no_causal_mask": True,
            "pool_type": "last",
        },
    }
    textual = text_graph(weights, batch=1, length=64 if fixed_length else None, pool="mean")
    visual = visual_graph(np.eye(3, embed_dim, dtype=np.float32), size=32, batch=1)
    write_bundle(
        root,
        config=config,
        preprocess=PREPROCESS_SIGLIP,
        textual=textual,
        visual=visual,
        tokenizer=tok,
        tokenizer_config={"pad_token": "</s>", "eos_token": "</s>", "model_max_length": 64},
    )
    return Zoo(root, tok, weights, "mean")


def mclip_bundle(
    root: Path, *, fixed_length: bool = True, dtype: int = TensorProto.INT32, embed_dim: int = 8
) -> Zoo:
    """``XLM-Roberta-Large-Vit-B-32``: ``input_ids`` + ``attention_mask`` int32 (1, 77)
    (or dynamic axes), masked mean pooling, XLM-R tokenizer padded with ``<pad>`` (id 1)."""
    tok = xlmr_tokenizer()
    weights = text_weights(tok.get_vocab_size(), embed_dim, seed=2)
    config = {
        "embed_dim": embed_dim,
        "vision_cfg": {"image_size": 32, "layers": 12, "width": 768, "patch_size": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512},
    }
    textual = text_graph(
        weights,
        input_name="input_ids",
        dtype=dtype,
        batch=1 if fixed_length else None,
        length=77 if fixed_length else None,
        mask=True,
        pool="masked_mean",
    )
    visual = visual_graph(np.eye(3, embed_dim, dtype=np.float32), size=32, batch=1)
    write_bundle(
        root,
        config=config,
        preprocess=PREPROCESS_CLIP,
        textual=textual,
        visual=visual,
        tokenizer=tok,
        tokenizer_config={"pad_token": "<pad>", "bos_token": "<s>", "model_max_length": 512},
    )
    return Zoo(root, tok, weights, "masked_mean")


def nllb_bundle(
    root: Path,
    *,
    language_in_template: bool = True,
    codes_in_vocab: bool = False,
    hf_name: str = "facebook/nllb-200-distilled-600M",
    embed_dim: int = 8,
) -> Zoo:
    """``nllb-clip-base-siglip__v1``: no context_length in text_cfg (so 77), ``text`` int32
    (1, 77), first-position (CLS) pooling, NLLB tokenizer with FLORES-200 tokens."""
    tok = nllb_tokenizer(language_in_template=language_in_template, codes_in_vocab=codes_in_vocab)
    weights = text_weights(tok.get_vocab_size(), embed_dim, seed=3)
    config = {
        "embed_dim": embed_dim,
        "custom_text": True,
        "vision_cfg": {"image_size": 32, "timm_model_name": "vit_base_patch16_siglip_384"},
        "text_cfg": {
            "hf_model_name": hf_name,
            "hf_tokenizer_name": hf_name,
            "hf_proj_type": "linear",
            "hf_pooler_type": "cls_pooler",
        },
    }
    textual = text_graph(weights, batch=1, length=77, pool="first")
    visual = visual_graph(np.eye(3, embed_dim, dtype=np.float32), size=32, batch=1)
    write_bundle(
        root,
        config=config,
        preprocess=PREPROCESS_SIGLIP,
        textual=textual,
        visual=visual,
        tokenizer=tok,
        tokenizer_config={"pad_token": "<pad>", "src_lang": "eng_Latn", "model_max_length": 1024},
    )
    return Zoo(root, tok, weights, "first")


def colour_bundle(root: Path, *, resize_mode: str) -> Path:
    """An image tower whose embedding is the mean R, G, B of the preprocessed image (mean 0,
    std 1, so each in [0, 1]); the text side is a SigLIP-style stand-in."""
    tok = siglip_tokenizer()
    weights = text_weights(tok.get_vocab_size(), 3, seed=4)
    preprocess = {
        "size": [32, 32],
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "interpolation": "bicubic",
        "resize_mode": resize_mode,
    }
    write_bundle(
        root,
        config={"embed_dim": 3, "text_cfg": {"context_length": 16}},
        preprocess=preprocess,
        textual=text_graph(weights, length=16),
        visual=visual_graph(np.eye(3, dtype=np.float32), size=32, output="image_embedding"),
        tokenizer=tok,
        tokenizer_config={"pad_token": "</s>"},
    )
    return root
