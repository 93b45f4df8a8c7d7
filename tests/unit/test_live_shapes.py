"""Shapes of real live pages that the fixture pages of ``more2/`` model, one rule at a time:
each test is a small page a publisher's CMS makes and what a reader of it expects."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource
from widget.sources import discover
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/storm"


def page(main: str, *, head: str = "", lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Storm live</title>'
        f"{head}</head><body><nav><ul><li><a href='/a'>World</a></li><li><a href='/b'>Sport</a>"
        f"</li></ul></nav><main><h1>Storm live</h1>{main}</main>"
        "<footer><p>Imprint</p></footer></body></html>"
    ).encode()


def updates(body: bytes) -> list[Item]:
    parsed = parse_live_page(body, HTML, URL)
    return [i for i in parsed.items if not i.is_page]


def page_entry(body: bytes) -> Item:
    parsed = discover.detect(body, HTML, URL)
    assert isinstance(parsed, ParsedSource)
    [entry] = [i for i in parsed.items if i.is_page]
    return entry


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _clock_posts(clocks: list[str], tag: str = "div") -> str:
    words = ["The ferry is cancelled.", "The dyke is being raised.", "A storm warning is out."]
    return "".join(
        f'<{tag} class="post"><span class="time">{clock}</span><p>{words[i % 3]}</p></{tag}>'
        for i, clock in enumerate(clocks)
    )


# --- the zone of clock times --------------------------------------------------------------


def test_clock_times_of_a_page_dated_in_utc_are_local_times_of_its_locale() -> None:
    """A German page whose metadata gives UTC ("Z") prints its clocks in German time."""
    head = '<meta property="article:modified_time" content="2026-03-05T13:36:00Z">'
    posts = _clock_posts(["14:35 Uhr", "12:10 Uhr", "09:05 Uhr"])
    got = [u.published for u in updates(page(posts, head=head, lang="de"))]
    assert got == [utc("2026-03-05T14:35+01:00"), utc("2026-03-05T12:10+01:00"),
                   utc("2026-03-05T09:05+01:00")]  # fmt: skip


def test_summer_time_of_the_locale_is_applied() -> None:
    head = (
        '<meta property="og:locale" content="en_GB">'
        '<meta property="article:modified_time" content="2026-06-18T14:41:00Z">'
    )
    posts = _clock_posts(["3.40pm", "1.15pm", "11.05am"])
    got = [u.published for u in updates(page(posts, head=head, lang="en"))]
    assert got == [utc("2026-06-18T15:40+01:00"), utc("2026-06-18T13:15+01:00"),
                   utc("2026-06-18T11:05+01:00")]  # fmt: skip


def test_a_region_behind_utc_moves_evening_posts_to_the_next_utc_day() -> None:
    head = '<meta property="article:modified_time" content="2026-03-06T00:41:00Z">'
    posts = _clock_posts(["21h40", "19h15", "17h05"])
    got = [u.published for u in updates(page(posts, head=head, lang="pt-BR"))]
    assert got[0] == utc("2026-03-05T21:40-03:00")


def test_an_offset_the_page_states_wins_over_its_locale() -> None:
    head = '<meta property="article:modified_time" content="2026-03-05T16:00:00+05:30">'
    posts = _clock_posts(["15:40", "14:10", "12:00"])
    got = [u.published for u in updates(page(posts, head=head, lang="de"))]
    assert got[0] == utc("2026-03-05T15:40+05:30")


def test_a_locale_of_several_zones_keeps_utc() -> None:
    head = '<meta property="article:modified_time" content="2026-03-05T16:00:00Z">'
    posts = _clock_posts(["15:40", "14:10", "12:00"])
    got = [u.published for u in updates(page(posts, head=head, lang="en-US"))]
    assert got[0] == utc("2026-03-05T15:40Z")


# --- days ------------------------------------------------------------------------------------


def test_yesterday_before_the_clock_is_the_day_before_the_pages_date() -> None:
    """ "Ayer, 08:30" on a page last changed this morning is yesterday morning, not today."""
    head = '<meta property="article:modified_time" content="2026-03-05T09:11:00+01:00">'
    posts = _clock_posts(["Hoy, 09:10", "Ayer, 23:45", "Ayer, 08:30"])
    got = [u.published for u in updates(page(posts, head=head, lang="es"))]
    assert got == [utc("2026-03-05T09:10+01:00"), utc("2026-03-04T23:45+01:00"),
                   utc("2026-03-04T08:30+01:00")]  # fmt: skip


# --- what makes a post --------------------------------------------------------------------


def test_posts_whose_heading_comes_before_their_time_are_a_ticker() -> None:
    """A theme that prints each entry's (long) title, then its time and byline."""
    posts = "".join(
        f'<article class="live-entry" id="entry-{n}"><h2 class="entry-title">{title}</h2>'
        f'<div class="entry-meta"><time datetime="2026-03-05T{hm}:00-05:00">{hm}</time>'
        f' <span class="byline">By Sam Example</span></div>'
        f'<div class="entry-content"><p>{text}</p></div></article>'
        for n, hm, title, text in [
            (3, "16:50", "Council votes to extend the emergency shelter program through April",
             "The vote was unanimous."),
            (2, "14:25", "Snowplows pulled back from side streets as the main roads ice over",
             "Crews return overnight."),
            (1, "11:10", "Airport cancels more than half of its afternoon departures",
             "Check your flight first."),
        ]
    )  # fmt: skip
    got = updates(page(posts))
    assert [(u.title, u.url) for u in got] == [
        ("Council votes to extend the emergency shelter program through April", URL + "#entry-3"),
        ("Snowplows pulled back from side streets as the main roads ice over", URL + "#entry-2"),
        ("Airport cancels more than half of its afternoon departures", URL + "#entry-1"),
    ]
    assert got[0].published == utc("2026-03-05T16:50-05:00")
    assert all("Sam Example" not in u.summary for u in got)


