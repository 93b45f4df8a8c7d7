"""Runs the tray app (``run_app``) in its own process: records whether the settings dialog's
modules were loaded at start-up, then picks "Settings…" in the tray menu and records what
opened. ``python -m tests.gui.settings_scenario OUT.json``"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tests.support.menus import find_action
from widget.gui.app import App, run_app

SETTINGS_MODULES = ("widget.gui.settings.dialog", "widget.gui.settings.host", "widget.storage.opml")
DEADLINE_MS = 30_000


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    seen: dict[str, Any] = {}

    def ready(app: App) -> None:
        seen["loaded_at_start"] = [m for m in SETTINGS_MODULES if m in sys.modules]
        QTimer.singleShot(DEADLINE_MS, lambda: app.qt.exit(3))
        QTimer.singleShot(0, lambda: open_settings(app))

    def open_settings(app: App) -> None:
        app.tray.rebuild_menu()  # what opening the menu does
        action = find_action(app.tray.menu, "Settings…")
        seen["menu_item_enabled"] = action is not None and action.isEnabled()
        if action is not None:
            action.trigger()
        seen["loaded_after_open"] = [m for m in SETTINGS_MODULES if m in sys.modules]
        seen["windows"] = [w.windowTitle() for w in QApplication.topLevelWidgets() if w.isVisible()]
        app.quit()

    seen["returned"] = run_app(on_ready=ready)
    out.write_text(json.dumps(seen), encoding="utf-8")
    return int(seen["returned"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
