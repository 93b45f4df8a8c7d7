"""What the tray app has handed over for notification, kept across runs: entries first seen up
to a mark have been handed over, and of them the ones the notification policy still holds back
(quiet hours, do not disturb, pause, the rate limit). A start after a crash or a quit hands over
what was stored after the mark or still held; entries another process stored (a
``live-updates check``) are found the same way, by their first-seen time.

Pure Python, no Qt: the poller reads the store here on its poll thread or the store worker.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from widget.core.models import Entry

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (source id, entry id)


class EntrySource(Protocol):
    def entries(
        self, *, limit: int | None = None, source_id: str | None = None, unread_only: bool = False
    ) -> list[Entry]: ...

    def first_seen_since(self, since: datetime) -> dict[str, list[datetime]]: ...


@dataclass(frozen=True)
class LedgerState:
    """Entries first seen up to ``until`` have been handed over for notification; of them,
    ``held`` (source id, entry id) are still held back by the notification policy."""

    until: datetime
    held: tuple[Key, ...] = ()


class NotifiedLedger:
    """``LedgerState`` kept in a small file, so that the next start hands over what was stored
    but never handed over (a crash), and what the policy held back (a quit, quiet hours)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LedgerState | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        held: tuple[Key, ...] = ()
        until_text = text
        if text.startswith("{"):
            try:
                data = json.loads(text)
                until_text = str(data["until"])
                held = tuple((str(s), str(e)) for s, e in data.get("held", ()))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s is unreadable (%s); starting a fresh ledger", self.path, exc)
                return None
        try:
            value = datetime.fromisoformat(until_text)
        except ValueError:
            log.warning(
                "%s holds no time (%r); starting a fresh notification ledger", self.path, text
            )
            return None
        until = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return LedgerState(until, held)

    def save(self, state: LedgerState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = {"until": state.until.isoformat(), "held": [list(k) for k in state.held]}
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(data))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def _notifies(entry: Entry) -> bool:
    return entry.notify and not entry.baseline and not entry.read


def _newest(times: dict[str, list[datetime]], after: datetime) -> tuple[int, datetime]:
    """How many first-seen times are later than ``after``, and the latest of them."""
    later = [t for stamps in times.values() for t in stamps if t > after]
    return len(later), max(later, default=after)


def stored_elsewhere(
    store: EntrySource, mark: datetime, own: Iterable[Key] = (), own_count: int = 0
) -> tuple[tuple[Entry, ...], datetime]:
    """Entries to notify that were first seen after ``mark`` and are not ``own`` (what this
    app's poll stored: ``own_count`` entries, baselines included), oldest first; and the new
    mark. Cheap when nothing else was stored: the first-seen times alone tell."""
    count, newest = _newest(store.first_seen_since(mark), mark)
    if count <= own_count:
        return (), newest
    mine = set(own)
    found = tuple(
        e
        for e in reversed(store.entries(unread_only=True))
        if _notifies(e) and e.first_seen > mark and (e.source_id, e.id) not in mine
    )
    return found, newest


def recover(store: EntrySource, state: LedgerState) -> tuple[tuple[Entry, ...], datetime]:
    """At start: entries stored after the ledger's mark but never handed over, and those the
    policy still held, oldest first; and the new mark."""
    held = set(state.held)
    count, newest = _newest(store.first_seen_since(state.until), state.until)
    if not count and not held:
        return (), newest
    found = tuple(
        e
        for e in reversed(store.entries(unread_only=True))
        if _notifies(e) and (e.first_seen > state.until or (e.source_id, e.id) in held)
    )
    return found, newest


__all__ = ["EntrySource", "Key", "LedgerState", "NotifiedLedger", "recover", "stored_elsewhere"]
