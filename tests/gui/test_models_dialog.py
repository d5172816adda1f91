"""Library ▸ Models…: the list, Install from a hub on 127.0.0.1 (tests/helpers/hubserver.py serves
tiny-shapes as the recommended model), Cancel, a refused connection, Use (the window reopens
its library, the previous model answers until the new one has indexed every photo), Remove,
and the first-run offer of the recommended model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.gui import reopened, search, wait_indexed
from helpers.hubserver import FakeHub, free_port, isolate_hub
from PySide6.QtCore import Qt

from photofind.core.clip.bundle import builtin_models_dir
from photofind.core.errors import ModelError
from photofind.core.models import chosen_model, load_registry

REGISTRY = load_registry()
DEFAULT = REGISTRY.get(REGISTRY.default)


@pytest.fixture
def hub(tiny_bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = FakeHub()
    server.add_repo(DEFAULT.repo, tiny_bundle.root)
    with server:
        isolate_hub(monkeypatch, tmp_path / "hf-home", server.url)
        yield server


def install_copy(window, name: str) -> Path:
    """'Install' a model by copying the built-in bundle under another name."""
    folder = window.paths.models_dir / name
    shutil.copytree(builtin_models_dir() / "tiny-shapes", folder)
    return folder


def table(dialog) -> dict[str, dict[str, str]]:
    """{model name: {column: text}} as the dialog shows it."""
    columns = [
        dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())
    ]
    return {
        dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole): {
            column: dialog.table.item(r, c).text() for c, column in enumerate(columns)
        }
        for r in range(dialog.table.rowCount())
    }


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def leftovers(window) -> list[str]:
    models = window.paths.models_dir
    return (
        sorted(p.name for p in models.iterdir() if p.name.startswith("."))
        if models.exists()
        else []
    )


def test_the_list_shows_the_registry_with_sizes_and_the_model_in_use(qtbot, make_window):
    window = make_window()
    assert window.model_status.text() == "Model: tiny-shapes · CPU"
    install_copy(window, "shapes-copy")
    dialog = window.show_models()
    assert dialog.isVisible()
    rows = table(dialog)
    assert list(rows)[0] == "tiny-shapes"
    assert set(REGISTRY.names) | {"tiny-shapes", "shapes-copy"} == set(rows)
    assert rows["tiny-shapes"]["State"] == "In use"
    assert dialog.table.item(0, 0).font().bold()
    default = rows[DEFAULT.name]
    assert default["Size"] == f"≈{DEFAULT.approx_download_mb:,} MB"
    assert default["Embedding"] == str(DEFAULT.embed_dim)
    assert default["Recall"] == f"{DEFAULT.recall:.1f}%"
    assert default["Languages"] == "English" and default["State"] == "Not installed"
    assert default["Model"] == f"{DEFAULT.name}  (recommended)"
    assert rows["XLM-Roberta-Large-Vit-B-32"]["Size"] == "≈2.6 GB"
    assert rows["XLM-Roberta-Large-Vit-B-32"]["Recall"] == "—"
    assert rows["shapes-copy"]["State"] == "Installed" and rows["shapes-copy"]["Size"] == "2.9 MB"

    # what each button can do follows the selection
    assert dialog.selected_name() == "tiny-shapes"
    assert not dialog.use_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert not dialog.install_button.isEnabled()
    dialog.select(DEFAULT.name)
    assert dialog.install_button.isEnabled() and dialog.int8.isEnabled()
    assert not dialog.use_button.isEnabled()
    assert "Recommended" in dialog.details.text() and DEFAULT.repo in dialog.details.text()

    # Remove deletes a model not in use
    dialog.select("shapes-copy")
    assert dialog.use_button.isEnabled()
    dialog.remove(confirm=False)
    with qtbot.waitSignal(dialog.removed, timeout=10_000):
        pass
    assert "shapes-copy" not in table(dialog)
    assert not (window.paths.models_dir / "shapes-copy").exists()
    assert dialog.message.text().startswith("Removed shapes-copy: 2.9 MB freed")


def test_use_switches_the_library_and_the_new_model_takes_over(qtbot, make_window, library_photos):
    window = make_window([library_photos])
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    old_library = window.session.library
    install_copy(window, "shapes-copy")
    dialog = window.show_models()
    dialog.select("shapes-copy")
    window.set_paused(True)  # hold the new run still while the switching state is checked
    with reopened(qtbot, window) as outcome:
        click(qtbot, dialog.use_button)
    assert outcome.args[0].error is None

    library = window.session.library
    assert library is not old_library and library.model_name == "shapes-copy"
    assert chosen_model(window.paths) == "shapes-copy"
    assert library.switching and library.search_model_name == "tiny-shapes"
    assert window.model_status.text() == (
        "Searches use tiny-shapes until shapes-copy has indexed every photo (48 to go) · CPU"
    )
    rows = table(dialog)
    assert rows["shapes-copy"]["State"] == "In use"
    assert rows["tiny-shapes"]["State"] == "Answers searches for now"
    assert "searches use tiny-shapes until it is done" in dialog.message.text()
    # searches still work, answered by the previous model
    search(qtbot, window, "a blue star")
    assert (
        len(window.results.model.hits()) == 48
        and "blue-star" in window.results.model.hit(0).path.name
    )

    window.set_paused(False)
    wait_indexed(qtbot, window)
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == "Searches now use shapes-copy.",
        timeout=10_000,
    )
    assert not library.switching and library.search_model_name == "shapes-copy"
    assert window.model_status.text() == "Model: shapes-copy · CPU"
    assert table(dialog)["tiny-shapes"]["State"] == "Built in"

    # the query shown was searched again, and every search asks the library for its
    # SearchService afresh: the new one answers
    qtbot.waitUntil(lambda: not window.session.query.busy, timeout=10_000)
    asked = []
    service = library.search
    real = service.find
    service.find = lambda query, *args, **kw: asked.append(query.text) or real(query, *args, **kw)
    search(qtbot, window, "a green square")
    assert asked == ["a green square"]
    assert "green-square" in window.results.model.hit(0).path.name


def test_use_that_cannot_open_keeps_the_previous_model(
    qtbot, make_window, library_photos, monkeypatch
):
    window = make_window([library_photos])
    install_copy(window, "shapes-copy")
    dialog = window.show_models()
    dialog.select("shapes-copy")

    def refuse(name, language):
        raise ModelError(f"The model {name} cannot be run (test); it is damaged.")

    monkeypatch.setattr(window.session, "open_model", refuse)
    with reopened(qtbot, window):
        click(qtbot, dialog.use_button)
    assert dialog.message.text() == "The model shapes-copy cannot be run (test); it is damaged."
    assert dialog.message.property("error") is True
    assert window.session.library.model_name == "tiny-shapes"
    assert chosen_model(window.paths) == "tiny-shapes"
    assert window.session.query.running and window.session.indexing.running  # restarted
    wait_indexed(qtbot, window)
    search(qtbot, window, "a red circle")
    assert len(window.results.model.hits()) == 48


def test_first_run_offers_the_recommended_model_and_install_shows_progress(qtbot, make_window, hub):
    hub.bytes_per_s = 4_000_000  # tiny-shapes is 2.9 MB: long enough to see progress
    window = make_window()
    assert window.page_state == "no-model"
    button = window.empty.buttons[f"download:{DEFAULT.name}"]
    assert button.text() == f"&Recommended model, English, about {DEFAULT.approx_download_mb} MB…"
    assert "demo" in window.empty.buttons
    click(qtbot, button)
    dialog = window.models_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.selected_name() == DEFAULT.name and dialog.install_button.isDefault()
    qtbot.wait(200)
    assert hub.requests == []  # nothing is downloaded before Install is clicked

    click(qtbot, dialog.install_button)
    assert dialog.progress_row.isVisible() and not dialog.install_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10_000)
    assert dialog.message.text().startswith(f"Downloading {DEFAULT.name}: ")
    with qtbot.waitSignal(dialog.installed, timeout=30_000) as installed:
        pass
    assert installed.args == [DEFAULT.name]
    assert not dialog.progress_row.isVisible()
    assert table(dialog)[DEFAULT.name]["State"] == "Installed"
    assert (
        dialog.message.text() == f"Installed {DEFAULT.name} (2.9 MB). Click Use to search with it."
    )
    assert dialog.use_button.isEnabled()
    assert window.session.library.model_name == "tiny-shapes"  # installing never switches
    buttons = window.empty.buttons  # the offer is now to use it
    assert f"download:{DEFAULT.name}" not in buttons and buttons[f"use:{DEFAULT.name}"].isDefault()
    assert buttons[f"use:{DEFAULT.name}"].text() == f"&Use {DEFAULT.name}"
    assert leftovers(window) == []


def test_cancel_leaves_nothing_installed(qtbot, make_window, hub):
    hub.bytes_per_s = 1_000_000
    window = make_window()
    dialog = window.show_models(prepare_install=DEFAULT.name)
    click(qtbot, dialog.install_button)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10_000)
    click(qtbot, dialog.cancel_button)
    assert dialog.message.text() == "Stopping…"
    qtbot.waitUntil(lambda: dialog.install_thread is None, timeout=10_000)
    assert dialog.message.text() == "Stopped; nothing was installed."
    assert not (window.paths.models_dir / DEFAULT.name).exists()
    assert leftovers(window) == []
    assert table(dialog)[DEFAULT.name]["State"] == "Not installed"
    assert dialog.install_button.isEnabled()


def test_a_refused_connection_is_one_sentence_and_the_model_stays(
    qtbot, make_window, hub, monkeypatch
):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    window = make_window()
    dialog = window.show_models(prepare_install=DEFAULT.name)
    click(qtbot, dialog.install_button)
    qtbot.waitUntil(lambda: dialog.install_thread is None, timeout=15_000)
    message = dialog.message.text()
    assert message.startswith("Cannot reach the model server (127.0.0.1:")
    assert message.endswith("check your internet connection and try again.")
    assert dialog.message.property("error") is True and dialog.message.isVisible()
    assert window.session.library.model_name == "tiny-shapes"
    assert chosen_model(window.paths) == "tiny-shapes"
    assert table(dialog)[DEFAULT.name]["State"] == "Not installed"


def test_query_language_is_remembered_and_reopens_the_library_with_it(
    qtbot, make_window, library_photos
):
    window = make_window([library_photos])
    assert window.session.library.encoder.language is None  # Automatic
    dialog = window.show_models()
    combo = dialog.language
    assert "NLLB" in combo.toolTip() and "script" in combo.toolTip()
    assert combo.currentData() is None and combo.currentText() == "Automatic"
    old_library = window.session.library

    index = combo.findData("deu_Latn")
    combo.setCurrentIndex(index)
    with reopened(qtbot, window):
        combo.activated.emit(index)  # as the user's choice
    assert window.session.library is not old_library
    assert window.session.library.encoder.language == "deu_Latn"
    assert window.settings.query_language == "deu_Latn"
    assert dialog.message.text() == "Queries are now read as German."
    search(qtbot, window, "ein roter Kreis")  # searching works with the reopened library

    # saved with the settings, and the next launch opens with it
    window.close()
    window.session.library.close()
    again = make_window([library_photos])
    assert again.settings.query_language == "deu_Latn"
    assert again.show_models().language.currentText() == "German"
    # a model switch reopens with it too
    install_copy(again, "shapes-copy")
    with reopened(qtbot, again):
        assert again.session.use_model("shapes-copy") is None
    assert again.session.library.encoder.language == "deu_Latn"
