"""A realistic, invented data set for the key-points window, stored through the real entry store.

Headlines are made up for these tests. Times are relative to ``NOW`` so the relative times in the
window are stable.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support.store import add_items
from widget.core.models import Item, Source, SourceKind
from widget.storage.db import Database

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc)

VALLEY = Source("valley", "Valley Courier", "https://valley.example/live", SourceKind.LIVE_PAGE)
HARBOUR = Source("harbour", "Harbour Gazette", "https://harbour.example/rss", SourceKind.FEED)
SKY = Source("sky", "Sky & Weather Desk", "https://sky.example/feed.json", SourceKind.JSON_FEED)
SOURCES = (VALLEY, HARBOUR, SKY)


def _item(
    ident: str,
    title: str,
    minutes_ago: int,
    points: tuple[str, ...] = (),
    *,
    is_page: bool = False,
    url: str | None = "auto",
) -> Item:
    link = f"https://example.test/{ident}" if url == "auto" else url
    return Item(
        id=ident,
        title=title,
        url=link,
        published=NOW - timedelta(minutes=minutes_ago),
        key_points=points,
        is_page=is_page,
    )


VALLEY_ITEMS = (
    _item(
        "valley-page",
        "Flooding in the river valley: live updates",
        2,
        (
            "Two bridges closed after the river rose overnight",
            "Evacuation centre open at the sports hall on Mill Road",
            "Trains between Northbrook and Eastmere replaced by buses",
        ),
        is_page=True,
    ),
    _item("valley-u3", "Water level at the weir has stopped rising", 4, ("Readings steady",)),
    _item(
        "valley-u2",
        "Volunteers fill sandbags outside the town library",
        25,
        ("More volunteers are asked to bring gloves",),
    ),
    _item("valley-u1", "Council opens a helpline for residents", 70),
)

HARBOUR_ITEMS = (
    _item(
        "harbour-1",
        "Ferry timetable changes from Monday",
        12,
        ("Early crossing moves to 06:40", "Season tickets stay valid"),
    ),
    _item(
        "harbour-2",
        "New lighthouse keeper appointed after a forty-year vacancy",
        190,
        ("She starts in April", "Guided tours resume in the summer"),
    ),
    _item("harbour-3", "Fish market extends its Saturday hours", 60 * 26, ()),
)

SKY_ITEMS = (
    _item(
        "sky-1",
        "Storm warning upgraded for the coast tonight",
        40,
        (
            "Gusts up to 110 km/h expected after 20:00",
            "Coastal roads may close at short notice",
        ),
    ),
    _item("sky-2", "Clear skies return by Thursday", 60 * 5, ("Frost likely inland",), url=None),
)


def fill(db: Database, *, now: datetime = NOW) -> None:
    """Store every source's items as a normal (not baseline) poll at ``now``."""
    for source, items in ((VALLEY, VALLEY_ITEMS), (HARBOUR, HARBOUR_ITEMS), (SKY, SKY_ITEMS)):
        add_items(db, source, list(items), now=now)


def make_store(folder: Path) -> Path:
    """A filled entry store in ``folder``; returns its path (open it read-only for the window)."""
    path = folder / "entries.sqlite3"
    with Database.open(path) as db:
        fill(db)
    return path
