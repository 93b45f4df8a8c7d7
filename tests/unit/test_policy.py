"""Notification policy: which new entries notify, when, and what the notification says."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from widget.core.errors import ConfigError
from widget.core.models import Entry, QuietHours, Settings
from widget.core.policy import (
    SUMMARY_REPLACES_KEY,
    Decision,
    decide,
    group_by_source,
    matches,
    passes_filters,
    pattern_error,
    plan_single,
    quiet_until,
    summarize,
)

UTC = timezone.utc
CET = timezone(timedelta(hours=1))
# Wednesday 2026-03-11, 12:00 local (CET)
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=CET)


def entry(
    n: int,
    source: str = "harbour",
    *,
    title: str | None = None,
    key_points: tuple[str, ...] = (),
    summary: str = "",
    notify: bool = True,
    baseline: bool = False,
    minutes: int = 0,
) -> Entry:
    when = datetime(2026, 3, 11, 10, 0, tzinfo=UTC) + timedelta(minutes=minutes or n)
    return Entry(
        source_id=source,
        source_name=f"{source.title()} Live",
        source_url=f"https://example.test/{source}",
        id=f"{source}-{n}",
        title=title or f"Ferry schedule change number {n}",
        url=f"https://example.test/{source}/{n}",
        published=when,
        updated=None,
        summary=summary,
        key_points=key_points,
        first_seen=when,
        notify=notify,
        read=False,
        baseline=baseline,
    )


def run(entries: list[Entry], **kwargs: object) -> Decision:
    settings = kwargs.pop("settings", Settings())
    now = kwargs.pop("now", NOON)
    return decide(group_by_source(entries), settings=settings, now=now, **kwargs)  # type: ignore[arg-type]


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("storm", "A STORM closes the bridge", True),
        ("storm", "Brainstorming session ends", False),  # whole words only
        ("storm", "storm-related delays", True),
        ("bridge closed", "the Bridge   closed at noon", True),  # phrase, any whitespace
        ("bridge closed", "the bridge is closed", False),
        ("C++", "Why C++ builds are slow", True),
        ("/goals? scored/", "Two goals scored", True),
        ("/Goal/", "goal!", False),  # a regex is case-sensitive unless /i
        ("/Goal/i", "goal!", True),
        ("/[unclosed/", "[unclosed", False),  # invalid regex never matches
        ("/x/q", "x", False),  # unknown flag: unusable, never matches
        ("//", "anything", False),
        ("   ", "anything", False),
        ("/", "a / b", True),  # a lone slash is a plain word
    ],
)
def test_pattern_matching(pattern: str, text: str, expected: bool) -> None:
    assert matches(pattern, text) is expected


@pytest.mark.parametrize(
    ("include", "exclude", "text", "expected"),
    [
        ((), (), "anything at all", True),
        (("rail",), (), "Rail strike called off", True),
        (("rail",), (), "Bus strike called off", False),
        (("rail", "bus"), (), "Bus strike called off", True),
        ((), ("sport",), "Sport results", False),
        (("strike",), ("sport",), "Strike at the sport arena", False),
        (("/strike/i",), ("/[bad/",), "Strike!", True),  # a broken exclude excludes nothing
        (("/[bad/",), (), "Strike!", False),  # a broken include includes nothing
    ],
)
def test_passes_filters(
    include: tuple[str, ...], exclude: tuple[str, ...], text: str, expected: bool
) -> None:
    assert passes_filters(include, exclude, text) is expected


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [("storm", None), ("/a+b/i", None), ("/(/", "invalid"), ("/a/z", "unknown regex flag")],
)
def test_pattern_error_explains_unusable_patterns(pattern: str, problem: str | None) -> None:
    error = pattern_error(pattern)
    if problem is None:
        assert error is None
    else:
        assert error is not None and problem in error and pattern in error


_HOSTILE_MATCH = """
import json, sys
from datetime import datetime, timezone
from widget.core.models import Entry
from widget.core.policy import is_highlighted, passes_filters, pattern_error
pattern = sys.argv[1]
title = "a" * 60 + "!"
entry = Entry(source_id="s", source_name="S", source_url="https://e.test/", id="x", title=title,
              url=None, published=None, updated=None, summary="", key_points=(),
              first_seen=datetime(2026, 3, 2, tzinfo=timezone.utc), notify=True, read=False)
