"""Site icons for the window, Qt-free: where a site's icon is cached and how it is fetched once
(``fetch_favicon``, run in the poll process or on a worker thread, never the GUI thread)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from widget.core.errors import FetchError

log = logging.getLogger(__name__)

MAX_ICON_BYTES = 256 * 1024
FOLDER = "favicons"


class Fetcher(Protocol):
    """``widget.sources.http.HttpClient`` as far as icons need it."""

    def fetch(self, url: str, *, cancel: threading.Event | None = None) -> _Response: ...


class _Response(Protocol):
    @property
    def body(self) -> bytes: ...


def site_key(source_url: str) -> str | None:
    """One icon per site: "host" or "host_port"; None for a URL with no http(s) host."""
    parts = urlsplit(source_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    return f"{host}_{port}" if port else host


def favicon_url(source_url: str) -> str | None:
    parts = urlsplit(source_url)
    if site_key(source_url) is None:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.rsplit('@', 1)[-1]}/favicon.ico"


def cache_paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    """(icon file, "no icon" marker) of a site."""
    folder = cache_dir / FOLDER
    return folder / f"{key}.img", folder / f"{key}.none"


def is_cached(cache_dir: Path, key: str) -> bool:
    """The site's icon, or the note that it has none, is in the cache."""
    icon, marker = cache_paths(cache_dir, key)
    return icon.exists() or marker.exists()


def fetch_favicon(http: Fetcher, source_url: str, cache_dir: Path) -> Path | None:
    """Fetch the site's /favicon.ico once and cache it. A failure is logged and remembered
    (a ``.none`` marker), so the site is not asked again; the window keeps its letter badge."""
    key = site_key(source_url)
    url = favicon_url(source_url)
    if key is None or url is None:
        return None
    icon, marker = cache_paths(cache_dir, key)
    if icon.exists() or marker.exists():
        return icon if icon.exists() else None
    icon.parent.mkdir(parents=True, exist_ok=True)
    try:
        response = http.fetch(url)
        body = response.body
        if not body or len(body) > MAX_ICON_BYTES:
            raise FetchError(f"the icon is empty or larger than {MAX_ICON_BYTES // 1024} KB")
    except FetchError as exc:
        log.info("no icon for %s (%s); using a letter badge", key, exc)
        marker.write_text(f"{exc}\n", encoding="utf-8")
        return None
    tmp = icon.with_suffix(".tmp")
    tmp.write_bytes(body)
    tmp.replace(icon)
    return icon


def fetch_favicons(http: Fetcher, source_urls: tuple[str, ...], cache_dir: Path) -> list[str]:
    """``fetch_favicon`` for each site once; the site keys whose icon is now cached."""
    fetched: list[str] = []
    seen: set[str] = set()
    for url in source_urls:
        key = site_key(url)
        if key is None or key in seen:
            continue
        seen.add(key)
        if fetch_favicon(http, url, cache_dir) is not None:
            fetched.append(key)
    return fetched


__all__ = [
    "FOLDER",
    "MAX_ICON_BYTES",
    "Fetcher",
    "cache_paths",
    "favicon_url",
    "fetch_favicon",
    "fetch_favicons",
    "is_cached",
    "site_key",
]
