"""Notifications as tray balloons: ``QSystemTrayIcon.showMessage`` (Windows, macOS, or Linux without
a notification server). Only the last message is clickable: ``messageClicked`` carries no id, so a
click always means the most recent message. No buttons, no replacing, no close reports.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QSystemTrayIcon

from widget.core.policy import Notification
from widget.notify.base import Action, ActivatedCallback, Capabilities, ClosedCallback, NotifyError


class SystrayBackend:
    """Shows messages through a tray icon the GUI created (and shows): the icon itself, or a
    callable returning the current one (the GUI builds a new icon when a tray host appears
    later). Lives on the GUI thread; callbacks are called on the GUI thread."""

    name = "tray balloon"

    def __init__(
        self,
        tray: QSystemTrayIcon | Callable[[], QSystemTrayIcon],
        *,
        timeout_ms: int = 10_000,
    ) -> None:
        self._icon: Callable[[], QSystemTrayIcon] = (
            (lambda: tray) if isinstance(tray, QSystemTrayIcon) else tray
        )
        self._timeout_ms = timeout_ms
        self._last: Notification | None = None
        self._on_activated: ActivatedCallback | None = None
        self._connected: QSystemTrayIcon | None = None

    @property
    def _tray(self) -> QSystemTrayIcon:
        return self._icon()

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
        self._connect()

    def _connect(self) -> None:
        tray = self._tray
        if self._connected is not tray:
            self._disconnect()
            tray.messageClicked.connect(self._clicked)
            self._connected = tray

    def _disconnect(self) -> None:
        if self._connected is not None:
            self._connected.messageClicked.disconnect(self._clicked)
            self._connected = None

    def send(self, notification: Notification) -> None:
        if self._connected is None:
            raise NotifyError("the tray balloon backend is not started")
        self._connect()  # the icon may have been rebuilt since
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if notification.urgent
            else QSystemTrayIcon.MessageIcon.Information
        )
        self._last = notification
        self._tray.showMessage(notification.summary, notification.body, icon, self._timeout_ms)

    def close(self) -> None:
        self._disconnect()
        self._last = None

    def _clicked(self) -> None:
        if self._last is not None and self._on_activated is not None:
            self._on_activated(self._last, Action.DEFAULT)
