"""Live pages: schema.org LiveBlogPosting in JSON-LD or microdata, or an HTML-only ticker.

One entry per update, newest first, plus one entry for the page itself (identity: the posting's
``@id`` / ``itemid``, else the page URL) whose key points come from the page's main content (the
lists inside a post belong to that post). Update identity (fixed once shipped): JSON-LD ``@id``,
else ``url``, else a content hash; microdata ``itemid``, else the element id, else a hash; a
ticker post's element id (or anchor), else the permalink its share tools give, else a hash of its
text without the time, its age or its "Pinned" flag (a post that opens with a match minute: of
the minute and that text).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborNode

from widget.core import keypoints, text, urls
from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import html, items, ticker

MAX_DEPTH = 8  # how deep into a JSON-LD document a LiveBlogPosting is looked for
MAX_NODES = 20_000  # JSON values visited per block
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Entries kept from one live page, its own entry included: the newest updates, as many as the
# store keeps of one source by default (older ones would be removed by retention right away).
MAX_LIVE_ITEMS = 500


def parse_live_page(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    """Parse an HTML live page. ``url`` is the final URL (the base for links, the page's identity
    when it names none). Raises ParseError when the page is no live page."""
    if not body.strip():
        raise ParseError("the server sent an empty body where a live page was expected")
    parsed = live_page_from_document(html.parse_document(body, headers), url)
    if parsed is None:
        raise ParseError(
            "no live blog found in the page (no schema.org LiveBlogPosting in JSON-LD or "
            "microdata, and no run of posts that each open with a time)"
        )
    return parsed


@dataclass
class _Raw:
    """One update's fields before it becomes an Item."""

    ident: str
    url: str
    headline: str  # markup or text
    body: str  # markup or text
    published: datetime | None
    updated: datetime | None
    post: ticker.Post | None = None
    node: LexborNode | None = None  # the update's element (microdata)
    stamp: datetime | None = None  # its date read as UTC when zoneless (part of a content hash)
    identity: str | None = None  # when not ``@id`` / ``url`` ("": the content hash)
    link_url: str | None = None  # the URL to link to, when not ``url``
    link_ident: str | None = None  # the ``@id`` to link to, when not ``ident``


def live_page_from_document(doc: html.Document, url: str) -> ParsedSource | None:
    """The live page in a parsed HTML page, or None when it is none."""
    warnings: list[str] = []
    posting = find_posting(doc, warnings)
    scope = doc.tree.css_first('[itemtype*="LiveBlogPosting" i]')
    # Posts of a page with no structured data may name their own address only in the share
    # tools that go with the chrome: read those first.
    links = _share_links(doc, url) if posting is None and scope is None else {}
    main = doc.main()
    raws: list[_Raw] = []
    zone = stated_zone(doc)
    if posting is not None:
        raws = [_jsonld_raw(u, zone) for u in _updates(posting)]
    if not raws and scope is not None:
        raws = _microdata_raws(scope, zone)
    page_headline = _page_headline(posting, scope, doc)
    # Posts are found by their text (not only by <time>) only where structured data gave no
    # updates, or updates that need their post in the HTML for a link or a title.
    posts = ticker.find_posts(
        main,
        by_text=_need_posts(raws, page_headline),
        alone=not raws,
        data_attributes=doc.data_attributes,
    )
    if not raws and posts:
        raws = _ticker_raws(posts, doc, zone, posting, links)
    if posting is None and scope is None and not raws:
        return None
    # Newest first; only the newest are made into entries (the rest would be dropped anyway).
    raws.sort(key=lambda r: r.published or r.updated or _EPOCH, reverse=True)
    _attach_posts(raws[: MAX_LIVE_ITEMS * 2], posts, url)
    page_url = urls.safe_url(url) or url
    page_id = _page_id(posting, scope, page_url)
    own = [page_url, _str(posting, "url") if posting is not None else ""]
    _drop_page_urls(raws, own, page_id)
    page_base = _canonical(doc, page_url)
    updates: list[Item] = []
    seen: set[str] = set()
    for raw in raws:
        if len(seen) >= MAX_LIVE_ITEMS:
            warnings.append(f"{len(raws)} updates in the page; read the newest {len(updates)}")
            break
        item = _update_item(raw, page_url, page_headline, page_base)
        seen.add(item.id)
        updates.append(item)
    exclude = frozenset(
        [p.node.mem_id for p in posts]
        + [r.node.mem_id for r in raws if r.node is not None]
        + [r.post.node.mem_id for r in raws if r.post is not None]
    )
    page = _page_item(posting, scope, doc, main, page_url, page_headline, page_id, exclude, zone)
    return ParsedSource(
        kind=SourceKind.LIVE_PAGE,
        title=page.title,
        link=page.url,
        items=items.dedupe([page, *updates], warnings, MAX_LIVE_ITEMS),
        warnings=tuple(warnings),
    )


