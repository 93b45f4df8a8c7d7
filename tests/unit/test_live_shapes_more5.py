"""Shapes of real live pages that the fixture pages of ``more5/`` model, one rule at a time:
key-points boxes that are no list (short paragraphs, ``<br>`` lines, ``<div>`` items with a
bullet icon, ``role=listitem``), boxes at the page's end, a LiveBlogPosting's ``abstract`` as the
key points of a page without a box, and posts holding social embeds."""

from __future__ import annotations

import json

import pytest

from widget.core import keypoints
from widget.core.models import Item
from widget.sources import html, liveblog
from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/storm"
HEAD = '<meta property="article:modified_time" content="2026-03-05T17:02:00+01:00">'
TITLES = ["Ferry services resume", "Coast road closed again", "Schools shut on Friday"]
POINTS = ["Ferries run again", "The coast road is closed", "No school on Friday"]


def page(main: str, *, head: str = HEAD, lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Storm live'
        f"</title>{head}</head><body><nav><ul><li><a href='/a'>World</a></li><li><a href='/b'>"
        f"Sport</a></li></ul></nav><main><h1>Storm live</h1>{main}</main>"
        "<footer><p>Imprint</p></footer></body></html>"
    ).encode()


def posts(extra: str = "", first: str = "") -> str:
    return "".join(
        f'<article class="post" id="p{n}"><header><time datetime="2026-03-05T1{n}:00:00Z">'
        f"1{n}:00</time><span>Ann Lee</span></header><h2>{title}</h2><div class='body'>"
        f"{first if n == 0 else ''}<p>Crews are at work along the coast.</p>{extra}</div></article>"
        for n, title in enumerate(TITLES)
    )


def parsed(body: bytes) -> tuple[Item, list[Item]]:
    items = parse_live_page(body, HTML, URL).items
    [entry] = [i for i in items if i.is_page]
    return entry, [i for i in items if not i.is_page]


# --- key-points boxes that are no list ------------------------------------------------------


@pytest.mark.parametrize(
    ("box", "where"),
    [
        # a heading, then one <p> per point
        ("<div class='kp'><h2>Key points</h2>" + "".join(f"<p>{p}</p>" for p in POINTS) + "</div>",
         "before"),
        # one paragraph of <br>-separated lines
        ("<section><h2>Das Wichtigste</h2><p>" + "<br>".join(POINTS) + "</p></section>", "before"),
        # <details><summary> whose items are <div>s opening with a bullet icon
        ("<details open><summary>L'essentiel</summary><div>" + "".join(
            f'<div class="item"><svg aria-hidden="true"><circle r="4"/></svg><span>{p}</span></div>'
            for p in POINTS) + "</div></details>", "before"),
        # an ARIA list of divs
        ("<div><h2>Das Wichtigste in Kürze</h2><div role='list'>" + "".join(
            f"<div role='listitem'>{p}</div>" for p in POINTS) + "</div></div>", "before"),
        # a "Riassunto" box of paragraphs at the end of the story
        ("<div class='end'><h2>Riassunto</h2>" + "".join(f"<p>{p}</p>" for p in POINTS) + "</div>",
         "after"),
    ],
    ids=["paragraphs", "br-lines", "details-svg-divs", "aria-list", "end-of-page"],
)  # fmt: skip
def test_a_key_points_box_without_a_list_gives_the_page_its_points(box: str, where: str) -> None:
    main = box + posts() if where == "before" else posts() + box
    entry, found = parsed(page(main))
    assert list(entry.key_points) == POINTS
    assert sorted(u.title for u in found) == sorted(TITLES)


