"""Settings: a settings.json with values no window can use (NaN, infinities, a thumbnail
size of a billion pixels) gives the defaults for those values and keeps the rest."""

from __future__ import annotations

import json
import math

import pytest

from photofind.core.settings import (
    MAX_THUMBNAIL_SIZE,
    MIN_THUMBNAIL_SIZE,
    Settings,
    load_settings,
    save_settings,
)


@pytest.mark.parametrize(
    "text",
    [
        '{"thumbnail_size": NaN, "min_score": NaN, "sort": "date"}',
        '{"thumbnail_size": Infinity, "min_score": -Infinity, "sort": "date"}',
        '{"thumbnail_size": 1000000000, "min_score": 1e308, "sort": "date"}',
        '{"thumbnail_size": -5, "min_score": -7.5, "sort": "date"}',
        '{"thumbnail_size": 0, "min_score": 2, "sort": "date"}',
    ],
)
def test_values_no_window_can_use_give_the_defaults(tmp_path, text):
    path = tmp_path / "settings.json"
    path.write_text(text)
    settings = load_settings(path)
    assert settings.thumbnail_size == Settings().thumbnail_size
    assert settings.min_score == Settings().min_score and math.isfinite(settings.min_score)
    assert settings.sort == "date", "the good values beside the bad ones are kept"
    save_settings(path, settings)
    json.loads(path.read_text(), parse_constant=pytest.fail)  # strict JSON again


def test_values_in_range_are_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"thumbnail_size": MAX_THUMBNAIL_SIZE, "min_score": 0.31}))
    assert load_settings(path).thumbnail_size == MAX_THUMBNAIL_SIZE
    assert load_settings(path).min_score == pytest.approx(0.31)
    path.write_text(json.dumps({"thumbnail_size": MIN_THUMBNAIL_SIZE, "min_score": -1}))
    assert load_settings(path).thumbnail_size == MIN_THUMBNAIL_SIZE
    assert load_settings(path).min_score == -1.0


@pytest.mark.parametrize("value, kept", [(True, True), (False, False), (1, False), ("yes", False)])
def test_hide_sensitive_is_off_unless_the_file_says_true(tmp_path, value, kept):
    path = tmp_path / "settings.json"
    assert Settings().hide_sensitive is False, "nothing is hidden without the user's say"
    path.write_text(json.dumps({"hide_sensitive": value, "sort": "date"}))
    settings = load_settings(path)
    assert settings.hide_sensitive is kept and settings.sort == "date"
    save_settings(path, settings)
    assert json.loads(path.read_text())["hide_sensitive"] is kept
