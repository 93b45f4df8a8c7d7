"""Fetch state in the entry database: one row per source (validators, schedule, errors,
redirects), read and written inside a transaction the caller holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from widget.core.models import FetchState
from widget.storage.schema import from_db_time, to_db_time

STATE_FIELDS = tuple(f.name for f in fields(FetchState))
_TIMES = frozenset(
    {"next_due", "last_checked", "last_success", "last_new_entry", "retry_after_until"}
)
_BOOLS = frozenset({"baseline_done"})
_SELECT = f"SELECT {', '.join(STATE_FIELDS)} FROM fetch_state"


def state_from_row(row: Sequence[Any]) -> FetchState:
    values: dict[str, Any] = {}
    for name, value in zip(STATE_FIELDS, row, strict=True):
        if name in _TIMES:
            value = from_db_time(value)
        elif name in _BOOLS:
            value = bool(value)
        values[name] = value
    return FetchState(**values)


def read_state(conn: sqlite3.Connection, source_id: str) -> FetchState:
    """The source's fetch state; a fresh one when nothing is stored for it yet."""
    row = conn.execute(f"{_SELECT} WHERE source_id = ?", (source_id,)).fetchone()
    return FetchState(source_id) if row is None else state_from_row(row)


def read_all_states(conn: sqlite3.Connection) -> dict[str, FetchState]:
    return {row[0]: state_from_row(row) for row in conn.execute(_SELECT).fetchall()}


def write_state(conn: sqlite3.Connection, state: FetchState) -> None:
    values = [
        to_db_time(getattr(state, name)) if name in _TIMES else getattr(state, name)
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
