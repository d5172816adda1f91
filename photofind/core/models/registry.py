"""The recommended models: a JSON file shipped with the package, read into dataclasses.

``registry.json`` lists CLIP models published in the Immich zoo layout on the Hugging Face
hub, with what a user needs to choose one: embedding size, an approximate download size,
languages, licence and, where one is published, a retrieval figure. It also names the
default recommendation and the recommended multilingual model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from photofind.core.errors import ModelError

REGISTRY_FILE = "registry.json"
MULTILINGUAL = "multilingual"


@dataclass(frozen=True)
class RegistryModel:
    name: str  # the folder name under data_dir/models and the name users type
    repo: str  # hub repository, e.g. "immich-app/ViT-B-32__laion2b-s34b-b79k"
    embed_dim: int
    approx_download_mb: int  # fp32 visual + textual, an estimate: never shown as exact
    languages: tuple[str, ...]  # ("en",) or ("multilingual",) or several codes
    license: str | None  # None where not verified
    recall: float | None  # percent, see Registry.recall_source; None where unpublished
    note: str = ""
    # Zero-shot scoring, see Registry.scoring_source: the factor cosines are multiplied by
    # (None: not known, the default applies) and, for sigmoid-trained models, the bias.
    logit_scale: float | None = None
    logit_bias: float | None = None

    @property
    def multilingual(self) -> bool:
        return MULTILINGUAL in self.languages or len(self.languages) > 1

    @property
    def languages_text(self) -> str:
        return ", ".join(self.languages)


@dataclass(frozen=True)
class Registry:
    models: tuple[RegistryModel, ...]
    default: str
    recommended_multilingual: str
    recall_source: str
    scoring_source: str = ""

    def get(self, name: str) -> RegistryModel | None:
        return next((m for m in self.models if m.name == name), None)

    def by_repo(self, repo: str) -> RegistryModel | None:
        return next((m for m in self.models if m.repo == repo), None)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]


def _languages(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ValueError(f"'languages' must be a string or a list of strings, not {value!r}")


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _model(item: dict[str, Any]) -> RegistryModel:
    recall = item.get("recall")
    license_ = item.get("license")
    model = RegistryModel(
        name=str(item["name"]),
        repo=str(item["repo"]),
        embed_dim=int(item["embed_dim"]),
        approx_download_mb=int(item["approx_download_mb"]),
        languages=_languages(item["languages"]),
        license=None if license_ is None else str(license_),
        recall=None if recall is None else float(recall),
        note=str(item.get("note") or ""),
        logit_scale=_optional_float(item.get("logit_scale")),
        logit_bias=_optional_float(item.get("logit_bias")),
    )
    if model.logit_scale is not None and not model.logit_scale > 0:
        raise ValueError(f"model {model.name!r} has a logit_scale that is not positive")
    if model.embed_dim <= 0 or model.approx_download_mb <= 0 or "/" not in model.repo:
        raise ValueError(f"model {model.name!r} has an invalid embed_dim, size or repo")
    return model


def parse_registry(data: dict[str, Any]) -> Registry:
    """Raises ValueError (or KeyError/TypeError) on a malformed registry."""
    models = tuple(_model(item) for item in data["models"])
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError("model names in the registry must be unique")
    registry = Registry(
        models=models,
        default=str(data["default"]),
        recommended_multilingual=str(data["recommended_multilingual"]),
        recall_source=str(data.get("recall_source") or ""),
        scoring_source=str(data.get("scoring_source") or ""),
    )
    for key in (registry.default, registry.recommended_multilingual):
        if registry.get(key) is None:
            raise ValueError(f"the registry recommends {key!r}, which it does not list")
    return registry


def load_registry(path: Path | None = None) -> Registry:
    """The registry shipped with photofind, or one read from ``path``."""
    if path is None:
        return _packaged_registry()
    return _read(Path(path))


@cache
def _packaged_registry() -> Registry:
    return _read(Path(str(resources.files("photofind.core.models").joinpath(REGISTRY_FILE))))


def _read(path: Path) -> Registry:
    try:
        return parse_registry(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"The list of models {path} cannot be read ({exc}); reinstall photofind."
        ) from exc
