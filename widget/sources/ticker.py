"""Live tickers in plain HTML: a run of sibling posts of one shape, each opening with a time.

Many live pages carry no structured data for their posts: the article holds a run of posts, each
opening with a clock time ("12.31 Uhr: …", "19:02 IST", a ``<time datetime>`` element, an
element holding the instant in ``data-timestamp`` / ``data-time``) or, on a sports page, with
the match minute ("45+2'", "90'", "12′", "67e", "HT", "Halbzeit"), and a heading or paragraph.
``find_posts`` finds that run in the page's main content (at least ``MIN_POSTS`` siblings of the
same tag and class); the posts also let JSON-LD updates without a link of their own point at
their element.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from selectolax.lexbor import LexborNode

from widget.core import keypoints
from widget.sources import html

MIN_POSTS = 3
MAX_MARKERS = 5000  # times looked at in one page
MAX_POSTS = 2000  # posts read from one run (the entries are capped later)
MAX_RUNS = 6  # candidate runs checked, largest first
_LEVELS = 8  # how far above a time its post may start
_OPENING_CHARS = 40  # a post's text before its time, at most
_MARKER_CHARS = 160  # the start of a text node looked at for a time
_MIN_SHARE = 0.3  # a run of few posts holds at least this share of the content's text
_MANY_POSTS = 8  # a run this long is a ticker whatever else the page holds

_ZONE_NAMES = (
    "IST|GMT|UTC|BST|CET|CEST|MEZ|MESZ|EST|EDT|CST|CDT|MST|MDT|PST|PDT|ET|CT|MT|PT|WET|WEST|EET|"
    "EEST|MSK|BRT|ART|SAST|JST|KST|HKT|SGT|PKT|WIB|AEST|AEDT|NZST|NZDT"
)
# A clock time: "14:47", "14.47", "14h47", "14h", "14 Uhr", "2:47 pm", "2 pm", with a suffix
# ("Uhr", "h", "godz.") and a named zone ("IST", "(CET)"). Never part of a date ("05.03.2026").
_CLOCK = re.compile(
    r"(?<![\d.:,/])([01]?\d|2[0-3])(?:\s?[:.hH]\s?([0-5]\d)(?![.:]?\d)"
    r"|(?=\s?(?:h|Uhr|uur|[aApP]\.?\s?[mM]\.?)(?![^\W\d_])))"
    r"(?:\s*([aApP])\.?\s?[mM]\.?(?![^\W\d_]))?"
    r"(?:\s*(?:Uhr|uur|hrs|h|godz\.?)(?![^\W\d_]))?"
    rf"(?:\s*\(?\b({_ZONE_NAMES})\b(?:\s?([+\-−])\s?(1[0-4]|0?\d)(?::?([0-5]\d))?(?!\d))?\)?)?"
)
_ZONES = {
    "IST": 5.5, "GMT": 0, "UTC": 0, "BST": 1, "CET": 1, "MEZ": 1, "CEST": 2, "MESZ": 2,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "WET": 0, "WEST": 1, "EET": 2, "EEST": 3, "MSK": 3, "BRT": -3, "ART": -3, "SAST": 2,
    "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "PKT": 5, "WIB": 7, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13,
}  # fmt: skip
_US_ZONES = {"ET": -5, "CT": -6, "MT": -7, "PT": -8}  # standard offsets; daylight time adds one

# Month names and their usual abbreviations, per language (en, de, fr, es, it, pt, nl, pl, sv,
# da, no, cs, ro, tr).
_MONTH_WORDS = (
    "january jan|february feb|march mar|april apr|may|june jun|july jul|august aug|"
    "september sep sept|october oct|november nov|december dec",
    "januar jänner|februar|märz mär mrz|april|mai|juni|juli|august|september|oktober okt|"
    "november|dezember dez",
    "janvier janv|février févr fév|mars|avril avr|mai|juin|juillet juil|août|septembre|"
    "octobre|novembre|décembre déc",
    "enero ene|febrero|marzo|abril abr|mayo|junio|julio|agosto|septiembre setiembre|octubre|"
    "noviembre|diciembre dic",
    "gennaio gen|febbraio|marzo|aprile|maggio mag|giugno giu|luglio lug|agosto|settembre|"
    "ottobre ott|novembre|dicembre",
    "janeiro|fevereiro fev|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro",
    "januari|februari|maart mrt|april|mei|juni|juli|augustus|september|oktober|november|december",
    "stycznia styczeń sty|lutego luty lut|marca marzec|kwietnia kwiecień kwi|maja maj|"
    "czerwca czerwiec cze|lipca lipiec lip|sierpnia sierpień sie|września wrzesień wrz|"
    "października październik paź|listopada listopad lis|grudnia grudzień gru",
    "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober okt|november|december",
    "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december",
    "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember des",
    "ledna leden|února únor|března březen|dubna duben|května květen|června červen|"
    "července červenec|srpna srpen|září|října říjen|listopadu listopad|prosince prosinec",
    "ianuarie ian|februarie|martie|aprilie|mai|iunie iun|iulie iul|august|septembrie|"
    "octombrie|noiembrie|decembrie",
    "ocak|şubat|mart|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım|aralık",
)
_MONTHS: dict[str, int] = {}
for _line in _MONTH_WORDS:
    for _number, _names in enumerate(_line.split("|"), start=1):
        for _name in _names.split():
            _MONTHS.setdefault(_name, _number)
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_MONTH_CHARS = f"{min(map(len, _MONTHS))},{max(map(len, _MONTHS))}"
_YEAR = r"(?:,?\s*(?:de\s+)?(\d{4})(?!\d|\s?[:.hH]\d))?"
# Dates: "05.03.2026", "2026-03-05", "5 March", "5. März 2026", "5 de marzo", "Mar 5, 2026".
_DATE = (
    r"(?:(\d{4})-(\d{2})-(\d{2})"
    r"|(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})?(?![\d:])"
    rf"|(\d{{1,2}})(?:st|nd|rd|th|er|º)?\.?\s*(?:de\s+)?{_MONTH}(?![^\W\d_]){_YEAR}"
    # a month name opens a word followed by a number (looked at before the names are tried)
    rf"|\b(?=[^\W\d_]{{{_MONTH_CHARS}}}\.?\s+\d){_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d){_YEAR})"
)
_DATE_RE = re.compile(_DATE, re.IGNORECASE)
_DECOR = r"[\s+•·|—–*#►▶■●▪︎:>~-]*"
# "2 hours ago", "vor 2 Stunden", "il y a 5 min", "hace 3 horas" before the absolute time.
_AGO = (
    r"(?:\d{1,3}\s*[^\W\d_]{1,10}\.?\s+ago|(?:vor|il y a|hace|há|fa|temu)\s+\d{1,3}\s*"
    r"[^\W\d_]{1,10}\.?(?:\s+(?:fa|temu))?)"
)
_WORDS = r"(?:[^\W\d_]{1,12}\.?,?\s+){0,2}"  # "ore", "às", "godz.", "a las", "Thursday,"
# A text that opens with a time: decorations, a relative time, a weekday or "ore"/"um", a
# date, then the clock.
# Where a clock time may be (every ``_CLOCK`` match holds one): a pattern that opens with a
# digit is searched for quickly, where ``_CLOCK``'s look-behind is tried at every character.
_CLOCK_HINT = re.compile(r"\d(?:\s?[:.hH]\s?[0-5]\d|\s?(?:h|uhr|uur|[ap]\.?\s?m))", re.IGNORECASE)
_TEXT_MARKER = re.compile(
    rf"^{_DECOR}(?:{_AGO}{_DECOR})?{_WORDS}(?:{_DATE}[\s,|/–—·•-]*{_WORDS})?{_CLOCK.pattern}",
    re.IGNORECASE,
)
_OPENING = re.compile(_TEXT_MARKER.pattern + _DECOR, re.IGNORECASE)
# "Yesterday" in the languages of ``_MONTH_WORDS`` (a post's opening: "Gestern, 22:10 Uhr").
_YESTERDAY_WORDS = (
    "yesterday", "gestern", "hier", "ayer", "ieri", "ontem", "gisteren", "wczoraj", "igår",
    "i går", "i gær", "včera", "dün",
)  # fmt: skip
_YESTERDAY = re.compile(
    r"(?<!\w)(?:" + "|".join(w.replace(" ", r"\s") for w in _YESTERDAY_WORDS) + r")(?!\w)",
    re.IGNORECASE,
)
_CLOSING_DECOR = re.compile(r"(?:\s+(?:\+{2,}|[•|—–*#]+))+\s*$")
# Comments, replies and reviews (as whole words of a class: "commentary" is a match's report).
_NOT_POSTS = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|replies|reply|reviews?)(?:$|[\s_-])", re.IGNORECASE
)

# --- sports tickers: posts that open with the match minute --------------------------------
_PRIME = "'′’´"
# A match minute at the start of a text: "23'", "45+2'", "45'+2", "90'+3'", "12′", "90+3’",
# "45e+2", "67e", "90+4 min", "67. Min.", "45.+2", "12' pt" / "5' st" (the half, in Italian).
# Never a relative age ("5 min ago") or a reading time ("5 min read").
_MINUTE = re.compile(
    rf"(?:1[0-4]\d|\d{{1,2}})(?:e(?:\s?\+\s?\d{{1,2}})?[{_PRIME}]?"
    rf"|[{_PRIME}](?:\s?\+\s?\d{{1,2}}[{_PRIME}]?)?"
    rf"|\s?\+\s?\d{{1,2}}(?:[{_PRIME}]|\s?mins?\b\.?)|\.\s?\+\s?\d{{1,2}}\.?"
    r"|\.?\s?(?:mins?|minute|minuto|minuta)\b\.?(?!\s*(?:ago|read|fa|temu)\b))"
    r"(?:\s?(?:pt|st)\b)?(?![^\W_])",
    re.IGNORECASE,
)
# Where a match minute may be: every ``_MINUTE`` match opens with one of these.
_MINUTE_HINT = re.compile(rf"\d(?:[{_PRIME}]|\s?\+\s?\d|e\b|\.?\s?min)", re.IGNORECASE)
# A match's states, written where a post's minute would be: a post's marker only as the whole
# text of its element (or before a colon), and only on a page whose posts also give minutes.
_MATCH_STATES = frozenset(
    (
        "ht", "ft", "aet", "half-time", "half time", "halftime", "full-time", "full time",
        "fulltime", "kick-off", "kick off",
        "halbzeit", "pause", "abpfiff", "anpfiff", "spielende", "spielbeginn", "ende",
        "mi-temps", "fin du match", "fin", "coup d'envoi",
        "descanso", "entretiempo", "medio tiempo", "final", "final del partido",
        "fin del partido", "inicio del partido",
        "intervallo", "fine", "fine partita", "fine primo tempo", "fischio d'inizio",
        "intervalo", "fim de jogo", "fim do jogo", "final do jogo", "início de jogo",
        "rust", "einde", "aftrap", "einde wedstrijd",
        "przerwa", "koniec", "koniec meczu", "początek meczu",
    )
)  # fmt: skip
_MARK_DECOR = " \t\n–—-:|·•,"
_STATE_CHARS = 24
_MIN_MINUTES = 2  # numbered minutes a page needs before its "HT", "FT"… mark posts

# A post's instant in an attribute of its element or of its time label (epoch seconds or
# milliseconds, or an ISO 8601 date with a time), for pages that write times by script.
_STAMP_ATTRIBUTES = ("data-timestamp", "data-time", "data-datetime", "data-published", "data-date")
_ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


@dataclass
class Post:
    """One post of a ticker, as found in the HTML."""

    node: LexborNode
    members: list[LexborNode]  # the post's elements (one, or a heading and what follows it)
    element_id: str
    clock: str  # the clock text that opens the post ("" for an empty <time>)
    when: str  # a <time datetime> (or data attribute) value, verbatim ("" when none)
    opening: str = ""  # the post's text up to and with its time (a date there dates the post)
    day_heading: str = ""  # the day heading its posts are under, in a ticker over several days
    minute: str = ""  # the match minute or state it opens with instead of a clock ("45+2'", "HT")
    label: str = ""  # the text of its time element when that is no time ("2 hours ago")
    age: str = ""  # the relative age that is its only time ("5 min ago", "vor 2 Std."), verbatim
    age_seconds: int | None = None  # that age in seconds
    badge: str = ""  # a flag such as "Pinned", "Key event" set apart at its start, verbatim

    _text: str | None = field(default=None, repr=False, compare=False)
    _hashed: str = field(default="", repr=False, compare=False)

    def text(self) -> str:
        """The post's text without its times (and the decorations around an opening time)."""
        if self._text is None:
            # a member holding only the time (a <dt>, a time heading) adds nothing
            texts = (_words(html.node_text(m, html.POINT_SKIP)) for m in self.members)
            joined = self._unmarked(" ".join(t for t in texts if t))
            self._hashed = joined
            dated = _DATE_RE.match(joined)
            if dated is not None and dated.end() < len(joined) and dated.group(0) in self.opening:
                joined = joined[dated.end() :].lstrip(" ,|–—·•-")  # the date its time opens with
            self._text = joined
        return self._text

    def _unmarked(self, text: str) -> str:
        """``text`` without the match minute or the time label its post opens with; a label
        or an age ("2 hours ago", which changes from one fetch to the next) wherever it is
        (after a heading the post opens with)."""
        for marker in (self.minute, self.label, self.age, self.badge):
            if not marker:
                continue
            start = text.find(marker, 0, _OPENING_CHARS + len(marker))
            if start >= 0 and not text[:start].strip(_MARK_DECOR):
                text = text[start + len(marker) :].lstrip(_MARK_DECOR)
            elif marker is not self.minute:
                text = _without(text, marker)
        return text

    def hashed_text(self) -> str:
        """The text a post without an id has its identity from (as earlier versions read it:
        a date written before its time element stays in)."""
        self.text()
        return self._hashed

    def heading(self) -> str:
        for member in self.members:
            if member.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                found = _words(html.node_text(member, html.POINT_SKIP))
            else:
                found = _words(html.first_heading(member))
            found = self._unmarked(found)
            if found and not _only_day(found):
                return found
        for member in self.members:
            found = _bold_title(member)
            if found:
                return found
        return ""

    def day(self, near: date | None = None) -> date | None:
        """The date the post's opening writes next to its time ("Mar 5, 2026", "05.03.",
        "5 mars"), None when it gives none; a date without a year takes the year that puts it
        closest to ``near`` (the page's date). "Yesterday" ("gestern", "hier", "ayer"…)
        before the time is the day before ``near``."""
        found = written_date(self.opening, near)
        if found is None and near is not None and _YESTERDAY.search(self.opening):
            return near - timedelta(days=1)
        if found is None and self.day_heading:
            found = written_date(self.day_heading, near)
        return found


