"""Where photofind keeps its files, and the settings that choose a model and a provider.

Nothing happens at import time: call :func:`app_paths` to get the directories.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "photofind"

DATA_DIR_ENV = "PHOTOFIND_DATA_DIR"
MODEL_ENV = "PHOTOFIND_MODEL"
PROVIDER_ENV = "PHOTOFIND_PROVIDER"
LANGUAGE_ENV = "PHOTOFIND_LANGUAGE"
BUSY_TIMEOUT_ENV = "PHOTOFIND_BUSY_TIMEOUT_S"

# How long a change to the catalog waits for another photofind (the CLI beside the window)
# to finish its own: the indexer commits a batch in well under a second, so ten seconds of
# waiting means the other program is holding the lock on purpose, and saying so is better.
BUSY_TIMEOUT_S = 10.0

DEFAULT_MODEL = "tiny-shapes"
PROVIDERS = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class AppPaths:
    """The directories photofind writes to. ``data_dir`` holds everything the user built."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def settings_path(self) -> Path:
        return self.data_dir / "settings.json"

    @property
    def thumbnails_dir(self) -> Path:
        return self.cache_dir / "thumbnails"


def app_paths(data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    """Directories from, in order: the argument, ``PHOTOFIND_DATA_DIR``, platformdirs.

    With an explicit data dir, cache and logs live inside it too, so a test or a portable
    install never writes outside the folder it was given.
    """
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    if chosen:
        root = Path(chosen).expanduser().absolute()
        return AppPaths(data_dir=root, cache_dir=root / "cache", log_dir=root / "logs")
    return AppPaths(
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )


def default_model() -> str:
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def default_provider() -> str:
    value = os.environ.get(PROVIDER_ENV, "auto").lower()
    return value if value in PROVIDERS else "auto"


def busy_timeout_s() -> float:
    """``PHOTOFIND_BUSY_TIMEOUT_S`` when it is a number of seconds, else BUSY_TIMEOUT_S."""
    try:
        value = float(os.environ.get(BUSY_TIMEOUT_ENV, BUSY_TIMEOUT_S))
    except ValueError:
        return BUSY_TIMEOUT_S
    return value if 0 <= value < float("inf") else BUSY_TIMEOUT_S


def query_language() -> str | None:
    """The language of queries for multilingual NLLB models (a FLORES-200 code such as
    ``deu_Latn`` or a locale such as ``de``); None: read off each query's script."""
    return os.environ.get(LANGUAGE_ENV) or None
