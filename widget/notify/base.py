"""One small interface for notification backends, and the presenter that drives them.

A ``Notification`` is an immutable value; a ``Backend`` shows it; the ``Notifier`` starts backends
lazily in order, falls back to the next for a notification one cannot show (and tries the first
again for the next one), never raises to its caller and reports clicks through callbacks. No Qt
here.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from widget.core.errors import LiveUpdatesError
from widget.core.policy import EntryKey, Notification

log = logging.getLogger(__name__)


class NotifyError(LiveUpdatesError):
    """A notification backend cannot start or could not show a notification."""


class Action(str, enum.Enum):
    """What the user did with a notification. The value is the freedesktop action key."""

    DEFAULT = "default"  # clicked the notification itself
    OPEN = "open"  # the "Open" button
    MARK_READ = "mark-read"  # the "Mark read" button


class CloseReason(enum.IntEnum):
    """Why a notification went away (the freedesktop NotificationClosed reasons)."""

    EXPIRED = 1
    DISMISSED = 2  # by the user
    CLOSED = 3  # by a CloseNotification call
    UNDEFINED = 4


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, for the settings dialog and the GUI."""

    actions: bool = False  # "Open" / "Mark read" buttons
    body_markup: bool = False
    replaces: bool = False  # a newer notification can replace an older one
    server: str = ""  # e.g. "dunst 1.9.0"


ActivatedCallback = Callable[[Notification, Action], None]
ClosedCallback = Callable[[Notification, CloseReason], None]


@runtime_checkable
class Backend(Protocol):
    """A way to show notifications. ``start`` raises NotifyError (or any error) when the backend
    cannot work here; ``send`` raises when a notification could not be shown. Callbacks may be
    called from another thread (each backend documents which)."""

    name: str

    @property
    def capabilities(self) -> Capabilities: ...

    def start(
        self,
        on_activated: ActivatedCallback | None = None,
        on_closed: ClosedCallback | None = None,
    ) -> None: ...

    def send(self, notification: Notification) -> None: ...

    def close(self) -> None: ...


class Notifier:
    """Shows notifications through the first backend that works, asked afresh for each one.

    Backends start lazily on the first ``notify``. Each notification tries the backends in order:
    one that fails to start or to send is closed, the same notification goes to the next one, and
    the next notification tries the first again — so after a notification daemon restarts, or
    answers one call too slowly, notifications go back to it as soon as it answers. A failure is
    logged and passed to ``on_error`` with a readable sentence once per outage (and its end once
    it works again); ``notify`` itself never raises. ``on_activated`` / ``on_closed`` are called
    from whatever thread the backend reports on (the freedesktop backend: its receiver thread)
    — the GUI marshals them to its own thread.
    """

    def __init__(
        self,
        backends: Sequence[Backend],
        *,
        on_activated: ActivatedCallback | None = None,
        on_closed: ClosedCallback | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.backends = tuple(backends)
        self.on_activated = on_activated
        self.on_closed = on_closed
        self.on_error = on_error
        self.failures: list[str] = []  # every reported failure sentence, oldest first
        self._started = [False] * len(self.backends)
        self._problems: dict[int, str] = {}  # backend index → why it failed last (until it works)
        self._in_use: int | None = None  # the backend that showed the last notification
        self._exhausted_reported = False

    @property
    def active(self) -> Backend | None:
        """The backend that showed the last notification, else the first that starts now, or
        None when none does."""
        if self._in_use is not None and self._started[self._in_use]:
            return self.backends[self._in_use]
        for index, backend in enumerate(self.backends):
            if self._start(index):
                return backend
        return None

    @property
    def capabilities(self) -> Capabilities:
        backend = self.active
        return backend.capabilities if backend is not None else Capabilities()

    def describe(self) -> str:
        """One true sentence about how notifications are shown here (it starts a backend)."""
        backend = self.active
        if backend is not None:
            server = backend.capabilities.server
            if server:
                return f"Notifications are shown by the desktop's notification service ({server})."
            return f"Notifications are shown as {backend.name} messages."
        reasons = "; ".join(self._problems.values()) or "no notification backend is available"
        return f"No notification backend works here, so notifications are not shown ({reasons})."

    def notify(self, notification: Notification) -> bool:
        """Show it; True when some backend took it, False (logged, reported) when none could."""
        for index, backend in enumerate(self.backends):
            if not self._start(index):
                continue
            try:
                backend.send(notification)
            except Exception as exc:
                self._fail(index, f"failed to show a notification: {exc}")
                continue
            self._worked(index)
            return True
        if not self._exhausted_reported:
            self._exhausted_reported = True
            self._report("No notification backend works; notifications are not shown.")
        return False

    def close_entries(self, keys: Collection[EntryKey] | None) -> int:
        """Take the notifications of these entries (None: every one of ours) off the screen
        where a started backend can (freedesktop ``CloseNotification``); how many it closed.
        Never raises."""
        closed = 0
        for index, backend in enumerate(self.backends):
            closer = getattr(backend, "close_entries", None)
            if not self._started[index] or closer is None:
                continue
            try:
                closed += int(closer(keys))
            except Exception as exc:
                log.warning("%s could not close notifications: %s", backend.name, exc)
        return closed

    def close(self) -> None:
        """Close every started backend. Errors are logged, not raised."""
        for index, backend in enumerate(self.backends):
            if self._started[index]:
                self._close(backend)
                self._started[index] = False
        self._in_use = None

    def _start(self, index: int) -> bool:
        if self._started[index]:
            return True
        backend = self.backends[index]
        try:
            backend.start(self._activated, self._closed)
        except Exception as exc:
            self._fail(index, f"could not start: {exc}")
            return False
        self._started[index] = True
        return True

    def _worked(self, index: int) -> None:
        backend = self.backends[index]
        if index != self._in_use:
            log.info("notifications go through %s", backend.name)
            self._in_use = index
        self._exhausted_reported = False
        if self._problems.pop(index, None) is not None:
            log.info("the %s notification backend works again", backend.name)

    def _fail(self, index: int, what: str) -> None:
        backend = self.backends[index]
        if self._started[index]:
            self._close(backend)
            self._started[index] = False
        if self._in_use == index:
            self._in_use = None
        message = f"The {backend.name} notification backend {what}"
        first = index not in self._problems
        self._problems[index] = message
        if first:  # once per outage: the next notifications retry it quietly
            self.failures.append(message)
            self._report(message)
        else:
            log.debug("%s", message)

    def _close(self, backend: Backend) -> None:
        try:
            backend.close()
        except Exception as exc:
            log.warning("closing the %s notification backend failed: %s", backend.name, exc)

    def _report(self, message: str) -> None:
        log.warning("%s", message)
        if self.on_error is not None:
            self.on_error(message)

    def _activated(self, notification: Notification, action: Action) -> None:
        if self.on_activated is not None:
            self.on_activated(notification, action)

    def _closed(self, notification: Notification, reason: CloseReason) -> None:
        if self.on_closed is not None:
            self.on_closed(notification, reason)
