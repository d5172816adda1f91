"""What the Models dialog says about each model: its line in the table, its details, the
install step under way and its end. Pure functions of the core's ModelStatus and install
progress, except the import refusal, which looks into the models folder."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt

from photofind.core import humanize
from photofind.core.config import AppPaths
from photofind.core.models import BUILTIN_MODELS, ModelStatus
from photofind.core.models.install import InstallProgress
from photofind.core.models.install_progress import INSTALL_STEPS
from photofind.core.models.store import is_installed
from photofind.gui.workers.install import InstallOutcome

COLUMNS = ("Model", "Size", "Languages", "Embedding", "Recall", "State")
LANGUAGES = {"en": "English", "multilingual": "Many languages"}
QUERY_LANGUAGES = (  # (label, FLORES-200 code); None reads each query's script
    ("Automatic", None),
    ("English", "eng_Latn"),
    ("Chinese (Simplified)", "zho_Hans"),
    ("Chinese (Traditional)", "zho_Hant"),
    ("Japanese", "jpn_Jpan"),
    ("Korean", "kor_Hang"),
    ("German", "deu_Latn"),
    ("French", "fra_Latn"),
    ("Spanish", "spa_Latn"),
    ("Russian", "rus_Cyrl"),
    ("Arabic", "arb_Arab"),
    ("Hindi", "hin_Deva"),
    ("Portuguese", "por_Latn"),
    ("Italian", "ita_Latn"),
)
LANGUAGE_TIP = (
    "The language your searches are written in. It matters only for multilingual (NLLB) "
    "models, which are told the language of each query; other models ignore it. Automatic "
    "reads the language off the query's script (Latin letters are taken as English), so "
    "choose your language if you search in German, French, Spanish…. Changing it reopens "
    "the library, as Use does."
)
INT8_LABEL = "int8 (smaller, faster on CPU)"
IMPORT_TIP = (
    "Install a model from a folder on this computer or a USB stick, for computers without "
    "internet: a folder in the Immich layout (config.json, visual/, textual/), as on "
    "huggingface.co/immich-app or made by models/export.py. The folder's name becomes the "
    "model's name."
)
NUMERIC = (1, 3, 4)  # Size, Embedding, Recall: right-aligned
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def size_text(n_bytes: int) -> str:
    """Sizes on disk and downloaded, as the model server counts them: 2.9 MB, 1.7 GB."""
    return humanize.size(n_bytes, in_gb=True)


def describe_install(p: InstallProgress) -> str:
    if p.phase == "copying":
        return f"Copying {p.name}: {size_text(p.done_bytes)} of {size_text(p.total_bytes)}"
    if p.phase == "downloading":
        parts = [f"Downloading {p.name}: {size_text(p.done_bytes)} of {size_text(p.total_bytes)}"]
        if p.bytes_per_s > 0:
            parts.append(humanize.transfer_rate(p.bytes_per_s))
        if p.eta_s is not None:
            parts.append(humanize.time_left(p.eta_s))
        return " · ".join(parts)
    if p.phase == "cancelled":
        return "Stopping…"
    return INSTALL_STEPS.get(p.phase, "").format(name=p.name)


def import_refusal(paths: AppPaths, source: Path) -> str | None:
    """Why a folder cannot be imported under its own name, in this dialog's words (the
    core's sentences name the command line's remedies); None when the core may try."""
    name = source.name
    if name in BUILTIN_MODELS:
        return f"{name} is the name of the built-in model; rename the folder and import it again."
    if is_installed(paths, name):
        return (
            f"A model named {name} is already installed; remove it from this list first, or "
            "rename the folder and import it again."
        )
    return None


def installed_note(outcome: InstallOutcome, in_use: str) -> str:
    """What the dialog says once a model is installed or imported."""
    result = outcome.last.result if outcome.last else None
    assert result is not None, "only for an outcome that installed"
    done = "Imported" if outcome.source else "Installed"
    note = f"{done} {outcome.name} ({size_text(result.size_bytes)})."
    if result.int8 is not None and not result.int8.kept:
        note += " Its int8 image encoder disagreed with the original, so it runs in full precision."
    elif result.int8_active:
        note += " Its image encoder runs in int8."
    if outcome.name != in_use:
        note += " Click Use to search with it."
    return note


@dataclass(frozen=True)
class Row:
    """What one line of the table says, from the core's ModelStatus."""

    status: ModelStatus
    embed_dim: int | None
    in_use: bool  # the model the window indexes with
    answering: bool  # the model answering searches while the one in use catches up

    @property
    def name(self) -> str:
        return self.status.name

    @property
    def usable(self) -> bool:
        return self.status.installed and self.status.problem is None

    @property
    def installable(self) -> bool:
        return self.status.entry is not None and (
            not self.status.installed or self.status.problem is not None
        )

    @property
    def removable(self) -> bool:
        s = self.status
        return s.installed and not s.builtin and not self.in_use and not self.answering

    def cells(self) -> tuple[str, ...]:
        s, entry = self.status, self.status.entry
        if s.installed and s.size_bytes is not None:
            size = size_text(s.size_bytes)
        else:
            size = humanize.approx_size(entry.approx_download_mb) if entry else "—"
        languages = ", ".join(LANGUAGES.get(code, code) for code in s.languages or ()) or "—"
        recall = f"{s.recall:.1f}%" if s.recall is not None else "—"
        name = s.name
        if s.recommended:
            name += "  (recommended)"
        elif s.recommended_multilingual:
            name += "  (recommended for other languages)"
        return (name, size, languages, str(self.embed_dim or "—"), recall, self.state)

    @property
    def state(self) -> str:
        s = self.status
        if self.in_use:
            return "In use"
        if self.answering:
            return "Answers searches for now"
        if s.problem:
            return "Damaged"
        if s.builtin:
            return "Built in"
        if s.installed:
            return "Installed, int8" if s.int8 else "Installed"
        return "Not installed"

    def details(self, in_use: str) -> str:
        """The line under the table, as rich text; ``in_use``: the model the window uses."""
        s, entry = self.status, self.status.entry
        parts = []
        if s.recommended:
            parts.append("<b>Recommended.</b>")
        if s.recommended_multilingual:
            parts.append("<b>Recommended for searching in other languages.</b>")
        if s.builtin:
            parts.append(
                "Built into photofind. It only knows pictures of coloured shapes, "
                "enough to try photofind on the demo library."
            )
        elif entry is None and s.installed:
            parts.append("Imported from a model folder.")
        if entry is not None:
            if entry.note:
                parts.append(html.escape(entry.note))
            facts = [f"Repository: {html.escape(entry.repo)}"]
            facts.append(
                f"Licence: {html.escape(entry.license)}"
                if entry.license
                else "Licence: see the model's page"
            )
            if not s.installed:
                facts.append(f"download {humanize.approx_size(entry.approx_download_mb)}")
            parts.append(" · ".join(facts) + ".")
        if self.answering:
            parts.append(
                f"It answers searches until {html.escape(in_use)} has indexed every photo."
            )
        if s.problem:
            parts.append(f"<b>{html.escape(s.problem)}</b>")
        return " ".join(parts)
