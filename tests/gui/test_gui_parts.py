"""The window's pure parts on their own: page wording, the describe helpers of the status
bar and the Models dialog, what a drop or paste is taken as, and the results model's rule
for keeping rows in place."""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QMimeData, QUrl

from photofind.core.config import MODEL_ENV
from photofind.core.indexer import IndexProgress
from photofind.core.models.install_progress import InstallProgress
from photofind.core.search import SearchHit
from photofind.gui import states, text
from photofind.gui.dialogs.model_rows import describe_install
from photofind.gui.query_images import images_from_mime, mime_has_images
from photofind.gui.results.model import ResultsModel
from photofind.gui.results.toolbar import summary
from photofind.gui.widgets import index_status, model_status

# -- pages ----------------------------------------------------------------------------------


def test_first_run_pages_offer_what_can_be_done():
    offer = states.ModelOffer(
        "ViT-B-32__laion2b-s34b-b79k", "immich-app/x", 600, ("en",), installed=False
    )
    page = states.first_run("tiny-shapes", [offer])
    assert page.state == "no-model"
    assert page.buttons == [
        ("download:ViT-B-32__laion2b-s34b-b79k", "&Recommended model, English, about 600 MB…"),
        ("demo", "Try the &demo library"),
        ("add-folder", "&Add folder…"),
    ]
    assert "immich-app/x" in page.tips["download:ViT-B-32__laion2b-s34b-b79k"]
    assert "No photo model is installed yet" in page.body
    big = states.ModelOffer("big", "immich-app/big", 1700, ("en",), installed=True)
    installed = states.first_run("tiny-shapes", [big])
    assert installed.buttons[0] == ("use:big", "&Use big")
    assert "No photo model is installed yet" not in installed.body
    assert states.first_run("tiny-shapes").buttons[0] == ("demo", "Try the &demo library")
    real = states.first_run("my-real-model")
    assert (real.state, real.buttons) == ("no-folder", [("add-folder", "&Add folder…")])


def test_idle_page_counts_photos_and_says_what_indexing_means():
    assert states.idle("m", 1, False, True).title == "Search 1 photo"
    assert states.idle("m", 12_345, False, True).title == "Search 12,345 photos"
    busy = states.idle("m", 3, True, True)
    assert "still being indexed" in busy.body
    assert states.idle("m", 0, True, True).title == "Indexing your photos…"
    empty = states.idle("m", 0, False, True)
    assert empty.title == "No photos found in your folders" and "Add another folder" in empty.body
    demo = states.idle("tiny-shapes", 5, False, has_demo=False)
    assert (
        "demo",
        "Try the &demo library",
    ) in demo.buttons and 'href="query:a red circle"' in demo.body
    assert states.idle("tiny-shapes", 5, False, has_demo=True).buttons == []


def test_no_results_pages():
    error = states.no_results("<b>not an image</b>", "“x”", True, True, 10, False)
    assert error.state == "search-error" and error.body == "&lt;b&gt;not an image&lt;/b&gt;"
    none = states.no_results(None, "“a <red> circle”", True, True, 1_200, False)
    assert none.state == "no-match" and none.title == "No good matches for “a &lt;red&gt; circle”"
    assert none.body.startswith("None of the 1,200 photos stands out for this search.")
    assert none.buttons == [("show-closest", "Show closest anyway")]
    kept_none = states.no_results(None, "“a red circle after:2100”", False, True, 10, False)
    assert kept_none.title == "No photo is kept by these filters" and kept_none.buttons == []
    assert "still being indexed" in states.no_results(None, "“x”", True, True, 10, True).body
    filters = states.no_results(None, "“type:gif”", False, False, 10, False)
    assert filters.title == "No photo is kept by these filters" and filters.buttons == []
    assert states.no_results(None, "“x”", False, True, 0, True).body.startswith(
        "Indexing is running"
    )
    assert states.no_results(None, "“x”", False, True, 0, False).state == "nothing-indexed"


# -- describe helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "progress, paused, expected",
    [
        (IndexProgress("scanning"), False, "Looking for new photos…"),
        (IndexProgress("scanning"), True, "Paused before looking for new photos"),
        (
            IndexProgress("indexing", 1200, 5000, images_per_s=12.34, eta_s=30),
            False,
            "Indexing 1,200 of 5,000 · 12.3 photos/s · less than a minute left",
        ),
        (
            IndexProgress("indexing", 10, 99_000, images_per_s=2.0, eta_s=3 * 3600 + 5 * 60),
            False,
            "Indexing 10 of 99,000 · 2.0 photos/s · about 3 h 05 min left",
        ),
        (IndexProgress("indexing", 1200, 5000), False, "Indexing 1,200 of 5,000"),
        (
            IndexProgress("indexing", 1200, 5000, images_per_s=9.0, eta_s=400),
            True,
            "Indexing paused at 1,200 of 5,000",
        ),
        (IndexProgress("cancelled"), False, "Indexing stopped; it goes on at the next start"),
        (IndexProgress("failed"), False, "Indexing stopped by an error (reported)"),
        (IndexProgress("done"), False, ""),
    ],
)
def test_index_status_describes_each_phase(progress, paused, expected):
    assert index_status.describe(progress, paused) == expected


def test_model_status_says_which_model_answers_while_switching():
    library = SimpleNamespace(
        encoder=SimpleNamespace(provider="cuda"),
        model_name="new",
        search_model_name="old",
        switching=True,
    )
    assert model_status.describe(library, 1234) == (
        "Searches use old until new has indexed every photo (1,234 to go) · CUDA"
    )
    library.switching = False
    assert model_status.describe(library, 0) == "Model: new · CUDA"


