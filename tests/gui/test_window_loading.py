"""The key-points window keeps up with the store without stalling: a hidden window reads nothing
until it is shown, and after a poll the store is read on the controller's worker thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from tests.gui.rig import Rig
from tests.gui.window_data import HARBOUR, NOW, SKY, SOURCES, fill
from tests.support.store import add_items
from widget.core.models import Item
from widget.gui.poller import Poller
from widget.gui.window.reloader import RELOAD_DELAY_MS
from widget.gui.window.window import KeyPointsWindow
from widget.storage.db import Database
from widget.storage.search import EntryPage


def clock() -> datetime:
    return NOW + timedelta(minutes=1)


class ThreadRecorder:
    """The window's read-only store, noting which threads read it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.threads: list[str] = []

    def entry_page(self, **query: Any) -> EntryPage:
        self.threads.append(threading.current_thread().name)
        return self.db.entry_page(**query)


class HeldJobs:
    """A worker whose jobs run when the test says so, on a thread of their own."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def __call__(self, _what: str, job: Callable[[], None]) -> None:
        self.jobs.append(job)

    def run_all(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            thread = threading.Thread(target=job, name="held-worker")
            thread.start()
            thread.join()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    rig.set_sources(*(replace(s, enabled=False) for s in SOURCES))  # no polling: no network
    fill(rig.db, now=datetime.now().astimezone())  # recent: the engine's retention keeps it
    yield rig
    rig.close()


@pytest.fixture
def reader(rig: Rig) -> Iterator[Database]:
    db = Database.open(rig.db.path, readonly=True)
    yield db
    db.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def store_news(db: Database, *ids: str) -> None:
    items = [
        Item(i, f"Breaking item {i}", f"https://example.test/{i}", published=NOW, key_points=("A",))
        for i in ids
    ]
    add_items(db, HARBOUR, items, now=datetime.now().astimezone())


def test_a_hidden_window_reads_the_store_only_when_shown(
    qtbot: QtBot, rig: Rig, reader: Database, settings: QSettings
) -> None:
    recorder = ThreadRecorder(reader)
    window = KeyPointsWindow(recorder, settings=settings, clock=clock)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.hide()
    reads = len(recorder.threads)
    store_news(rig.db, "while-hidden")
    window.schedule_reload()  # a poll finished
    qtbot.wait(RELOAD_DELAY_MS * 3)
    assert len(recorder.threads) == reads
    assert window.model.row_of((HARBOUR.id, "while-hidden")) < 0
    window.show()
    qtbot.waitUntil(lambda: window.model.row_of((HARBOUR.id, "while-hidden")) >= 0)
    assert len(recorder.threads) == reads + 1


def test_after_a_poll_the_store_is_read_on_the_worker_keeping_the_selection(
    qtbot: QtBot, rig: Rig, reader: Database, settings: QSettings
) -> None:
    recorder = ThreadRecorder(reader)
    ctl = Poller(rig.engine, rig.db, watch_network=False)
    window = KeyPointsWindow(recorder, settings=settings, clock=clock, submit=ctl.run_in_worker)
    qtbot.addWidget(window)
    try:
        ctl.start()
        window.show()
        qtbot.waitExposed(window)
        assert window.select_key((SKY.id, "sky-1"))
        store_news(rig.db, "fresh-1", "fresh-2")
        with qtbot.waitSignal(window.model.modelReset, timeout=20_000):
            window.schedule_reload()
        assert window.model.row_of((HARBOUR.id, "fresh-2")) >= 0
        assert window.current_key() == (SKY.id, "sky-1")
        assert recorder.threads[-1] == "live-updates-worker"
        assert threading.main_thread().name not in recorder.threads[1:]
    finally:
        assert ctl.shutdown()


def test_a_read_mark_made_while_the_store_is_being_read_is_not_undone(
    qtbot: QtBot, rig: Rig, reader: Database, settings: QSettings
) -> None:
    worker = HeldJobs()
    window = KeyPointsWindow(reader, settings=settings, clock=clock, submit=worker)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    store_news(rig.db, "fresh-1")
    window.schedule_reload()
    qtbot.waitUntil(lambda: bool(worker.jobs))
    key = (HARBOUR.id, "harbour-1")
    window.set_read([key], True)  # the store takes this mark after the read under way
    worker.run_all()
    qtbot.wait(50)  # the outdated result arrives and is dropped
    row = window.model.row_of(key)
    assert row >= 0 and window.model.row_at(row)[1] is not None
    rec = window.model.row_at(row)[1]
    assert rec is not None and rec.read
    rig.db.set_read(*key)  # the mark reaches the store; its refresh shows the new entry
    window.schedule_reload()
    qtbot.waitUntil(lambda: bool(worker.jobs))
    worker.run_all()
    qtbot.waitUntil(lambda: window.model.row_of((HARBOUR.id, "fresh-1")) >= 0)
    rec = window.model.row_at(window.model.row_of(key))[1]
    assert rec is not None and rec.read


def test_a_search_typed_while_the_store_is_being_read_still_filters_the_new_rows(
    qtbot: QtBot, rig: Rig, reader: Database, settings: QSettings
) -> None:
    worker = HeldJobs()
    window = KeyPointsWindow(reader, settings=settings, clock=clock, submit=worker)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    store_news(rig.db, "ferry-news", "other-news")
    window.schedule_reload()
    qtbot.waitUntil(lambda: bool(worker.jobs))
    qtbot.keyClicks(window.search, "FERRY")  # the read under way grouped for no search
    worker.run_all()
    qtbot.waitUntil(lambda: window.model.row_of((HARBOUR.id, "ferry-news")) >= 0)
    shown = [window.model.index(r).data() for r in range(window.model.rowCount())]
    assert shown == ["Breaking item ferry-news", "Ferry timetable changes from Monday"]
