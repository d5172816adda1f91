"""The models on disk: import, the active model, removal with its vectors, the list."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from photofind.core.catalog import Catalog
from photofind.core.clip import ModelBundle
from photofind.core.config import MODEL_ENV, AppPaths, app_paths
from photofind.core.errors import ModelError
from photofind.core.library import open_library
from photofind.core.models import (
    active_model,
    chosen_model,
    list_models,
    load_registry,
    quantize,
    read_options,
    remove_model,
    set_active_model,
    uses_int8,
)
from photofind.core.models import registry as registry_module
from photofind.core.models.install import import_model
from photofind.core.models.registry import parse_registry
from photofind.core.models.store import (
    ACTIVE_FILE,
    STALE_STAGING_S,
    ModelOptions,
    sweep_litter,
    write_options,
)
from photofind.core.vector_index import index_file_name


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.delenv(MODEL_ENV, raising=False)
    return app_paths(tmp_path / "data")


def imported(paths: AppPaths, source: Path, name: str, **kw) -> Path:
    steps = list(import_model(paths, source, name=name, **kw))
    assert steps[-1].phase == "installed", steps[-1]
    return paths.models_dir / name


# -- the registry ----------------------------------------------------------------------


def test_the_registry_names_its_recommendations():
    registry = load_registry()
    for name in (
        "ViT-B-32__openai", "ViT-B-32__laion2b-s34b-b79k", "ViT-B-16__openai", "ViT-L-14__openai",
        "XLM-Roberta-Large-Vit-B-32", "nllb-clip-base-siglip__v1", "ViT-B-16-SigLIP__webli",
    ):  # fmt: skip
        entry = registry.get(name)
        assert entry is not None and entry.repo == f"immich-app/{name}", name
        assert entry.embed_dim in (512, 768) and entry.approx_download_mb > 0
    default, openai = registry.get(registry.default), registry.get("ViT-B-32__openai")
    assert default.name == "ViT-B-32__laion2b-s34b-b79k"
    # better at the same cost: same size and tower, higher published recall
    assert (default.recall, openai.recall) == (68.78, 59.37)
    assert default.approx_download_mb == openai.approx_download_mb
    assert default.embed_dim == openai.embed_dim
    multilingual = registry.get(registry.recommended_multilingual)
    assert multilingual.name == "XLM-Roberta-Large-Vit-B-32" and multilingual.multilingual
    assert registry.get("nllb-clip-base-siglip__v1").multilingual
    assert not default.multilingual


def test_a_malformed_registry_is_refused(tmp_path):
    good = json.loads((Path(registry_module.__file__).parent / "registry.json").read_text())
    twice = {**good, "models": good["models"] + good["models"][:1]}
    with pytest.raises(ValueError, match="unique"):
        parse_registry(twice)
    unknown_default = {**good, "default": "nope"}
    with pytest.raises(ValueError, match="does not list"):
        parse_registry(unknown_default)
    path = tmp_path / "registry.json"
    path.write_text("{")
    with pytest.raises(ModelError, match="cannot be read"):
        load_registry(path)


# -- import ------------------------------------------------------------------------------


def test_import_copies_a_bundle_and_only_its_runtime_files(paths, tiny_bundle, tmp_path):
    source = tmp_path / "export"
    shutil.copytree(tiny_bundle.root, source)
    (source / "visual" / "model_int8.onnx").write_bytes(b"old")
    (source / "notes.txt").write_text("not a model file")
    (source / "visual" / "fp16").mkdir()
    (source / "visual" / "fp16" / "model.onnx").write_bytes(b"x")
    steps = list(import_model(paths, source))
    assert steps[0].phase == "copying" and steps[-1].phase == "installed"
    folder = paths.models_dir / "export"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        "config.json", "photofind.json", "textual/model.onnx", "textual/tokenizer.json",
        "textual/tokenizer_config.json", "visual/model.onnx", "visual/preprocess_cfg.json",
    ]  # fmt: skip
    assert ModelBundle.load(folder).embed_dim == tiny_bundle.embed_dim
    assert read_options(folder) == ModelOptions()
    assert not [p for p in paths.models_dir.iterdir() if p.name.startswith(".")]


def test_import_refuses_what_it_cannot_install(paths, tiny_bundle, tmp_path):
    with pytest.raises(ModelError, match="is not a model folder"):
        list(import_model(paths, tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="name of the built-in model"):
        list(import_model(paths, tiny_bundle.root))
    with pytest.raises(ModelError, match="cannot be a model name"):
        list(import_model(paths, tiny_bundle.root, name="a/b"))
    imported(paths, tiny_bundle.root, "mine")
    with pytest.raises(ModelError, match="already installed; remove it first"):
        list(import_model(paths, tiny_bundle.root, name="mine"))
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bundle.root, broken)
    (broken / "textual" / "model.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelError, match="cannot be loaded"):
        list(import_model(paths, broken))
    assert not (paths.models_dir / "broken").exists()
    assert not [p for p in paths.models_dir.iterdir() if p.name.startswith(".")]


def test_import_with_int8(paths, tiny_bundle, monkeypatch):
    folder = imported(paths, tiny_bundle.root, "fast", int8=True)
    bundle = ModelBundle.load(folder)
    assert uses_int8(bundle)
    monkeypatch.setattr(quantize, "INT8_MIN_COSINE", 1.5)
    last = list(import_model(paths, tiny_bundle.root, name="strict", int8=True))[-1]
    assert last.result.int8 is not None and not last.result.int8.kept
    assert not (paths.models_dir / "strict" / "visual" / "model_int8.onnx").exists()


def test_stopping_an_import_leaves_nothing(paths, tiny_bundle):
    cancel = threading.Event()
    seen = []
    for step in import_model(paths, tiny_bundle.root, name="mine", cancel=cancel):
        seen.append(step.phase)
        cancel.set()
    assert seen[-1] == "cancelled" and "installing" not in seen
    assert list(paths.models_dir.iterdir()) == []


# -- the active model ------------------------------------------------------------------


def test_the_active_model_is_chosen_and_remembered(paths, tiny_bundle, monkeypatch):
    assert active_model(paths) == chosen_model(paths) == "tiny-shapes"
    assert not paths.data_dir.exists()  # asking creates nothing
    imported(paths, tiny_bundle.root, "mine")
    bundle = set_active_model(paths, "mine")
    assert bundle.name == "mine"
    assert json.loads((paths.models_dir / ACTIVE_FILE).read_text()) == {"active_model": "mine"}
    assert active_model(paths) == "mine"
    monkeypatch.setenv(MODEL_ENV, "tiny-shapes")
    assert active_model(paths) == "tiny-shapes" and chosen_model(paths) == "mine"
    monkeypatch.delenv(MODEL_ENV)
    with pytest.raises(ModelError, match="not installed; install it first with 'photofind model"):
        set_active_model(paths, "ViT-B-32__openai")
    with pytest.raises(ModelError, match="No model named 'other' is installed"):
        set_active_model(paths, "other")
    with pytest.raises(ModelError, match="cannot be a model name"):
        set_active_model(paths, "../mine")
    assert active_model(paths) == "mine"
    set_active_model(paths, "tiny-shapes")
    assert active_model(paths) == "tiny-shapes"


def test_a_broken_active_file_means_the_default(paths):
    (paths.models_dir).mkdir(parents=True)
    (paths.models_dir / ACTIVE_FILE).write_text("{not json")
    assert active_model(paths) == "tiny-shapes"


def test_uses_int8_needs_the_choice_and_the_file(paths, tiny_bundle):
    folder = imported(paths, tiny_bundle.root, "mine")
    write_options(folder, ModelOptions(int8=True))
    assert not uses_int8(ModelBundle.load(folder))  # the int8 file is missing
    shutil.copy(folder / "visual" / "model.onnx", folder / "visual" / "model_int8.onnx")
    assert uses_int8(ModelBundle.load(folder))


# -- removal ---------------------------------------------------------------------------


def _index(paths: AppPaths, model: str) -> None:
    library = open_library(paths, model, "cpu")
    try:
        for _ in library.indexer().run(threading.Event()):
            pass
    finally:
        library.close()


def test_remove_deletes_the_folder_the_vectors_and_the_index(
    paths, tiny_bundle, make_library, tmp_path
):
    make_library(4, size_range=(200, 300))
    folder = imported(paths, tiny_bundle.root, "mine")
    catalog = Catalog(paths.catalog_path)
    catalog.add_folder(tmp_path / "photos")
    catalog.close()
    _index(paths, "tiny-shapes")
    _index(paths, "mine")
    catalog = Catalog(paths.catalog_path)
    assert catalog.models() == ["mine", "tiny-shapes"]
    catalog.close()
    assert (paths.data_dir / index_file_name("mine")).exists()
    assert (paths.data_dir / (index_file_name("mine") + ".meta.json")).exists()
    removed = remove_model(paths, "mine")
    assert removed.vectors == 4 and removed.freed_bytes > 2_000_000
    assert not folder.exists()
    assert not (paths.data_dir / index_file_name("mine")).exists()
    kept = sorted(p.name for p in paths.data_dir.iterdir() if p.name.startswith("index-"))
    assert kept == [index_file_name("tiny-shapes"), index_file_name("tiny-shapes") + ".meta.json"]
    catalog = Catalog(paths.catalog_path)
    assert catalog.models() == ["tiny-shapes"]
    assert len(catalog.embedding_ids("tiny-shapes")) == 4
    catalog.close()
    assert not [p for p in paths.models_dir.iterdir() if p.name.startswith(".")]
    with pytest.raises(ModelError, match="No model named 'mine' is installed"):
        remove_model(paths, "mine")


def test_remove_refuses_the_active_and_the_built_in_model(paths, tiny_bundle, monkeypatch):
    imported(paths, tiny_bundle.root, "mine")
    set_active_model(paths, "mine")
    with pytest.raises(ModelError, match="mine is the active model; choose another one first"):
        remove_model(paths, "mine")
    with pytest.raises(ModelError, match="built into photofind and cannot be removed"):
        remove_model(paths, "tiny-shapes")
    set_active_model(paths, "tiny-shapes")
    monkeypatch.setenv(MODEL_ENV, "mine")
    with pytest.raises(ModelError, match="is the active model"):
        remove_model(paths, "mine")
    assert (paths.models_dir / "mine").is_dir()


# -- the list and the litter -----------------------------------------------------------


def test_the_list_shows_recommended_and_installed_models(paths, tiny_bundle):
    imported(paths, tiny_bundle.root, "mine")
    imported(paths, tiny_bundle.root, "broken")
    (paths.models_dir / "broken" / "visual" / "model.onnx").unlink()
    set_active_model(paths, "mine")
    rows = {r.name: r for r in list_models(paths)}
    registry = load_registry()
    assert list(rows)[: 1 + len(registry.models)] == ["tiny-shapes", *registry.names]
    assert rows["tiny-shapes"].builtin and rows["tiny-shapes"].installed
    assert rows["mine"].active and rows["mine"].installed and rows["mine"].entry is None
    assert sum(r.active for r in rows.values()) == 1
    assert rows["broken"].problem is not None and "missing" in rows["broken"].problem
    default = rows[registry.default]
    assert default.recommended and not default.installed and default.size_bytes is None
    assert rows[registry.recommended_multilingual].recommended_multilingual


def test_killed_installs_and_removals_are_swept(paths):
    models = paths.models_dir
    for name in (".staging-a-old", ".staging-b-new", ".removing-c-x"):
        (models / name / "visual").mkdir(parents=True)
    old = time.time() - STALE_STAGING_S - 60
    os.utime(models / ".staging-a-old", (old, old))
    sweep_litter(models)
    assert sorted(p.name for p in models.iterdir()) == [".staging-b-new"]
