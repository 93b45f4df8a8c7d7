"""What the command line prints: JSON objects for scripts, aligned plain text for people."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from widget.core.clock import relative_time
from widget.core.models import Entry, Settings, SourceStatus
from widget.core.text import repeats
from widget.engine.status import interval_minutes, schedule_reason, source_due

BULLET = "  • "


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes: wide and full-width characters (CJK, most
    emoji) take two, combining marks, variation selectors and zero-width joiners none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or "\ufe00" <= char <= "\ufe0f":
            continue
        if unicodedata.category(char) in ("Cc", "Cf"):  # zero-width joiner, BOM, controls
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns."""
    return text + " " * max(0, width - display_width(text))


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with an offset (a naive time is taken as UTC), or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def entry_object(entry: Entry) -> dict[str, Any]:
    """The entry as the CLI contract shapes it (``check --json`` and ``entries --json``)."""
    return {
        "source": entry.source_name,
        "source_url": entry.source_url,
        "id": entry.id,
        "title": entry.title,
        "url": entry.url,
        "published": iso(entry.published),
        "updated": iso(entry.updated),
        "summary": entry.summary,
        "key_points": list(entry.key_points),
        "notify": entry.notify,
    }


def entry_json_line(entry: Entry) -> str:
    return json.dumps(entry_object(entry), ensure_ascii=False)


def source_object(status: SourceStatus, settings: Settings, now: datetime) -> dict[str, Any]:
    source, state = status.source, status.state
    due = source_due(status, now) if state.next_due is not None else None
    return {
        "id": source.id,
        "name": source.name,
        "url": source.url,
        "kind": source.kind.value,
        "interval_minutes": interval_minutes(status, settings, now),
        "interval_mode": source.interval_mode.value,
        "enabled": status.enabled,
        "notify": source.notify,
        "disabled_reason": state.disabled_reason,
        "last_error": state.last_error,
        "last_checked": iso(state.last_checked),
        "next_due": iso(due),
        "schedule_reason": schedule_reason(status, settings, now),
        "error_count": state.error_count,
    }


def entries_text(entries: Sequence[Entry], now: datetime) -> str:
    """One block per entry: aligned time, source and title, then key points as bullets."""
    if not entries:
        return ""
    times = [relative_time(e.sort_time, now) for e in entries]
    time_width = max(display_width(t) for t in times)
    source_width = max(display_width(e.source_name) for e in entries)
    indent = " " * (time_width + source_width + 4)
    lines: list[str] = []
    for entry, when in zip(entries, times, strict=True):
        title = entry.title or "(untitled)"
        lines.append(f"{pad(when, time_width)}  {pad(entry.source_name, source_width)}  {title}")
        points = [p for p in entry.key_points if p and not repeats(p, entry.title)]
        lines.extend(f"{indent[: -len(BULLET)]}{BULLET}{p}" for p in points)
        if entry.url:
            lines.append(f"{indent}{entry.url}")
    return "\n".join(lines)


def sources_text(statuses: Sequence[SourceStatus], settings: Settings, now: datetime) -> str:
    """An aligned table: name, kind, interval, state, last check, URL."""
    header = ("NAME", "KIND", "EVERY", "STATE", "CHECKED", "URL")
    rows: list[tuple[str, ...]] = [header]
    for status in statuses:
        source, state = status.source, status.state
        if state.disabled_reason:
            condition = _short(f"disabled: {state.disabled_reason}")
        elif not source.enabled:
            condition = "paused"
        elif state.retry_after_until is not None and state.retry_after_until > now:
            condition = f"deferred until {clock_time(state.retry_after_until, now)}"
        elif state.last_error:
            condition = _short(f"error: {state.last_error}")
        else:
            condition = "ok"
        rows.append(
            (
                source.name,
                source.kind.value,
                _every(status, settings, now),
                condition,
                relative_time(state.last_checked, now),
                source.url,
            )
        )
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(header) - 1)]
    out = []
    for row in rows:
        cells = [pad(cell, w) for cell, w in zip(row[:-1], widths, strict=True)]
        out.append("  ".join([*cells, row[-1]]))
    return "\n".join(out)


def _every(status: SourceStatus, settings: Settings, now: datetime) -> str:
    minutes = f"{interval_minutes(status, settings, now)} min"
    return f"auto ({minutes})" if status.source.interval_mode.value == "auto" else minutes


def clock_time(value: datetime, now: datetime) -> str:
    """A moment in UTC, with its date when it is not today's: "19:41 UTC", "28 Nov 19:41 UTC",
    "21 Oct 2037 07:28 UTC"."""
    value, now = value.astimezone(timezone.utc), now.astimezone(timezone.utc)
    if value.date() == now.date():
        return f"{value:%H:%M} UTC"
    if value.year == now.year:
        return f"{value.day} {value:%b %H:%M} UTC"
    return f"{value.day} {value:%b %Y %H:%M} UTC"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
