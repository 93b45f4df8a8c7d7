"""Deterministic benchmark feeds and the loopback server that serves them.

Feed ``n`` of ``count`` is RSS 2.0 for the first half and Atom for the second; each has
``entries`` entries of about 2 KB of HTML with a key-points bullet list. All text is invented
from a fixed vocabulary with a seeded generator, so every run serves the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from xml.sax.saxutils import escape

from tests.support.server import QuietHTTPServer

WORDS = (
    "council",
    "harbour",
    "bridge",
    "vote",
    "ferry",
    "storm",
    "river",
    "budget",
    "minister",
    "rescue",
    "crews",
    "station",
    "market",
    "tunnel",
    "signal",
    "valley",
    "summit",
    "report",
    "schools",
    "runway",
    "orchard",
    "lantern",
    "museum",
    "engineers",
    "festival",
    "quarry",
    "canal",
    "pilots",
    "volunteers",
    "forecast",
    "turbine",
    "library",
    "estate",
    "committee",
    "harvest",
    "transit",
    "observatory",
    "dockside",
    "village",
    "archive",
    "reservoir",
    "clinic",
    ").split(",
)
HEADINGS = ("Key points", "What we know", "Here's what to know", "Latest developments")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def entry_html(rng: random.Random) -> str:
    """About 2 KB: two paragraphs, a heading, a five-item bullet list, a closing paragraph."""
    intro = " ".join(_sentence(rng, 12) for _ in range(4))
    bullets = "".join(f"<li>{_sentence(rng, 14)}</li>" for _ in range(5))
    body = " ".join(_sentence(rng, 14) for _ in range(5))
    more = " ".join(_sentence(rng, 12) for _ in range(3))
    return (
        f"<p>{intro}</p><h3>{rng.choice(HEADINGS)}</h3><ul>{bullets}</ul>"
        f'<p>{body} <a href="/more">Read more</a>.</p><p><em>{more}</em></p>'
    )


@dataclass(frozen=True)
class Feed:
    path: str
    body: bytes
    content_type: str
    etag: str
    last_modified: str


def _base_time() -> datetime:
    """Entries are dated within the last day, so retention keeps every one of them."""
    now = datetime.now(timezone.utc)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def make_feed(n: int, count: int, entries: int, base_url: str, base: datetime) -> Feed:
    rng = random.Random(f"feed-{n}")
    atom = n >= count // 2
    items = []
    for m in range(entries):
        when = base - timedelta(minutes=5 * m)
        title = escape(_sentence(rng, 7).rstrip("."))
        html = entry_html(rng)
        link = f"{base_url}/story/{n}/{m}"
        if atom:
            items.append(
                f"<entry><title>{title}</title><id>urn:bench:{n}:{m}</id>"
                f'<link rel="alternate" href="{link}"/>'
                f"<updated>{when.isoformat()}</updated><published>{when.isoformat()}</published>"
                f'<content type="html">{escape(html)}</content></entry>'
            )
        else:
            items.append(
                f"<item><title>{title}</title><link>{link}</link>"
                f'<guid isPermaLink="false">bench-{n}-{m}</guid>'
                f"<pubDate>{format_datetime(when)}</pubDate>"
                f"<description><![CDATA[{html}]]></description></item>"
            )
    if atom:
        text = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Bench live desk {n}</title><id>urn:bench:{n}</id>"
            f'<link rel="alternate" href="{base_url}/desk/{n}"/>'
            f"<updated>{base.isoformat()}</updated>" + "".join(items) + "</feed>"
        )
        content_type = "application/atom+xml; charset=utf-8"
        path = f"/feed/{n}.atom"
    else:
        text = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Bench live desk {n}</title><link>{base_url}/desk/{n}</link>"
            f"<description>Invented updates for the benchmark</description>"
            + "".join(items)
            + "</channel></rss>"
        )
        content_type = "application/rss+xml; charset=utf-8"
        path = f"/feed/{n}.rss"
    body = text.encode("utf-8")
    return Feed(
        path=path,
        body=body,
        content_type=content_type,
        etag='"' + hashlib.sha1(body).hexdigest() + '"',
        last_modified=format_datetime(base, usegmt=True),
    )


class Counters:
    """Responses by status since the last reset (the bench checks that warm means 304)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[int, int] = {}

    def add(self, status: int) -> None:
        with self._lock:
            self._counts[status] = self._counts.get(status, 0) + 1

    def take(self) -> dict[int, int]:
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts


class FeedServer:
    """A ThreadingHTTPServer on 127.0.0.1 with ETag / Last-Modified and 304 answers.

    ``GET /_stats`` returns (and resets) the response counts as JSON.
    """

    def __init__(self, count: int = 200, entries: int = 50) -> None:
        self.count = count
        self.entries = entries
        self.counters = Counters()
        self._feeds: dict[str, Feed] = {}
        self._httpd = QuietHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def urls(self) -> list[str]:
        return [self.base_url + path for path in self._feeds]

    @property
    def total_bytes(self) -> int:
        return sum(len(f.body) for f in self._feeds.values())

    def __enter__(self) -> FeedServer:
        base = _base_time()
        for n in range(self.count):
            feed = make_feed(n, self.count, self.entries, self.base_url, base)
            self._feeds[feed.path] = feed
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # the bench prints its own summary; per-request lines would drown it

            def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/_stats":
                    counts = {str(k): v for k, v in server.counters.take().items()}
                    body = json.dumps(counts).encode()
                    self._send(200, {"Content-Type": "application/json"}, body)
                    return
                feed = server._feeds.get(self.path)
                if feed is None:
                    server.counters.add(404)
                    self._send(404, {"Content-Type": "text/plain"}, b"no such feed\n")
                    return
                validators = {"ETag": feed.etag, "Last-Modified": feed.last_modified}
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (inm is not None and feed.etag in inm) or (
                    inm is None and ims == feed.last_modified
                ):
                    server.counters.add(304)
                    self._send(304, validators)
                    return
                server.counters.add(200)
                self._send(200, {"Content-Type": feed.content_type, **validators}, feed.body)

            do_HEAD = do_GET

        return Handler
