"""Shapes of real live pages that the fixture pages of ``more3/`` model, one rule at a time:
sports tickers whose posts open with the match minute instead of a clock time, and pages that
write their posts' times only into data attributes for a script to show."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource
from widget.sources import discover
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://sport.example/live/match"
CHANGED = '<meta property="article:modified_time" content="2026-03-07T17:02:00+01:00">'
PUBLISHED = '<meta property="article:published_time" content="2026-03-07T13:30:00+01:00">'
TEXTS = [
    "Yellow card for Ben Sample after a late challenge.",
    "Cara Example heads in a corner at the near post.",
    "Dan Sample levels with a low shot into the far corner.",
    "Ada Example scores from the penalty spot.",
]


def page(main: str, *, head: str = CHANGED, lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Match live'
        f"</title>{head}</head><body><nav><ul><li><a href='/a'>Tennis</a></li><li><a href='/b'>"
        f"Golf</a></li></ul></nav><main><h1>Match live</h1>{main}</main>"
        "<footer><p>Imprint</p></footer></body></html>"
    ).encode()


def updates(body: bytes) -> list[Item]:
    parsed = parse_live_page(body, HTML, URL)
    return [i for i in parsed.items if not i.is_page]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def minute_posts(minutes: list[str], texts: list[str] = TEXTS, ids: bool = False) -> str:
    return "".join(
        f'<li class="entry"{f" id=e{n}" if ids else ""}><span class="entry__minute">{minute}'
        f'</span><p class="entry__text">{words}</p></li>'
        for n, (minute, words) in enumerate(zip(minutes, texts, strict=False))
    )


# --- posts that open with the match minute --------------------------------------------------


@pytest.mark.parametrize(
    "minutes",
    [
        ["90+4'", "78'", "45+2'", "23'"],  # English
        ["90'+3", "71'", "45'+2", "12'"],  # German, Dutch
        ["90e+3", "67e", "45e+2", "12e"],  # French
        ["90+3’", "64′", "31′", "1’"],  # curly apostrophe, prime
        ["44' st", "12' st", "45'+2' pt", "20' pt"],  # Italian halves
        ["90+4 min", "67 min", "45 min", "12 min"],  # "12 min: …"
        ["90.+3", "67. Min.", "45. Minute", "12. Min."],  # "90.+3": the German ordinal
    ],
)
def test_posts_opening_with_the_match_minute_are_a_ticker(minutes: list[str]) -> None:
    got = updates(page(f'<ol class="commentary">{minute_posts(minutes)}</ol>'))
    assert [u.title for u in got] == [t.rstrip(".") for t in TEXTS]
    assert all(not any(m in u.title or m in u.summary for m in minutes) for u in got)


def test_the_minute_opening_a_paragraph_is_a_post_of_a_flat_ticker() -> None:
    minutes = ["88'", "52'", "9'"]
    paras = "".join(
        f"<p><strong>{m}</strong> – {t}</p>" for m, t in zip(minutes, TEXTS, strict=False)
    )
    got = updates(page(f"<div class='content'>{paras}</div>", lang="pt-BR"))
    assert [u.title for u in got] == [t.rstrip(".") for t in TEXTS[:3]]


def test_a_bold_minute_or_state_before_a_colon_opens_a_paragraph_post() -> None:
    """The classic minute-by-minute report: "<strong>12 min:</strong> …", "Half-time: …"."""
    opens = ["90+4 min:", "78 min:", "Half-time:", "45+2 min:", "23 min:"]
    texts = [*TEXTS[:2], "Northport 1-1 Eastvale.", *TEXTS[2:]]
    paras = "".join(f"<p><strong>{o}</strong> {t}</p>" for o, t in zip(opens, texts, strict=True))
    got = updates(page(f"<div class='mbm'>{paras}</div>", lang="en-GB"))
    assert [u.title for u in got] == [t.rstrip(".") for t in texts]


def test_a_minute_post_is_dated_when_the_page_last_changed() -> None:
    """No clock: the page's last change is when its newest post (the one that notifies) came."""
    got = updates(page(minute_posts(["78'", "45+2'", "23'"]), head=PUBLISHED + CHANGED))
    assert [u.published for u in got] == [utc("2026-03-07T17:02:00+01:00")] * 3


