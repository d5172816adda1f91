"""What the window says when it has no results to show, for each situation.

Pure functions from facts to (state, title, body, buttons), so the wording lives in one
place and the window only decides which applies.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from photofind.core.clip.bundle import BUILTIN_MODELS
from photofind.core.humanize import approx_size, plural
from photofind.gui.text import MAKING_DEMO, MODEL_HELP

EXAMPLES = ("a red circle", "a blue star", "a yellow triangle", "a green square")


@dataclass(frozen=True)
class ModelOffer:
    """The recommended model, offered while the built-in one is in use."""

    name: str
    approx_download_mb: int
    installed: bool

    @property
    def button(self) -> tuple[str, str]:
        if self.installed:
            return ("use-default", f"Use {self.name}")
        return (
            "download-default",
            f"Download {self.name} ({approx_size(self.approx_download_mb)})…",
        )


@dataclass(frozen=True)
class Page:
    state: str
    title: str
    body: str
    buttons: list[tuple[str, str]]


def is_builtin(model_name: str) -> bool:
    return model_name in BUILTIN_MODELS


def examples_html() -> str:
    links = [f'<a href="query:{q}">{html.escape(q)}</a>' for q in EXAMPLES]
    return ", ".join(links[:-1]) + " or " + links[-1]


def first_run(model_name: str, offer: ModelOffer | None = None) -> Page:
    """No library folder yet. ``offer``: the recommended model, when there is one to offer."""
    if is_builtin(model_name):
        shapes = (
            "The built-in model, <i>tiny-shapes</i>, only knows pictures of coloured shapes (a "
            "red circle, a blue star): enough to see how photofind works. Try it on the demo "
            "library, made on this computer in a few seconds."
        )
        # The offered model's name is on its button only: in the text Qt breaks it at a hyphen.
        if offer is None:
            intro, get = "No photo model is installed yet. ", MODEL_HELP
        elif offer.installed:
            intro = ""
            get = "The recommended model is installed: use it to search your own photos."
        else:
            intro = "No photo model is installed yet. "
            get = (
                "To search your own photos, download a real CLIP model once, such as the "
                "recommended one below; after that everything runs on this computer. Other "
                "models are in <b>Library ▸ Models…</b>."
            )
        buttons = [("demo", "Try the demo library")]
        if offer is not None:
            buttons.insert(0, offer.button)
        buttons.append(("add-folder", "Add folder…"))
        return Page("no-model", "Welcome to photofind", f"{intro}{shapes}<br><br>{get}", buttons)
    return Page(
        "no-folder",
        "Add your photos",
        "photofind finds photos by what they show, in the folders you add. Everything stays "
        "on this computer: photos are read, never changed or uploaded.",
        [("add-folder", "Add folder…")],
    )


def making_demo() -> Page:
    return Page(
        "making-demo",
        MAKING_DEMO,
        "Drawing 120 photos of coloured shapes. Indexing starts as soon as they are ready.",
        [],
    )


def idle(
    model_name: str, photos: int, indexing: bool, has_demo: bool, offer: ModelOffer | None = None
) -> Page:
    """Folders are there; nothing typed or dropped yet."""
    if photos:
        title = f"Search {plural(photos, 'photo', grouped=True)}"
    else:
        title = "Indexing your photos…" if indexing else "No photos found in your folders"
    body = (
        "Describe what you are looking for (<i>a dog on the beach</i>), or drop a photo "
        "onto the window to find others like it."
    )
    if indexing and photos:
        body += " Photos are still being indexed; searches cover those done so far."
    if not photos and not indexing:
        body = (
            "The library folders hold no photos photofind can read. Add another folder "
            "from the Library menu."
        )
    buttons: list[tuple[str, str]] = []
    if is_builtin(model_name):
        body += (
            "<br><br>The built-in <i>tiny-shapes</i> model only knows coloured shapes: try "
            f"{examples_html()}.<br><br>{MODEL_HELP}"
        )
        if offer is not None:
            buttons.append(offer.button)
        if not has_demo:
            buttons.append(("demo", "Try the demo library"))
    return Page("idle", title, body, buttons)


def no_results(
    error: str | None, total: int, hidden: int, min_score: float, photos: int, indexing: bool
) -> Page:
    if error:
        return Page("search-error", "This search could not be run", html.escape(error), [])
    if total and hidden == total:
        return Page(
            "all-hidden",
            f"No match scores {min_score:.2f} or more",
            f"{hidden:,} weaker match{'es are' if hidden != 1 else ' is'} hidden by the "
            "minimum score.",
            [("show-all", "Show all matches")],
        )
    if not photos:
        return Page(
            "nothing-indexed",
            "No photos indexed yet",
            "Indexing is running; results appear as photos are indexed."
            if indexing
            else "The library has no photos photofind could read.",
            [],
        )
    return Page("no-results", "No matches", "Try other words, or another photo.", [])
