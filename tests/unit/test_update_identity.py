"""An upgrade never re-notifies old updates: identities that were unique stay as they were, and
only those that collided (every update carrying the page's own URL) become distinct."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from widget.core.text import stable_hash
from widget.sources.feed import parse_feed
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
PAGE = "https://news.example/live/vote"


def page(updates: list[dict[str, Any]], *, posting: dict[str, Any], head: str = "") -> bytes:
    node = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": "Vote live"}
    node |= posting | {"liveBlogUpdate": updates}
    posts = "".join(
        f'<div class="post" id="m{u["n"]}"><time datetime="{u.get("datePublished", "")}">'
        f"{u['n']}:00</time><h2>{u['headline']}</h2></div>"
        for u in updates
    )
    return (
        f"<html><head><title>Vote live</title>{head}<script type='application/ld+json'>"
        f"{json.dumps(node)}</script></head><body><main><h1>Vote live</h1>{posts}</main>"
        "</body></html>"
    ).encode()


def up(n: int, **fields: str) -> dict[str, Any]:
    return {"@type": "BlogPosting", "n": n, "headline": f"Post {n}",
            "datePublished": f"2026-03-05T1{n}:00:00Z"} | fields  # fmt: skip


def updates(body: bytes) -> list[tuple[str, str | None]]:
    parsed = parse_live_page(body, HTML, PAGE)
    return [(i.id, i.url) for i in parsed.items if not i.is_page]


def test_a_single_update_with_the_page_url_keeps_its_identity_and_links_to_its_post() -> None:
    ups = [up(3, **{"@id": "#m3"}), up(2, **{"@id": "#m2"}), up(1, url=PAGE)]
    got = updates(page(ups, posting={"@id": PAGE + "#live"}))
    assert got == [("#m3", PAGE + "#m3"), ("#m2", PAGE + "#m2"), (PAGE, PAGE + "#m1")]


def test_updates_sharing_the_page_url_take_the_identity_of_updates_without_a_url() -> None:
    shared = updates(page([up(n, url=PAGE) for n in (3, 2, 1)], posting={}))
    without = updates(page([up(n) for n in (3, 2, 1)], posting={}))
    assert len({ident for ident, _ in shared}) == 3
    assert [ident for ident, _ in shared] == [ident for ident, _ in without]
    assert [link for _, link in shared] == [f"{PAGE}#m{n}" for n in (3, 2, 1)]


def test_a_zoneless_date_read_in_the_pages_zone_keeps_the_identity_it_had() -> None:
    zoneless = [up(n, datePublished=f"2026-03-05T1{n}:00:00") for n in (2, 1)]
    meta = '<meta property="article:published_time" content="2026-03-05T08:00:00+01:00">'
    parsed = parse_live_page(page(zoneless, posting={}, head=meta), HTML, PAGE)
    [newest, _older] = [i for i in parsed.items if not i.is_page]
    assert newest.published == datetime(2026, 3, 5, 11, 0, tzinfo=timezone.utc)
    when = datetime(2026, 3, 5, 12, 0, tzinfo=timezone.utc).isoformat()
    assert newest.id == stable_hash("Post 2", when, "")


def test_graph_posts_that_are_part_of_the_posting_are_its_updates() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "LiveBlogPosting", "@id": PAGE + "#live", "headline": "Vote live"},
            *(
                {"@type": "BlogPosting", "@id": f"{PAGE}#u{n}", "headline": f"Post {n}",
                 "datePublished": f"2026-03-05T1{n}:00:00Z", "isPartOf": {"@id": PAGE + "#live"}}
                for n in (2, 1)
            ),
        ],
    }  # fmt: skip
    body = (
        "<html><head><title>Vote live</title><script type='application/ld+json'>"
        f"{json.dumps(graph)}</script></head><body><main><h1>Vote live</h1></main></body></html>"
    ).encode()
    parsed = parse_live_page(body, HTML, PAGE)
    assert [(i.title, i.url) for i in parsed.items if not i.is_page] == [
        ("Post 2", f"{PAGE}#u2"),
        ("Post 1", f"{PAGE}#u1"),
    ]


RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>News</title>
<item><title>Barrier holds</title><pubDate>Thu, 05 Mar 2026 15:20:00 GMT</pubDate>
<description><![CDATA[<p>Key points:</p><ul><li>The barrier held overnight</li>
<li>Two roads are closed</li></ul>]]></description>
<media:content url="https://img.example/a.jpg" medium="image">
<media:description>Photo credit line</media:description></media:content></item>
</channel></rss>"""


def test_a_media_description_is_no_content_and_leaves_the_entrys_identity_alone() -> None:
    [item] = parse_feed(RSS.encode(), {"content-type": "application/rss+xml"}, PAGE).items
    assert item.key_points == ("The barrier held overnight", "Two roads are closed")
    when = datetime(2026, 3, 5, 15, 20, tzinfo=timezone.utc).isoformat()
    assert item.id == stable_hash("Barrier holds", when, "Photo credit line")
