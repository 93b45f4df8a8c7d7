"""An update's title: its headline, unless empty, generic or the page's own; then the post's
first heading, else its first sentence; never with a leading clock time; entities decoded once."""

from __future__ import annotations

import json
from typing import Any

from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/vote"
PAGE = "Election night: results as they come in"


def titles(updates: list[dict[str, Any]], posts: str = "") -> list[str]:
    node = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": PAGE,
        "liveBlogUpdate": updates,
    }
    body = (
        f"<html><head><title>{PAGE}</title><script type='application/ld+json'>{json.dumps(node)}"
        f"</script></head><body><main><h1>{PAGE}</h1>{posts}</main></body></html>"
    ).encode()
    parsed = parse_live_page(body, HTML, URL)
    # a first sentence may keep its full stop
    return [i.title.removesuffix(".") for i in parsed.items if not i.is_page]


def update(n: int, **fields: str) -> dict[str, Any]:
    return {
        "@type": "BlogPosting",
        "@id": f"#p{n}",
        "datePublished": f"2026-03-05T1{n}:00:00Z",
    } | fields


def post(n: int, inner: str) -> str:
    when = f"2026-03-05T1{n}:00:00Z"
    return f'<div class="post" id="p{n}"><time datetime="{when}">1{n}:00</time>{inner}</div>'


def test_headline_repeating_the_page_gives_the_posts_own_heading() -> None:
    ups = [update(n, headline=PAGE, articleBody=f"Body {n}.") for n in (3, 2, 1)]
    posts = "".join(post(n, f"<h2>Ward {n} declares</h2><p>Body {n}.</p>") for n in (3, 2, 1))
    assert titles(ups, posts) == ["Ward 3 declares", "Ward 2 declares", "Ward 1 declares"]


def test_headline_that_is_a_prefix_of_the_page_headline_is_not_used() -> None:
    ups = [
        update(n, headline="Election night", articleBody=f"Count {n} is in. More later.")
        for n in (2, 1)
    ]
    assert titles(ups) == ["Count 2 is in", "Count 1 is in"]


def test_without_heading_the_first_sentence_is_the_title() -> None:
    ups = [update(1, articleBody="Turnout reached 61 per cent. That is up on last time.")]
    assert titles(ups) == ["Turnout reached 61 per cent"]


def test_leading_clock_time_is_stripped_from_headline_and_sentence() -> None:
    ups = [
        update(3, headline="21:40 First result declared"),
        update(2, headline="9.15pm: Polls close"),
        update(1, articleBody="18.05 Uhr: Die Wahllokale sind geöffnet. Mehr folgt."),
    ]
    assert titles(ups) == ["First result declared", "Polls close", "Die Wahllokale sind geöffnet"]


def test_entities_are_decoded_exactly_once() -> None:
    ups = [
        update(3, headline="Fish &amp; chips shop becomes polling station"),
        update(2, headline="Mayor&#8217;s seat held"),
    ]
    assert titles(ups) == [
        "Fish & chips shop becomes polling station",
        "Mayor’s seat held",
    ]


def test_generic_headlines_give_way_to_the_post() -> None:
    generic = ["Update", "Breaking", "Live", "Eilmeldung", "En direct", "Post"]
    ups = [update(n % 10, headline=g, articleBody=f"Real news number {n}. Details.")
           for n, g in enumerate(generic, start=1)]  # fmt: skip
    assert titles(ups) == [f"Real news number {n}" for n in range(6, 0, -1)]  # newest first
