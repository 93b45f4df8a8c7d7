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

The adaptive ("auto") schedule, for sources without an interval set by hand:
- a live page that published an update in the last 30 minutes is *active*: checked every 60 s;
  quiet for 30 min → every 2 min, 1 h → 5 min, 2 h → 15 min, 6 h → 60 min; 24 h without an update
  → every 3 h until it wakes up (a new update makes it active again at once);
- a feed is checked at about half the median gap between its recent entries, bounded to
  5 min – 24 h;
- the server's caching headers still win when they ask for a longer wait, and errors back off from
  the kind's usual interval exactly as a fixed schedule does.
``due_at`` keeps a clock that jumped backwards from stalling the schedule; ``plan_starts`` spreads a
poll's requests (per host at least 2 s apart; a storm of due sources over the first minute).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from widget.core.models import FetchState, IntervalMode, Settings, Source, SourceKind

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


OFFLINE_RETRY = timedelta(minutes=1)


def offline_retry(
    now: datetime, interval_minutes: int, rng: random.Random | None = None
) -> datetime:
    """When to try again after a failure caused by the network being down: soon (1 minute, or
    the interval when shorter), with no backoff — the source did nothing wrong."""
    delay = min(OFFLINE_RETRY, max(MIN_DELAY, timedelta(minutes=interval_minutes)))
    if rng is not None:  # spread upwards only: never sooner than a minute
        delay *= rng.uniform(1.0, 1.0 + JITTER)
    return _aware(now) + delay


def retry_after_until(now: datetime, retry_after_seconds: float) -> datetime:
    """The earliest time a source may be polled after a server's Retry-After (always honoured,
    at least 1 minute, at most 24 hours)."""
    seconds = retry_after_seconds if retry_after_seconds == retry_after_seconds else 0.0  # NaN
    delay = timedelta(seconds=min(max(seconds, 0.0), MAX_RETRY_AFTER.total_seconds()))
    return _aware(now) + max(MIN_DELAY, delay)


# --- the adaptive schedule ---

ACTIVE_FOR = timedelta(minutes=30)  # a live page that updated this recently is active
# (quiet at least this long, check this often); below the first step the page is active.
LIVE_STEPS: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(hours=24), timedelta(hours=3)),
    (timedelta(hours=6), timedelta(minutes=60)),
    (timedelta(hours=2), timedelta(minutes=15)),
    (timedelta(hours=1), timedelta(minutes=5)),
    (ACTIVE_FOR, timedelta(minutes=2)),
)
ACTIVE_INTERVAL = timedelta(seconds=60)
FEED_MIN = timedelta(minutes=5)
FEED_MAX = timedelta(hours=24)
FEED_RECENT = 6  # entries whose gaps set a feed's pace (recent enough to follow a change)
HOST_GAP_S = 2.0  # no two requests to one host closer than this
PER_HOST = 2  # requests to one host at once
STORM_SOURCES = 8  # more sources due at once than this are spread …
STORM_SPREAD_S = 60.0  # … over this many seconds


@dataclass(frozen=True)
class Cadence:
    """How often a source is checked while nothing else (headers, errors) says otherwise."""

    interval: timedelta
    reason: str  # e.g. "active live page", "quiet 2 h", "every 15 min (set by hand)"


def duration_text(delay: timedelta) -> str:
    """A wait as people say it: "45 s", "10 min", "3 h", "2 days"."""
    seconds = max(0.0, delay.total_seconds())
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def live_cadence(now: datetime, last_update: datetime | None) -> Cadence:
    """A live page's pace from the time of its latest update (None: none seen yet)."""
    if last_update is None:
        return Cadence(timedelta(minutes=5), "no update seen yet")
    quiet = _aware(now) - _aware(last_update)
    for at_least, interval in LIVE_STEPS:
        if quiet >= at_least:
            if at_least >= timedelta(hours=24):
                return Cadence(interval, f"dormant: no update for {duration_text(quiet)}")
            return Cadence(interval, f"quiet {duration_text(quiet)}")
    return Cadence(ACTIVE_INTERVAL, "active live page")


def feed_cadence(entry_times: Sequence[datetime], now: datetime | None = None) -> Cadence:
    """A feed's pace: about half the median gap between its recent entries (the newest
    ``FEED_RECENT``), bounded to 5 min – 24 h; once ``now`` is given, a quiet stretch since the
    newest entry slows it too (to a quarter of that stretch), so a burst that ended does not
    keep a feed checked every 5 minutes. Fewer than two dated entries: 15 min."""
    times = sorted({_aware(t) for t in entry_times}, reverse=True)[:FEED_RECENT]
    if len(times) < 2:
        return Cadence(timedelta(minutes=15), "too few dated entries to follow")
    gaps = sorted((a - b).total_seconds() for a, b in itertools.pairwise(times))
    middle = len(gaps) // 2
    median_s = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
    median = timedelta(seconds=median_s)
    interval = median / 2
    reason = f"new entries about every {duration_text(median)}"
    quiet = _aware(now) - times[0] if now is not None else timedelta(0)
    if quiet / 4 > interval:
        interval = quiet / 4
        reason = f"quiet {duration_text(quiet)}"
    return Cadence(min(FEED_MAX, max(FEED_MIN, interval)), reason)


