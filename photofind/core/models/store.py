"""What is on disk: the installed models, the active one, and each model's options.

```
data_dir/models/
  active.json                 {"active_model": "NAME"}: the model 'photofind model use' chose
  NAME/                       one bundle in the Immich layout (see clip/bundle.py)
    photofind.json            {"int8": true, "repo": ..., "revision": ...}: photofind's own notes
  .staging-NAME-XXXX/         an install in progress: never listed, removed on failure
  .removing-NAME-XXXX/        a model being deleted (moved aside first, so it vanishes at once)
```

Which model a command uses: ``--model``, else ``PHOTOFIND_MODEL``, else ``active.json``,
else the built-in tiny-shapes (:func:`active_model`). Every file here is written
atomically (temporary file, fsync, rename), so a crash leaves the old state or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photofind.core.atomic import fsync_dir, write_json_atomic
from photofind.core.catalog import Catalog
from photofind.core.clip.bundle import BUILTIN_MODELS, ModelBundle, builtin_models_dir
from photofind.core.config import DEFAULT_MODEL, MODEL_ENV, AppPaths
from photofind.core.errors import ModelError
from photofind.core.models.registry import Registry, RegistryModel, load_registry
from photofind.core.vector_index import index_file_name, index_files

ACTIVE_FILE = "active.json"
ACTIVE_KEY = "active_model"
OPTIONS_FILE = "photofind.json"
STAGING_PREFIX = ".staging-"
REMOVING_PREFIX = ".removing-"
STALE_STAGING_S = 24 * 3600  # an install older than this was killed: its staging dir is litter
# Folder names only: no separators, no leading dot (hidden, staging), no "+" (model ids use
# "NAME+int8"), short enough for every file system.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _read_json(path: Path) -> dict[str, Any]:
    """The object in ``path``, or {} when it is missing or unreadable (never a reason to fail)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def new_temp_dir(models_dir: Path, prefix: str, name: str) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{name}-", dir=models_dir))


