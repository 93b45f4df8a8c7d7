"""What a URL holds, for adding a source: fetch once, detect the kind, follow autodiscovery."""

from __future__ import annotations

from dataclasses import dataclass

from widget.core.errors import SourceError
from widget.core.models import Item, ParsedSource, SourceKind
from widget.core.urls import same_origin
from widget.sources import discover
from widget.sources.http import Credentials, HttpClient


@dataclass(frozen=True)
class Probe:
    """What a URL turned out to be, for ``sources add`` and the settings dialog's preview."""

    url: str  # the URL to store (the feed's URL after autodiscovery; redirects followed)
    kind: SourceKind
    title: str
    items: tuple[Item, ...]


def probe_url(http: HttpClient, url: str, credentials: Credentials | None = None) -> Probe:
    """Fetch ``url`` and say what it is. A page that is neither feed nor live page leads to the
    first of its ``<link rel="alternate">`` feeds that can be read. Raises SourceError."""
    response = http.fetch(url, credentials=credentials)
    found = discover.detect(response.body, response.headers, response.url)
    if isinstance(found, ParsedSource):
        return _probe_of(response.url, found)
    if not found.urls:
        raise SourceError(f"{url} holds no feed or live page, and links to no feed")
    problems: list[str] = []
    for feed_url in found.urls:
        try:
            feed_response = http.fetch(
                feed_url, credentials=_same_origin(credentials, url, feed_url)
            )
            parsed = discover.detect(feed_response.body, feed_response.headers, feed_response.url)
        except SourceError as exc:
            problems.append(f"{feed_url}: {exc}")
            continue
        if isinstance(parsed, ParsedSource):
            return _probe_of(feed_response.url, parsed, fallback_title=found.page_title)
        problems.append(f"{feed_url}: not a feed")
    raise SourceError(
        f"{url} links to feeds, but none of them could be read ({'; '.join(problems)})"
    )


def _probe_of(url: str, parsed: ParsedSource, fallback_title: str = "") -> Probe:
    title = parsed.title.strip() or fallback_title.strip() or url
    return Probe(url=url, kind=parsed.kind, title=title, items=parsed.items)


def _same_origin(
    credentials: Credentials | None, page_url: str, feed_url: str
) -> Credentials | None:
    """Credentials go only to the origin they were given for."""
    if credentials is None or not same_origin(page_url, feed_url):
        return None
    return credentials
