#!/usr/bin/env bash
# THE test command: installs what the suite needs on Debian/Ubuntu, then lints, type-checks and
# runs the whole suite inside a private headless desktop session (tests/session.sh).
#
#   bash tests/run.sh               # everything
#   bash tests/run.sh -k http -x    # extra arguments go to pytest
#
# Steps: apt packages (only when some are missing; sudo when not root) → .venv with
# `pip install -e '.[test]'` (only when pyproject.toml changed) → Qt xcb plugin check → ruff,
# ruff format --check, mypy → pytest in an XEmbed tray session → the tray tests
# (tests/**/test_*tray*.py and tests/e2e/test_session.py) again with a StatusNotifierWatcher.
# The exit status is pytest's (a run that collects no tests fails); lint or type errors make it 1
# when the tests passed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"

section() { printf '\n==== %s ====\n' "$*"; }
note() { printf '  %s\n' "$*"; }
fail() {
    printf 'tests/run.sh: %s\n' "$*" >&2
    exit 2
}

# ---- 1. system packages ------------------------------------------------------------------------
APT_PACKAGES=(
    # the session
    xvfb xauth x11-utils xdotool dbus dunst trayer gnome-keyring libsecret-tools
    # the libraries Qt's xcb platform plugin links against
    libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-xcb1
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon0
    libxkbcommon-x11-0 fonts-dejavu-core
    # screenshots, desktop-file and AppStream validation, the bundle's ICU data library (as, ld)
    imagemagick desktop-file-utils appstream binutils
)
SNI_PACKAGE=haskell-status-notifier-item-utils # provides status-notifier-watcher

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

section "System packages"
command -v dpkg-query >/dev/null || fail "this script needs Debian or Ubuntu (dpkg, apt-get)"
if ! command -v python3 >/dev/null; then
    APT_PACKAGES+=(python3)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    APT_PACKAGES+=(python3-venv)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
want_sni=0
installed "$SNI_PACKAGE" || want_sni=1

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "not root and no sudo: install ${missing[*]:-nothing} by hand"
    SUDO=(sudo)
