"""Shapes of real live pages that the fixture pages of ``more4/`` model, one rule at a time:
posts dated only by a relative age ("5 min ago", "vor 3 Minuten", "il y a 2 heures"), the
languages added to the same rules (Swedish, Danish, Norwegian, Czech, Romanian, Turkish), posts
whose only address is in their share tools, "Pinned" / "Key event" flags, "GMT+1" clocks."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from widget.core import keypoints
from widget.core.errors import ParseError
from widget.core.models import Item
from widget.sources import discover, ticker
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/storm"
CHANGED = '<meta property="article:modified_time" content="2026-03-05T17:02:00+01:00">'
PUBLISHED = '<meta property="article:published_time" content="2026-03-05T08:00:00+01:00">'
TITLES = ["Ferry services resume", "Coast road closed again", "Schools shut on Friday"]


def page(main: str, *, head: str = CHANGED, lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Storm live'
        f"</title>{head}</head><body><nav><ul><li><a href='/a'>World</a></li><li><a href='/b'>"
        f"Sport</a></li></ul></nav><main><h1>Storm live</h1>{main}</main>"
        "<footer><p>Imprint</p></footer></body></html>"
    ).encode()


def updates(body: bytes, url: str = URL) -> list[Item]:
    parsed = parse_live_page(body, HTML, url)
    return [i for i in parsed.items if not i.is_page]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def aged_posts(ages: list[str], titles: list[str] = TITLES, share: list[str] | None = None) -> str:
    return "".join(
        f'<div class="post"><span class="post__ago">{age}</span><h3>{title}</h3>'
        f"<p>Crews are at work along the coast.</p>"
        + (f'<div class="share"><a href="{share[n]}">Copy link</a></div>' if share else "")
        + "</div>"
        for n, (age, title) in enumerate(zip(ages, titles, strict=False))
    )


# --- posts dated only by a relative age ----------------------------------------------------


@pytest.mark.parametrize(
    ("ages", "lang"),
    [
        (["5 min ago", "2 hours ago", "3 hrs ago"], "en"),
        (["Just now", "an hour ago", "about 3 hours ago"], "en"),
        (["vor 5 Minuten", "vor 2 Std.", "vor 3 Stunden"], "de"),
        (["vor 5 Min.", "vor einer Stunde", "vor 3 Std."], "de"),  # one hour
        (["il y a 5 min", "il y a 2 heures", "il y a 3 h"], "fr"),
        (["hace 5 minutos", "hace 2 h", "hace 3 horas"], "es"),
        (["5 minuti fa", "2 ore fa", "3 ore fa"], "it"),
        (["há 5 min", "há 2 horas", "há 3 horas"], "pt"),
        (["5 minuten geleden", "2 uur geleden", "3 uur geleden"], "nl"),
        (["5 minut temu", "2 godziny temu", "3 godz. temu"], "pl"),
        (["för 5 minuter sedan", "2 timmar sedan", "för 3 timmar sedan"], "sv"),
        (["for 5 minutter siden", "for 2 timer siden", "3 timer siden"], "da"),
        (["for 5 minutter siden", "for 2 timer siden", "for 3 timer siden"], "no"),
        (["před 5 minutami", "před 2 hodinami", "před 3 hodinami"], "cs"),
        (["acum 5 minute", "acum 2 ore", "acum 3 ore"], "ro"),
        (["5 dakika önce", "2 saat önce", "3 sa önce"], "tr"),
    ],
)
def test_a_post_dated_only_by_its_age_is_dated_from_the_pages_last_change(
    ages: list[str], lang: str
) -> None:
    got = updates(page(aged_posts(ages), lang=lang))
    one_hour = ages[1] in ("an hour ago", "vor einer Stunde")
    second = "2026-03-05T16:02:00+01:00" if one_hour else "2026-03-05T15:02:00+01:00"
    first = "2026-03-05T17:02:00+01:00" if ages[0] == "Just now" else "2026-03-05T16:57:00+01:00"
    assert [(u.title, u.published) for u in got] == [
        (TITLES[0], utc(first)),
        (TITLES[1], utc(second)),
        (TITLES[2], utc("2026-03-05T14:02:00+01:00")),
    ]
    assert not any(age in u.summary or age in u.title for u in got for age in ages)


def test_the_age_counts_back_from_the_publication_when_the_page_gives_no_change() -> None:
    got = updates(page(aged_posts(["5 min ago", "2 hours ago", "3 hours ago"]), head=PUBLISHED))
    assert got[0].published == utc("2026-03-05T07:55:00+01:00")


def test_the_age_counts_back_from_a_jsonld_articles_change_when_the_meta_gives_none() -> None:
    jsonld = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Storm live",'
        '"datePublished":"2026-03-05T08:00:00+01:00","dateModified":"2026-03-05T18:30:00+01:00"}'
        "</script>"
    )
    got = updates(page(aged_posts(["5 min ago", "2 hours ago", "3 hours ago"]), head=jsonld))
    assert [u.published for u in got] == [
        utc("2026-03-05T18:25:00+01:00"), utc("2026-03-05T16:30:00+01:00"),
        utc("2026-03-05T15:30:00+01:00"),
    ]  # fmt: skip


def test_clock_times_are_read_on_the_date_of_a_jsonld_article_when_the_meta_gives_none() -> None:
    """(Without it the posts were undated, and "5 März" took the year of the reader's clock.)"""
    jsonld = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Storm live",'
        '"datePublished":"2025-03-05T08:00:00+01:00","dateModified":"2025-03-05T18:30:00+01:00"}'
        "</script>"
    )
    got = updates(page(aged_posts(["16:50 Uhr", "5. März, 14:05 Uhr", "13:40 Uhr"]), head=jsonld,
                       lang="de"))  # fmt: skip
    assert [u.published for u in got] == [
        utc("2025-03-05T16:50:00+01:00"), utc("2025-03-05T14:05:00+01:00"),
        utc("2025-03-05T13:40:00+01:00"),
    ]  # fmt: skip


