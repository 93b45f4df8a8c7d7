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

script_start=$(date +%s)

# PyInstaller reads and strips libraries with binutils (objdump, strip); the spec assembles the
# smaller ICU data library with it (as, ld).
need_tools=()
for tool in objdump strip as ld; do
    command -v "$tool" >/dev/null || need_tools+=("$tool")
done
if [ "$build" = 1 ] && [ ${#need_tools[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || {
        say "${need_tools[*]} not found: install binutils"
        exit 1
    }
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    apt() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
    say "${need_tools[*]} not found: installing binutils with apt"
    apt install -y -qq --no-install-recommends binutils ||
        { apt update -qq && apt install -y -qq --no-install-recommends binutils; }
fi

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
rc=0
"$PY" -m bench.startup --bundle "$DIST/live-updates" --pip "$VENV/bin/live-updates" || rc=$?
say "$([ "$rc" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - script_start)) s"
exit "$rc"