def _need_posts(raws: list[_Raw], page_headline: str) -> bool:
    for raw in raws[: MAX_LIVE_ITEMS * 2]:
        if raw.node is not None:
            continue
        if not raw.url or not items.is_usable_headline(
            html.html_to_text(raw.headline), page_headline
        ):
            return True
    return not raws


# --- JSON-LD ----------------------------------------------------------------------------------


def find_posting(doc: html.Document, warnings: list[str]) -> dict[str, Any] | None:
    """The first LiveBlogPosting in the page's JSON-LD blocks; a block that is not valid JSON is
    skipped with a warning and never hides a later valid one."""
    invalid = 0
    for block in doc.jsonld:
        try:
            if len(block) > html.MAX_JSONLD_CHARS:
                document = _load_long_posting(block)
                warnings.append(
                    f"a JSON-LD block of {len(block)} characters: read its first "
                    f"{len(document['liveBlogUpdate'])} updates"
                )
            else:
                document = json.loads(block)
        except (ValueError, RecursionError, TypeError, KeyError):
            invalid += 1
            continue
        for node in _walk(document):
            if _has_type(node, "LiveBlogPosting"):
                _note_invalid(invalid, warnings)
                return _resolved(node, document)
    _note_invalid(invalid, warnings)
    if doc.jsonld_dropped:
        warnings.append(f"read the first {len(doc.jsonld)} JSON-LD blocks of the page only")
    return None


_UPDATES_START = re.compile(r'"liveBlogUpdate"\s*:\s*\[')


