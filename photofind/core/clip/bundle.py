"""A CLIP model on disk: a folder in the layout of the public Immich CLIP zoo.

```
config.json                   open_clip config: embed_dim, vision_cfg, text_cfg
visual/model.onnx             image tower
visual/preprocess_cfg.json    size, mean, std, interpolation, resize_mode
textual/model.onnx            text tower
textual/tokenizer.json        HF tokenizers file (CLIP BPE, SentencePiece, ...)
textual/tokenizer_config.json pad_token (optional)
```

The signatures in that zoo (OpenAI/LAION CLIP, SigLIP, XLM-RoBERTa, NLLB-CLIP, M-CLIP) load
unchanged (tests/zoo_bundles.py rebuilds each in miniature), and so does the tiny model
this project trains for its tests and demo. Loading only reads the small JSON files and
checks that the ONNX files are there; the graphs are opened lazily by the encoder.

The context length is ``text_cfg.context_length``, else 77, as open_clip and Immich take
it (64 for SigLIP). tokenizer_config.json's ``model_max_length`` is not used: for XLM-R and
NLLB it is the tokeniser's limit (512, 1024), not the length the graph was exported with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from photofind.core.clip.preprocess import PreprocessConfig
from photofind.core.clip.tokenizer import CLEAN_MODES
from photofind.core.errors import ModelError

BUILTIN_MODELS = ("tiny-shapes",)
DEFAULT_CONTEXT_LENGTH = 77


@dataclass(frozen=True)
class ModelBundle:
    root: Path
    name: str
    embed_dim: int
    context_length: int
    preprocess: PreprocessConfig
    config: dict[str, Any]

    @property
    def visual_model(self) -> Path:
        return self.root / "visual" / "model.onnx"

    @property
    def visual_model_int8(self) -> Path:
        return self.root / "visual" / "model_int8.onnx"

    @property
    def textual_model(self) -> Path:
        return self.root / "textual" / "model.onnx"

    @property
    def tokenizer_json(self) -> Path:
        return self.root / "textual" / "tokenizer.json"

    @property
    def tokenizer_config(self) -> Path:
        return self.root / "textual" / "tokenizer_config.json"

    @property
    def text_cfg(self) -> dict[str, Any]:
        text_cfg = self.config.get("text_cfg")
        return text_cfg if isinstance(text_cfg, dict) else {}

    @property
    def text_clean(self) -> str:
        """open_clip's text cleaning for non-CLIP tokenisers: ``canonicalize`` for SigLIP,
        else its default ``whitespace`` (CLIP BPE always cleans the ``lower`` way)."""
        kwargs = self.text_cfg.get("tokenizer_kwargs")
        clean = kwargs.get("clean") if isinstance(kwargs, dict) else None
        return clean if isinstance(clean, str) else "whitespace"

    @property
    def is_nllb(self) -> bool:
        """An NLLB-CLIP model, by its name or its text tower's (as Immich tells them)."""
        names = [self.name, self.root.name, str(self.text_cfg.get("hf_model_name", ""))]
        names.append(str(self.text_cfg.get("hf_tokenizer_name", "")))
        return any("nllb" in name.lower() for name in names)

    @property
    def model_id(self) -> str:
        """Identifies the embedding space: vectors with different ids are never compared."""
        return self.name

    @classmethod
    def load(cls, root: str | Path, *, name: str | None = None) -> ModelBundle:
        root = Path(root)
        if not root.is_dir():
            raise ModelError(f"The model folder {root} does not exist; install the model again.")
        config = _read_json(root / "config.json")
        embed_dim = config.get("embed_dim")
        if not isinstance(embed_dim, int) or embed_dim <= 0:
            raise ModelError(
                f"{root / 'config.json'} has no valid 'embed_dim'; the model is damaged, "
                "install it again."
            )
        cfg_path = root / "visual" / "preprocess_cfg.json"
        try:
            preprocess = PreprocessConfig.from_dict(_read_json(cfg_path))
        except (ValueError, TypeError, KeyError) as exc:
            raise ModelError(
                f"{cfg_path} is not a valid preprocessing config ({exc}); install the model again."
            ) from exc
        text_cfg = config.get("text_cfg") or {}
        if not isinstance(text_cfg, dict):
            raise ModelError(
                f"{root / 'config.json'} has a 'text_cfg' that is not an object; the model is "
                "damaged, install it again."
            )
        context_length = text_cfg.get("context_length", DEFAULT_CONTEXT_LENGTH)
        if isinstance(context_length, bool) or not isinstance(context_length, int):
            context_length = 0
        if not 2 <= context_length <= 512:
            raise ModelError(
                f"{root / 'config.json'} has text_cfg.context_length "
                f"{text_cfg.get('context_length')!r}; it must be a whole number from 2 to 512."
            )
        bundle = cls(
            root=root,
            name=name or root.name,
            embed_dim=embed_dim,
            context_length=context_length,
            preprocess=preprocess,
            config=config,
        )
        if bundle.text_clean not in CLEAN_MODES:
            raise ModelError(
                f"{root / 'config.json'} asks for text cleaning {bundle.text_clean!r}; "
                f"photofind knows {', '.join(CLEAN_MODES)}."
            )
        for required in (bundle.visual_model, bundle.textual_model, bundle.tokenizer_json):
            _require_file(required)
        return bundle


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise ModelError(f"The model file {path} is missing; install the model again.")
    if path.stat().st_size == 0:
        raise ModelError(f"The model file {path} is empty; install the model again.")


def _read_json(path: Path) -> dict[str, Any]:
    _require_file(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"The model file {path} is not valid JSON ({exc}); install the model again."
        ) from exc
    if not isinstance(data, dict):
        raise ModelError(
            f"The model file {path} does not hold a JSON object; install the model again."
        )
    return data


def builtin_models_dir() -> Path:
    return Path(str(resources.files("photofind.builtin_models")))


def _is_dir(path: Path) -> bool:
    """Path.is_dir, except that a name the file system cannot hold (over 255 bytes, a path
    over PATH_MAX) is simply not a folder instead of an OSError."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _shown(name: str) -> str:
    return name if len(name) <= SHOWN_NAME_CHARS else name[: SHOWN_NAME_CHARS - 1] + "…"


SHOWN_NAME_CHARS = 80  # a name pasted by mistake can be any length; a message stays readable


def find_model(name_or_dir: str | Path, models_dir: Path | None = None) -> ModelBundle:
    """A bundle from a folder path, an installed model name, or a built-in model name."""
    as_path = Path(name_or_dir).expanduser()
    if _is_dir(as_path) and (as_path / "config.json").exists():
        return ModelBundle.load(as_path)
    name = str(name_or_dir)
    if models_dir is not None and _is_dir(models_dir / name):
        return ModelBundle.load(models_dir / name, name=name)
    if name in BUILTIN_MODELS:
        return ModelBundle.load(builtin_models_dir() / name, name=name)
    if _is_dir(as_path) or "/" in name or "\\" in name:
        raise ModelError(
            f"{_shown(str(as_path))} is not a model folder (it has no config.json); pass a "
            "folder in the Immich CLIP layout (e.g. one made by models/export.py) or use "
            "tiny-shapes."
        )
    raise ModelError(
        f"No model named '{_shown(name)}' is installed; install it or use tiny-shapes.",
        hint="You can also pass a model folder with --model.",
    )
