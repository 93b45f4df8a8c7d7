"""The tray icon: state icon with an unread badge, a tooltip, and a menu rebuilt on every open."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from widget import APP_NAME
from widget.gui.icons import TrayState, tray_icon

TOMORROW_HOUR = 8  # "until tomorrow" ends at this local hour


class DndChoice(str, enum.Enum):
    ONE_HOUR = "1h"
    TOMORROW = "tomorrow"
    OFF = "off"


def dnd_until(choice: DndChoice, now: datetime) -> datetime | None:
    """When do-not-disturb ends for ``choice`` (``now`` in local time; None: off)."""
    if choice is DndChoice.ONE_HOUR:
        return now + timedelta(hours=1)
    if choice is DndChoice.TOMORROW:
        day = (now + timedelta(days=1)).date()
        return datetime(day.year, day.month, day.day, TOMORROW_HOUR, tzinfo=now.tzinfo)
    return None


@dataclass(frozen=True)
class TrayStatus:
    """Everything the icon, tooltip and menu show."""

    unread: int = 0
    failing: tuple[str, ...] = ()  # names of failing sources
    last_update: datetime | None = None  # local time of the last successful check
    paused: bool = False
    dnd_until: datetime | None = None  # local time
    polling: bool = False
    progress: tuple[int, int] = (0, 0)
    problem: str = ""  # why the last check failed as a whole (a broken store), until one works
    next_check: datetime | None = None  # local time of the next planned check

    def dnd_active(self, now: datetime) -> bool:
        return self.dnd_until is not None and now < self.dnd_until

    def state(self, now: datetime) -> TrayState:
        if self.paused or self.dnd_active(now):
            return TrayState.PAUSED
        if self.failing or self.problem:
            return TrayState.ERROR
        if self.unread > 0:
            return TrayState.UNREAD
        return TrayState.IDLE

    def tooltip(self, now: datetime) -> str:
        lines = [APP_NAME]
        if self.polling:
            done, total = self.progress
            lines.append(f"Checking sources… {done}/{total}" if total else "Checking sources…")
        if self.last_update is None:
            lines.append("Not checked yet")
        else:
            lines.append(f"Last update: {_clock_text(self.last_update, now)}")
        if self.next_check is not None and not self.polling and not self.paused:
            lines.append(f"Next check: {_clock_text(max(self.next_check, now), now)}")
        lines.append(f"{self.unread} unread" if self.unread else "Nothing unread")
        if self.problem:
            lines.append(self.problem)
        if self.failing:
            shown = ", ".join(self.failing[:3])
            more = f" and {len(self.failing) - 3} more" if len(self.failing) > 3 else ""
            lines.append(f"Failing: {shown}{more}")
        if self.paused:
            lines.append("Updates paused")
        elif self.dnd_active(now) and self.dnd_until is not None:
            lines.append(f"Do not disturb until {_clock_text(self.dnd_until, now)}")
        return "\n".join(lines)


def _clock_text(t: datetime, now: datetime) -> str:
    return t.strftime("%H:%M") if t.date() == now.date() else t.strftime("%a %d %b %H:%M")


def _now() -> datetime:
    return datetime.now().astimezone()


class Tray(QObject):
    """The system-tray icon and its menu. Emits what the user asked for; holds no logic."""

    show_window_requested = Signal()
    toggle_window_requested = Signal()
    refresh_requested = Signal()
    pause_toggled = Signal(bool)
    dnd_requested = Signal(object)  # DndChoice
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None, *, dark_panel: bool | None = None) -> None:
        super().__init__(parent)
        self.settings_available = False  # True once the app wires a settings dialog
        self.status = TrayStatus()
        self._dark_panel = dark_panel
        self._icon_key: tuple[TrayState, int, bool | None] | None = None
        self.menu = QMenu()
        self.menu.setTitle(APP_NAME)
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon = self._new_icon()
        self.rebuild_menu()
        self.refresh()

    def _new_icon(self) -> QSystemTrayIcon:
        icon = QSystemTrayIcon(self)
        icon.setContextMenu(self.menu)
        icon.activated.connect(self._on_activated)
        return icon

    def renew(self) -> None:
        """A fresh icon for a tray host that appeared after this one was made: Qt picks the
        D-Bus (StatusNotifierItem) or XEmbed way when an icon is created, so an icon made
        while there was no tray never reaches one that comes later."""
        old = self.icon
        old.hide()
        old.setContextMenu(None)  # type: ignore[arg-type]
        self.icon = self._new_icon()
        self._icon_key = None
        self.refresh()
        old.deleteLater()

    # --- state in ---
    def update(self, **changes: object) -> None:
        """Change some ``TrayStatus`` fields and redraw what depends on them."""
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        self.refresh()

    def refresh(self) -> None:
        now = _now()
        state = self.status.state(now)
        key = (state, min(self.status.unread, 100), self._dark_panel)
        if key != self._icon_key:
            self.icon.setIcon(
                tray_icon(state, unread=self.status.unread, dark_panel=self._dark_panel)
            )
            self._icon_key = key
        self.icon.setToolTip(self.status.tooltip(now))

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    # --- menu ---
    def rebuild_menu(self) -> None:
        """Recreate every menu item from the current status (connected to ``aboutToShow``)."""
        menu = self.menu
        for action in menu.actions():
            menu.removeAction(action)
            if action.parent() is menu:
                action.deleteLater()
        for child in menu.findChildren(QMenu):
            child.deleteLater()
        st = self.status
        now = _now()
        self._add(menu, "Show key points", self.show_window_requested)
        refresh = self._add(menu, "Refresh now", self.refresh_requested)
        if st.polling:
            done, total = st.progress
            refresh.setText(f"Refreshing… {done}/{total}" if total else "Refreshing…")
            refresh.setEnabled(False)
        pause = QAction("Pause updates", menu)
        pause.setCheckable(True)
        pause.setChecked(st.paused)
        pause.toggled.connect(self.pause_toggled)
        menu.addAction(pause)
        self._build_dnd_menu(menu, st, now)
        menu.addSeparator()
        settings = self._add(menu, "Settings…", self.settings_requested)
        settings.setEnabled(self.settings_available)
        if not self.settings_available:
            settings.setToolTip("Settings come in a later version")
        menu.addSeparator()
        self._add(menu, "Quit", self.quit_requested)

    def _build_dnd_menu(self, menu: QMenu, st: TrayStatus, now: datetime) -> None:
        sub = QMenu("Do not disturb", menu)
        group = QActionGroup(sub)
        active = st.dnd_active(now)
        labels: Sequence[tuple[DndChoice, str]] = (
            (DndChoice.ONE_HOUR, "For 1 hour"),
            (DndChoice.TOMORROW, "Until tomorrow"),
            (DndChoice.OFF, "Off"),
        )
        for choice, label in labels:
            action = QAction(label, sub)
            action.setCheckable(True)
            action.setData(choice.value)
            group.addAction(action)
            action.triggered.connect(lambda _=False, c=choice: self.dnd_requested.emit(c))
            sub.addAction(action)
            if choice is DndChoice.OFF:
                action.setChecked(not active)
        if active and st.dnd_until is not None:
            sub.setTitle(f"Do not disturb (until {_clock_text(st.dnd_until, now)})")
        menu.addMenu(sub)

    def _add(self, menu: QMenu, text: str, signal: SignalInstance) -> QAction:
        action = QAction(text, menu)
        action.triggered.connect(signal)
        menu.addAction(action)
        return action

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window_requested.emit()

    def follow_palette(self) -> None:
        """Redraw when the desktop switches between light and dark (auto variant only)."""
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(lambda _scheme: self._restyle())

    def _restyle(self) -> None:
        self._icon_key = None
        self.refresh()
