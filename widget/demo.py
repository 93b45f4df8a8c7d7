"""An embedded live page on 127.0.0.1 for ``live-updates --demo`` (no network needed).

The page is a schema.org ``LiveBlogPosting`` (JSON-LD) with a "Here's what to know" key-points
list, like a news live blog. A new update with 2–4 key points appears every ``interval`` seconds.
Everything on it is invented and says so: it covers a fictional town fair.

The page is a pure function of the elapsed time, so no timer thread is needed: the HTTP server
runs in one daemon thread and each request renders the updates published so far.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from widget import APP_NAME
from widget.core.models import MIN_INTERVAL_MINUTES, Config, Source, SourceKind
from widget.paths import AppPaths
from widget.storage.config import MemoryConfigStore

DEFAULT_INTERVAL_S = 20.0
PAGE_PATH = "/live"
PAGE_TITLE = "Demo live page: Maplewood Town Fair (simulated)"

# (headline, key points): invented, generic, clearly demo content.
_STORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Gates open at the Maplewood Town Fair",
        ("Visitors queue at the north gate.", "The weather is mild and dry."),
    ),
    (
        "Pie contest judges announce a shortlist",
        (
            "Five bakers reach the final round.",
            "Apple and rhubarb lead the entries.",
            "The winner is named at noon.",
        ),
    ),
    (
        "Brass band moves to the main stage",
        ("The set starts 15 minutes late.", "Extra seating is set up near the stage."),
    ),
    (
        "Lost-and-found tent reports a busy morning",
        (
            "Twelve umbrellas handed in so far.",
            "One very patient dog reunited with its owner.",
            "The tent is next to the ticket booth.",
            "It stays open until closing time.",
        ),
    ),
    (
        "Tractor parade route changes",
        ("The parade now ends at the duck pond.", "Main Street stays open to walkers."),
    ),
    (
        "Giant pumpkin weigh-in sets a fair record",
        (
            "The winning pumpkin weighs 412 kg.",
            "It took six volunteers to lift it onto the scale.",
            "Last year's record was 389 kg.",
        ),
    ),
    (
        "Shuttle buses added for the evening",
        ("Buses leave every 10 minutes from the car park.", "The last bus departs at 22:30."),
    ),
    (
        "Fireworks confirmed for tonight",
        (
            "The show starts at 21:00 over the lake.",
            "Organisers suggest arriving early.",
            "The lakeside path closes at 20:30.",
        ),
    ),
)


@dataclass(frozen=True)
class DemoUpdate:
    number: int  # 1, 2, 3, …
    headline: str
    key_points: tuple[str, ...]
    published: datetime

    @property
    def anchor(self) -> str:
        return f"update-{self.number}"


def demo_update(number: int, start: datetime, interval_s: float) -> DemoUpdate:
    """The ``number``-th update (1-based); after the last story the list starts over, marked."""
    headline, points = _STORIES[(number - 1) % len(_STORIES)]
    cycle = (number - 1) // len(_STORIES)
    if cycle:
        headline = f"{headline} (replay {cycle})"
    published = start + timedelta(seconds=interval_s * (number - 1))
    return DemoUpdate(number, f"[Demo] {headline}", points, published)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_page(updates: list[DemoUpdate], url: str, start: datetime) -> str:
    """The live page: JSON-LD, a "Here's what to know" list and the updates, newest first."""
    newest = updates[-1]
    know = [p for u in reversed(updates[-2:]) for p in u.key_points][:4]
    posting = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "url": url,
        "headline": PAGE_TITLE,
        "description": f"A simulated live page that {APP_NAME} serves for its demo.",
        "coverageStartTime": _iso(start),
        "datePublished": _iso(start),
        "dateModified": _iso(newest.published),
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{url}#{u.anchor}",
                "url": f"{url}#{u.anchor}",
                "headline": u.headline,
                "datePublished": _iso(u.published),
                "articleBody": "<ul>"
                + "".join(f"<li>{html.escape(p)}</li>" for p in u.key_points)
                + "</ul>",
            }
            for u in reversed(updates)
        ],
    }
    ld = json.dumps(posting, indent=1).replace("</", "<\\/")
    esc = html.escape
    items = "".join(f"<li>{esc(p)}</li>" for p in know)
    articles = "".join(
        f'<article id="{u.anchor}"><h2>{esc(u.headline)}</h2>'
        f'<time datetime="{_iso(u.published)}">{u.published:%H:%M:%S}</time>'
        f"<ul>{''.join(f'<li>{esc(p)}</li>' for p in u.key_points)}</ul></article>"
        for u in reversed(updates)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(PAGE_TITLE)}</title>"
        f'<link rel="canonical" href="{esc(url)}">'
        f'<script type="application/ld+json">{ld}</script></head><body>'
        f"<h1>{esc(PAGE_TITLE)}</h1>"
        "<p>Everything on this page is invented for the demo.</p>"
        f"<section><h2>Here's what to know</h2><ul>{items}</ul></section>"
        f"<main>{articles}</main></body></html>"
    )


class DemoServer:
    """Serves the demo live page on 127.0.0.1 (random port) from a daemon thread."""

    def __init__(
        self,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        host: str = "127.0.0.1",
        port: int = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval_s = interval_s
        self._mono = monotonic
        self._t0 = monotonic()
        self.start_time = datetime.now(timezone.utc)
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # the app logs, not stderr
                pass

            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != PAGE_PATH:
                    self._reply(404, b"not found", "text/plain")
                    return
                page = render_page(outer.updates(), outer.url, outer.start_time)
                self._reply(200, page.encode("utf-8"), "text/html; charset=utf-8")

            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="demo-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{PAGE_PATH}"

    def count(self) -> int:
        """How many updates are published by now (one at start, then one per interval)."""
        return 1 + int((self._mono() - self._t0) // self.interval_s)

    def updates(self) -> list[DemoUpdate]:
        return [
            demo_update(n, self.start_time, self.interval_s) for n in range(1, self.count() + 1)
        ]

    def start(self) -> DemoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


DEMO_SOURCE_ID = "demo-live-page"


def demo_config_store(paths: AppPaths, url: str) -> MemoryConfigStore:
    """The demo's in-memory config: one live-page source, the demo page at ``url``."""
    source = Source(
        id=DEMO_SOURCE_ID,
        name="Demo live page",
        url=url,
        kind=SourceKind.LIVE_PAGE,
        interval_minutes=MIN_INTERVAL_MINUTES,
    )
    return MemoryConfigStore(paths.config_file, Config(sources=(source,)))
