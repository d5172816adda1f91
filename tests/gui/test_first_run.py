"""The first run never falls into the demo model by accident: the first-run page's offer
(its words and tooltip from the registry, the multilingual model first where the system
speaks another language, Alt keys), Library ▸ Models…'s Import a model folder (miniature
zoo bundles from tests/helpers/zoo_bundles.py, good and broken), and the question asked when a
folder is added while only the demo model is there, with each answer doing what it says."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from helpers.gui import wait_indexed
from helpers.hubserver import FakeHub, free_port, isolate_hub
from helpers.zoo_bundles import siglip_bundle
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog, QMessageBox

from photofind.core import demo
from photofind.core.config import MODEL_ENV, app_paths
from photofind.core.humanize import approx_size
from photofind.core.models import chosen_model, install, load_registry, set_active_model
from photofind.core.models.install_progress import ByteMeter
from photofind.gui import library_actions, model_offers, states

REGISTRY = load_registry()
DEFAULT = REGISTRY.get(REGISTRY.default)
MULTILINGUAL = REGISTRY.get(REGISTRY.recommended_multilingual)


def speak(monkeypatch: pytest.MonkeyPatch, locale: str) -> None:
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale(locale)))


@pytest.fixture
def hub(tiny_bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The recommended model's repository, serving the tiny model's files."""
    server = FakeHub()
    server.add_repo(DEFAULT.repo, tiny_bundle.root)
    with server:
        isolate_hub(monkeypatch, tmp_path / "hf-home", server.url)
        yield server


def about(mb: int) -> str:
    return approx_size(mb, mark="about ")


# -- the offer ------------------------------------------------------------------------------


def test_the_download_button_says_what_it_is_from_the_registry(qtbot, make_window):
    window = make_window()
    assert window.page_state == "no-model"
    assert list(window.empty.buttons) == [f"download:{DEFAULT.name}", "demo", "add-folder"]
    button = window.empty.buttons[f"download:{DEFAULT.name}"]
    assert button.text() == "&Recommended model, English, about 600 MB…"
    assert about(DEFAULT.approx_download_mb) == "about 600 MB"
    assert DEFAULT.repo in button.toolTip() and "600 MB" in button.toolTip()
    assert button.isDefault()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.models_dialog
    assert dialog.selected_name() == DEFAULT.name and dialog.install_button.isDefault()
    assert dialog.install_thread is None  # nothing is downloaded before Install


def test_another_system_language_puts_the_multilingual_model_first(qtbot, make_window, monkeypatch):
    speak(monkeypatch, "de_DE")
    window = make_window()
    keys = list(window.empty.buttons)
    assert keys == [
        f"download:{MULTILINGUAL.name}",
        f"download:{DEFAULT.name}",
        "demo",
        "add-folder",
    ]
    first = window.empty.buttons[keys[0]]
    assert first.text() == (
        f"&Recommended model, many languages, {about(MULTILINGUAL.approx_download_mb)}…"
    )
    assert first.isDefault() and MULTILINGUAL.repo in first.toolTip()
    second = window.empty.buttons[keys[1]]
    assert second.text() == f"&English model, {about(DEFAULT.approx_download_mb)}…"
    assert DEFAULT.repo in second.toolTip()


@pytest.mark.parametrize(
    ("locale", "english"), [("en_US", True), ("C", True), ("zh_CN", False), ("fr_FR", False)]
)
def test_which_locales_count_as_english(monkeypatch, locale, english):
    speak(monkeypatch, locale)
    assert model_offers.system_speaks_english() is english


def test_offers_follow_what_is_installed():
    offers = states.model_offers(REGISTRY, [DEFAULT.name], english=True)
    assert [(o.key, o.button[1]) for o in offers] == [
        (f"use:{DEFAULT.name}", f"&Use {DEFAULT.name}")
    ]
    # A model imported from a folder leads while no recommended one is installed.
    offers = states.model_offers(REGISTRY, ["tiny-shapes", "my-clip"], english=False)
    assert [o.key for o in offers] == ["use:my-clip", f"download:{MULTILINGUAL.name}"]
    assert [o.first for o in offers] == [True, False]
    assert offers[1].button[1] == (
        f"&Recommended model, many languages, {about(MULTILINGUAL.approx_download_mb)}…"
    )


