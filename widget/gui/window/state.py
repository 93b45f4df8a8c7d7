"""What the key-points window remembers between runs (QSettings): size and position per screen,
always-on-top, when the user last looked (for the "new since you last looked" divider), and
which of each live page's "What to know" points are new (marked ★ until the list changes)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from widget.gui.window.parts import MARGIN, place_near

log = logging.getLogger(__name__)

DEFAULT_SIZE = (420, 560)
LAST_LOOKED_KEY = "window/last_looked"
ON_TOP_KEY = "window/always_on_top"
NEW_POINTS_KEY = "window/new_points"
MAX_MARKED_PAGES = 200  # pages whose new points are remembered (the latest changes)
MAX_MARKED_POINTS = 20  # points remembered per page


def geometry_key(screen_name: str, geometry: QRect) -> str:
    """One saved geometry per screen (name and resolution)."""
    return f"window/geometry/{screen_name}-{geometry.width()}x{geometry.height()}"


def fitted_size(size: tuple[int, int], area: QRect) -> tuple[int, int]:
    """``size`` shrunk to fit inside ``area`` with a margin (a small or high-DPI screen)."""
    return (
        max(1, min(size[0], area.width() - 2 * MARGIN)),
        max(1, min(size[1], area.height() - 2 * MARGIN)),
    )


def fit_on_screen(window: QWidget, area: QRect) -> None:
    """Shrink and move a restored window so that all of it is on ``area``."""
    w, h = fitted_size((window.width(), window.height()), area)
    if (w, h) != (window.width(), window.height()):
        window.resize(w, h)
    frame = window.frameGeometry()
    x = max(area.left(), min(frame.x(), area.right() - frame.width() + 1))
    y = max(area.top(), min(frame.y(), area.bottom() - frame.height() + 1))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


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

    def new_points(self) -> dict[str, frozenset[str]]:
        """Source id → the page's points marked new, as last saved ({} when unreadable)."""
        raw = self.settings.value(NEW_POINTS_KEY)
        if not raw:
            return {}
        try:
            found = json.loads(str(raw))
        except ValueError:
            log.warning("ignoring the saved new key points: not JSON")
            return {}
        if not isinstance(found, dict):
            return {}
        return {
            str(source): frozenset(str(p) for p in points[:MAX_MARKED_POINTS])
            for source, points in list(found.items())[-MAX_MARKED_PAGES:]
            if isinstance(points, list)
        }

    def save_new_points(self, marks: Mapping[str, frozenset[str]]) -> None:
        kept = list(marks.items())[-MAX_MARKED_PAGES:]
        data = {source: sorted(points)[:MAX_MARKED_POINTS] for source, points in kept if points}
        self.settings.setValue(NEW_POINTS_KEY, json.dumps(data, ensure_ascii=False))

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
        area = screen.availableGeometry()
        saved = self.settings.value(geometry_key(screen.name(), screen.geometry()))
        if saved is not None and window.restoreGeometry(saved):
            fit_on_screen(window, area)
            return
        window.resize(*fitted_size(DEFAULT_SIZE, area))
        window.move(place_near(anchor, window.frameGeometry().size(), area))

    def save_geometry(self, window: QWidget) -> None:
        screen = window.screen()
        if screen is not None:
            key = geometry_key(screen.name(), screen.geometry())
            self.settings.setValue(key, window.saveGeometry())
