"""Runs the app's poll worker (PollLoop) once in its own process for the kill -9 test.

``python -m tests.gui.crash_worker FOLDER``: prints one JSON line per hand-over — entries
recovered from an earlier run and the new entries of the poll — and exits after the poll."""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime
from pathlib import Path

from widget.core.models import Entry, PollResult, SourceStatus
from widget.engine.poll import Engine
from widget.gui.controller import NotifiedLedger, PollLoop
from widget.storage.config import ConfigStore
from widget.storage.db import Database


def _say(event: str, entries: tuple[Entry, ...] = ()) -> None:
    keys = [[e.source_id, e.id] for e in entries if e.notify and not e.baseline]
    print(json.dumps({"event": event, "keys": keys}), flush=True)


class Printer:
    def __init__(self) -> None:
        self.finished = threading.Event()

    def poll_started(self, force: bool) -> None:
        _say("started")

    def progress(self, done: int, total: int) -> None:
        pass

    def polled(self, result: PollResult, away: bool) -> None:
        _say("polled", result.new_entries)

    def recovered(self, entries: tuple[Entry, ...]) -> None:
        _say("recovered", entries)

    def failed(self, message: str) -> None:
        print(json.dumps({"event": "failed", "message": message}), flush=True)

    def scheduled(self, due: datetime | None) -> None:
        self.finished.set()

    def unread(self, count: int) -> None:
        pass

    def recent(self, entries: list[Entry]) -> None:
        pass

    def statuses(self, statuses: list[SourceStatus]) -> None:
        pass


def main(folder: Path) -> int:
    db = Database.open(folder / "entries.sqlite3")
    engine = Engine(ConfigStore(folder / "config.json"), db)
    printer = Printer()
    loop = PollLoop(engine, db, printer, ledger=NotifiedLedger(folder / "notified-until"))
    loop.start()
    loop.poll(force=True)
    printer.finished.wait(60)
    loop.stop()
    engine.close()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
