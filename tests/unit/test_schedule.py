"""When a source is polled next: table-driven, clock passed in, nothing sleeps."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from widget.core.models import FetchState, IntervalMode, Settings, Source, SourceKind
from widget.core.schedule import (
    backoff,
    backoff_minutes,
    cadence,
    describe,
    due_at,
    next_auto_check,
    next_check,
    offline_retry,
    parse_cache_control_max_age,
    parse_retry_after,
    plan_starts,
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


# --- the adaptive schedule ---

LIVE = Source("live", "Marathon live", "https://news.example/live", SourceKind.LIVE_PAGE)
FEED = Source("feed", "Gazette", "https://news.example/feed.xml", SourceKind.FEED)
AUTO = Settings()
FIXED = Settings(schedule=IntervalMode.FIXED)


def seconds(dt: datetime) -> float:
    return (dt - NOW).total_seconds()


@pytest.mark.parametrize(
    ("quiet", "expected_s", "reason"),
    [
        (timedelta(seconds=0), 60, "active live page"),
        (timedelta(minutes=29), 60, "active live page"),
        (timedelta(minutes=30), 120, "quiet 30 min"),
        (timedelta(minutes=59), 120, "quiet 59 min"),
        (timedelta(hours=1), 300, "quiet 60 min"),
        (timedelta(hours=2), 900, "quiet 2 h"),
        (timedelta(hours=6), 3600, "quiet 6 h"),
        (timedelta(hours=23), 3600, "quiet 23 h"),
        (timedelta(hours=24), 3 * 3600, "dormant: no update for 24 h"),
        (timedelta(days=9), 3 * 3600, "dormant: no update for 9 days"),
    ],
)
def test_a_live_page_slows_down_as_its_quiet_stretch_grows(
    quiet: timedelta, expected_s: float, reason: str
) -> None:
    pace = cadence(LIVE, AUTO, NOW, NOW - quiet)
    assert (pace.interval.total_seconds(), pace.reason) == (expected_s, reason)
    due, why = next_auto_check(NOW, pace)
    assert (seconds(due), why) == (expected_s, reason)


def test_active_quiet_dormant_then_active_again_at_once() -> None:
    """A page's day: busy, then quiet, then dormant; one new update makes it active again."""
    last_update = NOW
    checks: list[tuple[float, str]] = []
    for hours_later in (0.1, 0.75, 1.5, 3, 12, 30):
        now = NOW + timedelta(hours=hours_later)
        pace = cadence(LIVE, AUTO, now, last_update)
        checks.append((pace.interval.total_seconds() / 60, pace.reason.split(":")[0].split()[0]))
    assert checks == [
        (1, "active"),
        (2, "quiet"),
        (5, "quiet"),
        (15, "quiet"),
        (60, "quiet"),
        (180, "dormant"),
    ]
    woke = NOW + timedelta(hours=30)  # a new update arrives
    assert cadence(LIVE, AUTO, woke, woke).interval == timedelta(seconds=60)


def test_a_page_with_no_update_seen_yet_keeps_the_old_default() -> None:
    assert cadence(LIVE, AUTO, NOW, None).interval == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (timedelta(minutes=2), timedelta(minutes=5)),  # never faster than 5 min
        (timedelta(minutes=40), timedelta(minutes=20)),  # half the median gap
        (timedelta(hours=6), timedelta(hours=3)),
        (timedelta(days=5), timedelta(hours=24)),  # never slower than a day
    ],
)
def test_a_feed_follows_half_the_median_gap_between_entries(
    gap: timedelta, expected: timedelta
) -> None:
    times = [NOW - gap * i for i in range(8)]
    pace = cadence(FEED, AUTO, NOW, None, times)
    assert pace.interval == expected
    assert pace.reason.startswith("new entries about every")


