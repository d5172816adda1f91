"""Images and text to L2-normalised CLIP embeddings with ONNX Runtime.

Sessions are created lazily: a text-only search never loads the image tower. Input and
output names, dtypes and fixed axes are read from the graphs, so every zoo export works:
``image``/``text`` or ``input_ids`` (+ ``attention_mask``) in, ``embedding`` or
``image_embedding``/``text_embedding`` out, a fixed batch of 1 or a fixed length of 77.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.clip.bundle import ModelBundle
from photofind.core.clip.preprocess import Preprocessor
from photofind.core.clip.tokenizer import ClipTokenizer
from photofind.core.errors import ModelError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
_OUTPUT_NAMES = ("embedding", "image_embedding", "text_embedding", "embeddings")


class ProviderWarning(UserWarning):
    """The execution provider asked for is not available; photofind carries on with CPU."""


def cuda_available() -> bool:
    import onnxruntime as ort

    return CUDA in ort.get_available_providers()


def resolve_provider(requested: str) -> str:
    """``auto`` -> cuda when onnxruntime-gpu sees a GPU, else cpu; ``cuda`` unavailable -> cpu."""
    requested = requested.lower()
    if requested not in ("auto", "cpu", "cuda"):
        raise ModelError(f"Unknown provider '{requested}'; use auto, cpu or cuda.")
    if requested == "cpu":
        return "cpu"
    if cuda_available():
        return "cuda"
    if requested == "cuda":
        warnings.warn(
            "CUDA was requested but is not available (install photofind[gpu] and a CUDA "
            "driver); using the CPU.",
            ProviderWarning,
            stacklevel=3,
        )
    return "cpu"


@dataclass(frozen=True)
class _Graph:
    """What the encoder needs to know about one ONNX graph, read from the graph itself."""

    session: object
    input_name: str
    input_dtype: np.dtype
    fixed_batch: int | None
    fixed_length: int | None
    mask_name: str | None
    output_name: str


def _dtype(onnx_type: str) -> np.dtype:
    table = {
        "tensor(float)": np.float32,
        "tensor(float16)": np.float16,
        "tensor(int64)": np.int64,
        "tensor(int32)": np.int32,
    }
    if onnx_type not in table:
        raise ModelError(f"The model expects inputs of type {onnx_type}, which photofind cannot feed.")
    return np.dtype(table[onnx_type])


def _fixed(dim: object) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def _l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class ClipEncoder:
    """Runs a :class:`ModelBundle` on CPU or CUDA. Thread-safe; sessions are created once."""

    def __init__(
        self,
        bundle: ModelBundle,
        provider: str = "auto",
        *,
        threads: int | None = None,
        int8: bool = False,
    ) -> None:
        self.bundle = bundle
        self.requested_provider = provider
        self._provider = resolve_provider(provider)
        self._threads = threads
        self._int8 = int8
        self._lock = threading.Lock()
        self._visual: _Graph | None = None
        self._textual: _Graph | None = None
        self._tokenizer: ClipTokenizer | None = None
        self.preprocessor = Preprocessor(bundle.preprocess)

    @property
    def provider(self) -> str:
        """The provider in use: ``cpu`` or ``cuda`` (updated if CUDA fails at session start)."""
        return self._provider

    @property
    def embed_dim(self) -> int:
        return self.bundle.embed_dim

    @property
    def model_id(self) -> str:
        return self.bundle.model_id + ("+int8" if self._int8 else "")

    @property
    def tokenizer(self) -> ClipTokenizer:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = ClipTokenizer.from_files(
                    self.bundle.tokenizer_json,
                    self.bundle.tokenizer_config if self.bundle.tokenizer_config.exists() else None,
                    context_length=self.bundle.context_length,
                )
            return self._tokenizer

    # -- sessions -------------------------------------------------------------------------

    def _open(self, path: Path, kind: str) -> _Graph:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self._threads or (os.cpu_count() or 1)
        options.log_severity_level = 3
        providers = [CPU]
        if self._provider == "cuda":
            providers = [CUDA, CPU]
            # onnxruntime-gpu[cuda,cudnn] ships the CUDA libraries as pip packages that the
            # dynamic loader does not search: load them first (no-op when absent).
            preload = getattr(ort, "preload_dlls", None)
            if preload is not None:
                with contextlib.suppress(Exception):
                    preload()
        try:
            session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime raises several unrelated types for bad files
            raise ModelError(
                f"The model file {path} cannot be loaded ({str(exc).splitlines()[0][:200]}); "
                "install the model again."
            ) from exc
        if self._provider == "cuda" and session.get_providers()[0] != CUDA:
            if self.requested_provider == "cuda":
                warnings.warn(
                    "CUDA could not be started for this model (check the NVIDIA driver and "
                    "onnxruntime-gpu); using the CPU.",
                    ProviderWarning,
                    stacklevel=4,
                )
            self._provider = "cpu"
        inputs = session.get_inputs()
        main = inputs[0]
        mask = None
        if kind == "textual":
            by_name = {i.name: i for i in inputs}
            main = by_name.get("text") or by_name.get("input_ids") or inputs[0]
            mask = "attention_mask" if "attention_mask" in by_name else None
        outputs = [o.name for o in session.get_outputs()]
        output = next((n for n in _OUTPUT_NAMES if n in outputs), outputs[0])
        shape = list(main.shape)
        return _Graph(
            session=session,
            input_name=main.name,
            input_dtype=_dtype(main.type),
            fixed_batch=_fixed(shape[0]) if shape else None,
            fixed_length=_fixed(shape[1]) if kind == "textual" and len(shape) > 1 else None,
            mask_name=mask,
            output_name=output,
        )

    def _graph(self, kind: str) -> _Graph:
        with self._lock:
            if kind == "visual":
                if self._visual is None:
                    path = self.bundle.visual_model
                    if self._int8:
                        path = self.bundle.visual_model_int8
                    self._visual = self._open(path, kind)
                return self._visual
            if self._textual is None:
                self._textual = self._open(self.bundle.textual_model, kind)
            return self._textual

    @property
    def visual_loaded(self) -> bool:
        return self._visual is not None

    # -- encoding -------------------------------------------------------------------------

    def _run(self, graph: _Graph, feeds: dict[str, np.ndarray]) -> np.ndarray:
        n = next(iter(feeds.values())).shape[0]
        step = graph.fixed_batch or n
        parts = []
        for start in range(0, n, step):
            chunk = {k: v[start : start + step] for k, v in feeds.items()}
            parts.append(graph.session.run([graph.output_name], chunk)[0])
        out = np.concatenate(parts, axis=0) if parts else np.zeros((0, self.embed_dim))
        return _l2_normalise(out)

    def encode_image_batch(self, batch: np.ndarray) -> np.ndarray:
        """(n, 3, S, S) preprocessed float32 -> (n, D) float32, L2-normalised."""
        graph = self._graph("visual")
        batch = np.ascontiguousarray(batch, dtype=graph.input_dtype)
        if batch.ndim != 4 or batch.shape[0] == 0:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        return self._run(graph, {graph.input_name: batch})

    def encode_images(self, sources: Sequence[Path | bytes]) -> np.ndarray:
        """Decode, preprocess and encode image files or bytes (raises ImageError per bad file)."""
        if not sources:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        return self.encode_image_batch(np.stack([self.preprocessor.load(s) for s in sources]))

    def encode_token_ids(self, ids: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """Run exactly these token ids ((n, L)) through the text tower."""
        graph = self._graph("textual")
        ids = np.asarray(ids)
        if graph.fixed_length is not None and ids.shape[1] != graph.fixed_length:
            pad = self.tokenizer.pad_id
            fitted = np.full((ids.shape[0], graph.fixed_length), pad, dtype=ids.dtype)
            width = min(graph.fixed_length, ids.shape[1])
            fitted[:, :width] = ids[:, :width]
            ids = fitted
        feeds = {graph.input_name: ids.astype(graph.input_dtype)}
        if graph.mask_name:
            if lengths is None:
                lengths = np.full(ids.shape[0], ids.shape[1])
            positions = np.arange(ids.shape[1])[None, :]
            feeds[graph.mask_name] = (positions < np.asarray(lengths)[:, None]).astype(
                graph.input_dtype
            )
        return self._run(graph, feeds)

    def encode_texts(self, texts: Sequence[str], *, trim: bool = True) -> np.ndarray:
        """Tokenise and encode. With a dynamic sequence axis the graph runs on the real token
        count (CLIP's causal mask and end-of-text pooling make that exact, and 4x faster)."""
        if not texts:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        ids, lengths = self.tokenizer.encode(list(texts))
        graph = self._graph("textual")
        if trim and graph.fixed_length is None:
            ids = ids[:, : int(lengths.max())]
        return self.encode_token_ids(ids, lengths)

    def encode_text(self, text: str) -> np.ndarray:
        return self.encode_texts([text])[0]
