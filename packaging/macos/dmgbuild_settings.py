"""dmgbuild settings for the macOS disk image: photofind.app beside a link to
/Applications, the usual drag-to-install window. Not built by this project's CI (it needs
a Mac); see packaging/README.md.

    pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/photofind.spec
    dmgbuild -s packaging/macos/dmgbuild_settings.py -D app=dist/photofind.app \\
        photofind dist/photofind-VERSION-macos.dmg
"""

import os.path

# dmgbuild runs this file with `defines` (the -D options) in its namespace.
application = defines.get("app", "dist/photofind.app")  # noqa: F821
appname = os.path.basename(application)

format = "UDZO"  # compressed, read-only
filesystem = "HFS+"
files = [application]
symlinks = {"Applications": "/Applications"}
# dmgbuild gives this file no __file__: the paths are from the repository root, where the
# command above runs.
badge_icon = "packaging/macos/photofind.icns"
icon_locations = {appname: (140, 120), "Applications": (500, 120)}
window_rect = ((200, 200), (640, 280))
default_view = "icon-view"
show_status_bar = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
icon_size = 128
text_size = 13