def test_a_list_of_headlines_each_with_its_time_is_still_no_ticker() -> None:
    """Teasers of other stories (heading link, then time) are a "latest news" box."""
    teasers = "".join(
        f'<article class="teaser"><h3><a href="/story/{n}">Story number {n} of the day with a'
        f' long headline</a></h3><time datetime="2026-03-05T1{n}:00:00Z">1{n}:00</time></article>'
        for n in range(4)
    )
    body = page(f"<p>{'An ordinary article paragraph. ' * 20}</p>{teasers}")
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(body, HTML, URL)


def test_a_definition_list_of_times_and_texts_is_a_ticker() -> None:
    """<dt>godz. 16:20</dt><dd>…</dd>: the time and its post are two elements."""
    head = '<meta property="article:modified_time" content="2026-04-07T16:21:00+02:00">'
    posts = "".join(
        f"<dt>godz. {hm}</dt><dd><p><strong>{title}.</strong> Dalsze szczegóły.</p></dd>"
        for hm, title in [("16:20", "Frekwencja wyższa"), ("13:45", "Długie kolejki"),
                          ("11:30", "Pierwsze dane")]
    )  # fmt: skip
    got = updates(page(f"<dl class='relacja'>{posts}</dl>", head=head, lang="pl"))
    assert [u.title for u in got] == ["Frekwencja wyższa", "Długie kolejki", "Pierwsze dane"]
    assert got[0].published == utc("2026-04-07T16:20+02:00")
    assert all("godz" not in u.summary for u in got)


def test_a_bold_line_before_a_line_break_is_the_posts_title() -> None:
    rows = "".join(
        f"<tr><td>{hm}</td><td><strong>{title}</strong><br>{text}</td></tr>"
        for hm, title, text in [
            ("16.45", "Eerste treinen rijden weer", "Op één spoor is het verkeer hervat."),
            ("14.20", "Extra bussen ingezet", "Reizigers nemen de bus vanaf perron B."),
            ("11.05", "Monteurs aan het werk", "De oorzaak is een kapotte wissel."),
        ]
    )
    got = updates(page(f"<table><tbody>{rows}</tbody></table>", lang="nl"))
    assert [u.title for u in got] == [
        "Eerste treinen rijden weer", "Extra bussen ingezet", "Monteurs aan het werk",
    ]  # fmt: skip


def test_a_bold_lead_sentence_running_into_the_text_stays_a_sentence() -> None:
    posts = "".join(
        f"<p><strong>{hm} Uhr:</strong> <b>{lead}</b> und mehr dazu im Text.</p>"
        for hm, lead in [("16.45", "Der Deich hält"), ("14.20", "Die Fähre fällt aus"),
                         ("12.31", "Warnung vor Sturm")]
    )  # fmt: skip
    got = updates(page(posts, lang="de"))
    assert got[0].title == "Der Deich hält und mehr dazu im Text"


