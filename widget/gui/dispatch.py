"""Carries out the notification policy on the GUI thread: asks ``core.policy.decide`` what to show,
hands it to the ``Notifier``, keeps what the policy holds back and asks again when it says."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from widget.core.models import Entry, KeyPointsChange, Settings
from widget.core.policy import (
    Decision,
    decide,
    group_by_source,
    hold_until,
    plan_key_points,
)
from widget.notify.base import Notifier

log = logging.getLogger(__name__)

MAX_WAIT_MS = 3_600_000


def _local_now() -> datetime:
    return datetime.now().astimezone()


class Dispatcher(QObject):
    """Policy state between polls: held entries, the rate limit, pause and do-not-disturb."""

    sent = Signal(object)  # Notification
    # tuple[Entry, ...]: what waits (rate limit, pause, do not disturb, quiet hours); the poller
    # keeps it across a restart
    held_changed = Signal(object)

    def __init__(
        self,
        notifier: Notifier,
        settings: Settings,
        parent: QObject | None = None,
        *,
        clock: Callable[[], datetime] = _local_now,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.settings = settings
        self.clock = clock
        self.paused = False
        self.dnd_until: datetime | None = None
        self.live_sources: Collection[str] = ()
        self.source_notify: Mapping[str, bool] = {}
        self._held: tuple[Entry, ...] = ()
        self._held_away = False
        self._last_sent: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.offer(()))

    def offer(self, entries: Sequence[Entry], *, away: bool = False) -> Decision:
        """New entries from a poll (``away``: they piled up while asleep or offline)."""
        decision = decide(
            group_by_source(entries),
            settings=self.settings,
            now=self.clock(),
            dnd_until=self.dnd_until,
            paused=self.paused,
            source_notify=self.source_notify,
            last_sent_at=self._last_sent,
            held=self._held,
            held_away=self._held_away,
            away=away,
            live_sources=self.live_sources,
        )
        self._apply(decision)
        return decision

    def offer_key_points(self, changes: Sequence[KeyPointsChange]) -> int:
        """A page's "What to know" list changed: one notification per page, replacing the
        previous one of that page. Not while notifications are off, held (pause, do not
        disturb, quiet hours: the window shows the list) or the source is muted. Returns how
        many were shown."""
        if not changes or not self.settings.notifications_enabled:
            return 0
        held, _until, why = hold_until(
            self.settings, self.clock(), dnd_until=self.dnd_until, paused=self.paused
        )
        if held:
            log.info('notifications: "What to know" changes not shown (%s)', why)
            return 0
        shown = 0
        latest = {c.source_id: c for c in changes if self.source_notify.get(c.source_id, True)}
        for change in latest.values():
            notification = plan_key_points(change)
            if self.notifier.notify(notification):
                self.sent.emit(notification)
                shown += 1
        return shown

    def entries_read(self, keys: Collection[tuple[str, str]] | None) -> None:
        """Entries were read (in the window, from a button or a menu; None: all of them): their
        notifications still on screen are closed."""
        if keys is not None and not keys:
            return
        closed = self.notifier.close_entries(keys)
        if closed:
            log.info("closed %d notification(s) of entries read", closed)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.offer(())

    def set_dnd(self, until: datetime | None) -> None:
        self.dnd_until = until
        self.offer(())

    def _apply(self, decision: Decision) -> None:
        self._last_sent = decision.last_sent_at
        self._held, self._held_away = decision.held, decision.held_away
        self.held_changed.emit(self._held)
        if decision.reason:
            log.info("notifications: %s (%d waiting)", decision.reason, len(self._held))
        for plan in decision.send:
            notification = plan
            if self.notifier.notify(notification):
                self.sent.emit(notification)
        self._timer.stop()
        if decision.next_allowed_at is not None and self._held:
            wait = (decision.next_allowed_at - self.clock()).total_seconds()
            self._timer.start(min(MAX_WAIT_MS, max(0, int(wait * 1000) + 50)))
