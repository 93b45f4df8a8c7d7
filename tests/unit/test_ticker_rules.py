"""The general rules of HTML-only tickers: times as publishers write them, decorations, relative
times beside absolute ones, a post's own time in its aside, and pages with times that are no
ticker (a normal article, a "latest news" list, comments, a timeline box)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import discover, ticker
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/storm"
CET = '<meta property="article:published_time" content="2026-03-05T08:00:00+01:00">'


def doc(main: str, *, meta: str = CET, lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Storm live</title>'
        f'{meta}<link rel="alternate" type="application/rss+xml" href="/rss"></head><body>'
        '<nav><ul><li><a href="/a">World</a></li></ul></nav>'
        f"<main><h1>Storm live</h1>{main}</main><footer><p>Imprint</p></footer></body></html>"
    ).encode()


def updates(parsed: ParsedSource) -> list[Item]:
    return [i for i in parsed.items if not i.is_page]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


TITLES = ("Dyke reinforced", "Ferry cancelled", "Storm warning issued")


def posts_with(opening: str, hours: tuple[int, int, int] = (16, 14, 12)) -> str:
    return "".join(
        f'<div class="entry"><span class="when">{opening.format(h=h, h12=h - 12)}</span>'
        f"<h3>{title}</h3><p>What happened at that hour, in a sentence.</p></div>"
        for h, title in zip(hours, TITLES, strict=True)
    )


@pytest.mark.parametrize(
    ("opening", "first"),
    [
        ("{h}h47", "2026-03-05T16:47:00+01:00"),
        ("{h}h", "2026-03-05T16:00:00+01:00"),
        ("às {h}h47", "2026-03-05T16:47:00+01:00"),
        ("godz. {h}:47", "2026-03-05T16:47:00+01:00"),
        ("ore {h}.47", "2026-03-05T16:47:00+01:00"),
        ("{h12}:47 pm", "2026-03-05T16:47:00+01:00"),
        ("{h}:47 Uhr", "2026-03-05T16:47:00+01:00"),
        ("{h}:47 GMT", "2026-03-05T16:47:00+00:00"),
        ("{h}:47 ET", "2026-03-05T16:47:00-05:00"),  # eastern standard time in early March
        ("4 March 2026, {h}:47", "2026-03-04T16:47:00+01:00"),  # the post's own date wins
        ("4 de marzo, {h}:47", "2026-03-04T16:47:00+01:00"),
        ("4 mars {h}h47", "2026-03-04T16:47:00+01:00"),
        ("04.03.2026 | {h}:47", "2026-03-04T16:47:00+01:00"),
        ("Mar 4, 2026 {h12}:47 PM (CET)", "2026-03-04T16:47:00+01:00"),
        ("{h12}:47 pm March 4, 2026", "2026-03-04T16:47:00+01:00"),
    ],
)
def test_clock_times_as_publishers_write_them(opening: str, first: str) -> None:
    parsed = parse_live_page(doc(posts_with(opening)), HTML, URL)
    assert parsed.kind is SourceKind.LIVE_PAGE
    got = updates(parsed)
    assert [u.title for u in got] == list(TITLES)
    assert got[0].published == utc(first)


@pytest.mark.parametrize(
    "decoration", ["+++ {c} {t} +++", "• {c} | {t}", "{c} — {t}", "{c} Uhr: {t}"]
)
def test_flat_headings_lose_their_time_and_decorations(decoration: str) -> None:
    main = "".join(
        f"<h2>{decoration.format(c=c, t=t)}</h2><p>Body of the post, a sentence long.</p>"
        for c, t in zip(("17:12", "16:05", "14:47"), TITLES, strict=True)
    )
    got = updates(parse_live_page(doc(main, lang="de"), HTML, URL))
    assert [u.title for u in got] == list(TITLES)
    assert [u.published for u in got][-1] == utc("2026-03-05T14:47:00+01:00")
    for update in got:
        assert not any(mark in update.title + update.summary for mark in ("+++", "•", "|", "—"))


def test_a_relative_time_beside_the_clock_gives_way_to_the_clock() -> None:
    main = "".join(
        f'<div class="entry"><span class="ago">vor {n} Stunden</span> <span>{c} Uhr</span>'
        f"<p>{t}.</p></div>"
        for n, c, t in zip((1, 2, 3), ("15:10", "14:05", "13:00"), TITLES, strict=True)
    )
    got = updates(parse_live_page(doc(main, lang="de"), HTML, URL))
    assert [(u.title, u.published) for u in got] == [
        (TITLES[0], utc("2026-03-05T15:10:00+01:00")),
        (TITLES[1], utc("2026-03-05T14:05:00+01:00")),
        (TITLES[2], utc("2026-03-05T13:00:00+01:00")),
    ]
    assert not any("Stunden" in u.summary for u in got)


def test_a_time_in_the_posts_own_aside_is_the_posts_time() -> None:
    """Page chrome (an aside beside the story) goes; an aside inside a post holding its time
    and permalink stays for the ticker to read, and the site's feed does not replace the page."""
    main = "".join(
        f'<article class="entry" id="e{n}"><aside><a href="#e{n}">{c}</a></aside>'
        f"<div><h2>{t}</h2><p>Text of the post.</p></div></article>"
        for n, c, t in zip((3, 2, 1), ("15:10", "14:05", "13:00"), TITLES, strict=True)
    )
    main += "<aside><h2>Most read</h2><p>12:00 Another story on the site</p></aside>"
    found = discover.detect(doc(main), HTML, URL)
    assert isinstance(found, ParsedSource) and found.kind is SourceKind.LIVE_PAGE
    got = updates(found)
    assert [(u.title, u.url) for u in got] == [
        (t, f"{URL}#e{n}") for n, t in zip((3, 2, 1), TITLES, strict=True)
    ]
    assert got[0].published == utc("2026-03-05T15:10:00+01:00")


