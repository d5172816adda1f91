"""Fixtures shared by every test: the tiny model and generated photo libraries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from photofind.core.clip import ClipEncoder, ModelBundle, find_model  # noqa: E402
from photofind.core.shapes import ShapePhoto, generate_library  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tiny_bundle() -> ModelBundle:
    return find_model("tiny-shapes")


@pytest.fixture(scope="session")
def tiny_encoder(tiny_bundle: ModelBundle) -> ClipEncoder:
    return ClipEncoder(tiny_bundle, provider="cpu")


@pytest.fixture(scope="session")
def shape_library_48(tmp_path_factory: pytest.TempPathFactory) -> list[ShapePhoto]:
    """48 photos (two of each colour+shape), every file format, small sizes: read-only."""
    folder = tmp_path_factory.mktemp("shapes48")
    return generate_library(folder, 48, seed=4242, size_range=(300, 700))


@pytest.fixture
def make_library(tmp_path: Path):
    """Write a fresh library of ``count`` photos into tmp_path/<name> and return it."""

    def make(count: int, *, seed: int = 7, name: str = "photos", **kw) -> list[ShapePhoto]:
        return generate_library(tmp_path / name, count, seed=seed, **kw)

    return make
