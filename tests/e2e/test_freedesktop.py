"""Notifications through a real notification daemon (dunst) on a private session bus."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.support.app_env import ROOT
from tests.support.notify_session import NotifySession, RecordingBackend
from widget import APP_ID
from widget.core.models import Entry, Settings
from widget.core.policy import Notification, plan_single
from widget.gui.icons import notification_icon_file
from widget.notify.base import Action, CloseReason, Notifier
from widget.notify.freedesktop import FreedesktopBackend

pytestmark = pytest.mark.e2e


class Events:
    """Collects callbacks (they arrive on the backend's thread) and waits for them."""

    def __init__(self) -> None:
        self.activated: list[tuple[Notification, Action]] = []
        self.closed: list[tuple[Notification, CloseReason]] = []
        self._changed = threading.Condition()

    def on_activated(self, n: Notification, action: Action) -> None:
        with self._changed:
            self.activated.append((n, action))
            self._changed.notify_all()

    def on_closed(self, n: Notification, reason: CloseReason) -> None:
        with self._changed:
            self.closed.append((n, reason))
            self._changed.notify_all()

    def wait(self, activated: int = 0, closed: int = 0) -> None:
        with self._changed:
            self._changed.wait_for(
                lambda: len(self.activated) >= activated and len(self.closed) >= closed,
                timeout=10,
            )


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def backend(notify_session: NotifySession, events: Events) -> Iterator[FreedesktopBackend]:
    b = FreedesktopBackend(bus=notify_session.bus_address)
    b.start(events.on_activated, events.on_closed)
    yield b
    b.close()


def make_entry(n: int, title: str, key_point: str = "") -> Entry:
    when = datetime(2026, 3, 11, 10, n, tzinfo=timezone.utc)
    return Entry(
        source_id="harbour",
        source_name="Harbour Live",
        source_url="https://example.test/harbour",
        id=f"harbour-{n}",
        title=title,
        url=f"https://example.test/harbour/{n}",
        published=when,
        updated=None,
        summary="",
        key_points=(key_point,) if key_point else (),
        first_seen=when,
        notify=True,
    )


def test_daemon_receives_title_key_point_hints_and_buttons(
    notify_session: NotifySession, backend: FreedesktopBackend
) -> None:
    settings = Settings(highlight_words=("flood",))
    calm = plan_single(make_entry(1, "Ferries run again", "First boat leaves at six"), settings)
    urgent = plan_single(
        make_entry(2, "Flood warning for the quay", "Tide < 2 m & rising"), settings
    )
    backend.send(calm)
    backend.send(urgent)

    # dunst runs its per-notification script asynchronously: look records up by summary
    records = notify_session.wait_shown("Ferries run again", "Flood warning for the quay")
    assert set(records) == {"Ferries run again", "Flood warning for the quay"}
    calm_seen, urgent_seen = records["Ferries run again"], records["Flood warning for the quay"]
    assert calm_seen["DUNST_BODY"] == "Harbour Live\nFirst boat leaves at six"
    # dunst takes body markup, so the plain text arrives escaped
    assert backend.capabilities.body_markup
    assert urgent_seen["DUNST_BODY"] == "Harbour Live\nTide &lt; 2 m &amp; rising"
    assert (calm_seen["DUNST_URGENCY"], urgent_seen["DUNST_URGENCY"]) == ("NORMAL", "CRITICAL")
    for seen in (calm_seen, urgent_seen):
        assert seen["DUNST_APP_NAME"] == "Live Updates"
        assert seen["DUNST_DESKTOP_ENTRY"] == APP_ID

    menu = notify_session.choose_from_menu("Ferries run again", "no-such-action")
    calm_lines = [line for line in menu.splitlines() if "(Ferries run again)" in line]
    assert [line.rsplit(",", 1)[1] for line in calm_lines] == ["default]", "open]", "mark-read]"]
    assert "#Mark read (Ferries run again)" in menu


def test_click_reports_the_clicked_notification(
    notify_session: NotifySession, backend: FreedesktopBackend, events: Events
) -> None:
    n = plan_single(make_entry(1, "Ferries run again"), Settings())
    backend.send(n)
    notify_session.wait_records(1)
    notify_session.dunstctl("action", "0")
    events.wait(activated=1)
    assert events.activated == [(n, Action.DEFAULT)]
    assert n.key == ("harbour", "harbour-1") and n.url == "https://example.test/harbour/1"


def test_every_notification_stays_clickable_not_only_the_last(
    notify_session: NotifySession, backend: FreedesktopBackend, events: Events
) -> None:
    older = plan_single(make_entry(1, "Older update"), Settings())
    newer = plan_single(make_entry(2, "Newer update"), Settings())
    backend.send(older)
    backend.send(newer)
    notify_session.wait_records(2)
    notify_session.choose_from_menu("Older update", "mark-read")
    events.wait(activated=1)
    notify_session.choose_from_menu("Newer update", "open")
    events.wait(activated=2)
    assert events.activated == [(older, Action.MARK_READ), (newer, Action.OPEN)]


def test_newer_update_of_a_live_page_replaces_the_previous_notification(
    notify_session: NotifySession, backend: FreedesktopBackend, events: Events
) -> None:
    first = plan_single(make_entry(1, "Bridge closed"), Settings(), replaces_key="harbour")
    second = plan_single(make_entry(2, "Bridge reopened"), Settings(), replaces_key="harbour")
    other = Notification(summary="Unrelated feed item", body="Other Feed", key=("other", "1"))
    backend.send(first)
    backend.send(second)
    backend.send(other)
    shown = notify_session.wait_shown("Bridge reopened", "Unrelated feed item")
    ids = {summary: record["DUNST_ID"] for summary, record in shown.items()}
    assert ids["Bridge reopened"] != ids["Unrelated feed item"]
    assert ids.get("Bridge closed", ids["Bridge reopened"]) == ids["Bridge reopened"]
    assert notify_session.displayed() == 2

    history = notify_session.close_all_and_read()
    assert sorted(h["summary"] for h in history) == ["Bridge reopened", "Unrelated feed item"]
    events.wait(closed=2)
    assert {n for n, _ in events.closed} == {second, other}


def test_closing_reports_the_closed_notification(
    notify_session: NotifySession, backend: FreedesktopBackend, events: Events
) -> None:
    n = Notification(summary="Ferries run again", body="Harbour Live", key=("harbour", "1"))
    backend.send(n)
    notify_session.wait_records(1)
    notify_session.dunstctl("close")
    events.wait(closed=1)
    assert [c[0] for c in events.closed] == [n]


def test_without_a_bus_the_notifier_falls_back_to_the_next_backend(tmp_path: object) -> None:
    fallback = RecordingBackend()
    errors: list[str] = []
    notifier = Notifier(
        [FreedesktopBackend(bus="unix:path=/nonexistent/live-updates-test-bus"), fallback],
        on_error=errors.append,
    )
    n = Notification(summary="Ferries run again", body="Harbour Live", key=("harbour", "1"))
    assert notifier.notify(n) is True
    assert fallback.sent == [n]
    assert len(errors) == 1 and "freedesktop" in errors[0] and "could not start" in errors[0]
    assert notifier.notify(n) is True  # stays on the fallback, no second error
    assert fallback.sent == [n, n] and len(errors) == 1
    notifier.close()
    assert not fallback.started


def test_notifier_uses_the_daemon_when_it_is_there(
    notify_session: NotifySession, events: Events
) -> None:
    fallback = RecordingBackend()
    notifier = Notifier(
        [FreedesktopBackend(bus=notify_session.bus_address), fallback],
        on_activated=events.on_activated,
    )
    n = Notification(summary="Ferries run again", body="Harbour Live", key=("harbour", "1"))
    try:
        assert notifier.notify(n)
        assert notifier.capabilities.actions
        notify_session.wait_records(1)
        notify_session.dunstctl("action", "0")
        events.wait(activated=1)
    finally:
        notifier.close()
    assert fallback.sent == [] and events.activated == [(n, Action.DEFAULT)]


def test_when_no_backend_works_notify_returns_false_and_says_so() -> None:
    errors: list[str] = []
    notifier = Notifier(
        [FreedesktopBackend(bus="unix:path=/nonexistent/live-updates-test-bus")],
        on_error=errors.append,
    )
    n = Notification(summary="Ferries run again", body="Harbour Live")
    assert notifier.notify(n) is False
    assert errors[-1] == "No notification backend works; notifications are not shown."


def test_dunst_gets_an_icon_file_it_can_load(
    notify_session: NotifySession, tmp_path: Path, qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The icon is installed in ~/.local/share/icons, which dunst does not search: the absolute
    path of the installed PNG goes with every notification."""
    data_home = tmp_path / "data-home"
    installed = data_home / "icons" / "hicolor" / "128x128" / "apps" / f"{APP_ID}.png"
    installed.parent.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "icons" / "live-updates-128.png", installed)
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-system-icons"))
    path = notification_icon_file(tmp_path / "cache", APP_ID)
    assert path == installed
    b = FreedesktopBackend(bus=notify_session.bus_address, app_icon=APP_ID, image_path=str(path))
    b.start()
    try:
        b.send(Notification("With an icon", "Ferries run again"))
        shown = notify_session.wait_shown("With an icon")["With an icon"]
    finally:
        b.close()
    assert shown["DUNST_ICON_PATH"] == str(installed), shown
    assert QImage(shown["DUNST_ICON_PATH"]).width() == 128, "a PNG dunst (and Qt) can load"


def test_without_an_installed_icon_one_is_drawn_into_the_cache(
    tmp_path: Path, qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty-home"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-system-icons"))
    path = notification_icon_file(tmp_path / "cache", APP_ID)
    assert path is not None and path.parent == tmp_path / "cache"
    assert not QImage(str(path)).isNull()


@pytest.fixture
def restartable_session(tmp_path: Path) -> Iterator[NotifySession]:
    session = NotifySession(tmp_path, activation=False)
    try:
        session.start()
        yield session
    finally:
        session.stop()


def test_after_the_daemon_restarts_notifications_go_back_to_it(
    restartable_session: NotifySession,
) -> None:
    """A dunst that is killed and started again: the notification sent meanwhile goes to the
    next backend, and the one after goes to the new dunst — not to balloons until a restart."""
    session = restartable_session
    balloons = RecordingBackend("tray balloon")
    errors: list[str] = []
    notifier = Notifier(
        [FreedesktopBackend(bus=session.bus_address), balloons], on_error=errors.append
    )
    try:
        assert notifier.notify(Notification("Before", "the daemon is up"))
        assert "Before" in session.wait_shown("Before")
        session.kill_dunst()
        assert notifier.notify(Notification("Meanwhile", "no daemon"))
        assert [n.summary for n in balloons.sent] == ["Meanwhile"]
        session.restart_dunst()
        for n in range(3):
            assert notifier.notify(Notification(f"After {n}", "the daemon is back"))
        shown = session.wait_shown("After 0", "After 1", "After 2")
        assert {"After 0", "After 1", "After 2"} <= set(shown)
        assert [n.summary for n in balloons.sent] == ["Meanwhile"]
        assert notifier.describe().startswith(
            "Notifications are shown by the desktop's notification service (dunst 1."
        )
        assert len(errors) == 1, errors
    finally:
        notifier.close()
