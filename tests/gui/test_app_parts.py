"""The parts around the window: error sink, settings file, thumbnail cache, demo library,
desktop entry and icons, and the start-up message for a broken model."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from photofind import desktop
from photofind.core import errorsink
from photofind.core.config import app_paths
from photofind.core.demo import demo_folder, ensure_demo_photos
from photofind.core.settings import Settings, load_settings, save_settings
from photofind.core.thumbnails import ThumbnailCache, bucket_for
from photofind.gui import app
from photofind.gui.icon import ICON_SVG, PNG_SIZES, png_bytes

ROOT = Path(__file__).resolve().parents[2]


def test_error_sink_logs_and_tells_subscribers_about_thread_errors(tmp_path):
    reports = []
    log_path = errorsink.install(tmp_path / "logs")
    unsubscribe = errorsink.subscribe(reports.append)
    try:

        def fail():
            raise ValueError("broken in a thread")

        thread = threading.Thread(target=fail, name="worker-x")
        thread.start()
        thread.join()
    finally:
        unsubscribe()
        errorsink.uninstall()
    assert [r.summary for r in reports] == ["ValueError: broken in a thread"]
    assert reports[0].thread == "worker-x"
    assert "Traceback" in reports[0].details and "Python" in reports[0].details
    assert "broken in a thread" in log_path.read_text()
    assert sys.excepthook is not errorsink._excepthook


def test_settings_round_trip_keep_unknown_keys_and_survive_garbage(tmp_path):
    path = tmp_path / "settings.json"
    assert load_settings(path) == Settings()
    path.write_text('{"thumbnail_size": "huge", "sort": "date", "future_key": [1, 2]}')
    settings = load_settings(path)
    assert settings.thumbnail_size == Settings().thumbnail_size and settings.sort == "date"
    settings.min_score = 0.25
    save_settings(path, settings)
    data = json.loads(path.read_text())
    assert data["future_key"] == [1, 2] and data["min_score"] == 0.25
    assert not list(tmp_path.glob(".settings-*"))  # no temporary file left behind
    path.write_text("{not json")
    assert load_settings(path) == Settings()


def test_thumbnail_cache_makes_once_then_reuses(tmp_path, shape_library_48):
    cache = ThumbnailCache(tmp_path / "thumbs")
    photo = shape_library_48[0].path
    first = cache.load(photo, 200)
    assert cache.stats.made == 1 and len(cache.files()) == 1
    assert cache.load(photo, 240) == first  # same bucket: from disk
    assert cache.stats.hits == 1 and cache.stats.made == 1
    cache.load(photo, 500)
    assert len(cache.files()) == 2 and bucket_for(500) == 512
    cache.files()[0].write_bytes(b"garbage")  # a damaged entry is rebuilt
    cache.load(photo, 200)
    cache.load(photo, 500)
    assert cache.stats.made == 3


def test_demo_photos_are_made_once(tmp_path, monkeypatch):
    paths = app_paths(tmp_path / "data")
    folder = ensure_demo_photos(paths, count=6)
    assert folder == demo_folder(paths) and len(list(folder.iterdir())) == 6
    calls = []
    monkeypatch.setattr("photofind.core.demo.generate_library", lambda *a, **k: calls.append(a))
    assert ensure_demo_photos(paths, count=6) == folder and calls == []


def test_desktop_entry_and_icons(tmp_path):
    written = desktop.install_desktop_entry(tmp_path)
    entry = tmp_path / "applications" / "photofind.desktop"
    assert entry in written
    text = entry.read_text()
    assert f"Exec={desktop._quote_exec(sys.executable)} -m photofind gui" in text
    assert "Icon=photofind" in text and "Categories=Graphics;Photography;" in text
    for size in PNG_SIZES:
        png = tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "photofind.png"
        with Image.open(png) as image:
            assert image.format == "PNG" and image.size == (size, size)
    assert (
        tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "photofind.svg"
    ).read_text() == ICON_SVG
    assert desktop._quote_exec("/opt/my env/python") == '"/opt/my env/python"'


def test_install_desktop_needs_no_qt(tmp_path):
    """The menu entry and icons are copied from package data: with PySide6 made unimportable,
    'photofind install-desktop' still writes every file."""
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "from photofind.cli import main\n"
        "sys.exit(main(['install-desktop']))\n"
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "applications" / "photofind.desktop").is_file()
    assert len(list((tmp_path / "icons" / "hicolor").glob("*/apps/photofind.*"))) == 7


def test_the_packaged_pngs_are_the_svg_rendered(qapp):
    """photofind/assets holds the SVG and the PNG sizes made from it (write-assets)."""
    assets = ROOT / "photofind" / "assets"
    assert (assets / "photofind.svg").read_text() == ICON_SVG
    for size in PNG_SIZES:
        with Image.open(assets / f"photofind-{size}.png") as image:
            assert image.size == (size, size)
            packaged = np.asarray(image.convert("RGBA"), dtype=np.int16)
        rendered = Image.open(io.BytesIO(png_bytes(size))).convert("RGBA")
        assert np.abs(packaged - np.asarray(rendered, dtype=np.int16)).max() <= 8


def test_a_broken_model_gives_a_plain_message(tmp_path, qapp, monkeypatch):
    shown = []

    def fake_exec(box):
        shown.append((box.text(), box.informativeText(), [b.text() for b in box.buttons()]))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    (tmp_path / "broken-model").mkdir()
    (tmp_path / "broken-model" / "config.json").write_text("{}")
    result = app.open_or_explain(
        app_paths(tmp_path / "data"), str(tmp_path / "broken-model"), "cpu"
    )
    assert result is None
    message, advice, buttons = shown[0]
    assert "embed_dim" in message and "Traceback" not in message
    # the window's own remedy, not the command line's (no option names)
    assert "Library ▸ Models" in advice and "--" not in advice
    assert any("built-in" in b for b in buttons)


@pytest.mark.parametrize("size, bucket", [(1, 128), (128, 128), (129, 256), (5000, 1024)])
def test_buckets(size, bucket):
    assert bucket_for(size) == bucket


def test_the_binding_check_speaks_only_for_a_broken_pyside(qapp):
    import PySide6

    problem = app.binding_problem()
    broken = sys.version_info < (3, 12) and PySide6.__version__ == "6.12.0"
    assert (problem is not None) == broken
    if problem:
        assert "PySide6-Essentials<6.12" in problem


def test_query_language_setting_round_trips_and_opens_the_library(tmp_path, qapp):
    paths = app_paths(tmp_path / "data")
    path = paths.settings_path
    path.parent.mkdir(parents=True, exist_ok=True)
    for garbage in ('"German"', "3", '"de"'):  # not a FLORES-200 code: Automatic
        path.write_text(f'{{"query_language": {garbage}, "other": 1}}')
        assert load_settings(path).query_language is None
    settings = load_settings(path)
    settings.query_language = "zho_Hant"
    save_settings(path, settings)
    data = json.loads(path.read_text())
    assert data["query_language"] == "zho_Hant" and data["other"] == 1  # unknown key kept
    assert load_settings(path).query_language == "zho_Hant"

    opened = app.open_or_explain(paths, "tiny-shapes", "cpu")  # what main() runs
    assert opened is not None
    library, _ = opened
    try:
        assert library.encoder.language == "zho_Hant"
    finally:
        library.close()