def test_paragraphs_after_an_announcing_heading_must_be_short_points() -> None:
    """A 'Summary' heading over long prose paragraphs is no box of points."""
    prose = " ".join(["The storm moved slowly along the coast through the night."] * 6)
    body = html.fragment_body(f"<div><h2>Summary</h2><p>{prose}</p><p>{prose}</p></div>")
    assert body is not None
    assert liveblog._bullet_points(body, frozenset()) == ()
    short = html.fragment_body("<div><h2>Summary</h2><p>Roads shut</p><p>Ferries run</p></div>")
    assert liveblog._bullet_points(short, frozenset()) == ("Roads shut", "Ferries run")


def test_a_paragraph_box_inside_a_post_is_that_posts_not_the_pages() -> None:
    inner = "<h3>Key points</h3><p>Only this post</p><p>Says so</p>"
    entry, _found = parsed(page(posts(extra=inner)))
    assert "Only this post" not in entry.key_points


# --- the LiveBlogPosting's abstract ---------------------------------------------------------


def _jsonld(**fields: str) -> str:
    posting = {"@context": "https://schema.org", "@type": "LiveBlogPosting",
               "headline": "Storm live", **fields}  # fmt: skip
    return f'{HEAD}<script type="application/ld+json">{json.dumps(posting)}</script>'


def test_a_page_without_a_box_takes_its_points_from_the_postings_abstract() -> None:
    head = _jsonld(
        description="Follow our live coverage of the storm.",
        abstract="Ferries run again. The coast road is closed. No school on Friday.",
    )
    entry, _found = parsed(page(posts(), head=head))
    assert list(entry.key_points) == ["Ferries run again.", "The coast road is closed.",
                                      "No school on Friday."]  # fmt: skip


def test_a_box_on_the_page_wins_over_the_abstract() -> None:
    head = _jsonld(abstract="Something else entirely. And more.")
    box = "<div><h2>Key points</h2><ul>" + "".join(f"<li>{p}</li>" for p in POINTS) + "</ul></div>"
    entry, _found = parsed(page(box + posts(), head=head))
    assert list(entry.key_points) == POINTS


def test_sentence_points_split_a_summary_into_its_sentences() -> None:
    assert keypoints.sentence_points("Mr. Lee spoke at 3.5 p.m. today. Roads are shut.") == (
        "Mr. Lee spoke at 3.5 p.m. today.",
        "Roads are shut.",
    )
    assert keypoints.sentence_points("") == ()


# --- social embeds inside posts ---------------------------------------------------------------

TWEET = (
    '<blockquote class="twitter-tweet"><p lang="en">The timetable is online. '
    '<a href="https://t.co/x">pic.twitter.com/x</a></p>&mdash; Port Office (@port_office) '
    '<a href="https://twitter.com/port_office/status/1">March 5, 2026</a></blockquote>'
)
INSTA = (
    '<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/x/">'
    '<div><a href="https://www.instagram.com/p/x/">View this post on Instagram</a><p>'
    '<a href="https://www.instagram.com/p/x/">A post shared by City Zoo (@city_zoo)</a></p></div>'
    "</blockquote>"
)


@pytest.mark.parametrize("embed", [TWEET, INSTA], ids=["tweet", "instagram"])
def test_a_posts_social_embed_is_no_part_of_its_text(embed: str) -> None:
    _entry, found = parsed(page(posts(extra=embed)))
    assert sorted(u.title for u in found) == sorted(TITLES)
    for update in found:
        text = " ".join([update.title, update.summary or "", *update.key_points])
        assert "@" not in text and "Instagram" not in text and "pic.twitter" not in text, text


def test_a_headless_post_opening_with_a_tweet_is_titled_by_its_own_words() -> None:
    main = "".join(
        f'<article class="post" id="p{n}"><header><time datetime="2026-03-05T1{n}:00:00Z">'
        f"1{n}:00</time></header><div>{TWEET if n == 0 else ''}<p>{title}.</p></div></article>"
        for n, title in enumerate(TITLES)
    )
    _entry, found = parsed(page(main))
    assert sorted(u.title.rstrip(".") for u in found) == sorted(TITLES)
