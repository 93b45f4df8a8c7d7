"""Notifications through org.freedesktop.Notifications on the session bus (Linux, BSD).

Sent with jeepney, because QtDBus cannot send the UINT32 arguments ``Notify`` takes. The server
sends ``ActionInvoked`` / ``NotificationClosed`` only to the connection that called ``Notify``,
so one connection does both: jeepney's router reads it on its own receiver thread, and a small
dispatcher thread of ours maps each signal back through the notification id to the
``Notification`` and calls the callbacks — from that dispatcher thread, never the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator
from dataclasses import replace
from typing import Any

from widget import APP_ID, APP_NAME
from widget.core.policy import EntryKey, Notification
from widget.notify.base import (
    Action,
    ActivatedCallback,
    Capabilities,
    ClosedCallback,
    CloseReason,
    NotifyError,
)

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CATEGORY = "x-live-updates.update"
URGENCY_NORMAL, URGENCY_CRITICAL = 1, 2
BUTTONS = ((Action.OPEN, "Open"), (Action.MARK_READ, "Mark read"))
ACTIVATION_ENV = "XDG_ACTIVATION_TOKEN"


@contextlib.contextmanager
def activation_environment(token: str | None) -> Iterator[None]:
    """``XDG_ACTIVATION_TOKEN`` set for a launch made inside (the browser a click opens gets
    the token the server handed over, so it may come to the front on Wayland); restored after."""
    if not token:
        yield
        return
    before = os.environ.get(ACTIVATION_ENV)
    os.environ[ACTIVATION_ENV] = token
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ACTIVATION_ENV, None)
        else:
            os.environ[ACTIVATION_ENV] = before


def escape_markup(text: str) -> str:
    """Plain text made safe for servers that read the body as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class FreedesktopBackend:
    """``org.freedesktop.Notifications`` via jeepney. Callbacks run on the backend's dispatcher
    thread; keep them short and hand work to the GUI thread (e.g. by emitting a Qt signal).
    ``app_icon`` is the icon's name; ``image_path`` an absolute PNG path sent as the
    ``image-path`` hint, for servers that do not search the folder the icon is installed in."""

    name = "freedesktop"

    def __init__(
        self,
        *,
        bus: str = "SESSION",
        app_name: str = APP_NAME,
        app_icon: str = "",
        image_path: str = "",
        timeout_ms: int = -1,
        call_timeout: float = 5.0,
        max_tracked: int = 256,
    ) -> None:
        self._bus = bus  # "SESSION" or a D-Bus address
        self._app_name = app_name
        self._app_icon = app_icon
        self._image_path = image_path  # an absolute PNG path, for servers that cannot find the icon
        self._timeout_ms = timeout_ms
        self._call_timeout = call_timeout
        self._max_tracked = max_tracked
        self._capabilities = Capabilities()
        self._server_caps: frozenset[str] = frozenset()
        self._lock = threading.Lock()  # guards the maps below and orders Notify vs. signals
        self._shown: OrderedDict[int, Notification] = OrderedDict()  # server id → notification
        self._ids: dict[str, int] = {}  # replaces_key → server id
        self._tokens: dict[int, str] = {}  # server id → its latest ActivationToken
        self._on_activated: ActivatedCallback | None = None
        self._on_closed: ClosedCallback | None = None
        self._conn: Any = None
        self._address: Any = None
        self._router: Any = None
        self._filter: Any = None
        self._signals: queue.Queue[Any] = queue.Queue(maxsize=1024)
        self._dispatcher: threading.Thread | None = None

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def start(
        self,
        on_activated: ActivatedCallback | None = None,
        on_closed: ClosedCallback | None = None,
    ) -> None:
        """Connect, ask the server what it can do, and listen for its signals. Raises NotifyError
        when there is no session bus or no notification server on it."""
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.bus_messages import message_bus
        from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection

        self._on_activated, self._on_closed = on_activated, on_closed
        try:
            self._conn = open_dbus_connection(bus=self._bus)
        except Exception as exc:
            raise NotifyError(f"no session bus to send notifications on ({exc})") from exc
        try:
            self._router = DBusRouter(self._conn)
            rule = MatchRule(type="signal", interface=INTERFACE, path=OBJECT_PATH)
            self._filter = self._router.filter(rule, queue=self._signals)
            Proxy(message_bus, self._router, timeout=self._call_timeout).AddMatch(rule)
            address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
            caps = self._call(new_method_call(address, "GetCapabilities"))[0]
            info = self._call(new_method_call(address, "GetServerInformation"))
        except Exception as exc:
            self.close()
            raise NotifyError(f"no notification server on the session bus ({exc})") from exc
        self._address = address
        self._server_caps = frozenset(caps)
        self._capabilities = Capabilities(
            actions="actions" in self._server_caps,
            body_markup="body-markup" in self._server_caps,
            replaces=True,
            server=f"{info[0]} {info[2]}",
        )
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="notify-freedesktop", daemon=True
        )
        self._dispatcher.start()

    def send(self, notification: Notification) -> None:
        """Show it (replacing the previous one with the same ``replaces_key``). Raises NotifyError
        when the server refuses or the connection is gone."""
        from jeepney import new_method_call

        if self._router is None:
            raise NotifyError("the freedesktop backend is not started")
        body = notification.body
        if self._capabilities.body_markup:
            body = escape_markup(body)
        actions = ["default", "Open"]
        if self._capabilities.actions:
            for action, label in BUTTONS:
                actions += [action.value, label]
        hints = {
            "desktop-entry": ("s", APP_ID),
            "urgency": ("y", URGENCY_CRITICAL if notification.urgent else URGENCY_NORMAL),
            "category": ("s", CATEGORY),
        }
        if self._image_path:
            hints["image-path"] = ("s", self._image_path)
        with self._lock:
            replaces = self._ids.get(notification.replaces_key or "", 0)
            args = (
                self._app_name,
                replaces,
                self._app_icon,
                notification.summary,
                body,
                actions,
                hints,
                self._timeout_ms,
            )
            msg = new_method_call(self._address, "Notify", "susssasa{sv}i", args)
            try:
                (server_id,) = self._call(msg)
            except Exception as exc:
                raise NotifyError(f"the notification server refused Notify ({exc})") from exc
            self._shown[server_id] = notification
            self._shown.move_to_end(server_id)
            while len(self._shown) > self._max_tracked:
                old_id, old = self._shown.popitem(last=False)
                self._forget_key(old, old_id)
            if notification.replaces_key:
                self._ids[notification.replaces_key] = server_id

    def close_entries(self, keys: Collection[EntryKey] | None) -> int:
        """``CloseNotification`` for every shown notification of these entries (None: all of
        ours): an entry read in the window or marked read leaves no stale notification. The
        server answers with ``NotificationClosed`` (reason 3), reported as usual."""
        from jeepney import new_method_call

        if self._router is None:
            return 0
        wanted = None if keys is None else set(keys)
        with self._lock:
            ids = [
                server_id
                for server_id, n in self._shown.items()
                if wanted is None or n.key in wanted or not wanted.isdisjoint(n.entries)
            ]
        for server_id in ids:
            msg = new_method_call(self._address, "CloseNotification", "u", (server_id,))
            try:
                self._call(msg)
            except Exception as exc:
                raise NotifyError(
                    f"the notification server refused CloseNotification ({exc})"
                ) from exc
        return len(ids)

    def close(self) -> None:
        """Stop listening and close the connection. Safe to call more than once."""
        if self._filter is not None:
            self._filter.close()
            self._filter = None
        if self._router is not None:
            self._router.close()
            self._router = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._dispatcher is not None:
            self._signals.put(None)
            self._dispatcher.join(timeout=5)
            self._dispatcher = None

    # --- internals ---------------------------------------------------------------------------

    def _call(self, msg: Any) -> tuple[Any, ...]:
        from jeepney.wrappers import unwrap_msg

        reply = self._router.send_and_get_reply(msg, timeout=self._call_timeout)
        return tuple(unwrap_msg(reply))

    def _forget_key(self, notification: Notification, server_id: int) -> None:
        key = notification.replaces_key
        if key and self._ids.get(key) == server_id:
            del self._ids[key]

    def _dispatch(self) -> None:
        """Dispatcher thread: turn server signals into callbacks until ``close``."""
        while (msg := self._signals.get()) is not None:
            try:
                self._handle(msg.header.fields, msg.body)
            except Exception:
                log.exception("a notification callback failed")

    def _handle(self, fields: Any, body: tuple[Any, ...]) -> None:
        from jeepney import HeaderFields

        member = fields.get(HeaderFields.member)
        if member == "ActivationToken":  # sent just before the ActionInvoked it belongs to
            server_id, token = body
            with self._lock:
                if server_id in self._shown and isinstance(token, str) and token:
                    self._tokens[server_id] = token
            return
        if member == "ActionInvoked":
            server_id, key = body
            with self._lock:
                notification = self._shown.get(server_id)
                token = self._tokens.pop(server_id, None)
            if notification is None:
                return  # not ours (another app's) or evicted long ago
            if token is not None:
                notification = replace(notification, activation_token=token)
            try:
                action = Action(key)
            except ValueError:
                log.warning("the notification server reported an unknown action %r", key)
                return
            if self._on_activated is not None:
                self._on_activated(notification, action)
        elif member == "NotificationClosed":
            server_id, reason = body
            with self._lock:
                notification = self._shown.pop(server_id, None)
                self._tokens.pop(server_id, None)
                if notification is not None:
                    self._forget_key(notification, server_id)
            if notification is None:
                return
            try:
                why = CloseReason(reason)
            except ValueError:
                why = CloseReason.UNDEFINED
            if self._on_closed is not None:
                self._on_closed(notification, why)
