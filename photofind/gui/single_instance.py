"""One window per library: a second launch hands its command line to the running photofind
and exits.

Two windows on one catalog would run two indexers over the same photos and fight for its
write lock. So the first launch listens on a local socket named after the data folder (and
the user: another user's photofind is another library), and every later launch connects,
sends the folders or photos it was given, waits for the running one to say it has them,
and exits. The running window comes forward and opens them (a folder is added to the
library, a photo becomes an image query).

The message is one line of JSON: ``{"paths": [absolute paths]}``; the answer is ``ok``.
Paths that are not valid UTF-8 travel as lone surrogates (``os.fsdecode``), which JSON
escapes and ``os.fsencode`` turns back into the exact bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

# A running photofind answers within milliseconds; one busy indexing on 2 cores still does
# well inside a second. Past this the other one is taken for hung and this one starts.
HANDOVER_TIMEOUT_MS = 3000
MAX_MESSAGE_BYTES = 1 << 20  # thousands of paths; anything longer is not a launch's command line


def server_name(data_dir: Path) -> str:
    """The socket's name for the library in ``data_dir``, for this user."""
    key = os.fsencode(os.path.realpath(data_dir))
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(user.encode() + b"\0" + key).hexdigest()[:20]
    return f"photofind-{digest}"


def _message(paths: list[Path]) -> bytes:
    absolute = [os.path.abspath(os.fspath(p)) for p in paths]
    return json.dumps({"paths": absolute}).encode("ascii") + b"\n"


def hand_over(data_dir: Path, paths: list[Path], timeout_ms: int = HANDOVER_TIMEOUT_MS) -> bool:
    """Give ``paths`` to the photofind already running on ``data_dir``; True when it took
    them (this launch should exit), False when none is running or it did not answer."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    try:
        socket.write(_message(paths))
        if not socket.waitForBytesWritten(timeout_ms):
            return False
        answer = b""
        while not answer.endswith(b"\n"):
            if not socket.waitForReadyRead(timeout_ms):
                return False
            answer += bytes(socket.readAll().data())
        return answer.strip() == b"ok"
    finally:
        socket.abort()


class SingleInstance(QObject):
    """The running photofind's end: listens for later launches and says what they asked."""

    paths_received = Signal(list)  # list[Path] given to a later launch (maybe empty)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self.data_dir = data_dir
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def claim(self, paths: list[Path]) -> bool:
        """True when this launch is the one window (it now listens); False when ``paths``
        went to the running one, and this launch should exit."""
        for _ in range(3):
            if hand_over(self.data_dir, paths):
                return False
            if self._server.listen(self.name):
                return True
            if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
                # Nobody answered on the name, yet it is taken: the socket file left by a
                # photofind that crashed (or one starting this instant: the next round
                # reaches it). Qt 6 on Unix replaces a dead socket file itself when it
                # binds with access options; this is for the platforms and versions that
                # refuse instead.
                if not hand_over(self.data_dir, paths, timeout_ms=500):
                    QLocalServer.removeServer(self.name)
                else:
                    return False
        log.warning("the single-window socket %s cannot be opened (%s); running on without it",
                    self.name, self._server.errorString())  # fmt: skip
        return True

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            message = json.loads(line)
            paths = [Path(p) for p in message["paths"] if isinstance(p, str)]
        except (ValueError, KeyError, TypeError):
            log.warning("a later launch sent a message that is not photofind's; ignored")
            socket.abort()
            return
        socket.write(b"ok\n")
        socket.flush()
        self.paths_received.emit(paths)

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def close(self) -> None:
        self._server.close()


def bring_forward(window: QWidget) -> None:
    """Show ``window`` un-minimised on top (window managers may only flash its task bar entry
    instead, which is their choice)."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