def cadence(
    source: Source,
    settings: Settings,
    now: datetime,
    last_update: datetime | None,
    entry_times: Sequence[datetime] = (),
) -> Cadence:
    """The pace for ``source``: its own interval when set by hand, the kind's default under the
    fixed schedule setting, else the adaptive pace."""
    if source.interval_minutes is not None:
        minutes = source.effective_interval_minutes()
        return Cadence(timedelta(minutes=minutes), f"every {minutes} min (set by hand)")
    if settings.schedule is IntervalMode.FIXED:
        minutes = source.effective_interval_minutes(settings.default_interval(source.kind))
        return Cadence(timedelta(minutes=minutes), f"every {minutes} min (fixed schedule)")
    if source.kind is SourceKind.LIVE_PAGE:
        return live_cadence(now, last_update)
    return feed_cadence(entry_times, now)


def backoff_minutes(source: Source, settings: Settings) -> int:
    """The interval errors back off from: the one a fixed schedule would use, so that backoff
    behaves as it always did."""
    return source.effective_interval_minutes(settings.default_interval(source.kind))


def next_auto_check(
    now: datetime,
    pace: Cadence,
    headers: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
) -> tuple[datetime, str]:
    """When to poll after a success, and why. The server's caching headers win when they ask
    for a longer wait than the pace (capped at 4 h); nothing is sooner than 60 s; jitter (up to
    +10 %) only lengthens the wait."""
    found = headers or {}
    interval = max(MIN_DELAY, pace.interval)
    # Jittered upwards only: the pace is the fastest a source is checked (a quiet page at
    # 15 min is never checked more than 4 times an hour).
    delay = interval if rng is None else interval * rng.uniform(1.0, 1.0 + JITTER)
    reason = pace.reason
    fresh = freshness_seconds(
        now,
        cache_control=found.get("cache-control"),
        expires=found.get("expires"),
        date=found.get("date"),
        age=found.get("age"),
    )
    if fresh is not None and timedelta(seconds=fresh) > interval:
        asked = min(timedelta(seconds=fresh), MAX_FRESHNESS)
        delay = min(asked if rng is None else asked * rng.uniform(1.0, 1.0 + JITTER), MAX_FRESHNESS)
        reason = f"server asks {duration_text(asked)}"
    return _aware(now) + max(MIN_DELAY, delay), reason


def describe(source: Source, state: FetchState, settings: Settings, now: datetime) -> str:
    """Why ``source`` is next checked when its state says, for the sources table and
    ``sources list`` (re-derived from the stored state, so nothing extra is stored)."""
    if not source.enabled:
        return "disabled"
    if state.disabled_reason is not None:
        return state.disabled_reason
    if state.retry_after_until is not None and state.retry_after_until > _aware(now):
        return "server asks to wait (Retry-After)"
    if state.error_count > 0:
        n = state.error_count
        return f"retrying after {n} error{'s' if n != 1 else ''} (backoff)"
    if state.next_due is None or state.last_checked is None:
        return "due now"
    checked = _aware(state.last_checked)
    pace = cadence(source, settings, checked, state.last_new_entry)
    gap = _aware(state.next_due) - checked
    if gap > pace.interval * (1 + JITTER) + timedelta(seconds=1):
        return f"server asks {duration_text(gap)}"
    if source.kind is not SourceKind.LIVE_PAGE and "every" not in pace.reason:
        return f"follows the feed: every {duration_text(gap)}"
    return pace.reason


def current_interval(
    source: Source, state: FetchState, settings: Settings, now: datetime
) -> timedelta:
    """The interval in effect for ``source`` (its pace at the last check), for display."""
    if source.interval_minutes is not None or settings.schedule is IntervalMode.FIXED:
        return cadence(source, settings, now, None).interval
    checked = _aware(state.last_checked) if state.last_checked is not None else None
    if source.kind is SourceKind.LIVE_PAGE:
        return live_cadence(checked or _aware(now), state.last_new_entry).interval
    if checked is not None and state.next_due is not None and state.error_count == 0:
        return min(FEED_MAX, max(FEED_MIN, _aware(state.next_due) - checked))
    return feed_cadence(()).interval


def due_at(state: FetchState, now: datetime) -> datetime:
    """When a source is due, robust to a clock that jumped backwards: a source last checked
    "in the future" (more than a minute ahead of the clock) is due now, so a clock set back
    never stalls the schedule; its state is rewritten by that check. A server's Retry-After
    still holds when it ends within a day of the clock's new reading."""
    current = _aware(now)
    due = _aware(state.next_due) if state.next_due is not None else current
    retry = _aware(state.retry_after_until) if state.retry_after_until is not None else None
    checked = _aware(state.last_checked) if state.last_checked is not None else None
    if checked is not None and checked > current + MIN_DELAY:
        due = current
        if retry is not None and retry - current > MAX_RETRY_AFTER:
            retry = None
    if retry is not None:
        due = max(due, retry)
    return due


def plan_starts(
    hosts: Sequence[str],
    rng: random.Random | None = None,
    *,
    storm: int = STORM_SOURCES,
    spread_s: float = STORM_SPREAD_S,
    host_gap_s: float = HOST_GAP_S,
) -> list[float]:
    """Start offsets in seconds, one per request in ``hosts`` order: requests to one host at
    least ``host_gap_s`` apart; more than ``storm`` requests are spread evenly (jittered) over
    ``spread_s`` instead of fired at once."""
    count = len(hosts)
    if count > storm:
        step = spread_s / count
        wanted = [
            i * step + (rng.uniform(0.0, step) if rng is not None else 0.0) for i in range(count)
        ]
    else:
        wanted = [0.0] * count
    last: dict[str, float] = {}
    starts: list[float] = []
    for host, at in zip(hosts, wanted, strict=True):
        key = host.lower()
        if key in last:
            at = max(at, last[key] + host_gap_s)
        last[key] = at
        starts.append(at)
    return starts
