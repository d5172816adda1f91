"""What the app remembers between runs (window geometry, thumbnail size, sort, threshold,
the query language for multilingual models, whether sensitive photos are blurred).

Kept in ``AppPaths.settings_path`` (``settings.json`` in the data folder) as JSON, written
atomically: a temporary file in the same folder, fsync, then a rename over the old file,
so a crash while saving leaves the old settings or the new ones, never half a file.

Settings are a convenience, never a reason not to start: a missing, unreadable or malformed
file, or a value of the wrong type, gives the default for that value. Keys this version
does not know are carried through unchanged, so an older photofind does not erase what a
newer one wrote.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from photofind.core.atomic import write_json_atomic
from photofind.core.clip.language import is_flores_code

SORT_MODES = ("relevance", "date", "oldest")  # best match, newest, oldest first
# The window's grid draws thumbnails between these sizes (logical pixels); a size outside
# them, from a hand-edited or damaged file, would ask Qt for pictures of any size at all.
MIN_THUMBNAIL_SIZE, MAX_THUMBNAIL_SIZE = 64, 384
MIN_SCORE_RANGE = (-1.0, 1.0)  # scores are cosines


@dataclass
class Settings:
    window_geometry: str | None = None  # the GUI's saved geometry, base64 text
    thumbnail_size: int = 160  # logical pixels of one grid cell's picture
    min_score: float = 0.0  # results scoring below this are hidden
    sort: str = "relevance"  # one of SORT_MODES
    # NLLB models: every query's language, a FLORES-200 code; None reads it off the script
    query_language: str | None = None
    # View > Hide sensitive photos: the members of sensitive collections are blurred until
    # clicked. Off until the user turns it on: nothing is hidden without their say.
    hide_sensitive: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # keys of other versions, kept as is


_DEFAULTS = Settings()
_KNOWN = {f.name: f for f in fields(Settings) if f.name != "extra"}


def _valid(name: str, value: Any) -> bool:
    default = getattr(_DEFAULTS, name)
    if name == "window_geometry":
        return value is None or isinstance(value, str)
    if name == "sort":
        return value in SORT_MODES
    if name == "query_language":
        return value is None or (isinstance(value, str) and is_flores_code(value))
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if name == "thumbnail_size":
        return isinstance(value, int) and MIN_THUMBNAIL_SIZE <= value <= MAX_THUMBNAIL_SIZE
    if name == "min_score":
        # NaN compares false both ways, so it fails here as well as the infinities do
        low, high = MIN_SCORE_RANGE
        return isinstance(value, int | float) and low <= value <= high
    if isinstance(default, float):
        return isinstance(value, int | float) and math.isfinite(value)
    return isinstance(value, type(default))


def load_settings(path: Path) -> Settings:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    settings = Settings()
    for key, value in data.items():
        if key in _KNOWN:
            if _valid(key, value):
                setattr(settings, key, float(value) if key == "min_score" else value)
        else:
            settings.extra[key] = value
    return settings


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically (temp + fsync + rename). Raises OSError when the folder is unwritable."""
    path = Path(path)
    data = dict(settings.extra)
    data.update({name: getattr(settings, name) for name in _KNOWN})
    write_json_atomic(path, data)
