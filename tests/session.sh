#!/usr/bin/env bash
# A private, headless desktop session for the test suite, then a command inside it.
#
#   bash tests/session.sh xembed -- pytest -q        # Xvfb + bus + keyring + trayer + dunst
#   bash tests/session.sh sni -- pytest -q tests/gui # same, StatusNotifierWatcher instead of trayer
#   bash tests/session.sh notray -- pytest -q tests/e2e/test_window_mode.py  # no tray host at all
#
# Order follows the recipe in TESTING-NOTES: Xvfb first (DISPLAY must exist before the bus), XDG
# dirs in a temp folder, then everything else inside `dbus-run-session --`: an unlocked
# gnome-keyring (Secret Service), a tray host, dunst; the command starts only once
# org.freedesktop.secrets and org.freedesktop.Notifications have owners and the tray is up.
# Every process started here is stopped by its PID on exit, in reverse order. The exit status is
# the command's.
#
# Inside the session: DISPLAY, DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR, XDG_{CONFIG,DATA,CACHE,
# STATE}_HOME, QT_QPA_PLATFORM=xcb, LIVE_UPDATES_TEST_SESSION=<mode> and
# LIVE_UPDATES_TEST_DUNSTRC (the dunst config in use).
set -euo pipefail

say() { printf '[session] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 3; }

# Waits up to $1 seconds (in 50 ms steps) for the command after it to succeed.
wait_for() {
    local limit=$(($1 * 20)) i=0
    shift
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -ge "$limit" ] && return 1
        sleep 0.05
    done
}

# Output is captured before it is matched: under pipefail, `cmd | grep -q` fails with 141 when
# grep exits before cmd has written everything.
has_owner() {
    local out
    out=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null) || return 1
    [[ $out == *"boolean true"* ]]
}

# The XEmbed tray is up once trayer has mapped its panel window.
xembed_tray_up() {
    local out
    out=$(xdotool search --classname '^trayer$' 2>/dev/null) || return 1
    [ -n "$out" ]
}

PIDS=()
stop_all() {
    local i pid
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        kill "$pid" 2>/dev/null || true
    done
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        wait "${PIDS[i]}" 2>/dev/null || true
    done
    PIDS=()
}

# ---- inner half: runs inside dbus-run-session ------------------------------------------------
inner() {
    local mode=$1
    shift
    trap stop_all EXIT
    trap 'exit 130' INT TERM

    local logs="$SESSION_DIR/logs"
    # Unlocked before anything touches keyring: a locked collection would wait for a prompt.
    printf 'session-test-password' |
        gnome-keyring-daemon --foreground --unlock --components=secrets \
            >"$logs/keyring.log" 2>&1 &
    PIDS+=($!)

    if [ "$mode" = sni ]; then
        status-notifier-watcher >"$logs/tray.log" 2>&1 &
        PIDS+=($!)
    elif [ "$mode" = xembed ]; then
        trayer --edge top --align right --widthtype request --height 32 \
            --SetDockType false >"$logs/tray.log" 2>&1 &
        PIDS+=($!)
    fi

    dunst -config "$LIVE_UPDATES_TEST_DUNSTRC" >"$logs/dunst.log" 2>&1 &
    PIDS+=($!)

    wait_for 20 has_owner org.freedesktop.secrets ||
        die "no Secret Service on the bus (see $logs/keyring.log)"
    wait_for 20 has_owner org.freedesktop.Notifications ||
        die "no notification daemon on the bus (see $logs/dunst.log)"
    if [ "$mode" = sni ]; then
        wait_for 20 has_owner org.kde.StatusNotifierWatcher ||
            die "no StatusNotifierWatcher on the bus (see $logs/tray.log)"
    elif [ "$mode" = xembed ]; then
        wait_for 20 xembed_tray_up || die "trayer did not map its window (see $logs/tray.log)"
    fi
    say "ready: DISPLAY=$DISPLAY, tray=$mode, keyring and dunst on $DBUS_SESSION_BUS_ADDRESS"

    local rc=0
    "$@" || rc=$?
    return "$rc"
}

# ---- outer half: Xvfb, XDG dirs, then the bus ------------------------------------------------
outer() {
    local mode=$1
    shift
    case "$mode" in
    xembed | sni | notray) ;;
    *) die "unknown tray mode '$mode' (xembed, sni or notray)" ;;
    esac

    SESSION_DIR=$(mktemp -d "${TMPDIR:-/tmp}/live-updates-session.XXXXXX")
    export SESSION_DIR
    trap 'stop_all; rm -rf "$SESSION_DIR"' EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$SESSION_DIR"/{runtime,config,data,cache,state,logs}
    chmod 0700 "$SESSION_DIR/runtime"

    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp \
        3>"$SESSION_DIR/display" >"$SESSION_DIR/logs/xvfb.log" 2>&1 &
    PIDS+=($!)
    wait_for 20 grep -q '[0-9]' "$SESSION_DIR/display" ||
        die "Xvfb did not start: $(cat "$SESSION_DIR/logs/xvfb.log")"
    DISPLAY=":$(tr -dc '0-9' <"$SESSION_DIR/display")"

    export DISPLAY
    export XDG_RUNTIME_DIR="$SESSION_DIR/runtime"
    export XDG_CONFIG_HOME="$SESSION_DIR/config"
    export XDG_DATA_HOME="$SESSION_DIR/data"
    export XDG_CACHE_HOME="$SESSION_DIR/cache"
    export XDG_STATE_HOME="$SESSION_DIR/state"
    export QT_QPA_PLATFORM=xcb
    export LIVE_UPDATES_TEST_SESSION="$mode"
    export LIVE_UPDATES_TEST_DUNSTRC="$SESSION_DIR/dunstrc"
    # Qt must not pick up a desktop's tray or theme settings from outside.
    unset DBUS_SESSION_BUS_ADDRESS XDG_CURRENT_DESKTOP WAYLAND_DISPLAY SESSION_MANAGER

    # Notifications stay until closed, so tests can read and click them.
    cat >"$LIVE_UPDATES_TEST_DUNSTRC" <<'EOF'
[global]
    monitor = 0
    follow = none
    width = 300
    height = 100
    origin = top-right
    # below trayer's 32-px panel, so notifications never cover the tray icon
    offset = 10x42
    notification_limit = 0
    idle_threshold = 0
    sticky_history = yes
    history_length = 100
    markup = full
    format = "%s\n%b"
    mouse_left_click = do_action, close_current

[urgency_low]
    timeout = 0

[urgency_normal]
    timeout = 0

[urgency_critical]
    timeout = 0
EOF

    local rc=0
    dbus-run-session -- bash "${BASH_SOURCE[0]}" --inner "$mode" -- "$@" || rc=$?
    return "$rc"
}

if [ "${1:-}" = --inner ]; then
    shift
    mode=$1
    shift
    [ "${1:-}" = -- ] && shift
    inner "$mode" "$@"
else
    [ $# -ge 1 ] || die "usage: bash tests/session.sh xembed|sni|notray -- COMMAND [ARGS...]"
    mode=$1
    shift
    [ "${1:-}" = -- ] && shift
    [ $# -ge 1 ] || die "no command given"
    outer "$mode" "$@"
fi
