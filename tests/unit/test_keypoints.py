"""Key points a user sees under each entry: the rules of issue 2, first match wins."""

from __future__ import annotations

import pytest

from widget.core.keypoints import MAX_POINTS
from widget.sources.html import markup_key_points


def extract_key_points(
    html: str | None, *, summary: str = "", title: str = "", limit: int = MAX_POINTS
) -> tuple[str, ...]:
    """Key points of an entry's markup, as feeds and live-page posts get them."""
    return markup_key_points(html, summary=summary, title=title, limit=limit)


# A short list early in the entry that rule 2 would pick: when a test expects the announced list
# instead, rule 1 must have matched.
RELATED = "<ul><li>Related: earlier report</li><li>Related: photo gallery</li></ul>"
RELATED_POINTS = ("Related: earlier report", "Related: photo gallery")
ROADS = "<ul><li>Roads are closed</li><li>Schools shut early</li></ul>"
ROADS_POINTS = ("Roads are closed", "Schools shut early")


def items(*texts: str, tag: str = "ul") -> str:
    return f"<{tag}>" + "".join(f"<li>{t}</li>" for t in texts) + f"</{tag}>"


def numbered(n: int) -> tuple[str, ...]:
    return tuple(f"Update number {i}" for i in range(1, n + 1))


# --- rule 1: a list announced by a heading or short paragraph ---------------------------------


@pytest.mark.parametrize(
    "anchor",
    [
        pytest.param("<h2>Here's what to know</h2>", id="straight-apostrophe"),
        pytest.param("<h2>Here’s what to know</h2>", id="curly-apostrophe"),
        pytest.param("<h2>Here&#8217;s what to know:</h2>", id="apostrophe-entity-colon"),
        pytest.param("<h3>Here is what to know</h3>", id="here-is"),
        pytest.param("<h2>What we know</h2>", id="what-we-know"),
        pytest.param("<h2>What we know so far:</h2>", id="what-we-know-so-far"),
        pytest.param("<h4>KEY POINTS:</h4>", id="upper-case-colon"),
        pytest.param("<h2>Key events</h2>", id="key-events"),
        pytest.param("<h2>Key takeaways</h2>", id="key-takeaways"),
        pytest.param("<h2>Latest developments</h2>", id="latest-developments"),
        pytest.param("<h2>At a glance</h2>", id="at-a-glance"),
        pytest.param("<h2>Summary</h2>", id="summary"),
        pytest.param("<p>To recap:</p>", id="to-recap-paragraph"),
        pytest.param("<h2>The latest</h2>", id="the-latest"),
        pytest.param("<h1>Storm: what we know</h1>", id="phrase-inside-short-heading"),
        pytest.param("<p><strong>Key points:</strong></p>", id="strong-in-paragraph"),
        pytest.param("<strong>Key points</strong>", id="bare-strong"),
        pytest.param("<p><b>Summary</b></p>", id="b-in-paragraph"),
        pytest.param('<span class="kicker">At a glance</span>', id="span"),
        pytest.param('<div class="box-title">Key points</div>', id="div"),
        pytest.param("<p>Here’s <em>what</em> to know:</p>", id="inline-tag-inside"),
        pytest.param("<p><strong>What</strong> we know</p>", id="phrase-split-by-strong"),
        pytest.param("<h2>Key points</h2>\n  <!-- list -->\n ", id="comment-between"),
        pytest.param("<p>Key points<br></p>", id="br-before-list"),
        pytest.param('<h2 class="x" data-note="a > b">Key points</h2>', id="attributes"),
    ],
)
def test_rule1_announced_list_wins(anchor: str) -> None:
    html = f"<p>The storm reached the coast overnight.</p>{RELATED}{anchor}{ROADS}<p>More soon.</p>"
    assert extract_key_points(html) == ROADS_POINTS


@pytest.mark.parametrize(
    "between",
    [
        pytest.param("<p>Officials spoke this morning.</p>", id="paragraph-between"),
        pytest.param("Some loose text", id="text-between"),
        pytest.param("<img src='map.png'>", id="image-between"),
    ],
)
def test_rule1_needs_the_list_right_after_the_heading(between: str) -> None:
    html = f"{RELATED}<h2>Key points</h2>{between}{ROADS}"
    assert extract_key_points(html) == RELATED_POINTS  # rule 2: the first short list


@pytest.mark.parametrize(
    "anchor",
    [
        pytest.param(
            "<p>Key points of the plan, as the council described them in a long statement "
            "to the press on Tuesday afternoon</p>",
            id="paragraph-too-long",
        ),
        pytest.param("<h2>Summarystats</h2>", id="phrase-inside-word"),
        pytest.param("<h2>Things to know</h2>", id="other-phrase"),
        pytest.param("<li>Key points</li>", id="anchor-in-list-item"),
        pytest.param("<em>Key points</em>", id="em-is-no-anchor"),
    ],
)
def test_rule1_does_not_match(anchor: str) -> None:
    assert extract_key_points(f"{RELATED}{anchor}{ROADS}") == RELATED_POINTS