ARTICLE = "<p class='updated'>Last updated 14:05</p>" + "".join(
    f"<p>{'The council met on Thursday to discuss the harbour wall and its repairs. ' * 3}</p>"
    for _ in range(6)
)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param("", id="a last-updated line"),
        pytest.param(
            "<h2>Latest</h2><ul>"
            + "".join(
                f'<li><span class="t">{c}</span> <a href="/news/{n}">Other story {n}</a></li>'
                for n, c in enumerate(("14:00", "13:10", "12:30", "11:45"))
            )
            + "</ul>",
            id="a latest-news list with times",
        ),
        pytest.param(
            '<div class="user-replies">'
            + "".join(
                f'<div class="reply-item"><span>{c}</span><p>I agree with this piece.</p></div>'
                for c in ("14:00", "13:10", "12:30", "11:45")
            )
            + "</div>",
            id="replies with times",
        ),
        pytest.param(
            "<h3>How the day unfolded</h3><ul>"
            + "".join(f"<li>{c} Crews arrived</li>" for c in ("06:10", "07:20", "09:00"))
            + "</ul>",
            id="a short timeline box",
        ),
    ],
)
def test_an_article_with_a_few_times_is_no_ticker(extra: str) -> None:
    body = doc(f"<article>{ARTICLE}{extra}</article>")
    with pytest.raises(ParseError):
        parse_live_page(body, HTML, URL)
    found = discover.detect(body, HTML, URL)
    assert not isinstance(found, ParsedSource)  # the site's feed is offered instead


def test_written_dates_in_many_languages() -> None:
    near = date(2026, 3, 10)
    for text in ("5 March", "Mar 5, 2026", "05.03.2026", "5 mars", "5 de marzo", "5. März",
                 "5 marca 2026", "5 maart", "March 5th", "2026-03-05"):  # fmt: skip
        assert ticker.written_date(text, near) == date(2026, 3, 5), text
    assert ticker.written_date("31 Dec", date(2026, 1, 2)) == date(2025, 12, 31)
    assert ticker.written_date("14:05", near) is None