def test_first_run_buttons_have_distinct_alt_keys_and_alt_d_makes_the_demo(
    qtbot, make_window, monkeypatch
):
    monkeypatch.setattr(
        library_actions.LibraryActions, "add_demo", lambda self: self.message.emit("demo!")
    )
    window = make_window()
    keys = [QKeySequence.mnemonic(b.text()).toString() for b in window.empty.buttons.values()]
    assert keys == ["Alt+R", "Alt+D", "Alt+A"]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    with qtbot.waitSignal(window.library_actions.message, timeout=5_000) as said:
        qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert said.args == ["demo!"]


# -- Import a model folder ------------------------------------------------------------------


def imported(qtbot, dialog, folder: Path | None = None):
    with qtbot.waitSignal(dialog.install_ended, timeout=30_000) as ended:
        assert dialog.import_folder(folder)
    return ended.args[0]


def test_import_a_model_folder_then_use_it(qtbot, make_window, tmp_path, monkeypatch):
    bundle = siglip_bundle(tmp_path / "usb" / "my-siglip").root
    window = make_window()
    dialog = window.show_models()
    button = dialog.import_button
    assert button.text() == "I&mport a model folder…" and "without internet" in button.toolTip()
    asked = []

    def pick(parent, caption, start):
        asked.append(caption)
        return str(bundle)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(pick))
    with qtbot.waitSignal(dialog.install_ended, timeout=30_000) as ended:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert dialog.progress_row.isVisible() and not button.isEnabled()
    assert asked == ["Import a model folder"]
    outcome = ended.args[0]
    assert outcome.installed and outcome.source == bundle
    assert (window.paths.models_dir / "my-siglip" / "config.json").is_file()
    assert dialog.message.text().startswith("Imported my-siglip (")
    assert dialog.message.text().endswith("Click Use to search with it.")
    assert dialog.selected_name() == "my-siglip" and dialog.use_button.isEnabled()
    assert "Imported from a model folder." in dialog.details.text()
    assert button.isEnabled()
    # The first-run page now offers it.
    assert list(window.empty.buttons)[0] == "use:my-siglip"

    with qtbot.waitSignal(window.session.reopened, timeout=30_000) as reopened:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert reopened.args[0].error is None
    assert window.session.library.model_name == "my-siglip"
    assert chosen_model(window.paths) == "my-siglip"


def test_import_refuses_what_is_not_a_whole_model_in_one_sentence(qtbot, make_window, tmp_path):
    window = make_window()
    dialog = window.show_models()

    not_a_model = tmp_path / "holiday photos"
    not_a_model.mkdir()
    outcome = imported(qtbot, dialog, not_a_model)
    assert not outcome.installed
    assert outcome.error == (
        f"{not_a_model} is not a model folder (it has no config.json); give a folder in the "
        "Immich layout, e.g. one made by models/export.py."
    )
    assert dialog.message.text() == outcome.error and dialog.message.property("error") is True

    broken = siglip_bundle(tmp_path / "broken-clip").root
    (broken / "textual" / "tokenizer.json").unlink()
    outcome = imported(qtbot, dialog, broken)
    missing = broken / "textual" / "tokenizer.json"
    assert outcome.error.startswith(f"The model file {missing} is missing")
    assert dialog.message.text() == outcome.error
    models = window.paths.models_dir
    assert not (models / "broken-clip").exists() and not (models / "holiday photos").exists()
    assert not models.exists() or [p.name for p in models.iterdir()] == []
    assert window.session.library.model_name == "tiny-shapes"


