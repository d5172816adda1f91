#!/usr/bin/env bash
# Check the frozen app as a person without Python would meet it:
#
#   bash packaging/test_frozen.sh [dist/photofind/photofind]
#
# Every run of photofind here has a clean environment (env -i: no PATH to a Python, no
# PYTHONPATH, no virtualenv), only DISPLAY and HOME. Under Xvfb it
#   1. opens the window and times the launch until the window is on the screen,
#   2. opens the demo, types a query and takes a screenshot,
#   3. runs 'index' and 'search --json' from the same executable, and checks the answer,
#   4. checks that 'index' without a model refuses the demo model (exit 2),
#   5. installs the desktop entry and checks that it starts this executable,
#   6. when a .deb was built, unpacks it and runs photofind through /usr/bin's symlink.
# Screenshots and timings go to $OUT (default build/frozen-test). Needs Xvfb, xdotool and
# ImageMagick's import: apt-get install xvfb xdotool imagemagick. Slow (about a minute);
# not part of the test suite.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$(realpath "${1:-$ROOT/dist/photofind/photofind}")"
OUT="${OUT:-$ROOT/build/frozen-test}"
# Only to make test photos and read JSON: never on the frozen app's path.
PYTHON="${PYTHON:-$ROOT/build/venv/bin/python}"
[ -x "$APP" ] || { echo "No $APP: run packaging/linux/build.sh first." >&2; exit 1; }
for tool in Xvfb xdotool import; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install xvfb xdotool imagemagick)." >&2; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
DISPLAY_NUMBER=$((90 + RANDOM % 100))
Xvfb ":$DISPLAY_NUMBER" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
APP_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    kill "$XVFB" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
sleep 1

fail() { echo "FAIL: $*" >&2; exit 1; }
# The frozen app with nothing but a display and a home. An array, not a function: started
# with '&', $! is then photofind itself (env execs it), which the SIGINT must reach.
FROZEN=(env -i DISPLAY=":$DISPLAY_NUMBER" HOME="$WORK/home" "$APP")
now() { date +%s.%N; }
window_up() {  # waits for the main window; prints the seconds since $1
    timeout 60 xdotool search --sync --onlyvisible --name '^photofind$' >/dev/null \
        || fail "no photofind window within 60 s (see $OUT/*.log)"
    echo "$(now) - $1" | bc
}
close_app() {  # Ctrl+C closes the window as Quit does; the app must then exit
    kill -INT "$APP_PID"
    timeout 30 tail --pid="$APP_PID" -f /dev/null || fail "the app did not quit on SIGINT"
    wait "$APP_PID" || true
    APP_PID=""
}
export DISPLAY=":$DISPLAY_NUMBER"
mkdir -p "$WORK/home"

echo "== 1. launch to window"
start=$(now)
"${FROZEN[@]}" --data-dir "$WORK/first" gui >"$OUT/first.log" 2>&1 &
APP_PID=$!
launch=$(window_up "$start")
sleep 2
import -window root "$OUT/first-run.png"
close_app
echo "launch to window: ${launch} s" | tee "$OUT/timings.txt"
# A second launch finds the files in the page cache, as every launch after the first does.
start=$(now)
"${FROZEN[@]}" --data-dir "$WORK/first" gui >>"$OUT/first.log" 2>&1 &
APP_PID=$!
again=$(window_up "$start")
close_app
echo "launch to window, warm: ${again} s" | tee -a "$OUT/timings.txt"

echo "== 2. the demo"
"${FROZEN[@]}" --data-dir "$WORK/demo" demo >"$OUT/demo.log" 2>&1 &
APP_PID=$!
window_up "$(now)" >/dev/null
sleep 30  # the demo library (120 photos) is generated and indexed
xdotool search --onlyvisible --name '^photofind$' windowactivate --sync 2>/dev/null || true
xdotool type --delay 40 "a red circle"
sleep 3
import -window root "$OUT/demo-search.png"
close_app
grep -q Traceback "$OUT/demo.log" && fail "the demo printed a traceback: $OUT/demo.log"

echo "== 3. index and search from the same executable"
"$PYTHON" - "$WORK/photos" <<'PY'
import sys
from pathlib import Path
from photofind.core.shapes import generate_library
generate_library(Path(sys.argv[1]), 12, seed=14, size_range=(200, 400))
PY
"${FROZEN[@]}" --data-dir "$WORK/cli" --model tiny-shapes index "$WORK/photos" >"$OUT/index.log" 2>&1 \
    || fail "index failed: $(cat "$OUT/index.log")"
grep -q "Indexed 12 new photos" "$OUT/index.log" || fail "index: $(cat "$OUT/index.log")"
"${FROZEN[@]}" --data-dir "$WORK/cli" --model tiny-shapes search "a red circle" --all --json \
    >"$OUT/search.json" 2>"$OUT/search.log" || fail "search failed: $(cat "$OUT/search.log")"
"$PYTHON" - "$OUT/search.json" <<'PY' || fail "search --json: $(cat "$OUT/search.json")"
import json, sys
results = json.load(open(sys.argv[1]))["results"]
assert len(results) == 12, results
assert "red-circle" in results[0]["path"], results[0]
print("search --json: 12 results, best", results[0]["path"].rsplit("/", 1)[-1])
PY

echo "== 4. no accidental demo model"
set +e
"${FROZEN[@]}" --data-dir "$WORK/nomodel" index "$WORK/photos" </dev/null >"$OUT/nomodel.log" 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "index without a model exited $code: $(cat "$OUT/nomodel.log")"
grep -q "photofind model install" "$OUT/nomodel.log" || fail "$(cat "$OUT/nomodel.log")"

echo "== 5. the desktop entry starts this executable"
env -i HOME="$WORK/home" XDG_DATA_HOME="$WORK/share" "$APP" install-desktop >/dev/null
grep -qx "Exec=$APP gui" "$WORK/share/applications/photofind.desktop" \
    || fail "$(grep Exec= "$WORK/share/applications/photofind.desktop")"

deb="$(ls "$ROOT"/dist/photofind_*.deb 2>/dev/null | tail -1 || true)"
if [ -n "$deb" ]; then
    echo "== 6. the .deb"
    dpkg-deb -x "$deb" "$WORK/deb"
    # /usr/bin/photofind is an absolute link to /opt; the same link, pointing into the copy:
    ln -s "$WORK/deb/opt/photofind/photofind" "$WORK/photofind-link"
    env -i "$WORK/photofind-link" --version | grep -q "^photofind " || fail "the .deb's photofind"
    [ -f "$WORK/deb/usr/share/applications/photofind.desktop" ] || fail "no desktop entry in the .deb"
fi

du -sh "$(dirname "$APP")" | tee -a "$OUT/timings.txt"
echo "OK: screenshots in $OUT"
