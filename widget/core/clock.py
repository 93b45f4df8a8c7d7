"""Time as the product says it: ``utcnow`` (the one clock the engine and the tray app default to)
and ``relative_time``, the one wording of a moment for the window and the command line."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def relative_time(value: datetime | None, now: datetime) -> str:
    """A short, human time: "just now", "3 min ago", "2 h ago", "yesterday 14:05", "Mon 14:05",
    "5 Mar", "5 Mar 2025"; ahead of ``now``: "in 4 min", "in 2 h", "in 3 days"; "never" for
    None. Days and clock times are local; a naive ``value`` is taken as UTC."""
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    seconds = (now - value).total_seconds()
    if abs(seconds) < 60:
        return "just now"
    if seconds < 0:
        minutes = int(-seconds // 60)
        if minutes < 60:
            return f"in {minutes} min"
        if minutes < 24 * 60:
            return f"in {minutes // 60} h"
        return f"in {minutes // (24 * 60)} days"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    local_then, local_now = value.astimezone(), now.astimezone()
    days = (local_now.date() - local_then.date()).days
    if days <= 1:
        return f"yesterday {local_then:%H:%M}"
    if days < 7:
        return local_then.strftime("%a %H:%M")
    if local_then.year == local_now.year:
        return f"{local_then.day} {local_then:%b}"
    return f"{local_then.day} {local_then:%b %Y}"


__all__ = ["relative_time", "utcnow"]
