"""Source icons for the window: the site's favicon, fetched once outside the GUI thread and
cached in the cache folder; a generated letter badge until then (and for good when a site has no
usable icon).

The tray app fetches icons in its poll process (``fetch``: a batch of source URLs in, the site
keys now cached out, run on the worker thread), so the GUI process never loads the HTTP stack;
``http`` (an in-process client, ``fetch_favicon`` per site on the worker) serves tests and tools.
Either way it reports back through ``Favicons.fetched``, a signal Qt queues to the GUI thread.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from shiboken6 import isValid

from widget.engine.icons import (
    FOLDER,
    MAX_ICON_BYTES,
    Fetcher,
    cache_paths,
    favicon_url,
    fetch_favicon,
    is_cached,
    site_key,
)

log = logging.getLogger(__name__)

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
FetchMany = Callable[[Sequence[str]], Sequence[str]]  # source URLs → site keys now cached


def badge_colour(name: str) -> QColor:
    """The same colour for a name in every run (a checksum picks it)."""
    checksum = zlib.crc32(name.casefold().encode("utf-8"))
    return QColor(BADGE_COLOURS[checksum % len(BADGE_COLOURS)])


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
        fetch: FetchMany | None = None,
        submit: Submit | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self._http = http
        self._fetch = fetch
        self._submit = submit
        self._urls: dict[str, str] = {}  # source id → source URL
        self._pixmaps: dict[tuple[str, int, float], QPixmap] = {}
        self._asked: set[str] = set()
        self._seen: set[str] = set()  # source URLs already looked at
        self.fetched.connect(self._on_fetched)

    def set_sources(self, urls: dict[str, str]) -> None:
        """Source id → URL; sites without a cached icon are fetched (once) on the worker.
        Badges drawn before a source's URL was known give way to icons already cached."""
        if urls != self._urls:
            self._pixmaps.clear()
        self._urls = dict(urls)
        # after every poll the same list comes again: only addresses not seen before are
        # looked at (a site key and a file check each, on the GUI thread)
        fresh = [url for url in self._urls.values() if url not in self._seen]
        self._seen.update(fresh)
        wanted = [url for url in fresh if self._wanted(url)]
        if not wanted or self._submit is None:
            return
        if self._fetch is not None:
            self._request_batch(self._fetch, wanted)
        elif self._http is not None:
            for url in wanted:
                self._request(self._http, url)

    def _wanted(self, url: str) -> bool:
        key = site_key(url)
        if key is None or key in self._asked or self.cache_dir is None:
            return False
        if is_cached(self.cache_dir, key) or (self._http is None and self._fetch is None):
            return False
        self._asked.add(key)
        return True

    def _request_batch(self, fetch: FetchMany, urls: list[str]) -> None:
        assert self._submit is not None

        def job() -> None:
            for key in fetch(urls):
                if not isValid(self):  # the window (and its icons) went while this ran
                    return
                self.fetched.emit(key)

        self._submit(f"fetching the icons of {len(urls)} sites", job)

    def _request(self, http: Fetcher, url: str) -> None:
        assert self._submit is not None and self.cache_dir is not None
        key, cache_dir = site_key(url), self.cache_dir

        def job() -> None:
            if fetch_favicon(http, url, cache_dir) is not None and isValid(self):
                self.fetched.emit(key)

        self._submit(f"fetching the icon of {key}", job)

    def _on_fetched(self, key: str) -> None:
        self._pixmaps.clear()

    def release(self) -> None:
        """Drop the drawn icons (the window is hidden); they are drawn again when painted."""
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


__all__ = [
    "BADGE_COLOURS",
    "FOLDER",
    "MAX_ICON_BYTES",
    "Favicons",
    "FetchMany",
    "Fetcher",
    "badge_colour",
    "cache_paths",
    "favicon_url",
    "fetch_favicon",
    "letter_badge",
    "site_key",
]