def test_import_under_a_name_taken_says_what_to_do_and_copies_nothing(
    qtbot, make_window, tmp_path, tiny_bundle
):
    window = make_window()
    dialog = window.show_models()
    shutil.copytree(tiny_bundle.root, window.paths.models_dir / "my-clip")
    dialog.refresh()
    again = siglip_bundle(tmp_path / "my-clip").root
    assert not dialog.import_folder(again)
    assert dialog.message.text() == (
        "A model named my-clip is already installed; remove it from this list first, or "
        "rename the folder and import it again."
    )
    builtin = shutil.copytree(tiny_bundle.root, tmp_path / "elsewhere" / "tiny-shapes")
    assert not dialog.import_folder(builtin)
    assert dialog.message.text().startswith("tiny-shapes is the name of the built-in model")
    assert dialog.install_thread is None


def test_cancelling_an_import_leaves_nothing(qtbot, make_window, tmp_path, monkeypatch):
    class SlowMeter(ByteMeter):
        def set(self, done: int) -> None:
            time.sleep(0.01)  # a slow USB stick: long enough to click Cancel
            super().set(done)

    monkeypatch.setattr(install, "COPY_CHUNK", 256)
    monkeypatch.setattr(install, "ByteMeter", SlowMeter)
    bundle = siglip_bundle(tmp_path / "slow-clip").root
    window = make_window()
    dialog = window.show_models()
    with qtbot.waitSignal(dialog.install_ended, timeout=30_000) as ended:
        dialog.import_folder(bundle)
        qtbot.waitUntil(lambda: dialog.message.text().startswith("Copying slow-clip: "))
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not ended.args[0].installed
    assert dialog.message.text() == "Stopped; nothing was installed."
    assert [p.name for p in window.paths.models_dir.iterdir()] == []
    assert dialog.import_button.isEnabled() and not dialog.progress_row.isVisible()


# -- adding a folder with only the demo model -----------------------------------------------


