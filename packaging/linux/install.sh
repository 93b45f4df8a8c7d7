#!/usr/bin/env bash
# Installs Live Updates for the current user on Debian/Ubuntu from this checkout:
#   - the system libraries Qt's xcb platform plugin needs (apt, with sudo when not root; skipped
#     when already present),
#   - a virtualenv in ${XDG_DATA_HOME:-~/.local/share}/live-updates-widget/venv with the app
#     installed into it (`pip install .`),
#   - the command ~/.local/bin/live-updates (a symlink into that virtualenv),
#   - the launcher entry: the desktop file in ~/.local/share/applications, the app icon in the
#     hicolor theme (~/.local/share/icons/hicolor) and the AppStream metainfo.
#
#   bash packaging/linux/install.sh              # install or update
#   bash packaging/linux/install.sh --desktop    # only the launcher entry and icons, for the
#                                                # `live-updates` already on PATH (pipx, pip)
#   bash packaging/linux/install.sh --uninstall  # remove all of the above
#
# Your settings, sources and stored entries (~/.config/live-updates, ~/.local/share/live-updates,
# ~/.local/state/live-updates) are never touched by any of them.
set -euo pipefail

CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APP_HOME="${XDG_DATA_HOME:-$HOME/.local/share}/live-updates-widget"
VENV="$APP_HOME/venv"
BIN_DIR="$HOME/.local/bin"
LINK="$BIN_DIR/live-updates"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
APP_ID=$(sed -n 's/^APP_ID = "\(.*\)"$/\1/p' "$CHECKOUT/widget/__init__.py")
ICON_SIZES=(16 24 32 48 64 128 256 512)

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

# ---- launcher entry and icons ----
desktop_paths() {
    printf '%s\n' "$DATA_HOME/applications/$APP_ID.desktop" "$DATA_HOME/metainfo/$APP_ID.metainfo.xml" \
        "$DATA_HOME/icons/hicolor/scalable/apps/$APP_ID.svg"
    local size
    for size in "${ICON_SIZES[@]}"; do
        printf '%s\n' "$DATA_HOME/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
}

refresh_caches() {
    if command -v update-desktop-database >/dev/null; then
        update-desktop-database -q "$DATA_HOME/applications" ||
            say "note: update-desktop-database failed; the menu may update only after a new login"
    fi
    if command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA_HOME/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" ||
            say "note: gtk-update-icon-cache failed; the icon may appear only after a new login"
    fi
}

install_desktop() {
    # $1: the absolute path of the live-updates command the launcher runs.
    local command=$1 exec_value size
    [ -n "$APP_ID" ] || die "cannot read APP_ID from $CHECKOUT/widget/__init__.py"
    [ -x "$command" ] || die "$command is not an executable live-updates command"
    exec_value=$command
    case "$command" in
    *[[:space:]\"\'\\\`\$]*) exec_value="\"$(printf '%s' "$command" | sed 's/[\\"`$]/\\&/g')\"" ;;
    esac
    mkdir -p "$DATA_HOME/applications" "$DATA_HOME/metainfo" "$DATA_HOME/icons/hicolor/scalable/apps"
    for size in "${ICON_SIZES[@]}"; do
        mkdir -p "$DATA_HOME/icons/hicolor/${size}x${size}/apps"
        install -m 644 "$CHECKOUT/resources/icons/live-updates-$size.png" \
            "$DATA_HOME/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    install -m 644 "$CHECKOUT/resources/live-updates.svg" \
        "$DATA_HOME/icons/hicolor/scalable/apps/$APP_ID.svg"
    install -m 644 "$CHECKOUT/packaging/linux/$APP_ID.metainfo.xml" "$DATA_HOME/metainfo/"
    # The launcher runs the command by its full path: ~/.local/bin is not on every session's PATH.
    # (Exec is a quoted command line; TryExec is a plain path.)
    awk -v cmd="$exec_value" -v path="$command" '
        /^Exec=/ { print "Exec=" cmd; next }
        /^TryExec=/ { print "TryExec=" path; next }
        { print }' "$CHECKOUT/packaging/linux/$APP_ID.desktop" >"$DATA_HOME/applications/$APP_ID.desktop.tmp"
    chmod 644 "$DATA_HOME/applications/$APP_ID.desktop.tmp"
    mv -f "$DATA_HOME/applications/$APP_ID.desktop.tmp" "$DATA_HOME/applications/$APP_ID.desktop"
    refresh_caches
    say "launcher entry installed: $DATA_HOME/applications/$APP_ID.desktop (runs $command)"
}

uninstall_desktop() {
    local path removed=0
    while IFS= read -r path; do
        if [ -e "$path" ]; then
            rm -f "$path"
            removed=$((removed + 1))
        fi
    done < <(desktop_paths)
    if [ "$removed" -gt 0 ]; then
        refresh_caches
        say "removed the launcher entry and icons ($removed files)"
    fi
}

uninstall() {
    uninstall_desktop
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
--desktop)
    found=$(command -v live-updates) || die "no live-updates command on PATH: install the app first"
    install_desktop "$found"
    ;;
"")
    install_system_packages
    install_app
    install_desktop "$LINK"
    ;;
-h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
*) die "unknown option '$1' (try --help)" ;;
esac
