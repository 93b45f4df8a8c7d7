"""What the store says about the configured sources, without the fetch stack: each source's
status, and when the earliest enabled source is due. The engine and the tray app share it (the
tray app runs polls in a child process but schedules them itself)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from widget.core.models import Config, FetchState, SourceStatus


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
    Retry-After is due when that ends."""
    earliest: datetime | None = None
    for status in statuses:
        if not status.enabled:
            continue
        due = status.state.next_due or now
        if status.state.retry_after_until is not None:
            due = max(due, status.state.retry_after_until)
        if earliest is None or due < earliest:
            earliest = due
    return earliest


__all__ = ["next_due", "source_statuses"]