def answer(qtbot, button: str, seen: list[dict]) -> None:
    """Click ``button`` (modelFirst-model/-demo/-cancel) in the question once it shows."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != "modelFirst":
            QTimer.singleShot(20, click)
            return
        seen.append(
            {
                "title": box.windowTitle(),
                "text": box.text(),
                "detail": box.informativeText(),
                "buttons": [b.text() for b in box.buttons()],
            }
        )
        box.findChild(QAbstractButton, button).click()

    QTimer.singleShot(0, click)


@pytest.fixture
def pick_folder(monkeypatch):
    def pick(folder: Path) -> None:
        monkeypatch.setattr(
            library_actions.QFileDialog,
            "getExistingDirectory",
            staticmethod(lambda *_args: str(folder)),
        )

    return pick


def test_adding_a_folder_with_only_the_demo_model_asks_and_cancel_adds_nothing(
    qtbot, make_window, library_photos, pick_folder
):
    window = make_window()
    pick_folder(library_photos)
    seen: list[dict] = []
    answer(qtbot, "modelFirst-cancel", seen)
    window.library_actions.choose_folder()
    assert len(seen) == 1
    assert seen[0]["title"] == "Install a photo model first?"
    assert "tiny-shapes" in seen[0]["text"] and "nothing else" in seen[0]["text"]
    assert "English, about 600 MB" in seen[0]["detail"] and str(library_photos) in seen[0]["detail"]
    assert set(seen[0]["buttons"]) == {
        "&Install the recommended model",
        "Use the &demo model anyway",
        "Cancel",
    }
    qtbot.wait(300)
    assert window.session.folders == [] and window.page_state == "no-model"
    assert window.session.library.catalog.folders() == []


def test_use_the_demo_model_anyway_indexes_with_it_and_asks_once(
    qtbot, make_window, library_photos, tmp_path, pick_folder
):
    window = make_window()
    seen: list[dict] = []
    answer(qtbot, "modelFirst-demo", seen)
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.add_folder(library_photos)
    assert len(seen) == 1
    wait_indexed(qtbot, window)
    assert window.session.library.model_name == "tiny-shapes"
    assert window.session.library.counts().photos == 48
    other = tmp_path / "more"
    other.mkdir()
    pick_folder(other)
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.library_actions.choose_folder()
    assert len(seen) == 1  # not asked again
    assert set(window.session.folders) == {library_photos, other}


def test_install_the_recommended_model_then_the_folder_is_indexed_with_it(
    qtbot, make_window, library_photos, hub
):
    window = make_window()
    seen: list[dict] = []
    answer(qtbot, "modelFirst-model", seen)
    with qtbot.waitSignal(window.library_actions.models.ready, timeout=60_000):
        window.add_folder(library_photos)
        assert window.session.folders == []  # not before the model is in use
        dialog = window.models_dialog
        assert dialog.isVisible() and dialog.install_thread is not None
    assert len(seen) == 1
    assert window.session.library.model_name == DEFAULT.name
    assert chosen_model(window.paths) == DEFAULT.name
    qtbot.waitUntil(lambda: window.session.folders == [library_photos], timeout=10_000)
    wait_indexed(qtbot, window)
    assert window.session.library.search_model_name == DEFAULT.name
    assert window.session.library.counts().photos == 48


def test_a_failed_install_adds_nothing_and_says_so(
    qtbot, make_window, library_photos, hub, monkeypatch
):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    window = make_window()
    seen: list[dict] = []
    answer(qtbot, "modelFirst-model", seen)
    with qtbot.waitSignal(window.library_actions.message, timeout=30_000) as said:
        window.add_folder(library_photos)
    assert said.args == [
        f"{library_photos.name} was not added; add it again when a model is ready."
    ]
    assert window.models_dialog.message.text().startswith("Cannot reach the model server")
    qtbot.wait(200)
    assert window.session.folders == [] and window.session.library.model_name == "tiny-shapes"


def test_an_installed_model_is_offered_to_use_instead(
    qtbot, make_window, library_photos, tiny_bundle
):
    window = make_window()
    shutil.copytree(tiny_bundle.root, window.paths.models_dir / DEFAULT.name)
    window.session.models_changed()
    seen: list[dict] = []
    answer(qtbot, "modelFirst-model", seen)
    with qtbot.waitSignal(window.library_actions.models.ready, timeout=30_000):
        window.add_folder(library_photos)
    assert seen[0]["title"] == "Use a photo model first?"
    assert f"&Use {DEFAULT.name}" in seen[0]["buttons"]
    qtbot.waitUntil(lambda: window.session.folders == [library_photos], timeout=10_000)
    assert window.session.library.model_name == DEFAULT.name
    wait_indexed(qtbot, window)


def test_no_question_for_the_demo_library_or_a_chosen_demo_model(
    qtbot, make_window, library_photos, monkeypatch
):
    def never(*_args):
        raise AssertionError("asked")

    monkeypatch.setattr(library_actions, "ask_model_first", never)
    window = make_window(start=False)
    folder = demo.ensure_demo_photos(window.paths, count=12)
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.add_folder(folder)
    window.session.model_chosen = True  # --model tiny-shapes
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.add_folder(library_photos)
    assert set(window.session.folders) == {folder, library_photos}
    window.start()
    wait_indexed(qtbot, window)


@pytest.mark.parametrize("how", ["environment", "model use"])
def test_a_demo_model_chosen_before_is_not_questioned(
    qtbot, make_window, library_photos, monkeypatch, how
):
    def never(*_args):
        raise AssertionError("asked")

    monkeypatch.setattr(library_actions, "ask_model_first", never)
    if how == "environment":
        monkeypatch.setenv(MODEL_ENV, "tiny-shapes")
    else:
        set_active_model(app_paths(library_photos.parent / "data"), "tiny-shapes")
    window = make_window()
    assert window.session.model_chosen
    with qtbot.waitSignal(window.session.folders_changed, timeout=10_000):
        window.add_folder(library_photos)
    wait_indexed(qtbot, window)
    assert window.session.library.counts().photos == 48