# --- tickers over several days -------------------------------------------------------------

_DAYS = [
    ("Donnerstag, 5. März 2026", [("09:40", "Schulen zu"), ("06:10", "Bilanz der Nacht")]),
    ("Mittwoch, 4. März 2026", [("22:30", "Sturmflut gemessen"), ("08:20", "Warnung")]),
]  # fmt: skip
_DE_HEAD = '<meta property="article:modified_time" content="2026-03-05T09:41:00+01:00">'


def _de_post(hm: str, title: str) -> str:
    return f'<div class="post"><span class="time">{hm} Uhr</span><h3>{title}</h3><p>Mehr.</p></div>'


def test_posts_in_one_section_per_day_are_one_ticker_dated_by_their_sections() -> None:
    sections = "".join(
        f'<section class="day"><h2>{day}</h2>{"".join(_de_post(*p) for p in posts)}</section>'
        for day, posts in _DAYS
    )
    got = updates(page(f'<div class="liveblog">{sections}</div>', head=_DE_HEAD, lang="de"))
    assert [(u.title, u.published) for u in got] == [
        ("Schulen zu", utc("2026-03-05T09:40+01:00")),
        ("Bilanz der Nacht", utc("2026-03-05T06:10+01:00")),
        ("Sturmflut gemessen", utc("2026-03-04T22:30+01:00")),
        ("Warnung", utc("2026-03-04T08:20+01:00")),
    ]


def test_day_headings_between_the_posts_of_one_stream_date_the_posts_after_them() -> None:
    stream = "".join(
        f'<h2 class="day">{day}</h2>{"".join(_de_post(*p) for p in posts)}' for day, posts in _DAYS
    )
    got = updates(page(f'<div class="liveblog">{stream}</div>', head=_DE_HEAD, lang="de"))
    assert [u.published for u in got][-1] == utc("2026-03-04T08:20+01:00")


def test_posts_each_headed_by_their_date_stay_posts() -> None:
    posts = "".join(
        f'<article class="post" id="p{n}"><h3>05.03.2026</h3><time>{hm}</time>'
        f"<p>{text}</p></article>"
        for n, hm, text in [(3, "14:05", "Die Fähre fällt aus."), (2, "12:40", "Der Deich hält."),
                            (1, "09:15", "Sturmwarnung für die Küste.")]
    )  # fmt: skip
    got = updates(page(posts, head=_DE_HEAD, lang="de"))
    assert [(u.title, u.url) for u in got] == [
        ("Die Fähre fällt aus", URL + "#p3"), ("Der Deich hält", URL + "#p2"),
        ("Sturmwarnung für die Küste", URL + "#p1"),
    ]  # fmt: skip


# --- the page's key points ------------------------------------------------------------------


def test_bullet_paragraphs_after_an_announcing_heading_are_the_key_points() -> None:
    box = (
        "<h2>Ce que nous savons</h2><div class='resume'><p>• Un enseignant sur trois est en grève"
        "</p><p>• Des milliers de personnes ont défilé</p></div>"
    )
    posts = _clock_posts(["17h20", "15h05", "12h40"])
    entry = page_entry(page(box + posts, lang="fr"))
    assert entry.key_points == (
        "Un enseignant sur trois est en grève", "Des milliers de personnes ont défilé",
    )  # fmt: skip


def test_bullet_lines_split_by_line_breaks_are_points_too() -> None:
    box = "<p><strong>What we know</strong></p><p>• Roads are closed<br>• Schools are shut</p>"
    entry = page_entry(page(box + _clock_posts(["3.40pm", "1.15pm", "11.05am"])))
    assert entry.key_points == ("Roads are closed", "Schools are shut")


@pytest.mark.parametrize(
    "heading",
    ["Ce que nous savons", "Lo que debes saber", "Quello che sappiamo", "Wat je moet weten",
     "O que aconteceu até agora", "Key updates", "Co musisz wiedzieć"],
)  # fmt: skip
def test_more_headings_announce_the_key_points(heading: str) -> None:
    """The announced list wins over a plain short list before it."""
    box = (
        "<ul class='facts'><li>Plain one</li><li>Plain two</li></ul>"
        f"<h2>{heading}</h2><ul><li>Point one</li><li>Point two</li></ul>"
    )
    entry = page_entry(page(box + _clock_posts(["14:35", "12:10", "09:05"])))
    assert entry.key_points == ("Point one", "Point two")
