"""Errors a user can meet. Each carries one plain sentence that says what to do."""

from __future__ import annotations


class PhotofindError(Exception):
    """Base class: ``str(err)`` is a message fit to show a user as it is."""


class ModelError(PhotofindError):
    """A model bundle is missing, incomplete or cannot be run."""


class ImageError(PhotofindError):
    """One image file cannot be read; recorded per file, never stops a run."""


class CatalogError(PhotofindError):
    """The catalog or data directory cannot be used."""