fi
apt_get() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# The package lists are fetched once, only when something is missing (or no list exists yet).
# The output is captured before it is matched: `apt-cache policy … | grep -q` under pipefail
# returns 141 whenever grep exits before apt-cache has written everything.
sni_candidate() {
    local policy
    policy=$(apt-cache policy "$SNI_PACKAGE" 2>/dev/null) || return 1
    [[ $policy =~ Candidate:\ [0-9] ]]
}
no_lists() { ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }
if [ ${#missing[@]} -gt 0 ] || { [ "$want_sni" = 1 ] && no_lists; }; then
    note "apt-get update"
    apt_get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
    note "installing: ${missing[*]}"
    apt_get install -y -qq --no-install-recommends "${missing[@]}"
else
    note "all ${#APT_PACKAGES[@]} packages present"
fi
# A skipped StatusNotifierWatcher pass fails the run unless the package really has no candidate.
sni_unavailable=0
if [ "$want_sni" = 1 ]; then
    if sni_candidate; then
        note "installing: $SNI_PACKAGE"
        apt_get install -y -qq --no-install-recommends "$SNI_PACKAGE" ||
            note "could not install $SNI_PACKAGE although apt has a candidate: the run will fail"
    else
        sni_unavailable=1
        note "$SNI_PACKAGE has no candidate in the apt repositories; the StatusNotifierWatcher run will be skipped"
    fi
fi

# ---- 2. virtualenv -----------------------------------------------------------------------------
section "Python environment (.venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    fail "python3 ≥ 3.10 is needed, found $(python3 --version 2>&1)"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    note "creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
stamp="$VENV/.live-updates-installed"
want_stamp=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want_stamp" ]; then
    note "pip install -e '.[test]'"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[test]'
    printf '%s\n' "$want_stamp" >"$stamp"
else
    note "up to date with pyproject.toml"
fi
export PATH="$VENV/bin:$PATH"
# The tools installed above are there: tests that need one fail instead of skipping.
export LIVE_UPDATES_REQUIRE_TOOLS=1
"$VENV/bin/python" --version

# ---- 3. Qt's xcb platform plugin ---------------------------------------------------------------
section "Qt xcb plugin"
plugin=$("$VENV/bin/python" -c '
import pathlib, PySide6
print(pathlib.Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so")')
[ -f "$plugin" ] || fail "Qt xcb plugin not found at $plugin"
if unresolved=$(ldd "$plugin" | grep 'not found'); then
    printf '%s\n' "$unresolved" >&2
    fail "Qt's xcb plugin cannot load: the libraries above are missing"
fi
note "$plugin: all libraries resolve"

# ---- 4. lint and types -------------------------------------------------------------------------
lint_rc=0
section "ruff check"
ruff check widget tests bench || lint_rc=1
section "ruff format --check"
ruff format --check widget tests bench || lint_rc=1
section "mypy --strict (widget/)"
mypy || lint_rc=1

# ---- 5. the suite, inside a desktop session ----------------------------------------------------
# A hung test must not hold CI until its own limit: each pytest process gets a deadline (minutes),
# and faulthandler prints every thread's stack when one test runs longer than 5 minutes.
TIMEOUT_MIN=${LIVE_UPDATES_TEST_TIMEOUT:-45}
PYTEST=(python -m pytest -o faulthandler_timeout=300)
# Qt must really load its xcb plugin on the session's Xvfb before any test relies on it.
QT_PROBE='from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
assert app.platformName() == "xcb", app.platformName()
print(f"  Qt {app.platformName()} platform on {app.primaryScreen().size().toTuple()}")'
# `timeout` runs the session in its own process group, which a terminal's Ctrl-C does not reach:
# the session runs in the background and a signal to this script is passed on to it.
CHILD=""
on_signal() {
    if [ -n "$CHILD" ]; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    exit 130
}
trap on_signal INT TERM
in_session() {
    local mode=$1 rc=0
    shift
    timeout --kill-after=30 "${TIMEOUT_MIN}m" bash tests/session.sh "$mode" -- \
        bash -c 'python -c "$1" && shift && exec "$@"' probe "$QT_PROBE" "$@" &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}
explain() {
    case "$1" in
    5) note "pytest collected no tests: that is a failure" ;;
    124 | 137) note "pytest did not finish within ${TIMEOUT_MIN} minutes (LIVE_UPDATES_TEST_TIMEOUT)" ;;
    esac
}

section "pytest (Xvfb, session bus, keyring, dunst, trayer)"
test_rc=0
in_session xembed "${PYTEST[@]}" "$@" || test_rc=$?
explain "$test_rc"

section "pytest: tray tests with a StatusNotifierWatcher instead of trayer"
sni_rc=0
if command -v status-notifier-watcher >/dev/null; then
    mapfile -t tray_tests < <(find tests -name 'test_*tray*.py' | sort)
    in_session sni "${PYTEST[@]}" tests/e2e/test_session.py "${tray_tests[@]}" "$@" || sni_rc=$?
    if [ "$sni_rc" = 5 ] && [ $# -gt 0 ]; then
        note "your pytest arguments select no tray test: nothing to repeat"
        sni_rc=0
    fi
    explain "$sni_rc"
elif [ "$sni_unavailable" = 1 ]; then
    note "skipped: $SNI_PACKAGE has no candidate in this system's apt repositories"
else
    note "FAILED: status-notifier-watcher ($SNI_PACKAGE) is not installed although apt offers it"
    sni_rc=1
fi

# ---- result ------------------------------------------------------------------------------------
section "Result"
note "lint/types: $([ $lint_rc = 0 ] && echo ok || echo FAILED)"
note "pytest (XEmbed tray): exit $test_rc"
note "pytest (StatusNotifierWatcher tray): exit $sni_rc"
[ "$test_rc" = 0 ] || exit "$test_rc"
[ "$sni_rc" = 0 ] || exit "$sni_rc"
exit "$lint_rc"
