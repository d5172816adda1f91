"""The question asked when a folder is added while the built-in demo model is in use only
because no real one was installed or chosen: indexing real photos with it gives results
that look like answers and mean nothing, so the person decides."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PySide6.QtWidgets import QMessageBox, QWidget

from photofind.core.humanize import approx_size
from photofind.gui.states import ModelOffer

Answer = Literal["model", "demo", "cancel"]


def model_first_texts(folder: Path, offer: ModelOffer) -> tuple[str, str, str, str]:
    """(the title, the problem, what the first answer does, the first button's label)."""
    question = (
        "The only photo model photofind has is tiny-shapes, a demo model that knows coloured "
        "shapes and nothing else: it would find nothing real in your photos."
    )
    if offer.installed:
        detail = f"{offer.name} is installed: use it, and photofind then adds {folder}."
        return "Use a photo model first?", question, detail, f"&Use {offer.name}"
    size = approx_size(offer.approx_download_mb, mark="about ")
    detail = (
        f"The recommended model ({offer.languages_text}, {size}) is downloaded once and "
        f"then runs on this computer; photofind adds {folder} as soon as it is installed."
    )
    return "Install a photo model first?", question, detail, "&Install the recommended model"


def ask_model_first(parent: QWidget, folder: Path, offer: ModelOffer) -> Answer:
    title, question, detail, first = model_first_texts(folder, offer)
    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
    box.setObjectName("modelFirst")
    box.setInformativeText(detail)
    model = box.addButton(first, QMessageBox.ButtonRole.AcceptRole)
    model.setObjectName("modelFirst-model")
    model.setToolTip(offer.tooltip)
    demo = box.addButton("Use the &demo model anyway", QMessageBox.ButtonRole.DestructiveRole)
    demo.setObjectName("modelFirst-demo")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("modelFirst-cancel")
    box.setDefaultButton(model)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is model:
        return "model"
    if clicked is demo:
        return "demo"
    return "cancel"
