"""What the window says in more than one place, written once: counts of things, sizes,
time left, and the sentences about models and the demo library. Pure functions, no Qt.
"""

from __future__ import annotations

import os

from photofind.core.config import MODEL_ENV

MODEL_HELP = (
    "To search your own photos, choose a real CLIP model in <b>Library ▸ Models…</b>: "
    "it is downloaded once, then everything runs on this computer."
)
MAKING_DEMO = "Making the demo library…"
MB = 1_000_000


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``count(1, "photo")`` is "1 photo", ``count(1200, "photo")`` is "1,200 photos"."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60:02d} min left"


def size(n_bytes: int) -> str:
    """A measured size in decimal units, as model servers give them: 2.9 MB, 605 MB, 1.7 GB."""
    mb = n_bytes / MB
    if mb >= 1000:
        return f"{mb / 1000:.1f} GB"
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:,.0f} MB"


def approx_size(mb: int) -> str:
    """An estimate, shown as one: ≈600 MB, ≈1.7 GB."""
    return f"≈{mb:,} MB" if mb < 1000 else f"≈{mb / 1000:.1f} GB"


def file_size(n_bytes: float) -> str:
    """A photo's size in binary units, as file managers show it: 1,023 bytes, 2.4 MB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:,.0f} {unit}" if unit == "bytes" else f"{n_bytes:,.1f} {unit}"
        n_bytes /= 1024
    return ""


def searches_now_use(model: str) -> str:
    return f"Searches now use {model}."


def wait_for_demo(what: str) -> str:
    """Refusing a model or language change while the demo library is being made."""
    return f"The demo library is being made; choose the {what} when it is ready."


def wait_for_switch(what: str) -> str:
    """Refusing a change while the library is being opened with another model or language."""
    return (f"photofind is opening the library with the new model or language; choose the "
            f"{what} when it is done.")


def switch_note(name: str, switching: bool, search_model: str) -> str:
    """What the Models dialog says once ``name`` is in use."""
    if switching:
        note = (f"{name} is now in use. It indexes every photo again; searches use "
                f"{search_model} until it is done.")
    else:
        note = f"{name} is now in use."
    overriding = os.environ.get(MODEL_ENV)
    if overriding and overriding != name:
        note += (f" {MODEL_ENV}={overriding} is set and comes first the next time "
                 f"photofind starts; unset it to keep {name}.")
    return note


def language_note(language_name: str | None) -> str:
    """What the Models dialog says once queries are read in another language (None: Automatic)."""
    if language_name:
        return f"Queries are now read as {language_name}."
    return "The language of each query is now read off its script."
