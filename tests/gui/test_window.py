"""The key-points window as a user drives it: mouse, keyboard, context menu, footer, empty states,
live refresh, and favicons fetched over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QObject,
    QPoint,
    QRect,
    QSettings,
    QSize,
    Qt,
    QUrl,
    Slot,
)
from PySide6.QtGui import QColor, QDesktopServices, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.window_data import HARBOUR, NOW, SKY, SOURCES, VALLEY, fill, make_store
from tests.support.server import LoopbackServer, Response
from tests.support.store import add_items
from widget.core.models import Config, FetchState, Item, SourceStatus
from widget.gui.window.favicons import (
    Favicons,
    cache_paths,
    fetch_favicon,
    letter_badge,
    site_key,
)
from widget.gui.window.model import READ_ROLE
from widget.gui.window.parts import place_near
from widget.gui.window.rows import RowKind, Show
from widget.gui.window.state import fit_on_screen, fitted_size
from widget.gui.window.window import KeyPointsWindow, muted
from widget.sources.http import HttpClient
from widget.storage.db import Database


class UrlRecorder(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open_url(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened(qapp: QApplication) -> Iterator[UrlRecorder]:
    """http(s) URLs that the window hands to the desktop, caught instead of a browser."""
    recorder = UrlRecorder()
    for scheme in ("http", "https"):
        # PySide6 takes the slot's name as str here (bytes are refused at run time).
        QDesktopServices.setUrlHandler(scheme, recorder, "open_url")  # type: ignore[arg-type]
    yield recorder
    for scheme in ("http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    path = make_store(tmp_path)
    writer = Database.open(path)
    reader = Database.open(path, readonly=True)
    yield writer, reader
    reader.close()
    writer.close()


def clock() -> datetime:
    return NOW + timedelta(minutes=1)


def make_window(qtbot: QtBot, reader: Database | None, settings: QSettings) -> KeyPointsWindow:
    window = KeyPointsWindow(reader, settings=settings, clock=clock)
    qtbot.addWidget(window)
    window.show_and_raise()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isActiveWindow)  # keyboard shortcuts need the active window
    return window


def statuses(*failing: tuple[str, str]) -> list[SourceStatus]:
    reasons = dict(failing)
    return [
        SourceStatus(
            s,
            FetchState(s.id, error_count=1, last_error=reasons[s.id])
            if s.id in reasons
            else FetchState(s.id),
        )
        for s in SOURCES
    ]


def row_center(window: KeyPointsWindow, row: int) -> QPoint:
    return window.view.visualRect(window.model.index(row)).center()


def test_click_opens_the_entry_link_and_marks_it_read(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings, opened: UrlRecorder
) -> None:
    window = make_window(qtbot, store[1], settings)
    row = window.model.row_of((HARBOUR.id, "harbour-1"))
    with qtbot.waitSignal(window.mark_read_requested) as marked:
        qtbot.mouseClick(
            window.view.viewport(), Qt.MouseButton.LeftButton, pos=row_center(window, row)
        )
    assert opened.urls == ["https://example.test/harbour-1"]
    assert marked.args == [[(HARBOUR.id, "harbour-1")], True]
    assert window.model.index(row).data(READ_ROLE) is True


def test_keyboard_moves_opens_toggles_searches_and_hides(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings, opened: UrlRecorder
) -> None:
    window = make_window(qtbot, store[1], settings)
    window.view.setFocus()
    window.view.setCurrentIndex(window.model.index(0))
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.current_key() == (VALLEY.id, "valley-u3")
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert opened.urls == ["https://example.test/valley-u3"]
    with qtbot.waitSignal(window.mark_read_requested) as marked:
        qtbot.keyClick(window.view, Qt.Key.Key_Space)  # read → unread again
    assert marked.args == [[(VALLEY.id, "valley-u3")], False]

    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, "STORM")
    assert [window.model.index(r).data() for r in range(window.model.rowCount())] == [
        "Storm warning upgraded for the coast tonight"
    ]
    qtbot.keyClick(window.search, Qt.Key.Key_Down)  # into the list, first entry selected
    assert window.current_key() == (SKY.id, "sky-1")
    qtbot.keyClick(window.view, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_escape_in_the_search_box_clears_it_first(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, store[1], settings)
    window.focus_search()
    qtbot.keyClicks(window.search, "ferry")
    assert window.model.rowCount() == 1
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert window.search.text() == "" and window.isVisible()
    assert window.model.rowCount() == 9
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_entries_without_a_web_link_are_not_opened(
    qtbot: QtBot, tmp_path: Path, settings: QSettings, opened: UrlRecorder
) -> None:
    path = tmp_path / "links.sqlite3"
    with Database.open(path) as db:
        items = [
            Item("js", "Script link entry", "javascript:alert(1)", published=NOW),
            Item("none", "Entry without a link", None, published=NOW - timedelta(minutes=1)),
        ]
        add_items(db, HARBOUR, items, now=NOW)
    with Database.open(path, readonly=True) as reader:
        window = make_window(qtbot, reader, settings)
        for row in (0, 1):
            window.view.setCurrentIndex(window.model.index(row))
            qtbot.keyClick(window.view, Qt.Key.Key_Return)
            assert window.footer.status.text() == "This entry has no web link to open."
            menu = window.context_menu(window.model.index(row))
            assert menu is not None
            actions = {a.text(): a for a in menu.actions()}
            assert not actions["Open"].isEnabled() and not actions["Copy link"].isEnabled()
        assert opened.urls == []


def test_context_menu_actions(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings, opened: UrlRecorder
) -> None:
    window = make_window(qtbot, store[1], settings)
    index = window.model.index(window.model.row_of((SKY.id, "sky-1")))
    menu = window.context_menu(index)
    assert isinstance(menu, QMenu)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert list(actions) == [
        "Open",
        "Copy link",
        "Mark read",
        "Mute this source",
        "Source settings…",
    ]
    actions["Copy link"].trigger()
    assert QGuiApplication.clipboard().text() == "https://example.test/sky-1"
    with qtbot.waitSignal(window.mark_read_requested) as marked:
        actions["Mark read"].trigger()
    assert marked.args == [[(SKY.id, "sky-1")], True]
    with qtbot.waitSignal(window.mute_requested) as mute:
        actions["Mute this source"].trigger()
    assert mute.args == [SKY.id]
    with qtbot.waitSignal(window.source_settings_requested) as settings_signal:
        actions["Source settings…"].trigger()
    assert settings_signal.args == [SKY.id]
    actions["Open"].trigger()
    assert opened.urls == ["https://example.test/sky-1"]
    menu = window.context_menu(index)
    assert menu is not None
    assert "Mark unread" in [a.text() for a in menu.actions()]


def test_mute_turns_off_notifications_of_that_source_only() -> None:
    config = Config(sources=SOURCES)
    after = muted(config, SKY.id)
    assert [s.notify for s in after.sources] == [True, True, False]
    assert after.sources[2] == replace(SKY, notify=False)


def test_footer_shows_progress_failures_and_retries_them(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, store[1], settings)
    window.set_last_update(NOW - timedelta(minutes=3))
    assert window.footer.status.text() == "Last update: 4 min ago"
    window.set_progress(2, 12)
    assert window.footer.status.text() == "Updating 3 of 12…"
    window.set_polling(False)
    assert window.footer.status.text() == "Last update: 4 min ago"
    assert not window.footer.retry.isVisible()
    window.set_statuses(statuses((SKY.id, "the server answered 503 Service Unavailable")))
    assert window.footer.failing.text() == (
        "⚠ Sky & Weather Desk: the server answered 503 Service Unavailable"
    )
    assert window.footer.retry.isVisible()
    with qtbot.waitSignal(window.retry_requested) as retry:
        qtbot.mouseClick(window.footer.retry, Qt.MouseButton.LeftButton)
    assert retry.args == [(SKY.id,)]
    window.set_statuses(statuses())
    assert not window.footer.retry.isVisible()


def test_empty_states(
    qtbot: QtBot, tmp_path: Path, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, None, settings)
    window.set_statuses([])
    assert window.empty.isVisible() and window.empty.title.text() == "No sources yet"
    with qtbot.waitSignal(window.add_source_requested):
        qtbot.mouseClick(window.empty.add_button, Qt.MouseButton.LeftButton)
    window.set_statuses(statuses())
    assert window.empty.title.text() == "Nothing yet"
    assert not window.empty.add_button.isVisible()

    window.set_store(store[1])
    assert window.view.isVisible() and not window.empty.isVisible()
    window.show_box.setCurrentIndex(window.show_box.findData(Show.UNREAD.value))
    with qtbot.waitSignal(window.mark_all_read_requested):
        window.mark_all_read_action.trigger()
    store[0].mark_all_read()
    window.reload()
    assert window.empty.isVisible() and window.empty.title.text() == "All caught up"
    qtbot.mouseClick(window.empty.all_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 9
    qtbot.keyClicks(window.search, "zebra crossing")
    assert window.empty.title.text() == "No matches"
    assert "zebra crossing" in window.empty.detail.text()


def test_source_filter_lists_configured_sources(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, store[1], settings)
    window.set_statuses(statuses())
    names = [window.source_box.itemText(i) for i in range(window.source_box.count())]
    assert names == ["All sources", "Harbour Gazette", "Sky & Weather Desk", "Valley Courier"]
    window.source_box.setCurrentIndex(names.index("Sky & Weather Desk"))
    shown = [window.model.index(r).data() for r in range(window.model.rowCount())]
    assert shown == [
        "Storm warning upgraded for the coast tonight",
        "Clear skies return by Thursday",
    ]


def test_live_refresh_keeps_selection_and_scroll_position(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    writer, reader = store
    window = make_window(qtbot, reader, settings)
    window.resize(420, 300)
    qtbot.wait(10)
    assert window.select_key((SKY.id, "sky-2"))
    window.view.scrollTo(window.view.currentIndex())
    top_before = window.view.indexAt(QPoint(4, 0)).data()
    fresh = [
        Item(
            f"new-{n}",
            f"Breaking item {n}",
            f"https://example.test/n{n}",
            published=NOW + timedelta(seconds=n),
            key_points=("A new development",),
        )
        for n in range(4)
    ]
    add_items(writer, HARBOUR, fresh, now=NOW)
    window.reload()
    assert window.model.row_of((HARBOUR.id, "new-0")) >= 0
    assert window.current_key() == (SKY.id, "sky-2")
    assert window.view.indexAt(QPoint(4, 0)).data() == top_before


def test_entries_wholly_on_screen_count_as_seen(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, store[1], settings)
    window.resize(420, 320)
    qtbot.wait(10)
    with qtbot.waitSignal(window.mark_read_requested) as marked:
        window.mark_visible_seen()
    keys, read = marked.args
    assert read is True
    assert (VALLEY.id, "valley-page") in keys
    assert (HARBOUR.id, "harbour-3") not in keys  # far below the fold
    assert window.model.unread_count == 9 - len(keys)


def test_controls_have_accessible_names_and_a_sane_tab_order(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, store[1], settings)
    names = [
        w.accessibleName()
        for w in (
            window.search,
            window.source_box,
            window.show_box,
            window.menu_button,
            window.view,
            window.footer.retry,
        )
    ]
    assert names == [
        "Search key points",
        "Filter by source",
        "Show",
        "More actions",
        "Key points",
        "Retry failing sources",
    ]
    order: list[QWidget] = [window.search]
    widget = window.search.nextInFocusChain()
    while len(order) < 6 and widget is not None and widget is not window.search:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            order.append(widget)
        widget = widget.nextInFocusChain()
    assert order[1:] == [
        window.source_box,
        window.show_box,
        window.menu_button,
        window.view,
        window.footer.retry,
    ]
    spoken = window.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("Unread. Live page: Flooding in the river valley")
    assert "Key points: Two bridges closed" in spoken


def test_always_on_top_and_geometry_are_remembered(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    window = make_window(qtbot, store[1], settings)
    assert window.size() == QSize(420, 560)
    window.on_top_action.trigger()
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    window.resize(500, 600)
    window.hide()
    again = make_window(qtbot, store[1], settings)
    assert again.on_top_action.isChecked()
    assert again.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert again.size() == QSize(500, 600)


def test_first_shown_near_the_tray_icon() -> None:
    screen = QRect(0, 0, 1280, 800)
    size = QSize(420, 560)
    top_tray = QRect(1200, 0, 24, 24)
    assert place_near(top_tray, size, screen) == QPoint(1280 - 420 - 8, 24 + 8)
    bottom_tray = QRect(600, 776, 24, 24)
    assert place_near(bottom_tray, size, screen) == QPoint(612 - 210, 776 - 560 - 8)
    assert place_near(QRect(), size, screen) == QPoint(1280 - 420 - 8, 800 - 560 - 8)


def test_more_row_expands_a_long_live_page(
    qtbot: QtBot, tmp_path: Path, settings: QSettings
) -> None:
    path = tmp_path / "live.sqlite3"
    items = [Item("p", "Match day: live", "https://example.test/p", published=NOW, is_page=True)]
    items += [
        Item(
            f"u{n}",
            f"Minute {90 - n}",
            f"https://example.test/u{n}",
            published=NOW - timedelta(minutes=n),
        )
        for n in range(1, 8)
    ]
    with Database.open(path) as db:
        add_items(db, VALLEY, items, now=NOW)
    with Database.open(path, readonly=True) as reader:
        window = make_window(qtbot, reader, settings)
        more = window.model.rowCount() - 1
        assert window.model.row_at(more)[0] is RowKind.MORE
        qtbot.mouseClick(
            window.view.viewport(), Qt.MouseButton.LeftButton, pos=row_center(window, more)
        )
        assert window.model.rowCount() == 1 + 7 + 1


def _png(colour: str) -> bytes:
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # PySide6 refuses bytes here
    return bytes(data.data())


def test_favicon_is_fetched_once_and_cached(
    qtbot: QtBot, tmp_path: Path, server: LoopbackServer
) -> None:
    server.routes["/favicon.ico"] = Response(_png("#00ff00"), headers={"Content-Type": "image/png"})
    feed_url = server.url("/feed.xml")
    http = HttpClient()
    try:
        jobs: list[object] = []
        icons = Favicons(tmp_path, http=http, submit=lambda _what, job: jobs.append(job))
        badge = icons.pixmap("s1", "Green Site", 16).toImage()
        icons.set_sources({"s1": feed_url, "s2": feed_url})  # one site: one request
        assert len(jobs) == 1
        with qtbot.waitSignal(icons.fetched):
            jobs[0]()  # type: ignore[operator]
        image = icons.pixmap("s1", "Green Site", 16).toImage()
        assert image != badge and QColor(image.pixel(8, 8)).green() == 255
        icons.set_sources({"s1": feed_url})
        assert len(jobs) == 1
        assert fetch_favicon(http, feed_url, tmp_path) is not None
        assert [r.path for r in server.requests] == ["/favicon.ico"]
    finally:
        http.close()


def test_missing_favicon_keeps_the_letter_badge_and_is_not_asked_again(
    qtbot: QtBot, tmp_path: Path, server: LoopbackServer
) -> None:
    feed_url = server.url("/feed.xml")  # no /favicon.ico route: 404
    http = HttpClient()
    try:
        assert fetch_favicon(http, feed_url, tmp_path) is None
        key = site_key(feed_url)
        assert key is not None and cache_paths(tmp_path, key)[1].exists()
        assert fetch_favicon(http, feed_url, tmp_path) is None
        assert len(server.requests) == 1
    finally:
        http.close()
    icons = Favicons(tmp_path)
    icons.set_sources({"s1": feed_url})
    assert (
        icons.pixmap("s1", "Quiet Site", 16).toImage() == letter_badge("Quiet Site", 16).toImage()
    )


def test_the_apps_window_writes_through_the_worker_and_the_config(
    qtbot: QtBot, tmp_path: Path, settings: QSettings
) -> None:
    """As the tray app wires it: read marks and "Mark all read" reach the store on the worker,
    "Mute this source" turns the source's notifications off in the config file."""
    from tests.gui.rig import Rig
    from widget.gui.app_window import build_window as _build_window
    from widget.gui.poll_process import PollProcess
    from widget.gui.poller import Poller
    from widget.gui.tray import Tray
    from widget.paths import AppPaths

    rig = Rig(tmp_path)
    rig.set_sources(*(replace(s, enabled=False) for s in SOURCES))  # no polling: no network
    fill(rig.db, now=datetime.now().astimezone())
    ctl = Poller(rig.engine, rig.db, watch_network=False)
    cleanups: list[Callable[[], None]] = []
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "cache", tmp_path / "log")
    window = _build_window(
        paths, rig.db, PollProcess(rig.config, rig.db), ctl, Tray(), cleanups, rig.config
    )
    qtbot.addWidget(window)
    unread: list[object] = []
    ctl.unread_changed.connect(unread.append)
    try:
        ctl.start()
        window.show()  # a hidden window reads the store when it is shown
        qtbot.waitUntil(lambda: window.model.row_of((HARBOUR.id, "harbour-1")) >= 0)
        window.set_read([(HARBOUR.id, "harbour-1")], True)
        qtbot.waitUntil(lambda: unread[-1:] == [8], timeout=20_000)
        entry = rig.db.get_entry(HARBOUR.id, "harbour-1")
        assert entry is not None and entry.read
        window.mark_all_read_action.trigger()
        qtbot.waitUntil(lambda: unread[-1:] == [0], timeout=20_000)
        with qtbot.waitSignal(window.model.modelReset, timeout=20_000):
            window.schedule_reload()
        assert window.model.unread_count == 0
        menu = window.context_menu(window.model.index(window.model.row_of((SKY.id, "sky-1"))))
        assert menu is not None
        next(a for a in menu.actions() if a.text() == "Mute this source").trigger()
        assert [s.notify for s in rig.config.load().sources] == [True, True, False]
        assert window.footer.status.text().startswith("Source muted")
    finally:
        assert ctl.shutdown()
        for cleanup in reversed(cleanups):
            cleanup()
        rig.close()


