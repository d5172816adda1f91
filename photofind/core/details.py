"""Camera and date source for photos indexed before the catalog kept them (catalog v3).

Only each file's header is read (:func:`photofind.core.images.read_info` decodes no pixels,
a few milliseconds a file), nothing is re-encoded, and the work is done by index runs, not
when the catalog opens: a large old library opens at once and gains its details in the
background. A file that cannot be read now keeps its row as it is and is tried again on the
next run (the run removes it if it is gone).
"""

from __future__ import annotations

import threading

from photofind.core.catalog import EXIF, FILE, Catalog
from photofind.core.errors import ImageError
from photofind.core.images import read_info

BATCH = 256  # rows read, then written in one transaction: a cancel loses at most these


def fill_missing_details(catalog: Catalog, cancel: threading.Event | None = None) -> int:
    """Read camera and capture time from the headers of photos that lack them; returns how
    many rows were filled. Stops between batches when ``cancel`` is set."""
    filled = 0
    skipped: set[int] = set()
    while cancel is None or not cancel.is_set():
        rows = [
            r for r in catalog.photos_without_details(BATCH + len(skipped)) if r[0] not in skipped
        ]
        if not rows:
            break
        details = []
        for photo_id, path, _ in rows[:BATCH]:
            if cancel is not None and cancel.is_set():
                break
            try:
                info = read_info(path)
            except (ImageError, OSError):
                skipped.add(photo_id)
                continue
            source = EXIF if info.taken_at else FILE
            details.append((photo_id, info.camera, source, info.taken_at))
        if details:
            catalog.set_details(details)
            filled += len(details)
    return filled