def _without(text: str, words: str) -> str:
    """``text`` without the first whole-word occurrence of ``words`` (and the decorations
    around it)."""
    start = text.find(words)
    while start >= 0:
        end = start + len(words)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or after.isalnum()):
            head = text[:start].rstrip(_MARK_DECOR)
            tail = text[end:].lstrip(_MARK_DECOR)
            return f"{head} {tail}".strip() if head and tail else (head or tail)
        start = text.find(words, start + 1)
    return text


def _opening_time(text: str) -> re.Match[str] | None:
    """The time (with what may come before it) that ``text`` opens with, if any. (Every clock
    time holds a digit: most texts are done with one quick scan for one.)"""
    if _DIGIT.search(text, 0, _MARKER_CHARS) is None or not _CLOCK.search(text, 0, _MARKER_CHARS):
        return None
    return _OPENING.match(text)


def _words(text: str) -> str:
    """A post's text without the time (and its decorations) it opens with and without the
    decorations closing a flat ticker's heading ("+++ 14:47 Titel +++"); "" when it is nothing
    but a time (or two: "14:30 – 15:00")."""
    found = _opening_time(text)
    if found is None or _age_only(text):  # "2 uur geleden" is no clock ("2 uur")
        return _CLOSING_DECOR.sub("", text).strip()
    if found.end() < len(text):
        text = text[found.end() :]
    text = _CLOSING_DECOR.sub("", text).strip()
    return "" if _only_time(text) else text


