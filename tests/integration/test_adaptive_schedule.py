"""The adaptive schedule through the real engine: a loopback server, a real SQLite store and
config file, the clock injected (the pacing tests observe real request times at the server)."""

from __future__ import annotations

import errno
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.support.clock import Clock
from tests.support.feeds import RSS
from tests.support.server import LoopbackServer
from widget.core.errors import FetchError
from widget.core.models import IntervalMode, PollStatus, Settings, Source, SourceKind
from widget.core.policy import decide, group_by_source
from widget.engine.fetching import Outcome
from widget.engine.poll import Engine
from widget.engine.status import schedule_reason
from widget.sources.http_errors import network_down
from widget.storage.config import ConfigStore
from widget.storage.db import Database

START = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
HTML = "text/html; charset=utf-8"


class Rig:
    def __init__(self, folder: Path, **engine: object) -> None:
        self.clock = Clock(START)
        self.config = ConfigStore(folder / "config.json")
        self.db = Database.open(folder / "entries.sqlite3")
        engine.setdefault("host_gap_s", 0)  # one loopback host; pacing tests pass their own
        self.engine = Engine(
            self.config,
            self.db,
            clock=self.clock,
            rng=random.Random(7),
            **engine,  # type: ignore[arg-type]
        )

    def add(
        self, name: str, url: str, kind: SourceKind = SourceKind.LIVE_PAGE, **f: object
    ) -> Source:
        source = replace(Source(f"id-{name}", name, url, kind), **f)  # type: ignore[arg-type]
        config = self.config.load()
        self.config.save(replace(config, sources=(*config.sources, source)))
        return source

    def close(self) -> None:
        self.engine.close()
        self.db.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def live_page(url: str, updates: list[tuple[str, datetime]]) -> str:
    posting = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "headline": "Flood watch: live",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "@id": f"{url}#{text.split()[0].lower()}", "headline": text,
             "articleBody": text + ".", "datePublished": when.isoformat()}
            for text, when in updates
        ],
    }  # fmt: skip
    return (
        "<html><head><title>Flood watch</title>"
        f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
        "<body><p>Live.</p></body></html>"
    )


def due_in_s(rig: Rig, source: Source) -> float:
    state = rig.db.get_state(source.id)
    assert state.next_due is not None
    return (state.next_due - rig.clock.now).total_seconds()


def test_an_active_live_page_is_checked_every_minute_then_slows_down(
    rig: Rig, server: LoopbackServer
) -> None:
    url = server.url("/live")
    headers = {"ETag": '"v1"', "Cache-Control": "max-age=30"}
    body = live_page(url, [("Rain starts", START - timedelta(minutes=3))])
    server.route("/live", body, content_type=HTML, headers=headers)
    page = rig.add("flood", url)
    rig.engine.poll()
    assert 60 <= due_in_s(rig, page) <= 66
    assert schedule_reason(rig.engine.statuses()[0], rig.config.load().settings, rig.clock.now) == (
        "active live page"
    )
    # Two quiet hours later (every check a 304), it is checked every 15 minutes.
    server.route("/live", b"", status=304, headers={"ETag": '"v1"'})
    rig.clock.now = START + timedelta(hours=2, minutes=1)
    rig.engine.poll()
    assert 13.5 * 60 <= due_in_s(rig, page) <= 16.5 * 60  # 15 min ± 10 %
    # A new update makes it active again at once.
    rig.clock.now += timedelta(minutes=20)
    server.route("/live", live_page(url, [("River peaks", rig.clock.now),
                                          ("Rain starts", START - timedelta(minutes=3))]),
                 content_type=HTML, headers={"ETag": '"v2"'})  # fmt: skip
    result = rig.engine.poll()
    assert [e.title for e in result.new_entries] == ["River peaks"]
    assert 60 <= due_in_s(rig, page) <= 66
    # Every check after the first was conditional.
    assert all("if-none-match" in r.headers for r in server.requests_for("/live")[1:])


def test_the_fixed_schedule_setting_brings_back_the_old_intervals(
    rig: Rig, server: LoopbackServer
) -> None:
    url = server.url("/live")
    server.route("/live", live_page(url, [("Rain starts", START)]), content_type=HTML)
    page = rig.add("flood", url)
    fixed = rig.add("fixed", server.route("/other", live_page(url, [("x", START)]),
                                          content_type=HTML), interval_minutes=3)  # fmt: skip
    config = rig.config.load()
    rig.config.save(replace(config, settings=replace(config.settings, schedule=IntervalMode.FIXED)))
    rig.engine.poll()
    assert 4.5 * 60 <= due_in_s(rig, page) <= 5.5 * 60  # the live-page default, 5 min
    assert 2.7 * 60 <= due_in_s(rig, fixed) <= 3.3 * 60  # set by hand: kept


