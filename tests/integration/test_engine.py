"""The poll cycle against a real loopback HTTP server, a real SQLite store and config file."""

from __future__ import annotations

import gc
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
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.server import LoopbackServer
from tests.support.store import feed_source
from widget.core.errors import SecretsError, SourceError
from widget.core.models import AuthKind, Config, ParsedSource, PollStatus, Source, SourceKind
from widget.engine.poll import Engine
from widget.sources.http import Credentials, FetchResponse, HttpClient
from widget.storage.config import ConfigStore, without_source
from widget.storage.db import Database
from widget.storage.secrets import SecretStore

START = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


class Rig:
    """A config file, a database and an engine sharing one temp folder and one clock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clock = Clock(START)
        self.config = ConfigStore(folder / "config.json")
        self.db = Database.open(folder / "entries.sqlite3")
        self.engine = self.new_engine()

    def new_engine(self, **kwargs: object) -> Engine:
        kwargs.setdefault("host_gap_s", 0)  # one loopback host, not a pacing test
        return Engine(
            self.config,
            self.db,
            clock=self.clock,
            rng=random.Random(7),
            **kwargs,  # type: ignore[arg-type]
        )

    def add(self, name: str, url: str, **fields: object) -> Source:
        source = feed_source(name, url, **fields)
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


def titles(result_entries: object) -> list[str]:
    return [e.title for e in result_entries]  # type: ignore[attr-defined]


def test_first_poll_is_a_silent_baseline_then_new_entries_notify(
    rig: Rig, server: LoopbackServer
) -> None:
    url = server.route("/feed", rss(posts(3)), content_type=RSS)
    rig.add("Harbour", url)

    first = rig.engine.poll()
    assert first.results[0].status is PollStatus.OK
    assert first.results[0].baseline
    assert len(first.new_entries) == 3 == first.stored_count
    assert not any(e.notify for e in first.new_entries)

    server.route(
        "/feed",
        rss([Post("p-4", "Night ferry added to the timetable"), *posts(3)]),
        content_type=RSS,
    )
    second = rig.engine.poll(force=True)
    assert titles(second.new_entries) == ["Night ferry added to the timetable"]
    assert second.new_entries[0].notify
    assert not second.results[0].baseline


def test_entry_that_drops_out_and_returns_is_not_new(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(3)), content_type=RSS)
    rig.add("Harbour", url)
    rig.engine.poll()
    server.route("/feed", rss(posts(2)), content_type=RSS)
    assert rig.engine.poll(force=True).new_entries == ()
    server.route("/feed", rss(posts(3)), content_type=RSS)
    assert rig.engine.poll(force=True).new_entries == ()


def test_edited_entry_is_updated_silently(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(2)), content_type=RSS)
    source = rig.add("Harbour", url)
    rig.engine.poll()
    edited = [replace(posts(2)[0], title="Ferry timetable change number 1, corrected"), posts(2)[1]]
    server.route("/feed", rss(edited), content_type=RSS)
    result = rig.engine.poll(force=True)
    assert result.new_entries == ()
    assert result.results[0].updated_count == 1
    stored = rig.db.get_entry(source.id, "p-1")
    assert stored is not None and stored.title.endswith("corrected")


def test_a_baseline_can_come_as_a_count_while_later_new_entries_are_listed(
    rig: Rig, server: LoopbackServer
) -> None:
    """The tray app asks for baselines as counts (they never notify); the CLI lists them."""
    rig.add("Harbour", server.route("/a", rss(posts(3)), content_type=RSS))
    listed = rig.add("Valley", server.route("/b", rss(posts(2, "v")), content_type=RSS))

    first = rig.engine.poll(only=["id-harbour"], baseline_entries=False)
    [harbour] = first.results
    assert (harbour.status, harbour.baseline) == (PollStatus.OK, True)
    assert harbour.new_entries == () and harbour.stored_count == 3
    assert first.stored_count == 3
    assert len(rig.db.entries(source_id="id-harbour")) == 3  # stored all the same

    by_default = rig.engine.poll(only=[listed.id])  # how ``live-updates check`` polls
    assert sorted(titles(by_default.new_entries)) == [
        "Ferry timetable change number 1",
        "Ferry timetable change number 2",
    ]
    assert by_default.results[0].stored_count == 2

    server.route(
        "/a", rss([Post("p-7", "Footbridge opens to cyclists"), *posts(3)]), content_type=RSS
    )
    later = rig.engine.poll(force=True, only=["id-harbour"], baseline_entries=False)
    assert titles(later.new_entries) == ["Footbridge opens to cyclists"]
    assert later.new_entries[0].notify and not later.results[0].baseline
    assert later.stored_count == 1


def _counted(body: bytes, turns: threading.Semaphore) -> object:
    """Answers only when given a turn, so a poll has one source in flight at a time."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        turns.acquire(timeout=20)
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


