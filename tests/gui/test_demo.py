"""The demo live page: a real LiveBlogPosting the live-page parser reads, growing over time."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime, timezone

from widget.demo import DemoServer, demo_update
from widget.sources.liveblog import parse_live_page


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _parse(server: DemoServer) -> list[tuple[str, tuple[str, ...]]]:
    with urllib.request.urlopen(server.url, timeout=10) as response:
        body = response.read()
        headers = {k.lower(): v for k, v in response.headers.items()}
    parsed = parse_live_page(body, headers, server.url)
    return [(i.title, i.key_points) for i in parsed.items if not i.is_page]


def test_a_new_update_with_key_points_every_interval() -> None:
    ticks = Ticks()
    with DemoServer(interval_s=20, monotonic=ticks) as server:
        assert server.url.startswith("http://127.0.0.1:")
        first = _parse(server)
        assert len(first) == 1
        ticks.now = 41  # two intervals later
        updates = _parse(server)
        assert len(updates) == 3
        assert updates[-1] == first[0]  # newest first; the first update is unchanged
        for title, points in updates:
            assert title.startswith("[Demo]")
            assert 2 <= len(points) <= 4


def test_updates_keep_coming_after_the_stories_run_out() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    late = demo_update(50, start, 20)
    assert "(replay" in late.headline
    assert late.published > start


def test_other_paths_are_not_found() -> None:
    with DemoServer() as server:
        url = server.url.replace("/live", "/other")
        try:
            urllib.request.urlopen(url, timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
        else:
            raise AssertionError("expected 404")
