"""The window's model over a real entry store: grouping, order, filters, search, unread, divider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.gui.window_data import HARBOUR, NOW, VALLEY, fill, make_store
from tests.support.clock import Clock
from tests.support.store import add_items
from widget.core.models import Item
from widget.gui.window.model import (
    COUNT_ROLE,
    KEY_ROLE,
    POINTS_ROLE,
    READ_ROLE,
    TIME_TEXT_ROLE,
    EntriesModel,
)
from widget.gui.window.rows import RowKind, Show
from widget.storage.db import Database


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """(writer, read-only reader) over the realistic data set."""
    path = make_store(tmp_path)
    writer = Database.open(path)
    reader = Database.open(path, readonly=True)
    yield writer, reader
    reader.close()
    writer.close()


def shown(model: EntriesModel) -> list[tuple[str, str]]:
    """(kind, title or label) of every row, top to bottom."""
    out = []
    for row in range(model.rowCount()):
        kind, rec, _ = model.row_at(row)
        out.append((kind.name, str(model.index(row).data())))
        assert rec is not None or kind is RowKind.DIVIDER
    return out


def titles(model: EntriesModel) -> list[str]:
    return [text for kind, text in shown(model) if kind in ("ENTRY", "PAGE", "UPDATE")]


def test_entries_are_grouped_newest_first_with_the_live_page_heading_its_updates(
    qtbot: QtBot, qtmodeltester: ModelTester, store: tuple[Database, Database]
) -> None:
    model = EntriesModel(store[1], clock=Clock(NOW))
    model.reload()
    qtmodeltester.check(model)
    assert shown(model) == [
        ("PAGE", "Flooding in the river valley: live updates"),
        ("UPDATE", "Water level at the weir has stopped rising"),
        ("UPDATE", "Volunteers fill sandbags outside the town library"),
        ("UPDATE", "Council opens a helpline for residents"),
        ("ENTRY", "Ferry timetable changes from Monday"),
        ("ENTRY", "Storm warning upgraded for the coast tonight"),
        ("ENTRY", "New lighthouse keeper appointed after a forty-year vacancy"),
        ("ENTRY", "Clear skies return by Thursday"),
        ("ENTRY", "Fish market extends its Saturday hours"),
    ]
    page = model.index(0)
    assert page.data(POINTS_ROLE) == (
        "Two bridges closed after the river rose overnight",
        "Evacuation centre open at the sports hall on Mill Road",
        "Trains between Northbrook and Eastmere replaced by buses",
    )
    assert page.data(KEY_ROLE) == ("valley", "valley-page")
    assert page.data(TIME_TEXT_ROLE) == "2 min ago"
    assert model.index(8).data(TIME_TEXT_ROLE).startswith("yesterday")


def test_search_is_case_insensitive_over_titles_and_key_points(
    qtbot: QtBot, store: tuple[Database, Database]
) -> None:
    model = EntriesModel(store[1], clock=Clock(NOW))
    model.reload()
    model.set_search("FERRY")
    assert titles(model) == ["Ferry timetable changes from Monday"]
    model.set_search("gloves")  # a key point of one live-page update: the page heads it
    assert titles(model) == [
        "Flooding in the river valley: live updates",
        "Volunteers fill sandbags outside the town library",
    ]
    model.set_search("  Sports   HALL ")  # the page's own key point, spacing ignored
    assert titles(model) == ["Flooding in the river valley: live updates"]
    model.set_search("no such words anywhere")
    assert model.rowCount() == 0
    model.set_search("")
    assert len(titles(model)) == 9


def test_filter_by_source_and_show_unread(qtbot: QtBot, store: tuple[Database, Database]) -> None:
    writer, reader = store
    model = EntriesModel(reader, clock=Clock(NOW))
    model.reload()
    model.set_source_filter(HARBOUR.id)
    assert titles(model) == [
        "Ferry timetable changes from Monday",
        "New lighthouse keeper appointed after a forty-year vacancy",
        "Fish market extends its Saturday hours",
    ]
    writer.set_read(HARBOUR.id, "harbour-1")
    writer.set_read(VALLEY.id, "valley-u3")
    assert model.reload()
    model.set_show(Show.UNREAD)
    assert titles(model) == [
        "New lighthouse keeper appointed after a forty-year vacancy",
        "Fish market extends its Saturday hours",
    ]
    model.set_source_filter(None)
    assert "Ferry timetable changes from Monday" not in titles(model)
    assert "Water level at the weir has stopped rising" not in titles(model)
    assert titles(model)[:2] == [
        "Flooding in the river valley: live updates",
        "Volunteers fill sandbags outside the town library",
    ]
    assert model.unread_count == 9 - 2


def test_marking_read_here_keeps_rows_in_place_until_the_next_reload(
    qtbot: QtBot, store: tuple[Database, Database]
) -> None:
    writer, reader = store
    model = EntriesModel(reader, clock=Clock(NOW))
    model.reload()
    model.set_show(Show.UNREAD)
    before = titles(model)
    assert model.set_read([(HARBOUR.id, "harbour-1")], True) == [(HARBOUR.id, "harbour-1")]
    assert model.set_read([(HARBOUR.id, "harbour-1")], True) == []  # already read
    assert titles(model) == before
    row = model.row_of((HARBOUR.id, "harbour-1"))
    assert model.index(row).data(READ_ROLE) is True
    writer.set_read(HARBOUR.id, "harbour-1")
    model.reload()
    assert "Ferry timetable changes from Monday" not in titles(model)


def test_divider_separates_what_arrived_since_the_last_look(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    earlier = NOW - timedelta(hours=2)
    with Database.open(path) as db:
        fill(db, now=earlier)
        fresh = Item(
            "harbour-4",
            "Harbour crane back in service",
            "https://example.test/h4",
            published=NOW - timedelta(minutes=1),
            key_points=("Repairs took a week",),
        )
        add_items(db, HARBOUR, [fresh], now=NOW)
    with Database.open(path, readonly=True) as reader:
        model = EntriesModel(reader, clock=Clock(NOW))
        model.reload()
        assert all(kind != "DIVIDER" for kind, _ in shown(model))  # never looked: no divider
        model.set_last_looked(NOW - timedelta(hours=1))
        rows = shown(model)
        assert rows[:3] == [
            ("ENTRY", "Harbour crane back in service"),
            ("DIVIDER", "New since you last looked"),
            ("PAGE", "Flooding in the river valley: live updates"),
        ]
        divider = model.index(1)
        assert not divider.flags()  # not selectable: arrows skip it
        model.set_last_looked(NOW)  # looked after everything arrived
        assert all(kind != "DIVIDER" for kind, _ in shown(model))


def test_a_long_live_page_folds_its_earlier_updates(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    page = Item(
        "p",
        "Election night: live",
        "https://example.test/p",
        published=NOW,
        key_points=("Turnout above 70 percent",),
        is_page=True,
    )
    updates = [
        Item(
            f"u{n}",
            f"Count update number {n}",
            f"https://example.test/u{n}",
            published=NOW - timedelta(minutes=n),
        )
        for n in range(1, 9)
    ]
    with Database.open(path) as db:
        add_items(db, VALLEY, [page, *updates], now=NOW)
    with Database.open(path, readonly=True) as reader:
        model = EntriesModel(reader, clock=Clock(NOW))
        model.reload()
        rows = shown(model)
        assert [k for k, _ in rows] == ["PAGE"] + ["UPDATE"] * 5 + ["MORE"]
        assert rows[-1] == ("MORE", "Show 3 earlier updates")
        assert model.index(6).data(COUNT_ROLE) == 3
        model.toggle_expanded(VALLEY.id)
        rows = shown(model)
        assert [t for k, t in rows if k == "UPDATE"][-1] == "Count update number 8"
        assert rows[-1] == ("MORE", "Show fewer updates")


def test_reload_reports_changes_only_and_times_follow_the_clock(
    qtbot: QtBot, store: tuple[Database, Database]
) -> None:
    writer, reader = store
    clock = Clock(NOW)
    model = EntriesModel(reader, clock=clock)
    assert model.reload()
    assert not model.reload()  # nothing changed in the store
    edited = Item(
        "harbour-1",
        "Ferry timetable changes from Tuesday",
        "https://example.test/x",
        published=NOW - timedelta(minutes=12),
    )
    add_items(writer, HARBOUR, [edited], now=NOW)
    assert model.reload()
    assert "Ferry timetable changes from Tuesday" in titles(model)
    row = model.row_of((HARBOUR.id, "harbour-1"))
    assert model.index(row).data(TIME_TEXT_ROLE) == "12 min ago"
    clock.now = NOW + timedelta(minutes=50)
    with qtbot.waitSignal(model.dataChanged):
        model.tick()
    assert model.index(row).data(TIME_TEXT_ROLE) == "1 h ago"


def test_a_live_page_shows_when_its_newest_update_arrived(qtbot: QtBot, tmp_path: Path) -> None:
    """A live page that began hours ago but was updated minutes ago reads "5 min ago"."""
    page = Item(
        "page",
        "Election night: live",
        "https://example.test/live",
        published=NOW - timedelta(hours=3),
        key_points=("Polls closed at 22:00",),
        is_page=True,
    )
    update = Item("u1", "First results declared", None, published=NOW - timedelta(minutes=5))
    with Database.open(tmp_path / "e.sqlite3") as db:
        add_items(db, VALLEY, [page, update], now=NOW)
        model = EntriesModel(db, clock=lambda: NOW)
        model.reload()
        rows = {model.row_at(r)[0]: model.index(r) for r in range(model.rowCount())}
        assert rows[RowKind.PAGE].data(TIME_TEXT_ROLE) == "5 min ago"
        assert rows[RowKind.UPDATE].data(TIME_TEXT_ROLE) == "5 min ago"


def test_a_key_point_that_only_repeats_the_title_is_left_out(qtbot: QtBot, tmp_path: Path) -> None:
    items = [
        Item(
            "a",
            "Lifeboat crew rescues two kayakers",
            None,
            published=NOW,
            key_points=("Lifeboat  crew rescues two KAYAKERS", "Both are unhurt"),
        ),
        Item("b", "Bridge reopens", None, published=NOW, key_points=("Bridge reopens",)),
        # a post without a heading: its title is its first sentence, without the full stop
        Item("c", "Gates open at noon", None, published=NOW, key_points=("Gates open at noon.",)),
    ]
    with Database.open(tmp_path / "e.sqlite3") as db:
        add_items(db, HARBOUR, items, now=NOW)
        model = EntriesModel(db, clock=lambda: NOW)
        model.reload()
        points = {model.index(r).data(): model.index(r).data(POINTS_ROLE) for r in range(3)}
    assert points == {
        "Lifeboat crew rescues two kayakers": ("Both are unhurt",),
        "Bridge reopens": (),
        "Gates open at noon": (),
    }
