"""OPML 1.0/2.0 import and export of sources. Pure: bytes in, a changed Config out, and back.

Import keeps nested outlines as a folder path ("News/World"), requires ``xmlUrl`` on every feed
outline, skips (and counts) URLs that are already sources or repeat within the file, and refuses
malformed documents as a whole — the config is only changed by the caller, with the result.
Documents with a DOCTYPE or entity declarations are refused before parsing (no entity
expansion, no external resources). Export writes title, xmlUrl and htmlUrl; never credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.parsers import expat

from widget import APP_NAME
from widget.core.errors import LiveUpdatesError
from widget.core.models import Config, Source, SourceKind
from widget.core.urls import url_problem
from widget.storage.config import new_source_id, unique_name

MAX_OPML_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32
FOLDER_SEPARATOR = "/"
_DANGEROUS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class OpmlError(LiveUpdatesError):
    """The file is not OPML we can read; nothing was imported."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline as found in the file."""

    title: str
    xml_url: str
    html_url: str | None = None
    folder: str | None = None
    kind: SourceKind = SourceKind.FEED


@dataclass(frozen=True)
class OpmlDocument:
    title: str
    feeds: tuple[OpmlFeed, ...]
    problems: tuple[str, ...] = ()  # outlines left out, each with the reason


@dataclass(frozen=True)
class ImportResult:
    config: Config  # the config with the new sources appended
    added: tuple[Source, ...]
    duplicates: int  # already a source, or repeated in the file
    problems: tuple[str, ...] = ()

    def summary(self) -> str:
        parts = [f"{len(self.added)} source{'s' if len(self.added) != 1 else ''} added"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already present (skipped)")
        if self.problems:
            parts.append(f"{len(self.problems)} outline(s) left out")
        return ", ".join(parts)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node] = field(default_factory=list)


def parse_opml(data: bytes) -> OpmlDocument:
    """Read an OPML document. Raises OpmlError with a sentence saying what is wrong."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"the OPML file is larger than {MAX_OPML_BYTES // (1024 * 1024)} MB")
    if _DANGEROUS.search(data) or _DANGEROUS.search(_as_ascii(data)):
        raise OpmlError(
            "the OPML file declares a DOCTYPE or entities, which are not accepted "
            "(OPML never needs them)"
        )
    root = _parse_xml(data)
    if root.tag.casefold() != "opml":
        raise OpmlError(f"this is not an OPML file (its root element is <{root.tag}>)")
    head = _child(root, "head")
    body = _child(root, "body")
    if body is None:
        raise OpmlError("the OPML file has no <body> element")
    title = ""
    if head is not None:
        title_node = _child(head, "title")
        title = title_node.attrs.get("#text", "").strip() if title_node is not None else ""
    feeds: list[OpmlFeed] = []
    problems: list[str] = []
    _walk(body.children, (), feeds, problems)
    return OpmlDocument(title=title, feeds=tuple(feeds), problems=tuple(problems))


def import_feeds(
    config: Config,
    document: OpmlDocument,
    *,
    new_id: Callable[[], str] = new_source_id,
) -> ImportResult:
    """``config`` with the document's feeds appended (duplicates skipped and counted)."""
    known = {url_key(s.url) for s in config.sources}
    added: list[Source] = []
    duplicates = 0
    current = config
    for feed in document.feeds:
        key = url_key(feed.xml_url)
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        source = Source(
            id=new_id(),
            name=unique_name(current, feed.title or feed.xml_url),
            url=feed.xml_url.strip(),
            kind=feed.kind,
            folder=feed.folder,
            html_url=feed.html_url,
        )
        added.append(source)
        current = Config(settings=current.settings, sources=(*current.sources, source))
    return ImportResult(current, tuple(added), duplicates, document.problems)


def export_opml(
    config: Config,
    *,
    title: str = f"{APP_NAME} sources",
    html_urls: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> bytes:
    """OPML 2.0 of every source, folders as nested outlines. ``html_urls``: source id → the
    site's address, when known. Credentials (user names, header names, secrets) never go in."""
    # email.utils brings the email package, calendar and socket: only an export needs it.
    from email.utils import format_datetime

    when = now or datetime.now(timezone.utc)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(title)}</title>",
        f"    <dateCreated>{format_datetime(when)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    tree: dict[str, object] = {}
    for source in config.sources:
        node = tree
        for part in _folder_parts(source.folder):
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[f"\0{source.id}"] = source
    _emit(tree, lines, 2, html_urls or {})
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def url_key(url: str) -> str:
    """URLs that differ only in case or a trailing slash are the same source."""
    return url.strip().rstrip("/").casefold()