def _only_time(text: str) -> bool:
    """Whether ``text`` is nothing but a time (with its decorations: "godz. 16:20", "14.05")."""
    found = _opening_time(text)
    return found is not None and found.end() >= len(text.rstrip())


def _only_day(text: str) -> bool:
    """Whether ``text`` only writes a day ("05.03.2026", "Donnerstag, 5. März")."""
    if len(text) > _DAY_HEADING_CHARS or len(text.split()) > _DAY_WORDS:
        return False
    if _DIGIT.search(text) is None:  # every day written holds its number
        return False
    found = _DATE_RE.search(text)
    if found is None:
        return False
    rest = (text[: found.start()] + " " + text[found.end() :]).split()
    return len(rest) <= 2 and all(len(word) <= 12 for word in rest)


_DAY_WORDS = 8  # a day written out ("jeudi 5 mars 2026", "5 de marzo de 2026") and two more
_DIGIT = re.compile(r"\d")
_BLOCK_TAGS = frozenset(("p", "div", "td", "dd", "li", "section"))


def _bold_title(member: LexborNode) -> str:
    """A post's title set in bold instead of a heading: a ``<strong>``/``<b>`` that opens the
    post's words (after its time) and ends its line (a ``<br>`` follows) or its own block.
    ("" when none: a bold lead sentence running on into the text is no title.)"""
    bold = member.css_first("strong, b")
    if bold is None:
        return ""
    text = _words(html.node_text(bold, html.POINT_SKIP))
    if not text or len(text) > 200:
        return ""
    after = bold.next
    while after is not None and after.tag == "-text" and not (after.text_content or "").strip():
        after = after.next
    if after is None:
        block = bold.parent
        if block is None or block.tag not in _BLOCK_TAGS or block.mem_id == member.mem_id:
            return ""
        if html.node_text(block, html.POINT_SKIP) != html.node_text(bold):
            return ""
    elif after.tag != "br":
        return ""
    if _words(" ".join(_text_before(member, bold)).strip()):
        return ""
    return text


