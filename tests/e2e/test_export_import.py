"""The path a user with a real model takes, end to end, with a freshly exported model:
models/export.py turns a Hugging Face CLIPModel folder into a bundle, `photofind model
import` installs it, `use` makes it active, and index/search run on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300

pytestmark = pytest.mark.slow


def run(*cmd: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    result = subprocess.run(
        list(cmd), stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        timeout=TIMEOUT_S, env=env, cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def test_exported_model_is_imported_used_indexed_and_searched(tmp_path: Path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=77),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, image_size=64, patch_size=16),
        projection_dim=16,
    )  # fmt: skip
    hf_folder = tmp_path / "hf-clip"
    transformers.CLIPModel(config).eval().save_pretrained(hf_folder)
    bundle = tmp_path / "small-clip"
    run(sys.executable, str(ROOT / "models" / "export.py"), "--hf", str(hf_folder),
        "--out", str(bundle), cwd=tmp_path)  # fmt: skip
    assert (bundle / "visual" / "model.onnx").is_file() and (bundle / "config.json").is_file()

    photofind = [sys.executable, "-m", "photofind", "--data-dir", str(tmp_path / "data"),
                 "--provider", "cpu"]  # fmt: skip
    run(*photofind, "model", "import", str(bundle), cwd=tmp_path)
    run(*photofind, "model", "use", "small-clip", cwd=tmp_path)
    photos = generate_library(tmp_path / "photos", 12, seed=5, size_range=(300, 400))
    run(*photofind, "index", str(tmp_path / "photos"), cwd=tmp_path)
    status = json.loads(run(*photofind, "status", "--json", cwd=tmp_path))
    assert (status["model"], status["photos"], status["failed"]) == ("small-clip", 12, 0)
    results = json.loads(run(*photofind, "search", "a dog on the beach", "-k", "5", "--json", "--all",
                             cwd=tmp_path))["results"]  # fmt: skip
    assert len(results) == 5  # random weights: any order, but real paths and cosines
    assert {r["path"] for r in results} <= {str(p.path) for p in photos}
    assert all(-1.0 <= r["score"] <= 1.0 for r in results)
