"""An int8 image encoder: dynamic quantisation of the visual tower, kept only if it agrees.

``onnxruntime.quantization.quantize_dynamic`` rewrites the MatMul/Gemm weights of
``visual/model.onnx`` as signed int8 (per tensor) into ``visual/model_int8.onnx``; the
patch-embedding Conv stays float (quantised, it measured slower on CPU; see
models/export.py). The result is then compared with the fp32 encoder on a few generated
photos: if the mean cosine between the two encoders' vectors is below
:data:`INT8_MIN_COSINE` the int8 file is deleted and the model keeps running in fp32.

``onnxruntime.quantization`` imports the ``onnx`` package, which photofind needs for
nothing else: it is imported here, lazily, and its absence is a plain sentence.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.clip.bundle import ModelBundle
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.clip.preprocess import Preprocessor
from photofind.core.errors import ModelError
from photofind.core.shapes import COLOURS, SHAPES, render

INT8_MIN_COSINE = 0.99  # below this, int8 search results visibly differ from fp32 ones
SAMPLE_PHOTOS = 12  # enough to see a bad quantisation; few enough to take a second on ViT-L
SAMPLE_SEED = 8


@dataclass(frozen=True)
class Int8Result:
    cosine: float  # mean cosine between the int8 and fp32 vectors of the sample photos
    threshold: float
    kept: bool  # False: the int8 file was deleted and the model runs in fp32


def quantize_visual_int8(fp32_path: Path, int8_path: Path) -> None:
    """Write the dynamically quantised (QInt8) copy of an ONNX graph."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:  # onnxruntime.quantization imports onnx
        raise ModelError(
            "Making an int8 encoder needs the 'onnx' package; install it with "
            "'pip install onnx' and try again.",
            hint="Or install the model without --int8.",
        ) from exc
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # "consider pre-processing": measured, not needed
    try:
        quantize_dynamic(
            str(fp32_path),
            str(int8_path),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gemm"],
        )
    except BaseException as exc:
        Path(int8_path).unlink(missing_ok=True)
        if isinstance(exc, OSError | ModelError) or not isinstance(exc, Exception):
            raise
        # onnx and onnxruntime raise many unrelated types for a graph they cannot handle
        raise ModelError(
            f"The int8 encoder of {fp32_path} could not be made "
            f"({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}); "
            "the model runs in full precision without it.",
            hint="Install the model without --int8.",
        ) from exc
    finally:
        logging.disable(previous)


def sample_batch(bundle: ModelBundle, count: int = SAMPLE_PHOTOS) -> np.ndarray:
    """``count`` generated photos (one coloured shape each), preprocessed for ``bundle``."""
    rng = random.Random(SAMPLE_SEED)
    encoder_size = bundle.preprocess.size
    classes = [(c, s) for c in COLOURS for s in SHAPES]
    rng.shuffle(classes)
    preprocess = Preprocessor(bundle.preprocess)
    photos = []
    for colour, shape in classes[:count]:
        size = (
            int(encoder_size * rng.uniform(1.2, 2.0)),
            int(encoder_size * rng.uniform(1.2, 2.0)),
        )
        photos.append(preprocess(render(colour, shape, size, rng)))
    return np.stack(photos)


def int8_agreement(bundle: ModelBundle, batch: np.ndarray | None = None) -> float:
    """Mean cosine between the fp32 and int8 image vectors of the sample photos."""
    batch = sample_batch(bundle) if batch is None else batch
    fp32 = ClipEncoder(bundle, "cpu").encode_image_batch(batch)
    int8 = ClipEncoder(bundle, "cpu", int8=True).encode_image_batch(batch)
    return float(np.mean(np.sum(fp32 * int8, axis=1)))  # both are L2-normalised


def make_int8(bundle: ModelBundle) -> Int8Result:
    """Quantise ``bundle``'s image encoder and keep it only if it agrees with fp32."""
    threshold = INT8_MIN_COSINE
    target = bundle.visual_model_int8
    quantize_visual_int8(bundle.visual_model, target)
    try:
        cosine = int8_agreement(bundle)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    kept = bool(np.isfinite(cosine)) and cosine >= threshold
    if not kept:
        target.unlink(missing_ok=True)
    return Int8Result(cosine=cosine, threshold=threshold, kept=kept)