def test_install_steps_are_described():
    downloading = InstallProgress("downloading", "m", 3_500_000, 605_000_000, 2_500_000)
    assert describe_install(downloading) == (
        "Downloading m: 3.5 MB of 605 MB · 2.5 MB/s · about 4 min left"
    )
    assert describe_install(InstallProgress("downloading", "m", 0, 1_700_000_000)) == (
        "Downloading m: 0.0 MB of 1.7 GB"
    )
    assert describe_install(InstallProgress("connecting", "m")) == "Asking the model server for m…"
    assert describe_install(InstallProgress("cancelled", "m")) == "Stopping…"
    assert describe_install(InstallProgress("installed", "m")) == ""


def test_results_summary_counts_and_times():
    assert summary(1, 1, 40, True, None) == "1 match"
    assert summary(12, 12, 30, True, 0.0123) == "12 matches · 12 ms"
    assert summary(1_500, 1_000, 0, True, None) == "1,500 matches (the first 1,000 shown)"
    assert summary(0, 0, 3, True, None) == "No good matches · the closest 3 photos"
    assert summary(7, 7, 0, False, 0.002) == "7 photos · 2 ms"  # filters alone: no scores


def test_switch_and_language_notes(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert text.switch_note("new", False, "new") == "new is now in use."
    assert text.switch_note("new", True, "old") == (
        "new is now in use. It indexes every photo again; searches use old until it is done."
    )
    monkeypatch.setenv(MODEL_ENV, "other")
    assert text.switch_note("new", False, "new").endswith(
        f"{MODEL_ENV}=other is set and comes first the next time photofind starts; unset it "
        "to keep new."
    )
    monkeypatch.setenv(MODEL_ENV, "new")  # the same model: nothing to warn about
    assert text.switch_note("new", False, "new") == "new is now in use."
    assert text.language_note("German") == "Queries are now read as German."
    assert text.language_note(None) == "The language of each query is now read off its script."


# -- drops and pastes -----------------------------------------------------------------------


def _mime(*, urls=(), text_=None) -> QMimeData:
    mime = QMimeData()
    if urls:
        mime.setUrls(
            [
                QUrl(u) if "://" in u or u.startswith("data:") else QUrl.fromLocalFile(u)
                for u in urls
            ]
        )
    if text_ is not None:
        mime.setText(text_)
    return mime


def test_local_images_are_taken_before_web_addresses(qapp, shape_library_48, tmp_path):
    photo = shape_library_48[0].path
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    mime = _mime(urls=[str(photo), str(notes), "https://example.com/cat.jpg"])
    assert mime_has_images(mime)
    images, remote = images_from_mime(mime)
    assert [i.source for i in images] == [photo] and images[0].label == photo.name
    assert (
        not images[0].preview.isNull()
        and max(images[0].preview.width(), images[0].preview.height()) <= 64
    )
    assert remote == []  # a local file wins: nothing is downloaded

    images, remote = images_from_mime(_mime(urls=["https://example.com/cat.jpg"]))
    assert images == [] and remote == [QUrl("https://example.com/cat.jpg")]
    only_text = _mime(urls=[str(notes)])
    assert not mime_has_images(only_text) and images_from_mime(only_text) == ([], [])


def test_data_urls_and_addresses_given_as_text(qapp, shape_library_48):
    png = next(p.path for p in shape_library_48 if p.path.suffix == ".png")
    data = base64.b64encode(png.read_bytes()).decode()
    images, _ = images_from_mime(_mime(urls=[f"data:image/png;base64,{data}"]))
    assert [i.source for i in images] == [png.read_bytes()] and images[0].label == "Dropped image"
    assert images_from_mime(_mime(urls=["data:text/plain;base64,aGVsbG8="])) == ([], [])
    assert images_from_mime(_mime(urls=["data:image/png;base64,!!!"]))[0][0].preview.isNull()

    images, remote = images_from_mime(_mime(text_="https://example.com/a.png"))
    assert images == [] and remote == [QUrl("https://example.com/a.png")]
    assert images_from_mime(_mime(text_="https://a.com/x.png\nhttps://b.com/y.png")) == ([], [])
    images, _ = images_from_mime(_mime(text_=str(png)))
    assert [i.source for i in images] == [png]
    images, _ = images_from_mime(_mime(text_=QUrl.fromLocalFile(str(png)).toString()))
    assert [i.source for i in images] == [png]
    assert images_from_mime(_mime(text_="a red circle")) == ([], [])


# -- the results model's rows ---------------------------------------------------------------


def _hits(n: int, start: int = 0) -> list[SearchHit]:
    return [
        SearchHit(i, Path(f"/p/{i}.jpg"), 1 - i / 100, float(i), 4, 3, match=True)
        for i in range(start, start + n)
    ]


def test_rows_stay_when_hits_only_add_to_the_end(qapp):
    model = ResultsModel()
    resets, inserts = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    first = _hits(5)
    assert model.keeps_rows(first)  # nothing shown yet: no row can move
    model.set_hits(first)
    assert len(resets) == 1
    more = first + _hits(3, 5)
    assert model.keeps_rows(first) and model.keeps_rows(more)
    model.set_hits(more)
    assert inserts == [(5, 7)] and len(resets) == 1 and model.rowCount() == 8
    assert not model.keeps_rows(more[:4])  # fewer
    assert not model.keeps_rows([more[1], more[0], *more[2:]])  # reordered
    assert not model.keeps_rows(_hits(9, 1))  # another list altogether
    model.set_sort("date")  # newest first: an added hit can land anywhere
    assert not model.keeps_rows(more + _hits(1, 8)) and model.keeps_rows(more)
