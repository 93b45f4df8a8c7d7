"""HTML-only live tickers through ``liveblog.parse_live_page`` and ``discover.detect``: a run of
posts, each opening with a time, becomes one entry per post."""

from __future__ import annotations

from datetime import datetime, timezone

from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import discover
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/storm"


def doc(posts: str, *, meta: str = "", lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Storm live</title>'
        f'{meta}</head><body><nav><ul><li><a href="/a">World</a></li><li><a href="/b">Sport</a>'
        f"</li></ul></nav><main><h1>Storm live</h1>{posts}</main>"
        "<footer><p>Imprint</p></footer></body></html>"
    ).encode()


def updates(parsed: ParsedSource) -> list[Item]:
    return [i for i in parsed.items if not i.is_page]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def test_german_uhr_paragraphs_on_the_page_date_in_its_zone() -> None:
    posts = "".join(
        f"<p><strong>{clock} Uhr:</strong> {words}</p>"
        for clock, words in [
            ("16.45", "Der Deich am Nordhafen wird verstärkt."),
            ("14.20", "Die Fähre zur Insel fällt aus."),
            ("12.31", "Der Wetterdienst warnt vor Sturmböen."),
        ]
    )
    meta = '<meta property="article:published_time" content="2026-03-05T08:00:00+01:00">'
    parsed = parse_live_page(doc(posts, meta=meta, lang="de"), HTML, URL)
    assert parsed.kind is SourceKind.LIVE_PAGE
    got = [(u.title, u.published) for u in updates(parsed)]
    assert got == [
        ("Der Deich am Nordhafen wird verstärkt", utc("2026-03-05T16:45:00+01:00")),
        ("Die Fähre zur Insel fällt aus", utc("2026-03-05T14:20:00+01:00")),
        ("Der Wetterdienst warnt vor Sturmböen", utc("2026-03-05T12:31:00+01:00")),
    ]


def test_clock_after_the_pages_publication_is_the_same_day() -> None:
    """A page published in the morning whose posts are later that day (no modified date)."""
    posts = "".join(
        f'<div class="post"><span class="t">{c}</span><h3>{t}</h3><p>Text of the post.</p></div>'
        for c, t in [("15:05", "Third"), ("13:20", "Second"), ("12:00", "First")]
    )
    meta = '<meta property="article:published_time" content="2026-03-05T11:30:00+00:00">'
    parsed = parse_live_page(doc(posts, meta=meta), HTML, URL)
    assert [u.published for u in updates(parsed)] == [
        utc("2026-03-05T15:05:00+00:00"),
        utc("2026-03-05T13:20:00+00:00"),
        utc("2026-03-05T12:00:00+00:00"),
    ]


def test_ist_clock_names_its_own_zone() -> None:
    posts = "".join(
        f'<div class="lb-post"><span class="time">{c} IST</span><h3>{t}</h3>'
        "<p>Update text.</p></div>"
        for c, t in [("19:02", "Schools closed"), ("18:15", "Trains cancelled"), ("16:40", "Alert")]
    )
    meta = '<meta property="article:published_time" content="2026-03-05T09:00:00+05:30">'
    parsed = parse_live_page(doc(posts, meta=meta), HTML, URL)
    assert updates(parsed)[0].published == utc("2026-03-05T13:32:00+00:00")


def test_time_datetime_posts_with_ids_link_to_their_element() -> None:
    posts = "".join(
        f'<article class="entry" id="e-{n}"><time datetime="2026-03-05T1{n}:00:00Z">1{n}:00</time>'
        f"<h2>Heading {n}</h2><p>Body {n}.</p></article>"
        for n in (3, 2, 1)
    )
    parsed = parse_live_page(doc(posts), HTML, URL)
    got = [(u.id, u.title, u.url, u.published) for u in updates(parsed)]
    assert got == [
        (f"#e-{n}", f"Heading {n}", f"{URL}#e-{n}", utc(f"2026-03-05T1{n}:00:00+00:00"))
        for n in (3, 2, 1)
    ]


def test_posts_without_ids_have_stable_distinct_identities_and_the_page_link() -> None:
    def body(clock_shift: str) -> bytes:
        return doc(
            "".join(
                f'<div class="tick"><span class="c">{c}{clock_shift}</span><h4>{t}</h4></div>'
                for c, t in [("14:05", "Ferry back"), ("13:10", "Road shut"), ("12:00", "Wind up")]
            )
        )

    first = updates(parse_live_page(body(""), HTML, URL))
    again = updates(parse_live_page(body(""), HTML, URL))
    assert len({u.id for u in first}) == 3
    assert [u.id for u in first] == [u.id for u in again]
    assert [u.url for u in first] == [URL] * 3


def test_relative_time_text_uses_the_datetime_and_is_no_part_of_the_title() -> None:
    posts = "".join(
        f'<div class="p" id="p{n}"><a href="#p{n}"><time datetime="2026-03-05T1{n}:30:00Z">'
        f"{n * 10} min ago</time></a><h2>Post {n}</h2><p>Some text here.</p></div>"
        for n in (3, 2, 1)
    )
    parsed = parse_live_page(doc(posts), HTML, URL)
    got = [(u.title, u.published) for u in updates(parsed)]
    assert got == [(f"Post {n}", utc(f"2026-03-05T1{n}:30:00+00:00")) for n in (3, 2, 1)]
    assert not any("ago" in (u.summary or "") for u in updates(parsed))


def test_detect_keeps_a_ticker_page_with_a_site_feed_as_a_live_page() -> None:
    posts = "".join(
        f'<div class="post" id="x{n}"><time datetime="2026-03-05T1{n}:00:00Z">1{n}:00</time>'
        f"<h3>Item {n}</h3></div>"
        for n in (3, 2, 1)
    )
    meta = '<link rel="alternate" type="application/rss+xml" href="/rss">'
    found = discover.detect(doc(posts, meta=meta), HTML, URL)
    assert isinstance(found, ParsedSource) and found.kind is SourceKind.LIVE_PAGE