def test_the_median_ignores_one_burst() -> None:
    # Hourly entries with one burst of three in a minute: the pace stays about hourly.
    times = [NOW - timedelta(hours=i) for i in range(8)] + [
        NOW - timedelta(hours=3, seconds=20),
        NOW - timedelta(hours=3, seconds=40),
    ]
    assert cadence(FEED, AUTO, NOW, None, times).interval == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("quiet", "expected"),
    [
        (timedelta(minutes=10), timedelta(minutes=5)),  # a burst going on: its pace
        (timedelta(hours=1), timedelta(minutes=15)),  # a quiet hour: a quarter of it
        (timedelta(hours=8), timedelta(hours=2)),
        (timedelta(days=30), timedelta(hours=24)),
    ],
)
def test_a_feed_whose_burst_ended_slows_down(quiet: timedelta, expected: timedelta) -> None:
    newest = NOW - quiet
    times = [newest - timedelta(minutes=2 * i) for i in range(6)]  # every 2 min, then silence
    pace = cadence(FEED, AUTO, NOW, None, times)
    assert pace.interval == expected


def test_a_feed_without_dates_keeps_the_old_default() -> None:
    assert cadence(FEED, AUTO, NOW, None, [NOW]).interval == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("headers", "expected_s", "reason"),
    [
        ({"cache-control": "max-age=30"}, 60, "active live page"),  # shorter: our pace wins
        ({"cache-control": "max-age=600"}, 600, "server asks 10 min"),
        ({"cache-control": "max-age=86400"}, 4 * 3600, "server asks 4 h"),  # capped
        ({"cache-control": "no-cache, max-age=600"}, 60, "active live page"),
        ({"expires": "Tue, 03 Jun 2025 12:05:00 GMT", "date": HTTP_NOW}, 300, "server asks 5 min"),
        ({"cache-control": "max-age=900", "age": "300"}, 600, "server asks 10 min"),
    ],
)
def test_caching_headers_win_when_they_ask_for_longer(
    headers: dict[str, str], expected_s: float, reason: str
) -> None:
    pace = cadence(LIVE, AUTO, NOW, NOW)
    due, why = next_auto_check(NOW, pace, headers)
    assert (seconds(due), why) == (expected_s, reason)


def test_the_adaptive_schedule_is_never_faster_than_a_minute() -> None:
    rng = random.Random(3)
    for _ in range(200):
        due, _why = next_auto_check(NOW, cadence(LIVE, AUTO, NOW, NOW), {}, rng)
        assert 60 <= seconds(due) <= 66


@pytest.mark.parametrize(
    ("source", "settings", "minutes", "reason"),
    [
        (replace(LIVE, interval_minutes=7), AUTO, 7, "every 7 min (set by hand)"),
        (replace(FEED, interval_minutes=45), AUTO, 45, "every 45 min (set by hand)"),
        (replace(LIVE, interval_minutes=7), FIXED, 7, "every 7 min (set by hand)"),
        (LIVE, FIXED, 5, "every 5 min (fixed schedule)"),  # the old behaviour, one setting away
        (FEED, FIXED, 15, "every 15 min (fixed schedule)"),
        (FEED, Settings(schedule=IntervalMode.FIXED, default_interval_feed=30), 30, None),
    ],
)
def test_a_hand_set_interval_is_kept_and_the_fixed_setting_restores_the_defaults(
    source: Source, settings: Settings, minutes: int, reason: str | None
) -> None:
    # However busy the page (an update right now) and whatever its entries' pace.
    times = [NOW - timedelta(minutes=i) for i in range(5)]
    pace = cadence(source, settings, NOW, NOW, times)
    assert pace.interval == timedelta(minutes=minutes)
    if reason is not None:
        assert pace.reason == reason


@pytest.mark.parametrize(("errors", "expected_minutes"), [(1, 5), (2, 10), (3, 20), (7, 320)])
def test_errors_back_off_from_the_usual_interval_as_before(
    errors: int, expected_minutes: float
) -> None:
    # An active live page polled every minute still backs off from 5 min on errors.
    assert minutes(backoff(NOW, backoff_minutes(LIVE, AUTO), errors)) == expected_minutes


