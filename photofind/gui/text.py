"""What the window says in more than one place, written once: the sentences about models,
query languages and the demo library. Pure functions, no Qt; numbers (sizes, time left,
counted nouns) are :mod:`photofind.core.humanize`'s, shared with the command line.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from photofind.core.config import MODEL_ENV
from photofind.core.models import BUILTIN_MODELS

MODEL_HELP = (
    "To search your own photos, choose a real CLIP model in <b>Library ▸ Models…</b>: "
    "it is downloaded once, then everything runs on this computer."
)
MAKING_DEMO = "Making the demo library…"


def searches_now_use(model: str) -> str:
    return f"Searches now use {model}."


def wait_for_demo(what: str) -> str:
    """Refusing a model or language change while the demo library is being made."""
    return f"The demo library is being made; choose the {what} when it is ready."


def wait_for_switch(what: str) -> str:
    """Refusing a change while the library is being opened with another model or language."""
    return (
        f"photofind is opening the library with the new model or language; choose the "
        f"{what} when it is done."
    )


def switch_note(name: str, switching: bool, search_model: str) -> str:
    """What the Models dialog says once ``name`` is in use."""
    if switching:
        note = (
            f"{name} is now in use. It indexes every photo again; searches use "
            f"{search_model} until it is done."
        )
    else:
        note = f"{name} is now in use."
    overriding = os.environ.get(MODEL_ENV)
    if overriding and overriding != name:
        note += (
            f" {MODEL_ENV}={overriding} is set and comes first the next time "
            f"photofind starts; unset it to keep {name}."
        )
    return note


def language_note(language_name: str | None) -> str:
    """What the Models dialog says once queries are read in another language (None: Automatic)."""
    if language_name:
        return f"Queries are now read as {language_name}."
    return "The language of each query is now read off its script."


def about(model: str, provider: str, data_dir: Path) -> str:
    """Help ▸ About photofind, as rich text."""
    try:
        version = metadata.version("photofind")
    except metadata.PackageNotFoundError:
        version = "development"
    help_text = f"<br><br>{MODEL_HELP}" if model in BUILTIN_MODELS else ""
    return (
        f"<b>photofind</b> {version}<br>Finds photos in your own library by what they "
        f"show, on this computer.<br><br>Model: <i>{model}</i> "
        f"({provider})<br>Data folder: {data_dir}{help_text}"
    )