def _load_long_posting(block: str) -> dict[str, Any]:
    """A LiveBlogPosting too long to decode whole: the fields before its ``liveBlogUpdate``
    list and the first updates of that list, decoded one by one (bounded in count, so in time
    and memory). Raises ValueError when the block is not of that shape."""
    found = _UPDATES_START.search(block, 0, 100_000)
    if found is None:
        raise ValueError("no liveBlogUpdate list near the start")
    head = block[: found.start()].rstrip().rstrip(",")
    posting = json.loads(head + "}")
    if not isinstance(posting, dict):
        raise ValueError("not an object")
    decoder = json.JSONDecoder()
    updates: list[object] = []
    pos = found.end()
    while len(updates) < items.MAX_ITEMS * 2:
        while pos < len(block) and block[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(block) or block[pos] == "]":
            break
        update, pos = decoder.raw_decode(block, pos)
        updates.append(update)
    posting["liveBlogUpdate"] = updates
    return posting


def _resolved(posting: dict[str, Any], document: object) -> dict[str, Any]:
    """The posting with its updates given as ``{"@id": …}`` references replaced by the nodes of
    the same JSON-LD document that carry those ``@id``s (as in an ``@graph``); without a
    ``liveBlogUpdate`` at all, the document's posts that say they are part of the posting."""
    updates = posting.get("liveBlogUpdate")
    listed = [updates] if isinstance(updates, dict) else updates
    if isinstance(listed, list):
        bounded = listed[: items.MAX_ITEMS * 2]
        if not any(isinstance(u, dict) and _is_reference(u) for u in bounded):
            return posting
    elif updates is not None or not _str(posting, "@id"):
        return posting
    nodes: dict[str, dict[str, Any]] = {}
    parts: list[dict[str, Any]] = []
    own = _str(posting, "@id")
    for node in _walk(document):
        ident = node.get("@id")
        if isinstance(ident, str) and not _is_reference(node):
            nodes.setdefault(ident, node)
        part = own and node is not posting and _str(node, "isPartOf") == own
        if part and any(_has_type(node, t) for t in _POST_TYPES):
            parts.append(node)
    if isinstance(listed, list):
        resolved: list[Any] = []
        for update in bounded:
            if isinstance(update, dict) and _is_reference(update):
                update = nodes.get(_str(update, "@id"), update)
            resolved.append(update)
    else:
        resolved = parts
    if not resolved:
        return posting
    return {**posting, "liveBlogUpdate": resolved}


_POST_TYPES = (
    "BlogPosting", "NewsArticle", "Article", "SocialMediaPosting", "ReportageNewsArticle",
)  # fmt: skip


def _is_reference(node: Mapping[str, Any]) -> bool:
    """A node that only names another one: ``{"@id": …}`` (perhaps with its ``@type``)."""
    return isinstance(node.get("@id"), str) and all(k in ("@id", "@type") for k in node)


def _note_invalid(count: int, warnings: list[str]) -> None:
    if count:
        warnings.append(f"skipped {count} JSON-LD blocks with invalid JSON")


def _walk(document: object) -> Iterator[dict[str, Any]]:
    """Every JSON object in ``document``, breadth first, bounded in depth and count."""
    level: list[object] = [document]
    visited = 0
    for _ in range(MAX_DEPTH):
        following: list[object] = []
        for value in level:
            visited += 1
            if visited > MAX_NODES:
                return
            if isinstance(value, dict):
                yield value
                following.extend(v for v in value.values() if isinstance(v, (dict, list)))
            elif isinstance(value, list):
                following.extend(v for v in value if isinstance(v, (dict, list)))
        if not following:
            return
        level = following


def _has_type(node: Mapping[str, Any], wanted: str) -> bool:
    kinds = node.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    # "LiveBlogPosting", "schema:LiveBlogPosting", "https://schema.org/LiveBlogPosting"
    return any(
        isinstance(n, str) and n.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == wanted for n in names
    )


def _updates(posting: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = posting.get("liveBlogUpdate")
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [u for u in raw[: items.MAX_ITEMS * 2] if isinstance(u, dict)]
    return []


def _jsonld_raw(update: Mapping[str, Any], zone: tzinfo) -> _Raw:
    published = update.get("datePublished") or update.get("dateCreated")
    return _Raw(
        ident=_str(update, "@id"),
        url=_str(update, "url"),
        headline=_str(update, "headline") or _str(update, "name"),
        body=_body(update),
        published=items.parse_date(published, zone),
        updated=items.parse_date(update.get("dateModified"), zone),
        stamp=items.parse_date(published) or items.parse_date(update.get("dateModified")),
    )


# A date with its offset in a JSON-LD block: "datePublished": "2026-03-05T09:00:00+05:30".
_STATED_OFFSET = re.compile(
    r'"(?:date\w{0,20}|\w{0,20}Time)"\s*:\s*"\d{4}-\d\d-\d\d[Tt ][\d:.,]{2,20}(Z|[+-]\d\d:?\d\d)"'
)


def stated_zone(doc: html.Document) -> tzinfo:
    """The zone of a page's local times (its clock times, its dates without an offset): the
    offset of its own dates in its metadata, else of the first date with an offset in its
    JSON-LD. A page that states only UTC (many CMSs store and print their dates in UTC) or
    nothing is read in the zone of its locale (``og:locale``, ``<html lang>``: "en-GB", "de",
    "pt_BR") where that names one; else UTC."""
    zone = doc.zone()
    if zone is None:
        for block in doc.jsonld[:50]:
            found = _STATED_OFFSET.search(block, 0, 1_000_000)
            if found:
                with contextlib.suppress(ValueError):  # an offset of 24 hours or more
                    zone = items.offset_zone(found.group(1))
                break
    if zone is not None and zone.utcoffset(None) != timedelta(0):
        return zone
    return _locale_zone(doc) or zone or timezone.utc


def _locale_zone(doc: html.Document) -> tzinfo | None:
    locales = [doc.locale]
    root = doc.tree.css_first("html")
    if root is not None:
        locales.append(html.attr(root, "lang") or html.attr(root, "xml:lang"))
    return ticker.locale_zone(*locales)


def _body(update: Mapping[str, Any]) -> str:
    """``articleBody`` as a string, an object ({"@value"} / {"text"}) or a list; else ``text``."""
    for key in ("articleBody", "text", "description"):
        value = update.get(key)
        if isinstance(value, dict):
            value = value.get("@value") or value.get("text")
        if isinstance(value, list):
            value = "\n".join(v for v in value if isinstance(v, str))
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _str(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    if isinstance(value, dict):  # {"@id": "..."} references, as in "url": {"@id": ...}
        value = value.get("@id")
    return value if isinstance(value, str) and value.strip() else ""


# --- microdata --------------------------------------------------------------------------------


def _microdata_raws(scope: LexborNode, zone: tzinfo) -> list[_Raw]:
    raws: list[_Raw] = []
    for node in scope.css("[itemprop~=liveBlogUpdate]"):
        if len(raws) >= items.MAX_ITEMS * 2:
            break
        props = _props(node)
        raws.append(
            _Raw(
                ident=html.attr(node, "itemid").strip(),
                url=props.get("url", ""),
                headline=props.get("headline", "") or props.get("name", ""),
                body=props.get("articleBody", "") or props.get("text", ""),
                published=items.parse_date(props.get("datePublished"), zone),
                updated=items.parse_date(props.get("dateModified"), zone),
                node=node,
                stamp=items.parse_date(props.get("datePublished"))
                or items.parse_date(props.get("dateModified")),
            )
        )
    return raws


def _props(scope: LexborNode) -> dict[str, str]:
    """The microdata properties of an item scope (not those of items nested in it)."""
    found: dict[str, str] = {}
    for node in scope.css("[itemprop]"):
        if _owner(node, scope) != scope.mem_id:
            continue
        for name in html.attr(node, "itemprop").split():
            if name not in found:
                found[name] = _prop_value(node)
    return found


def _owner(node: LexborNode, scope: LexborNode) -> int | None:
    """The mem_id of the item scope a property belongs to (its nearest itemscope ancestor)."""
    parent = node.parent
    for _ in range(html.MAX_DEPTH):
        if parent is None:
            return None
        if parent.mem_id == scope.mem_id:
            return scope.mem_id
        if "itemscope" in parent.attributes:
            return parent.mem_id
        parent = parent.parent
    return None


def _prop_value(node: LexborNode) -> str:
    tag = node.tag
    if tag == "meta":
        return html.attr(node, "content")
    if tag == "time":
        return html.attr(node, "datetime") or html.node_text(node)
    if tag in ("a", "link", "area"):
        return html.attr(node, "href")
    if "content" in node.attributes:
        return html.attr(node, "content")
    return html.node_text(node)


# --- tickers ----------------------------------------------------------------------------------


def _ticker_raws(
    posts: list[ticker.Post],
    doc: html.Document,
    zone: tzinfo,
    posting: Mapping[str, Any] | None,
    links: dict[int, str],
) -> list[_Raw]:
    day, latest = _page_day(doc, zone, posting)
    changed: datetime | None = None  # when the page last changed (else was published)
    reference: datetime | None = None  # what a post's relative age counts back from
    raws: list[_Raw] = []
    permalinks = _permalinks(posts, links)
    for post in posts:
        published = items.parse_date(post.when, zone) if post.when else None
        if published is None and post.age_seconds is not None:
            # "5 min ago": as the page said when it was saved, not when it is read.
            reference = reference or _reference_time(doc, zone, posting)
            published = _minus(reference, post.age_seconds)
        aged = post.age_seconds is not None
        written = post.day(day) if published is None and not post.minute and not aged else None
        if written is not None:  # the post writes its own date next to its time
            published = ticker.clock_time(post.clock, written, zone)
        elif published is None and post.minute:
            # A match minute is no clock time: the post was written by the time the page last
            # changed (its newest post, the one that notifies, about then).
            changed = changed or _page_changed(doc, zone)
            published = changed
        elif published is None and day is not None and not aged:
            published = ticker.clock_time(post.clock, day, zone)
            if published is not None and latest is not None and published > latest + _HOUR:
                published -= timedelta(days=1)  # posted before midnight, page dated after it
        ident = post.element_id and "#" + post.element_id
        own = "" if ident else permalinks.get(post.node.mem_id, "")
        if own:  # its "Copy link" / "Share" permalink: "#post-123", "…?post=123"
            raws.append(
                _Raw(own, "" if own.startswith("#") else own, "", "", published, None, post)
            )
            continue
        if not ident and post.minute:  # the minute tells alike posts apart ("Corner.")
            ident = text.stable_hash(post.minute, post.hashed_text())
        elif not ident:
            ident = text.stable_hash(keypoints.strip_leading_time(post.hashed_text()))
        raws.append(_Raw(ident, "", "", "", published, None, post=post))
    if ticker.written_oldest_first(posts):
        raws.reverse()  # posts dated alike (by the page) come newest first, as elsewhere
    return raws


_HOUR = timedelta(hours=1)


def _page_day(
    doc: html.Document, zone: tzinfo, posting: Mapping[str, Any] | None = None
) -> tuple[date | None, datetime | None]:
    """The page's date in its own zone, and when it was last modified (None when it does not
    say: its publication is when the ticker began, and its posts come after it that day).
    The page's meta dates, else those of its LiveBlogPosting (a posting without updates), else
    those of another JSON-LD object (a NewsArticle)."""
    for value in (doc.modified, doc.published):
        when = items.parse_date(value, zone)
        if when is not None:
            return when.astimezone(zone).date(), when if value is doc.modified else None
    for key in ("dateModified", "datePublished"):
        when = items.parse_date(_str(posting, key), zone) if posting is not None else None
        when = when or _jsonld_date(doc, key, zone)  # a NewsArticle's, in a page without one
        if when is not None:
            return when.astimezone(zone).date(), when if key == "dateModified" else None
    return None, None


def _share_links(doc: html.Document, page_url: str) -> dict[int, str]:
    """The permalinks of the page's posts as their share tools give them ("Copy link" to
    ``#post-123``, or to the page with ``?post=123``), read before the share tools go with the
    rest of the chrome: by the mem_id of each element up to a few levels around the link (a
    post's element finds its own), the first link inside it."""
    base = _canonical(doc, urls.safe_url(page_url) or page_url)
    page = urlsplit(base)
    where = (base, page.netloc.lower(), page.path.rstrip("/"), page.query)
    found: dict[int, str] = {}
    named = [a for a in html.SHARE_ATTRIBUTES if a in doc.data_attributes]  # a pass each
    for index, node in enumerate(doc.tree.css(", ".join(("a[href]", *(f"[{a}]" for a in named))))):
        if index >= 20_000:
            break
        own = _permalink(node, *where)
        parent = node.parent if own else None
        for _ in range(_SHARE_LEVELS):
            if parent is None:
                break
            found.setdefault(parent.mem_id, own)
            parent = parent.parent
    return found


_SHARE_LEVELS = 8


def _permalinks(posts: list[ticker.Post], links: dict[int, str]) -> dict[int, str]:
    """Each post's permalink from its share tools, by the mem_id of its element: only for
    posts without an element id, and only when no two posts share one (a "#comments" link
    in every post is no permalink)."""
    found: dict[int, str] = {}
    if not links:
        return found
    for post in posts[: MAX_LIVE_ITEMS * 2]:
        if post.element_id:
            continue
        for member in post.members[:3]:
            own = links.get(member.mem_id, "")
            if own:
                found[post.node.mem_id] = own
                break
    if len(set(found.values())) < len(found):
        return {}
    return found


def _permalink(node: LexborNode, base: str, host: str, path: str, query: str) -> str:
    """The address of a post a link or share tool gives: "#post-123" for a fragment, the
    URL for the page's own path with a query of its own; "" for anything else."""
    for name in ("href", *html.SHARE_ATTRIBUTES):
        value = html.attr(node, name).strip()
        if not value:
            continue
        if value.startswith("#"):
            return value if len(value) > 1 and value[1:] not in ("top", "comments") else ""
        if "?" not in value and "#" not in value:
            continue  # the page's own address with no query or fragment, or another page
        if value.startswith("javascript:") or (path and "//" in value and path not in value):
            continue
        target = urls.safe_url(value, base=base)
        if not target:
            continue
        parts = urlsplit(target)
        if parts.netloc.lower() != host or parts.path.rstrip("/") != path:
            continue
        if parts.query and parts.query != query:
            return target
        if parts.fragment and not parts.query:
            return "#" + parts.fragment
    return ""


def _reference_time(
    doc: html.Document, zone: tzinfo, posting: Mapping[str, Any] | None
) -> datetime | None:
    """The time a page's relative ages ("5 min ago") count back from: when the page says it
    last changed (its LiveBlogPosting's ``dateModified``, its meta ``article:modified_time`` /
    ``og:updated_time``, another JSON-LD object's ``dateModified``), else when it was
    published (the same places); None when it says neither."""
    for key, meta in (("dateModified", doc.modified), ("datePublished", doc.published)):
        for value in (_str(posting, key) if posting is not None else "", meta):
            found = items.parse_date(value, zone) if value else None
            if found is not None:
                return found
        found = _jsonld_date(doc, key, zone)
        if found is not None:
            return found
    return None


def _jsonld_date(doc: html.Document, key: str, zone: tzinfo) -> datetime | None:
    """The first ``key`` date of an object in the page's JSON-LD (a NewsArticle's
    ``dateModified``), None when none gives one."""
    for block in doc.jsonld[:20]:
        if key not in block or len(block) > 1_000_000:
            continue
        try:
            document = json.loads(block)
        except (ValueError, RecursionError):
            continue
        for node in _walk(document):
            value = node.get(key)
            found = items.parse_date(value, zone) if isinstance(value, str) else None
            if found is not None:
                return found
    return None


def _minus(reference: datetime | None, seconds: int) -> datetime | None:
    """``reference`` less an age, to the minute (None without a reference)."""
    if reference is None:
        return None
    when = reference - timedelta(seconds=seconds) + timedelta(seconds=30)
    return when.replace(second=0, microsecond=0)


def _page_changed(doc: html.Document, zone: tzinfo) -> datetime | None:
    """When the page says it last changed, else when it was published (None when neither)."""
    return items.parse_date(doc.modified, zone) or items.parse_date(doc.published, zone)


def _attach_posts(raws: list[_Raw], posts: list[ticker.Post], page_url: str) -> None:
    """Give each update without an element its post in the HTML (by id, else by text)."""
    if not posts or all(r.post is not None or r.node is not None for r in raws):
        return
    by_id = {p.element_id: p for p in posts if p.element_id}
    by_text: dict[str, ticker.Post] = {}
    for post in posts:
        by_text.setdefault(_key(post.text()), post)
        heading = post.heading()
        if heading:
            by_text.setdefault(_key(heading), post)
    for raw in raws:
        if raw.post is not None or raw.node is not None:
            continue
        for ref in (raw.ident, raw.url):
            fragment = ref.rsplit("#", 1)[1] if "#" in ref else ""
            if fragment and fragment in by_id:
                raw.post = by_id[fragment]
                break
        if raw.post is None:
            for candidate in (raw.body, raw.headline):
                key = _key(html.html_to_text(candidate)) if candidate else ""
                if key and key in by_text:
                    raw.post = by_text[key]
                    break


def _drop_page_urls(raws: list[_Raw], own: list[str], page_id: str) -> None:
    """Updates whose ``url`` (or ``@id``) is the page's own URL: that URL is no link to the
    update (the link becomes the page with the ``#id`` of the post's element), and where it is
    also the identity of the page entry or of another update it stops being an identity (the
    update takes the next one: its ``url``, else the content hash of updates without a URL).
    Identities that were unique stay as they were."""
    pages = {_page_key(u, own[0]) for u in own if u}
    pages.discard(None)
    if not pages:
        return
    counts: dict[str, int] = {page_id: 2}
    for raw in raws:
        first = raw.ident or raw.url
        if first:
            counts[first] = counts.get(first, 0) + 1
    for raw in raws:
        own_id = bool(raw.ident) and _page_key(raw.ident, own[0]) in pages
        own_url = bool(raw.url) and _page_key(raw.url, own[0]) in pages
        if not (own_id or own_url):
            continue
        raw.link_url = "" if own_url else raw.url
        if own_id:
            raw.link_ident = ""
        first = raw.ident or raw.url
        if counts.get(first, 0) > 1 and (own_id if raw.ident else own_url):
            second = raw.url if raw.ident and not own_url else ""
            raw.identity = second if second and counts.get(second, 0) == 0 else ""


def _page_key(value: str, base: str = "") -> tuple[str, str, str] | None:
    """Host, path and query of a URL without a fragment (None for a fragment or a bad URL)."""
    if "#" in value:
        return None
    resolved = urls.safe_url(value, base=base or None)
    if not resolved:
        return None
    parts = urlsplit(resolved)
    return (parts.netloc.lower(), parts.path.rstrip("/"), parts.query)


def _key(value: str) -> str:
    return " ".join(keypoints.strip_leading_time(value).casefold().split())[:60]


# --- items ------------------------------------------------------------------------------------


def _linkable(ident: str) -> bool:
    ident = ident.strip()
    return ident.startswith(("#", "/")) or urls.is_web_url(ident)


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _own_link(post: LexborNode, base: str) -> str:
    """The post's own page, when its HTML links to one: a ``rel=bookmark`` permalink, else a
    link that is the whole of its heading and lies under the page's path (same site); ""
    when none."""
    candidates: list[LexborNode] = []
    for index, anchor in enumerate(post.css("a[href]")):
        if index >= 20:
            break
        rel = html.attr(anchor, "rel").lower().split()
        if "bookmark" in rel:
            candidates.insert(0, anchor)
        elif (
            anchor.parent is not None
            and anchor.parent.tag in _HEADINGS
            and html.node_text(anchor) == html.node_text(anchor.parent)
        ):
            candidates.append(anchor)
    page = urlsplit(base)
    for anchor in candidates:
        href = html.attr(anchor, "href").strip()
        if not href or href.startswith("#"):
            continue
        target = urls.safe_url(href, base=base)
        if not target or not urls.same_origin(target, base):
            continue
        parts = urlsplit(target)
        if parts.path.rstrip("/") == page.path.rstrip("/"):
            continue  # the page itself
        bookmark = "bookmark" in html.attr(anchor, "rel").lower().split()
        if bookmark or parts.path.startswith(page.path.rstrip("/") + "/"):
            return target
    return ""


def _update_item(raw: _Raw, page_url: str, page_headline: str, page_base: str = "") -> Item:
    headline = html.html_to_text(raw.headline) if raw.headline else ""
    body_tree = html.fragment_body(raw.body) if raw.body and "<" in raw.body else None
    body = html.node_text(body_tree) if body_tree is not None else html.html_to_text(raw.body)
    element = raw.node if raw.node is not None else (raw.post.node if raw.post else None)
    heading = ""
    if raw.post is not None:
        heading = raw.post.heading()
    elif element is not None:
        heading = html.first_heading(element)
    if not heading and body_tree is not None:
        heading = html.first_heading(body_tree)
    post_text = ""
    if raw.post is not None:
        post_text = raw.post.text()
    elif element is not None:
        post_text = html.node_text(element, html.POINT_SKIP)
    if not body:
        body = post_text
        if heading and body.startswith(heading):
            body = body[len(heading) :].strip()
    lead = _lead(body_tree, body) if body_tree is not None else body
    title = items.make_title(headline, heading, lead, page_headline)
    ticker_sentence = raw.post is not None and not (raw.headline or raw.body or heading)
    if ticker_sentence and title.endswith(".") and not title.endswith(".."):
        title = title[:-1]  # an HTML ticker post's opening sentence is its headline
    ident = raw.ident or raw.url if raw.identity is None else raw.identity
    if not ident:  # the content hash of earlier versions: same inputs, same identity
        old_title = headline or text.truncate(text.first_sentence(body), items.TITLE_LIMIT)
        when = raw.stamp if raw.stamp is not None else raw.published or raw.updated
        ident = text.stable_hash(old_title, when.isoformat() if when else "", raw.body)
    element_id = raw.post.element_id if raw.post else (html.attr(element, "id") if element else "")
    link_url = raw.url if raw.link_url is None else raw.link_url
    link_ident = raw.ident if raw.link_ident is None else raw.link_ident
    if not link_url and element is not None and not _linkable(link_ident):
        link_url = _own_link(element, page_base or page_url)
    base = page_url
    if raw.link_url == "" and raw.url:  # the page's own URL, as the page states it
        base = urls.safe_url(raw.url, base=page_url) or page_url
    link = items.update_link(link_url, link_ident, element_id, base)
    points_node = element if element is not None else body_tree
    summary = body if body else post_text
    points = html.key_points(points_node, summary=summary, title=title, page_url=page_url)
    return Item(
        id=ident,
        title=title,
        url=link,
        published=raw.published,
        updated=raw.updated,
        summary=text.truncate(summary, items.SUMMARY_LIMIT),
        key_points=points,
    )


_BLOCKS = "p, li, h1, h2, h3, h4, h5, h6, blockquote, dt, dd, figcaption, pre, td, th"


def _lead(tree: LexborNode, full: str) -> str:
    """The text of the first block (paragraph, list item…) of a body whose text is ``full``: the
    end of an element is the end of a sentence, so a title never runs on into a list."""
    skipped = 0  # characters of the blocks passed over (times only)
    for index, block in enumerate(tree.css(_BLOCKS)):
        if index >= 50:
            break
        found = html.node_text(block)
        if not found:
            continue
        if not keypoints.strip_leading_time(found):  # a block holding only a time
            skipped += len(found) + 1
            continue
        start = full.find(found, 0, skipped + len(found) + 1)
        return found if 0 <= start <= skipped else full
    return full


def _page_headline(
    posting: Mapping[str, Any] | None, scope: LexborNode | None, doc: html.Document
) -> str:
    if posting is not None:
        found = html.html_to_text(_str(posting, "headline") or _str(posting, "name"))
        if found:
            return found
    if scope is not None:
        props = _props(scope)
        found = html.html_to_text(props.get("headline", "") or props.get("name", ""))
        if found:
            return found
    return doc.headline or doc.title


def _canonical(doc: html.Document, page_url: str) -> str:
    """The page's own address as it states it (``<link rel=canonical>``), else ``page_url``:
    the base for the links of its posts to their own pages."""
    found = urls.safe_url(doc.canonical, base=page_url) if doc.canonical else None
    return found or page_url


def _page_id(posting: Mapping[str, Any] | None, scope: LexborNode | None, page_url: str) -> str:
    """The page entry's identity: the posting's ``@id`` / ``itemid``, else the page URL."""
    if posting is not None:
        ident = _str(posting, "@id")
    else:
        ident = html.attr(scope, "itemid").strip() if scope is not None else ""
    return ident or page_url


def _page_item(
    posting: Mapping[str, Any] | None,
    scope: LexborNode | None,
    doc: html.Document,
    main: LexborNode | None,
    page_url: str,
    title: str,
    page_id: str,
    exclude: frozenset[int],
    zone: tzinfo,
) -> Item:
    props = _props(scope) if scope is not None and posting is None else {}
    source: Mapping[str, Any] = posting if posting is not None else props
    summary = html.html_to_text(_str(source, "description"))
    own_url = _str(source, "url")
    published = items.parse_date(
        source.get("datePublished") or source.get("coverageStartTime") or doc.published, zone
    )
    points = _bullet_points(main, exclude)
    if not points:
        points = html.key_points(
            main, page_url=page_url, exclude=exclude, wider=doc.body, text_fallback=False
        )
    if not points:
        # No list on the page: the posting's own summary, its "abstract" sentence by sentence
        # (the editors' what-to-know), else the first sentence of its description.
        abstract = html.html_to_text(_str(source, "abstract"))
        points = keypoints.sentence_points(abstract) or keypoints.fallback_points(summary, "")
    page = Item(
        id=page_id,
        title=title or page_url,
        url=(urls.safe_url(own_url, base=page_url) if own_url else None) or page_url,
        published=published,
        updated=items.parse_date(source.get("dateModified") or doc.modified, zone),
        summary=text.truncate(summary, items.SUMMARY_LIMIT),
        key_points=points,
        is_page=True,
    )
    return text.bounded_item(page)


_BULLETS = "•▪►■●◆"
_ANNOUNCING = "h2, h3, h4, h5, h6, strong, b, summary, figcaption, legend"


def _bullet_points(main: LexborNode | None, exclude: frozenset[int]) -> tuple[str, ...]:
    """Key points that are no ``ul``/``ol`` after an announcing heading ("Key points", "Das
    Wichtigste", "Riassunto", anywhere in the story, also at its end): lines that each open with
    "•" (paragraphs, or lines split by ``<br>``), a run of short paragraphs, one paragraph of
    ``<br>``-separated lines, or a box of short ``<div>`` items (a bullet icon, ``role=listitem``);
    () when the page has none."""
    if main is None:
        return ()
    for index, anchor in enumerate(main.css(_ANNOUNCING)):
        if index >= 200:
            break
        words = html.node_text(anchor)
        if not words or len(words) > keypoints.ANCHOR_MAX_CHARS or not keypoints.announces(words):
            continue
        box = _next_element(anchor)
        parent = anchor.parent
        alone = parent is not None and parent.mem_id != main.mem_id
        if box is None and parent is not None and alone and html.node_text(parent) == words:
            box = _next_element(parent)  # <p><strong>What we know</strong></p>
        if box is None or box.tag in ("ul", "ol") or _is_excluded(box, exclude, main):
            continue
        found = html.node_text(box, html.POINT_SKIP).lstrip()
        if not found:
            continue
        if found[0] in _BULLETS:
            lines = [line.strip() for line in re.split(f"[{_BULLETS}]", found[:20_000])]
        else:
            lines = _box_lines(box)
        points = keypoints.clean_points(line for line in lines if line)
        if len(points) >= 2:
            return points
    return ()


_ITEM_TAGS = frozenset(("p", "div", "span", "li"))
MAX_BOX_ITEMS = keypoints.RULE2_MAX_ITEMS


def _box_lines(box: LexborNode) -> list[str]:
    """The items of a key-points box that is no list, [] when ``box`` is not one: its
    ``<br>``-separated lines, else its own 2–10 short item elements (``<div>``s with a bullet
    icon, ``role=listitem``), else the run of 2–10 short paragraphs starting at it."""
    if box.tag in ("p", "div") and box.css_first("br") is not None:
        lines = _br_lines(box)
        if lines:
            return lines
    children = _elements(box)
    if (
        box.tag in ("div", "section")
        and keypoints.RULE2_MIN_ITEMS <= len(children) <= MAX_BOX_ITEMS
        and len({c.tag for c in children}) == 1
        and children[0].tag in _ITEM_TAGS
    ):
        return _short_texts(children)
    if box.tag != "p":
        return []
    run: list[LexborNode] = []
    node: LexborNode | None = box
    while node is not None and node.tag == "p" and len(run) <= MAX_BOX_ITEMS:
        run.append(node)
        node = _next_element(node)
    if not keypoints.RULE2_MIN_ITEMS <= len(run) <= MAX_BOX_ITEMS:
        return []
    return _short_texts(run)


def _elements(node: LexborNode) -> list[LexborNode]:
    """``node``'s child elements ([] when it also holds loose text)."""
    found: list[LexborNode] = []
    child = node.child
    while child is not None:
        tag = child.tag or ""
        if tag == "-text":
            if (child.text_content or "").strip():
                return []
        elif not tag.startswith("-"):
            found.append(child)
            if len(found) > MAX_BOX_ITEMS:
                return []
        child = child.next
    return found


def _short_texts(nodes: list[LexborNode]) -> list[str]:
    """The texts of ``nodes`` when every one is a short item ([] otherwise)."""
    texts = [html.node_text(n, html.POINT_SKIP) for n in nodes]
    if not keypoints.is_plain_point_list(texts):
        return []
    return texts


def _br_lines(box: LexborNode) -> list[str]:
    """The lines of an element split at its ``<br>`` children (2–10 short ones, else [])."""
    lines: list[str] = []
    current: list[str] = []
    child = box.child
    while child is not None:
        if child.tag == "br":
            lines.append(html.join_text(" ".join(current)))
            current = []
        elif child.tag == "-text":
            current.append(child.text_content or "")
        elif not (child.tag or "-").startswith("-") and child.tag not in html.POINT_SKIP:
            current.append(html.node_text(child, html.POINT_SKIP))
        child = child.next
        if len(lines) > MAX_BOX_ITEMS:
            return []
    lines.append(html.join_text(" ".join(current)))
    lines = [line.strip() for line in lines if line.strip()]
    return lines if keypoints.is_plain_point_list(lines) else []


def _next_element(node: LexborNode) -> LexborNode | None:
    """The element right after ``node`` (None when text or nothing comes first)."""
    following = node.next
    while following is not None and (following.tag or "-").startswith("-"):
        if following.tag == "-text" and (following.text_content or "").strip():
            return None
        following = following.next
    return following


def _is_excluded(node: LexborNode, exclude: frozenset[int], stop: LexborNode) -> bool:
    parent: LexborNode | None = node
    for _ in range(html.MAX_DEPTH):
        if parent is None or parent.mem_id == stop.mem_id:
            return False
        if parent.mem_id in exclude:
            return True
        parent = parent.parent
    return False
