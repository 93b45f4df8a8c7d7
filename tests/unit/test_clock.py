"""One wording of a moment for the window and the command line (core/clock.relative_time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from widget.core.clock import relative_time, utcnow

NOW = datetime(2026, 3, 5, 12, 0).astimezone()


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=3, minutes=5), "3 h ago"),
        (timedelta(hours=23, minutes=59), "23 h ago"),
        (timedelta(minutes=-4), "in 4 min"),
        (timedelta(hours=-2, minutes=-10), "in 2 h"),
        (timedelta(days=-3), "in 3 days"),
    ],
)
def test_recent_and_coming_moments(ago: timedelta, expected: str) -> None:
    assert relative_time(NOW - ago, NOW) == expected


def test_older_moments_name_the_day() -> None:
    then = NOW - timedelta(days=1, hours=1)
    assert relative_time(then, NOW) == f"yesterday {then:%H:%M}"
    three = NOW - timedelta(days=3)
    assert relative_time(three, NOW) == three.strftime("%a %H:%M")
    month = NOW - timedelta(days=30)
    assert relative_time(month, NOW) == f"{month.day} {month:%b}"
    assert relative_time(datetime(2020, 1, 2, 12, 0, tzinfo=timezone.utc), NOW) == "2 Jan 2020"


def test_never_and_naive_times() -> None:
    assert relative_time(None, NOW) == "never"
    naive_utc = (NOW - timedelta(minutes=5)).astimezone(timezone.utc).replace(tzinfo=None)
    assert relative_time(naive_utc, NOW) == "5 min ago"


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().utcoffset() == timedelta(0)
