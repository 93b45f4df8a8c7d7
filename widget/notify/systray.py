"""Notifications as tray balloons: ``QSystemTrayIcon.showMessage`` (Windows, macOS, or Linux without
a notification server). Only the last message is clickable: ``messageClicked`` carries no id, so a
click always means the most recent message. No buttons, no replacing, no close reports.
"""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon

from widget.notify.base import (
    Action,
    ActivatedCallback,
    Capabilities,
    ClosedCallback,
    Notification,
    NotifyError,
)


class SystrayBackend:
    """Shows messages through a tray icon the GUI created (and shows). Lives on the GUI thread;
    callbacks are called on the GUI thread."""

    name = "tray balloon"

    def __init__(self, tray: QSystemTrayIcon, *, timeout_ms: int = 10_000) -> None:
        self._tray = tray
        self._timeout_ms = timeout_ms
        self._last: Notification | None = None
        self._on_activated: ActivatedCallback | None = None
        self._connected = False

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    @property
    def last(self) -> Notification | None:
        """The message a click refers to (the most recent one shown)."""
        return self._last

    def start(
        self,
        on_activated: ActivatedCallback | None = None,
        on_closed: ClosedCallback | None = None,
    ) -> None:
        """Raises NotifyError when there is no system tray or it cannot show messages."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            raise NotifyError("there is no system tray to show messages from")
        if not self._tray.supportsMessages():
            raise NotifyError("the system tray cannot show messages")
        self._on_activated = on_activated
        if not self._connected:
            self._tray.messageClicked.connect(self._clicked)
            self._connected = True

    def send(self, notification: Notification) -> None:
        if not self._connected:
            raise NotifyError("the tray balloon backend is not started")
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if notification.urgent
            else QSystemTrayIcon.MessageIcon.Information
        )
        self._last = notification
        self._tray.showMessage(notification.summary, notification.body, icon, self._timeout_ms)

    def close(self) -> None:
        if self._connected:
            self._tray.messageClicked.disconnect(self._clicked)
            self._connected = False
        self._last = None

    def _clicked(self) -> None:
        if self._last is not None and self._on_activated is not None:
            self._on_activated(self._last, Action.DEFAULT)
