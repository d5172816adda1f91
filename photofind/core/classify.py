"""Zero-shot labels: which of a set of text labels best describes an image, with probabilities.

A label becomes one text vector: its embedding in each prompt template
(``prompt_templates.json``: "a photo of a {}.", ...), each L2-normalised, averaged and
normalised again, as the CLIP paper builds its zero-shot classifiers. An image's score for a
label is the cosine of the two vectors times the model's logit scale; a softmax across the
labels turns the scores into probabilities that sum to 1 (which label, of these, is it?).
Models trained with a sigmoid loss (SigLIP) can instead give each label its own probability,
``sigmoid(scale * cosine + bias)`` (is it this, yes or no?), when the caller asks for that.

The scale and bias come from the model folder's ``config.json`` (``logit_scale``,
``logit_bias``; models/export.py writes them), else from the registry of known models, else
CLIP's 100 (see the registry's ``scoring_source`` for where each value comes from).
Classifying stored vectors is one matrix product; no photo is encoded again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from photofind.core.clip.bundle import ModelBundle
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.errors import ImageError, ModelError, PhotofindError
from photofind.core.models.registry import load_registry

TEMPLATES_FILE = "prompt_templates.json"
DEFAULT_LOGIT_SCALE = 100.0  # CLIP's, capped there in training; see the registry's notes
# Files decoded per encoder call: large enough to use the batch, small enough that a long
# list of 12 MP photos never holds more than a few decoded tensors at once.
IMAGE_BATCH = 16


class ClassifyError(PhotofindError):
    """The labels asked for cannot be scored (too few, or a kind of probability the model
    was not trained for)."""


@dataclass(frozen=True)
class Scoring:
    """How a model's cosines become zero-shot logits."""

    logit_scale: float
    logit_bias: float | None  # known for sigmoid-trained models only
    source: str  # "model folder", "registry" or "default"

    @property
    def independent(self) -> bool:
        """Whether the model can give each label its own probability (SigLIP)."""
        return self.logit_bias is not None


@dataclass(frozen=True)
class LabelProbability:
    label: str
    probability: float


@dataclass(frozen=True)
class Classification:
    """One image's labels, most probable first (ties in the order the labels were given)."""

    source: Path
    labels: tuple[LabelProbability, ...]


@dataclass(frozen=True)
class ClassifyFailure:
    source: Path
    reason: str