def find_posts(
    container: LexborNode | None,
    *,
    by_text: bool = True,
    alone: bool = True,
    data_attributes: AbstractSet[str] | None = None,
) -> list[Post]:
    """The ticker posts in ``container``: the largest run of same-shaped siblings that each open
    with a time (at least ``MIN_POSTS``), in page order; [] when there is none. Without
    ``by_text`` only ``<time>`` elements mark posts (no walk over the text).

    Not a ticker: a run of links to other pages each with its time (a "latest news" list),
    comments, and (when the posts ``alone`` make the page a live page, without structured
    data) a short run of timed items that holds little of the content's text (a timeline box
    in an article)."""
    if container is None:
        return []
    ages: set[int] = set()
    markers = _markers(container, by_text, ages, data_attributes)
    if len(markers) < MIN_POSTS:
        return []  # too few times for a run of posts
    days = _day_headings(container)
    sections = _day_sections(days, container)
    groups: dict[tuple[int, str], dict[int, tuple[LexborNode, LexborNode]]] = {}
    for marker in markers:
        node = marker
        for _ in range(_LEVELS):
            parent = node.parent
            if parent is None:
                break
            key = (parent.mem_id, _shape(node))
            members = groups.setdefault(key, {})
            first = members.setdefault(node.mem_id, (node, marker))
            if first[1].mem_id in ages and marker.mem_id not in ages:
                members[node.mem_id] = (node, marker)  # a clock beside an age dates the post
            if parent.mem_id == container.mem_id:
                break
            node = parent
    # The posts of several days' sections are one run, tried before the runs of one parent
    # (the sections themselves would be one: each opens with its day, then a time).
    candidates = _runs(_across_days(groups, sections))[:MAX_RUNS]
    candidates += _runs(list(groups.values()))[:MAX_RUNS]
    total = 0
    for found in candidates:
        posts = _posts(found[:MAX_POSTS])
        if not total and alone:
            total = len(container.text(deep=True) or "")
        if _is_ticker(posts, found, total if alone else 0):
            _date_posts(posts, days)
            return posts
    return []


def _runs(
    groups: list[dict[int, tuple[LexborNode, LexborNode]]],
) -> list[list[tuple[LexborNode, LexborNode]]]:
    """The groups of at least ``MIN_POSTS`` members that open with their time, those holding
    the most text first."""
    runs: list[tuple[int, list[tuple[LexborNode, LexborNode]]]] = []
    for members in groups:
        if len(members) < MIN_POSTS:
            continue
        found = [pair for pair in members.values() if _opens_with(pair[0], pair[1])]
        if len(found) < MIN_POSTS:
            continue
        score = sum(len(n.text(deep=True) or "") for n, _ in found[:200]) + len(found)
        runs.append((score, found))
    runs.sort(key=lambda run: run[0], reverse=True)
    return [found for _score, found in runs]


_DAY_HEADING_CHARS = 60
_DAY_SELECTOR = (
    "h2, h3, h4, h5, h6, [class*=date i], [class*=day i], [class*=datum i], [class*=fecha i]"
)


def _day_headings(container: LexborNode) -> dict[int, str]:
    """Elements that only write a day ("Donnerstag, 5. März 2026", "5 mars"): a ticker over
    several days heads each day's posts with one. By mem_id, their text."""
    found: dict[int, str] = {}
    for index, node in enumerate(container.css(_DAY_SELECTOR)):
        if index >= 2000:
            break
        words = node.text(deep=True) or ""
        if len(words) > 4 * _DAY_HEADING_CHARS:
            continue
        split = words.split()
        words = " ".join(split)
        if not words or len(words) > _DAY_HEADING_CHARS or len(split) > _DAY_WORDS:
            continue
        if _DIGIT.search(words) is None or _CLOCK_HINT.search(words):
            continue
        if written_date(words) is not None:
            found[node.mem_id] = words
    return found


def _day_sections(days: dict[int, str], container: LexborNode) -> dict[int, LexborNode]:
    """Elements that a day heading (h2–h6) opens: one day's posts each (never ``container``)."""
    sections: dict[int, LexborNode] = {}
    if not days:
        return sections
    for node in container.css("h2, h3, h4, h5, h6"):
        if node.mem_id not in days:
            continue
        parent = node.parent
        if parent is None or parent.mem_id == container.mem_id:
            continue
        first = parent.child
        while first is not None and (first.tag or "-").startswith("-"):
            first = first.next
        if first is not None and first.mem_id == node.mem_id:
            sections[parent.mem_id] = parent
    return sections


_Members = dict[int, tuple[LexborNode, LexborNode]]


def _across_days(
    groups: dict[tuple[int, str], dict[int, tuple[LexborNode, LexborNode]]],
    sections: dict[int, LexborNode],
) -> list[dict[int, tuple[LexborNode, LexborNode]]]:
    """The posts of sibling day sections taken together, in page order: one run."""
    if len(sections) < 2:
        return []
    joined: dict[tuple[int, str, str], list[tuple[int, _Members]]] = {}
    for (parent_id, shape), members in groups.items():
        section = sections.get(parent_id)
        outer = section.parent if section is not None else None
        if section is None or outer is None:
            continue
        if any(node.mem_id == marker.mem_id for node, marker in members.values()):
            continue  # bare times: the section is a post with a date heading, not a day
        joined.setdefault((outer.mem_id, _shape(section), shape), []).append((parent_id, members))
    runs: list[dict[int, tuple[LexborNode, LexborNode]]] = []
    for parts in joined.values():
        if len(parts) < 2:
            continue
        outer_node = sections[parts[0][0]].parent
        order: dict[int, int] = {}
        child = outer_node.child if outer_node is not None else None
        while child is not None and len(order) < 10_000:
            order[child.mem_id] = len(order)
            child = child.next
        merged: dict[int, tuple[LexborNode, LexborNode]] = {}
        for _parent, members in sorted(parts, key=lambda part: order.get(part[0], 0)):
            merged.update(members)
        runs.append(merged)
    return runs


def _date_posts(posts: list[Post], days: dict[int, str]) -> None:
    """Give each post the day its heading writes: the nearest day heading before it among its
    siblings (up to the post before it), else the day of the post before it."""
    if not days:
        return
    nodes = {p.node.mem_id for p in posts}
    current = ""
    for post in posts:
        sibling = post.node.prev
        for _ in range(20):
            if sibling is None or sibling.mem_id in nodes:
                break
            if sibling.mem_id in days:
                current = days[sibling.mem_id]
                break
            sibling = sibling.prev
        post.day_heading = current