def test_retry_after_wins_over_an_active_page() -> None:
    state = FetchState(
        "live",
        next_due=NOW + timedelta(minutes=1),
        last_checked=NOW,
        last_new_entry=NOW,
        retry_after_until=retry_after_until(NOW, 1800),
        error_count=1,
    )
    assert due_at(state, NOW) == NOW + timedelta(minutes=30)
    assert describe(LIVE, state, AUTO, NOW) == "server asks to wait (Retry-After)"


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (FetchState("live"), "due now"),
        (
            FetchState("live", next_due=NOW + timedelta(seconds=61), last_checked=NOW,
                       last_new_entry=NOW - timedelta(minutes=3)),
            "active live page",
        ),
        (
            FetchState("live", next_due=NOW + timedelta(minutes=15), last_checked=NOW,
                       last_new_entry=NOW - timedelta(hours=2, minutes=5)),
            "quiet 2 h",
        ),
        (
            FetchState("live", next_due=NOW + timedelta(minutes=10), last_checked=NOW,
                       last_new_entry=NOW),
            "server asks 10 min",
        ),
        (FetchState("live", error_count=2, next_due=NOW), "retrying after 2 errors (backoff)"),
        (FetchState("live", disabled_reason="gone (HTTP 410)"), "gone (HTTP 410)"),
    ],
)  # fmt: skip
def test_the_reason_shown_for_the_next_check(state: FetchState, reason: str) -> None:
    assert describe(LIVE, state, AUTO, NOW) == reason


# --- the clock jumping backwards ---


def test_a_clock_set_back_two_hours_does_not_stall_the_schedule() -> None:
    checked = NOW
    state = FetchState("live", last_checked=checked, next_due=checked + timedelta(minutes=5))
    back = NOW - timedelta(hours=2)
    # Checked "in the future": due at once (that check stamps it with the clock's new reading).
    assert due_at(state, back) == back
    assert due_at(state, back + timedelta(minutes=7)) == back + timedelta(minutes=7)
    # A clock running normally, or corrected by a few seconds, changes nothing.
    assert due_at(state, NOW + timedelta(minutes=1)) == checked + timedelta(minutes=5)
    assert due_at(state, NOW - timedelta(seconds=20)) == checked + timedelta(minutes=5)


def test_a_clock_set_back_keeps_a_retry_after_within_a_day_only() -> None:
    state = FetchState(
        "live",
        last_checked=NOW,
        next_due=NOW + timedelta(minutes=30),
        retry_after_until=NOW + timedelta(minutes=30),
    )
    back = NOW - timedelta(hours=2)
    assert due_at(state, back) == NOW + timedelta(minutes=30)  # the server asked: still waits
    long_back = NOW - timedelta(days=400)
    assert due_at(state, long_back) == long_back  # never a year's stall


# --- spreading requests ---


def test_requests_to_one_host_start_two_seconds_apart() -> None:
    hosts = ["a.example", "b.example", "a.example", "A.example", "b.example"]
    assert plan_starts(hosts) == [0.0, 0.0, 2.0, 4.0, 2.0]


def test_a_storm_of_due_sources_is_spread_over_the_first_minute() -> None:
    hosts = [f"host{i}.example" for i in range(50)]
    starts = plan_starts(hosts, random.Random(1))
    assert max(starts) - min(starts) >= 30
    assert max(starts) < 60
    assert sorted(starts) == starts  # in their order, about 1.2 s apart
    assert plan_starts(hosts[:8]) == [0.0] * 8  # a few at once are not held back


def test_a_spread_storm_still_keeps_each_host_two_seconds_apart() -> None:
    hosts = ["one.example"] * 20 + [f"h{i}.example" for i in range(30)]
    starts = plan_starts(hosts, random.Random(2))
    same = sorted(starts[:20])
    assert all(b - a >= 2.0 - 1e-9 for a, b in itertools.pairwise(same))


def test_backoff_jitter_does_not_apply_to_network_down_retries_downwards() -> None:
    rng = random.Random(5)
    for _ in range(100):
        assert 60 <= seconds(offline_retry(NOW, 5, rng)) <= 66
    assert seconds(offline_retry(NOW, 180)) == 60  # soon, whatever the backoff would say
