"""The controller runs the real engine on its worker thread against a loopback server and
reports results, progress and errors as signals on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.rig import Rig, trickle_handler
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.server import LoopbackServer
from widget.core.models import PollResult, PollStatus
from widget.gui.ledger import LedgerState, NotifiedLedger
from widget.gui.poller import Poller, clock_jumped, retry_delay

WAIT = 20_000


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


class Walls:
    """Injected wall and monotonic clocks for wake detection."""

    def __init__(self) -> None:
        self.wall = 1_000_000.0
        self.mono = 500.0


def make_controller(rig: Rig, walls: Walls | None = None) -> Poller:
    w = walls or Walls()
    return Poller(
        rig.engine,
        rig.db,
        ledger=NotifiedLedger(rig.folder / "notified-until"),
        clock=rig.clock,
        wall=lambda: w.wall,
        mono=lambda: w.mono,
        watch_network=False,
    )


def poller_threads(before: set[threading.Thread]) -> list[str]:
    """The poller's threads (its poll's and its store worker's) started since ``before`` and
    alive now."""
    started = set(threading.enumerate()) - before
    return sorted(t.name for t in started if t.name in ("live-updates-poll", "live-updates-worker"))


def _result(blocker: object) -> tuple[PollResult, bool]:
    args = blocker.args  # type: ignore[attr-defined]
    return args[0], args[1]


def test_polls_on_start_then_reports_new_entries(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Harbour", server.route("/feed", rss(posts(2)), content_type=RSS))
    ctl = make_controller(rig)
    try:
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as first:
            ctl.start()
        result, away = _result(first)
        assert not away
        assert result.results[0].baseline
        # A baseline never notifies: the GUI thread gets its count, not a copy of the entries.
        assert result.new_entries == ()
        assert result.results[0].stored_count == 2
        assert len(rig.db.entries()) == 2

        server.route(
            "/feed",
            rss([Post("p-9", "Lifeboat crew rescue two kayakers"), *posts(2)]),
            content_type=RSS,
        )
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as second:
            ctl.refresh_now()
        result, _ = _result(second)
        assert [e.title for e in result.new_entries] == ["Lifeboat crew rescue two kayakers"]
        assert result.new_entries[0].notify
        assert result.stored_count == 1
    finally:
        assert ctl.shutdown()


def test_progress_and_unread_count_arrive_as_signals(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Harbour", server.route("/a", rss(posts(2)), content_type=RSS))
    rig.add("Valley", server.route("/b", rss(posts(3, "v")), content_type=RSS))
    ctl = make_controller(rig)
    progress: list[tuple[int, int]] = []
    unread: list[int] = []
    ctl.progress.connect(lambda d, t: progress.append((d, t)))
    ctl.unread_changed.connect(unread.append)
    try:
        with qtbot.waitSignal(ctl.polled, timeout=WAIT):
            ctl.start()
        assert progress[0] == (0, 2)
        assert progress[-1] == (2, 2)
        # The first poll is the sources' baseline: stored, but not unread news.
        qtbot.waitUntil(lambda: unread[-1:] == [0], timeout=WAIT)
        server.route("/b", rss(posts(5, "v")), content_type=RSS)
        with qtbot.waitSignal(ctl.polled, timeout=WAIT):
            ctl.refresh_now()
        qtbot.waitUntil(lambda: unread[-1:] == [2], timeout=WAIT)
    finally:
        assert ctl.shutdown()


def test_next_poll_waits_for_the_earliest_due_source(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Harbour", server.route("/feed", rss(posts(1)), content_type=RSS), interval_minutes=5)
    ctl = make_controller(rig)
    try:
        with qtbot.waitSignal(ctl.next_poll_changed, timeout=WAIT) as due:
            ctl.start()
        assert due.args[0] is not None
        remaining = (due.args[0] - datetime.now(timezone.utc)).total_seconds()
        assert 60 < remaining <= 10 * 60  # about the 5-minute interval, not a tick
    finally:
        assert ctl.shutdown()


def test_mark_read_goes_through_the_worker(qtbot: QtBot, rig: Rig, server: LoopbackServer) -> None:
    source = rig.add("Harbour", server.route("/feed", rss(posts(2)), content_type=RSS))
    ctl = make_controller(rig)
    unread: list[int] = []
    ctl.unread_changed.connect(unread.append)
    try:
        with qtbot.waitSignal(ctl.next_poll_changed, timeout=WAIT):
            ctl.start()
        qtbot.waitUntil(lambda: unread[-1:] == [0], timeout=WAIT)
        ctl.mark_read(source.id, "p-1", read=False)
        qtbot.waitUntil(lambda: unread[-1:] == [1], timeout=WAIT)
        entry = rig.db.get_entry(source.id, "p-1")
        assert entry is not None and not entry.read
        ctl.mark_read(source.id, "p-1")
        qtbot.waitUntil(lambda: unread[-1:] == [0], timeout=WAIT)
        entry = rig.db.get_entry(source.id, "p-1")
        assert entry is not None and entry.read
    finally:
        assert ctl.shutdown()


def test_quit_mid_poll_stops_the_worker_and_writes_nothing_half(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    stop = threading.Event()
    source = rig.add("Slow", server.route("/slow", handler=trickle_handler(stop)))  # type: ignore[arg-type]
    ctl = make_controller(rig)
    before = set(threading.enumerate())
    try:
        with qtbot.waitSignal(ctl.poll_started, timeout=WAIT):
            ctl.start()
        qtbot.waitUntil(lambda: bool(server.requests_for("/slow")), timeout=WAIT)
        assert ctl.busy
        assert ctl.shutdown(timeout=2.0), "the worker did not stop within 2 s"
        assert poller_threads(before) == []
    finally:
        stop.set()
    assert rig.db.entries(source_id=source.id) == []
    assert rig.db.get_state(source.id).last_success is None


def test_wake_from_sleep_polls_due_sources_as_away(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Harbour", server.route("/feed", rss(posts(2)), content_type=RSS), interval_minutes=15)
    walls = Walls()
    ctl = make_controller(rig, walls)
    try:
        with qtbot.waitSignal(ctl.next_poll_changed, timeout=WAIT):
            ctl.start()
        server.route(
            "/feed",
            rss([Post("p-7", "Harbour wall repairs finish early"), *posts(2)]),
            content_type=RSS,
        )
        # the machine sleeps for an hour: wall time moves, monotonic time does not
        rig.clock.shift += timedelta(hours=1)
        walls.wall += 3600
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as woke:
            ctl.check_wake()
        result, away = _result(woke)
        assert away
        assert [e.title for e in result.new_entries] == ["Harbour wall repairs finish early"]
    finally:
        assert ctl.shutdown()


def test_network_back_online_polls_as_away(qtbot: QtBot, rig: Rig, server: LoopbackServer) -> None:
    rig.add("Harbour", server.route("/feed", rss(posts(1)), content_type=RSS))
    ctl = make_controller(rig)
    try:
        with qtbot.waitSignal(ctl.next_poll_changed, timeout=WAIT):
            ctl.start()
        ctl.on_reachability(False)
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as back:
            ctl.on_reachability(True)
        assert back.args[1] is True
    finally:
        assert ctl.shutdown()


def test_paused_controller_does_not_schedule(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Harbour", server.route("/feed", rss(posts(1)), content_type=RSS))
    ctl = make_controller(rig)
    try:
        with qtbot.waitSignal(ctl.next_poll_changed, timeout=WAIT) as planned:
            ctl.start()
        assert planned.args[0] is not None
        with qtbot.waitSignal(ctl.next_poll_changed, timeout=WAIT) as paused:
            ctl.set_paused(True)
        assert paused.args == [None]  # nothing planned while paused
        with qtbot.waitSignal(
            ctl.next_poll_changed, timeout=WAIT, check_params_cb=lambda due: due is not None
        ):
            ctl.set_paused(False)
    finally:
        assert ctl.shutdown()


def test_failing_source_is_a_result_and_a_broken_store_is_an_error_signal(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Broken", server.route("/gone", b"nope", status=500))
    ctl = make_controller(rig)
    before = set(threading.enumerate())
    try:
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as polled:
            ctl.start()
        result, _ = _result(polled)
        assert result.results[0].status is PollStatus.ERROR
        assert result.results[0].error
        rig.db.close()  # the store becomes unusable under the worker
        with qtbot.waitSignal(ctl.failed, timeout=WAIT) as failed:
            ctl.refresh_now()
        assert failed.args[0]
        assert "live-updates-worker" in poller_threads(before)
    finally:
        assert ctl.shutdown()


def test_clock_jump_detection() -> None:
    assert not clock_jumped(100.0, 100.5, 60.0)
    assert clock_jumped(100.0, 3700.0, 60.0)  # suspended for an hour
    assert clock_jumped(100.0, 100.0, 900.0)  # a tick arrived 14 minutes late
    assert clock_jumped(100.0, -500.0, 60.0)  # the wall clock was set back


def test_failed_polls_wait_longer_each_time_up_to_half_an_hour() -> None:
    minutes = [retry_delay(n) / timedelta(minutes=1) for n in (1, 2, 3, 4, 5, 6, 40)]
    assert minutes == [1, 2, 4, 8, 16, 30, 30]


def test_the_ledger_keeps_what_is_held_and_reads_its_one_line_form(tmp_path: Path) -> None:
    ledger = NotifiedLedger(tmp_path / "notified-until")
    assert ledger.load() is None
    ledger.path.write_text("2026-03-01T08:00:00+00:00", encoding="utf-8")  # earlier versions
    old = ledger.load()
    assert old is not None and old.held == ()
    assert old.until == datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    ledger.save(LedgerState(old.until, held=(("id-harbour", "p-9"),)))
    assert ledger.load() == LedgerState(old.until, (("id-harbour", "p-9"),))
    ledger.path.write_text("{not json", encoding="utf-8")
    assert ledger.load() is None  # unreadable: a fresh start, said in the log
