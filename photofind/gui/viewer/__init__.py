"""photofind's photo viewer: the window (window.py), its picture with zoom (canvas.py), the
details panel (details.py), the decoding of originals off the UI thread with neighbours
prefetched (loader.py), and the record of what it shows (items.py)."""

from photofind.gui.viewer.items import ViewerItem
from photofind.gui.viewer.window import PhotoViewer

__all__ = ["PhotoViewer", "ViewerItem"]
