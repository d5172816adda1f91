"""What the window says when it has no results to show, for each situation.

Pure functions from facts to (state, title, body, buttons), so the wording lives in one
place and the window only decides which applies.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from photofind.core.humanize import approx_size, plural
from photofind.core.models import BUILTIN_MODELS
from photofind.core.models.registry import MULTILINGUAL, Registry
from photofind.gui.text import MAKING_DEMO, MODEL_HELP

EXAMPLES = ("a red circle", "a blue star", "a yellow triangle", "a green square")
DEMO_BUTTON = ("demo", "Try the &demo library")
ADD_FOLDER_BUTTON = ("add-folder", "&Add folder…")


LANGUAGE_NAMES = {"en": "English", MULTILINGUAL: "many languages"}


@dataclass(frozen=True)
class ModelOffer:
    """A model offered while the built-in one is in use: a recommended one, or one the
    user installed. ``recommended``: the registry's pick for this system's language;
    ``first``: the one the page leads with."""

    name: str
    repo: str  # "" for a model imported from a folder
    approx_download_mb: int
    languages: tuple[str, ...]
    installed: bool
    recommended: bool = True
    first: bool = True

    @property
    def key(self) -> str:
        return f"{'use' if self.installed else 'download'}:{self.name}"

    @property
    def languages_text(self) -> str:
        return ", ".join(LANGUAGE_NAMES.get(code, code) for code in self.languages)

    @property
    def button(self) -> tuple[str, str]:
        if self.installed:
            return (self.key, f"{'&' if self.first else ''}Use {self.name}")
        size = approx_size(self.approx_download_mb, mark="about ")
        if self.recommended:
            return (self.key, f"&Recommended model, {self.languages_text}, {size}…")
        label = self.languages_text[:1].upper() + self.languages_text[1:]
        return (self.key, f"&{label} model, {size}…")

    @property
    def tooltip(self) -> str:
        if self.installed:
            return f"Search and index with {self.name}" + (f" ({self.repo})" if self.repo else "")
        return (
            f"Download {self.repo} from the Hugging Face hub, "
            f"{approx_size(self.approx_download_mb, mark='about ')}, once; it then runs on "
            "this computer. Nothing is downloaded until you click Install."
        )


def model_offers(
    registry: Registry, installed: Collection[str], *, english: bool
) -> tuple[ModelOffer, ...]:
    """What the first-run and idle pages offer while the built-in model is in use:
    the recommended model for English, and where the system speaks another language the
    recommended multilingual one first, then the English one. While none of them is
    installed, a real model the user installed (imported from a folder, say) leads, and
    the recommended one follows it."""
    names = [registry.default]
    if not english:
        names.insert(0, registry.recommended_multilingual)
    entries = [entry for name in dict.fromkeys(names) if (entry := registry.get(name))]
    others = [n for n in installed if n not in BUILTIN_MODELS and registry.get(n) is None]
    offers = [
        ModelOffer(e.name, e.repo, e.approx_download_mb, e.languages, e.name in installed, i == 0)
        for i, e in enumerate(entries)
    ]
    if others and not any(offer.installed for offer in offers):
        imported = ModelOffer(others[0], "", 0, (), installed=True, recommended=False)
        offers = [imported, *offers][:2]
    return tuple(replace(offer, first=i == 0) for i, offer in enumerate(offers))


@dataclass(frozen=True)
class Page:
    state: str
    title: str
    body: str
    buttons: list[tuple[str, str]]
    tips: dict[str, str] = field(default_factory=dict)  # a button's key -> its tooltip


def _offer_buttons(offers: Sequence[ModelOffer]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    return [offer.button for offer in offers], {offer.key: offer.tooltip for offer in offers}


def is_builtin(model_name: str) -> bool:
    return model_name in BUILTIN_MODELS


def examples_html() -> str:
    links = [f'<a href="query:{q}">{html.escape(q)}</a>' for q in EXAMPLES]
    return ", ".join(links[:-1]) + " or " + links[-1]


def first_run(model_name: str, offers: Sequence[ModelOffer] = ()) -> Page:
    """No library folder yet. ``offers``: the models to offer, the recommended one first."""
    if is_builtin(model_name):
        shapes = (
            "The built-in model, <i>tiny-shapes</i>, only knows pictures of coloured shapes (a "
            "red circle, a blue star): enough to see how photofind works. Try it on the demo "
            "library, made on this computer in a few seconds."
        )
        # The offered model's name is on its button only: in the text Qt breaks it at a hyphen.
        offer = offers[0] if offers else None
        if offer is None:
            intro, get = "No photo model is installed yet. ", MODEL_HELP
        elif offer.installed:
            intro = ""
            which = "The recommended model is" if offer.repo else "A photo model is"
            get = f"{which} installed: use it to search your own photos."
        else:
            intro = "No photo model is installed yet. "
            get = (
                "To search your own photos, download a real CLIP model once, such as the "
                "recommended one below; after that everything runs on this computer. Other "
                "models are in <b>Library ▸ Models…</b>."
            )
        buttons, tips = _offer_buttons(offers)
        buttons += [DEMO_BUTTON, ADD_FOLDER_BUTTON]
        body = f"{intro}{shapes}<br><br>{get}"
        return Page("no-model", "Welcome to photofind", body, buttons, tips)
    return Page(
        "no-folder",
        "Add your photos",
        "photofind finds photos by what they show, in the folders you add. Everything stays "
        "on this computer: photos are read, never changed or uploaded.",
        [ADD_FOLDER_BUTTON],
    )


def making_demo() -> Page:
    return Page(
        "making-demo",
        MAKING_DEMO,
        "Drawing 120 photos of coloured shapes. Indexing starts as soon as they are ready.",
        [],
    )


def idle(
    model_name: str,
    photos: int,
    indexing: bool,
    has_demo: bool,
    offers: Sequence[ModelOffer] = (),
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
    tips: dict[str, str] = {}
    if is_builtin(model_name):
        body += (
            "<br><br>The built-in <i>tiny-shapes</i> model only knows coloured shapes: try "
            f"{examples_html()}.<br><br>{MODEL_HELP}"
        )
        buttons, tips = _offer_buttons(offers)
        if not has_demo:
            buttons.append(DEMO_BUTTON)
    return Page("idle", title, body, buttons, tips)


def no_results(
    error: str | None, what: str, closest: bool, scored: bool, photos: int, indexing: bool
) -> Page:
    """The search found nothing to show. ``what``: the query in words (``“a red circle”``);
    ``closest``: there are photos that do not match, to show anyway (a search returns the
    closest photos unless its filters kept none)."""
    if error:
        return Page("search-error", "This search could not be run", html.escape(error), [])
    if not photos:
        return Page(
            "nothing-indexed",
            "No photos indexed yet",
            "Indexing is running; results appear as photos are indexed."
            if indexing
            else "The library has no photos photofind could read.",
            [],
        )
    if not scored or not closest:
        return Page(
            "no-results",
            "No photo is kept by these filters",
            "Remove a filter from the search field, or widen one (an earlier after:, a "
            "later before:).",
            [],
        )
    body = (
        f"None of the {plural(photos, 'photo', grouped=True)} stands out for this search. "
        "Try other words, or another photo."
    )
    if indexing:
        body += " Photos are still being indexed; searches cover those done so far."
    buttons = [("show-closest", "Show closest anyway")]
    return Page("no-match", f"No good matches for {html.escape(what)}", body, buttons)


def empty_collection(title: str) -> Page:
    """A collection chosen in the sidebar has no photos (yet)."""
    return Page(
        "empty-collection",
        f"Nothing in {html.escape(title)} yet",
        "No photo of the library matches its descriptions. Right-click it in the sidebar to "
        "describe it otherwise, or add photos to it by hand (right-click them).",
        [],
    )