def _alive(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def test_each_sources_parse_is_let_go_once_it_is_stored(rig: Rig, server: LoopbackServer) -> None:
    """A big poll holds at most the parse in hand, not one per source until the poll ends."""
    turns = threading.Semaphore(1)  # the next source is answered once the last one is stored
    for i in range(8):
        body = rss(posts(5, prefix=f"d{i}"))
        rig.add(f"Desk{i}", server.route(f"/d{i}", handler=_counted(body, turns)))  # type: ignore[arg-type]
    held: list[int] = []
    gc.collect()
    before = _alive(ParsedSource)

    def progress(done: int, total: int) -> None:
        if done:
            held.append(_alive(ParsedSource) - before)
            turns.release()

    engine = rig.new_engine()
    result = engine.poll(progress=progress, baseline_entries=False)
    engine.close()
    assert [r.stored_count for r in result.results] == [5] * 8
    assert len(held) == 8
    assert max(held) <= 1, held


def _conditional(etag: str, body: bytes) -> object:
    def handler(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("ETag", etag)
        h.send_header("Last-Modified", "Mon, 02 Mar 2026 09:00:00 GMT")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


def test_conditional_get_sends_validators_back_and_304_parses_nothing(
    rig: Rig, server: LoopbackServer
) -> None:
    url = server.route("/feed", handler=_conditional('"v1"', rss(posts(2))))  # type: ignore[arg-type]
    rig.add("Harbour", url)
    rig.engine.poll()
    result = rig.engine.poll(force=True)
    assert result.results[0].status is PollStatus.NOT_MODIFIED
    second = server.requests_for("/feed")[1]
    assert second.headers["if-none-match"] == '"v1"'
    assert second.headers["if-modified-since"] == "Mon, 02 Mar 2026 09:00:00 GMT"


def test_same_body_without_validators_is_not_modified(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(2)), content_type=RSS)
    rig.add("Harbour", url)
    rig.engine.poll()
    result = rig.engine.poll(force=True)
    assert result.results[0].status is PollStatus.NOT_MODIFIED
    assert result.new_entries == ()


def test_a_source_is_polled_only_when_due(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    rig.add("Harbour", url, interval_minutes=10)
    rig.engine.poll()
    assert rig.engine.poll().results == ()  # not due yet: no request
    assert len(server.requests_for("/feed")) == 1
    due = rig.engine.next_due_time()
    assert due is not None and START + timedelta(minutes=8) < due < START + timedelta(minutes=12)
    rig.clock.now = due
    assert rig.engine.poll().results[0].status is PollStatus.NOT_MODIFIED
    assert len(server.requests_for("/feed")) == 2


def test_restart_keeps_validators_next_due_and_error_count(
    rig: Rig, server: LoopbackServer
) -> None:
    good = server.route("/good", handler=_conditional('"abc"', rss(posts(1))))  # type: ignore[arg-type]
    bad = server.route("/bad", "boom", status=500, content_type="text/plain")
    rig.add("Good", good)
    rig.add("Bad", bad)
    rig.engine.poll()
    before = rig.db.all_states()
    rig.close()

    rig.db = Database.open(rig.folder / "entries.sqlite3")
    rig.engine = rig.new_engine()
    after = rig.db.all_states()
    assert after["id-good"].etag == '"abc"'
    assert after["id-good"].next_due == before["id-good"].next_due
    assert after["id-bad"].error_count == 1
    assert after["id-bad"].last_error and "500" in after["id-bad"].last_error
    rig.engine.poll(force=True)
    assert server.requests_for("/good")[-1].headers["if-none-match"] == '"abc"'
    assert rig.db.get_state("id-bad").error_count == 2


def test_errors_back_off_and_success_resets(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", "down", status=503, content_type="text/plain")
    rig.add("Harbour", url, interval_minutes=5)
    first = rig.engine.poll().results[0]
    assert first.status is PollStatus.ERROR
    rig.clock.now = rig.db.get_state("id-harbour").next_due or START
    rig.engine.poll()
    state = rig.db.get_state("id-harbour")
    assert state.error_count == 2
    assert state.next_due is not None and state.next_due - rig.clock.now >= timedelta(minutes=9)

    server.route("/feed", rss(posts(1)), content_type=RSS)
    rig.clock.now = state.next_due
    assert rig.engine.poll().results[0].status is PollStatus.OK
    state = rig.db.get_state("id-harbour")
    assert state.error_count == 0 and state.last_error is None


def test_410_disables_the_source_with_a_visible_reason(rig: Rig, server: LoopbackServer) -> None:
    gone = server.route("/gone", "gone", status=410, content_type="text/plain")
    ok = server.route("/ok", rss(posts(1)), content_type=RSS)
    rig.add("Gone", gone)
    rig.add("Fine", ok)
    result = rig.engine.poll()
    by_name = {r.source_name: r for r in result.results}
    assert by_name["Gone"].status is PollStatus.DISABLED
    assert by_name["Fine"].status is PollStatus.OK
    status = {s.source.name: s for s in rig.engine.statuses()}["Gone"]
    assert not status.enabled
    assert status.state.disabled_reason == "the server says this source is gone (HTTP 410)"
    rig.engine.poll(force=True)
    assert len(server.requests_for("/gone")) == 1


def test_retry_after_defers_the_source_even_when_forced(rig: Rig, server: LoopbackServer) -> None:
    url = server.route(
        "/feed",
        "slow down",
        status=429,
        headers={"Retry-After": "600", "Content-Type": "text/plain"},
    )
    rig.add("Harbour", url)
    assert rig.engine.poll().results[0].status is PollStatus.ERROR
    rig.clock.advance(5)
    deferred = rig.engine.poll(force=True).results[0]
    assert deferred.status is PollStatus.DEFERRED
    assert deferred.error and "Retry-After" in deferred.error
    assert len(server.requests_for("/feed")) == 1
    server.route("/feed", rss(posts(1)), content_type=RSS)
    rig.clock.advance(6)
    assert rig.engine.poll(force=True).results[0].status is PollStatus.OK


def test_permanent_redirect_on_two_polls_moves_the_source(rig: Rig, server: LoopbackServer) -> None:
    new_url = server.route("/new", rss(posts(2)), content_type=RSS)
    old_url = server.route("/old", status=301, headers={"Location": new_url})
    source = rig.add("Harbour", old_url)
    rig.engine.poll()
    assert rig.config.load().sources[0].url == old_url  # once is not enough
    rig.engine.poll(force=True)
    moved = rig.config.load().sources[0]
    assert moved.url == new_url and moved.id == source.id
    assert len(rig.db.entries(source_id=source.id)) == 2
    rig.engine.poll(force=True)
    assert len(server.requests_for("/old")) == 2  # the third poll went to the new URL


def test_filters_mute_entries_without_losing_them(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    rig.add("Harbour", url, exclude=("football",))
    rig.engine.poll()
    server.route(
        "/feed",
        rss(
            [
                Post("a", "Football scores from the harbour league"),
                Post("b", "Storm warning for the coast"),
                *posts(1),
            ]
        ),
        content_type=RSS,
    )
    new = {e.title: e.notify for e in rig.engine.poll(force=True).new_entries}
    assert new == {
        "Football scores from the harbour league": False,
        "Storm warning for the coast": True,
    }


def test_source_with_notify_off_stores_entries_silently(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    rig.add("Harbour", url, notify=False)
    rig.engine.poll()
    server.route("/feed", rss(posts(2)), content_type=RSS)
    new = rig.engine.poll(force=True).new_entries
    assert [e.notify for e in new] == [False]


def test_many_sources_are_all_polled(rig: Rig, server: LoopbackServer) -> None:
    for i in range(9):
        rig.add(
            f"Source{i}", server.route(f"/f{i}", rss(posts(2, prefix=f"s{i}")), content_type=RSS)
        )
    result = rig.engine.poll()
    assert [r.status for r in result.results] == [PollStatus.OK] * 9
    assert [r.source_name for r in result.results] == [f"Source{i}" for i in range(9)]
    assert len(rig.db.entries()) == 18


def test_cancel_between_sources_writes_nothing_more(rig: Rig, server: LoopbackServer) -> None:
    for i in range(4):
        rig.add(
            f"Source{i}", server.route(f"/f{i}", rss(posts(1, prefix=f"s{i}")), content_type=RSS)
        )
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            cancel.set()

    result = rig.engine.poll(cancel=cancel, progress=progress)
    statuses = [r.status for r in result.results]
    assert statuses.count(PollStatus.OK) == 1
    assert statuses.count(PollStatus.CANCELLED) == 3
    assert len(rig.db.entries()) == 1
    states = rig.db.all_states()
    assert sum(1 for s in states.values() if s.last_checked is not None) == 1


class _ExplodingHttp(HttpClient):
    """A real client that fails in an unexpected way for one URL."""

    def fetch(self, url: str, **kwargs: object) -> FetchResponse:
        if url.endswith("/explode"):
            raise RuntimeError("the parser tripped over a wire")
        return super().fetch(url, **kwargs)  # type: ignore[arg-type]


def test_an_unexpected_exception_becomes_that_sources_error(
    rig: Rig, server: LoopbackServer
) -> None:
    rig.add("Bad", server.route("/explode", rss(posts(1)), content_type=RSS))
    rig.add("Good", server.route("/feed", rss(posts(1)), content_type=RSS))
    http = _ExplodingHttp()
    engine = rig.new_engine(http=http)
    try:
        result = engine.poll()
    finally:
        http.close()
    by_name = {r.source_name: r for r in result.results}
    assert by_name["Bad"].status is PollStatus.ERROR
    assert by_name["Bad"].error and "tripped over a wire" in by_name["Bad"].error
    assert by_name["Good"].status is PollStatus.OK


class _MemorySecrets(SecretStore):
    def __init__(self, secrets: dict[str, str] | None = None, broken: bool = False) -> None:
        super().__init__("live-updates-test")
        self.secrets = dict(secrets or {})
        self.broken = broken

    def get(self, source_id: str) -> str | None:
        if self.broken:
            raise SecretsError("no keyring is available on this desktop")
        return self.secrets.get(source_id)


def test_credentials_come_from_the_secret_store(rig: Rig, server: LoopbackServer) -> None:
    rig.add(
        "Private",
        server.route("/private", rss(posts(1)), content_type=RSS),
        auth=AuthKind.HEADER,
        auth_header="X-Api-Key",
    )
    engine = rig.new_engine(secrets=_MemorySecrets({"id-private": "s3cret-token"}))
    assert engine.poll().results[0].status is PollStatus.OK
    assert server.requests_for("/private")[0].headers["x-api-key"] == "s3cret-token"
    engine.close()


def test_a_keyring_failure_fails_only_that_source(rig: Rig, server: LoopbackServer) -> None:
    rig.add(
        "Private",
        server.route("/private", rss(posts(1)), content_type=RSS),
        auth=AuthKind.BASIC,
        username="reader",
    )
    rig.add("Public", server.route("/public", rss(posts(1)), content_type=RSS))
    engine = rig.new_engine(secrets=_MemorySecrets(broken=True))
    by_name = {r.source_name: r for r in engine.poll().results}
    engine.close()
    assert by_name["Private"].status is PollStatus.ERROR
    assert by_name["Private"].error == "no keyring is available on this desktop"
    assert by_name["Public"].status is PollStatus.OK
    assert server.requests_for("/private") == []


class _HangingKeyring(SecretStore):
    """A keyring that does not answer, as one waiting for an unlock prompt nobody sees (it
    gives up after ``patience`` seconds, so a poll that waits for it ends too)."""

    def __init__(self, patience: float = 10.0) -> None:
        super().__init__("live-updates-test")
        self.patience = patience
        self.release = threading.Event()
        self.answered = threading.Event()

    def get(self, source_id: str) -> str | None:
        self.release.wait(self.patience)
        self.answered.set()
        raise SecretsError("the keyring gave up")


def test_a_keyring_that_does_not_answer_fails_only_private_sources_and_says_to_unlock_it(
    rig: Rig, server: LoopbackServer
) -> None:
    for name in ("Members", "Staff"):
        rig.add(
            name,
            server.route(f"/{name.lower()}", rss(posts(1)), content_type=RSS),
            auth=AuthKind.BASIC,
            username="reader",
        )
    rig.add("Public", server.route("/public", rss(posts(2, prefix="pub")), content_type=RSS))
    keyring = _HangingKeyring()
    engine = rig.new_engine(secrets=keyring, secret_timeout=1.0)
    try:
        result = engine.poll()
        keyring_still_waiting = not keyring.answered.is_set()
    finally:
        keyring.release.set()
        engine.close()
    by_name = {r.source_name: r for r in result.results}
    assert keyring_still_waiting  # the poll did not wait for the keyring to give up
    assert by_name["Public"].status is PollStatus.OK
    assert [e.source_id for e in rig.db.entries()] == ["id-public"] * 2
    for name in ("Members", "Staff"):
        assert by_name[name].status is PollStatus.ERROR
        error = by_name[name].error
        assert error is not None and "Unlock the keyring" in error
    assert server.requests_for("/members") == [] and server.requests_for("/staff") == []


def test_a_source_removed_during_the_poll_is_not_brought_back(
    rig: Rig, server: LoopbackServer
) -> None:
    """Removed (config, then store, as ``sources remove`` and the settings do) while its
    response is on its way: the poll writes nothing of it, so it stays gone."""
    answer = threading.Event()
    body = rss(posts(3, prefix="gone"))

    def slow(h: BaseHTTPRequestHandler) -> None:
        answer.wait(20)
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    doomed = rig.add("Doomed", server.route("/doomed", handler=slow))
    rig.add("Staying", server.route("/staying", rss(posts(1, prefix="st")), content_type=RSS))
    results: list[object] = []
    poll = threading.Thread(target=lambda: results.append(rig.engine.poll()))
    poll.start()
    try:
        for _ in range(400):  # the request is in flight
            if server.requests_for("/doomed"):
                break
            time.sleep(0.05)
        assert server.requests_for("/doomed")
        rig.config.update(lambda config: without_source(config, doomed.id))
        rig.db.delete_source(doomed.id)
    finally:
        answer.set()
        poll.join(30)
    assert not poll.is_alive() and len(results) == 1
    assert [s.id for s in rig.config.load().sources] == ["id-staying"]
    assert "id-doomed" not in rig.db.source_ids()
    assert "id-doomed" not in rig.db.all_states()
    assert {e.source_id for e in rig.db.entries()} == {"id-staying"}


def test_a_source_that_hangs_never_holds_the_poll_past_the_deadline(
    rig: Rig, server: LoopbackServer
) -> None:
    release = threading.Event()

    def trickle_headers(h: BaseHTTPRequestHandler) -> None:
        for byte in b"HTTP/1.1 304 Not Modified\r\nX-Slow: " + b"a" * 30:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            if release.wait(0.2):
                return
        h.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
        h.wfile.flush()

    rig.add("Hung", server.route("/hung", handler=trickle_headers))
    rig.add("Quick", server.route("/quick", rss(posts(2, prefix="q")), content_type=RSS))
    engine = rig.new_engine(deadline=2.0)
    try:
        by_name = {r.source_name: r for r in engine.poll().results}
    finally:
        release.set()
        engine.close()
    assert by_name["Quick"].status is PollStatus.OK
    assert by_name["Hung"].status is PollStatus.ERROR
    assert by_name["Hung"].error == "timed out after 2 s"


def test_probe_detects_a_feed_and_its_title(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(2), title="Lakeside Council News"), content_type=RSS)
    probe = rig.engine.probe(url)
    assert (probe.url, probe.kind, probe.title) == (url, SourceKind.FEED, "Lakeside Council News")
    assert len(probe.items) == 2


def test_probe_follows_autodiscovery(rig: Rig, server: LoopbackServer) -> None:
    feed = server.route("/feed.xml", rss(posts(1)), content_type=RSS)
    page = server.route(
        "/page",
        "<html><head><title>Town page</title>"
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>'
        "<body><p>Welcome</p></body></html>",
        content_type="text/html; charset=utf-8",
    )
    probe = rig.engine.probe(page)
    assert probe.url == feed and probe.kind is SourceKind.FEED


def test_probe_of_a_page_without_feeds_is_a_clear_error(rig: Rig, server: LoopbackServer) -> None:
    page = server.route(
        "/page",
        "<html><head><title>Plain</title></head><body>Hi</body></html>",
        content_type="text/html",
    )
    with pytest.raises(SourceError):
        rig.engine.probe(page)


def test_probe_sends_credentials_only_to_the_same_origin(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    creds = Credentials(AuthKind.HEADER, "tok", header="X-Api-Key")
    rig.engine.probe(url, creds)
    assert server.requests_for("/feed")[0].headers["x-api-key"] == "tok"


def test_retention_prunes_after_a_poll(rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/feed", rss(posts(6)), content_type=RSS)
    rig.add("Harbour", url)
    config = rig.config.load()
    rig.config.save(replace(config, settings=replace(config.settings, retention_entries=4)))
    rig.engine.poll()
    assert len(rig.db.entries()) == 4
    # The pruned entries are tombstoned: they do not come back as new.
    server.route(
        "/feed", rss([Post("fresh", "Harbour reopens after repairs"), *posts(6)]), content_type=RSS
    )
    assert titles(rig.engine.poll(force=True).new_entries) == ["Harbour reopens after repairs"]


def test_empty_config_polls_nothing(rig: Rig) -> None:
    assert rig.config.load() == Config()
    assert rig.engine.poll().results == ()
    assert rig.engine.next_due_time() is None


def test_the_engine_and_the_cli_do_not_import_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys, widget.engine, widget.cli, widget.cli.format; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_an_interrupted_poll_stops_running_requests_and_writes_nothing_for_them(
    rig: Rig, server: LoopbackServer
) -> None:
    release = threading.Event()

    def hang(h: BaseHTTPRequestHandler) -> None:
        release.wait(30)

    rig.add("Hanging", server.route("/hang", handler=hang))
    rig.add("Quick", server.route("/quick", rss(posts(1)), content_type=RSS))
    cancel = threading.Event()

    class Interrupted(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done == 1:
            raise Interrupted

    try:
        with pytest.raises(Interrupted):
            rig.engine.poll(cancel=cancel, progress=progress)
    finally:
        release.set()
    assert cancel.is_set()  # the hanging request was told to stop
    assert rig.db.get_state("id-hanging").last_checked is None


def test_only_polls_the_named_sources(rig: Rig, server: LoopbackServer) -> None:
    rig.add("One", server.route("/one", rss(posts(1, prefix="one")), content_type=RSS))
    rig.add("Two", server.route("/two", rss(posts(1, prefix="two")), content_type=RSS))
    result = rig.engine.poll(only=["id-two"])
    assert [r.source_name for r in result.results] == ["Two"]
    assert server.requests_for("/one") == []


def test_next_due_time_waits_for_a_servers_retry_after(rig: Rig, server: LoopbackServer) -> None:
    url = server.route(
        "/feed", "busy", status=503, headers={"Retry-After": "7200", "Content-Type": "text/plain"}
    )
    rig.add("Harbour", url, interval_minutes=1)
    rig.engine.poll()
    due = rig.engine.next_due_time()
    assert due is not None and due >= START + timedelta(hours=2)
    [status] = rig.engine.statuses()
    assert status.enabled and status.state.last_error and "503" in status.state.last_error


def test_a_paused_source_is_not_polled(rig: Rig, server: LoopbackServer) -> None:
    rig.add("Paused", server.route("/feed", rss(posts(1)), content_type=RSS), enabled=False)
    assert rig.engine.poll(force=True).results == ()
    assert server.requests_for("/feed") == []
    assert rig.engine.next_due_time() is None


def test_a_cancelled_poll_returns_without_waiting_for_a_silent_server(
    rig: Rig, server: LoopbackServer
) -> None:
    release = threading.Event()
    answered = threading.Event()

    def silent(h: BaseHTTPRequestHandler) -> None:
        release.wait(30)  # sends no response headers until released
        answered.set()

    rig.add("Silent", server.route("/silent", handler=silent))
    rig.add("Quick", server.route("/quick", rss(posts(1)), content_type=RSS))
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            cancel.set()  # as the tray app does when the user quits

    try:
        result = rig.engine.poll(cancel=cancel, progress=progress)
        still_waiting = not answered.is_set()
    finally:
        release.set()
    assert still_waiting  # the poll did not wait for the silent server
    by_name = {r.source_name: r.status for r in result.results}
    assert by_name == {"Silent": PollStatus.CANCELLED, "Quick": PollStatus.OK}
    assert rig.db.get_state("id-silent").last_checked is None
