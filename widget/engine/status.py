"""What the store says about the configured sources, without the fetch stack: each source's
status, and when the earliest enabled source is due. The engine and the tray app share it (the
tray app runs polls in a child process but schedules them itself)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from widget.core import schedule
from widget.core.models import Config, FetchState, Settings, SourceStatus


class _ConfigSource(Protocol):
    def load(self) -> Config: ...


class _StateSource(Protocol):
    def all_states(self) -> dict[str, FetchState]: ...


def source_statuses(config: _ConfigSource, db: _StateSource) -> list[SourceStatus]:
    """Every configured source with its fetch state (a fresh state when never fetched)."""
    sources = config.load().sources
    states = db.all_states()
    return [SourceStatus(s, states.get(s.id) or FetchState(s.id)) for s in sources]


def next_due(statuses: Iterable[SourceStatus], now: datetime) -> datetime | None:
    """When the earliest enabled source is due (None: no enabled sources); a source under
    Retry-After is due when that ends. A clock that jumped backwards never stalls this."""
    earliest: datetime | None = None
    for status in statuses:
        if not status.enabled:
            continue
        due = schedule.due_at(status.state, now)
        if earliest is None or due < earliest:
            earliest = due
    return earliest


def interval_minutes(status: SourceStatus, settings: Settings, now: datetime) -> int:
    """The check interval in effect, in whole minutes (at least 1)."""
    interval = schedule.current_interval(status.source, status.state, settings, now)
    return max(1, round(interval.total_seconds() / 60))


def source_due(status: SourceStatus, now: datetime) -> datetime | None:
    """When this source is checked next (None: not at all — disabled)."""
    if not status.enabled:
        return None
    return schedule.due_at(status.state, now)


def schedule_reason(status: SourceStatus, settings: Settings, now: datetime) -> str:
    """Why it is checked then: "active live page", "quiet 2 h", "server asks 10 min", …"""
    return schedule.describe(status.source, status.state, settings, now)


__all__ = ["interval_minutes", "next_due", "schedule_reason", "source_due", "source_statuses"]
