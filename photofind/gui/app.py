"""The composition root of the desktop app: QApplication, error sink, library, session,
window. Nothing else in the GUI opens a library or builds a session.

``main(paths, model, provider, demo=False)`` is what ``photofind``, ``photofind gui``,
``python -m photofind`` and ``photofind demo`` run. Problems a user can fix (no such model,
a damaged model folder, an unusable data folder, a full or read-only disk, a busy library)
are shown as a plain message with a way forward, never as a stack trace; a damaged catalog
is offered its repair; anything else reaches the error sink's dialog and log. The sentences
are the core's, without the command line's ``hint``: the window offers buttons instead.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from photofind.core import errorsink
from photofind.core.clip.bundle import BUILTIN_MODELS
from photofind.core.config import DEFAULT_MODEL, AppPaths, app_paths
from photofind.core.errors import (
    CatalogDamagedError,
    CatalogError,
    DiskFullError,
    LibraryBusyError,
    NotWritableError,
    PhotofindError,
)
from photofind.core.library import Library, open_library
from photofind.core.models import active_model, model_is_chosen
from photofind.core.repair import RepairReport, repair_catalog
from photofind.core.settings import Settings, load_settings
from photofind.gui.browse.prefetch import prefetch_browse
from photofind.gui.dialogs.repair import run_repair

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

log = logging.getLogger(__name__)

SIGNAL_CHECK_MS = 300  # how soon Ctrl+C in the terminal is noticed


def _application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("photofind")
    app.setApplicationDisplayName("photofind")
    app.setOrganizationName("photofind")
    app.setDesktopFileName("photofind")  # matches the installed photofind.desktop
    from photofind.gui.icon import app_icon

    app.setWindowIcon(app_icon())
    return app


class _Probe(QObject):
    fired = Signal()


def binding_problem() -> str | None:
    """A sentence when the installed PySide6 cannot run photofind for long, else None.

    PySide6 6.12.0 on Python 3.11 releases one reference too many to what ``emit()`` and
    every Python slot return (True, None). From Python 3.12 on those objects are immortal
    and nothing happens; on 3.11 their count runs down and the interpreter aborts after a
    few hundred signals ("none_dealloc"/"bool_dealloc"), within a minute of use. Measured,
    not inferred from version numbers, so a fixed release passes."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    if before - sys.getrefcount(True) < 4:
        return None
    import PySide6

    return (
        f"The installed PySide6 {PySide6.__version__} has a bug on Python "
        f"{sys.version_info.major}.{sys.version_info.minor} that makes photofind crash "
        "within minutes. Install another version, for example with "
        "pip install 'PySide6-Essentials<6.12', or use Python 3.12 or newer."
    )


def open_or_explain(paths: AppPaths, model: str, provider: str) -> tuple[Library, AppPaths] | None:
    """open_library (with the query language saved in that data folder's settings), and on
    a PhotofindError a message offering what can be done instead.

    Returns None when the user gives up."""
    while True:
        language = load_settings(paths.settings_path).query_language
        try:
            return open_library(paths, model, provider, language), paths
        except CatalogDamagedError as exc:
            log.warning("The catalog is damaged: %s", exc)
            mend = functools.partial(_repair, paths)
            if run_repair(str(exc), mend) is None:
                return None
        except PhotofindError as exc:
            log.warning("Cannot open the library: %s", exc)
            box = QMessageBox(QMessageBox.Icon.Warning, "photofind cannot start", str(exc))
            box.setInformativeText(_advice(exc, model))
            retry_builtin = other_folder = retry = None
            if not isinstance(exc, CatalogError) and model not in BUILTIN_MODELS:
                retry_builtin = box.addButton(
                    f"Start with the built-in {DEFAULT_MODEL} model",
                    QMessageBox.ButtonRole.AcceptRole,
                )
            if isinstance(exc, PASSING):
                retry = box.addButton("&Retry", QMessageBox.ButtonRole.AcceptRole)
                box.setDefaultButton(retry)
            elif isinstance(exc, CatalogError):
                other_folder = box.addButton(
                    "Choose another data folder…", QMessageBox.ButtonRole.AcceptRole
                )
            box.addButton(
                "&Quit" if retry is not None else "Close", QMessageBox.ButtonRole.RejectRole
            )
            box.exec()
            clicked = box.clickedButton()
            if retry is not None and clicked is retry:
                continue
            if retry_builtin is not None and clicked is retry_builtin:
                model = DEFAULT_MODEL
            elif other_folder is not None and clicked is other_folder:
                folder = QFileDialog.getExistingDirectory(
                    None, "Choose a data folder for photofind"
                )
                if not folder:
                    return None
                paths = app_paths(Path(folder))
            else:
                return None


