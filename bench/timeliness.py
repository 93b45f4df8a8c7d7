"""Timeliness benchmark: how soon a published update reaches the store (and so the notifier), and
how politely, with the adaptive schedule side by side with today's fixed intervals.

    python -m bench.timeliness [--runs 3] [--quiet-hours 3] [--seed 11]

A loopback live page (schema.org LiveBlogPosting, ``ETag`` and ``Cache-Control: max-age=30``,
answering 304 to ``If-None-Match``) and an RSS feed (``ETag``) publish on a seeded random
schedule: an ordinary pace for 3 hours (every 20–40 min), a busy hour (an update every 1–4 min),
then quiet. Both are polled by the real engine (real HTTP on 127.0.0.1, real SQLite, the real
schedule) with its clock accelerated: the clock is injected and jumps to each next due time, so
the story runs in seconds. The same schedule
is run twice in one run: **auto** (the default settings) and **fixed** (``schedule: fixed``, the
5 / 15 min intervals of before). Figures are medians over ``--runs`` seeds.

Delay is measured from an update's publish time to the poll that stored it — the poll hands the
new entry to the notifier at once (its rate limit of one notification per 5 s adds at most 5 s
when several arrive together, equally for both schedules).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from widget.core.models import Config, IntervalMode, Settings, Source, SourceKind
from widget.engine.poll import Engine
from widget.storage.config import ConfigStore
from widget.storage.db import Database

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
BUSY = timedelta(hours=1)
TARGET_MEDIAN_S = 35.0
TARGET_P90_S = 60.0
TARGET_ACTIVE_PER_H = 60.0
TARGET_QUIET_PER_H = 4.0


class VirtualClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Story:
    """What a source publishes, and what its server saw."""

    path: str
    kind: SourceKind
    times: list[datetime]
    clock: VirtualClock
    requests: list[tuple[datetime, bool]] = field(default_factory=list)  # (when, conditional)
    bytes_sent: int = 0

    def published(self) -> list[tuple[int, datetime]]:
        return [(i, t) for i, t in enumerate(self.times) if t <= self.clock.now]

    def body(self, base: str) -> tuple[bytes, str]:
        items = self.published()
        tag = hashlib.sha256(repr(items).encode()).hexdigest()[:16]
        if self.kind is SourceKind.LIVE_PAGE:
            url = base + self.path
            posting = {
                "@context": "https://schema.org",
                "@type": "LiveBlogPosting",
                "@id": url,
                "headline": "Storm watch: live",
                "liveBlogUpdate": [
                    {
                        "@type": "BlogPosting",
                        "@id": f"{url}#u{i}",
                        "headline": f"Update {i}: the river at gauge {i}",
                        "articleBody": f"Update {i}. Crews report from the embankment.",
                        "datePublished": t.isoformat(),
                    }
                    for i, t in reversed(items[-50:])
                ],
            }
            html = (
                "<html><head><title>Storm watch</title>"
                f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
                "<body><main><p>Live coverage.</p></main></body></html>"
            )
            return html.encode(), tag
        entries = "".join(
            f"<item><guid>n{i}</guid><title>Notice {i}: road {i} closed</title>"
            f"<link>http://127.0.0.1/n{i}</link>"
            f"<pubDate>{t.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
            for i, t in reversed(items[-30:])
        )
        rss = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Road notices</title>'
            f"<link>http://127.0.0.1/</link>{entries}</channel></rss>"
        )
        return rss.encode(), tag


def publish_times(rng: random.Random) -> list[datetime]:
    """An ordinary pace before (an update every 20–40 min for 3 hours), then updates every
    1–4 min for the busy hour, then none."""
    times: list[datetime] = []
    t = START - timedelta(minutes=2)
    while t > START - timedelta(hours=3):
        times.insert(0, t)
        t -= timedelta(minutes=rng.uniform(20, 40))
    t = START
    while True:
        t += timedelta(seconds=rng.uniform(60, 240))
        if t >= START + BUSY:
            break
        times.append(t)
    return times


def serve(stories: dict[str, Story]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            story = stories[self.path]
            base = f"http://{self.headers['Host']}"
            body, tag = story.body(base)
            etag = f'"{tag}"'
            conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
            story.requests.append((story.clock.now, conditional))
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            ctype = (
                "text/html; charset=utf-8"
                if story.kind is SourceKind.LIVE_PAGE
                else "application/rss+xml"
            )
            self.send_header("Content-Type", ctype)
            self.send_header("ETag", etag)
            if story.kind is SourceKind.LIVE_PAGE:
                self.send_header("Cache-Control", "max-age=30")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            story.bytes_sent += len(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Figures:
    delays: dict[SourceKind, list[float]]
    stories: dict[SourceKind, Story]


def run_once(mode: IntervalMode, seed: int, quiet_hours: float, folder: Path) -> Figures:
    rng = random.Random(seed)
    clock = VirtualClock()
    stories = {
        "/live": Story("/live", SourceKind.LIVE_PAGE, publish_times(rng), clock),
        "/feed": Story("/feed", SourceKind.FEED, publish_times(rng), clock),
    }
    server = serve(stories)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = ConfigStore(folder / "config.json")
    config.save(
        Config(
            settings=Settings(schedule=mode),
            sources=tuple(
                Source(f"s{path[1:]}", path[1:], base + path, story.kind)
                for path, story in stories.items()
            ),
        )
    )
    db = Database.open(folder / "entries.sqlite3")
    # Live page and feed are two sources on one host: pacing them 2 s apart would cost real
    # seconds here and changes no virtual-time figure, so the gap is off in this run.
    engine = Engine(config, db, clock=clock, rng=random.Random(seed), host_gap_s=0.0)
    end = START + BUSY + timedelta(hours=quiet_hours)
    delays: dict[SourceKind, list[float]] = {SourceKind.LIVE_PAGE: [], SourceKind.FEED: []}
    by_id = {f"s{path[1:]}": story for path, story in stories.items()}
    try:
        engine.poll()  # the first look: a silent baseline at START
        while True:
            due = engine.next_due_time()
            if due is None or due > end:
                break
            clock.now = max(clock.now, due)
            result = engine.poll()
            for entry in result.new_entries:
                story = by_id[entry.source_id]
                assert entry.published is not None
                delays[story.kind].append((clock.now - entry.published).total_seconds())
    finally:
        engine.close()
        db.close()
        server.shutdown()
        server.server_close()
    return Figures(delays, {s.kind: s for s in stories.values()})


def per_hour(story: Story, start: datetime, end: datetime) -> float:
    count = sum(1 for when, _c in story.requests if start <= when < end)
    return count / ((end - start).total_seconds() / 3600)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(fig: Figures, kind: SourceKind, quiet_hours: float) -> dict[str, float]:
    story = fig.stories[kind]
    delays = fig.delays[kind]
    after = story.requests[1:]  # the first look has no validators yet
    quiet_from = START + BUSY + timedelta(hours=2)
    quiet_to = START + BUSY + timedelta(hours=quiet_hours)
    return {
        "median": statistics.median(delays) if delays else float("nan"),
        "p90": pct(delays, 0.9),
        "max": max(delays, default=float("nan")),
        "active": per_hour(story, START, START + BUSY),
        "quiet": per_hour(story, quiet_from, quiet_to) if quiet_to > quiet_from else float("nan"),
        "conditional": 100.0 * sum(c for _w, c in after) / max(1, len(after)),
        "requests": float(len(story.requests)),
        "kb": story.bytes_sent / 1024,
        "updates": float(len(delays)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="seeds (medians are printed)")
    parser.add_argument("--quiet-hours", type=float, default=3.0, help="quiet stretch after")
    parser.add_argument("--seed", type=int, default=11, help="the first seed")
    args = parser.parse_args(argv)

    rows: dict[tuple[IntervalMode, SourceKind], list[dict[str, float]]] = {}
    for run in range(args.runs):
        for mode in (IntervalMode.AUTO, IntervalMode.FIXED):
            with tempfile.TemporaryDirectory(prefix="lu-bench-") as tmp:
                fig = run_once(mode, args.seed + run, args.quiet_hours, Path(tmp))
            for kind in (SourceKind.LIVE_PAGE, SourceKind.FEED):
                rows.setdefault((mode, kind), []).append(summarise(fig, kind, args.quiet_hours))

    def med(mode: IntervalMode, kind: SourceKind, key: str) -> float:
        return statistics.median(r[key] for r in rows[(mode, kind)])

    print(
        f"Timeliness: busy hour (an update every 1–4 min) then {args.quiet_hours:g} quiet hours;"
        f" medians of {args.runs} seeded runs; clock accelerated, real HTTP on 127.0.0.1"
    )
    header = (
        f"{'source':9} {'schedule':8} {'median s':>9} {'p90 s':>7} {'max s':>7} "
        f"{'req/h busy':>10} {'req/h quiet*':>12} {'cond %':>7} {'requests':>8} {'KB':>7}"
    )
    print(header)
    print("-" * len(header))
    for kind, label in ((SourceKind.LIVE_PAGE, "live page"), (SourceKind.FEED, "feed")):
        for mode in (IntervalMode.AUTO, IntervalMode.FIXED):
            print(
                f"{label:9} {mode.value:8} {med(mode, kind, 'median'):9.0f} "
                f"{med(mode, kind, 'p90'):7.0f} {med(mode, kind, 'max'):7.0f} "
                f"{med(mode, kind, 'active'):10.0f} {med(mode, kind, 'quiet'):12.1f} "
                f"{med(mode, kind, 'conditional'):7.0f} {med(mode, kind, 'requests'):8.0f} "
                f"{med(mode, kind, 'kb'):7.0f}"
            )
    print("* from 2 quiet hours on. cond %: requests after the first that sent a validator.")

    live = SourceKind.LIVE_PAGE
    checks = [
        ("live median ≤ 35 s", med(IntervalMode.AUTO, live, "median") <= TARGET_MEDIAN_S),
        ("live p90 ≤ 60 s", med(IntervalMode.AUTO, live, "p90") <= TARGET_P90_S),
        ("live ≤ 60 req/h busy", med(IntervalMode.AUTO, live, "active") <= TARGET_ACTIVE_PER_H),
        ("live ≤ 4 req/h quiet", med(IntervalMode.AUTO, live, "quiet") <= TARGET_QUIET_PER_H),
        ("live 100 % conditional", med(IntervalMode.AUTO, live, "conditional") >= 100.0),
        (
            "feed median ≤ ½ fixed",
            med(IntervalMode.AUTO, SourceKind.FEED, "median")
            <= 0.5 * med(IntervalMode.FIXED, SourceKind.FEED, "median"),
        ),
    ]
    print("Targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
