"""Hostile sizes and text: huge titles and ids, feeds of 180,000 entries, invalid UTF-8 bytes and
bidirectional controls — bounded while parsing and again where entries are stored."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest

from tests.support.store import add_items
from widget.core import text
from widget.core.models import Item, Source, SourceKind
from widget.sources import decoding
from widget.sources.feed import parse_feed
from widget.storage.db import Database

XML = {"content-type": "application/rss+xml"}
BASE = "https://final.example/feeds/main.xml"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
SOURCE = Source(id="s1", name="Harbour Watch", url=BASE, kind=SourceKind.FEED)


def rss(items: str, *, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{head}<rss version="2.0"><channel><title>Test Channel</title>'
        f"<link>https://final.example/</link>{items}</channel></rss>"
    ).encode()


def many_items(count: int) -> bytes:
    return rss(
        "".join(
            f"<item><guid>g{n}</guid><title>Ferry timetable change {n}</title></item>"
            for n in range(count)
        )
    )


def store(db: Database, items: list[Item]) -> list[str]:
    new, _ = add_items(db, SOURCE, items, now=NOW)
    return [e.id for e in new]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database.open(tmp_path / "entries.sqlite3")


def test_a_huge_title_and_guid_are_cut_while_parsing_and_stay_one_entry(db: Database) -> None:
    huge_title = "Storm " * 500_000  # 3 MB
    huge_guid = "urn:x:" + "g" * 2_000_000
    body = rss(f"<item><guid>{huge_guid}</guid><title>{huge_title}</title></item>")
    [item] = parse_feed(body, XML, BASE).items
    assert len(item.title) <= text.MAX_TITLE_CHARS and item.title.startswith("Storm Storm")
    assert len(item.id) <= text.MAX_ID_CHARS and item.id.startswith("urn:x:ggg")
    assert store(db, [item]) == [item.id]
    # The same feed again: the cut id is the same, so nothing is new.
    [again] = parse_feed(body, XML, BASE).items
    assert store(db, [again]) == []
    # Two ids that share a long start stay two entries.
    other = parse_feed(body.replace(b"ggg</guid>", b"ggh</guid>"), XML, BASE).items[0]
    assert other.id != item.id


def test_nothing_unbounded_is_stored_whichever_parser_built_the_item(db: Database) -> None:
    item = Item(
        id="i" * 3_000_000,
        title="T" * 3_000_000,
        url="https://final.example/" + "p" * 10_000,
        summary="S" * 3_000_000,
        key_points=tuple("K" * 10_000 for _ in range(1_000)),
    )
    store(db, [item])
    [entry] = db.entries()
    assert len(entry.id) <= text.MAX_ID_CHARS
    assert len(entry.title) <= text.MAX_TITLE_CHARS
    assert len(entry.summary) <= text.MAX_SUMMARY_CHARS
    assert entry.url is None  # a cut link would lead nowhere
    assert len(entry.key_points) <= text.MAX_KEY_POINTS
    assert all(len(p) <= text.MAX_KEY_POINT_CHARS for p in entry.key_points)
    # The window's search over the stored title is over bounded text.
    page = db.entry_page(limit=10, needle="ttt")
    assert len(page.rows) == 1


def test_a_feed_of_180000_entries_reaches_the_xml_parser_cut_to_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = many_items(180_000)
    seen: list[int] = []
    real_parse = feedparser.parse

    def parse_and_measure(source: object, **kwargs: object) -> object:
        data = source.getvalue()  # type: ignore[attr-defined]
        seen.append(data.count(b"<item>"))
        return real_parse(source, **kwargs)

    monkeypatch.setattr(feedparser, "parse", parse_and_measure)
    parsed = parse_feed(body, XML, BASE)
    assert seen == [text.MAX_ITEMS_PER_DOCUMENT]
    assert len(parsed.items) == text.MAX_ITEMS_PER_DOCUMENT
    assert parsed.items[0].id == "g0"
    assert any("180000 entries" in w for w in parsed.warnings)
    assert not any("malformed" in w for w in parsed.warnings)  # the cut document is closed


_ATOM = "{http://www.w3.org/2005/Atom}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_RSS1 = "{http://purl.org/rss/1.0/}"


@pytest.mark.parametrize(
    ("head", "tag", "tail", "root"),
    [
        ('<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>', "item",
         "</channel></rss>", "rss"),
        ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>',
         "entry", "</feed>", f"{_ATOM}feed"),
        ('<!-- a comment --><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
         ' xmlns="http://purl.org/rss/1.0/"><channel><title>r</title></channel>', "item",
         "</rdf:RDF>", f"{_RDF}RDF"),
    ],
)  # fmt: skip
def test_the_cut_document_is_well_formed_xml(head: str, tag: str, tail: str, root: str) -> None:
    items = "".join(f'<{tag} n="{n}"><title>t{n}</title></{tag}>' for n in range(30))
    warnings: list[str] = []
    cut = decoding.feed_document((head + items + tail).encode(), {}, 10, warnings)
    tree = ET.fromstring(cut)
    assert tree.tag == root
    namespace = root[: root.index("}") + 1] if root.startswith("{") else ""
    if root.startswith(_RDF):
        namespace = _RSS1
    assert len(list(tree.iter(namespace + tag))) == 10
    assert warnings == ["30 entries in the feed; read the first 10"]


def test_a_feed_within_the_limit_is_passed_on_unchanged() -> None:
    body = many_items(50)
    assert decoding.feed_document(body, XML, 50, []) is body


@pytest.mark.parametrize(
    ("head", "headers"),
    [
        ('<?xml version="1.0" encoding="utf-8"?>', XML),
        ('<?xml version="1.0"?>', {"content-type": "application/rss+xml; charset=utf-8"}),
        ('<?xml version="1.0"?>', XML),  # nothing declared: XML's default is UTF-8
    ],
)
def test_one_invalid_byte_does_not_turn_a_utf8_feed_into_mojibake(
    head: str, headers: dict[str, str]
) -> None:
    body = rss(
        "<item><guid>a</guid><title>Crème brûlée at the Café</title></item>"
        "<item><guid>b</guid><title>Bad byte: \x00 here</title></item>",
        head=head,
    ).replace(b"\x00", b"\xff")
    titles = [i.title for i in parse_feed(body, headers, BASE).items]
    assert titles == ["Crème brûlée at the Café", "Bad byte: \ufffd here"]


def test_a_declared_single_byte_charset_is_kept() -> None:
    body = rss("<item><guid>a</guid><title>Crème</title></item>").decode()
    body = body.replace('encoding="utf-8"', 'encoding="iso-8859-1"')
    [item] = parse_feed(body.encode("latin-1"), XML, BASE).items
    assert item.title == "Crème"


def test_bidi_controls_are_stripped_from_titles_and_source_names(db: Database) -> None:
    body = rss("<item><guid>a</guid><title>Ferry \u202egnp.exe\u202c delayed</title></item>")
    [item] = parse_feed(body, XML, BASE).items
    assert item.title == "Ferry gnp.exe delayed"
    spoofed = Item(id="b", title="Pier \u2067closed\u2069 \u200ftoday", url=None)
    named = Source(id="s1", name="Harbour \u202eWatch", url=BASE, kind=SourceKind.FEED)
    add_items(db, named, [spoofed], now=NOW)
    [entry] = db.entries()
    assert (entry.title, entry.source_name) == ("Pier closed today", "Harbour Watch")
    db.sync_sources([named])
    assert db.entries()[0].source_name == "Harbour Watch"


def test_the_limits_change_nothing_the_second_time() -> None:
    item = text.bounded_item(Item(id="x" * 5000, title="T " * 5000, url=None, summary="s" * 9999))
    assert text.bounded_item(item) is item
