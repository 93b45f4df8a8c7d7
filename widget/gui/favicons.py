"""Source icons for the window: the site's favicon, fetched once through the engine's HTTP layer
on the worker side and cached in the cache folder; a generated letter badge until then (and for
good when a site has no usable icon).

The fetch itself (``fetch_favicon``) runs on the worker thread and touches no Qt object; it reports
back through ``Favicons.fetched``, a signal that Qt queues to the GUI thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap

from widget.core.errors import FetchError
from widget.gui.signals import emit

log = logging.getLogger(__name__)

MAX_ICON_BYTES = 256 * 1024
FOLDER = "favicons"
# Badge colours: mid-tone, readable with white letters on light and dark backgrounds.
BADGE_COLOURS = (
    "#1f77b4",
    "#d35400",
    "#2e8b57",
    "#8e44ad",
    "#c0392b",
    "#16a085",
    "#7f6000",
    "#2c3e80",
)

Submit = Callable[[str, Callable[[], None]], None]  # (what, action) → run on the worker


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


def fetch_favicon(http: Fetcher, source_url: str, cache_dir: Path) -> Path | None:
    """Worker side: fetch the site's /favicon.ico once and cache it. A failure is logged and
    remembered (a ``.none`` marker), so the site is not asked again; the badge stays."""
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


def badge_colour(name: str) -> QColor:
    digest = hashlib.sha1(name.casefold().encode("utf-8")).digest()
    return QColor(BADGE_COLOURS[digest[0] % len(BADGE_COLOURS)])


def letter_badge(name: str, size: int, dpr: float = 1.0) -> QPixmap:
    """A rounded square with the name's first letter, crisp at the screen's pixel ratio."""
    pixmap = QPixmap(max(1, round(size * dpr)), max(1, round(size * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    letter = next((c for c in name if c.isalnum()), "?").upper()
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(badge_colour(name))
    rect = QRectF(0, 0, size, size)
    painter.drawRoundedRect(rect, size * 0.25, size * 0.25)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, round(size * 0.62)))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, letter)
    painter.end()
    return pixmap


class Favicons(QObject):
    """GUI side: pixmaps by source, requests to the worker for sites not yet fetched."""

    fetched = Signal(object)  # str site key; emitted from the worker, delivered on the GUI thread

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        http: Fetcher | None = None,
        submit: Submit | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self._http = http
        self._submit = submit
        self._urls: dict[str, str] = {}  # source id → source URL
        self._pixmaps: dict[tuple[str, int, float], QPixmap] = {}
        self._asked: set[str] = set()
        self.fetched.connect(self._on_fetched)

    def set_sources(self, urls: dict[str, str]) -> None:
        """Source id → URL; sites without a cached icon are fetched (once) on the worker.
        Badges drawn before a source's URL was known give way to icons already cached."""
        if urls != self._urls:
            self._pixmaps.clear()
        self._urls = dict(urls)
        for url in self._urls.values():
            self._request(url)

    def _request(self, url: str) -> None:
        key = site_key(url)
        if key is None or key in self._asked or self.cache_dir is None:
            return
        icon, marker = cache_paths(self.cache_dir, key)
        if icon.exists() or marker.exists() or self._http is None or self._submit is None:
            return
        self._asked.add(key)
        http, cache_dir = self._http, self.cache_dir

        def job() -> None:
            if fetch_favicon(http, url, cache_dir) is not None:
                emit(self.fetched, key)

        self._submit(f"fetching the icon of {key}", job)

    def _on_fetched(self, key: str) -> None:
        self._pixmaps.clear()

    def pixmap(self, source_id: str, name: str, size: int, dpr: float = 1.0) -> QPixmap:
        cache_key = (source_id, size, dpr)
        found = self._pixmaps.get(cache_key)
        if found is None:
            found = self._load(source_id, size, dpr) or letter_badge(name, size, dpr)
            self._pixmaps[cache_key] = found
        return found

    def _load(self, source_id: str, size: int, dpr: float) -> QPixmap | None:
        url = self._urls.get(source_id)
        key = None if url is None else site_key(url)
        if key is None or self.cache_dir is None:
            return None
        icon, _ = cache_paths(self.cache_dir, key)
        if not icon.exists():
            return None
        image = QPixmap()
        if not image.load(str(icon)) or image.isNull():
            log.info("the cached icon of %s is not an image; using a letter badge", key)
            return None
        side = max(1, round(size * dpr))
        scaled = image.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scaled.setDevicePixelRatio(dpr)
        return scaled