def _news(count: int, *, prefix: str = "new", start: int = 0) -> list[Item]:
    return [
        Item(
            f"{prefix}-{n}",
            f"Breaking item {prefix} {n}",
            f"https://example.test/{prefix}{n}",
            published=NOW + timedelta(seconds=n),
            key_points=("A new development",),
        )
        for n in range(start, start + count)
    ]


def _store(writer: Database, items: list[Item]) -> None:
    add_items(writer, HARBOUR, items, now=NOW)


def test_live_refresh_at_the_top_shows_the_new_entries(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    """Someone looking at the top of the list sees new developments arrive there."""
    writer, reader = store
    window = make_window(qtbot, reader, settings)
    window.resize(420, 300)
    qtbot.wait(10)
    assert window.view.verticalScrollBar().value() == 0
    _store(writer, _news(3))
    window.reload()
    qtbot.wait(10)
    assert window.view.verticalScrollBar().value() == 0
    assert window.view.indexAt(QPoint(4, 2)).data() == "Breaking item new 2"


def test_live_refresh_deep_in_a_long_list_keeps_the_row_on_top(
    qtbot: QtBot, store: tuple[Database, Database], settings: QSettings
) -> None:
    writer, reader = store
    _store(writer, _news(60, prefix="old"))
    window = make_window(qtbot, reader, settings)
    window.resize(420, 400)
    qtbot.wait(10)
    window.reload()
    bar = window.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 2000)
    bar.setValue(bar.maximum() // 2)
    top_before = window.view.indexAt(QPoint(4, 2)).data()
    _store(writer, _news(30, start=100))
    window.reload()
    qtbot.wait(10)
    assert window.view.indexAt(QPoint(4, 2)).data() == top_before


def test_a_cached_favicon_replaces_the_badge_once_the_sources_are_known(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The next start: rows painted before the source list arrived show the cached icon after."""
    url = "https://green.example/feed.xml"
    key = site_key(url)
    assert key is not None
    icon, _ = cache_paths(tmp_path, key)
    icon.parent.mkdir(parents=True)
    icon.write_bytes(_png("#00ff00"))
    icons = Favicons(tmp_path)
    early = icons.pixmap("s1", "Green Site", 16).toImage()
    assert early == letter_badge("Green Site", 16).toImage()
    icons.set_sources({"s1": url})
    image = icons.pixmap("s1", "Green Site", 16).toImage()
    assert QColor(image.pixel(8, 8)).green() == 255


def test_a_small_or_high_dpi_screen_gets_a_window_that_fits_on_it() -> None:
    """At twice the scale a 1280×800 screen is 640×400 points: the window fits inside."""
    small = QRect(0, 0, 640, 400)
    assert fitted_size((420, 560), small) == (420, 400 - 16)
    assert fitted_size((420, 560), QRect(0, 0, 1280, 800)) == (420, 560)


def test_a_remembered_window_larger_than_its_screen_is_brought_back_onto_it(
    qtbot: QtBot, settings: QSettings
) -> None:
    window = make_window(qtbot, None, settings)
    screen = window.screen()
    assert screen is not None
    area = screen.availableGeometry()
    window.resize(area.width() + 300, area.height() + 300)
    window.move(area.right() - 50, area.bottom() - 50)
    fit_on_screen(window, area)
    assert area.contains(window.frameGeometry())


def _page_row_image(window: KeyPointsWindow) -> QImage:
    row = window.model.row_of((VALLEY.id, "valley-page"))
    assert row >= 0
    rect = window.view.visualRect(window.model.index(row))
    return window.view.viewport().grab(rect).toImage()


def test_new_what_to_know_points_stay_marked_after_a_restart(
    qtbot: QtBot, store: tuple[Database, Database], tmp_path: Path
) -> None:
    ini = str(tmp_path / "window.ini")
    first = make_window(qtbot, store[1], QSettings(ini, QSettings.Format.IniFormat))
    plain = _page_row_image(first)
    first.mark_new_points(VALLEY.id, ["Two bridges closed after the river rose overnight"])
    qtbot.waitUntil(lambda: _page_row_image(first) != plain)  # the point's bullet is now ★
    marked = _page_row_image(first)
    first.close()

    # the app starts again: a new window over the same saved window state
    again = make_window(qtbot, store[1], QSettings(ini, QSettings.Format.IniFormat))
    assert _page_row_image(again) == marked
    # a window with no saved state shows the same row unmarked
    fresh = make_window(
        qtbot, store[1], QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)
    )
    assert _page_row_image(fresh) == plain


def test_saved_new_points_that_are_not_json_are_ignored(
    qtbot: QtBot, store: tuple[Database, Database], tmp_path: Path
) -> None:
    ini = tmp_path / "window.ini"
    ini.write_text("[window]\nnew_points=not json at all\n", encoding="utf-8")
    window = make_window(qtbot, store[1], QSettings(str(ini), QSettings.Format.IniFormat))
    assert window.model.row_of((VALLEY.id, "valley-page")) >= 0  # the window works as ever
    window.mark_new_points(VALLEY.id, ["Evacuation centre open at the sports hall on Mill Road"])
    window.memory.settings.sync()
    assert "Evacuation centre" in ini.read_text(encoding="utf-8")
