#!/usr/bin/env bash
# Builds the one-folder PyInstaller bundle on Linux, then runs it: `--version`, and
# `sources add` + `check --json` against a feed on a loopback server (both must succeed), the
# demo tray app's first poll through its poll process (the bundle started again with a hidden
# first argument; the tray app itself must not load httpx or feedparser), and prints the bundle's size (target ≤ 120 MB) and its start-up time next to the pip-installed app.
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

# The bundle's tray app polls through its poll process (the same executable with a hidden first
# argument): run the demo until its first poll result, and look for that child on the way.
poll_process_smoke() {
    local home app found="" i
    home=$(mktemp -d)
    mkdir -p "$home"/{config,data,cache,state}
    XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache" \
        XDG_STATE_HOME="$home/state" QT_QPA_PLATFORM=offscreen DBUS_SESSION_BUS_ADDRESS=disabled: \
        LIVE_UPDATES_UNATTENDED="{\"url_log\": \"$home/urls\", \"modules_log\": \"$home/modules\"}" \
        "$DIST/live-updates/live-updates" --demo >"$home/out" 2>&1 &
    app=$!
    for i in $(seq 1 300); do
        for kid in $(cat /proc/"$app"/task/*/children 2>/dev/null); do
            tr '\0' ' ' <"/proc/$kid/cmdline" 2>/dev/null | grep -q -- '--live-updates-poll-process' &&
                found=1
        done
        [ -s "$home/modules" ] && break
        sleep 0.1
    done
    kill -TERM "$app" 2>/dev/null
    wait "$app" || true
    if [ -s "$home/modules" ] && [ -n "$found" ] && ! grep -qx -e httpx -e feedparser "$home/modules"; then
        say "tray app polls through its poll process: ok"
    else
        say "tray app did not poll through its poll process (child seen: ${found:-no})"
        rc=1
    fi
    rm -rf "$home"
}
poll_process_smoke
say "$([ "$rc" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - script_start)) s"
exit "$rc"
