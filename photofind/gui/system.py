"""What the desktop does with a photo: open it, show it in its folder, copy its path.

One object, so that tests can replace it and nothing opens a real viewer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication


class SystemActions:
    def open_file(self, path: Path) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(os.fspath(path)))

    def show_in_folder(self, path: Path) -> bool:
        """Select the file in the file manager where the platform allows, else open its folder."""
        try:
            if sys.platform == "darwin":
                subprocess.Popen(["open", "-R", os.fspath(path)])
                return True
            if sys.platform == "win32":
                subprocess.Popen(["explorer", "/select,", os.fspath(path)])
                return True
            if _freedesktop_show_items(path):
                return True
        except OSError:
            pass
        return QDesktopServices.openUrl(QUrl.fromLocalFile(os.fspath(path.parent)))

    def copy_paths(self, paths: list[Path]) -> None:
        QGuiApplication.clipboard().setText("\n".join(os.fspath(p) for p in paths))


def _freedesktop_show_items(path: Path) -> bool:
    """org.freedesktop.FileManager1.ShowItems: Nautilus, Dolphin, Nemo, Thunar, Caja..."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    manager = QDBusInterface(
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1",
        bus,
    )
    if not manager.isValid():
        return False
    reply = manager.call("ShowItems", [QUrl.fromLocalFile(os.fspath(path)).toString()], "")
    return reply.type() != QDBusMessage.MessageType.ErrorMessage
