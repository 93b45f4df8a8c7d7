"""The tray app idles for days with every module it imported resident, so the modules it imports
at start-up (and when its settings open) leave out what only a poll, the command line or another
platform needs: libcrypto (hashlib, ssl), the HTTP and feed stack, the email package, uuid,
getpass, platform, subprocess, plistlib. Those are imported inside the functions that use them.

Each check runs in a fresh interpreter (this test process has imported everything already) and
names the first module whose import pulled in a heavy one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

# Loaded by what the tray app does not do while it idles (or not on Linux).
HEAVY = (
    "hashlib",
    "_hashlib",
    "ssl",
    "http.client",
    "urllib.request",
    "httpx",
    "feedparser",
    "email",
    "email.utils",
    "html.entities",
    "uuid",
    "getpass",
    "platform",
    "subprocess",
    "plistlib",
    "xml.sax",
    "jeepney",
    "keyring",
    "PySide6.QtNetwork",  # off Linux only (network reachability, the Windows instance pipe)
)

# Imported by the tray app at start-up or when its settings dialog opens.
TRAY_APP_MODULES = (
    "widget",
    "widget.paths",
    "widget.desktop.appid",
    "widget.core.errors",
    "widget.core.models",
    "widget.core.text",
    "widget.core.keypoints",
    "widget.core.policy",
    "widget.core.schedule",
    "widget.storage.config_schema",
    "widget.storage.config",
    "widget.storage.schema",
    "widget.storage.entries",
    "widget.storage.state",
    "widget.storage.search",
    "widget.storage.secrets",
    "widget.notify.base",
    "widget.notify.freedesktop",
    "widget.notify.systray",
    "widget.gui.memory",
    "widget.gui.icons",
    "widget.gui.tray",
    "widget.gui.single_instance",
    "widget.gui.dispatch",
    "widget.gui.ledger",
    "widget.gui.store_worker",
    "widget.gui.settings.link",
    "widget.storage.opml",
    "widget.desktop.autostart",
)

_PROBE = """
import importlib, json, sys
heavy, modules = json.loads(sys.argv[1])
pulled = {}
for name in modules:
    before = set(sys.modules)
    importlib.import_module(name)
    new = sorted(m for m in heavy if m in sys.modules and m not in before)
    if new:
        pulled[name] = new
print(json.dumps(pulled))
"""


def heavy_imports(modules: tuple[str, ...], heavy: tuple[str, ...] = HEAVY) -> dict[str, list[str]]:
    """Importing ``modules`` in order in a fresh interpreter: module → the ``heavy`` modules its
    import loaded first."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([heavy, modules])],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, list[str]] = json.loads(out.stdout)
    return result


def test_tray_app_modules_import_nothing_heavy() -> None:
    assert heavy_imports(TRAY_APP_MODULES) == {}


def test_the_tray_app_imports_nothing_heavy_but_what_starts_its_poll_process() -> None:
    # subprocess launches the short-lived poll process (widget.gui.poll_process) on every poll.
    heavy = tuple(m for m in HEAVY if m != "subprocess")
    assert heavy_imports(("widget.gui.app",), heavy) == {}


def test_the_checker_names_the_module_that_pulls_a_heavy_one() -> None:
    # The fetch stack does load them (it moves to the poll process): proof that the check sees.
    pulled = heavy_imports(("widget.core.models", "widget.sources.http"))
    assert "widget.core.models" not in pulled
    assert {"ssl", "hashlib", "httpx"} <= set(pulled["widget.sources.http"])


def test_the_lazily_imported_helpers_still_work() -> None:
    # In a fresh interpreter, where each helper makes its own first import.
    code = (
        "from widget.core.text import stable_hash\n"
        "from widget.sources.html import html_to_text\n"
        "from widget.core.schedule import parse_http_date\n"
        "from widget.storage.config import new_source_id\n"
        "print(html_to_text('Q&amp;A &lt;b&gt;live&lt;/b&gt;'), stable_hash('x', None),"
        " parse_http_date('Sun, 06 Nov 1994 08:49:37 GMT').isoformat(), new_source_id(),"
        " sep='|')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    text, digest, date, source_id = out.stdout.strip().split("|")
    assert text == "Q&A live"
    assert digest == "sha256:" + hashlib.sha256(b"x\x1f").hexdigest()[:32]
    assert date == "1994-11-06T08:49:37+00:00"
    assert len(source_id) == 12 and int(source_id, 16) >= 0


def test_opening_the_settings_loads_no_fetch_stack() -> None:
    # Trying a URL in the source editor loads it (in-process, while the dialog is open); merely
    # opening the settings must not, or the tray app keeps ~13 MB of it for the rest of its run.
    heavy = tuple(m for m in HEAVY if m != "subprocess")
    modules = ("widget.gui.app", "widget.gui.settings.dialog", "widget.gui.settings.host")
    assert heavy_imports(modules, heavy) == {}


def test_the_tray_app_leaves_the_error_dialog_class_unloaded() -> None:
    # PySide6 builds a Qt class on first use; QMessageBox alone maps ~1.3 MB of Qt's code, and
    # the tray app needs it only to report a fatal error or a missing system tray.
    code = (
        "import PySide6.QtWidgets as widgets\n"
        "import widget.gui.app\n"
        "print('QMessageBox' in widgets.__dict__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
