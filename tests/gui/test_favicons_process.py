"""Site icons in the tray app come from a poll process: one batch per new set of sources, each
site asked once, and a fetched icon replaces the letter badge."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from tests.support.server import LoopbackServer
from widget.gui.poll_process import PollProcess
from widget.gui.window.favicons import Favicons, letter_badge
from widget.storage.config import ConfigStore
from widget.storage.db import Database


def _png(colour: str) -> bytes:
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # PySide6 refuses bytes here
    return bytes(data.data())


def test_icons_of_new_sources_come_from_one_child_and_replace_the_badges(
    qtbot: QtBot, server: LoopbackServer, tmp_path: Path
) -> None:
    server.route("/favicon.ico", _png("#00ff00"), content_type="image/png")
    db = Database.open(tmp_path / "entries.sqlite3")
    engine = PollProcess(ConfigStore(tmp_path / "config.json"), db)
    batches: list[list[str]] = []
    jobs: list[Callable[[], None]] = []

    def fetch(urls: object) -> list[str]:
        batches.append(list(urls))  # type: ignore[call-overload]
        return engine.fetch_icons(batches[-1], tmp_path / "cache")

    icons = Favicons(tmp_path / "cache", fetch=fetch, submit=lambda _what, job: jobs.append(job))
    try:
        badge = icons.pixmap("a", "Alpha", 16).toImage()
        assert badge == letter_badge("Alpha", 16).toImage()
        icons.set_sources({"a": server.url("/a.xml"), "b": server.url("/b.xml")})
        icons.set_sources({"a": server.url("/a.xml"), "b": server.url("/b.xml"), "c": "x:y"})
        assert len(jobs) == 1, "one batch; the site is not asked again"
        with qtbot.waitSignal(icons.fetched, timeout=20_000):
            jobs[0]()
        assert batches == [[server.url("/a.xml")]], "one request per site"
        image = icons.pixmap("a", "Alpha", 16).toImage()
        assert QColor(image.pixel(8, 8)).green() == 255
        assert len(server.requests_for("/favicon.ico")) == 1
    finally:
        db.close()


def test_a_badge_keeps_its_colour_for_the_same_name() -> None:
    first = letter_badge("Harbour Town", 16).toImage()
    assert letter_badge("harbour town", 16).toImage().pixel(2, 8) == first.pixel(2, 8)
    assert letter_badge("Harbour Town", 16).toImage() == first