def _positive(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 and np.isfinite(value) else None


def scoring_for(bundle: ModelBundle) -> Scoring:
    scale = _positive(bundle.config.get("logit_scale"))
    if scale is not None:
        bias = bundle.config.get("logit_bias")
        if isinstance(bias, bool) or not isinstance(bias, int | float) or not np.isfinite(bias):
            bias = None
        return Scoring(scale, None if bias is None else float(bias), "model folder")
    known = load_registry().get(bundle.name)
    if known is not None and known.logit_scale is not None:
        return Scoring(known.logit_scale, known.logit_bias, "registry")
    return Scoring(DEFAULT_LOGIT_SCALE, None, "default")


@cache
def default_templates() -> tuple[str, ...]:
    path = Path(str(resources.files("photofind.core").joinpath(TEMPLATES_FILE)))
    try:
        templates = tuple(json.loads(path.read_text(encoding="utf-8"))["templates"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"The prompt templates {path} cannot be read ({exc}); reinstall photofind."
        ) from exc
    if not templates or not all(isinstance(t, str) and t.count("{}") == 1 for t in templates):
        raise ModelError(
            f"The prompt templates in {path} must each hold one {{}}; reinstall photofind."
        )
    return templates


def clean_labels(labels: Iterable[str]) -> list[str]:
    """Labels as a person typed them: surrounding spaces gone, empty ones and repeats
    (in any letter case) left out, the first spelling and order kept."""
    seen: set[str] = set()
    out = []
    for label in labels:
        label = " ".join(label.split())
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            out.append(label)
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


class ZeroShotClassifier:
    """Scores images against labels with one model. Thread-safe; label vectors are cached."""

    def __init__(
        self,
        encoder: ClipEncoder,
        templates: Sequence[str] | None = None,
        scoring: Scoring | None = None,
    ) -> None:
        self.encoder = encoder
        self.templates = tuple(templates) if templates is not None else default_templates()
        self.scoring = scoring or scoring_for(encoder.bundle)
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def label_vectors(self, labels: Sequence[str]) -> np.ndarray:
        """(len(labels), d): each label's template-averaged, normalised text vector."""
        with self._lock:
            missing = [label for label in dict.fromkeys(labels) if label not in self._vectors]
        if missing:
            texts = [t.format(label) for label in missing for t in self.templates]
            encoded = _normalise(self.encoder.encode_texts(texts))
            per_label = encoded.reshape(len(missing), len(self.templates), -1).mean(axis=1)
            with self._lock:
                self._vectors.update(zip(missing, _normalise(per_label), strict=True))
        with self._lock:
            return (
                np.stack([self._vectors[label] for label in labels])
                if labels
                else (np.zeros((0, self.encoder.embed_dim), dtype=np.float32))
            )

    def check(self, labels: Sequence[str], *, independent: bool = False) -> None:
        """Raises ClassifyError before any work when these labels cannot be scored."""
        if independent and not self.scoring.independent:
            raise ClassifyError(
                f"{self.encoder.bundle.name} was trained to choose between labels, so it cannot "
                "give each label its own probability; leave out independent probabilities, or "
                "use a SigLIP model (ViT-B-16-SigLIP__webli)."
            )
        if not labels:
            raise ClassifyError("No labels to choose between; give at least two.")
        if len(labels) < 2 and not independent:
            raise ClassifyError(
                f"Only one label ({labels[0]}) was given; a photo can only be told apart "
                "between two or more labels."
            )

    def probabilities(
        self, image_vectors: np.ndarray, labels: Sequence[str], *, independent: bool = False
    ) -> np.ndarray:
        """(n, len(labels)) probabilities of normalised image vectors: each row sums to 1,
        or with ``independent`` (sigmoid models only) each entry stands on its own."""
        self.check(labels, independent=independent)
        logits = self.scoring.logit_scale * (
            np.asarray(image_vectors, dtype=np.float32) @ self.label_vectors(labels).T
        )
        if independent:
            # The logistic function as exp(-log(1 + exp(-x))): 1 / (1 + exp(-x)) overflows
            # for SigLIP's large negative logits (scale ~112, bias -16.5); this never does
            # and keeps the small probabilities' precision.
            logits += float(self.scoring.logit_bias or 0.0)
            return np.exp(-np.logaddexp(0.0, -logits))
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def rank(
        self, image_vectors: np.ndarray, labels: Sequence[str], *, independent: bool = False
    ) -> list[tuple[LabelProbability, ...]]:
        """Per image, every label with its probability, most probable first."""
        probs = self.probabilities(image_vectors, labels, independent=independent)
        ranked = []
        for row in probs:
            order = np.argsort(-row, kind="stable")
            ranked.append(tuple(LabelProbability(labels[i], float(row[i])) for i in order))
        return ranked

    def classify_files(
        self, sources: Sequence[Path], labels: Sequence[str], *, independent: bool = False
    ) -> Iterator[Classification | ClassifyFailure]:
        """Each file in order: its labels, or why it could not be read. Any image file,
        in the library or not."""
        self.check(labels, independent=independent)
        for start in range(0, len(sources), IMAGE_BATCH):
            batch = sources[start : start + IMAGE_BATCH]
            tensors: list[np.ndarray] = []
            results: list[Classification | ClassifyFailure | None] = []
            for source in batch:
                try:
                    tensors.append(self.encoder.preprocessor.load(source))
                    results.append(None)
                except ImageError as exc:
                    results.append(ClassifyFailure(Path(source), str(exc)))
            if tensors:
                vectors = self.encoder.encode_image_batch(np.stack(tensors))
                ranked = iter(self.rank(vectors, labels, independent=independent))
                results = [
                    r if r is not None else Classification(Path(s), next(ranked))
                    for r, s in zip(results, batch, strict=True)
                ]
            yield from (r for r in results if r is not None)
