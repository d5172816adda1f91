"""Background work that gives way while a person is using the window.

Python runs one thread at a time. A worker walking 100k files, or reading every vector of a
library, holds the interpreter lock nearly all the time, and the window's thread waits for it
each time it comes back from Qt: a screen of the browse grid that paints in 4 ms alone took
10-25 ms beside such a worker, and scrolling missed frames. Thread priorities do not reach the
lock. So the window says when someone is using it (:meth:`Foreground.touch`, on a scroll, a
step in the viewer, a key in the search field) and long loops on worker threads call
:meth:`Foreground.give_way` between small pieces of work: it sleeps, letting go of the lock,
until the window has been left alone for a moment. The work itself is unchanged, only put
off; a process without a window never touches :data:`foreground`, so the command line never
waits.
"""

from __future__ import annotations

import threading
import time

# How long the window counts as in use after its last touch: longer than the gap between
# two steps of a wheel or a held arrow key, short enough that indexing resumes at once when
# the person stops.
IN_USE_S = 0.3
# A waiting worker looks again this often: it resumes at most this late after the window
# is left alone, and checks its cancel as often.
LOOK_AGAIN_S = 0.05


class Foreground:
    """Whether a person is using the window now: touched from the UI thread, asked from
    any thread. Plain reads and writes of one float: no lock is needed for a hint."""

    def __init__(self) -> None:
        self._until = 0.0  # scrolled, stepped through photos, or typed until then
        self._moving_until = 0.0  # scrolled or stepped (not typed) until then

    def touch(self, seconds: float = IN_USE_S, *, typing: bool = False) -> None:
        """The person is using the window: background work gives way for ``seconds``.
        ``typing``: a key in the search field; work that serves the search (loading the
        text model) goes on then, and only a scroll or a step holds it up."""
        until = time.monotonic() + seconds
        self._until = max(self._until, until)
        if not typing:
            self._moving_until = max(self._moving_until, until)

    def release(self) -> None:
        """Nobody is using it any more (the window closed): waiting work goes on at once."""
        self._until = self._moving_until = 0.0

    @property
    def in_use(self) -> bool:
        return time.monotonic() < self._until

    def give_way(self, cancel: threading.Event | None = None, *, to_typing: bool = True) -> float:
        """Sleep while the window is in use; returns the seconds waited. ``cancel`` (set)
        ends the wait at once, so a worker asked to stop is never held up here.
        ``to_typing=False``: wait only while the window scrolls (work that the search
        being typed needs). The main thread (the window's own, in the app) never waits: it
        would wait for itself."""
        if threading.current_thread() is threading.main_thread():
            return 0.0
        started = time.monotonic()
        while (left := (self._until if to_typing else self._moving_until) - time.monotonic()) > 0:
            step = min(left, LOOK_AGAIN_S)
            if cancel is None:
                time.sleep(step)
            elif cancel.wait(step):
                break
        return time.monotonic() - started


# The process has at most one window; its parts touch this one and workers ask it.
foreground = Foreground()