@pytest.mark.parametrize(
    "wrapped",
    [
        pytest.param('<div class="wrapper">{}</div>', id="one-wrapper"),
        pytest.param('<div class="list-wrapper"><div class="rich-text">{}</div></div>', id="two"),
        pytest.param("<section>{}</section>", id="section"),
    ],
)
def test_rule1_finds_the_list_inside_wrappers(wrapped: str) -> None:
    html = f"{RELATED}<h2>Key points</h2>{wrapped.format(ROADS)}"
    assert extract_key_points(html) == ROADS_POINTS


def test_rule1_takes_long_and_many_items_that_rule2_would_refuse() -> None:
    long_item = "A long explanation of the closures " + "and their reasons " * 20
    html = "<h2>What we know</h2>" + items(long_item.strip(), *numbered(11), tag="ol")
    points = extract_key_points(html)
    assert len(points) == MAX_POINTS
    assert points[0] == " ".join(long_item.split())
    assert points[1:] == numbered(7)


def test_rule1_takes_a_single_item_list() -> None:
    html = f"{RELATED}<h2>Latest developments</h2><ul><li>Power is back</li></ul>"
    assert extract_key_points(html) == ("Power is back",)


def test_rule1_empty_announced_list_falls_through() -> None:
    html = f"<h2>Key points</h2><ul><li> </li></ul>{ROADS}"
    assert extract_key_points(html) == ROADS_POINTS


def test_rule1_announced_list_anywhere_beats_an_earlier_plain_list() -> None:
    html = RELATED + "<p>" + "Background. " * 200 + "</p><h2>Key events</h2>" + ROADS
    assert extract_key_points(html) == ROADS_POINTS


# --- rule 2: the first list of 2–10 short items ---------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(items("First", "Second"), ("First", "Second"), id="two-items"),
        pytest.param(items(*numbered(10), tag="ol"), numbered(8), id="ten-items-capped-at-8"),
        pytest.param(items("Lonely") + ROADS, ROADS_POINTS, id="one-item-list-skipped"),
        pytest.param(items(*numbered(11)) + ROADS, ROADS_POINTS, id="eleven-items-skipped"),
        pytest.param(
            items("Short", "x" * 300) + ROADS, ROADS_POINTS, id="item-of-300-chars-skipped"
        ),
        pytest.param(items("Short", "y" * 299), ("Short", "y" * 299), id="item-of-299-chars"),
        pytest.param(
            "<ul><li>Parent<ul><li>Child one</li><li>Child two</li></ul></li><li>Next</li></ul>",
            ("Parent Child one Child two", "Next"),
            id="nested-list-joined-into-item",
        ),
        pytest.param(
            "<ul><li>A<ol><li>a1</li><li>a2</li></ol></li>"
            + "".join(f"<li>Item {i}</li>" for i in range(11))
            + "</ul>"
            + ROADS,
            ROADS_POINTS,
            id="nested-list-of-long-outer-list-not-picked",
        ),
        pytest.param(
            items("Fish &amp; chips", "&lt;b&gt;Escaped&lt;/b&gt; tag", "Caf&eacute;"),
            ("Fish & chips", "Escaped tag", "Café"),
            id="entities",
        ),
        pytest.param(
            items("Visible<script>steal()</script>", "Shown<style>li{}</style> too"),
            ("Visible", "Shown too"),
            id="script-in-items",
        ),
        pytest.param(
            items("<a href='/a'>Linked</a> text", "<b>Bold</b> claim"),
            ("Linked text", "Bold claim"),
            id="markup-in-items",
        ),
        pytest.param(items(" ", "Alpha", "<br>", "Beta"), ("Alpha", "Beta"), id="empty-skipped"),
        pytest.param(items("Alpha", "ALPHA", "Beta", "Alpha"), ("Alpha", "Beta"), id="duplicates"),
        pytest.param("<UL><LI>Upper</LI><LI>Case</LI></UL>", ("Upper", "Case"), id="upper-case"),
        pytest.param("<ul><li>Open<li>Items</ul>", ("Open", "Items"), id="unclosed-items"),
        pytest.param("<ul>\n <li>Unclosed</li>\n <li>List", ("Unclosed", "List"), id="unclosed"),
    ],
)
def test_rule2_first_short_list(html: str, expected: tuple[str, ...]) -> None:
    assert extract_key_points(f"<p>Intro. More.</p>{html}", summary="Ignored summary.") == expected


