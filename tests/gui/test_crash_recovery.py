"""kill -9 during a poll, then a restart: no entry is handed over twice and none is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.gui.rig import Rig
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.server import LoopbackServer
from widget.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]


def _held_feed(release: threading.Event, body: bytes) -> object:
    """A feed that answers only once ``release`` is set (or after 30 s)."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        release.wait(30)
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


def _run_worker(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gui.crash_worker", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _keys(output: str) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for line in output.splitlines():
        event = json.loads(line)
        assert event["event"] != "failed", event
        keys.extend((k[0], k[1]) for k in event.get("keys", []))
    return keys


def _stored(folder: Path, source_id: str) -> int:
    db = Database.open(folder / "entries.sqlite3", readonly=True)
    try:
        return len(db.entries(source_id=source_id))
    finally:
        db.close()


def test_kill_during_poll_then_restart_hands_over_each_entry_once(
    tmp_path: Path, server: LoopbackServer
) -> None:
    rig = Rig(tmp_path)
    fast = rig.add("Harbour", server.route("/a", rss(posts(2, "a")), content_type=RSS))
    slow = rig.add("Valley", server.route("/b", rss(posts(2, "b")), content_type=RSS))
    rig.engine.poll()  # the silent baseline of both sources
    rig.close()

    server.route(
        "/a",
        rss(
            [
                Post("a-4", "Harbour lights switched on early"),
                Post("a-3", "Ferry timetable gains a late crossing"),
                *posts(2, "a"),
            ]
        ),
        content_type=RSS,
    )
    release = threading.Event()
    valley = rss([Post("b-3", "Valley road reopens after repairs"), *posts(2, "b")])
    server.route("/b", handler=_held_feed(release, valley))  # type: ignore[arg-type]

    first = _run_worker(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while _stored(tmp_path, fast.id) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _stored(tmp_path, fast.id) == 4, "the first run never stored the fast source"
        assert first.poll() is None, "the first run ended before it could be killed mid-poll"
        os.kill(first.pid, signal.SIGKILL)
        out1, _ = first.communicate(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == -signal.SIGKILL
    release.set()

    second = _run_worker(tmp_path)
    out2, _ = second.communicate(timeout=60)
    assert second.returncode == 0

    handed = _keys(out1) + _keys(out2)
    assert sorted(handed) == sorted([(fast.id, "a-3"), (fast.id, "a-4"), (slow.id, "b-3")]), (
        f"first run: {out1!r}; second run: {out2!r}"
    )
