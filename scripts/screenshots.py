"""Screenshots of the main window's states, for the README: ``docs/screenshots/*.png``.

Renders offscreen with ``QWidget.grab()`` (no display needed, same pixels every run) on a
fresh demo library in a temporary data folder:

    python scripts/screenshots.py [--model tiny-shapes] [--out docs/screenshots]

first-run.png      no library folder yet: what to do, with the demo and a real model offered
models-dialog.png  Library ▸ Models… as the first run's "Recommended model…" opens it
                   (nothing is downloaded: Install is ready to click)
model-first.png    adding a folder of photos while only the demo model is there
indexing.png       indexing in progress, searching what is indexed so far
results-text.png   results for "a red circle"
results-image.png  a photo dropped onto the window: its chip, and photos like it
search-matches.png operators typed as chips, the matches above the divider, the closest
                   others below it
duplicates.png     Library ▸ Find duplicates… on "Same picture": a photo, its copy and
                   the same picture saved again three ways, the photo to keep marked
sidebar-collections.png  the sidebar's Collections with their counts, a collection of one's
                   own ("blue stars") chosen and its members shown
browse.png         no query: the library newest first under its month header, the sidebar
viewer.png         photofind's viewer on a photo of the browse grid, its details beside it
results-copies.png "a red circle" again once those photos are in the library: the demo's
                   photo and the five made from it in one cell, with its count badge
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QMimeData, QTimer, QUrl  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QApplication  # noqa: E402

from photofind.core.config import app_paths  # noqa: E402
from photofind.core.demo import ensure_demo_photos  # noqa: E402
from photofind.core.library import open_library  # noqa: E402
from photofind.core.settings import Settings  # noqa: E402
from photofind.gui.app import build_window  # noqa: E402
from photofind.gui.dialogs.duplicates import DuplicatesDialog, show_duplicates  # noqa: E402
from photofind.gui.main_window import MainWindow  # noqa: E402

SIZE = (1120, 720)


def wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def settle(window: MainWindow) -> None:
    """Let thumbnails arrive and paint before grabbing."""
    wait_for(lambda: window.loader.pending == 0)
    pause(0.3)


def pause(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def type_query(window: MainWindow, text: str) -> None:
    window.search_bar.set_text(text)
    window.search_bar.submitted.emit()
    query = window.session.query
    wait_for(lambda: query.last is not None and query.last.request.text == text and not query.busy)


def search_with_operators(window: MainWindow, text: str) -> None:
    """Type ``text`` and press Enter: its operators become chips, then it is searched."""
    bar = window.search_bar
    bar.clear()
    bar.set_text(text)
    bar.field.returnPressed.emit()
    query = window.session.query
    wait_for(
        lambda: (
            query.last is not None
            and query.last.request.text == bar.query_text()
            and not query.busy
        )
    )
    settle(window)


def show_collection(window: MainWindow, name: str, description: str) -> None:
    """Make a collection of one's own (as New collection… does) and choose it."""
    window.session.library.collections.add(name, [description])
    panel, query = window.collections, window.session.query
    panel.reload()
    wait_for(lambda: panel.item_of(name) is not None and not panel.busy)
    window.search_bar.clear()
    panel.choose(name)
    wait_for(lambda: query.last is not None and query.last.request.collection == name)
    wait_for(lambda: not query.busy and window.page_state == "results")
    settle(window)


def browse(window: MainWindow) -> None:
    """No query: the window shows the library itself, newest first."""
    window.collections.choose(None)  # All photos
    window.search_bar.clear()
    wait_for(lambda: window.page_state == "browse")
    window.browse.grid.setFocus()
    window.browse.grid.select_rows([2], current=2)
    settle(window)


def open_viewer(window: MainWindow, row: int):
    """The viewer opened on ``row`` of the browse grid, its picture decoded and shown."""
    window.browse.grid.select_rows([row], current=row)
    window.browse._open(row)
    wait_for(lambda: window.viewer is not None)
    viewer = window.viewer
    viewer.resize(*SIZE)
    wait_for(lambda: viewer.canvas.image is not None)
    pause(0.3)
    return viewer