def sweep_litter(models_dir: Path, *, now: float | None = None) -> None:
    """Delete what killed installs and removals left: every ``.removing-*`` folder, and
    ``.staging-*`` folders old enough that no install can still be writing to them."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        for entry in models_dir.iterdir():
            if entry.name.startswith(REMOVING_PREFIX):
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(STAGING_PREFIX):
                with contextlib.suppress(OSError):
                    if now - entry.stat().st_mtime > STALE_STAGING_S:
                        shutil.rmtree(entry, ignore_errors=True)


# -- names and options -----------------------------------------------------------------


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name.endswith("."):
        raise ModelError(
            f"'{name}' cannot be a model name; use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)."
        )
    return name


@dataclass(frozen=True)
class ModelOptions:
    """photofind's notes in a model folder (``photofind.json``)."""

    int8: bool = False  # use visual/model_int8.onnx for the image encoder
    int8_cosine: float | None = None  # its measured agreement with the fp32 encoder
    repo: str | None = None  # where it was downloaded from
    revision: str | None = None  # the hub commit it was downloaded at

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"int8": self.int8}
        for key in ("int8_cosine", "repo", "revision"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


def read_options(model_dir: Path) -> ModelOptions:
    data = _read_json(Path(model_dir) / OPTIONS_FILE)
    cosine = data.get("int8_cosine")
    repo, revision = data.get("repo"), data.get("revision")
    return ModelOptions(
        int8=data.get("int8") is True,
        int8_cosine=float(cosine) if isinstance(cosine, int | float) else None,
        repo=repo if isinstance(repo, str) else None,
        revision=revision if isinstance(revision, str) else None,
    )


def write_options(model_dir: Path, options: ModelOptions) -> None:
    write_json_atomic(Path(model_dir) / OPTIONS_FILE, options.to_json())


def uses_int8(bundle: ModelBundle) -> bool:
    """Whether this model's image encoder should run in int8 (``ClipEncoder(..., int8=...)``):
    chosen at install (``--int8``) and checked then, and the int8 file is still there."""
    return read_options(bundle.root).int8 and bundle.visual_model_int8.is_file()


# -- installed models and the active one -----------------------------------------------


def installed_names(paths: AppPaths) -> list[str]:
    """Model folders under ``models_dir`` (staging and removal folders are never listed)."""
    try:
        entries = list(paths.models_dir.iterdir())
    except OSError:
        return []
    return sorted(
        e.name for e in entries
        if not e.name.startswith(".") and e.is_dir() and (e / "config.json").exists()
    )  # fmt: skip


def is_installed(paths: AppPaths, name: str) -> bool:
    return (paths.models_dir / name / "config.json").exists()


def _used_model(paths: AppPaths) -> str | None:
    value = _read_json(paths.models_dir / ACTIVE_FILE).get(ACTIVE_KEY)
    return value if isinstance(value, str) and value else None


def chosen_model(paths: AppPaths) -> str:
    """The model 'photofind model use' chose (tiny-shapes when none was chosen)."""
    return _used_model(paths) or DEFAULT_MODEL


def model_is_chosen(paths: AppPaths) -> bool:
    """Whether a person chose the model (``PHOTOFIND_MODEL`` or 'photofind model use'), as
    opposed to photofind falling back to the built-in demo model."""
    return bool(os.environ.get(MODEL_ENV)) or _used_model(paths) is not None


def real_models_installed(paths: AppPaths) -> list[str]:
    """The installed models other than the built-in demo ones."""
    return [name for name in installed_names(paths) if name not in BUILTIN_MODELS]


def active_model(paths: AppPaths) -> str:
    """The model to use when ``--model`` is not given: ``PHOTOFIND_MODEL``, else the one
    chosen with 'photofind model use', else tiny-shapes. Reads one small file, creates nothing."""
    return os.environ.get(MODEL_ENV) or chosen_model(paths)


def load_installed(paths: AppPaths, name: str, registry: Registry | None = None) -> ModelBundle:
    """The bundle of an installed or built-in model, with a plain sentence when there is none."""
    if name in BUILTIN_MODELS and not (paths.models_dir / name).is_dir():
        return ModelBundle.load(builtin_models_dir() / name, name=name)
    check_name(name)
    if is_installed(paths, name):
        return ModelBundle.load(paths.models_dir / name, name=name)
    if (registry or load_registry()).get(name) is not None:
        raise ModelError(
            f"{name} is not installed; install it first with 'photofind model install {name}'."
        )
    raise ModelError(f"No model named '{name}' is installed; see 'photofind model list'.")


def set_active_model(paths: AppPaths, name: str) -> ModelBundle:
    """Make ``name`` the active model (checked first); returns its bundle."""
    bundle = load_installed(paths, name)
    write_json_atomic(paths.models_dir / ACTIVE_FILE, {ACTIVE_KEY: name})
    return bundle


# -- removal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovedModel:
    name: str
    freed_bytes: int  # the model folder and its search index files
    vectors: int  # photo vectors deleted from the catalog


def remove_model(paths: AppPaths, name: str) -> RemovedModel:
    """Delete a model's folder, its vectors in the catalog and its search index files.

    Refuses the built-in model and the active one. The folder is first renamed aside, so
    the model disappears at once even if the deletion itself is interrupted."""
    if name in BUILTIN_MODELS:
        raise ModelError(f"{name} is built into photofind and cannot be removed.")
    check_name(name)
    active = active_model(paths)
    if name in (active, chosen_model(paths)):
        raise ModelError(
            f"{name} is the active model; choose another one first with "
            f"'photofind model use NAME' (e.g. {DEFAULT_MODEL}), then remove it."
        )
    models_dir = paths.models_dir
    folder = models_dir / name
    model_ids = (name, f"{name}+int8")
    files = [f for m in model_ids for f in index_files(paths.data_dir / index_file_name(m))]
    catalog_ids: dict[str, int] = {}
    catalog = Catalog(paths.catalog_path) if paths.catalog_path.exists() else None
    try:
        if catalog is not None:
            known = set(catalog.models())
            catalog_ids = {m: len(catalog.embedding_ids(m)) for m in model_ids if m in known}
        if not folder.is_dir() and not catalog_ids and not any(f.exists() for f in files):
            raise ModelError(f"No model named '{name}' is installed; see 'photofind model list'.")
        freed = 0
        if folder.is_dir():
            aside = new_temp_dir(models_dir, REMOVING_PREFIX, name)
            aside.rmdir()
            os.rename(folder, aside)
            fsync_dir(models_dir)
            freed += folder_size(aside)
            shutil.rmtree(aside, ignore_errors=True)
        if catalog is not None:
            for model_id in catalog_ids:
                catalog.drop_model(model_id)
    finally:
        if catalog is not None:
            catalog.close()
    for file in files:
        with contextlib.suppress(FileNotFoundError):
            freed += file.stat().st_size
            file.unlink()
    return RemovedModel(name=name, freed_bytes=freed, vectors=sum(catalog_ids.values()))


# -- the list --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelStatus:
    """One row of 'photofind model list': a recommended model, an installed one, or both."""

    name: str
    installed: bool
    builtin: bool
    active: bool
    size_bytes: int | None  # on disk, when installed
    entry: RegistryModel | None  # when the model is in the list of recommended models
    recommended: bool  # the default recommendation
    recommended_multilingual: bool
    int8: bool
    problem: str | None  # why an installed model cannot be loaded, if it cannot

    @property
    def languages(self) -> tuple[str, ...] | None:
        return self.entry.languages if self.entry else None

    @property
    def recall(self) -> float | None:
        return self.entry.recall if self.entry else None


def list_models(paths: AppPaths, registry: Registry | None = None) -> list[ModelStatus]:
    """The built-in model, the recommended ones, then other installed ones (imported)."""
    registry = registry or load_registry()
    active = active_model(paths)
    installed = installed_names(paths)
    rows: list[ModelStatus] = []

    def row(name: str, entry: RegistryModel | None) -> ModelStatus:
        builtin = name in BUILTIN_MODELS and name not in installed
        folder = builtin_models_dir() / name if builtin else paths.models_dir / name
        present = builtin or name in installed
        problem, int8 = None, False
        if present:
            try:
                int8 = uses_int8(ModelBundle.load(folder, name=name))
            except ModelError as exc:
                problem = str(exc)
        return ModelStatus(
            name=name,
            installed=present,
            builtin=builtin,
            active=name == active,
            size_bytes=folder_size(folder) if present else None,
            entry=entry,
            recommended=name == registry.default,
            recommended_multilingual=name == registry.recommended_multilingual,
            int8=int8,
            problem=problem,
        )

    for name in BUILTIN_MODELS:
        rows.append(row(name, None))
    for entry in registry.models:
        rows.append(row(entry.name, entry))
    listed = {r.name for r in rows}
    for name in installed:
        if name not in listed:
            rows.append(row(name, None))
    return rows
