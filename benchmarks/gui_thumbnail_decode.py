"""Decoding cached thumbnails: Qt's ``QImage.fromData`` against Pillow
(``gui.workers.thumbnails.decode_thumbnail``). Prints, never asserts.

Figures:

* **decode**: one 256-px thumbnail from its JPEG bytes to a QImage (median over all), and
  ``QPixmap.fromImage`` of the result, which the UI thread does for every thumbnail.
* **UI thread speed**: iterations per second of a pure-Python loop on the main thread
  while two threads decode thumbnails in a loop (the loader's two threads), as a share of
  the same loop's speed alone. Painting the grid is Python on the UI thread: what this
  loop keeps is roughly what a paint keeps.

The thumbnails are made the way the cache makes them (``core.thumbnails.encode_thumbnail``)
from generated pictures with photo-like detail (~15 KB each at 256 px).

Which thread holds the lock is a matter of scheduling: one run of the same loop may keep
70 % of the UI thread's speed and the next 1 % (the decoding threads then take the lock
back each time it is let go). So each figure is measured in several rounds, taking turns,
and the median and the worst round are printed.

    .venv/bin/python benchmarks/gui_thumbnail_decode.py [--seconds 1] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

THUMBNAILS = 24
DECODE_THREADS = 2  # ThumbnailLoader's default pool


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


def loop_rate(seconds: float) -> float:
    """Iterations per second of a pure-Python loop (a stand-in for painting)."""
    count, total = 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for i in range(1000):
            total += i * i
        count += 1000
    return count / seconds


def rate_while_decoding(fn, thumbnails: list[bytes], seconds: float) -> tuple[float, int]:
    stop = threading.Event()
    decoded = [0] * DECODE_THREADS

    def work(slot: int) -> None:
        while not stop.is_set():
            for data in thumbnails:
                fn(data)
                decoded[slot] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(DECODE_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    try:
        rate = loop_rate(seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return rate, sum(decoded)


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
    shares: dict[str, list[float]] = {name: [] for name in decoders}
    rates: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(args.rounds):
        alone = loop_rate(args.seconds)
        for name, fn in decoders.items():
            rate, decoded = rate_while_decoding(fn, thumbnails, args.seconds)
            shares[name].append(rate / alone)
            rates[name].append(decoded / args.seconds)
    print(f"UI-thread loop speed while {DECODE_THREADS} threads decode, as a share of its "
          f"speed alone ({args.rounds} rounds of {args.seconds:g} s):")  # fmt: skip
    for name in decoders:
        print(f"  {name:28} median {statistics.median(shares[name]):6.1%}, worst "
              f"{min(shares[name]):6.1%} ({statistics.median(rates[name]):,.0f} thumbnails/s "
              "decoded meanwhile)")  # fmt: skip


if __name__ == "__main__":
    main()