def _is_ticker(posts: list[Post], found: list[tuple[LexborNode, LexborNode]], total: int) -> bool:
    sample = posts[:50]
    node = found[0][0]
    parent = node.parent
    words = [html.attr(node, "class"), html.attr(node, "id")]
    if parent is not None:
        words += [html.attr(parent, "class"), html.attr(parent, "id")]
    if _NOT_POSTS.search(" ".join(words)):
        return False  # comments or replies, each with its time
    if _is_ranking(sample):
        return False  # "2e Vingegaard, 3e Evenepoel…": places, not minutes
    texts = [p.text() for p in sample]
    links = sum(1 for p, t in zip(sample, texts, strict=True) if _is_link(p, t))
    if links * 2 > len(sample):
        return False  # links to other pages, each with its time
    if len(posts) >= _MANY_POSTS or total <= 0:
        return True
    chars = sum(len(t) for t in texts)
    return chars >= _MIN_SHARE * total


def _is_link(post: Post, text: str) -> bool:
    """A post that is (almost) only a link to another page (an item of a "latest" list)."""
    if not text:
        return True
    linked = 0
    for member in post.members:
        for anchor in member.css("a[href]"):
            if not html.attr(anchor, "href").strip().startswith("#"):
                linked += len(html.node_text(anchor, html.POINT_SKIP))
    return linked >= 0.8 * len(text)


# The start of a container's text searched for a ticker's first times (a ticker's third post
# comes long before 500,000 characters; the search is a scan at every digit).
_HINT_CHARS = 500_000


def _hints(pattern: re.Pattern[str], text: str) -> int:
    """How many of ``pattern``'s matches the start of ``text`` holds, up to ``MIN_POSTS``."""
    return sum(1 for _ in itertools.islice(pattern.finditer(text, 0, _HINT_CHARS), MIN_POSTS))


def _markers(
    container: LexborNode,
    by_text: bool,
    ages: set[int],
    data_attributes: AbstractSet[str] | None = None,
) -> list[LexborNode]:
    """``<time>`` elements and (``by_text``) elements holding an instant in a data attribute,
    elements whose own text opens with a clock time, and those whose text opens with a match
    minute (or is a match state such as "HT", on a page that also numbers its minutes), and
    those whose text is a relative age ("5 min ago": their mem_ids are added to ``ages``)."""
    found: list[LexborNode] = []
    selector = "time"
    if by_text:  # a selector is a pass over the tree: only for attributes the page has
        named = [a for a in _STAMP_ATTRIBUTES if data_attributes is None or a in data_attributes]
        selector = ", ".join(("time", *(f"[{a}]" for a in named)))
    for node in container.css(selector):
        if node.tag == "time" or stamp(node):
            found.append(node)
            if len(found) >= MAX_MARKERS:
                return found
    if not by_text:
        return found
    raw = container.text(deep=True, separator="\n") or ""
    clocks = _hints(_CLOCK_HINT, raw)
    minutes = _hints(_MINUTE_HINT, raw)
    aged = _age_hints(raw) if clocks + minutes < MIN_POSTS else 0
    if clocks + minutes + aged < MIN_POSTS and aged < _MIN_AGES:
        return found  # fewer than a ticker's times in the text: no walk over its nodes
    numbered = 0
    states: list[int] = []  # where the match states are in ``found``
    for node in container.traverse(include_text=True):
        if node.tag != "-text":
            continue
        content = node.text_content or ""
        if len(content) < 2:
            continue
        opening = content.lstrip()[:_MARKER_CHARS]
        parent = node.parent
        if parent is None or parent.tag == "time":
            continue
        if _age_only(opening):
            ages.add(parent.mem_id)
        elif _TEXT_MARKER.match(opening):
            pass
        elif minutes and _MINUTE.match(opening):
            numbered += 1
        elif minutes and _is_state(opening, parent):
            states.append(len(found))
        else:
            continue
        found.append(parent)
        if len(found) >= MAX_MARKERS:
            break
    if states and numbered < _MIN_MINUTES:
        dropped = set(states)
        found = [node for index, node in enumerate(found) if index not in dropped]
    return found


# Where an age may be: one of the words that follow an age ("5 min ago", "an hour ago", "3 saat
# önce"), or a number after one of the words that come before one ("vor 3", "il y a 2"). Both
# patterns open with a character tried quickly at every position.
_AGE_AFTER_HINT = re.compile(
    r"\s(?:"
    + "|".join(sorted({f.split("}")[1].strip() for fs in keypoints.AGE_FORMS.values()
                       for f in fs if f.split("}")[1].strip()}))
    + r")(?![^\W\d_])"
)  # fmt: skip
_AGE_BEFORE_WORDS = tuple(
    sorted(
        {
            " " + f.split("{")[0].strip().casefold()
            for fs in keypoints.AGE_FORMS.values()
            for f in fs
            if f.endswith("{n}") and f != "{n}"
        }
    )
)  # fmt: skip  (" vor", " il y a"…: the words that make an age with no word after it)
_AGE_BEFORE_HINT = re.compile(
    "(?<=[" + "".join(sorted({w[-1] + w[-1].upper() for w in _AGE_BEFORE_WORDS})) + r"])\s\d"
)


# Numbers after a word looked at for an age before giving up (a ticker's first ages come
# early; a page of results or lists holds thousands of numbers after words).
_AGE_HINT_TRIES = 2000


def _age_hints(text: str) -> int:
    """How many ages the start of ``text`` may hold, up to ``MIN_POSTS``."""
    count = _hints(_AGE_AFTER_HINT, text)
    for tries, found in enumerate(_AGE_BEFORE_HINT.finditer(text, 0, _HINT_CHARS)):
        if count >= MIN_POSTS or tries >= _AGE_HINT_TRIES:
            break
        before = " " + " ".join(text[max(0, found.start() - 8) : found.start()].casefold().split())
        if before.endswith(_AGE_BEFORE_WORDS):
            count += 1
    return count


_MIN_AGES = 2  # ages that make a walk worth it (the newest post may say "Just now")
_AGE_END = " \t\n–—-:|·•,)"


def _post_age(text: str) -> tuple[int, int] | None:
    """The relative age ``text`` opens with (as ``keypoints.relative_age`` gives it) when it is
    a post's time: the whole text, or set off from what follows by a colon or a dash ("vor 3
    Minuten: …"), never the start of a sentence ("5 minutes ago the police said…")."""
    found = keypoints.relative_age(text)
    if found is None:
        return None
    rest = text[found[1] :]
    return found if not rest.strip() or rest.lstrip(" \t\n")[:1] in _AGE_END else None


