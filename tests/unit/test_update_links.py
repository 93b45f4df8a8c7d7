"""Every live-page update has a link: its url, else its @id when a URL or #fragment, else the
page with the #id of the post's element, else the page URL; never None."""

from __future__ import annotations

import json
from typing import Any

import pytest

from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/vote?ref=home"
PAGE = "https://news.example/live/vote"


def links(updates: list[dict[str, Any]], posts: str = "", url: str = PAGE) -> dict[str, str | None]:
    node = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": "Vote live",
            "liveBlogUpdate": updates}  # fmt: skip
    body = (
        "<html><head><title>Vote live</title><script type='application/ld+json'>"
        f"{json.dumps(node)}</script></head><body><main><h1>Vote live</h1>{posts}</main>"
        "</body></html>"
    ).encode()
    parsed = parse_live_page(body, HTML, url)
    return {i.title: i.url for i in parsed.items if not i.is_page}


def up(title: str, hour: int, **fields: str) -> dict[str, Any]:
    return {
        "@type": "BlogPosting",
        "headline": title,
        "datePublished": f"2026-03-05T{hour}:00:00Z",
    } | fields


def test_url_wins_and_relative_urls_are_resolved() -> None:
    got = links(
        [up("A", 13, url="https://news.example/live/vote/a"), up("B", 12, url="/live/vote#b")]
    )
    assert got == {"A": "https://news.example/live/vote/a", "B": "https://news.example/live/vote#b"}


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("https://news.example/live/vote#u-1", "https://news.example/live/vote#u-1"),
        ("#u-1", "https://news.example/live/vote#u-1"),
    ],
)
def test_id_url_or_fragment(ident: str, expected: str) -> None:
    assert links([up("A", 13, **{"@id": ident})]) == {"A": expected}


def test_fragment_resolves_against_the_page_without_its_query_noise() -> None:
    got = links([up("A", 13, **{"@id": "#u-1"})], url=URL)
    assert got["A"] is not None and got["A"].endswith("#u-1")


def test_element_id_of_the_post_found_in_the_html() -> None:
    posts = "".join(
        f'<div class="post" id="post-{h}"><time datetime="2026-03-05T{h}:00:00Z">{h}:00</time>'
        f"<h2>{t}</h2></div>"
        for t, h in [("A", 13), ("B", 12), ("C", 11)]
    )
    got = links([up("A", 13), up("B", 12), up("C", 11)], posts)
    assert got == {t: f"{PAGE}#post-{h}" for t, h in [("A", 13), ("B", 12), ("C", 11)]}


def test_bare_id_equal_to_an_element_id_links_to_that_element() -> None:
    posts = "".join(
        f'<div class="post" id="m{h}"><time datetime="2026-03-05T{h}:00:00Z">{h}:00</time>'
        f"<h2>{t}</h2></div>"
        for t, h in [("A", 13), ("B", 12), ("C", 11)]
    )
    got = links([up(t, h, **{"@id": f"m{h}"}) for t, h in [("A", 13), ("B", 12), ("C", 11)]], posts)
    assert got == {t: f"{PAGE}#m{h}" for t, h in [("A", 13), ("B", 12), ("C", 11)]}


def test_url_equal_to_the_page_gives_the_posts_fragment_and_keeps_every_update() -> None:
    posts = "".join(
        f'<div class="post" id="m{h}"><time datetime="2026-03-05T{h}:00:00Z">{h}:00</time>'
        f"<h2>{t}</h2></div>"
        for t, h in [("A", 13), ("B", 12), ("C", 11)]
    )
    got = links([up(t, h, url=PAGE) for t, h in [("A", 13), ("B", 12), ("C", 11)]], posts)
    assert got == {t: f"{PAGE}#m{h}" for t, h in [("A", 13), ("B", 12), ("C", 11)]}


def test_nothing_at_all_gives_the_page_url_never_none() -> None:
    got = links([up("A", 13), up("B", 12)])
    assert got == {"A": PAGE, "B": PAGE}


def test_unsafe_url_is_not_used() -> None:
    got = links([up("A", 13, url="javascript:alert(1)")])
    assert got == {"A": PAGE}
