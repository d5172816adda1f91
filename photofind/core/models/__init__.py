"""Models: which are built in (``BUILTIN_MODELS``), the recommended list, install/import/remove,
the active model and the int8 image encoder.

``registry``: the recommended models (registry.json). ``store``: what is on disk and which
model is active. ``download``: talking to the Hugging Face hub. ``install``: the install
and import generators. ``quantize``: the int8 image encoder.
"""

from photofind.core.clip.bundle import BUILTIN_MODELS
from photofind.core.models.registry import Registry, RegistryModel, load_registry
from photofind.core.models.store import (
    ModelOptions,
    ModelStatus,
    RemovedModel,
    active_model,
    chosen_model,
    list_models,
    model_is_chosen,
    read_options,
    real_models_installed,
    remove_model,
    set_active_model,
    uses_int8,
)

__all__ = [
    "BUILTIN_MODELS",
    "ModelOptions",
    "ModelStatus",
    "Registry",
    "RegistryModel",
    "RemovedModel",
    "active_model",
    "chosen_model",
    "list_models",
    "load_registry",
    "model_is_chosen",
    "read_options",
    "real_models_installed",
    "remove_model",
    "set_active_model",
    "uses_int8",
]
