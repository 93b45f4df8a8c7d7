"""Text lines of the key-points rows: wrapping, the ellipsis on the last line, right-to-left."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QApplication

from tests.support.menus import find_action
from widget.gui.window.delegate import header_text
from widget.gui.window.row_text import ELLIPSIS, LineCache, draw_lines, is_rtl, wrap_lines
from widget.gui.window.window import KeyPointsWindow

LONG = (
    "Harbour board approves a plan to rebuild the old fish market, the boathouse, the quay "
    "wall and the customs house over eleven years, with a footbridge and a cycle path"
)


def test_short_text_is_one_line_unchanged(qapp: QApplication) -> None:
    assert wrap_lines(QFont(), 400, "Ferry timetable changes", 3) == ("Ferry timetable changes",)
    assert wrap_lines(QFont(), 400, "  ", 3) == ()


def test_long_text_wraps_at_words_and_the_last_shown_line_ends_in_an_ellipsis(
    qapp: QApplication,
) -> None:
    font = QFont()
    fm = QFontMetrics(font)
    lines = wrap_lines(font, 200, LONG, 3)
    assert len(lines) == 3
    assert lines[-1].endswith(ELLIPSIS)
    assert all(fm.horizontalAdvance(line) <= 200 for line in lines)
    assert lines[0] == LONG[: len(lines[0])]  # broken at a word, nothing lost before it
    assert LONG.split()[len(lines[0].split())] == lines[1].split()[0]
    everything = wrap_lines(font, 200, LONG, 50)
    assert " ".join(everything) == LONG  # with room enough, every word is there
    assert not everything[-1].endswith(ELLIPSIS)


def test_emoji_and_newlines_do_not_break_the_lines(qapp: QApplication) -> None:
    text = "Lifeboat crew 🚣 rescues\ntwo kayakers 🎉 " * 6
    lines = wrap_lines(QFont(), 150, text, 20)
    assert " ".join(lines) == " ".join(text.split())


def test_right_to_left_text_is_recognised() -> None:
    assert is_rtl("مهرجان الميناء يبدأ غدا 🎉")
    assert is_rtl("«שלום» עולם")
    assert not is_rtl("Fireworks 🎆 at 22:00")
    assert not is_rtl("2026: مهرجان"[:5])  # digits and punctuation only: left to right
    assert is_rtl("2026: مهرجان")  # the first letter decides, after digits and punctuation
    assert is_rtl("“«12»” שלום")
    assert not is_rtl("Été à Paris")  # accented Latin
    assert not is_rtl("«Ωμέγα» 3")  # Greek


def test_line_cache_gives_the_same_lines(qapp: QApplication) -> None:
    cache = LineCache(size=2)
    font = QFont()
    first = cache.lines(font, 200, LONG, 3)
    assert cache.lines(font, 200, LONG, 3) is first
    assert cache.lines(font, 300, LONG, 3) != first
    cache.lines(font, 120, LONG, 3)  # over the size: starts afresh, still right
    assert cache.lines(font, 200, LONG, 3) == first


def _ink(text: str, rtl: bool) -> tuple[int, int]:
    """Leftmost and rightmost painted column of one short line drawn 400 px wide."""
    image = QImage(400, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(QColor("black"))
    draw_lines(painter, QFont(), QRect(0, 0, 400, 0), (text,), rtl)
    painter.end()
    xs = [x for x in range(400) for y in range(30) if QColor(image.pixel(x, y)).lightness() < 128]
    return min(xs), max(xs)


def test_right_to_left_lines_are_painted_on_the_right(qapp: QApplication) -> None:
    left, right = _ink("عروض موسيقية على الرصيف", rtl=True)
    assert left > 200 and right > 380
    left, right = _ink("Music on the quay", rtl=False)
    assert left < 20 and right < 200


def test_a_long_source_name_gives_way_to_the_rows_time(qapp: QApplication) -> None:
    fm = QFontMetrics(QFont())
    name = "The Harbour Gazette and Coastal Weekly Live Coverage Desk"
    width = fm.horizontalAdvance("The Harbour Gazette  ·  3 min ago")
    text = header_text(fm, name, "3 min ago", width)
    assert text.endswith("  ·  3 min ago"), text
    assert fm.horizontalAdvance(text) <= width
    assert header_text(fm, "Desk", "3 min ago", 400) == "Desk  ·  3 min ago"


def test_the_window_title_says_the_unread_count_and_not_the_app_name_twice(
    qapp: QApplication,
) -> None:
    window = KeyPointsWindow(None)
    try:
        assert window.windowTitle() == "Key points"
        window.set_unread(4)
        assert window.windowTitle() == "Key points · 4 unread"
        window.set_unread(0)
        assert window.windowTitle() == "Key points"
    finally:
        window.deleteLater()


def test_the_windows_menu_has_every_tray_action(qapp: QApplication) -> None:
    window = KeyPointsWindow(None)
    try:
        texts = [a.text() for a in window.menu.actions()]
        for item in ("Refresh now", "Pause updates", "Do not disturb", "Settings…", "Quit"):
            assert item in texts, texts
        paused: list[bool] = []
        window.pause_toggled.connect(paused.append)
        pause = find_action(window.menu, "Pause updates")
        assert pause is not None
        pause.trigger()
        assert paused == [True]
        window.set_paused(False)
        assert not pause.isChecked() and paused == [True], "set_paused does not echo back"
    finally:
        window.deleteLater()
