"""A live page's "What to know" list changing, end to end: the real engine polls a loopback page,
the dispatcher asks the policy, and a real dunst on a private bus shows the notification."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.support.clock import Clock
from tests.support.notify_session import NotifySession
from tests.support.server import LoopbackServer
from widget.core.models import Config, Settings, Source, SourceKind
from widget.core.policy import KEY_POINTS_SUMMARY
from widget.engine.poll import Engine
from widget.gui.dispatch import Dispatcher
from widget.notify.base import Notifier
from widget.notify.freedesktop import FreedesktopBackend
from widget.storage.config import ConfigStore
from widget.storage.db import Database

pytestmark = pytest.mark.e2e

START = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
HTML = "text/html; charset=utf-8"


def page(url: str, points: list[str], headline: str = "Rain starts") -> str:
    posting = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "headline": "Flood watch: live",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "@id": url + "#u1", "headline": headline,
             "articleBody": "The river rose overnight.", "datePublished": START.isoformat()},
        ],
    }  # fmt: skip
    items = "".join(f"<li>{p}</li>" for p in points)
    return (
        "<html><head><title>Flood watch</title>"
        f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
        f"<body><h2>What to know</h2><ul>{items}</ul></body></html>"
    )


@pytest.fixture
def rig(
    tmp_path: Path, server: LoopbackServer, notify_session: NotifySession, qtbot: QtBot
) -> Iterator[tuple[Engine, Dispatcher, LoopbackServer, Clock]]:
    url = server.url("/live")
    server.route("/live", page(url, ["Roads close at seven", "Trams run late"]), content_type=HTML)
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=(Source("flood", "Flood watch", url, SourceKind.LIVE_PAGE),)))
    db = Database.open(tmp_path / "entries.sqlite3")
    clock = Clock(START)
    engine = Engine(config, db, clock=clock, rng=random.Random(1), host_gap_s=0)
    notifier = Notifier([FreedesktopBackend(bus=notify_session.bus_address)])
    dispatcher = Dispatcher(notifier, Settings(), clock=lambda: clock.now.astimezone())
    engine.poll()  # the silent baseline
    try:
        yield engine, dispatcher, server, clock
    finally:
        notifier.close()
        engine.close()
        db.close()


def poll_and_dispatch(engine: Engine, dispatcher: Dispatcher, clock: Clock) -> int:
    clock.now += timedelta(minutes=2)
    result = engine.poll(force=True)
    dispatcher.offer(result.new_entries)
    return dispatcher.offer_key_points(result.key_points_changes)


def test_a_gained_point_notifies_once_and_replaces_the_previous_one(
    rig: tuple[Engine, Dispatcher, LoopbackServer, Clock], notify_session: NotifySession
) -> None:
    engine, dispatcher, server, clock = rig
    url = server.url("/live")
    points = ["Roads close at seven", "Trams run late"]

    server.route("/live", page(url, [*points, "Ferries cancelled"]), content_type=HTML)
    assert poll_and_dispatch(engine, dispatcher, clock) == 1
    [first] = notify_session.wait_records(1)
    assert first["DUNST_SUMMARY"] == KEY_POINTS_SUMMARY
    assert first["DUNST_BODY"] == "Flood watch\n• Ferries cancelled"  # the new point only

    server.route(
        "/live", page(url, [*points, "Ferries cancelled", "Schools shut"]), content_type=HTML
    )
    assert poll_and_dispatch(engine, dispatcher, clock) == 1
    records = notify_session.wait_records(2)
    assert records[-1]["DUNST_BODY"] == "Flood watch\n• Schools shut"
    # The second replaced the first on screen: one notification shown, the same id.
    assert records[-1]["DUNST_ID"] == first["DUNST_ID"]
    assert notify_session.displayed() == 1

    # An edit of an ordinary entry (its headline) stays silent.
    server.route(
        "/live",
        page(url, [*points, "Ferries cancelled", "Schools shut"], headline="Rain starts early"),
        content_type=HTML,
    )
    assert poll_and_dispatch(engine, dispatcher, clock) == 0
    assert len(notify_session.records()) == 2


def test_the_per_source_switch_turns_it_off(
    rig: tuple[Engine, Dispatcher, LoopbackServer, Clock],
    notify_session: NotifySession,
    tmp_path: Path,
) -> None:
    engine, dispatcher, server, clock = rig
    store = ConfigStore(tmp_path / "config.json")
    config = store.load()
    store.save(replace(config, sources=(replace(config.sources[0], notify_key_points=False),)))
    url = server.url("/live")
    server.route(
        "/live", page(url, ["Roads close at seven", "Trams run late", "Ferries cancelled"]),
        content_type=HTML,
    )  # fmt: skip
    assert poll_and_dispatch(engine, dispatcher, clock) == 0
    assert notify_session.records() == []