def test_a_hand_set_interval_is_kept_on_an_active_page(rig: Rig, server: LoopbackServer) -> None:
    url = server.url("/live")
    server.route("/live", live_page(url, [("Rain starts", START)]), content_type=HTML)
    page = rig.add("flood", url, interval_minutes=10)
    rig.engine.poll()
    assert 9 * 60 <= due_in_s(rig, page) <= 11 * 60


def test_a_feed_is_checked_at_half_its_entry_gap(rig: Rig, server: LoopbackServer) -> None:
    items = "".join(
        f"<item><guid>g{i}</guid><title>Notice {i}</title>"
        f"<pubDate>{(START - timedelta(hours=2 * i)).strftime('%a, %d %b %Y %H:%M:%S GMT')}"
        "</pubDate></item>"
        for i in range(6)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Port</title>{items}'
    body += "</channel></rss>"
    feed = rig.add("port", server.route("/feed", body, content_type=RSS), SourceKind.FEED)
    rig.engine.poll()
    assert 54 * 60 <= due_in_s(rig, feed) <= 66 * 60  # entries every 2 h → checked hourly


def test_retry_after_wins_over_an_active_page(rig: Rig, server: LoopbackServer) -> None:
    url = server.url("/live")
    server.route("/live", live_page(url, [("Rain starts", START)]), content_type=HTML)
    page = rig.add("flood", url)
    rig.engine.poll()
    server.route("/live", b"busy", status=503, headers={"Retry-After": "1800"})
    rig.clock.now += timedelta(minutes=2)
    rig.engine.poll()
    state = rig.db.get_state(page.id)
    assert state.retry_after_until == rig.clock.now + timedelta(minutes=30)
    rig.clock.now += timedelta(minutes=10)
    assert rig.engine.poll(force=True).results[0].status is PollStatus.DEFERRED


def test_an_invalid_retry_after_is_ignored_and_logged(
    rig: Rig, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route("/live", b"busy", status=503, headers={"Retry-After": "1e9"})
    page = rig.add("flood", url)
    with caplog.at_level(logging.WARNING):
        result = rig.engine.poll()
    assert result.results[0].status is PollStatus.ERROR
    state = rig.db.get_state(page.id)
    assert state.retry_after_until is None  # not a wait of 31 years, nor of 0 s
    assert 4.5 * 60 <= due_in_s(rig, page) <= 5.5 * 60  # the normal first backoff
    assert any("invalid Retry-After value '1e9'" in r.getMessage() for r in caplog.records)


def test_a_clock_set_back_two_hours_still_polls(rig: Rig, server: LoopbackServer) -> None:
    url = server.url("/live")
    server.route("/live", live_page(url, [("Rain starts", START)]), content_type=HTML)
    rig.add("flood", url)
    rig.engine.poll()
    assert len(server.requests_for("/live")) == 1
    rig.clock.now = START - timedelta(hours=2) + timedelta(minutes=2)
    due = rig.engine.next_due_time()
    assert due is not None and due <= rig.clock.now  # not in two hours
    rig.engine.poll()
    assert len(server.requests_for("/live")) == 2
    # That check stamped the source with the clock's new reading: the schedule runs on.
    assert 60 <= due_in_s(rig, rig.config.load().sources[0]) <= 66


def test_network_down_errors_do_not_count_towards_backoff(rig: Rig, server: LoopbackServer) -> None:
    url = server.url("/live")
    page = rig.add("flood", url)
    config = rig.config.load()
    state = rig.db.get_state(page.id)
    recorder = rig.engine._recorder
    down = FetchError("could not connect (network is unreachable)", network_down=True)
    for _ in range(5):  # a long outage
        recorder.record(config, page, state, Outcome(error=down))
        state = rig.db.get_state(page.id)
        assert state.error_count == 0
        assert 60 <= due_in_s(rig, page) <= 66  # tried again within about a minute
        rig.clock.now += timedelta(minutes=1)
    refused = FetchError("connection refused")
    recorder.record(config, page, state, Outcome(error=refused))
    assert rig.db.get_state(page.id).error_count == 1  # a broken server still backs off


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (OSError(errno.ENETUNREACH, "Network is unreachable"), True),
        (OSError(errno.EHOSTUNREACH, "No route to host"), True),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), False),
    ],
)
def test_which_connection_failures_mean_the_network_is_down(error: OSError, down: bool) -> None:
    wrapper = RuntimeError("connect failed")
    wrapper.__cause__ = error
    assert network_down(wrapper) is down


