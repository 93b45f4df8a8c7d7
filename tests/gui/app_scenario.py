"""Runs the whole tray app (``run_app``) in its own process and drives it through one scenario.

``python -m tests.gui.app_scenario SCENARIO OUT.json [--demo]``: the app starts as a user would
start it (XDG folders and Qt platform from the environment); when its event loop is running the
scenario acts on it; the process writes what it saw to OUT.json and exits with ``run_app``'s
status. A scenario that gets stuck ends the app with status 3 after ``DEADLINE_MS``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import widget.gui.app as app_module
from tests.support.menus import find_action
from widget.core.models import PollResult
from widget.core.policy import Notification
from widget.gui.app import App, run_app
from widget.notify.base import Action

DEADLINE_MS = 45_000
QUIT_AFTER_SHOW_MS = 500  # the window is mapped and painted by then
Seen = dict[str, Any]


def _after_first_poll(app: App, then: Callable[[PollResult], None]) -> None:
    done: list[bool] = []

    def polled(result: PollResult, _away: bool) -> None:
        if not done:
            done.append(True)
            QTimer.singleShot(0, lambda: then(result))

    app.controller.polled.connect(polled)


def quit_with_window_open(app: App, seen: Seen) -> None:
    """The window is open and the user picks Quit in the tray menu."""

    def go(_result: PollResult) -> None:
        app.window.show_and_raise()
        QTimer.singleShot(QUIT_AFTER_SHOW_MS, pick_quit)

    def pick_quit() -> None:
        seen["window_visible_before_quit"] = app.window.isVisible()
        action = find_action(app.tray.menu, "Quit")
        assert action is not None
        action.trigger()

    _after_first_poll(app, go)


def clicks(app: App, seen: Seen) -> None:
    """Three new entries: the first is clicked, the second is clicked with a non-web link,
    the third gets "Mark read". The app records what it asked the browser to open."""
    opened: list[str] = []
    app.open_url = opened.append

    def go(result: PollResult) -> None:
        entries = sorted(result.new_entries, key=lambda e: e.title)
        seen["new"] = [e.title for e in entries]
        first, second, third = entries
        app.on_activated(
            Notification(first.title, "", key=(first.source_id, first.id), url=first.url),
            Action.DEFAULT,
        )
        app.on_activated(
            Notification(
                second.title, "", key=(second.source_id, second.id), url="javascript:alert(1)"
            ),
            Action.DEFAULT,
        )
        seen["window_visible_after_bad_link"] = app.window.isVisible()
        app.on_activated(
            Notification(third.title, "", key=(third.source_id, third.id), url=third.url),
            Action.MARK_READ,
        )
        seen["opened"] = opened

    def unread(count: int) -> None:
        if "opened" in seen and count == 0:
            app.quit()

    app.controller.unread_changed.connect(unread)
    _after_first_poll(app, go)


def no_tray(app: App, seen: Seen) -> None:
    """No system tray ever appears (Qt offscreen): the app runs in its window, says so there
    (no dialog), and every tray action is in the window's menu."""
    started = time.monotonic()

    def look() -> None:
        if not app.window.isVisible():
            QTimer.singleShot(50, look)
            return
        seen["window_shown_after_s"] = time.monotonic() - started
        seen["notice"] = app.window.notice.text() if app.window.notice.isVisible() else ""
        seen["dialogs"] = [
            w.text()
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ]
        seen["tray_visible"] = app.tray.icon.isVisible()
        seen["title"] = app.window.windowTitle()
        seen["menu"] = [a.text() for a in app.window.menu.actions()]
        settings = find_action(app.window.menu, "Settings…")
        assert settings is not None
        settings.trigger()
        QTimer.singleShot(500, after_settings)

    def after_settings() -> None:
        seen["settings_open"] = [
            w.windowTitle()
            for w in QApplication.topLevelWidgets()
            if w.isVisible() and w is not app.window
        ]
        pause = find_action(app.window.menu, "Pause updates")
        assert pause is not None
        pause.trigger()
        seen["paused_in_tray"] = app.tray.status.paused
        app.quit()

    look()


def window_mode(app: App, seen: Seen) -> None:
    """A real display without a tray host: when the window shows, what it says, a screenshot;
    then the test starts a tray host and the app moves to it."""
    started = time.monotonic()
    out = Path(sys.argv[2])

    def look() -> None:
        if not app.window.isVisible():
            QTimer.singleShot(50, look)
            return
        seen["window_shown_after_s"] = time.monotonic() - started
        seen["notice"] = app.window.notice.text()
        QTimer.singleShot(700, shoot)

    def shoot() -> None:
        screen = QApplication.primaryScreen()
        screen.grabWindow(0).save(str(out) + ".window-mode.png")
        menu = app.window.menu
        menu.popup(app.window.menu_button.mapToGlobal(app.window.menu_button.rect().bottomLeft()))
        QTimer.singleShot(400, shoot_menu)

    def shoot_menu() -> None:
        QApplication.primaryScreen().grabWindow(0).save(str(out) + ".window-menu.png")
        app.window.menu.hide()
        Path(str(out) + ".ready").write_text("ready", encoding="utf-8")
        wait_tray()

    def wait_tray() -> None:
        if app.window_mode or not app.tray.icon.isVisible():
            QTimer.singleShot(100, wait_tray)
            return
        seen["moved_to_tray"] = True
        seen["notice_after"] = app.window.notice.text() if app.window.notice.isVisible() else ""
        QTimer.singleShot(1000, finish)

    def finish() -> None:
        QApplication.primaryScreen().grabWindow(0).save(str(out) + ".tray-later.png")
        app.quit()

    look()


