#!/usr/bin/env bash
# Installs Live Updates for the current user on Debian/Ubuntu from this checkout:
#   - the system libraries Qt's xcb platform plugin needs (apt, with sudo when not root; skipped
#     when already present),
#   - a virtualenv in ${XDG_DATA_HOME:-~/.local/share}/live-updates-widget/venv with the app
#     installed into it (`pip install .`),
#   - the command ~/.local/bin/live-updates (a symlink into that virtualenv).
#
#   bash packaging/linux/install.sh              # install or update
#   bash packaging/linux/install.sh --uninstall  # remove the virtualenv and the command
#
# Your settings, sources and stored entries (~/.config/live-updates, ~/.local/share/live-updates,
# ~/.local/state/live-updates) are never touched by either.
set -euo pipefail

CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APP_HOME="${XDG_DATA_HOME:-$HOME/.local/share}/live-updates-widget"
VENV="$APP_HOME/venv"
BIN_DIR="$HOME/.local/bin"
LINK="$BIN_DIR/live-updates"

say() { printf 'live-updates install: %s\n' "$*"; }
die() {
    printf 'live-updates install: error: %s\n' "$*" >&2
    exit 1
}

RUNTIME_PACKAGES=(
    libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-xcb1
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon0
    libxkbcommon-x11-0 fonts-dejavu-core
)

uninstall() {
    if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$VENV/bin/live-updates" ]; then
        rm -f "$LINK"
        say "removed $LINK"
    elif [ -e "$LINK" ]; then
        say "left $LINK alone: it does not point into $VENV"
    fi
    if [ -d "$VENV" ]; then
        rm -rf "$VENV"
        rmdir "$APP_HOME" 2>/dev/null || true
        say "removed $VENV"
    fi
    say "your settings and entries were kept (~/.config/live-updates, ~/.local/share/live-updates)"
}

install_system_packages() {
    if ! command -v dpkg-query >/dev/null; then
        say "not a Debian/Ubuntu system: install Qt's xcb runtime libraries yourself"
        return
    fi
    local wanted=("${RUNTIME_PACKAGES[@]}") missing=() pkg
    command -v python3 >/dev/null || wanted+=(python3)
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || wanted+=(python3-venv)
    for pkg in "${wanted[@]}"; do
        [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null)" = "ii " ] ||
            missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "system libraries present"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
        sudo=(sudo)
    fi
    say "installing with apt: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_app() {
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
        die "Python 3.10 or newer is needed, found $(python3 --version 2>&1)"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        mkdir -p "$APP_HOME"
        python3 -m venv "$VENV"
    fi
    say "installing the app from $CHECKOUT"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # pip always rebuilds and reinstalls a project from a local folder, so this also updates.
    "$VENV/bin/python" -m pip install -q "$CHECKOUT"
    mkdir -p "$BIN_DIR"
    if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
        die "$LINK exists and is not a symlink; move it away and run again"
    fi
    ln -sfn "$VENV/bin/live-updates" "$LINK"
    say "installed $("$LINK" --version 2>/dev/null || echo live-updates) as $LINK"
    case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) say "note: $BIN_DIR is not on your PATH; run $LINK or add it to PATH" ;;
    esac
}

case "${1:-}" in
--uninstall) uninstall ;;
"")
    install_system_packages
    install_app
    ;;
-h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
*) die "unknown option '$1' (try --help)" ;;
esac
