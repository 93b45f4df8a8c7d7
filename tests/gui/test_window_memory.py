"""The key-points window stays lean over a big store without changing what it shows: search text
exists only while a search is typed (matched newest first, the rest a slice at a time), key points
stay in their stored form until painted, and measured heights follow an entry's edits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from tests.gui.window_data import HARBOUR, NOW, SKY
from widget.core.models import FetchState, Item, Source
from widget.gui import entries_model
from widget.gui.entries_model import POINTS_ROLE, EntriesModel
from widget.gui.entry_delegate import EntryDelegate
from widget.gui.window import KeyPointsWindow
from widget.storage.db import Database

COUNT = 600  # entries per source: far more than one slice of search text


def store(db: Database, source: Source, items: list[Item]) -> None:
    db.apply_items(
        source,
        items,
        now=NOW,
        baseline=False,
        notify=lambda _i: True,
        state=FetchState(source.id),
    )


def numbered(source: Source, topic: str) -> list[Item]:
    return [
        Item(
            f"{source.id}-{n}",
            f"Report {n} on the {topic}",
            f"https://example.test/{source.id}/{n}",
            published=NOW - timedelta(minutes=2 * n + (source is SKY)),
            key_points=(f"Crews checked the {topic} again", f"Next check in {n % 7} days"),
        )
        for n in range(COUNT)
    ]


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Database]:
    """A read-only store of two sources, COUNT entries each, their times interleaved."""
    path = tmp_path / "entries.sqlite3"
    with Database.open(path) as db:
        store(db, HARBOUR, numbered(HARBOUR, "harbour wall"))
        store(db, SKY, numbered(SKY, "storm drains"))
    reader = Database.open(path, readonly=True)
    yield reader
    reader.close()


def titles(model: EntriesModel) -> list[str]:
    return [str(model.index(r).data()) for r in range(model.rowCount())]


def with_search_text(model: EntriesModel) -> int:
    return sum(1 for rec in model.shown_recs() if rec.has_hay)


def test_a_search_shows_the_newest_matches_first_then_every_match(
    qtbot: QtBot, big: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entries_model, "FIRST_SEARCH_S", 0.0)  # the first slice only
    model = EntriesModel(big, clock=lambda: NOW)
    model.reload()
    expected = [f"Report {n} on the storm drains" for n in range(COUNT)]
    model.set_search("STORM  drains")
    first = titles(model)
    assert 0 < len(first) < COUNT
    assert first == expected[: len(first)]  # the newest matches, in order
    assert not model.searching_all
    while not model.build_search_text(0.0):
        pass
    assert model.searching_all
    assert titles(model) == expected
    model.set_search("next check in 6 days")
    assert titles(model)[:2] == ["Report 6 on the harbour wall", "Report 6 on the storm drains"]


def test_search_text_is_built_only_while_searching_and_dropped_after(
    qtbot: QtBot, big: Database
) -> None:
    model = EntriesModel(big, clock=lambda: NOW)
    model.reload()
    assert model.build_search_text()  # nothing to build without a search
    assert with_search_text(model) == 0
    model.set_search("harbour wall")
    while not model.build_search_text(0.005):
        pass
    assert with_search_text(model) == 2 * COUNT
    assert len(titles(model)) == COUNT
    model.set_search("  ")
    assert with_search_text(model) == 0
    assert len(titles(model)) == 2 * COUNT
    model.reload()
    assert with_search_text(model) == 0


def test_key_points_and_row_height_follow_an_edit(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    first = Item("h1", "Harbour wall repairs", "https://example.test/h1", published=NOW)
    with Database.open(path) as db:
        store(db, HARBOUR, [replace_points(first, ("Work starts Monday",))])
        with Database.open(path, readonly=True) as reader:
            model = EntriesModel(reader, clock=lambda: NOW)
            model.reload()
            delegate = EntryDelegate()
            font = QFont()
            short = delegate.height_for(font, model.index(0), 400)
            assert delegate.height_for(font, model.index(0), 400) == short
            edited = ("Work starts Tuesday", "The quay stays open", "Boats moor at the pier")
            store(db, HARBOUR, [replace_points(first, edited)])
            model.reload()
            assert model.index(0).data(POINTS_ROLE) == edited
            assert delegate.height_for(font, model.index(0), 400) > short
            assert delegate.height_for(font, model.index(0), 120) > delegate.height_for(
                font, model.index(0), 400
            )


def replace_points(item: Item, points: tuple[str, ...]) -> Item:
    return Item(item.id, item.title, item.url, published=item.published, key_points=points)


def test_typing_in_the_window_finds_every_match_over_a_big_store(
    qtbot: QtBot, big: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entries_model, "FIRST_SEARCH_S", 0.0)
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = KeyPointsWindow(big, settings=settings, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2 * COUNT)
    qtbot.keyClicks(window.search, "harbour wall")
    qtbot.waitUntil(lambda: window.model.rowCount() == COUNT)
    assert titles(window.model)[-1] == f"Report {COUNT - 1} on the harbour wall"
    window.search.clear()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2 * COUNT)
    assert with_search_text(window.model) == 0
