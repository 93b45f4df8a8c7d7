"""The tray menu is rebuilt from the current state each time it opens; items emit requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from tests.support.menus import find_action, menu_texts
from widget.gui.icons import TrayState
from widget.gui.tray import DndChoice, Tray, TrayStatus, dnd_until

NOW = datetime(2026, 3, 2, 14, 30).astimezone()


def _open_menu(tray: Tray) -> None:
    tray.menu.aboutToShow.emit()


def test_menu_lists_the_commands_in_order(qtbot: QtBot) -> None:
    tray = Tray()
    _open_menu(tray)
    texts = [t for t in menu_texts(tray.menu) if t]
    assert texts == [
        "Show key points",
        "Refresh now",
        "Pause updates",
        "Do not disturb",
        "Settings…",
        "Quit",
    ]
    settings = find_action(tray.menu, "Settings…")
    assert settings is not None and not settings.isEnabled()


def test_menu_is_rebuilt_on_about_to_show(qtbot: QtBot) -> None:
    tray = Tray()
    _open_menu(tray)
    pause = find_action(tray.menu, "Pause updates")
    assert pause is not None and not pause.isChecked()

    tray.update(paused=True, polling=True, progress=(3, 8))
    _open_menu(tray)
    pause = find_action(tray.menu, "Pause updates")
    assert pause is not None and pause.isChecked()
    assert "Refreshing… 3/8" in menu_texts(tray.menu)
    refreshing = find_action(tray.menu, "Refreshing… 3/8")
    assert refreshing is not None and not refreshing.isEnabled()

    tray.update(paused=False, polling=False)
    _open_menu(tray)
    assert "Refresh now" in menu_texts(tray.menu)
    assert len([t for t in menu_texts(tray.menu) if t == "Quit"]) == 1


def test_do_not_disturb_submenu_shows_when_it_ends(qtbot: QtBot) -> None:
    tray = Tray()
    tray.update(dnd_until=datetime.now().astimezone() + timedelta(minutes=30))
    _open_menu(tray)
    titles = [t for t in menu_texts(tray.menu) if t.startswith("Do not disturb")]
    assert len(titles) == 1 and "until" in titles[0]
    off = find_action(tray.menu, "Off")
    assert off is not None and not off.isChecked()


def test_menu_items_emit_requests(qtbot: QtBot) -> None:
    tray = Tray()
    _open_menu(tray)
    for text, signal in (
        ("Show key points", tray.show_window_requested),
        ("Refresh now", tray.refresh_requested),
        ("Quit", tray.quit_requested),
    ):
        action = find_action(tray.menu, text)
        assert action is not None
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()
    pause = find_action(tray.menu, "Pause updates")
    assert pause is not None
    with qtbot.waitSignal(tray.pause_toggled, timeout=1000) as blocker:
        pause.trigger()
    assert blocker.args == [True]
    hour = find_action(tray.menu, "For 1 hour")
    assert hour is not None
    with qtbot.waitSignal(tray.dnd_requested, timeout=1000) as blocker:
        hour.trigger()
    assert blocker.args == [DndChoice.ONE_HOUR]


def test_state_priority() -> None:
    assert TrayStatus().state(NOW) is TrayState.IDLE
    assert TrayStatus(unread=2).state(NOW) is TrayState.UNREAD
    assert TrayStatus(unread=2, failing=("Harbour news",)).state(NOW) is TrayState.ERROR
    assert TrayStatus(failing=("x",), paused=True).state(NOW) is TrayState.PAUSED
    assert TrayStatus(dnd_until=NOW + timedelta(hours=1)).state(NOW) is TrayState.PAUSED
    assert TrayStatus(dnd_until=NOW - timedelta(minutes=1)).state(NOW) is TrayState.IDLE


def test_tooltip_says_last_update_unread_and_failing_sources() -> None:
    status = TrayStatus(
        unread=4,
        failing=("Harbour news", "Valley radio", "Town hall", "Ferry times"),
        last_update=NOW - timedelta(minutes=5),
    )
    text = status.tooltip(NOW)
    assert "Last update: 14:25" in text
    assert "4 unread" in text
    assert "Failing: Harbour news, Valley radio, Town hall and 1 more" in text
    assert "Not checked yet" in TrayStatus().tooltip(NOW)


def test_tooltip_says_when_the_next_check_is_unless_paused_or_checking() -> None:
    status = TrayStatus(
        last_update=NOW - timedelta(minutes=5), next_check=NOW + timedelta(minutes=7)
    )
    assert "Next check: 14:37" in status.tooltip(NOW)
    assert "Next check" not in replace(status, paused=True).tooltip(NOW)
    assert "Next check" not in replace(status, polling=True).tooltip(NOW)
    # a check that is overdue (the machine slept) is shown as now, never in the past
    late = replace(status, next_check=NOW - timedelta(minutes=3))
    assert "Next check: 14:30" in late.tooltip(NOW)
    assert "Next check" not in TrayStatus().tooltip(NOW)


def test_tray_tooltip_follows_updates(qtbot: QtBot) -> None:
    tray = Tray()
    tray.update(unread=3)
    assert "3 unread" in tray.icon.toolTip()
    tray.update(unread=0)
    assert "Nothing unread" in tray.icon.toolTip()


def test_dnd_choices() -> None:
    assert dnd_until(DndChoice.ONE_HOUR, NOW) == NOW + timedelta(hours=1)
    tomorrow = dnd_until(DndChoice.TOMORROW, NOW)
    assert tomorrow is not None and tomorrow.date() == (NOW + timedelta(days=1)).date()
    assert tomorrow.hour == 8
    assert dnd_until(DndChoice.OFF, NOW) is None


def test_a_left_click_on_the_icon_asks_to_toggle_the_window(qtbot: QtBot) -> None:
    tray = Tray()
    with qtbot.waitSignal(tray.toggle_window_requested, timeout=1000):
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    with qtbot.assertNotEmitted(tray.toggle_window_requested):
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)
