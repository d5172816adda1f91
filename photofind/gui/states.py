"""What the window says when it has no results to show, for each situation.

Pure functions from facts to (state, title, body, buttons), so the wording lives in one
place and the window only decides which applies.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from photofind.core.clip.bundle import BUILTIN_MODELS

EXAMPLES = ("a red circle", "a blue star", "a yellow triangle", "a green square")

MODEL_HELP = (
    "To search your own photos, install a real CLIP model: put a model folder in the "
    "Immich CLIP layout (config.json, visual/, textual/; for example one made with "
    "<code>models/export.py</code>) on this computer and start photofind with "
    "<code>photofind gui --model DIR</code>."
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


def first_run(model_name: str) -> Page:
    """No library folder yet."""
    if is_builtin(model_name):
        return Page(
            "no-model",
            "Welcome to photofind",
            "No photo model is installed yet. The built-in model, <i>tiny-shapes</i>, only "
            "knows pictures of coloured shapes (a red circle, a blue star): enough to see how "
            "photofind works. Try it on the demo library, made on this computer in a few "
            f"seconds.<br><br>{MODEL_HELP}",
            [("demo", "Try the demo library"), ("add-folder", "Add folder…")],
        )
    return Page(
        "no-folder",
        "Add your photos",
        "photofind finds photos by what they show, in the folders you add. Everything stays "
        "on this computer: photos are read, never changed or uploaded.",
        [("add-folder", "Add folder…")],
    )


def making_demo() -> Page:
    return Page("making-demo", "Making the demo library…",
                "Drawing 120 photos of coloured shapes. Indexing starts as soon as they are ready.",
                [])


def idle(model_name: str, photos: int, indexing: bool, has_demo: bool) -> Page:
    """Folders are there; nothing typed or dropped yet."""
    if photos:
        title = f"Search {photos:,} photo{'s' if photos != 1 else ''}"
    else:
        title = "Indexing your photos…" if indexing else "No photos found in your folders"
    body = (
        "Describe what you are looking for (<i>a dog on the beach</i>), or drop a photo "
        "onto the window to find others like it."
    )
    if indexing and photos:
        body += " Photos are still being indexed; searches cover those done so far."
    if not photos and not indexing:
        body = ("The library folders hold no photos photofind can read. Add another folder "
                "from the Library menu.")
    buttons: list[tuple[str, str]] = []
    if is_builtin(model_name):
        body += (
            "<br><br>The built-in <i>tiny-shapes</i> model only knows coloured shapes: try "
            f"{examples_html()}.<br><br>{MODEL_HELP}"
        )
        if not has_demo:
            buttons.append(("demo", "Try the demo library"))
    return Page("idle", title, body, buttons)


def no_results(error: str | None, total: int, hidden: int, min_score: float,
               photos: int, indexing: bool) -> Page:
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
            "Indexing is running; results appear as photos are indexed." if indexing
            else "The library has no photos photofind could read.",
            [],
        )
    return Page("no-results", "No matches", "Try other words, or another photo.", [])
