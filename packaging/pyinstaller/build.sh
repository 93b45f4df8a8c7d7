#!/usr/bin/env bash
# Builds the one-folder PyInstaller bundle on Linux, then runs it: `--version`, and
# `sources add` + `check --json` against a feed on a loopback server (both must succeed), and
# prints the bundle's size (target ≤ 120 MB) and its start-up time next to the pip-installed app.
#
#   bash packaging/pyinstaller/build.sh            # build + smoke test + figures
#   bash packaging/pyinstaller/build.sh --no-build # only the smoke test and figures
#
# Uses the project's .venv (made by tests/run.sh; created here with `pip install -e .` when
# missing) and installs PyInstaller into it. Output: build/pyinstaller/dist/live-updates/.
# Exit status: non-zero when the build or a smoke test fails, or the bundle exceeds the target.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
VENV=${LIVE_UPDATES_BUILD_VENV:-$ROOT/.venv}
OUT="$ROOT/build/pyinstaller"
DIST="$OUT/dist"
PYINSTALLER_SPEC='pyinstaller>=6.10,<7'

say() { printf 'build.sh: %s\n' "$*"; }

build=1
case "${1:-}" in
--no-build) build=0 ;;
"") ;;
*)
    say "unknown option '$1'"
    exit 2
    ;;
esac

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with the app installed (pip install -e .)"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT"
fi
PY="$VENV/bin/python"

if [ "$build" = 1 ]; then
    if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
        say "pip install '$PYINSTALLER_SPEC' into $VENV"
        "$PY" -m pip install -q "$PYINSTALLER_SPEC"
    fi
    say "PyInstaller $("$PY" -m PyInstaller --version)"
    start=$(date +%s)
    "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$DIST" --workpath "$OUT/work" packaging/pyinstaller/live-updates.spec
    say "built $DIST/live-updates in $(($(date +%s) - start)) s"
fi

[ -x "$DIST/live-updates/live-updates" ] || {
    say "no bundle at $DIST/live-updates (build it first)"
    exit 1
}
# The pip-installed app for comparison: the venv's own `live-updates` command.
exec "$PY" -m bench.startup --bundle "$DIST/live-updates" --pip "$VENV/bin/live-updates"
