"""Images and text to L2-normalised CLIP embeddings with ONNX Runtime.

Sessions are created lazily: a text-only search never loads the image tower. Input and
output names, dtypes and fixed axes are read from the graphs, so every zoo export works:
``image``/``text`` or ``input_ids`` (+ ``attention_mask``) in, ``embedding`` or
``image_embedding``/``text_embedding`` out, a fixed batch of 1 or a fixed length of 77 or
64. A graph that wants anything else (``token_type_ids``, two images) is refused with a
ModelError that names the file and its inputs, before anything runs.

Text rows are as long as the bundle's context length, padded with its pad token. They are
cut to the longest real row of a batch only where that cannot change the vector (see
:meth:`ClipEncoder.padding_is_inert`). NLLB-CLIP queries get their language token first
(:mod:`photofind.core.clip.language`).
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photofind.core.clip.bundle import ModelBundle
from photofind.core.clip.language import flores_code, query_language
from photofind.core.clip.preprocess import Preprocessor
from photofind.core.clip.tokenizer import ClipTokenizer, HfTokenizer, load_tokenizer
from photofind.core.errors import ModelError

if TYPE_CHECKING:  # imported when a session is made: it takes a while to load
    import onnxruntime as ort

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
_OUTPUT_NAMES = ("embedding", "image_embedding", "text_embedding", "embeddings")
_MASK_INPUT = "attention_mask"


class ProviderWarning(UserWarning):
    """The execution provider asked for is not available; photofind carries on with CPU."""


# The builds of ONNX Runtime that can have a CUDA provider. PyPI's plain "onnxruntime" is
# the CPU build: where it is the only one installed, asking it (an import of 60-180 ms, on
# the path to the window's first screen) is not needed to know that there is no GPU.
CUDA_BUILDS = ("onnxruntime-gpu", "ort-nightly-gpu", "onnxruntime-training")


def cpu_build_only() -> bool:
    """True when the installed ONNX Runtime is the CPU build and no CUDA build is beside it.
    False when unsure (no package metadata, as in some frozen apps): then it is asked."""
    from importlib import metadata

    def installed(name: str) -> bool:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return False
        return True

    return installed("onnxruntime") and not any(installed(n) for n in CUDA_BUILDS)


def cuda_available() -> bool:
    if cpu_build_only():
        return False
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

    session: ort.InferenceSession
    input_name: str
    input_dtype: np.dtype
    fixed_batch: int | None
    fixed_length: int | None
    mask_name: str | None
    mask_dtype: np.dtype | None
    output_name: str


_FLOAT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


def _describe(inputs: Sequence[Any]) -> str:
    return ", ".join(f"{i.name} {i.type} {list(i.shape)}" for i in inputs)


def _choose_inputs(path: Path, kind: str, inputs: Sequence[Any]) -> tuple[Any, Any | None]:
    """The graph's main input and (text only) its attention mask; ModelError for anything
    photofind cannot feed, naming the file and every input the graph takes."""
    by_name = {i.name: i for i in inputs}
    main, mask = None, None
    if kind == "visual":
        if len(inputs) == 1 and inputs[0].type in _FLOAT_TYPES and len(inputs[0].shape) == 4:
            main = inputs[0]
        wanted = "one float image tensor (batch, 3, size, size)"
    else:
        # Token ids under any name (zoo exports say text or input_ids), plus a mask.
        mask = by_name.get(_MASK_INPUT)
        ids = [i for i in inputs if i.name != _MASK_INPUT]
        if (
            len(ids) == 1
            and ids[0].type in _INT_TYPES
            and len(ids[0].shape) == 2
            and (mask is None or (mask.type in _INT_TYPES and len(mask.shape) == 2))
        ):
            main = ids[0]
        wanted = "integer token ids (text or input_ids) and optionally an attention_mask"
    if main is None:
        raise ModelError(
            f"The model file {path} takes inputs photofind cannot feed ({_describe(inputs)}); "
            f"it feeds {wanted}. Use a model exported in the Immich CLIP layout."
        )
    return main, mask


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
        language: str | None = None,
    ) -> None:
        """``language``: for NLLB-CLIP models, the language of every query, as a FLORES-200
        code (``deu_Latn``) or a locale (``de``); None reads it off each query's script.
        Other models ignore it."""
        try:
            self.language = flores_code(language) if language is not None else None
        except ValueError as exc:
            raise ModelError(str(exc)) from None
        self.bundle = bundle
        self.requested_provider = provider
        self._provider = resolve_provider(provider)
        self._threads = threads
        self._int8 = int8
        self._lock = threading.Lock()
        self._visual: _Graph | None = None
        self._textual: _Graph | None = None
        self._tokenizer: ClipTokenizer | HfTokenizer | None = None
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
    def tokenizer(self) -> ClipTokenizer | HfTokenizer:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = load_tokenizer(
                    self.bundle.tokenizer_json,
                    self.bundle.tokenizer_config if self.bundle.tokenizer_config.exists() else None,
                    context_length=self.bundle.context_length,
                    clean=self.bundle.text_clean,
                    nllb=self.bundle.is_nllb,
                )
            return self._tokenizer

    def tokenize(
        self, texts: Sequence[str], *, language: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids (n, context_length), lengths (n,)); NLLB rows start with their language token
        (``language`` for this call, else the encoder's, else detected per text)."""
        tokenizer = self.tokenizer
        if isinstance(tokenizer, HfTokenizer) and tokenizer.has_languages:
            try:
                fixed = flores_code(language) if language is not None else self.language
            except ValueError as exc:
                raise ModelError(str(exc)) from None
            codes = [query_language(t, tokenizer.language_ids, fixed) for t in texts]
            return tokenizer.encode(texts, languages=codes)
        return tokenizer.encode(texts)

    def padding_is_inert(self) -> bool:
        """Whether the text tower gives the same vector for a row cut after its last real
        token as for the full padded row; only then may a batch be trimmed. True when

        * the graph takes an ``attention_mask``: padding is masked out of attention and of
          the pooling (M-CLIP's masked mean, XLM-R), or
        * it is open_clip's CLIP text tower: causal attention pooled at the end-of-text
          token, so no position after it reaches the output (CLIP BPE tokenizer, no
          ``no_causal_mask``, ``pool_type`` argmax, not a Hugging Face tower).

        Everything else runs on the full context length it was trained on: SigLIP
        (bidirectional, pooled at the last position, which must be the pad token), NLLB and
        other HF towers that build their mask from the pad id inside the graph, unknown
        exports.
        """
        if self._graph("textual").mask_name is not None:
            return True
        text_cfg = self.bundle.text_cfg
        return (
            isinstance(self.tokenizer, ClipTokenizer)
            and not text_cfg.get("no_causal_mask", False)
            and text_cfg.get("pool_type", "argmax") == "argmax"
            and "hf_model_name" not in text_cfg
        )

    # -- sessions -------------------------------------------------------------------------

    def _open(self, path: Path, kind: str) -> _Graph:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self._threads or (os.cpu_count() or 1)
        options.log_severity_level = 3
        if kind == "visual":
            # The image tower runs beside the decoding threads; spinning worker threads
            # would steal their cores (measured: indexing 47% -> 53% of model-alone speed).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
        main, mask = _choose_inputs(path, kind, session.get_inputs())
        types = {**_FLOAT_TYPES, **_INT_TYPES}
        outputs = [o.name for o in session.get_outputs()]
        output = next((n for n in _OUTPUT_NAMES if n in outputs), outputs[0])
        shape = list(main.shape)
        return _Graph(
            session=session,
            input_name=main.name,
            input_dtype=np.dtype(types[main.type]),
            fixed_batch=_fixed(shape[0]),
            fixed_length=_fixed(shape[1]) if kind == "textual" else None,
            mask_name=mask.name if mask is not None else None,
            mask_dtype=np.dtype(types[mask.type]) if mask is not None else None,
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
            rows = min(step, n - start)
            if rows < step:  # a fixed batch larger than what is left: repeat the last row
                chunk = {
                    k: np.concatenate([v, np.repeat(v[-1:], step - rows, 0)])
                    for k, v in chunk.items()
                }
            parts.append(graph.session.run([graph.output_name], chunk)[0][:rows])
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
        """Run these token ids ((n, L)) through the text tower. ``lengths`` counts the real
        tokens of each row (the attention mask); a graph with a fixed length gets the rows
        padded to it with the pad id."""
        graph = self._graph("textual")
        ids = np.asarray(ids)
        if lengths is None:
            lengths = np.full(ids.shape[0], ids.shape[1])
        lengths = np.asarray(lengths)
        fixed = graph.fixed_length
        if fixed is not None and ids.shape[1] != fixed:
            if len(lengths) and int(lengths.max()) > fixed:
                raise ModelError(
                    f"The text model {self.bundle.textual_model} takes {fixed} tokens but the "
                    f"tokenizer made {int(lengths.max())}; set text_cfg.context_length to "
                    f"{fixed} in {self.bundle.root / 'config.json'}."
                )
            fitted = np.full((ids.shape[0], fixed), self.tokenizer.pad_id, dtype=ids.dtype)
            width = min(fixed, ids.shape[1])
            fitted[:, :width] = ids[:, :width]
            ids = fitted
        feeds = {graph.input_name: ids.astype(graph.input_dtype)}
        if graph.mask_name:
            positions = np.arange(ids.shape[1])[None, :]
            feeds[graph.mask_name] = (positions < lengths[:, None]).astype(graph.mask_dtype)
        return self._run(graph, feeds)

    def encode_texts(
        self, texts: Sequence[str], *, trim: bool = True, language: str | None = None
    ) -> np.ndarray:
        """Tokenise and encode. Where padding cannot change the vector
        (:meth:`padding_is_inert`) and the graph's sequence axis is dynamic, the batch runs
        on its longest real row instead of the whole context (about 4x faster for CLIP)."""
        if not texts:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        ids, lengths = self.tokenize(list(texts), language=language)
        graph = self._graph("textual")
        if trim and graph.fixed_length is None and self.padding_is_inert():
            ids = ids[:, : int(lengths.max())]
        return self.encode_token_ids(ids, lengths)

    def encode_text(self, text: str, *, language: str | None = None) -> np.ndarray:
        return self.encode_texts([text], language=language)[0]