def test_an_unreachable_network_is_recognised_end_to_end(rig: Rig) -> None:
    # Port 9 on loopback refuses: a refusal is the server's doing and counts as an error.
    page = rig.add("flood", "http://127.0.0.1:9/live")
    rig.engine.poll()
    assert rig.db.get_state(page.id).error_count == 1


# --- pacing: real request times observed at the servers ---


class Watch:
    """Records when each request arrives and how many run at once (a slow handler)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.times: list[tuple[str, float]] = []
        self.running = 0
        self.most = 0
        self.moved_on = False
        self.lock = threading.Lock()

    def handler(self, host: str, body: bytes, later: bytes | None = None) -> object:
        """Serves ``body``, or ``later`` once ``self.moved_on`` is set."""

        def handle(h: BaseHTTPRequestHandler) -> None:
            sent = later if later is not None and self.moved_on else body
            with self.lock:
                self.times.append((host, time.monotonic()))
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                time.sleep(self.delay_s)
                h.send_response(200)
                h.send_header("Content-Type", RSS)
                h.send_header("Content-Length", str(len(sent)))
                h.end_headers()
                h.wfile.write(sent)
            finally:
                with self.lock:
                    self.running -= 1

        return handle


def _feed(i: int, fresh: bool = False) -> bytes:
    item = f"<item><guid>n{i}</guid><title>Overnight notice {i}</title></item>" if fresh else ""
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{i}</title>{item}'
        f"<item><guid>g{i}</guid><title>Notice {i}</title></item></channel></rss>"
    ).encode()


def test_requests_to_one_host_are_two_seconds_apart_and_at_most_two_at_once(
    tmp_path: Path,
) -> None:
    watch = Watch(delay_s=1.5)
    rig = Rig(tmp_path, host_gap_s=2.0)
    try:
        with LoopbackServer() as server:
            for i in range(5):
                url = server.route(f"/f{i}", handler=watch.handler("one", _feed(i)))  # type: ignore[arg-type]
                rig.add(f"f{i}", url, SourceKind.FEED)
            result = rig.engine.poll(force=True)
        assert all(r.status is PollStatus.OK for r in result.results)
        starts = sorted(t for _h, t in watch.times)
        assert len(starts) == 5
        assert all(b - a >= 1.95 for a, b in itertools.pairwise(starts))
        assert watch.most <= 2
    finally:
        rig.close()


def test_after_a_wake_up_fifty_due_sources_are_spread_over_half_a_minute(
    tmp_path: Path,
) -> None:
    watch = Watch()
    rig = Rig(tmp_path, host_gap_s=2.0)
    servers = [LoopbackServer(f"127.0.0.{n}").start() for n in range(1, 6)]
    try:
        for i in range(50):
            server = servers[i % 5]
            handle = watch.handler(server.host, _feed(i), _feed(i, fresh=True))
            url = server.route(f"/f{i}", handler=handle)  # type: ignore[arg-type]
            rig.add(f"f{i}", url, SourceKind.FEED)
        rig.engine.poll(force=True)  # the baseline; then the machine sleeps for a day
        watch.times.clear()
        watch.moved_on = True  # every feed published meanwhile
        rig.clock.now += timedelta(days=1)
        result = rig.engine.poll()  # the scheduled poll after the wake-up: all 50 due
        assert len(result.results) == 50
        # However spread its requests, the poll is one result: one "while you were away".
        decision = decide(
            group_by_source(result.new_entries),
            settings=Settings(),
            now=rig.clock.now,
            away=True,
        )
        assert len(result.new_entries) == 50
        [summary] = decision.send
        assert summary.body.startswith("While you were away")
        starts = sorted(t for _h, t in watch.times)
        assert len(starts) == 50
        assert starts[-1] - starts[0] >= 30
        for host in {h for h, _t in watch.times}:
            mine = sorted(t for h, t in watch.times if h == host)
            assert all(b - a >= 1.95 for a, b in itertools.pairwise(mine))
    finally:
        for server in servers:
            server.stop()
        rig.close()
