"""Which models the first-run and idle pages offer on this computer: the registry's
recommendations ordered by the system's language, and what is installed already."""

from __future__ import annotations

from PySide6.QtCore import QLocale

from photofind.core.config import AppPaths
from photofind.core.errors import PhotofindError
from photofind.core.models import load_registry
from photofind.core.models.store import installed_names
from photofind.gui import states

# "C" and POSIX locales name no language: their users are taken to read English, as the
# window itself is written in English.
ENGLISH_LOCALES = (QLocale.Language.English, QLocale.Language.C)


def system_speaks_english() -> bool:
    return QLocale.system().language() in ENGLISH_LOCALES


def find_offers(paths: AppPaths) -> tuple[states.ModelOffer, ...]:
    """Reads the models folder: call it when models change, not on every page."""
    try:
        registry = load_registry()
    except PhotofindError:
        return ()
    return states.model_offers(registry, installed_names(paths), english=system_speaks_english())
