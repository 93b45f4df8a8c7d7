"""What the key-points window remembers between runs (QSettings): size and position per screen,
always-on-top, and when the user last looked (for the "new since you last looked" divider)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from widget.gui.window_parts import place_near

log = logging.getLogger(__name__)

DEFAULT_SIZE = (420, 560)
LAST_LOOKED_KEY = "window/last_looked"
ON_TOP_KEY = "window/always_on_top"


def geometry_key(screen_name: str, geometry: QRect) -> str:
    """One saved geometry per screen (name and resolution)."""
    return f"window/geometry/{screen_name}-{geometry.width()}x{geometry.height()}"


class WindowMemory:
    def __init__(self, settings: QSettings, anchor: Callable[[], QRect] | None = None) -> None:
        self.settings = settings
        self.anchor = anchor  # the tray icon's rectangle, when the platform tells it

    def last_looked(self) -> datetime | None:
        raw = self.settings.value(LAST_LOOKED_KEY)
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(str(raw))
        except ValueError:
            log.warning("ignoring the saved last-looked time %r: not a time", raw)
            return None
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    def save_last_looked(self, when: datetime) -> None:
        self.settings.setValue(LAST_LOOKED_KEY, when.isoformat())

    def on_top(self) -> bool:
        return bool(self.settings.value(ON_TOP_KEY, False, type=bool))

    def save_on_top(self, on: bool) -> None:
        self.settings.setValue(ON_TOP_KEY, on)

    def place(self, window: QWidget) -> None:
        """The size and position saved for this screen, else the default size near the tray."""
        anchor = self.anchor() if self.anchor is not None else QRect()
        screen = QGuiApplication.screenAt(anchor.center()) if anchor.isValid() else None
        screen = screen or window.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        saved = self.settings.value(geometry_key(screen.name(), screen.geometry()))
        if saved is not None and window.restoreGeometry(saved):
            return
        window.resize(*DEFAULT_SIZE)
        window.move(place_near(anchor, window.frameGeometry().size(), screen.availableGeometry()))

    def save_geometry(self, window: QWidget) -> None:
        screen = window.screen()
        if screen is not None:
            key = geometry_key(screen.name(), screen.geometry())
            self.settings.setValue(key, window.saveGeometry())