def is_age(text: str) -> bool:
    """Whether ``text`` opens with a relative age that is a post's time (see ``_post_age``)."""
    return _post_age(text) is not None


def _age_only(text: str) -> bool:
    """Whether ``text`` opens with an age that is its post's only time: no clock follows it
    ("12 min ago · 14:05" is dated by its clock), and its number is no clock ("2 uur
    geleden", "hace 2 h")."""
    age = _post_age(text)
    if age is None:
        return False
    found = _TEXT_MARKER.match(text)
    return found is None or found.end() <= age[1]


def match_state(text: str) -> str:
    """The match state ("HT", "Halbzeit", "Fin du match") that ``text`` is, or opens with
    before a colon ("Half-time: …"); "" when none."""
    cut = text.find(":", 0, _STATE_CHARS + 1)
    word = (text[:cut] if cut >= 0 else text).strip()
    if not word or len(word) > _STATE_CHARS:
        return ""
    key = " ".join(word.split()).rstrip(".!").replace("’", "'").casefold()
    return word if key in _MATCH_STATES else ""


def _is_state(opening: str, parent: LexborNode) -> bool:
    """Whether a text that opens with ``opening`` marks a post by the match state it writes:
    as the whole text of its element, or before a colon."""
    if len(opening) > _STATE_CHARS and ":" not in opening[: _STATE_CHARS + 1]:
        return False
    word = match_state(opening)
    if not word:
        return False
    return ":" in opening or (parent.text(deep=True) or "").strip() == opening.strip()


def match_minute(text: str) -> str:
    """The match minute ("45+2'", "90'", "67e", "12' pt") or state ("HT", "Halbzeit") that
    ``text`` opens with; "" when none."""
    found = _MINUTE.match(text)
    return found.group(0) if found is not None else match_state(text)


_MINUTE_NUMBERS = re.compile(r"(\d{1,3})(?:\D{0,3}?\+\s?(\d{1,2}))?")


def written_oldest_first(posts: list[Post]) -> bool:
    """Whether a match report lists its posts oldest first (kick-off at the top): the
    numbered minutes of its posts mostly grow down the page."""
    values = _minute_values(posts)
    pairs = list(itertools.pairwise(values))
    rising = sum(1 for a, b in pairs if b > a)
    return len(values) >= MIN_POSTS and rising * 2 > len(pairs)


def _minute_values(posts: list[Post]) -> list[float]:
    """The numbered minutes of ``posts`` in page order (a second half's "12' st" is 57)."""
    values: list[float] = []
    for post in posts[:200]:
        found = _MINUTE_NUMBERS.match(post.minute) if post.minute[:1].isdigit() else None
        if found is not None:
            second_half = 45 if post.minute.lower().endswith("st") else 0
            values.append(second_half + int(found.group(1)) + int(found.group(2) or 0) / 100)
    return values


def _is_ranking(posts: list[Post]) -> bool:
    """Whether the "minutes" of a run are places counted one by one from the top ("2e", "3e",
    "4e"… in a results list), not the minutes of a match."""
    if not posts or not all(post.minute for post in posts):
        return False
    values = _minute_values(posts)
    if len(values) < MIN_POSTS or len(values) < len(posts) or min(values) > 3:
        return False
    steps = {b - a for a, b in itertools.pairwise(values)}
    return steps in ({1}, {-1})


def stamp(node: LexborNode) -> str:
    """The instant an element holds in a data attribute (``data-timestamp``, ``data-time``…:
    epoch seconds or milliseconds, or an ISO 8601 date with a time) in ISO 8601; "" when none."""
    for name in _STAMP_ATTRIBUTES:
        value = html.attr(node, name).strip()
        if not value:
            continue
        if value.isdigit() and len(value) in (10, 13):
            seconds = int(value) // 1000 if len(value) == 13 else int(value)
            return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
        if _ISO_INSTANT.match(value) and len(value) <= 40:
            return value
    return ""


def _shape(node: LexborNode) -> str:
    classes = html.attr(node, "class").split()
    return (node.tag or "") + "." + (classes[0] if classes else "")


def _opens_with(post: LexborNode, marker: LexborNode) -> bool:
    """Whether the time ``marker`` opens ``post`` (little text before it, not counting a heading
    the post opens with: many themes print the title, then its time and byline)."""
    if marker.mem_id == post.mem_id:
        return True
    before = 0
    for chunk in _text_before(post, marker, _leading_heading(post, marker)):
        before += len(chunk.strip())
        if before > _OPENING_CHARS:
            return False
    return True


def _text_before(
    post: LexborNode, marker: LexborNode, heading: LexborNode | None = None
) -> list[str]:
    """The text nodes of ``post`` before ``marker`` (bounded), leaving out those of
    ``heading``."""
    chunks: list[str] = []
    skipped: set[int] = set()
    if heading is not None:
        skipped = {n.mem_id for n in heading.traverse(include_text=True) if n.tag == "-text"}
    for node in post.traverse(include_text=True):
        if node.mem_id == marker.mem_id:
            return chunks
        if node.tag == "-text" and node.mem_id not in skipped:
            chunks.append(node.text_content or "")
            if sum(len(c) for c in chunks) > 4 * _OPENING_CHARS:
                return chunks
    return chunks


_TITLE_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HEADING_CHARS = 300  # a heading before a post's time is no longer than this


def _leading_heading(post: LexborNode, marker: LexborNode) -> LexborNode | None:
    """The heading (h1–h6) a post opens with, as its first element or the first element of
    that, when the time ``marker`` comes after it (not inside it); None otherwise."""
    node = post
    for _ in range(2):
        first = node.child
        while first is not None and (first.tag or "-").startswith("-"):
            if first.tag == "-text" and (first.text_content or "").strip():
                return None  # loose text comes first
            first = first.next
        if first is None:
            return None
        if first.tag in _TITLE_TAGS:
            if len(first.text(deep=True) or "") > _HEADING_CHARS:
                return None
            inside = marker.parent
            for _ in range(_LEVELS):
                if inside is None or inside.mem_id == post.mem_id:
                    return first
                if inside.mem_id == first.mem_id:
                    return None
                inside = inside.parent
            return first
        node = first
    return None