# --- parsing ---
def _as_ascii(data: bytes) -> bytes:
    """UTF-16/32 documents hide markup from a byte search; look at their ASCII letters too."""
    return data.replace(b"\x00", b"")


def _parse_xml(data: bytes) -> _Node:
    parser = expat.ParserCreate()
    stack: list[_Node] = []
    roots: list[_Node] = []

    def refuse(*_args: object) -> int:
        raise OpmlError("the OPML file declares a DOCTYPE or entities, which are not accepted")

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH * 2:
            raise OpmlError(f"the OPML file nests outlines deeper than {MAX_DEPTH} levels")
        node = _Node(tag, dict(attrs))
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def text(chars: str) -> None:
        if stack:
            node = stack[-1]
            node.attrs["#text"] = node.attrs.get("#text", "") + chars

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, str(exc))
        raise OpmlError(
            f"the OPML file is not well-formed XML (line {exc.lineno}, column "
            f"{exc.offset + 1}: {reason}); nothing was imported"
        ) from exc
    if not roots:
        raise OpmlError("the OPML file is empty")
    return roots[0]


def _child(node: _Node, tag: str) -> _Node | None:
    return next((c for c in node.children if c.tag.casefold() == tag), None)


def _walk(
    nodes: list[_Node], folder: tuple[str, ...], feeds: list[OpmlFeed], problems: list[str]
) -> None:
    for node in nodes:
        if node.tag.casefold() != "outline":
            continue
        attrs = {k.casefold(): v for k, v in node.attrs.items()}
        label = (attrs.get("title") or attrs.get("text") or "").strip()
        xml_url = (attrs.get("xmlurl") or "").strip()
        if xml_url:
            problem = url_problem(xml_url)
            if problem:
                problems.append(f"{label or xml_url}: the xmlUrl {problem}")
            else:
                html = (attrs.get("htmlurl") or "").strip()
                feeds.append(
                    OpmlFeed(
                        title=label,
                        xml_url=xml_url,
                        html_url=html if html and url_problem(html) is None else None,
                        folder=FOLDER_SEPARATOR.join(folder) or None,
                        kind=_kind(attrs.get("type", ""), xml_url),
                    )
                )
        elif not any(c.tag.casefold() == "outline" for c in node.children):
            problems.append(f"{label or 'an outline'}: no xmlUrl, so it is not a feed")
        if node.children:
            name = label.replace(FOLDER_SEPARATOR, "-") if label else "Untitled folder"
            inner = folder if xml_url else (*folder, name)
            _walk(node.children, inner, feeds, problems)


def _kind(type_attr: str, url: str) -> SourceKind:
    kind = type_attr.strip().casefold()
    if kind == SourceKind.LIVE_PAGE.value:
        return SourceKind.LIVE_PAGE
    if kind in ("json", SourceKind.JSON_FEED.value) or url.casefold().endswith(".json"):
        return SourceKind.JSON_FEED
    return SourceKind.FEED


# --- export ---
def _folder_parts(folder: str | None) -> list[str]:
    return [p.strip() for p in (folder or "").split(FOLDER_SEPARATOR) if p.strip()]


def _emit(tree: dict[str, object], lines: list[str], depth: int, html: Mapping[str, str]) -> None:
    pad = "  " * depth
    for key, value in tree.items():
        if isinstance(value, Source):
            attrs = [
                f"text={quoteattr(value.name)}",
                f"title={quoteattr(value.name)}",
                f"type={quoteattr(_type_of(value.kind))}",
                f"xmlUrl={quoteattr(value.url)}",
            ]
            page = html.get(value.id) or value.html_url
            page = page or (value.url if value.kind is SourceKind.LIVE_PAGE else None)
            if page:
                attrs.append(f"htmlUrl={quoteattr(page)}")
            lines.append(f"{pad}<outline {' '.join(attrs)}/>")
        else:
            assert isinstance(value, dict)
            lines.append(f"{pad}<outline text={quoteattr(key)} title={quoteattr(key)}>")
            _emit(value, lines, depth + 1, html)
            lines.append(f"{pad}</outline>")


def _type_of(kind: SourceKind) -> str:
    return {SourceKind.FEED: "rss", SourceKind.JSON_FEED: "json"}.get(kind, kind.value)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(value: str) -> str:
    """``value`` escaped and quoted as an XML attribute, exactly as ``xml.sax.saxutils.quoteattr``
    does it (which imports urllib.request, http.client, ssl and hashlib with it: several MB
    resident in the tray app once its settings have been opened)."""
    data = _text(value).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"{}"'.format(data.replace('"', "&quot;"))
