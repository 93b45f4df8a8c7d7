"""When a source is polled next: table-driven, clock passed in, nothing sleeps."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from widget.core.schedule import (
    backoff,
    next_check,
    parse_cache_control_max_age,
    parse_retry_after,
    retry_after_until,
)

NOW = datetime(2025, 6, 3, 12, 0, 0, tzinfo=timezone.utc)
HTTP_NOW = "Tue, 03 Jun 2025 12:00:00 GMT"


def minutes(dt: datetime) -> float:
    return (dt - NOW).total_seconds() / 60


# --- Retry-After ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("86400", 86400.0),
        ("Tue, 03 Jun 2025 13:00:00 GMT", 3600.0),  # IMF-fixdate
        ("Tuesday, 03-Jun-25 12:30:00 GMT", 1800.0),  # RFC 850
        ("Tue Jun  3 12:01:00 2025", 60.0),  # asctime
        ("Tue, 03 Jun 2025 11:00:00 GMT", 0.0),  # already past: no wait
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("seconds", "expected_minutes"),
    [
        (120, 2),
        (0, 1),  # never sooner than a minute
        (30, 1),
        (3600, 60),
        (7 * 24 * 3600, 24 * 60),  # capped at a day
        (float("inf"), 24 * 60),
        (float("nan"), 1),
    ],
)
def test_retry_after_until(seconds: float, expected_minutes: float) -> None:
    assert minutes(retry_after_until(NOW, seconds)) == expected_minutes


# --- Cache-Control ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=600", 600),
        ("public, max-age=3600", 3600),
        ("Max-Age=60, must-revalidate", 60),
        ('max-age="90"', 90),
        ("max-age=0", 0),
        ("max-age=600, max-age=5", 600),  # the first one counts
        ("no-cache, max-age=600", None),
        ("max-age=600, no-store", None),
        ("private", None),
        ("max-age=soon", None),
        ("max-age=-1", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_cache_control_max_age(value: str | None, expected: int | None) -> None:
    assert parse_cache_control_max_age(value) == expected


# --- next check after a success ---


@pytest.mark.parametrize(
    ("interval", "headers", "expected_minutes"),
    [
        (15, {}, 15),
        (5, {"cache-control": "max-age=60"}, 5),  # shorter than the interval: ignored
        (5, {"cache-control": "max-age=1800"}, 30),  # longer: honoured
        (5, {"cache-control": "max-age=86400"}, 240),  # capped at 4 hours
        (5, {"cache-control": "max-age=1800", "age": "600"}, 20),  # already 10 min old
        (5, {"cache-control": "no-cache, max-age=1800"}, 5),
        (5, {"cache-control": "no-store", "expires": "Tue, 03 Jun 2025 13:00:00 GMT"}, 5),
        (5, {"expires": "Tue, 03 Jun 2025 13:00:00 GMT"}, 60),
        (5, {"expires": "Tue, 03 Jun 2025 13:00:00 GMT", "date": HTTP_NOW}, 60),
        # Expires is measured from the server's own Date: a clock 30 min ahead does not matter.
        (
            5,
            {"expires": "Tue, 03 Jun 2025 13:30:00 GMT", "date": "Tue, 03 Jun 2025 12:30:00 GMT"},
            60,
        ),
        (5, {"expires": "0"}, 5),
        (5, {"expires": "Tue, 03 Jun 2025 11:00:00 GMT"}, 5),
        (5, {"cache-control": "max-age=1200", "expires": "Tue, 03 Jun 2025 15:00:00 GMT"}, 20),
        (0, {}, 1),  # floor of one minute
        (-3, {}, 1),
        (300, {"cache-control": "max-age=600"}, 300),  # a long interval stays as it is
    ],
)
def test_next_check_without_jitter(
    interval: int, headers: dict[str, str], expected_minutes: float
) -> None:
    assert minutes(next_check(NOW, interval, headers)) == expected_minutes


def test_keyword_headers_override_the_mapping() -> None:
    due = next_check(NOW, 5, {"cache-control": "max-age=60"}, cache_control="max-age=1200")
    assert minutes(due) == 20
    assert minutes(next_check(NOW, 5, expires="Tue, 03 Jun 2025 13:00:00 GMT", date=HTTP_NOW)) == 60


@pytest.mark.parametrize("seed", range(20))
def test_jitter_spreads_sources_within_ten_percent(seed: int) -> None:
    due = minutes(next_check(NOW, 10, {}, random.Random(seed)))
    assert 9 <= due <= 11


def test_jitter_actually_spreads_sources() -> None:
    rng = random.Random(7)
    times = {next_check(NOW, 15, None, rng) for _ in range(10)}
    assert len(times) == 10


@pytest.mark.parametrize("seed", range(20))
def test_jitter_never_polls_a_fresh_response_early_nor_past_the_cap(seed: int) -> None:
    rng = random.Random(seed)
    due = minutes(next_check(NOW, 5, {"cache-control": "max-age=1800"}, rng))
    assert 30 <= due <= 33
    capped = minutes(next_check(NOW, 5, {"cache-control": "max-age=99999"}, rng))
    assert capped == 240


def test_a_naive_now_is_taken_as_utc() -> None:
    assert next_check(NOW.replace(tzinfo=None), 15) == NOW + timedelta(minutes=15)


# --- backoff after errors ---


@pytest.mark.parametrize(
    ("interval", "errors", "expected_minutes"),
    [
        (15, 1, 15),
        (15, 2, 30),
        (15, 3, 60),
        (15, 4, 120),
        (15, 5, 240),
        (15, 6, 360),  # capped at 6 hours
        (15, 60, 360),
        (15, 10**6, 360),
        (15, 0, 15),  # treated as the first error
        (5, 1, 5),
        (0, 1, 1),  # floor
        (600, 3, 600),  # an interval above the cap is kept, not shortened
    ],
)
def test_backoff_without_jitter(interval: int, errors: int, expected_minutes: float) -> None:
    assert minutes(backoff(NOW, interval, errors)) == expected_minutes


@pytest.mark.parametrize("seed", range(20))
def test_backoff_jitter_stays_within_bounds(seed: int) -> None:
    rng = random.Random(seed)
    assert 54 <= minutes(backoff(NOW, 15, 3, rng)) <= 66
    assert 324 <= minutes(backoff(NOW, 15, 30, rng)) <= 360


def test_nothing_is_ever_scheduled_in_under_a_minute() -> None:
    rng = random.Random(1)
    for interval in (0, 1, 2):
        assert minutes(next_check(NOW, interval, None, rng)) >= 1
        assert minutes(backoff(NOW, interval, 1, rng)) >= 1
    assert minutes(retry_after_until(NOW, 0)) >= 1
