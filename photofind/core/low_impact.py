"""Low impact indexing: fewer read threads, at a lower scheduling priority, so that indexing
leaves the machine to the person using it (searching in the window, or working in another
program while ``photofind watch`` runs).

Priorities are per thread, not per process: ``os.nice`` would also slow the window's own
threads (the UI, searches, thumbnails). On Linux every thread has its own nice value,
which ``setpriority(PRIO_PROCESS, native thread id)`` sets, and a new thread starts with the
nice value of the thread that started it. So an index run lowers its own thread before it
starts its read threads (they inherit it), and the model's worker threads, which ONNX
Runtime starts when the image model is first used, inherit it too when that first use is in
a low impact run. Raising a priority again needs privileges an ordinary user does not have,
which is why the lowering is done per run, on threads that end with the run (the window's
index thread), or on a thread whose whole life is low impact (the watcher's).

Elsewhere (macOS, Windows) there is no per-thread nice value; only the number of read
threads goes down there.
"""

from __future__ import annotations

import os
import sys
import threading

# Nice 10 (of 0..19) is what desktop indexers (Tracker, Baloo) use: the run still progresses
# on a busy machine, but any interactive work is scheduled first.
LOW_IMPACT_NICE = 10
# One read thread: on 2 cores the model's thread and one reader leave a core free.
LOW_IMPACT_WORKERS = 1


def lower_thread_priority() -> bool:
    """Lower the calling thread (not the process) to LOW_IMPACT_NICE, never raising it.
    False where the platform has no per-thread priority or refuses the change."""
    if sys.platform != "linux" or not hasattr(os, "setpriority"):
        return False
    thread_id = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, thread_id) < LOW_IMPACT_NICE:
            os.setpriority(os.PRIO_PROCESS, thread_id, LOW_IMPACT_NICE)
    except OSError:
        return False
    return True


def thread_priority() -> int | None:
    """The calling thread's nice value, where threads have their own (Linux)."""
    if sys.platform != "linux" or not hasattr(os, "getpriority"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
