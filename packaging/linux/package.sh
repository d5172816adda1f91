#!/usr/bin/env bash
# Package dist/photofind/ (made by build.sh) for Linux:
#   dist/photofind_VERSION_ARCH.deb           installs to /opt/photofind, /usr/bin/photofind,
#                                             the menu entry, icons and AppStream metadata
#   dist/photofind-VERSION-linux-ARCH.tar.gz  the folder as it is: run photofind/photofind
# Needs dpkg-deb (Debian and Ubuntu have it); without it only the .tar.gz is made.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
APP="$ROOT/dist/photofind"
HERE="$ROOT/packaging/linux"
[ -x "$APP/photofind" ] || { echo "No $APP/photofind: run packaging/linux/build.sh first." >&2; exit 1; }

VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/photofind/__init__.py")"
MACHINE="$(uname -m)"
# Stamped into the package's release note: the last commit's date, so rebuilding the same
# checkout gives the same metadata.
DATE="$(git -C "$ROOT" log -1 --format=%cs 2>/dev/null || date -u +%F)"

tarball="$ROOT/dist/photofind-$VERSION-linux-$MACHINE.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$ROOT/dist" -cf - photofind \
    | gzip -n -6 > "$tarball"
echo "Built $tarball ($(du -h "$tarball" | cut -f1))"

if ! command -v dpkg-deb >/dev/null; then
    echo "dpkg-deb is not installed: no .deb made." >&2
    exit 0
fi
ARCH="$(dpkg --print-architecture)"
stage="$ROOT/build/deb/photofind_${VERSION}_$ARCH"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/metainfo" "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$APP" "$stage/opt/photofind"
ln -s /opt/photofind/photofind "$stage/usr/bin/photofind"
install -m 644 "$HERE/photofind.desktop" "$stage/usr/share/applications/photofind.desktop"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$DATE/" "$HERE/photofind.metainfo.xml" \
    > "$stage/usr/share/metainfo/photofind.metainfo.xml"
install -m 644 "$ROOT/photofind/assets/photofind.svg" "$stage/usr/share/icons/hicolor/scalable/apps/"
for png in "$ROOT"/photofind/assets/photofind-*.png; do
    size="$(basename "$png" .png)"; size="${size#photofind-}"
    install -D -m 644 "$png" "$stage/usr/share/icons/hicolor/${size}x${size}/apps/photofind.png"
done
# The libraries the frozen app takes from the system rather than carrying: the C library,
# OpenGL/EGL (they belong to the graphics driver), and Wayland's and X's client libraries.
# The C library must be at least as new as the newest one any carried library was linked
# against (those come from the build machine: build on the oldest system to support).
GLIBC="$(find "$APP" -type f \( -name '*.so*' -o -name photofind \) -exec objdump -T {} + \
    2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: photofind
Version: $VERSION
Architecture: $ARCH
Maintainer: photofind developers <photofind@users.noreply.github.com>
Installed-Size: $(du -sk "$stage" | cut -f1)
Depends: libc6 (>= $GLIBC), libgl1, libegl1, libxcb1, libwayland-client0, libwayland-cursor0, libwayland-egl1
Section: graphics
Priority: optional
Homepage: https://github.com/photofind/photofind
Description: find photos in your own library by meaning
 Type what you are looking for or drop a photo onto the window, and photofind
 shows the matching photos of your library, best first. A CLIP model runs on
 your computer in ONNX Runtime; nothing is sent anywhere.
CONTROL
deb="$ROOT/dist/photofind_${VERSION}_$ARCH.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "Built $deb ($(du -h "$deb" | cut -f1))"
