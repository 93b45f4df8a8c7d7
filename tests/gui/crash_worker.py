"""Runs the app's poller once in its own process for the kill -9 test.

``python -m tests.gui.crash_worker FOLDER``: prints one JSON line per hand-over — entries
recovered from an earlier run and the new entries of the poll — and exits after the poll."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from widget.core.models import Entry, PollResult
from widget.engine.poll import Engine
from widget.gui.ledger import NotifiedLedger
from widget.gui.poller import Poller
from widget.storage.config import ConfigStore
from widget.storage.db import Database


def _say(event: str, entries: tuple[Entry, ...] = ()) -> None:
    keys = [[e.source_id, e.id] for e in entries if e.notify and not e.baseline]
    print(json.dumps({"event": event, "keys": keys}), flush=True)


def main(folder: Path) -> int:
    qt = QCoreApplication([sys.argv[0]])
    db = Database.open(folder / "entries.sqlite3")
    engine = Engine(ConfigStore(folder / "config.json"), db, host_gap_s=0)
    poller = Poller(
        engine, db, ledger=NotifiedLedger(folder / "notified-until"), watch_network=False
    )

    def polled(result: PollResult, _away: bool) -> None:
        _say("polled", result.new_entries)

    def scheduled(_due: datetime | None) -> None:
        qt.exit(0)

    poller.poll_started.connect(lambda _force: _say("started"))
    poller.recovered.connect(lambda entries: _say("recovered", entries))
    poller.stored_elsewhere.connect(lambda entries: _say("elsewhere", entries))
    poller.polled.connect(polled)
    poller.failed.connect(
        lambda message: print(json.dumps({"event": "failed", "message": message}), flush=True)
    )
    poller.next_poll_changed.connect(scheduled)
    poller.start()
    qt.exec()
    poller.shutdown()
    engine.close()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
