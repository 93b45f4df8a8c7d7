"""Rows of the entry database ↔ the core models: times, fingerprints, entries, fetch state."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any

from widget.core.models import Entry, FetchState, Item, Source
from widget.core.text import stable_hash

STATE_FIELDS = tuple(f.name for f in fields(FetchState))
STATE_TIMES = frozenset(
    {"next_due", "last_checked", "last_success", "last_new_entry", "retry_after_until"}
)
STATE_BOOLS = frozenset({"baseline_done"})

ENTRY_COLUMNS = (
    "e.source_id, s.name, s.url, e.entry_id, e.title, e.url, e.published, e.updated, e.summary,"
    " e.key_points, e.first_seen, e.notify, e.read, e.is_page, e.baseline"
)
E_SORT_TIME = "COALESCE(e.published, e.updated, e.first_seen)"


def to_db_time(value: datetime | None) -> str | None:
    """Fixed-width ISO 8601 in UTC; a naive datetime is taken to be UTC already."""
    return None if value is None else utc_text(value)


def utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def fingerprint(item: Item) -> str:
    """What an entry's content looks like; a change means the entry was edited."""
    return item_fingerprint(item, to_db_time(item.published), to_db_time(item.updated))


def item_fingerprint(item: Item, published: str | None, updated: str | None) -> str:
    key_points = "\n".join(item.key_points)
    return stable_hash(item.title, item.url, item.summary, key_points, published, updated)


def content_columns(item: Item, published: str | None, updated: str | None) -> tuple[Any, ...]:
    """The stored columns of an item's content, in _INSERT_ENTRY / _UPDATE_ENTRY order."""
    points = json.dumps(list(item.key_points), ensure_ascii=False)
    return (item.title, item.url, published, updated, item.summary, points, item.is_page)


def new_entry(
    source: Source,
    item: Item,
    content: tuple[Any, ...],
    first_seen: datetime,
    *,
    notify: bool,
    baseline: bool,
) -> Entry:
    return Entry(
        source_id=source.id,
        source_name=source.name,
        source_url=source.url,
        id=item.id,
        title=item.title,
        url=item.url,
        published=from_db_time(content[2]),
        updated=from_db_time(content[3]),
        summary=item.summary,
        key_points=tuple(item.key_points),
        first_seen=first_seen,
        notify=notify,
        read=baseline,
        is_page=item.is_page,
        baseline=baseline,
    )


def entry_from_row(row: Sequence[Any]) -> Entry:
    (source_id, name, url, entry_id, title, link, published, updated, summary, points) = row[:10]
    first_seen = from_db_time(row[10])
    assert first_seen is not None
    return Entry(
        source_id=source_id,
        source_name=name,
        source_url=url,
        id=entry_id,
        title=title,
        url=link,
        published=from_db_time(published),
        updated=from_db_time(updated),
        summary=summary,
        key_points=tuple(str(p) for p in json.loads(points)),
        first_seen=first_seen,
        notify=bool(row[11]),
        read=bool(row[12]),
        is_page=bool(row[13]),
        baseline=bool(row[14]),
    )


def state_from_row(row: Sequence[Any]) -> FetchState:
    values: dict[str, Any] = {}
    for name, value in zip(STATE_FIELDS, row, strict=True):
        if name in STATE_TIMES:
            value = from_db_time(value)
        elif name in STATE_BOOLS:
            value = bool(value)
        values[name] = value
    return FetchState(**values)


def write_state(conn: sqlite3.Connection, state: FetchState) -> None:
    values = [
        to_db_time(getattr(state, name)) if name in STATE_TIMES else getattr(state, name)
        for name in STATE_FIELDS
    ]
    columns = ", ".join(STATE_FIELDS)
    marks = ", ".join("?" for _ in STATE_FIELDS)
    assignments = ", ".join(f"{name} = excluded.{name}" for name in STATE_FIELDS[1:])
    conn.execute(
        f"INSERT INTO fetch_state ({columns}) VALUES ({marks})"
        f" ON CONFLICT (source_id) DO UPDATE SET {assignments}",
        values,
    )
