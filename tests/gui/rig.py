"""A real config file, entry store and engine in one temp folder, for controller tests."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.clock import Clock
from tests.support.store import feed_source
from widget.core.models import Config, Source
from widget.engine.poll import Engine
from widget.storage.config import ConfigStore
from widget.storage.db import Database


class Rig:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clock = Clock()
        self.config = ConfigStore(folder / "config.json")
        self.db = Database.open(folder / "entries.sqlite3")
        self.engine = Engine(self.config, self.db, clock=self.clock, host_gap_s=0)

    def add(self, name: str, url: str, **fields: object) -> Source:
        source = feed_source(name, url, **fields)
        self.config.update(lambda c: replace(c, sources=(*c.sources, source)))
        return source

    def set_sources(self, *sources: Source) -> None:
        self.config.save(Config(sources=sources))

    def close(self) -> None:
        self.engine.close()
        self.db.close()


def trickle_handler(stop: threading.Event, *, seconds: float = 30.0) -> object:
    """Answers 200 and then sends one byte every 50 ms until ``stop`` is set or time runs out:
    a feed that is still downloading when the user quits."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
        h.wfile.flush()
        end = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < end:
            h.wfile.write(b" ")
            h.wfile.flush()
            stop.wait(0.05)

    return handler
