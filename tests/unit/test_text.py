"""Plain text from source markup: what a user reads in notifications, the window and the CLI."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest

from widget.core.text import first_sentence, repeats, stable_hash, truncate
from widget.core.urls import safe_url
from widget.sources.html import html_to_text

FIVE_MB = 5 * 1024 * 1024


# --- html_to_text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(None, "", id="none"),
        pytest.param("", "", id="empty"),
        pytest.param("   \n\t ", "", id="only-whitespace"),
        pytest.param("Council approves budget", "Council approves budget", id="plain-text"),
        # entities
        pytest.param("Caf&eacute; &amp; bar", "Café & bar", id="named-entities"),
        pytest.param(
            "&#8220;Quoted&#8221; &#x2014; done", "“Quoted” — done", id="numeric-entities"
        ),
        pytest.param("Ferry&nbsp;service&nbsp;resumes", "Ferry service resumes", id="nbsp-entity"),
        pytest.param("AT&T and R&D stay", "AT&T and R&D stay", id="bare-ampersands"),
        pytest.param("Fish &amp;amp; chips", "Fish & chips", id="double-escaped-entity"),
        pytest.param(
            "&lt;p&gt;Escaped &lt;b&gt;once&lt;/b&gt;&lt;/p&gt;", "Escaped once", id="escaped"
        ),
        pytest.param(
            "&amp;lt;b&amp;gt;Bold&amp;lt;/b&amp;gt; move", "Bold move", id="double-escaped-tags"
        ),
        pytest.param("&lt;script&gt;steal()&lt;/script&gt;Safe", "Safe", id="escaped-script"),
        # tags
        pytest.param("<b>Bold</b>er <i>claims</i>", "Bolder claims", id="inline-tags-join"),
        pytest.param("<p>One</p><p>Two</p>", "One Two", id="paragraphs-separate"),
        pytest.param("Line<br>break<br/>again", "Line break again", id="br-separates"),
        pytest.param("<ul><li>Alpha</li><li>Beta</li></ul>", "Alpha Beta", id="list-items"),
        pytest.param("<h2>Title</h2>Body", "Title Body", id="heading"),
        pytest.param("<div>a</div><div>b</div>", "a b", id="divs"),
        pytest.param("<table><tr><td>1</td><td>2</td></tr></table>", "1 2", id="table-cells"),
        pytest.param("<P>Upper</P><P>Case</P><Br>x", "Upper Case x", id="upper-and-mixed-case"),
        pytest.param('<a href="/x" title="1 > 0">link</a> text', "link text", id="quoted-gt"),
        pytest.param("<img alt=Bob's src=x.png>Photo", "Photo", id="stray-quote-in-attribute"),
        pytest.param("<custom-widget data-x=1>Inside</custom-widget>", "Inside", id="custom-tag"),
        # hidden content
        pytest.param("x<script>var a = '<p>hi</p>';</script>y", "xy", id="script"),
        pytest.param("x<SCRIPT type='a'>1<2</SCRIPT >y", "xy", id="script-upper"),
        pytest.param("<style>p { color: red }</style>Text", "Text", id="style"),
        pytest.param("<noscript>Enable JS</noscript>Text", "Text", id="noscript"),
        pytest.param("<template><p>Tpl</p></template>Text", "Text", id="template"),
        pytest.param("a<!-- note <b>x</b> -->b", "ab", id="comment-with-tags"),
        pytest.param("Kept<!-- never closed <p>lost", "Kept", id="unclosed-comment"),
        pytest.param("Kept<script>never closed", "Kept", id="unclosed-script"),
        pytest.param("<![CDATA[<b>Inner</b> text]]>", "Inner text", id="cdata"),
        pytest.param("<!DOCTYPE html><?xml version='1.0'?><p>Doc</p>", "Doc", id="doctype-pi"),
        # "<" that is not markup, and broken markup
        pytest.param("3 < 5 and 7 > 2", "3 < 5 and 7 > 2", id="comparison-signs"),
        pytest.param("a <= b <3", "a <= b <3", id="lt-not-a-tag"),
        pytest.param('Cut short <a href="http://exa', "Cut short", id="tag-cut-at-end"),
        pytest.param("<p>Unclosed <b>bold", "Unclosed bold", id="unclosed-elements"),
        # whitespace and invisible characters
        pytest.param("  a \n\t b\u00a0c\u2009d  ", "a b c d", id="unicode-whitespace"),
        pytest.param("zero\u200bwidth\ufeffchars", "zerowidthchars", id="zero-width"),
        pytest.param("soft&shy;hyphen and &#8203;gap", "softhyphen and gap", id="invisible-refs"),
        pytest.param("bell\x07 and \x1b[31mred", "bell and [31mred", id="control-chars"),
        pytest.param(
            "family 👨\u200d👩\u200d👧 emoji", "family 👨\u200d👩\u200d👧 emoji", id="zwj"
        ),
    ],
)
def test_html_to_text(html: str | None, expected: str) -> None:
    assert html_to_text(html) == expected


def test_html_to_text_huge_attribute() -> None:
    html = '<a title="' + "x" * 200_000 + '">Headline</a> follows'
    assert html_to_text(html) == "Headline follows"


def test_html_to_text_large_document_keeps_all_text() -> None:
    html = "".join(f"<p>Update {i} &amp; more</p>\n" for i in range(50_000))
    text = html_to_text(html)
    assert text.startswith("Update 0 & more Update 1 & more")
    assert text.endswith("Update 49999 & more")


@pytest.mark.parametrize(
    ("unit", "check"),
    [
        # An HTML5 parser reads "<a<a…" as one (unclosed) tag, as browsers do: no text.
        pytest.param("<a", lambda t: t == "", id="unclosed-tags"),
        pytest.param('<a "', lambda t: t == "", id="unclosed-quotes"),
        pytest.param("<a b='", lambda t: t == "", id="unclosed-single-quotes"),
        pytest.param("<!--", lambda t: t == "", id="comment-openers"),
        pytest.param("<script>", lambda t: t == "", id="script-openers"),
        pytest.param("<div><p><b>x", lambda t: t.startswith("x x x"), id="nested-garbage"),
        pytest.param("&amp;amp;", lambda t: t == "&" * (FIVE_MB // 9), id="escaped-ampersands"),
        pytest.param("<", lambda t: t.startswith("<<<<"), id="lone-lt"),
    ],
)
def test_html_to_text_hostile_five_megabytes(unit: str, check: Callable[[str], bool]) -> None:
    """5 MB of pathological markup completes (no catastrophic backtracking) with sane text."""
    text = html_to_text(unit * (FIVE_MB // len(unit)))
    assert check(text), text[:60]


# --- first_sentence -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Bridge reopens. Traffic flows.", "Bridge reopens.", id="period"),
        pytest.param("Is it over? Nobody knows.", "Is it over?", id="question"),
        pytest.param("Goal! Home side leads.", "Goal!", id="exclamation"),
        pytest.param("Wait for it… The result is in.", "Wait for it…", id="ellipsis-char"),
        pytest.param("Wait for it... The result is in.", "Wait for it...", id="three-dots"),
        pytest.param("Mr. Lane resigns. More soon.", "Mr. Lane resigns.", id="mr"),
        pytest.param(
            "Dr. Okafor and St. Jude staff agree. Next",
            "Dr. Okafor and St. Jude staff agree.",
            id="dr-st",
        ),
        pytest.param("The U.S. Senate votes today. Polls", "The U.S. Senate votes today.", id="us"),
        pytest.param(
            "Fruit, e.g. Apples, and more. Then", "Fruit, e.g. Apples, and more.", id="eg"
        ),
        pytest.param("Boats, cars, etc. Are banned. X", "Boats, cars, etc. Are banned.", id="etc"),
        pytest.param(
            "Rates rose 3.5 percent. Markets fell.", "Rates rose 3.5 percent.", id="decimal"
        ),
        pytest.param("Storm nears. 40,000 evacuated.", "Storm nears.", id="digit-follows"),
        pytest.param('He said "Stop." Then he left.', 'He said "Stop."', id="closing-quote"),
        pytest.param('Calm returns. "We are safe," she said.', "Calm returns.", id="opening-quote"),
        pytest.param("Talks stall. ¿Qué pasa? Nada.", "Talks stall.", id="inverted-question"),
        pytest.param("Quake hits. Émile reports.", "Quake hits.", id="accented-capital"),
        pytest.param(
            "approx. three hundred people came. Then",
            "approx. three hundred people came.",
            id="lowercase-follows",
        ),
        pytest.param(
            "John F. Kennedy Airport closes. Flights",
            "John F. Kennedy Airport closes.",
            id="initial",
        ),
        pytest.param("No sentence end here", "No sentence end here", id="no-end"),
        pytest.param("Ends at the end.", "Ends at the end.", id="single-sentence"),
        pytest.param("  Spaced \n out.  Next one.", "Spaced out.", id="whitespace-collapsed"),
        pytest.param(" " * 5000 + "Late start. Next", "Late start.", id="leading-whitespace"),
        pytest.param("", "", id="empty"),
    ],
)
def test_first_sentence(text: str, expected: str) -> None:
    assert first_sentence(text) == expected


def test_first_sentence_is_capped() -> None:
    text = "word " * 200 + "end. Next"
    sentence = first_sentence(text)
    assert len(sentence) <= 300
    assert sentence.endswith("…")
    assert sentence.startswith("word word")


def test_first_sentence_of_spaced_out_text_is_marked_as_cut() -> None:
    sentence = first_sentence("word \n\n\t  " * 1000)
    assert sentence.startswith("word word") and sentence.endswith("…")
    assert len(sentence) <= 300


def test_first_sentence_of_huge_text_without_end() -> None:
    sentence = first_sentence("x" * FIVE_MB)
    assert len(sentence) == 300 and sentence.endswith("…")


# --- safe_url -----------------------------------------------------------------------------------

BASE = "https://news.example.org/live/storm?page=2"


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        pytest.param("https://a.example/x?y=1#z", None, "https://a.example/x?y=1#z", id="verbatim"),
        pytest.param("HTTP://A.example/Path", None, "HTTP://A.example/Path", id="case-kept"),
        pytest.param(
            "http://a.example/%7Euser", None, "http://a.example/%7Euser", id="no-reencode"
        ),
        pytest.param(
            "/live/update-3", BASE, "https://news.example.org/live/update-3", id="abs-path"
        ),
        pytest.param("update-3", BASE, "https://news.example.org/live/update-3", id="relative"),
        pytest.param(
            "#post-7", BASE, "https://news.example.org/live/storm?page=2#post-7", id="fragment"
        ),
        pytest.param(
            "//cdn.example.net/a", BASE, "https://cdn.example.net/a", id="scheme-relative"
        ),
        pytest.param("  https://a.example/x \n", None, "https://a.example/x", id="edge-whitespace"),
        pytest.param("\x00\x1fhttps://a.example/", None, "https://a.example/", id="edge-controls"),
        pytest.param("\ufeff\xa0https://a.example/\u200b", None, "https://a.example/", id="nbsp"),
        pytest.param(
            "https://a.exa\tmple/x\n", None, "https://a.example/x", id="inner-tab-newline"
        ),
        pytest.param("javascript:alert(1)", BASE, None, id="javascript"),
        pytest.param("JavaScript:alert(1)", None, None, id="javascript-case"),
        pytest.param(" java\tscript:alert(1)", BASE, None, id="javascript-split"),
        pytest.param("data:text/html,<b>x</b>", BASE, None, id="data"),
        pytest.param("file:///etc/passwd", BASE, None, id="file"),
        pytest.param("vbscript:msgbox(1)", BASE, None, id="vbscript"),
        pytest.param("ftp://files.example/a", None, None, id="ftp"),
        pytest.param("mailto:desk@example.org", BASE, None, id="mailto"),
        pytest.param("tel:+15550100", None, None, id="tel"),
        pytest.param("http:///no-host", None, None, id="no-host"),
        pytest.param("https:relative", None, None, id="scheme-without-host"),
        pytest.param("/path/only", None, None, id="relative-without-base"),
        pytest.param("http://[::1", None, None, id="broken-ipv6"),
        pytest.param("http://a.example:99999/", None, None, id="bad-port"),
        pytest.param("http://a.exa\x00mple/", None, None, id="inner-nul"),
        pytest.param("", BASE, None, id="empty"),
        pytest.param(None, BASE, None, id="none"),
        pytest.param("   ", BASE, None, id="blank"),
    ],
)
def test_safe_url(url: str | None, base: str | None, expected: str | None) -> None:
    assert safe_url(url, base) == expected


# --- truncate -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param("Short text", 100, "Short text", id="fits"),
        pytest.param("x" * 100, 100, "x" * 100, id="exactly-limit"),
        pytest.param(
            "Flood warning extended to the coast", 20, "Flood warning…", id="word-boundary"
        ),
        pytest.param(
            "Evacuations ordered, roads closed", 22, "Evacuations ordered…", id="no-comma"
        ),
        pytest.param("Supercalifragilistic word", 10, "Supercali…", id="long-word"),
        pytest.param("abcd", 1, "…", id="limit-one"),
        pytest.param("abcd", 0, "", id="limit-zero"),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected


@pytest.mark.parametrize("limit", [2, 5, 37, 100, 200])
def test_truncate_never_exceeds_limit(limit: int) -> None:
    text = "The harbour authority says ferries resume at dawn after the overnight storm " * 5
    result = truncate(text, limit)
    assert len(result) <= limit
    assert result.endswith("…")
    assert text.startswith(result[:-1])


# --- stable_hash --------------------------------------------------------------------------------


def test_stable_hash_is_pinned() -> None:
    """Entry identity for feeds without ids: this exact value must never change."""
    assert stable_hash("Headline", None, "Body text") == "sha256:ac70329edf8f3422c9e7bf1323ad4f84"
    expected = hashlib.sha256(b"Headline\x1f\x1fBody text").hexdigest()[:32]
    assert stable_hash("Headline", None, "Body text") == "sha256:" + expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(("ab", "c"), ("a", "bc"), id="separator-matters"),
        pytest.param(("a", "b"), ("b", "a"), id="order-matters"),
        pytest.param(("a",), ("a", ""), id="arity-matters"),
    ],
)
def test_stable_hash_distinguishes(left: tuple[str, ...], right: tuple[str, ...]) -> None:
    assert stable_hash(*left) != stable_hash(*right)


def test_stable_hash_format_and_odd_input() -> None:
    assert stable_hash(None) == stable_hash("")
    for value in (stable_hash(), stable_hash("lone \ud800 surrogate"), stable_hash("é" * 10_000)):
        assert re.fullmatch(r"sha256:[0-9a-f]{32}", value)


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        ("Gol de Real Muestra.", "Gol de Real Muestra", True),
        ("  gol de  REAL muestra!", "Gol de Real Muestra", True),
        ("Gol de Real Muestra: 1-1", "Gol de Real Muestra", False),
        ("Gol de Real Muestra", "", False),
        ("", "", False),
        ("Pier reopened", "Ferries resume", False),
        # an aggregator's item: "Headline - Publisher" over "<a>Headline</a>&nbsp;&nbsp;Publisher"
        ("Harbour wall repaired Coast Herald", "Harbour wall repaired - Coast Herald", True),
        ("Harbour wall repaired | Coast Herald", "Harbour wall repaired – Coast Herald", True),
        ("Score 1-1 at half-time", "Score 1 1 at half-time", False),
    ],
)
def test_a_text_that_only_says_the_title_again(text: str, title: str, expected: bool) -> None:
    assert repeats(text, title) is expected