def test_a_minute_post_of_a_page_without_a_change_date_is_dated_by_its_publication() -> None:
    got = updates(page(minute_posts(["78'", "45+2'", "23'"]), head=PUBLISHED))
    assert [u.published for u in got] == [utc("2026-03-07T13:30:00+01:00")] * 3


def test_clock_posts_before_kick_off_keep_their_clock_times() -> None:
    posts = "".join(
        f'<article class="post"><span class="post__when">{when}</span><p>{words}</p></article>'
        for when, words in zip(["67e", "12e", "20h40", "20h15"], TEXTS, strict=True)
    )
    head = '<meta property="article:modified_time" content="2026-03-07T22:52:00+01:00">'
    got = updates(page(posts, head=head, lang="fr"))
    assert [u.published for u in got] == [
        utc("2026-03-07T22:52:00+01:00"), utc("2026-03-07T22:52:00+01:00"),
        utc("2026-03-07T20:40:00+01:00"), utc("2026-03-07T20:15:00+01:00"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("states", "lang"),
    [
        (["FT", "HT"], "en"),
        (["Full-time", "Half-time"], "en"),
        (["Abpfiff", "Halbzeit"], "de"),
        (["Ende", "Pause"], "de"),
        (["Fin del partido", "Medio tiempo"], "es"),
        (["Fin du match", "Mi-temps"], "fr"),
        (["Final", "Descanso"], "es"),
        (["Fine partita", "Intervallo"], "it"),
        (["Fim de jogo", "Intervalo"], "pt"),
        (["Einde", "Rust"], "nl"),
        (["Koniec meczu", "Przerwa"], "pl"),
    ],
)
def test_match_states_in_place_of_the_minute_mark_posts(states: list[str], lang: str) -> None:
    texts = ["It ends two goals to one.", *TEXTS[:2], "The teams go in level.", *TEXTS[2:]]
    minutes = [states[0], "90+4'", "78'", states[1], "45+2'", "23'"]
    got = updates(page(minute_posts(minutes, texts), lang=lang))
    assert [u.title for u in got] == [t.rstrip(".") for t in texts]


def test_match_states_alone_make_no_ticker() -> None:
    """ "Final", "Pause" as a label of three boxes, with no numbered minute: no live page."""
    boxes = "".join(
        f'<div class="box"><span class="box__label">{w}</span><p>{t}</p></div>'
        for w, t in zip(["Final", "Pause", "Final"], TEXTS, strict=False)
    )
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(page(f"<p>{'An ordinary article paragraph. ' * 5}</p>{boxes}"), HTML, URL)


def test_reading_times_and_ages_are_no_match_minutes() -> None:
    cards = "".join(
        f'<div class="card"><span class="card__meta">{w}</span><p>{t}</p></div>'
        for w, t in zip(["5 min read", "12 min ago", "3 min read"], TEXTS, strict=False)
    )
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(page(cards), HTML, URL)


def test_posts_alike_but_for_their_minute_are_two_entries() -> None:
    """Commentary repeats itself ("Corner, Northport."): the minute tells the posts apart."""
    texts = ["Corner, Northport.", "Corner, Northport.", "Kick-off at Harbour Road."]
    got = updates(page(minute_posts(["34'", "12'", "1'"], texts)))
    assert len({u.id for u in got}) == 3


def test_a_minute_posts_identity_stays_when_newer_posts_come_and_the_page_changes() -> None:
    before = updates(page(minute_posts(["45+2'", "23'", "1'"], TEXTS[1:])))
    later = '<meta property="article:modified_time" content="2026-03-07T17:40:00+01:00">'
    after = updates(page(minute_posts(["78'", "45+2'", "23'", "1'"]), head=later))
    assert [u.id for u in after][1:] == [u.id for u in before]


def test_posts_with_ids_keep_their_element_ids() -> None:
    got = updates(page(minute_posts(["78'", "45+2'", "23'"], ids=True)))
    assert [u.url for u in got] == [URL + "#e0", URL + "#e1", URL + "#e2"]


# --- times written into data attributes ----------------------------------------------------


def stamped_posts(stamps: list[str], labels: list[str], attribute: str = "data-timestamp") -> str:
    return "".join(
        f'<div class="feed-item"><span class="feed-item__ago" {attribute}="{stamp}">{label}'
        f"</span><h3>Headline {n}</h3><p>{words}</p></div>"
        for n, (stamp, label, words) in enumerate(zip(stamps, labels, TEXTS, strict=False))
    )


@pytest.mark.parametrize(
    ("stamps", "attribute"),
    [
        (["1772740200000", "1772735100000", "1772728800000"], "data-timestamp"),  # milliseconds
        (["1772740200", "1772735100", "1772728800"], "data-timestamp"),  # seconds
        (["2026-03-05T19:50:00Z", "2026-03-05T18:25:00Z", "2026-03-05T16:40:00Z"], "data-time"),
        (["2026-03-05T20:50:00+01:00", "2026-03-05T19:25+01:00", "2026-03-05 17:40:00+01:00"],
         "data-datetime"),
    ],
)  # fmt: skip
def test_a_time_written_into_a_data_attribute_dates_the_post(
    stamps: list[str], attribute: str
) -> None:
    labels = ["2 hours ago", "3 hours ago", "5 hours ago"]
    got = updates(page(stamped_posts(stamps, labels, attribute), head="", lang="en-US"))
    assert [(u.title, u.published) for u in got] == [
        ("Headline 0", utc("2026-03-05T19:50:00Z")),
        ("Headline 1", utc("2026-03-05T18:25:00Z")),
        ("Headline 2", utc("2026-03-05T16:40:00Z")),
    ]
    assert all("ago" not in u.summary for u in got)


def test_a_relative_label_that_changes_between_fetches_changes_no_identity() -> None:
    stamps = ["1772740200000", "1772735100000", "1772728800000"]
    first = updates(page(stamped_posts(stamps, ["2 hours ago", "3 hours ago", "5 hours ago"])))
    later = updates(page(stamped_posts(stamps, ["3 hours ago", "4 hours ago", "6 hours ago"])))
    assert [u.id for u in first] == [u.id for u in later]
    assert [u.summary for u in first] == [u.summary for u in later]


def test_posts_whose_own_element_holds_the_time_and_no_text_shows_it() -> None:
    posts = "".join(
        f'<li class="item" id="item-{n}" data-time="2026-03-05T{hm}:00+01:00"><h2>Title {n}</h2>'
        f"<p>{words}</p></li>"
        for n, (hm, words) in enumerate(zip(["16:20", "14:45", "12:05"], TEXTS, strict=False))
    )
    got = updates(page(f"<ol reversed>{posts}</ol>", lang="nl"))
    assert [(u.title, u.url, u.published) for u in got] == [
        ("Title 0", URL + "#item-0", utc("2026-03-05T16:20:00+01:00")),
        ("Title 1", URL + "#item-1", utc("2026-03-05T14:45:00+01:00")),
        ("Title 2", URL + "#item-2", utc("2026-03-05T12:05:00+01:00")),
    ]


@pytest.mark.parametrize("value", ["17727254511", "2026-03-05", "3", "soon"])
def test_a_data_attribute_that_holds_no_instant_marks_no_post(value: str) -> None:
    posts = "".join(
        f'<div class="item" data-time="{value}"><h2>Title {n}</h2><p>{words}</p></div>'
        for n, words in enumerate(TEXTS[:3])
    )
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(page(posts, head=""), HTML, URL)


# --- what is no post -----------------------------------------------------------------------


def test_a_match_commentary_is_no_comment_stream() -> None:
    """ "commentary" names a match report (lx-commentary, commentary__item), not comments."""
    posts = "".join(
        f'<div class="lx-commentary__item"><span class="lx-commentary__time">{hm}</span>'
        f"<p>{words}</p></div>"
        for hm, words in zip(["16:50", "16:20", "15:45"], TEXTS, strict=False)
    )
    got = updates(page(f'<div class="lx-commentary">{posts}</div>'))
    assert [u.title for u in got] == [t.rstrip(".") for t in TEXTS[:3]]


@pytest.mark.parametrize("words", ["comment", "comments", "commentlist", "comment-body"])
def test_readers_comments_each_with_its_time_stay_no_ticker(words: str) -> None:
    comments = "".join(
        f'<li class="{words}"><span class="when">{hm}</span><p>{text}</p></li>'
        for hm, text in zip(["16:50", "16:20", "15:45"], TEXTS, strict=False)
    )
    body = page(f"<p>An ordinary article paragraph.</p><ol>{comments}</ol>")
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(body, HTML, URL)


@pytest.mark.parametrize(
    "minutes",
    [["1'", "23'", "45+2'", "78'"], ["20' pt", "45'+2' pt", "12' st", "44' st"]],
)
def test_a_report_written_from_kick_off_down_lists_its_newest_post_first(
    minutes: list[str],
) -> None:
    """Posts dated alike by the page come newest first, as on pages written newest first."""
    got = updates(page(f'<ol class="report">{minute_posts(minutes)}</ol>'))
    assert [u.title for u in got] == [t.rstrip(".") for t in reversed(TEXTS)]
    newest_first = updates(page(f'<ol class="report">{minute_posts(minutes[::-1])}</ol>'))
    assert [u.title for u in newest_first] == [t.rstrip(".") for t in TEXTS]


def test_a_results_list_counting_places_is_no_match_report() -> None:
    """ "2e, 3e, 4e…" down a stage's results are places, not the minutes of a match."""
    places = "".join(
        f"<li><strong>{place}</strong> – {rider}, à {gap}</li>"
        for place, rider, gap in [("1er", "Léa Exemple", "4 h 12 min"), ("2e", "Nina Exemple",
                                  "12 s"), ("3e", "Hugo Exemple", "31 s"), ("4e", "Marc Exemple",
                                  "1 min 05 s"), ("5e", "Anne Exemple", "1 min 40 s")]
    )  # fmt: skip
    body = page(f"<p>La cinquième étape.</p><ol class='classement'>{places}</ol>", lang="fr")
    with pytest.raises(ParseError, match="no feed or live page"):
        discover.detect(body, HTML, URL)


@pytest.mark.parametrize(
    ("sep", "name"), [("\n", "DATA-TIMESTAMP"), ("", "data-timestamp"), (" ", "Data-Time")]
)
def test_data_attribute_times_are_found_however_the_attribute_is_written(
    sep: str, name: str
) -> None:
    # Upper case, after a newline, or glued to the attribute before it: each is still read.
    posts = "".join(
        f'<div class="post"{sep}{name}="{1772708400 + 600 * i}"><p>Update number {i} from the'
        " harbour desk, with enough words to read.</p></div>"
        for i in range(3)
    )
    page = (
        "<html><head><title>Harbour live</title></head><body><main><h1>Harbour live</h1>"
        f"{posts}</main></body></html>"
    ).encode()
    found = discover.detect(page, {"content-type": "text/html"}, "https://pages.example/live")
    assert isinstance(found, ParsedSource)
    updates = [i for i in found.items if not i.is_page]
    assert len(updates) == 3
    assert all(u.published is not None for u in updates)