def single_instance(app: App, seen: Seen) -> None:
    """Waits hidden until a second launch asks it to show its window."""
    seen["window_visible_at_start"] = app.window.isVisible()
    Path(sys.argv[2] + ".ready").write_text("ready", encoding="utf-8")

    def shown() -> None:
        QTimer.singleShot(0, lambda: finish())

    def finish() -> None:
        seen["window_visible_after_second_launch"] = app.window.isVisible()
        seen["notice"] = app.window.notice.text() if app.window.notice.isVisible() else ""
        app.quit()

    app.instance.show_requested.connect(shown)


def demo(app: App, seen: Seen) -> None:
    """``--demo``: the first check of the embedded page, then quit."""

    def go(result: PollResult) -> None:
        seen["sources"] = [r.source_id for r in result.results]
        seen["errors"] = [r.error for r in result.results if r.error]
        seen["stored"] = len(app.db.entries())
        seen["config_file"] = str(app.paths.config_file)
        app.quit()

    _after_first_poll(app, go)


def broken_store(app: App, seen: Seen) -> None:
    """After the first poll the entries file is replaced by garbage (the app's own connection
    still reads the old one), and the user asks for a check, twice: each poll fails. The app
    records what it told the user and when it means to try again."""
    failures: list[str] = []

    def go(_result: PollResult) -> None:
        path = app.paths.database_file
        garbage = path.with_name("garbage")
        garbage.write_bytes(b"this is not a database " * 400)
        garbage.replace(path)
        app.controller.failed.connect(failed)
        app.controller.refresh_now()

    def failed(message: str) -> None:
        failures.append(message)
        QTimer.singleShot(0, lambda: look(len(failures)))

    def look(count: int) -> None:
        planned = app.tray.status.next_check  # what the tooltip says as "Next check"
        seen.setdefault("retry_in_s", []).append(
            (planned - datetime.now().astimezone()).total_seconds() if planned else 0.0
        )
        if count == 1:
            seen["message"] = failures[0]
            seen["window_status"] = app.window.footer.status.text()
            seen["tooltip"] = app.tray.icon.toolTip()
            app.controller.refresh_now()  # the user asks again: it fails again
            return
        seen["failures"] = failures
        app.quit()

    _after_first_poll(app, go)


def read_in_window(app: App, seen: Seen) -> None:
    """Two new entries notify; the first is read in the window (as a click on its row or its
    menu's "Mark read" reads it), then the test dismisses the second's notification on screen."""
    ready = Path(sys.argv[2] + ".ready")

    def go(result: PollResult) -> None:
        entries = sorted(result.new_entries, key=lambda e: e.title)
        seen["new"] = [e.title for e in entries]
        app.window.show_and_raise()
        wait_row((entries[0].source_id, entries[0].id))

    def wait_row(key: tuple[str, str]) -> None:
        if app.window.model.row_of(key) < 0:
            QTimer.singleShot(50, lambda: wait_row(key))
            return
        app.window.set_read([key], True)
        seen["read"] = list(key)
        ready.write_text("ready", encoding="utf-8")
        wait_dismissed()

    def wait_dismissed() -> None:
        if not Path(sys.argv[2] + ".dismissed").exists():
            QTimer.singleShot(50, wait_dismissed)
            return
        QTimer.singleShot(1000, app.quit)  # the dismissal's read mark is written meanwhile

    _after_first_poll(app, go)


SCENARIOS: dict[str, Callable[[App, Seen], None]] = {
    "broken-store": broken_store,
    "quit-with-window-open": quit_with_window_open,
    "clicks": clicks,
    "no-tray": no_tray,
    "window-mode": window_mode,
    "single-instance": single_instance,
    "demo": demo,
    "read-in-window": read_in_window,
}


def main(argv: list[str]) -> int:
    name, out = argv[0], Path(argv[1])
    seen: Seen = {}
    if name == "no-tray":
        app_module.TRAY_WAIT_S = 1.0  # window mode after 1 s

    def ready(app: App) -> None:
        def stuck() -> None:
            seen["stuck"] = True
            app.qt.exit(3)

        QTimer.singleShot(DEADLINE_MS, stuck)
        SCENARIOS[name](app, seen)

    seen["returned"] = run_app(demo="--demo" in argv[2:], on_ready=ready)
    out.write_text(json.dumps(seen), encoding="utf-8")
    return int(seen["returned"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
