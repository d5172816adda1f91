"""Write packaging/windows/photofind.ico and packaging/macos/photofind.icns from the one
source of photofind's icon, photofind/assets/photofind.svg (as the PNGs beside it are).

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QGuiApplication

from photofind.gui.icon import png_bytes

HERE = Path(__file__).resolve().parent
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)  # Explorer's list, details and tiles
ICNS_SIZE = 1024  # Pillow writes every smaller Retina size from it


def rendered(size: int) -> Image.Image:
    return Image.open(io.BytesIO(png_bytes(size))).convert("RGBA")


def main() -> None:
    _app = QGuiApplication([])  # the SVG renderer needs a Qt application
    # Each ICO size rendered from the SVG itself: a downscaled 256 blurs the small ones.
    frames = [rendered(size) for size in ICO_SIZES]
    frames[-1].save(HERE / "windows" / "photofind.ico", append_images=frames[:-1],
                    sizes=[f.size for f in frames])  # fmt: skip
    rendered(ICNS_SIZE).save(HERE / "macos" / "photofind.icns")
    print(HERE / "windows" / "photofind.ico", HERE / "macos" / "photofind.icns")


if __name__ == "__main__":
    main()