def test_an_age_is_rounded_to_the_minute() -> None:
    head = '<meta property="article:modified_time" content="2026-03-05T17:02:41+01:00">'
    got = updates(page(aged_posts(["5 min ago", "2 hours ago", "3 hours ago"]), head=head))
    assert got[0].published == utc("2026-03-05T16:58:00+01:00")


def test_a_page_that_says_no_time_of_its_own_leaves_aged_posts_undated() -> None:
    """A saved page is read later: the machine's clock is no reference for its ages."""
    got = updates(page(aged_posts(["5 min ago", "2 hours ago", "3 hours ago"]), head=""))
    assert [u.title for u in got] == TITLES
    assert [u.published for u in got] == [None, None, None]


def test_the_same_page_fetched_an_hour_later_gives_the_same_ids() -> None:
    first = updates(page(aged_posts(["5 min ago", "2 hours ago", "3 hours ago"])))
    later_head = '<meta property="article:modified_time" content="2026-03-05T18:02:00+01:00">'
    later = updates(page(aged_posts(["65 min ago", "3 hours ago", "4 hours ago"]), head=later_head))
    assert [u.id for u in first] == [u.id for u in later]
    assert [u.published for u in first] == [u.published for u in later]
    assert [u.summary for u in first] == [u.summary for u in later]


def test_an_age_after_the_heading_stays_out_of_the_text_and_identity() -> None:
    def posts(ages: list[str]) -> str:
        return "".join(
            f'<article class="entry"><h2>{t}</h2><div class="entry__meta">{a}</div>'
            "<p>Crews are at work along the coast.</p></article>"
            for a, t in zip(ages, TITLES, strict=True)
        )

    first = updates(page(posts(["vor 5 Minuten", "vor 2 Stunden", "vor 3 Stunden"]), lang="de"))
    later = updates(page(posts(["vor 1 Stunde", "vor 3 Stunden", "vor 4 Stunden"]), lang="de"))
    assert [u.id for u in first] == [u.id for u in later]
    assert all("Stunde" not in u.summary and "Minuten" not in u.summary for u in first + later)


def test_an_age_in_a_time_element_without_datetime_dates_the_post() -> None:
    posts = "".join(
        f'<li class="item" id="i{n}"><time>{a}</time><h3>{t}</h3><p>Text.</p></li>'
        for n, (a, t) in enumerate(
            zip(["12 dakika önce", "1 saat önce", "3 saat önce"], TITLES, strict=True)
        )
    )
    got = updates(page(f"<ul>{posts}</ul>", lang="tr"))
    assert [(u.url, u.published) for u in got] == [
        (URL + "#i0", utc("2026-03-05T16:50:00+01:00")),
        (URL + "#i1", utc("2026-03-05T16:02:00+01:00")),
        (URL + "#i2", utc("2026-03-05T14:02:00+01:00")),
    ]


