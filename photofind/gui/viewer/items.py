"""What the viewer shows about each photo: a frozen record the caller builds from a search
hit or a browse row, so the viewer never asks the catalog (that is not the UI thread's job)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from photofind.core.search import SearchHit


@dataclass(frozen=True)
class ViewerItem:
    path: Path
    photo_id: int | None = None
    taken_at: float | None = None
    date_source: str | None = None  # "exif", "file" (the file's time: no EXIF date) or None
    width: int | None = None  # after EXIF orientation, as the catalog stores it
    height: int | None = None
    size: int | None = None  # bytes
    camera: str | None = None
    score: float | None = None  # when the photo is a search result

    @classmethod
    def from_hit(cls, hit: SearchHit) -> ViewerItem:
        return cls(
            hit.path, hit.photo_id, hit.taken_at, getattr(hit, "date_source", None),
            hit.width, hit.height, camera=getattr(hit, "camera", None), score=hit.score,
        )  # fmt: skip