def _repair(paths: AppPaths, salvage: bool) -> RepairReport:
    return repair_catalog(paths, salvage=salvage)


# What can pass while photofind waits: the user frees space, makes the folder writable, or
# the other program finishes; Retry opens the same library again.
PASSING = (DiskFullError, NotWritableError, LibraryBusyError)


def _advice(exc: PhotofindError, model: str) -> str:
    if isinstance(exc, DiskFullError):
        return "Free some space on that disk, then click Retry."
    if isinstance(exc, NotWritableError):
        return "Make the data folder writable (or the disk it is on), then click Retry."
    if isinstance(exc, LibraryBusyError):
        return (
            "Another photofind (a window or an index run in a terminal) is using this "
            "library. When it has finished, or after you close it, click Retry."
        )
    if isinstance(exc, CatalogError):
        return "Your photos are not touched. Choose another data folder to keep working."
    return (
        "Your photos and library are not touched. Start with the built-in model to "
        "keep working; Library ▸ Models… can then install or import another one."
    )


def build_window(
    library: Library,
    paths: AppPaths,
    settings: Settings,
    provider: str,
    *,
    model_chosen: bool = False,
    **window_options,
) -> MainWindow:
    """The window over a library session; a model or language switch opens the library again
    with the same data folder and provider. ``model_chosen``: a person named the library's
    model (--model); PHOTOFIND_MODEL and 'photofind model use' count too, where the
    library is open with that model. ``window_options`` go to MainWindow."""
    # Before the window's modules are imported: the rows are read meanwhile.
    prefetch_browse(library.catalog)
    from photofind.gui.library_session import LibrarySession
    from photofind.gui.main_window import MainWindow

    session = LibrarySession(
        library,
        paths,
        settings,
        open_model=lambda name, language: open_library(paths, name, provider, language),
    )
    session.model_chosen = model_chosen or (
        model_is_chosen(paths) and active_model(paths) == library.model_name
    )
    return MainWindow(session, **window_options)


def open_given(window: MainWindow, given: list[Path]) -> None:
    """What a launch was given: a folder joins the library, a photo becomes the image query
    (the last photo, when several are given: one query image, as a drop replaces it)."""
    photos = []
    for path in given:
        if path.is_dir():
            window.add_folder(path)
        elif path.is_file():
            photos.append(path)
        else:
            window.show_message(f"{path} is neither a folder nor a photo; nothing was opened.")
    if photos:
        window.input.search_with_photo(photos[-1])


def main(
    paths: AppPaths, model: str, provider: str, *, demo: bool = False,
    model_chosen: bool = False, open_paths: list[Path] | None = None,
) -> int:  # fmt: skip
    """Run the desktop app until its window closes; returns the exit status. ``model_chosen``:
    the command line named the model (--model). A photofind already running on this data
    folder gets ``open_paths`` instead and comes forward."""
    log_path = errorsink.install(paths.log_dir)
    app = _application()
    problem = binding_problem()
    if problem is not None:
        log.error(problem)
        QMessageBox.critical(None, "photofind cannot start", problem)
        return 1
    from photofind.gui.single_instance import SingleInstance, bring_forward

    given = list(open_paths or [])
    # Before the library opens: a second window would run a second indexer on its catalog.
    instance = SingleInstance(paths.data_dir)
    if not instance.claim(given):
        log.info("photofind is already open on %s; it has the paths given", paths.data_dir)
        errorsink.uninstall()
        return 0
    opened = open_or_explain(paths, model, provider)
    if opened is None:
        return 1
    library, paths = opened
    hint = f"The report is also in the log file {log_path}." if log_path else ""
    window = build_window(
        library,
        paths,
        load_settings(paths.settings_path),
        provider,
        model_chosen=model_chosen and library.model_name == model,
        log_hint=hint,
    )
    instance.paths_received.connect(
        lambda received: (bring_forward(window), open_given(window, received))
    )
    # Ctrl+C in the terminal closes the window like Quit (the indexer stops cleanly). Python
    # runs signal handlers only between bytecodes, so a timer lets it in now and then.
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(SIGNAL_CHECK_MS)
    try:
        window.show()
        window.start()
        if demo:
            QTimer.singleShot(0, window.add_demo)
        if given:
            QTimer.singleShot(0, lambda: open_given(window, given))
        return app.exec()
    finally:
        instance.close()
        ticker.stop()
        signal.signal(signal.SIGINT, previous)
        window.shutdown()
        window.session.library.close()  # Models ▸ Use may have replaced the one opened here
        errorsink.uninstall()
