"""Live tickers in plain HTML: a run of sibling posts of one shape, each opening with a time.

Many live pages carry no structured data for their posts: the article holds a run of posts, each
opening with a clock time ("12.31 Uhr: …", "19:02 IST", a ``<time datetime>`` element) and a
heading or paragraph. ``find_posts`` finds that run in the page's main content (at least
``MIN_POSTS`` siblings of the same tag and class); the posts also let JSON-LD updates without a
link of their own point at their element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from selectolax.lexbor import LexborNode

from widget.sources import html

MIN_POSTS = 3
MAX_MARKERS = 5000  # times looked at in one page
MAX_POSTS = 2000  # posts read from one run (the entries are capped later)
_LEVELS = 8  # how far above a time its post may start
_OPENING_CHARS = 40  # a post's text before its time, at most

_CLOCK = re.compile(
    r"(?<![\d.:])([01]?\d|2[0-3])\s?[:.h]\s?([0-5]\d)(?![\d])"
    r"(?:\s*([aApP])\.?\s?[mM]\.?)?(?:\s*(?:Uhr|uur|h|godz\.?))?"
    r"(?:\s*(IST|GMT|UTC|BST|CET|CEST|MEZ|MESZ|EST|EDT|PST|PDT|WET|WEST|EET|EEST|BRT|SAST|JST))?"
)
_ZONES = {
    "IST": 5.5, "GMT": 0, "UTC": 0, "BST": 1, "CET": 1, "MEZ": 1, "CEST": 2, "MESZ": 2,
    "EST": -5, "EDT": -4, "PST": -8, "PDT": -7, "WET": 0, "WEST": 1, "EET": 2, "EEST": 3,
    "BRT": -3, "SAST": 2, "JST": 9,
}  # fmt: skip
_TEXT_MARKER = re.compile(r"^\W{0,3}(?:\d{1,2}\.\d{1,2}\.(?:\d{2,4})?,?\s*)?" + _CLOCK.pattern)


@dataclass
class Post:
    """One post of a ticker, as found in the HTML."""

    node: LexborNode
    members: list[LexborNode]  # the post's elements (one, or a heading and what follows it)
    element_id: str
    clock: str  # the clock text that opens the post ("" for an empty <time>)
    when: str  # a <time datetime> value, verbatim ("" when none)

    def text(self) -> str:
        """The post's text without its times."""
        return " ".join(html.node_text(m, html.POINT_SKIP) for m in self.members).strip()

    def heading(self) -> str:
        for member in self.members:
            if member.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                return html.node_text(member, html.POINT_SKIP)
            found = html.first_heading(member)
            if found:
                return found
        return ""


def find_posts(container: LexborNode | None, *, by_text: bool = True) -> list[Post]:
    """The ticker posts in ``container``: the largest run of same-shaped siblings that each open
    with a time (at least ``MIN_POSTS``), in page order; [] when there is none. Without
    ``by_text`` only ``<time>`` elements mark posts (no walk over the text)."""
    if container is None:
        return []
    groups: dict[tuple[int, str], dict[int, tuple[LexborNode, LexborNode]]] = {}
    for marker in _markers(container, by_text):
        node = marker
        for _ in range(_LEVELS):
            parent = node.parent
            if parent is None:
                break
            key = (parent.mem_id, _shape(node))
            members = groups.setdefault(key, {})
            members.setdefault(node.mem_id, (node, marker))
            if parent.mem_id == container.mem_id:
                break
            node = parent
    best: list[tuple[LexborNode, LexborNode]] = []
    best_score = 0
    for members in groups.values():
        if len(members) < MIN_POSTS:
            continue
        found = [pair for pair in members.values() if _opens_with(pair[0], pair[1])]
        if len(found) < MIN_POSTS:
            continue
        score = sum(len(n.text(deep=True) or "") for n, _ in found[:200]) + len(found)
        if score > best_score:
            best, best_score = found, score
    return _posts(best[:MAX_POSTS])


def _markers(container: LexborNode, by_text: bool) -> list[LexborNode]:
    """``<time>`` elements and (``by_text``) elements whose own text opens with a clock time."""
    found: list[LexborNode] = []
    for node in container.css("time"):
        found.append(node)
        if len(found) >= MAX_MARKERS:
            return found
    if not by_text:
        return found
    raw = container.text(deep=True) or ""
    if len(_CLOCK.findall(raw[:2_000_000])) < MIN_POSTS:
        return found
    for node in container.traverse(include_text=True):
        if node.tag != "-text":
            continue
        content = node.text_content or ""
        if len(content) < 4 or not _TEXT_MARKER.match(content.lstrip()):
            continue
        parent = node.parent
        if parent is not None and parent.tag != "time":
            found.append(parent)
            if len(found) >= MAX_MARKERS:
                break
    return found


def _shape(node: LexborNode) -> str:
    classes = html.attr(node, "class").split()
    return (node.tag or "") + "." + (classes[0] if classes else "")


def _opens_with(post: LexborNode, marker: LexborNode) -> bool:
    """Whether the time ``marker`` opens ``post`` (little text before it)."""
    if marker.mem_id == post.mem_id:
        return True
    before = 0
    for chunk in _text_before(post, marker):
        before += len(chunk.strip())
        if before > _OPENING_CHARS:
            return False
    return True


def _text_before(post: LexborNode, marker: LexborNode) -> list[str]:
    chunks: list[str] = []
    for node in post.traverse(include_text=True):
        if node.mem_id == marker.mem_id:
            return chunks
        if node.tag == "-text":
            chunks.append(node.text_content or "")
            if sum(len(c) for c in chunks) > 4 * _OPENING_CHARS:
                return chunks
    return chunks


def _posts(found: list[tuple[LexborNode, LexborNode]]) -> list[Post]:
    posts: list[Post] = []
    member_ids = {n.mem_id for n, _ in found}
    headings = all(n.tag in ("h2", "h3", "h4", "h5", "h6", "p", "strong") for n, _ in found)
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
        if marker.tag == "time":
            when = html.attr(marker, "datetime")
            clock = html.node_text(marker)
        else:
            match = _TEXT_MARKER.match(html.node_text(marker))
            clock = match.group(0) if match else ""
        posts.append(Post(node, members, _element_id(node), clock, when))
    return posts


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
    """The instant a clock text ("12.31 Uhr", "7:02 pm", "19:02 IST") means on ``day``, in
    ``zone`` unless the text names its own zone; UTC."""
    match = _CLOCK.search(clock)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    meridiem = (match.group(3) or "").lower()
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    named = match.group(4)
    if named:
        zone = timezone(timedelta(hours=_ZONES[named]))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(timezone.utc)
