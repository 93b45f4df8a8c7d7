"""When to poll a source next: pure decisions with the clock passed in.

Every function takes ``now`` (a timezone-aware datetime) and, where jitter applies, a
``random.Random``; none of them reads the clock or sleeps. ``rng=None`` means no jitter, which keeps
a decision exact (tests, ``sources add``).

Rules:
- a source is polled every ``interval_minutes`` (floor 1 minute), jittered ±10% so sources that
  share an interval do not fire together;
- a server's Cache-Control ``max-age`` (or ``Expires``) is honoured only when it asks for a longer
  wait than the interval, and never for more than 4 hours; ``no-cache`` / ``no-store`` ask for none;
- after ``n`` consecutive errors the wait is ``interval × 2^(n-1)``, capped at 6 hours (or the
  interval itself when that is longer), jittered;
- a server's Retry-After (on 429/503) is always honoured, capped at 24 hours.
Nothing is ever scheduled less than 1 minute ahead.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

MIN_DELAY = timedelta(minutes=1)
JITTER = 0.10  # ±10% of the interval
MAX_FRESHNESS = timedelta(hours=4)  # longest wait a Cache-Control / Expires header can ask for
MAX_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(hours=24)

_DELTA_SECONDS = re.compile(r"\d+")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110: IMF-fixdate, RFC 850 or asctime) as an aware UTC datetime."""
    if not value or not value.strip():
        return None
    # email.utils pulls in the email package, calendar, locale and socket (~1.5 MB resident):
    # imported when a response header is read, never by the tray app while it idles.
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _aware(parsed).astimezone(timezone.utc)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date (relative to
    ``now``; a date in the past gives 0). Anything else gives None."""
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(int(text))
    when = parse_http_date(text)
    if when is None:
        return None
    return max(0.0, (when - _aware(now)).total_seconds())


def _directives(value: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        name = name.strip().lower()
        if name and name not in found:  # the first of a repeated directive wins
            found[name] = arg.strip().strip('"') if sep else None
    return found


def parse_cache_control_max_age(value: str | None) -> int | None:
    """``max-age`` in seconds from a Cache-Control value; None when absent, invalid, or when the
    response says ``no-store`` / ``no-cache`` (it asks to be checked every time)."""
    if not value:
        return None
    directives = _directives(value)
    if "no-store" in directives or "no-cache" in directives:
        return None
    raw = directives.get("max-age")
    if raw is None or not _DELTA_SECONDS.fullmatch(raw):
        return None
    return int(raw)


def freshness_seconds(
    now: datetime,
    *,
    cache_control: str | None = None,
    expires: str | None = None,
    date: str | None = None,
    age: str | None = None,
) -> float | None:
    """How long the server says the response stays fresh, or None when it says nothing usable.

    ``max-age`` wins over ``Expires`` (which is measured from the response's ``Date`` when it has
    one, so a skewed server clock does not matter); an ``Age`` header is subtracted."""
    if cache_control:
        directives = _directives(cache_control)
        if "no-store" in directives or "no-cache" in directives:
            return None
        max_age = parse_cache_control_max_age(cache_control)
        if max_age is not None:
            already = int(age) if age and _DELTA_SECONDS.fullmatch(age.strip()) else 0
            return float(max(0, max_age - already))
    if expires is None:
        return None
    expires_at = parse_http_date(expires)
    if expires_at is None:  # "0", "-1" and other invalid dates mean "already expired"
        return 0.0
    reference = parse_http_date(date) or _aware(now)
    return max(0.0, (expires_at - reference).total_seconds())


def _jittered(delay: timedelta, rng: random.Random | None) -> timedelta:
    if rng is None:
        return delay
    return delay * rng.uniform(1.0 - JITTER, 1.0 + JITTER)


def next_check(
    now: datetime,
    interval_minutes: int,
    headers: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
    *,
    cache_control: str | None = None,
    expires: str | None = None,
    date: str | None = None,
) -> datetime:
    """When to poll again after a successful fetch.

    ``headers`` (lower-case names) supplies Cache-Control, Expires, Date and Age; the keyword
    arguments override the matching header."""
    found = headers or {}
    interval = max(MIN_DELAY, timedelta(minutes=interval_minutes))
    delay = _jittered(interval, rng)
    fresh = freshness_seconds(
        now,
        cache_control=cache_control if cache_control is not None else found.get("cache-control"),
        expires=expires if expires is not None else found.get("expires"),
        date=date if date is not None else found.get("date"),
        age=found.get("age"),
    )
    if fresh is not None and timedelta(seconds=fresh) > interval:
        # The server asks for a longer wait: honour it (capped), jittered only upwards so the
        # response is never fetched while it is still fresh.
        asked = min(timedelta(seconds=fresh), MAX_FRESHNESS)
        delay = asked if rng is None else asked * rng.uniform(1.0, 1.0 + JITTER)
        delay = min(delay, MAX_FRESHNESS)
    return _aware(now) + max(MIN_DELAY, delay)


def backoff(
    now: datetime,
    interval_minutes: int,
    error_count: int,
    rng: random.Random | None = None,
) -> datetime:
    """When to try again after ``error_count`` consecutive failures (1 = the first failure)."""
    interval = max(MIN_DELAY, timedelta(minutes=interval_minutes))
    cap = max(MAX_BACKOFF, interval)
    exponent = min(max(error_count, 1) - 1, 32)  # 2^32 intervals is far past any cap
    delay = min(interval * (2**exponent), cap)
    return _aware(now) + max(MIN_DELAY, min(_jittered(delay, rng), cap))


def retry_after_until(now: datetime, retry_after_seconds: float) -> datetime:
    """The earliest time a source may be polled after a server's Retry-After (always honoured,
    at least 1 minute, at most 24 hours)."""
    seconds = retry_after_seconds if retry_after_seconds == retry_after_seconds else 0.0  # NaN
    delay = timedelta(seconds=min(max(seconds, 0.0), MAX_RETRY_AFTER.total_seconds()))
    return _aware(now) + max(MIN_DELAY, delay)
