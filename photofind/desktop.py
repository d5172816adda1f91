"""Add photofind to the desktop's application menu, for the current user.

:func:`install_desktop_entry` writes a freedesktop.org desktop entry to
``$XDG_DATA_HOME/applications`` (``~/.local/share/applications``) and the icon to
``$XDG_DATA_HOME/icons/hicolor/<size>/apps``, each file atomically. The entry starts this
very interpreter (``sys.executable -m photofind gui``), so it works from a virtual
environment without photofind on the PATH; from the frozen app, that executable itself.

``python -m photofind.desktop --write-assets photofind/assets`` renders the PNG sizes in the
package's ``assets/`` folder from its SVG, the icon's one source (this needs Qt; installing the
entry only copies the files).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.resources
import os
import sys
import tempfile
from pathlib import Path

APP_ID = "photofind"  # file names; also the window's desktop file name, so docks match them


def _quote_exec(arg: str) -> str:
    """Quote one Exec argument as the Desktop Entry Specification asks."""
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def _launch_command(python: str | None) -> tuple[str, ...]:
    # In the frozen app (packaging/) sys.executable is photofind itself, not a Python.
    if python is None and getattr(sys, "frozen", False):
        return (sys.executable, "gui")
    return (python or sys.executable, "-m", "photofind", "gui")


def desktop_entry(python: str | None = None) -> str:
    exec_line = " ".join(_quote_exec(a) for a in _launch_command(python))
    exec_line = exec_line.replace("%", "%%")
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.5\n"
        "Name=photofind\n"
        "GenericName=Photo Search\n"
        "Comment=Find photos in your own library by describing them or by example\n"
        f"Exec={exec_line}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Graphics;Photography;\n"
        "Keywords=photo;picture;image;search;find;similar;CLIP;\n"
        f"StartupWMClass={APP_ID}\n"
        "StartupNotify=true\n"
    )


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


PNG_SIZES = (16, 32, 48, 64, 128, 256)
ASSETS = importlib.resources.files("photofind") / "assets"


def icon_svg() -> str:
    """The icon's one source, shipped as package data."""
    return (ASSETS / f"{APP_ID}.svg").read_text(encoding="utf-8")


def write_icons(hicolor: Path) -> list[Path]:
    """The SVG and every PNG size into a hicolor-layout folder (copied: no Qt needed)."""
    written = []
    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    _write_atomic(svg, (ASSETS / f"{APP_ID}.svg").read_bytes())
    written.append(svg)
    for size in PNG_SIZES:
        png = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        _write_atomic(png, (ASSETS / f"{APP_ID}-{size}.png").read_bytes())
        written.append(png)
    return written


def install_desktop_entry(data_dir: Path | None = None) -> list[Path]:
    """Install the menu entry and icons under ``data_dir`` ($XDG_DATA_HOME by default).

    Returns the files written. Raises OSError when the folder cannot be written."""
    root = Path(data_dir) if data_dir is not None else data_home()
    written = write_icons(root / "icons" / "hicolor")
    entry = root / "applications" / f"{APP_ID}.desktop"
    _write_atomic(entry, desktop_entry().encode())
    written.append(entry)
    # Menus and icon themes notice new files by the folders' modification times.
    for folder in (root / "applications", root / "icons" / "hicolor"):
        with contextlib.suppress(OSError):
            os.utime(folder)
    return written


def write_assets(folder: Path) -> list[Path]:
    """Render photofind-<size>.png into ``folder`` from the SVG (a dev tool: needs Qt)."""
    from photofind.gui.icon import png_bytes

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in PNG_SIZES:
        path = folder / f"{APP_ID}-{size}.png"
        _write_atomic(path, png_bytes(size))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m photofind.desktop", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--write-assets",
        metavar="DIR",
        type=Path,
        help="regenerate the icon files in DIR instead of installing",
    )
    args = parser.parse_args(argv)
    paths = write_assets(args.write_assets) if args.write_assets else install_desktop_entry()
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
