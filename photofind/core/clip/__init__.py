"""CLIP runtime: model bundles, preprocessing, tokenisation, ONNX Runtime encoder."""

from photofind.core.clip.bundle import ModelBundle, find_model
from photofind.core.clip.encoder import ClipEncoder, ProviderWarning, resolve_provider

__all__ = ["ClipEncoder", "ModelBundle", "ProviderWarning", "find_model", "resolve_provider"]
