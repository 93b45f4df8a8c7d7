"""OPML import/export: nested folders, duplicates, required xmlUrl, hostile and broken files."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from widget.core.errors import ConfigError
from widget.core.models import AuthKind, Config, Source, SourceKind
from widget.storage.config import ConfigStore
from widget.storage.opml import OpmlError, export_opml, import_feeds, parse_opml

# A realistic reader export: OPML 1.0, two folder levels, a feed at top level, a repeated feed,
# an outline without xmlUrl, odd attribute case and an entity-escaped title.
NESTED = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0">
  <head><title>My subscriptions</title>
    <dateCreated>Mon, 02 Mar 2026 09:00:00 GMT</dateCreated></head>
  <body>
    <outline text="News">
      <outline text="World">
        <outline text="Harbour Town Bulletin" type="rss"
                 xmlUrl="https://bulletin.example.org/feed.xml"
                 htmlUrl="https://bulletin.example.org/"/>
        <outline text="Valley Courier &amp; Gazette" title="Valley Courier &amp; Gazette"
                 type="rss" xmlurl="https://courier.example.net/rss"/>
      </outline>
      <outline text="Ferry line updates" type="json"
               xmlUrl="https://ferries.example.com/feed.json"/>
    </outline>
    <outline text="Caf\xe9 weekly" type="rss" xmlUrl="https://cafe.example.org/atom"/>
    <outline text="Harbour again" type="rss" xmlUrl="https://bulletin.example.org/feed.xml/"/>
    <outline text="Bookmarks only" htmlUrl="https://example.org/"/>
    <outline text="Mail link" type="rss" xmlUrl="mailto:someone@example.org"/>
  </body>
</opml>
"""


def test_nested_outlines_become_folders_and_problems_are_listed() -> None:
    doc = parse_opml(NESTED)
    assert doc.title == "My subscriptions"
    got = [(f.title, f.xml_url, f.folder, f.kind) for f in doc.feeds]
    assert got == [
        (
            "Harbour Town Bulletin",
            "https://bulletin.example.org/feed.xml",
            "News/World",
            SourceKind.FEED,
        ),
        (
            "Valley Courier & Gazette",
            "https://courier.example.net/rss",
            "News/World",
            SourceKind.FEED,
        ),
        (
            "Ferry line updates",
            "https://ferries.example.com/feed.json",
            "News",
            SourceKind.JSON_FEED,
        ),
        ("Café weekly", "https://cafe.example.org/atom", None, SourceKind.FEED),
        ("Harbour again", "https://bulletin.example.org/feed.xml/", None, SourceKind.FEED),
    ]
    assert doc.feeds[0].html_url == "https://bulletin.example.org/"
    assert len(doc.problems) == 2
    assert "Bookmarks only: no xmlUrl" in doc.problems[0]
    assert "Mail link: the xmlUrl must start with http:// or https://" in doc.problems[1]


def test_import_skips_and_counts_duplicates_of_existing_and_repeated_feeds() -> None:
    existing = Source("old", "Café weekly", "https://CAFE.example.org/atom/", SourceKind.FEED)
    config = Config(sources=(existing,))
    counter = itertools.count(1)
    result = import_feeds(config, parse_opml(NESTED), new_id=lambda: f"n{next(counter)}")
    assert [s.name for s in result.added] == [
        "Harbour Town Bulletin",
        "Valley Courier & Gazette",
        "Ferry line updates",
    ]
    assert result.duplicates == 2  # the existing Café feed and the repeated Harbour feed
    assert result.config.sources[0] == existing
    assert [s.url for s in result.config.sources[1:]] == [s.url for s in result.added]
    assert (
        result.summary()
    ) == "3 sources added, 2 already present (skipped), 2 outline(s) left out"


def test_names_stay_unique_on_import() -> None:
    config = Config(
        sources=(Source("a", "Harbour Town Bulletin", "https://x.example/", SourceKind.FEED),)
    )
    counter = itertools.count(1)
    result = import_feeds(config, parse_opml(NESTED), new_id=lambda: f"n{next(counter)}")
    assert result.added[0].name == "Harbour Town Bulletin (2)"
    assert len({s.id for s in result.config.sources}) == len(result.config.sources)