def duplicates_review(window: MainWindow, photo: Path, folder: Path) -> DuplicatesDialog:
    """Add ``folder`` holding a camera's JPEG of ``photo``, an exact copy of it in Backup,
    and the same picture re-encoded small, halved and converted to PNG (each newer than the
    JPEG), then open Library ▸ Find duplicates… on its "Same picture" group."""
    from PIL import Image

    (folder / "Backup").mkdir(parents=True)
    with Image.open(photo) as image:
        picture = image.convert("RGB")
    original = folder / "IMG_2041.jpg"
    picture.save(original, "JPEG", quality=95)
    made = [original, Path(shutil.copy2(original, folder / "Backup" / original.name))]
    for name, version, options in (
        ("IMG_2041-small.jpg", picture, {"quality": 60}),
        ("IMG_2041-half.jpg", picture.resize((picture.width // 2, picture.height // 2)), {}),
        ("IMG_2041.png", picture, {}),
    ):
        version.save(folder / name, **options)
        made.append(folder / name)
    taken = time.time() - 86400 * 30
    for age, path in enumerate(made):
        os.utime(path, (taken + age * 60, taken + age * 60))
    session = window.session
    photos = session.counts.photos + 5
    session.add_folder(folder)  # not the window's: it would ask for a real model first
    wait_for(lambda: session.counts.photos >= photos and not session.indexing.running)
    dialog = show_duplicates(window)
    wait_for(lambda: dialog.found_once and not dialog.finding)
    dialog.set_kind("same")
    dialog.resize(900, 510)  # one group: no empty half below it
    settle(window)
    return dialog


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny-shapes")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - kept alive
    with tempfile.TemporaryDirectory(prefix="photofind-shots-") as tmp:
        paths = app_paths(Path(tmp) / "data")
        library = open_library(paths, args.model, "cpu")
        window = build_window(library, paths, Settings(), "cpu")
        indexing, query = window.session.indexing, window.session.query
        window.resize(*SIZE)
        window.show()
        window.start()
        shots = []

        def grab_modal(name: str, then_click: str) -> None:
            box = QApplication.activeModalWidget()
            path = args.out / f"{name}.png"
            box.grab().save(str(path))
            shots.append(path)
            box.findChild(QAbstractButton, then_click).click()

        def shot(name: str) -> None:
            window.statusBar().clearMessage()
            pause(0.2)  # let layouts settle after the last change
            path = args.out / f"{name}.png"
            window.grab().save(str(path))
            shots.append(path)

        wait_for(lambda: window.page_state in ("no-model", "no-folder"))
        shot("first-run")

        offers = window.session.model_offers()
        first = offers[0] if offers and not offers[0].installed else None
        dialog = window.show_models(prepare_install=first.name if first else None)
        pause(0.2)
        path = args.out / "models-dialog.png"
        dialog.grab().save(str(path))
        shots.append(path)
        dialog.close()

        if offers:  # adding a folder of real photos asks for a real model first
            QTimer.singleShot(300, lambda: grab_modal("model-first", "modelFirst-cancel"))
            window.add_folder(Path.home() / "Pictures")

        folder = ensure_demo_photos(paths)
        window.add_folder(folder)
        wait_for(lambda: indexing.last is not None and indexing.last.done >= 40)
        # Hold the indexer still while the query runs and its thumbnails paint, then show
        # the status bar as it was while running (its last real progress item).
        window.set_paused(True)
        type_query(window, "a red circle")
        settle(window)
        window.index_status.show_progress(indexing.last, False)
        shot("indexing")
        window.set_paused(False)

        wait_for(lambda: indexing.last.phase == "done" and not indexing.running)
        type_query(window, "a red circle")
        settle(window)
        shot("results-text")

        search_with_operators(window, "a blue star -circle orientation:landscape")
        shot("search-matches")

        star = sorted(folder.glob("*-blue-star.*"))[0]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(star))])
        window.search_bar.clear()
        window.input.offer_images(mime)
        wait_for(
            lambda: (
                query.last is not None and query.last.request.images == (star,) and not query.busy
            )
        )
        settle(window)
        shot("results-image")

        show_collection(window, "blue stars", "a blue star")
        shot("sidebar-collections")

        browse(window)
        shot("browse")
        viewer = open_viewer(window, 3)
        path = args.out / "viewer.png"
        viewer.grab().save(str(path))
        shots.append(path)
        viewer.close()

        photo = sorted(folder.glob("*-red-circle.*"))[0]
        dialog = duplicates_review(window, photo, Path(tmp) / "Camera import")
        path = args.out / "duplicates.png"
        dialog.grab().save(str(path))
        shots.append(path)
        dialog.close()

        window.collections.choose(None)  # All photos again
        window.search_bar.clear()
        type_query(window, "a red circle")
        wait_for(lambda: any(len(g) >= 5 for g in query.last.groups))
        settle(window)
        shot("results-copies")

        window.close()
        library.close()
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