# --- rule 3: first sentence, else title ---------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "summary", "title", "expected"),
    [
        pytest.param(
            "<p>Body first. Body second.</p>",
            "Summary first. Summary second.",
            "Title",
            ("Summary first.",),
            id="summary-first",
        ),
        pytest.param(
            "<p>Dr. Ames <b>spoke</b>. Then left.</p>", "", "Title", ("Dr. Ames spoke.",), id="html"
        ),
        pytest.param(
            items("Only one") + "<p>After.</p>", "", "T", ("Only one After.",), id="one-item-list"
        ),
        pytest.param("", "", "  Bridge   reopens ", ("Bridge reopens",), id="title"),
        pytest.param(None, "", "Title only", ("Title only",), id="html-none"),
        pytest.param("<p> </p><script>x()</script>", " ", "Fallback", ("Fallback",), id="no-text"),
        pytest.param("", "", "", (), id="nothing"),
        pytest.param(None, "", "", (), id="none-at-all"),
        pytest.param(
            "<p>No sentence end in this body</p>",
            "",
            "T",
            ("No sentence end in this body",),
            id="no-sentence-end",
        ),
    ],
)
def test_rule3_first_sentence_then_title(
    html: str | None, summary: str, title: str, expected: tuple[str, ...]
) -> None:
    assert extract_key_points(html, summary=summary, title=title) == expected


def test_rule3_first_sentence_of_large_html() -> None:
    html = "<p>Opening line of the page. Next.</p>" + "<p>Filler text here.</p>" * 50_000
    assert extract_key_points(html) == ("Opening line of the page.",)


def test_rule3_sentence_is_capped() -> None:
    (point,) = extract_key_points("<p>" + "word " * 500 + "</p>")
    assert len(point) <= 300 and point.endswith("…")


# --- limit --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        pytest.param(MAX_POINTS, numbered(8), id="default-8"),
        pytest.param(3, numbered(3), id="three"),
        pytest.param(1, numbered(1), id="one"),
        pytest.param(0, (), id="zero"),
    ],
)
def test_limit(limit: int, expected: tuple[str, ...]) -> None:
    html = "<h2>Key points</h2>" + items(*numbered(12))
    assert extract_key_points(html, limit=limit) == expected
    assert extract_key_points(items(*numbered(9)), limit=limit) == expected[:9]


def test_default_limit_is_eight() -> None:
    assert MAX_POINTS == 8
    assert len(extract_key_points("<h2>Summary</h2>" + items(*numbered(20)))) == 8


def test_overlong_announced_item_is_cut() -> None:
    (point,) = extract_key_points("<h2>Summary</h2>" + items("z" * 5000))
    assert 300 <= len(point) <= 400 and point.endswith("…")


# --- hostile input ------------------------------------------------------------------------------

FIVE_MB = 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("unit", "expected_start"),
    [
        pytest.param("<a", "Fallback title", id="unclosed-tags"),  # one unclosed tag: no text
        pytest.param("<ul><li>", "", id="unclosed-nested-lists"),
        pytest.param("<h2>Key points</h2><ul>", "", id="announced-unclosed-lists"),
        pytest.param("<p>Key points</p><ul><li>x</li></ul>", "x", id="many-one-item-lists"),
        pytest.param("<li>Stray item</li>", "Stray item", id="items-without-list"),
        pytest.param("</ul></li><ul>", "", id="closing-garbage"),
    ],
)
def test_hostile_five_megabytes_completes(unit: str, expected_start: str) -> None:
    points = extract_key_points(unit * (FIVE_MB // len(unit)), title="Fallback title")
    assert len(points) <= MAX_POINTS
    assert all(len(p) <= 400 for p in points)
    if expected_start:
        assert points and points[0].startswith(expected_start)


# --- times at the end of a point ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        pytest.param("Protesters threw stones 20:42", "Protesters threw stones", id="glued"),
        pytest.param("Ferries resume | 14:05", "Ferries resume", id="after-a-separator"),
        pytest.param("Ferries resume (14:05)", "Ferries resume", id="in-brackets"),
        pytest.param("Last ferry leaves at 21:40", "Last ferry leaves at 21:40", id="en-at"),
        pytest.param("Ultima partenza alle 21:40", "Ultima partenza alle 21:40", id="it-alle"),
        pytest.param("Der Zug fährt um 14.30 Uhr", "Der Zug fährt um 14.30 Uhr", id="de-um"),
        pytest.param("Reprise du trafic à 21h40", "Reprise du trafic à 21h40", id="fr-a"),
        pytest.param("El tren sale a las 9:15", "El tren sale a las 9:15", id="es-a-las"),
        pytest.param("De trein rijdt om 21.40 uur", "De trein rijdt om 21.40 uur", id="nl-om"),
        pytest.param("Pociąg odjedzie o 21:40", "Pociąg odjedzie o 21:40", id="pl-o"),
        pytest.param("Polls close at 22:00 Share", "Polls close at 22:00", id="label-after"),
    ],
)
def test_a_trailing_time_is_dropped_unless_the_sentence_says_it(point: str, expected: str) -> None:
    assert extract_key_points(items(point, "Second point")) == (expected, "Second point")