def test_export_then_import_round_trips_names_urls_and_folders() -> None:
    counter = itertools.count(1)
    imported = import_feeds(Config(), parse_opml(NESTED), new_id=lambda: f"n{next(counter)}")
    private = Source(
        "p1",
        "Members' briefing",
        "https://members.example.org/live",
        SourceKind.LIVE_PAGE,
        auth=AuthKind.HEADER,
        auth_header="X-Api-Key",
        folder="News/World",
    )
    config = Config(sources=(*imported.config.sources, private))
    data = export_opml(
        config,
        html_urls={"n1": "https://bulletin.example.org/"},
        now=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc),
    )
    assert b"X-Api-Key" not in data and b"auth" not in data
    assert b'htmlUrl="https://bulletin.example.org/"' in data
    back = parse_opml(data)
    assert back.problems == ()
    # folders group their feeds, so compare as sets of (title, xmlUrl, folder, kind)
    assert sorted((f.title, f.xml_url, f.folder or "", f.kind.value) for f in back.feeds) == sorted(
        (s.name, s.url, s.folder or "", s.kind.value) for s in config.sources
    )
    again = import_feeds(config, back)
    assert again.added == () and again.duplicates == len(config.sources)


def test_a_site_address_from_an_import_is_kept_and_exported_again(tmp_path: Path) -> None:
    imported = import_feeds(Config(), parse_opml(NESTED))
    store = ConfigStore(tmp_path / "config.json")
    store.save(imported.config)
    config = store.load()  # kept in the config file, not only in memory
    harbour = next(s for s in config.sources if s.name == "Harbour Town Bulletin")
    assert harbour.html_url == "https://bulletin.example.org/"
    data = export_opml(config)
    assert data.count(b"htmlUrl=") == 1
    assert (
        b'xmlUrl="https://bulletin.example.org/feed.xml" htmlUrl="https://bulletin.example.org/"'
        in data
    )


def test_a_site_address_that_is_not_a_web_address_is_refused_in_the_config(
    tmp_path: Path,
) -> None:
    store = ConfigStore(tmp_path / "config.json")
    source = Source("s1", "Harbour", "https://bulletin.example.org/feed.xml", SourceKind.FEED)
    with pytest.raises(ConfigError, match="html_url"):
        store.save(Config(sources=(replace(source, html_url="javascript:alert(1)"),)))
    assert not store.path.exists()


def test_export_groups_folders_under_one_outline() -> None:
    sources = (
        Source("1", "A", "https://a.example/feed", SourceKind.FEED, folder="News/World"),
        Source("2", "B", "https://b.example/feed", SourceKind.FEED),
        Source("3", "C", "https://c.example/feed", SourceKind.FEED, folder="News/World"),
    )
    text = export_opml(Config(sources=sources)).decode()
    assert text.count('<outline text="News"') == 1
    assert text.count('<outline text="World"') == 1
    assert [f.folder for f in parse_opml(text.encode()).feeds] == ["News/World", "News/World", None]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not well-formed"),
        (b"<opml><body><outline text='x'></body></opml>", "not well-formed XML (line 1"),
        (b"<rss version='2.0'><channel/></rss>", "root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;">]><opml><body/></opml>',
            "DOCTYPE or entities",
        ),
        (
            b'<!DOCTYPE opml SYSTEM "http://example.org/evil.dtd"><opml><body/></opml>',
            "DOCTYPE or entities",
        ),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><opml><body/></opml>'.encode(
                "utf-16"
            ),
            "DOCTYPE or entities",
        ),
    ],
)
def test_malformed_or_hostile_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message.replace("(", r"\(").replace("<", "<")):
        parse_opml(data)


def test_utf16_opml_is_read() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><opml version="2.0"><body>'
        '<outline text="Tide tables" xmlUrl="https://tides.example.org/rss"/></body></opml>'
    )
    doc = parse_opml(text.encode("utf-16"))
    assert [f.title for f in doc.feeds] == ["Tide tables"]
