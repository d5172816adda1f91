"""What an install reports while it runs: the phases in order, the sentence a front end shows
for each step, and the progress items themselves (yielded by :mod:`.install`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from photofind.core.models import quantize

InstallPhase = Literal[
    "connecting",  # asking the hub what to download
    "downloading",  # done_bytes / total_bytes
    "copying",  # import: done_bytes / total_bytes
    "verifying",  # hashing the downloaded files
    "testing",  # loading the bundle and running both graphs once
    "quantizing",  # making and checking the int8 image encoder
    "installing",  # fsync and rename
    "installed",  # the last item: result is set
    "cancelled",  # the last item when stopped: nothing was installed
]
PHASES: tuple[InstallPhase, ...] = get_args(InstallPhase)

# The steps a front end names in a sentence; the others are drawn as a bar of bytes
# (downloading, copying) or end the install (installed, cancelled). ``{name}``: the model.
INSTALL_STEPS: dict[InstallPhase, str] = {
    "connecting": "Asking the model server for {name}…",
    "verifying": "Checking the downloaded files…",
    "testing": "Testing the model…",
    "quantizing": "Making the int8 image encoder and comparing it with the original…",
    "installing": "Installing…",
}


@dataclass(frozen=True)
class InstallResult:
    name: str
    path: Path
    size_bytes: int
    already_installed: bool  # nothing was downloaded (int8 may have been added)
    int8: quantize.Int8Result | None  # set when int8 was asked for and made now
    int8_active: bool  # the image encoder of this model runs in int8


@dataclass(frozen=True)
class InstallProgress:
    phase: InstallPhase
    name: str
    done_bytes: int = 0
    total_bytes: int = 0
    bytes_per_s: float = 0.0
    result: InstallResult | None = None

    @property
    def eta_s(self) -> float | None:
        if self.bytes_per_s <= 0 or self.total_bytes <= self.done_bytes:
            return None
        return (self.total_bytes - self.done_bytes) / self.bytes_per_s


class ByteMeter:
    """Bytes done out of a total, set from any thread; rate since the start."""

    def __init__(self, name: str, total: int) -> None:
        self.name = name
        self.total = total
        self.done = 0
        self._start = time.monotonic()

    def set(self, done: int) -> None:
        self.done = done  # one int store: atomic, and only ever read for display

    def progress(self, phase: InstallPhase) -> InstallProgress:
        elapsed = time.monotonic() - self._start
        rate = self.done / elapsed if elapsed > 0.5 and self.done else 0.0
        return InstallProgress(phase, self.name, self.done, self.total, rate)
