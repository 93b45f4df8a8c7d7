"""JSON Feed 1.0 and 1.1 through jsonfeed.parse_json_feed."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.fixtures import load
from widget.core import text
from widget.core.errors import ParseError
from widget.core.models import SourceKind
from widget.sources.jsonfeed import parse_json_feed

JSON = {"content-type": "application/feed+json"}
BASE = "https://final.example/feeds/feed.json"


def feed(*items: dict[str, Any], version: str = "https://jsonfeed.org/version/1.1") -> bytes:
    return json.dumps({"version": version, "title": "T", "items": list(items)}).encode()


def test_json_feed_1_0() -> None:
    parsed = parse_json_feed(load("jsonfeed10.json"), JSON, BASE)
    assert parsed.kind is SourceKind.JSON_FEED
    assert parsed.title == "Night Market Diary"
    assert parsed.link == "https://market.example/"
    first, second = parsed.items
    assert first.id == "42"  # a number id becomes a string
    assert first.title == "Lanterns go up on the east lane"
    assert first.url == "https://market.example/diary/lanterns"
    assert first.published == datetime(2026, 2, 20, 23, 30, tzinfo=timezone.utc)
    assert first.summary == "Volunteers hung the lanterns tonight."
    assert first.key_points == ("Lights on from 6pm", "East lane closed to bikes")
    # content_text only, no title, external_url only
    assert second.id == "note-41"
    assert second.title == "Rain expected on Saturday."
    assert second.url == "https://elsewhere.example/story"
    assert second.summary == "Rain expected on Saturday. Stalls will have covers."
    assert second.updated == datetime(2026, 2, 19, 11, 0, tzinfo=timezone.utc)


def test_json_feed_1_1() -> None:
    parsed = parse_json_feed(load("jsonfeed11.json"), JSON, BASE)
    assert parsed.title == "Observatory Log"
    (item,) = parsed.items
    assert item.id == "obs-900"
    assert item.url == "https://final.example/log/comet"  # relative, against the final URL
    assert item.published == datetime(2026, 1, 10, 23, 59, 59, 250000, tzinfo=timezone.utc)
    assert item.key_points == ("The comet rises in the north-east.",)


def test_utf8_byte_order_mark_is_accepted() -> None:
    body = b"\xef\xbb\xbf" + feed({"id": "b", "title": "Caf\u00e9 opens"})
    assert parse_json_feed(body, JSON, BASE).items[0].title == "Caf\u00e9 opens"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "invalid JSON: .* line 1"),
        (b"{'single': 'quotes'}", "invalid JSON"),
        (b"", "empty body"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'{"version": "https://example.org/other", "items": []}', "not a JSON Feed"),
        (b'{"title": "no version", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {"a": 1}}', "not a list"),
        (b"<!DOCTYPE html><html><body>Oops</body></html>", "HTML page"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "invalid JSON"),
    ],
)
def test_bad_bodies_are_a_clear_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_json_feed(body, JSON, BASE)


def test_items_that_are_not_objects_are_skipped_with_a_warning() -> None:
    document: dict[str, object] = {"version": "https://jsonfeed.org/version/1.1", "title": "T"}
    document["items"] = ["junk", 7, {"id": "ok", "title": "Fine"}]
    parsed = parse_json_feed(json.dumps(document).encode(), JSON, BASE)
    assert [i.id for i in parsed.items] == ["ok"]
    assert any("skipped 2" in w for w in parsed.warnings)


def test_identity_falls_back_to_url_then_content_hash() -> None:
    parsed = parse_json_feed(
        feed(
            {"url": "https://final.example/a", "title": "By URL"},
            {"title": "By hash", "content_html": "<p>Body</p>", "date_published": "2026-03-01"},
            {"id": "", "url": "https://final.example/c", "title": "Empty id"},
            {"id": True, "url": "https://final.example/d", "title": "Boolean id"},
        ),
        JSON,
        BASE,
    )
    by_url, by_hash, empty_id, bool_id = parsed.items
    assert by_url.id == "https://final.example/a"
    assert by_hash.id == text.stable_hash("By hash", "2026-03-01T00:00:00+00:00", "<p>Body</p>")
    assert empty_id.id == "https://final.example/c"
    assert bool_id.id == "https://final.example/d"


def test_markup_in_titles_and_unsafe_urls() -> None:
    parsed = parse_json_feed(
        feed(
            {"id": "1", "title": "<script>go()</script>Quiet <b>night</b>", "url": "javascript:"},
            {"id": "2", "title": "Data", "url": "data:text/html,hi"},
            {"id": "3", "title": "File", "url": "file:///etc/hosts", "external_url": "/ok"},
        ),
        JSON,
        BASE,
    )
    first, second, third = parsed.items
    assert first.title == "Quiet night"
    assert first.url is None
    assert second.url is None
    assert third.url is None  # the item's own url wins over external_url, and it is unsafe


def test_content_text_is_plain_text_even_with_angle_brackets() -> None:
    parsed = parse_json_feed(
        feed({"id": "t", "title": "Maths", "content_text": "Turnout rose: 3 < 5 and 7 > 4."}),
        JSON,
        BASE,
    )
    assert parsed.items[0].summary == "Turnout rose: 3 < 5 and 7 > 4."


def test_dates_with_offsets_are_utc_and_bad_ones_are_none() -> None:
    parsed = parse_json_feed(
        feed(
            {"id": "a", "date_published": "2026-03-01T12:00:00+05:30"},
            {"id": "b", "date_published": "last Tuesday", "date_modified": 17},
            {"id": "c", "date_published": "2999-12-31T23:00:00Z"},
            {"id": "d", "date_published": "2026-02-30T10:00:00Z"},
        ),
        JSON,
        BASE,
    )
    a, b, c, d = parsed.items
    assert a.published == datetime(2026, 3, 1, 6, 30, tzinfo=timezone.utc)
    assert b.published is None and b.updated is None
    assert c.published == datetime(2999, 12, 31, 23, 0, tzinfo=timezone.utc)
    assert d.published is None


def test_duplicate_ids_keep_the_first() -> None:
    parsed = parse_json_feed(
        feed({"id": 5, "title": "One"}, {"id": "5", "title": "Two"}), JSON, BASE
    )
    assert [(i.id, i.title) for i in parsed.items] == [("5", "One")]


def test_missing_items_is_an_empty_feed_with_a_warning() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1", "title": "Quiet"}'
    parsed = parse_json_feed(body, JSON, BASE)
    assert parsed.title == "Quiet"
    assert parsed.items == ()
    assert parsed.warnings
