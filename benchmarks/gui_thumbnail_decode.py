"""Decoding cached thumbnails: Qt's ``QImage.fromData`` against Pillow
(``gui.workers.thumbnails.decode_thumbnail``). Prints, never asserts.

Figures:

* **decode**: one 256-px thumbnail from its JPEG bytes to a QImage (median over all), and
  ``QPixmap.fromImage`` of the result, which the UI thread does for every thumbnail.
* **one large decode**: a 12-MP JPEG decoded on one thread beside the Python loop below,
  and the share of its speed the loop keeps meanwhile: whether the decoder lets go of the
  interpreter lock while libjpeg works (Pillow does, ``fromData`` does not).
* **UI thread**: a pure-Python loop on the main thread while two threads decode
  thumbnails in a loop (the loader's two threads): the share of its speed alone it keeps,
  and the longest it waited between two rounds of 200 iterations (a few microseconds of
  work each). Painting the grid is Python on the UI thread: the share is roughly what a
  paint keeps, the longest wait what a frame can lose at once.
* **frames**: closer to scrolling: a paint of PAINT_MS of Python every FRAME_MS on the main
  thread (idle in between, as the event loop is), the paint's median and 95th percentile,
  and how many thumbnails the two threads decode meanwhile.

The thumbnails are made the way the cache makes them (``core.thumbnails.encode_thumbnail``)
from generated pictures with photo-like detail (~12 KB each at 256 px).

Which thread gets the lock is a matter of scheduling, and other processes on the machine
move the figures (on a busy 2-core machine one round kept 70 % and the next 1 %), so the
loop is measured in several rounds, the decoders taking turns, and the median and the
worst round are printed.

    .venv/bin/python benchmarks/gui_thumbnail_decode.py [--seconds 1] [--rounds 7]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

THUMBNAILS = 24
DECODE_THREADS = 2  # ThumbnailLoader's default pool
FRAME_MS = 16  # 60 frames a second
PAINT_MS = 4  # the paint of one screen of the browse grid, uncontended
T = TypeVar("T")


def make_thumbnails() -> list[bytes]:
    from PIL import Image, ImageDraw, ImageFilter

    from photofind.core.thumbnails import GRID_BUCKET, encode_thumbnail

    out = []
    for seed in range(THUMBNAILS):
        rng = random.Random(seed)
        picture = Image.effect_noise((1200, 900), 60).convert("RGB")
        draw = ImageDraw.Draw(picture)
        for _ in range(40):
            x, y = rng.randrange(1200), rng.randrange(900)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.ellipse((x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 300)), colour)
        picture = picture.filter(ImageFilter.GaussianBlur(1))
        out.append(encode_thumbnail(picture, GRID_BUCKET))
    return out


def qt_decode(data: bytes):
    from PySide6.QtGui import QImage

    return QImage.fromData(data, "JPEG")


def per_call_us(fn: Callable[[bytes], object], thumbnails: list[bytes], rounds: int = 20) -> float:
    times = []
    for _ in range(rounds):
        for data in thumbnails:
            start = time.perf_counter()
            fn(data)
            times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


@dataclass
class Loop:
    rate: float  # iterations per second
    longest_wait_ms: float  # the longest time between two of its rounds of 200 iterations


def python_loop(seconds: float) -> Loop:
    """A pure-Python loop (a stand-in for painting) for ``seconds``."""
    count, total, longest = 0, 0, 0.0
    last = start = time.perf_counter()
    while last - start < seconds:
        for i in range(200):
            total += i * i
        count += 200
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return Loop(count / (last - start), longest * 1000)


def frames(iterations: int, seconds: float) -> list[float]:
    """A paint every FRAME_MS: ``iterations`` of the Python loop, then idle until the next
    frame is due. The time of each paint, in ms."""
    times = []
    due = start = time.perf_counter()
    while due - start < seconds:
        began, total = time.perf_counter(), 0
        for i in range(iterations):
            total += i * i
        times.append((time.perf_counter() - began) * 1000)
        due += FRAME_MS / 1000
        time.sleep(max(0.0, due - time.perf_counter()))
    return times


def beside_decoders(fn, thumbnails: list[bytes], main: Callable[[], T]) -> tuple[T, float]:
    """``main()`` while DECODE_THREADS threads decode in a loop; and their thumbnails/s."""
    stop, measuring = threading.Event(), threading.Event()
    decoded = [0] * DECODE_THREADS

    def work(slot: int) -> None:
        while not stop.is_set():
            for data in thumbnails:
                fn(data)
                if measuring.is_set():
                    decoded[slot] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(DECODE_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    measuring.set()
    start = time.perf_counter()
    try:
        result = main()
    finally:
        seconds = time.perf_counter() - start
        measuring.clear()
        stop.set()
        for thread in threads:
            thread.join()
    return result, sum(decoded) / seconds


def spin(until: Callable[[], bool]) -> int:
    """A pure-Python loop until ``until()``; how many times it went round."""
    count = 0
    while not until():
        for _ in range(100):
            pass
        count += 100
    return count


def large_decode(fn, data: bytes) -> tuple[float, float]:
    """(ms the decode took beside a Python loop, share of the loop's speed kept)."""
    done = threading.Event()
    took: list[float] = []

    def work() -> None:
        start = time.perf_counter()
        fn(data)
        took.append((time.perf_counter() - start) * 1000)
        done.set()

    thread = threading.Thread(target=work)
    start = time.perf_counter()
    thread.start()
    beside = spin(done.is_set)
    seconds = time.perf_counter() - start
    thread.join()
    end = time.perf_counter() + seconds
    alone = spin(lambda: time.perf_counter() >= end)
    return took[0], beside / alone


def pillow_load(data: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        picture.load()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from PySide6.QtGui import QGuiApplication, QPixmap

    from photofind.gui.workers.thumbnails import decode_thumbnail

    app = QGuiApplication(sys.argv)  # noqa: F841 - QPixmap needs one
    thumbnails = make_thumbnails()
    size = statistics.median(len(t) for t in thumbnails)
    first = decode_thumbnail(thumbnails[0])
    assert first is not None
    print(f"{THUMBNAILS} thumbnails of {first.width()}x{first.height()}, "
          f"median {size / 1024:.1f} KB; {os.cpu_count()} CPUs")  # fmt: skip
    decoders = {"QImage.fromData": qt_decode, "Pillow (decode_thumbnail)": decode_thumbnail}
    for name, fn in decoders.items():
        image = fn(thumbnails[0])
        decode = per_call_us(fn, thumbnails)
        pixmap = per_call_us(lambda _d, image=image: QPixmap.fromImage(image), thumbnails[:4])
        print(f"{name:28} decode {decode:6.0f} us, then QPixmap.fromImage {pixmap:5.1f} us "
              f"({image.format().name})")  # fmt: skip
    from PIL import Image

    large = io.BytesIO()
    Image.effect_noise((4000, 3000), 50).convert("RGB").save(large, "JPEG", quality=90)
    # decode_thumbnail refuses a picture this large (no thumbnail is): Pillow's own load
    for name, fn in {"QImage.fromData": qt_decode, "Pillow (Image.load)": pillow_load}.items():
        took, kept = large_decode(fn, large.getvalue())
        print(f"{name:28} a 12-MP decode beside a Python loop: {took:4.0f} ms, the loop kept "
              f"{kept:.0%} of its speed")  # fmt: skip
    shares: dict[str, list[float]] = {name: [] for name in decoders}
    waits: dict[str, list[float]] = {name: [] for name in decoders}
    rates: dict[str, list[float]] = {name: [] for name in decoders}
    alone_waits = []
    for _ in range(args.rounds):
        alone = python_loop(args.seconds)
        alone_waits.append(alone.longest_wait_ms)
        for name, fn in decoders.items():
            loop, decoded = beside_decoders(fn, thumbnails, lambda: python_loop(args.seconds))
            shares[name].append(loop.rate / alone.rate)
            waits[name].append(loop.longest_wait_ms)
            rates[name].append(decoded)
    print(f"A Python loop on the main thread while {DECODE_THREADS} threads decode, against the "
          f"loop alone ({args.rounds} rounds of {args.seconds:g} s; alone, its longest wait "
          f"is {statistics.median(alone_waits):.1f} ms):")  # fmt: skip
    for name in decoders:
        print(f"  {name:26} speed kept: median {statistics.median(shares[name]):6.1%}, worst "
              f"{min(shares[name]):6.1%}; longest wait: median {statistics.median(waits[name]):5.1f}"
              f" ms, worst {max(waits[name]):5.1f} ms; {statistics.median(rates[name]):,.0f} "
              "thumbnails/s decoded meanwhile")  # fmt: skip

    iterations = int(python_loop(0.3).rate * PAINT_MS / 1000)
    print(f"A paint of {PAINT_MS} ms (Python) every {FRAME_MS} ms on the main thread, "
          f"{args.seconds * 3:g} s, while {DECODE_THREADS} threads decode:")  # fmt: skip
    painted = frames(iterations, args.seconds * 3)
    print(f"  {'nothing decoding':26} paint median {statistics.median(painted):5.1f} ms, "
          f"95th percentile {percentile(painted, 95):5.1f} ms")  # fmt: skip
    for name, fn in decoders.items():
        painted, decoded = beside_decoders(
            fn, thumbnails, lambda: frames(iterations, args.seconds * 3)
        )
        print(f"  {name:26} paint median {statistics.median(painted):5.1f} ms, 95th "
              f"percentile {percentile(painted, 95):5.1f} ms; {decoded:,.0f} thumbnails/s "
              "decoded meanwhile")  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


if __name__ == "__main__":
    main()