def test_ages_beside_clock_times_date_the_newest_posts_and_clocks_the_older_ones() -> None:
    got = updates(page(aged_posts(["vor 5 Minuten", "vor 2 Std.", "13:40 Uhr"]), lang="de"))
    assert [u.published for u in got] == [
        utc("2026-03-05T16:57:00+01:00"), utc("2026-03-05T15:02:00+01:00"),
        utc("2026-03-05T13:40:00+01:00"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "opening",
    ["5 minutes ago the police said", "Vor 3 Minuten hat die Polizei", "For 5 minutes nothing"],
)
def test_an_age_that_opens_a_sentence_marks_no_post(opening: str) -> None:
    paras = "".join(f"<p>{opening} something about item {n}.</p>" for n in range(4))
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(page(f"<div class='story'>{paras}</div>"), HTML, URL)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5 min ago", 300), ("2h ago", 7200), ("vor 2 Std.", 7200), ("il y a 2 jours", 172_800),
        ("un'ora fa", 3600), ("godzinę temu", 3600), ("před hodinou", 3600), ("acum o oră", 3600),
        ("hace 10 segundos", 10), ("just now", 0), ("przed chwilą", 0), ("az önce", 0),
    ],
)  # fmt: skip
def test_relative_ages_are_read_in_every_language(text: str, seconds: int) -> None:
    found = keypoints.relative_age(text)
    assert found is not None and found[0] == seconds


@pytest.mark.parametrize(
    "text", ["for 5 minutes", "vor Ort", "hace falta", "5 people", "2 h", "Vor 3 Jahren"]
)
def test_words_that_are_no_age_are_read_as_none(text: str) -> None:
    assert keypoints.relative_age(text) is None


@pytest.mark.parametrize(
    ("point", "cleaned"),
    [
        ("Ferries resume 3 minuten geleden", "Ferries resume"),
        ("Ferries resume · před 5 min", "Ferries resume"),
        ("Ferries resume (2 godziny temu)", "Ferries resume"),
        ("Ferries resume an hour ago", "Ferries resume"),
        ("5 min sedan – Ferries resume", "Ferries resume"),
        ("Ferries resume for 5 minutes", "Ferries resume for 5 minutes"),
    ],
)
def test_an_age_at_either_end_of_a_point_is_dropped(point: str, cleaned: str) -> None:
    assert keypoints.clean_point(point) == cleaned


# --- more languages on the same rules ------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "Det här vet vi", "Det vet vi just nu", "Det ved vi", "Kort fortalt", "Dette vet vi:",
        "Kort oppsummert", "Co víme", "Co zatím víme", "Ce știm", "Ce ştim până acum",
        "Neler biliyoruz?", "Öne çıkanlar", "Hovedpunkter", "Det viktigaste",
    ],
)  # fmt: skip
def test_key_points_headings_of_more_languages_announce_the_list(heading: str) -> None:
    assert keypoints.announces(heading)


def test_a_heading_without_a_phrase_announces_nothing() -> None:
    assert not keypoints.announces("Storm over the northern coast: ferries halted, roads closed")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("5. března 2026", date(2026, 3, 5)), ("14 martie 2026", date(2026, 3, 14)),
        ("5 Mart 2026", date(2026, 3, 5)), ("5 marts 2026", date(2026, 3, 5)),
        ("24. desember 2026", date(2026, 12, 24)), ("3 augusti 2026", date(2026, 8, 3)),
        ("1 Ağustos 2026", date(2026, 8, 1)), ("7. října 2026", date(2026, 10, 7)),
    ],
)  # fmt: skip
def test_month_names_of_more_languages_are_read(text: str, day: date) -> None:
    assert ticker.written_date(text) == day


@pytest.mark.parametrize(
    ("clock", "lang"), [("Igår 09.40", "sv"), ("I går 09.40", "no"), ("I går 09.40", "da"),
                        ("Včera 9:40", "cs"), ("Ieri, 09:40", "ro"), ("Dün 09:40", "tr")],
)  # fmt: skip
def test_yesterday_in_more_languages_is_the_day_before(clock: str, lang: str) -> None:
    """(A clock earlier in the day than the page's last change: only the word says it is
    yesterday's.)"""
    got = updates(page(aged_posts(["10:15", "08:05", clock]), lang=lang))
    assert got[-1].published == utc("2026-03-04T09:40:00+01:00")


