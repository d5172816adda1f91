#!/usr/bin/env bash
# Build the self-contained Linux photofind from a clean checkout with only Python and pip:
#
#   bash packaging/linux/build.sh
#
# makes build/venv (a virtualenv of its own: PyInstaller and the project, no dev extras),
# freezes photofind into dist/photofind/ (run dist/photofind/photofind), then packages it as
# dist/photofind_VERSION_ARCH.deb and dist/photofind-VERSION-linux-ARCH.tar.gz.
#
# PYTHON=python3.12 picks the interpreter (it needs its shared libpython, as Debian's and
# pyenv's builds have). ONNXRUNTIME=onnxruntime-gpu builds the CUDA variant
# (see packaging/README.md). SKIP_PACKAGES=1 stops after dist/photofind/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
ONNXRUNTIME="${ONNXRUNTIME:-onnxruntime}"
VENV="$ROOT/build/venv"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "pyinstaller>=6.10" "pyinstaller-hooks-contrib>=2024.8"
# Not editable, and reinstalled each time, so the frozen app is exactly this checkout.
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps .
"$VENV/bin/python" -m pip install --quiet .
if [ "$ONNXRUNTIME" != onnxruntime ]; then
    # The GPU wheel ships the same 'onnxruntime' module; two of them would overwrite each other.
    "$VENV/bin/python" -m pip uninstall --quiet --yes onnxruntime
    "$VENV/bin/python" -m pip install --quiet "$ONNXRUNTIME"
fi

"$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/photofind.spec

echo "Built $ROOT/dist/photofind/photofind ($(du -sh "$ROOT/dist/photofind" | cut -f1))"
if [ "${SKIP_PACKAGES:-0}" != 1 ]; then
    bash "$ROOT/packaging/linux/package.sh"
fi