def _posts(found: list[tuple[LexborNode, LexborNode]]) -> list[Post]:
    posts: list[Post] = []
    member_ids = {n.mem_id for n, _ in found}
    headings = all(n.tag in ("h2", "h3", "h4", "h5", "h6", "p", "strong", "dt") for n, _ in found)
    for node, marker in found:
        members = [node]
        if headings:  # a flat ticker: a heading, then its paragraphs up to the next heading
            sibling = node.next
            while sibling is not None and sibling.mem_id not in member_ids and len(members) < 50:
                if not (sibling.tag or "-").startswith("-"):
                    members.append(sibling)
                sibling = sibling.next
        clock = ""
        when = ""
        minute = ""
        label = ""
        own = html.node_text(marker)[:_MARKER_CHARS]
        age = ""
        if marker.tag == "time":
            when = html.attr(marker, "datetime").strip()
            clock = own
            if not when and is_age(own):  # <time>5 min ago</time>: an age, no clock
                age, clock = own, ""
            elif len(when) <= 10 and ":" not in when:  # a date only: the clock in the text
                own, when = when + " " + own, ""
        else:
            match = _TEXT_MARKER.match(own)
            clock = match.group(0) if match else ""
            when = stamp(marker)
            if when and marker.mem_id != node.mem_id and len(own) <= _OPENING_CHARS:
                label = "" if _opening_time(own) else own  # "2 hours ago", written by script
            elif not when and _age_only(own):
                age, clock = own, ""
            elif not clock and not when:
                minute = match_minute(own)
        before = ""
        if marker.mem_id != node.mem_id:
            heading = _leading_heading(node, marker)
            if heading is not None and len(heading.text(deep=True) or "") <= _OPENING_CHARS:
                heading = None  # a short heading may write the post's date
            before = " ".join(_text_before(node, marker, heading))
        opening = (before[-4 * _OPENING_CHARS :] + " " + own).strip()
        post = Post(node, members, _element_id(node), clock, when, opening)
        post.minute, post.label = minute, label
        post.badge = _badge(node, marker)
        aged = keypoints.relative_age(age) if age else None
        if aged is not None:
            post.age_seconds, post.age = aged[0], age[: aged[1]].strip()
        posts.append(post)
    return posts


# Flags publishers set on a post, in an element of their own before or after its time ("Pinned",
# "Key event", "Angeheftet", "Épinglé"…): no part of its title, text or identity (a post loses
# its flag when it is unpinned). Compared as the whole text of that element, any case.
POST_BADGES = frozenset(
    (
        "pinned", "pinned post", "key event", "key update", "breaking", "breaking news",
        "important", "highlight", "featured", "update", "new", "live",
        "angeheftet", "angepinnt", "fixiert", "wichtig", "eilmeldung", "eil", "neu", "top",
        "épinglé", "à la une", "alerte", "urgent", "essentiel",
        "fijado", "destacado", "importante", "última hora", "urgente",
        "fissato", "in evidenza", "ultim'ora", "ultima ora",
        "fixado", "destaque",
        "vastgepind", "uitgelicht", "belangrijk",
        "przypięty", "przypięte", "ważne", "pilne",
        "fäst", "viktigt", "fastgjort", "vigtigt", "festet", "viktig",
        "připnuto", "důležité", "fixat", "sabitlendi", "önemli", "son dakika",
    )
)  # fmt: skip
_BADGE_CHARS = 24


def _badge(node: LexborNode, marker: LexborNode) -> str:
    """The flag ("Pinned", "Key event") among the first texts of a post, when an element of
    its own holds it; "" when none does."""
    seen = 0
    for text_node in node.traverse(include_text=True):
        if text_node.tag != "-text":
            continue
        words = (text_node.text_content or "").strip()
        if not words:
            continue
        seen += 1
        if seen > 4:
            return ""
        parent = text_node.parent
        if len(words) > _BADGE_CHARS or parent is None or parent.mem_id == node.mem_id:
            continue
        key = " ".join(words.split()).rstrip(":").replace("’", "'").casefold()
        if key in POST_BADGES and (parent.text(deep=True) or "").strip() == words:
            return words
    return ""


def _element_id(node: LexborNode) -> str:
    """The post's element id, else the id or name of an anchor at its start."""
    own = html.attr(node, "id").strip()
    if own:
        return own
    anchor = node.css_first("a[name], a[id]")
    if anchor is not None and not (anchor.text(deep=True) or "").strip():
        return (html.attr(anchor, "id") or html.attr(anchor, "name")).strip()
    first = node.child
    while first is not None and (first.tag or "-").startswith("-"):
        first = first.next
    if first is not None and html.attr(first, "id").strip():
        return html.attr(first, "id").strip()
    prev = node.prev
    while prev is not None and prev.tag == "-text":
        prev = prev.prev
    if prev is not None and prev.tag == "a" and not (prev.text(deep=True) or "").strip():
        return (html.attr(prev, "id") or html.attr(prev, "name")).strip()
    return ""


def clock_time(clock: str, day: date, zone: tzinfo) -> datetime | None:
    """The instant a clock text ("12.31 Uhr", "7:02 pm", "19:02 IST", "Mar 5, 2026 14:05")
    means on ``day``, in ``zone`` unless the text names its own zone; UTC."""
    match = None
    dated = _DATE_RE.search(clock)
    for found in _CLOCK.finditer(clock):
        if dated is None or not (dated.start() <= found.start() < dated.end()):
            match = found
            break
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower()
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    named = (match.group(4) or "").upper()
    if match.group(5) and named in ("GMT", "UTC"):  # "GMT+1", "UTC+05:30", "GMT-3"
        sign = -1 if match.group(5) in "-−" else 1
        offset = timedelta(hours=int(match.group(6)), minutes=int(match.group(7) or 0))
        zone = timezone(sign * offset)
    elif named in _ZONES:
        zone = timezone(timedelta(hours=_ZONES[named]))
    elif named in _US_ZONES:
        zone = timezone(timedelta(hours=_US_ZONES[named] + _us_daylight(day)))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(timezone.utc)


