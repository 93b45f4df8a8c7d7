"""Live pages (schema.org LiveBlogPosting JSON-LD) through liveblog.parse_live_page."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.fixtures import load
from widget.core import text
from widget.core.errors import ParseError
from widget.core.models import ParsedSource, SourceKind
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
PAGE_URL = "https://final.example/live/storm"


def page(*blocks: object, body: str = "<p>Live coverage.</p>", title: str = "Doc title") -> bytes:
    scripts = "".join(
        '<script type="application/ld+json">'
        # serialisers escape "</" inside a script element, as publishers do
        + (b if isinstance(b, str) else json.dumps(b).replace("</", "<\\/"))
        + "</script>"
        for b in blocks
    )
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{scripts}</head>"
        f"<body>{body}</body></html>"
    ).encode()


def posting(updates: object, **extra: Any) -> dict[str, Any]:
    node = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "liveBlogUpdate": updates}
    node.update(extra)
    return node


def update(n: int, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "BlogPosting",
        "@id": f"#u{n}",
        "headline": f"Update {n}",
        "datePublished": f"2026-03-05T{10 + n:02d}:00:00Z",
        "articleBody": f"Body of update {n}.",
    }
    node.update(extra)
    return node


def updates_of(parsed: ParsedSource) -> list[str]:
    return [i.id for i in parsed.items if not i.is_page]


def test_fixture_page_with_graph() -> None:
    parsed = parse_live_page(load("live_page.html"), HTML, "https://herald.example/flood")
    assert parsed.kind is SourceKind.LIVE_PAGE
    assert parsed.title == "River flood: live updates"
    assert parsed.link == "https://herald.example/flood"
    page_item = next(i for i in parsed.items if i.is_page)
    assert page_item.id == "https://herald.example/flood#liveblog"
    assert page_item.summary == "Water levels are falling after two days of rain."
    assert page_item.published == datetime(2026, 3, 5, 6, 0, tzinfo=timezone.utc)
    assert page_item.updated == datetime(2026, 3, 5, 14, 10, tzinfo=timezone.utc)
    assert page_item.key_points == (
        "The river peaked at 4.2 metres overnight.",
        "Around 300 homes are without power.",
        "The ring road is closed at the old mill.",
    )
    schools = text.stable_hash(
        "Schools closed", "2026-03-05T07:00:00+00:00", "All primary schools are closed today."
    )
    assert updates_of(parsed) == [
        "https://herald.example/flood#update-3",  # @id
        "https://herald.example/flood#update-2",  # no @id: its url
        schools,  # neither: a content hash
    ]
    footbridge, sandbags, _ = (i for i in parsed.items if not i.is_page)
    assert footbridge.title == "Footbridge reopens"
    # no url of its own: its @id, a URL, is the link (a live-page update always has one)
    assert footbridge.url == "https://herald.example/flood#update-3"
    # no headline: the first sentence of the body
    assert sandbags.title == "Sandbags are available at the town hall."
    assert sandbags.url == "https://herald.example/flood#update-2"


def test_single_update_object() -> None:
    parsed = parse_live_page(page(posting(update(1))), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u1"]


@pytest.mark.parametrize("order", ["oldest-first", "newest-first"])
def test_updates_come_out_newest_first_whatever_the_page_order(order: str) -> None:
    ups = [update(1), update(2), update(3)]
    if order == "newest-first":
        ups.reverse()
    parsed = parse_live_page(page(posting(ups)), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u3", "#u2", "#u1"]


@pytest.mark.parametrize(
    "body", [{"@value": "Body as value."}, {"@type": "Text", "text": "Body as text."}]
)
def test_article_body_as_an_object(body: dict[str, str]) -> None:
    parsed = parse_live_page(
        page(posting([update(1, headline=None, articleBody=body)])), HTML, PAGE_URL
    )
    (item,) = (i for i in parsed.items if not i.is_page)
    expected = next(iter(v for k, v in body.items() if k != "@type"))
    assert item.summary == expected
    assert item.title == expected


def test_top_level_list_and_type_lists() -> None:
    block = [
        {"@type": "BreadcrumbList", "itemListElement": []},
        posting(
            [update(1, **{"@type": ["NewsArticle", "BlogPosting"]})],
            **{"@type": ["LiveBlogPosting", "NewsArticle"], "headline": "Listed"},
        ),
    ]
    parsed = parse_live_page(page(block), HTML, PAGE_URL)
    assert parsed.title == "Listed"
    assert updates_of(parsed) == ["#u1"]


def test_posting_nested_as_main_entity() -> None:
    block = {"@type": "WebPage", "mainEntity": posting([update(2)], headline="Nested")}
    parsed = parse_live_page(page(block), HTML, PAGE_URL)
    assert parsed.title == "Nested"
    assert updates_of(parsed) == ["#u2"]


def test_invalid_json_in_one_block_does_not_hide_a_valid_one() -> None:
    parsed = parse_live_page(
        page('{"@type": "LiveBlogPosting", "headline": broken', posting([update(1)])),
        HTML,
        PAGE_URL,
    )
    assert updates_of(parsed) == ["#u1"]
    assert any("invalid JSON" in w for w in parsed.warnings)


def test_deeply_nested_block_is_skipped() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    parsed = parse_live_page(page(deep, posting([update(1)])), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u1"]


def test_thousands_of_json_ld_blocks() -> None:
    junk = [{"@type": "Thing", "name": f"n{i}"} for i in range(3000)]
    parsed = parse_live_page(page(posting([update(1)]), *junk), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u1"]


def test_huge_attribute_values_do_not_break_the_page() -> None:
    body = '<div data-blob="' + "x" * 3_000_000 + '">Text</div>'
    parsed = parse_live_page(page(posting([update(1)]), body=body), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u1"]


def test_page_entry_identity_title_and_url_fallbacks() -> None:
    parsed = parse_live_page(page(posting([update(1)]), title="Storm &amp; tide"), HTML, PAGE_URL)
    page_item = parsed.items[0]
    assert page_item.is_page
    assert page_item.id == PAGE_URL  # no @id: the page URL
    assert page_item.title == "Storm & tide"  # no headline: <title>
    assert page_item.url == PAGE_URL
    assert parsed.title == "Storm & tide"


def test_page_key_points_ignore_navigation_scripts_and_templates() -> None:
    body = (
        "<nav><ul><li>Home</li><li>World</li></ul></nav>"
        "<script>document.write('<ul><li>a</li><li>b</li></ul>')</script>"
        "<template><ul><li>t1</li><li>t2</li></ul></template>"
        "<style>li{}</style>"
        "<p>Our latest coverage.</p>"
        "<ul><li>Roads reopen at noon.</li><li>Schools stay shut.</li></ul>"
    )
    parsed = parse_live_page(page(posting([update(1)]), body=body), HTML, PAGE_URL)
    assert parsed.items[0].key_points == ("Roads reopen at noon.", "Schools stay shut.")


def test_markup_in_headlines_and_unsafe_urls() -> None:
    block = posting(
        [
            update(1, headline="<b>Bold</b> <script>x()</script>claim", url="javascript:alert(1)"),
            update(2, url="/live/storm#u2"),
            update(3, url="data:text/html,hi", **{"@id": None}),
        ],
        headline="<i>Storm</i> watch",
        url="file:///etc/passwd",
    )
    parsed = parse_live_page(page(block), HTML, PAGE_URL)
    items = {i.id: i for i in parsed.items}
    assert items["#u1"].title == "Bold claim"
    assert items["#u1"].url == PAGE_URL + "#u1"  # the unsafe url is dropped; the @id fragment
    assert items["#u2"].url == "https://final.example/live/storm#u2"
    # identity verbatim, never offered as a link: the update links to the page instead
    assert items["data:text/html,hi"].url == PAGE_URL
    assert parsed.title == "Storm watch"
    assert parsed.items[0].url == PAGE_URL  # an unsafe page url falls back to the page itself


def test_update_dates_future_kept_unparseable_none() -> None:
    block = posting(
        [update(1, datePublished="2199-01-01T00:00:00+01:00"), update(2, datePublished="soon")]
    )
    items = {i.id: i for i in parse_live_page(page(block), HTML, PAGE_URL).items}
    assert items["#u1"].published == datetime(2198, 12, 31, 23, 0, tzinfo=timezone.utc)
    assert items["#u2"].published is None


def test_windows_1252_page_by_meta_charset() -> None:
    doc = (
        '<html><head><meta charset="windows-1252"><title>x</title>'
        '<script type="application/ld+json">'
        + json.dumps(
            posting([update(1)], headline="Caf\u00e9 \u201clive\u201d"), ensure_ascii=False
        )
        + "</script></head><body></body></html>"
    )
    parsed = parse_live_page(doc.encode("cp1252"), {"content-type": "text/html"}, PAGE_URL)
    assert parsed.title == "Caf\u00e9 \u201clive\u201d"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (page({"@type": "NewsArticle", "headline": "Not live"}), "no live blog"),
        (page(), "no live blog"),
        (page("{not json at all"), "no live blog"),
        (b"", "empty body"),
    ],
)
def test_pages_without_a_live_blog_are_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_live_page(body, HTML, PAGE_URL)


def test_live_blog_with_no_updates_yet_still_has_its_page_entry() -> None:
    parsed = parse_live_page(page(posting(None, headline="Starting soon")), HTML, PAGE_URL)
    assert [i.is_page for i in parsed.items] == [True]
    assert parsed.items[0].title == "Starting soon"


def test_hostile_markup_after_the_json_ld_does_not_hide_it() -> None:
    # constructs Python's html.parser rescans again and again; the page must still be read
    body = "<!" * 20_000 + "<" * 20_000 + "<a " * 20_000
    parsed = parse_live_page(page(posting([update(1)]), body=body), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u1"]


def test_json_ld_in_the_body_after_a_huge_page_is_found() -> None:
    filler = "<div><p>Paragraph of filler text.</p></div>" * 60_000  # well over the markup cap
    block = json.dumps(posting([update(4)])).replace("</", "<\\/")
    body = filler + f'<script type="application/ld+json">{block}</script>'
    parsed = parse_live_page(page(body=body), HTML, PAGE_URL)
    assert updates_of(parsed) == ["#u4"]


def test_unclosed_head_self_closed_svg_and_svg_titles() -> None:
    block = json.dumps(posting([update(1)])).replace("</", "<\\/")
    doc = (
        "<html><head><title>Real title</title>"
        f'<script type="application/ld+json">{block}</script>'
        "<body><svg/><svg><title>Icon</title></svg>"
        "<h2>Key points:</h2><ul><li>Wind drops tonight.</li><li>Trains resume.</li></ul>"
        "</body></html>"
    )
    parsed = parse_live_page(doc.encode(), HTML, PAGE_URL)
    assert parsed.title == "Real title"
    assert parsed.items[0].key_points == ("Wind drops tonight.", "Trains resume.")


def test_entities_and_attribute_quirks_in_the_page() -> None:
    doc = (
        "<html><head><title>Tides &amp; times</title>"
        "<script type='application/ld+json; charset=utf-8'>"
        + json.dumps(posting([update(1)]))
        + "</script></head><body data-x=unquoted data-y='a > b'>"
        "<p>What we know</p><ol><li>Low tide at 4&nbsp;pm</li><li>High tide at 10&#160;pm</li></ol>"
        "</body></html>"
    )
    parsed = parse_live_page(doc.encode(), HTML, PAGE_URL)
    assert parsed.title == "Tides & times"
    assert parsed.items[0].key_points == ("Low tide at 4 pm", "High tide at 10 pm")