# --- share-tool permalinks, flags, offsets ------------------------------------------------


@pytest.mark.parametrize(
    ("hrefs", "links"),
    [
        (["#post-3", "#post-2", "#post-1"], [URL + "#post-3", URL + "#post-2", URL + "#post-1"]),
        (["?post=3", "?post=2", "?post=1"], [URL + "?post=3", URL + "?post=2", URL + "?post=1"]),
        ([URL + "?p=3#x", URL + "?p=2#x", URL + "?p=1#x"],
         [URL + "?p=3#x", URL + "?p=2#x", URL + "?p=1#x"]),
    ],
)  # fmt: skip
def test_a_posts_copy_link_is_its_link_and_identity(hrefs: list[str], links: list[str]) -> None:
    got = updates(page(aged_posts(["16:50", "16:20", "15:45"], share=hrefs)))
    assert [u.url for u in got] == links
    assert len({u.id for u in got}) == 3
    edited = aged_posts(["16:50", "16:20", "15:45"], ["Ferry services resumed", *TITLES[1:]], hrefs)
    assert [u.id for u in updates(page(edited))] == [u.id for u in got]  # a typo fixed


@pytest.mark.parametrize(
    "tool",
    [
        '<button type="button" data-clipboard-text="{0}">Copy link</button>',
        '<label>Link <input type="text" readonly value="{0}"></label>',
    ],
)
def test_a_copy_button_or_share_field_gives_the_posts_link(tool: str) -> None:
    # The address sits only in a button's or a field's attribute (both are stripped as
    # elements nobody reads).
    hrefs = [f"{URL}?post={n}" for n in (31, 30, 29)]
    posts = aged_posts(["16:50", "16:20", "15:45"]).split("</div>")
    main = "".join(
        post + '<div class="share">' + tool.format(href) + "</div></div>"
        for post, href in zip(posts, hrefs, strict=False)
    )
    assert [u.url for u in updates(page(main))] == hrefs


def test_a_link_every_post_shares_is_no_permalink() -> None:
    got = updates(page(aged_posts(["16:50", "16:20", "15:45"], share=["#comments-box"] * 3)))
    assert [u.url for u in got] == [URL] * 3


def test_a_link_to_another_page_is_no_permalink() -> None:
    hrefs = ["/other/story-3", "https://elsewhere.example/live/storm?post=2", "/live/other?p=1"]
    got = updates(page(aged_posts(["16:50", "16:20", "15:45"], share=hrefs)))
    assert [u.url for u in got] == [URL] * 3


@pytest.mark.parametrize("flag", ["Pinned", "Key event", "Angeheftet", "Épinglé", "Vastgepind"])
def test_a_flag_before_the_time_stays_out_of_title_text_and_identity(flag: str) -> None:
    def posts(first: str) -> str:
        return "".join(
            f'<article class="post">{f"<span class=post__flag>{f}</span>" if f else ""}'
            f'<time datetime="2026-03-05T1{n}:00:00Z">1{n}:00</time><p>{t}.</p></article>'
            for n, (f, t) in enumerate(zip([first, "", ""], TITLES, strict=True))
        )

    pinned = updates(page(posts(flag)))
    assert [u.title for u in pinned] == TITLES[::-1]
    assert not any(flag in u.summary for u in pinned)
    assert [u.id for u in pinned] == [u.id for u in updates(page(posts("")))]


@pytest.mark.parametrize(
    ("clock", "instant"),
    [
        ("14:05 GMT+1", "2026-03-05T13:05:00Z"), ("14:05 (GMT+1)", "2026-03-05T13:05:00Z"),
        ("14:05 UTC+05:30", "2026-03-05T08:35:00Z"), ("14:05 GMT-3", "2026-03-05T17:05:00Z"),
        ("14:05 CET", "2026-03-05T13:05:00Z"), ("14:05 GMT", "2026-03-05T14:05:00Z"),
    ],
)  # fmt: skip
def test_a_clock_with_a_gmt_offset_is_read_in_that_offset(clock: str, instant: str) -> None:
    assert ticker.clock_time(clock, date(2026, 3, 5), timezone.utc) == utc(instant)