def _us_daylight(day: date) -> int:
    """1 in US daylight-saving time (second Sunday of March to first Sunday of November)."""
    march = date(day.year, 3, 8)
    start = march + timedelta(days=(6 - march.weekday()) % 7)
    november = date(day.year, 11, 1)
    end = november + timedelta(days=(6 - november.weekday()) % 7)
    return 1 if start <= day < end else 0


# --- the zone of a page's clock times, from its language and region --------------------------

_EU_RULE = "eu"  # summer time: last Sunday of March to last Sunday of October, 01:00 UTC
_CET = "DE AT CH LI IT SM VA FR MC BE LU NL ES AD PL CZ SK HU SI HR DK SE NO RS BA ME MK AL MT"
_WET = "GB IE PT FO"
_EET = "FI EE LV LT GR CY RO BG UA MD"
# Regions with one zone (standard offset in hours, summer-time rule or None), and languages
# spoken (almost) only in one such zone. Countries spanning several zones (US, CA, AU, RU…)
# are left out: their pages' clocks stay in the zone the page states, else UTC.
_REGION_ZONES: dict[str, tuple[float, str | None]] = {
    **dict.fromkeys(_CET.split(), (1, _EU_RULE)),
    **dict.fromkeys(_WET.split(), (0, _EU_RULE)),
    **dict.fromkeys(_EET.split(), (2, _EU_RULE)),
    "IS": (0, None), "BR": (-3, None), "AR": (-3, None), "UY": (-3, None), "MX": (-6, None),
    "CO": (-5, None), "PE": (-5, None), "EC": (-5, None), "VE": (-4, None), "BO": (-4, None),
    "IN": (5.5, None), "PK": (5, None), "BD": (6, None), "JP": (9, None), "KR": (9, None),
    "CN": (8, None), "HK": (8, None), "TW": (8, None), "SG": (8, None), "PH": (8, None),
    "MY": (8, None), "TH": (7, None), "VN": (7, None), "AE": (4, None), "SA": (3, None),
    "QA": (3, None), "TR": (3, None), "KE": (3, None), "NG": (1, None), "ZA": (2, None),
}  # fmt: skip
_LANGUAGE_REGIONS = {
    "de": "DE", "it": "IT", "nl": "NL", "pl": "PL", "fr": "FR", "cs": "CZ", "sk": "SK",
    "hu": "HU", "sl": "SI", "hr": "HR", "da": "DK", "sv": "SE", "nb": "NO", "nn": "NO",
    "no": "NO", "fi": "FI", "et": "EE", "lv": "LV", "lt": "LT", "el": "GR", "ro": "RO",
    "bg": "BG", "uk": "UA", "ja": "JP", "ko": "KR", "tr": "TR", "hi": "IN",
}  # fmt: skip
_LOCALE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_](?:[A-Za-z]{4}[-_])?([A-Za-z]{2}|\d{3}))?\b")


class RegionZone(tzinfo):
    """A region's zone: a standard offset and, for Europe, its summer time (one rule for the
    whole EU, the UK and their neighbours since 1996)."""

    def __init__(self, hours: float, rule: str | None) -> None:
        self._std = timedelta(hours=hours)
        self._rule = rule

    def __repr__(self) -> str:
        return f"RegionZone({self._std.total_seconds() / 3600:g}, {self._rule!r})"

    def _summer(self, utc: datetime) -> bool:
        if self._rule != _EU_RULE:
            return False
        start = _last_sunday(utc.year, 3)
        end = _last_sunday(utc.year, 10)
        return start <= utc.replace(tzinfo=None) < end

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return self._std + self.dst(dt)

    def dst(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(0)
        utc = dt.replace(tzinfo=None) - self._std  # the wall time, read as standard time
        return timedelta(hours=1) if self._summer(utc) else timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        offset = self.utcoffset(dt)
        return f"UTC{'+' if offset >= timedelta(0) else '-'}{abs(offset)}"

    def fromutc(self, dt: datetime) -> datetime:
        utc = dt.replace(tzinfo=None)
        shift = self._std + (timedelta(hours=1) if self._summer(utc) else timedelta(0))
        return (utc + shift).replace(tzinfo=self)


def _last_sunday(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of ``month`` (when European clocks change)."""
    last = date(year, month + 1, 1) - timedelta(days=1)
    day = last - timedelta(days=(last.weekday() - 6) % 7)
    return datetime.combine(day, time(1, 0))


def locale_zone(*locales: str) -> tzinfo | None:
    """The zone a page's readers live in, by its locale ("de", "en-GB", "pt_BR", from
    ``<html lang>`` or ``og:locale``; the first with a known region wins, a language alone
    counts only where it is spoken in one zone); None when unknown."""
    fallback: tzinfo | None = None
    for value in locales:
        found = _LOCALE.match(value or "")
        if found is None:
            continue
        language, region = found.group(1).lower(), (found.group(2) or "").upper()
        if region in _REGION_ZONES:
            return RegionZone(*_REGION_ZONES[region])
        if region:
            continue  # a region in several zones, or unknown: the language says nothing more
        if fallback is None and language in _LANGUAGE_REGIONS:
            fallback = RegionZone(*_REGION_ZONES[_LANGUAGE_REGIONS[language]])
    return fallback


def written_date(text: str, near: date | None = None) -> date | None:
    """The first date written in ``text`` ("2026-03-05", "05.03.2026", "5 March", "5. März
    2026", "5 de marzo", "Mar 5, 2026"), None when there is none. Without a year: the year that
    puts it closest to ``near`` (else this year)."""
    for found in _DATE_RE.finditer(text[:400]):
        groups = found.groups()
        if groups[0]:
            year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
        elif groups[3]:
            day, month = int(groups[3]), int(groups[4])
            if month > 12 >= day:  # "3/25": month first
                day, month = month, day
            year = _year(groups[5])
        elif groups[6]:
            day, month, year = int(groups[6]), _MONTHS[groups[7].lower()], _year(groups[8])
        else:
            month, day, year = _MONTHS[groups[9].lower()], int(groups[10]), _year(groups[11])
        try:
            if year:
                return date(year, month, day)
            base = near or date.today()
            candidates = [date(base.year + shift, month, day) for shift in (-1, 0, 1)]
        except ValueError:
            continue
        return min(candidates, key=lambda c: abs((c - base).days))
    return None


def _year(text: str | None) -> int:
    if not text:
        return 0
    year = int(text)
    return year + 2000 if year < 100 else year