results = [is_highlighted([pattern], entry), passes_filters([pattern], [], title)]
for _ in range(100):  # the window and a poll look at many entries
    results.append(passes_filters([], [pattern], title))
print(json.dumps([results[:3], pattern_error(pattern)]))
"""


@pytest.mark.parametrize("pattern", ["/(a+)+$/", "/(a|aa)+$/"])
def test_a_hostile_regex_on_feed_text_never_hangs_and_is_named(pattern: str) -> None:
    """/(a+)+$/ as a highlight word and a title of "a"s once stopped the GUI thread for over a
    minute; as an include filter it hung the poll process. It runs in a child here, so a
    hang fails the test instead of stalling the suite."""
    import json
    import subprocess
    import sys

    try:
        out = subprocess.run(
            [sys.executable, "-c", _HOSTILE_MATCH, pattern],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"matching {pattern} against 60 a's did not finish")
    assert out.returncode == 0, out.stderr
    results, problem = json.loads(out.stdout)
    assert results == [False, False, True]  # no highlight, not included, not excluded
    assert problem is not None and pattern in problem


@pytest.mark.parametrize("pattern", ["/(a+)+$/", "/(\\w+\\s?)*:/", "/(?:x*y?)*z/"])
def test_a_regex_that_repeats_a_repetition_is_refused_with_its_name(pattern: str) -> None:
    problem = pattern_error(pattern)
    assert problem is not None and pattern in problem and "repeats" in problem


@pytest.mark.parametrize(
    "pattern", ["/gale|squall/", "/(rail|bus)+ strike/i", "/a{2,5}(bc)*/", "/(\\w)\\1/"]
)
def test_ordinary_regexes_stay_usable(pattern: str) -> None:
    assert pattern_error(pattern) is None


def test_regex_filters_keep_pythons_syntax_and_unicode_words() -> None:
    assert matches("/\\bÄrger\\b/", "Viel Ärger am Hafen")
    assert matches("/(\\w)\\1/", "ferry")  # a back-reference
    assert not matches("/^storm$/m", "a storm\ncoming")
    assert matches("/^storm$/m", "a\nstorm\ncoming")


# --- who may notify ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "kwargs", "sent_ids"),
    [
        ([entry(1)], {}, [("harbour", "harbour-1")]),
        ([entry(1, baseline=True, notify=False)], {}, []),
        ([entry(1, notify=False)], {}, []),  # muted by a filter when stored
        ([entry(1)], {"source_notify": {"harbour": False}}, []),
        ([entry(1)], {"source_notify": {"airport": False}}, [("harbour", "harbour-1")]),
        ([entry(1)], {"settings": Settings(notifications_enabled=False)}, []),
    ],
)
def test_who_notifies(
    entries: list[Entry], kwargs: dict[str, object], sent_ids: list[tuple[str, str]]
) -> None:
    d = run(entries, **kwargs)
    assert [k for n in d.send for k in n.entries] == sent_ids
    assert d.held == ()


def test_highlight_words_make_notification_urgent() -> None:
    settings = Settings(highlight_words=("evacuation", "/red alert/i"))
    plain = plan_single(entry(1, title="Ferries run late"), settings)
    word = plan_single(entry(2, key_points=("Evacuation of the pier ordered",)), settings)
    regex = plan_single(entry(3, summary="A RED ALERT was issued"), settings)
    assert (plain.urgent, word.urgent, regex.urgent) == (False, True, True)


# --- content -----------------------------------------------------------------------------------


def test_single_notification_content() -> None:
    long_title = "Harbour authority announces " + "very " * 30 + "long delays"
    e = entry(7, title=long_title, key_points=("", "Ferries resume at six. " * 20), summary="x")
    n = plan_single(e, Settings(), replaces_key="harbour")
    assert len(n.summary) <= 100 and n.summary.endswith("…")
    assert n.summary.startswith("Harbour authority announces very")
    name, detail = n.body.split("\n")
    assert name == "Harbour Live"
    assert detail.startswith("Ferries resume at six.") and len(detail) <= 200
    assert n.key == ("harbour", "harbour-7") and n.url == "https://example.test/harbour/7"
    assert n.replaces_key == "harbour"


@pytest.mark.parametrize(
    ("key_points", "summary", "show", "body"),
    [
        (("Pier reopened",), "A summary", True, "Harbour Live\nPier reopened"),
        ((), "A summary", True, "Harbour Live\nA summary"),
        ((), "", True, "Harbour Live"),
        (("Pier reopened",), "A summary", False, "Harbour Live"),
        # a post without a heading: its title is its first sentence, so are its point and summary
        (
            ("Ferry schedule change number 1.",),
            "Ferry schedule change number 1.",
            True,
            "Harbour Live",
        ),
        (
            ("FERRY  schedule change number 1", "Pier reopened"),
            "",
            True,
            "Harbour Live\nPier reopened",
        ),
        (
            ("Ferry schedule change number 1!",),
            "Crews are on the way.",
            True,
            "Harbour Live\nCrews are on the way.",
        ),
    ],
)
def test_body_takes_key_point_then_summary(
    key_points: tuple[str, ...], summary: str, show: bool, body: str
) -> None:
    e = entry(1, key_points=key_points, summary=summary)
    assert plan_single(e, Settings(show_key_point=show)).body == body


def test_an_aggregators_item_does_not_say_its_headline_twice() -> None:
    # "Headline - Publisher" as the title, "<a>Headline</a>&nbsp;&nbsp;Publisher" as the text
    e = entry(
        1,
        title="Harbour wall repaired after storm - Coast Herald",
        key_points=("Harbour wall repaired after storm Coast Herald",),
        summary="Harbour wall repaired after storm Coast Herald",
    )
    assert plan_single(e, Settings()).body == "Harbour Live"


# --- batching ----------------------------------------------------------------------------------


def test_three_entries_of_one_source_notify_one_by_one() -> None:
    entries = [entry(n) for n in (1, 2, 3)]
    d = run(entries)
    assert [n.key for n in d.send] == [("harbour", "harbour-1")]
    assert [e.id for e in d.held] == ["harbour-2", "harbour-3"]
    assert d.next_allowed_at == NOON + timedelta(seconds=5)


def test_four_entries_of_one_source_become_one_batch_opening_the_window() -> None:
    entries = [entry(n, key_points=(f"Key point {n}",)) for n in (1, 2, 3, 4)]
    d = run(entries)
    assert len(d.send) == 1 and d.held == () and d.next_allowed_at is None
    batch = d.send[0]
    assert batch.summary == "4 new updates — latest: Ferry schedule change number 4"
    assert batch.body == "Harbour Live\nKey point 4"
    assert batch.key is None  # a click opens the window
    assert len(batch.entries) == 4


def test_batch_threshold_comes_from_settings() -> None:
    d = run([entry(1), entry(2)], settings=Settings(batch_threshold=1))
    assert d.send[0].summary.startswith("2 new updates — latest:")


# --- rate limit --------------------------------------------------------------------------------


def test_rate_limit_holds_until_five_seconds_after_the_last_notification() -> None:
    sent = NOON - timedelta(seconds=2)
    d = run([entry(1)], last_sent_at=sent)
    assert d.send == () and [e.id for e in d.held] == ["harbour-1"]
    assert d.next_allowed_at == sent + timedelta(seconds=5)
    later = run([], now=d.next_allowed_at, last_sent_at=d.last_sent_at, held=d.held)
    assert [n.key for n in later.send] == [("harbour", "harbour-1")]
    assert later.last_sent_at == d.next_allowed_at


def test_queued_entries_follow_every_five_seconds() -> None:
    d = run([entry(1), entry(2, "airport")])
    keys = [d.send[0].key]
    now = NOON
    while d.held:
        assert d.next_allowed_at is not None
        assert d.next_allowed_at - now == timedelta(seconds=5)
        now = d.next_allowed_at
        d = run([], now=now, last_sent_at=d.last_sent_at, held=d.held, held_away=d.held_away)
        keys.extend(n.key for n in d.send)
    assert keys == [("harbour", "harbour-1"), ("airport", "airport-2")]


def test_burst_while_rate_limited_is_coalesced_into_one_summary() -> None:
    first = run([entry(1)])
    assert len(first.send) == 1
    # three more polls inside the 5 s window, from three sources
    d = first
    for i, source in enumerate(("airport", "rail", "tram"), start=1):
        d = run(
            [entry(10 + i, source)],
            now=NOON + timedelta(seconds=i),
            last_sent_at=d.last_sent_at,
            held=d.held,
        )
        assert d.send == ()
    d = run(
        [entry(20, "bus")],
        now=NOON + timedelta(seconds=4),
        last_sent_at=d.last_sent_at,
        held=d.held,
    )
    released = run([], now=NOON + timedelta(seconds=5), last_sent_at=d.last_sent_at, held=d.held)
    assert len(released.send) == 1 and released.held == ()
    summary = released.send[0]
    assert summary.summary == "4 new updates — latest: Ferry schedule change number 20"
    assert summary.body == "Bus Live (1), Tram Live (1), Rail Live (1), Airport Live (1)"
    assert summary.key is None and summary.replaces_key == SUMMARY_REPLACES_KEY


# --- quiet hours, do-not-disturb, pause --------------------------------------------------------

WEEKDAYS = (0, 1, 2, 3, 4)


@pytest.mark.parametrize(
    ("quiet", "now", "until"),
    [
        # 22:00–07:00 wraps midnight; Wednesday 2026-03-11
        (QuietHours(), datetime(2026, 3, 11, 23, 30, tzinfo=CET), datetime(2026, 3, 12, 7, 0)),
        (QuietHours(), datetime(2026, 3, 11, 6, 59, tzinfo=CET), datetime(2026, 3, 11, 7, 0)),
        (QuietHours(), datetime(2026, 3, 11, 7, 0, tzinfo=CET), None),
        (QuietHours(), datetime(2026, 3, 11, 21, 59, tzinfo=CET), None),
        (QuietHours(), datetime(2026, 3, 11, 22, 0, tzinfo=CET), datetime(2026, 3, 12, 7, 0)),
        # same-day window
        (QuietHours("12:00", "14:00"), NOON, datetime(2026, 3, 11, 14, 0)),
        (QuietHours("12:00", "14:00"), datetime(2026, 3, 11, 14, 1, tzinfo=CET), None),
        # days: the day the period starts. Friday night is quiet into Saturday morning …
        (
            QuietHours(days=WEEKDAYS),
            datetime(2026, 3, 14, 3, 0, tzinfo=CET),
            datetime(2026, 3, 14, 7, 0),
        ),
        # … Saturday night is not, and Monday morning (started Sunday) is not either
        (QuietHours(days=WEEKDAYS), datetime(2026, 3, 14, 23, 0, tzinfo=CET), None),
        (QuietHours(days=WEEKDAYS), datetime(2026, 3, 16, 3, 0, tzinfo=CET), None),
        (QuietHours(days=()), datetime(2026, 3, 11, 23, 0, tzinfo=CET), None),
        # start == end: the whole day
        (QuietHours("09:00", "09:00"), NOON, datetime(2026, 3, 12, 9, 0)),
    ],
)
def test_quiet_hours(quiet: QuietHours, now: datetime, until: datetime | None) -> None:
    expected = until.replace(tzinfo=CET) if until else None
    assert quiet_until(quiet, now) == expected


def test_invalid_quiet_hours_say_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match="25:00"):
        quiet_until(QuietHours(start="25:00"), NOON)


@pytest.mark.parametrize(
    ("kwargs", "until", "why"),
    [
        (
            {"settings": Settings(quiet_hours=QuietHours("11:00", "13:00"))},
            datetime(2026, 3, 11, 13, 0, tzinfo=CET),
            "quiet hours",
        ),
        ({"dnd_until": NOON + timedelta(hours=1)}, NOON + timedelta(hours=1), "do not disturb"),
        (
            {
                "dnd_until": NOON + timedelta(hours=1),
                "settings": Settings(quiet_hours=QuietHours("11:00", "15:00")),
            },
            datetime(2026, 3, 11, 15, 0, tzinfo=CET),
            "do not disturb and quiet hours",
        ),
        ({"paused": True}, None, "paused"),
    ],
)
def test_holds_keep_entries_for_later(
    kwargs: dict[str, object], until: datetime | None, why: str
) -> None:
    d = run([entry(1), entry(2, "airport")], **kwargs)
    assert d.send == ()
    assert {e.id for e in d.held} == {"harbour-1", "airport-2"}
    assert d.held_away and d.next_allowed_at == until and why in d.reason


def test_expired_do_not_disturb_does_not_hold() -> None:
    d = run([entry(1)], dnd_until=NOON - timedelta(minutes=1))
    assert len(d.send) == 1


def test_held_entries_are_released_as_one_while_you_were_away_summary() -> None:
    settings = Settings(quiet_hours=QuietHours("11:00", "13:00"), highlight_words=("fire",))
    d = run([entry(1), entry(2)], settings=settings)
    d = run(
        [entry(3, "airport", title="Small fire near gate")],
        settings=settings,
        now=NOON + timedelta(minutes=30),
        held=d.held,
        held_away=d.held_away,
    )
    assert d.send == () and len(d.held) == 3
    assert d.next_allowed_at is not None
    released = run([], settings=settings, now=d.next_allowed_at, held=d.held, held_away=d.held_away)
    assert len(released.send) == 1 and released.held == () and not released.held_away
    n = released.send[0]
    assert n.summary == "3 new updates — latest: Small fire near gate"
    assert n.body == "While you were away\nAirport Live (1), Harbour Live (2)"
    assert n.urgent and n.key is None


def test_a_single_held_entry_is_released_as_its_own_notification() -> None:
    d = run([entry(1)], paused=True)
    released = run([], held=d.held, held_away=d.held_away)
    assert [n.key for n in released.send] == [("harbour", "harbour-1")]


def test_entries_found_after_sleep_come_as_one_summary() -> None:
    entries = [entry(1), entry(2, "airport")]
    d = run(entries, away=True)
    assert len(d.send) == 1 and d.send[0].body.startswith("While you were away")


def test_held_entries_still_respect_switches_turned_off_meanwhile() -> None:
    d = run([entry(1), entry(2, "airport")], paused=True)
    released = run([], held=d.held, held_away=True, source_notify={"airport": False})
    assert [n.key for n in released.send] == [("harbour", "harbour-1")]


def test_summarize_helper() -> None:
    assert summarize([], Settings()) is None
    single = summarize([entry(1)], Settings())
    assert single is not None and single.key == ("harbour", "harbour-1")
    many = summarize([entry(1), replace(entry(2), title="Last ferry leaves")], Settings())
    assert many is not None
    assert many.summary == "2 new updates — latest: Last ferry leaves"
    assert many.source_name == "Harbour Live"
