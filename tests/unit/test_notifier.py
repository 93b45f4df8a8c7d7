"""The notification presenter: lazy start, fallback in order, never raising, click reports."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.support.notify_session import RecordingBackend
from widget.core.models import Entry, Settings
from widget.core.policy import Notification, plan_batch
from widget.notify.base import Action, CloseReason, Notifier

N = Notification(summary="Ferries run again", body="Harbour Live", key=("harbour", "1"))


def test_backends_start_lazily_on_first_notification() -> None:
    first = RecordingBackend("first")
    notifier = Notifier([first])
    assert not first.started
    assert notifier.notify(N)
    assert first.started and first.sent == [N]


def test_a_backend_that_fails_to_send_is_dropped_and_the_next_gets_the_same_notification() -> None:
    broken = RecordingBackend("broken", fail_send=True)
    fallback = RecordingBackend("fallback")
    errors: list[str] = []
    notifier = Notifier([broken, fallback], on_error=errors.append)
    assert notifier.notify(N)
    assert fallback.sent == [N] and broken.closed
    assert errors == [
        "The broken notification backend failed to show a notification: broken lost its server"
    ]
    assert notifier.capabilities.server == "fallback"


def test_backends_that_cannot_start_are_skipped_in_order() -> None:
    a = RecordingBackend("a", fail_start=True)
    b = RecordingBackend("b", fail_start=True)
    c = RecordingBackend("c")
    notifier = Notifier([a, b, c])
    assert notifier.notify(N)
    assert c.sent == [N]
    assert [f.split(" could not start")[0] for f in notifier.failures] == [
        "The a notification backend",
        "The b notification backend",
    ]


def test_no_working_backend_never_raises_and_reports_once() -> None:
    errors: list[str] = []
    notifier = Notifier([RecordingBackend("a", fail_start=True)], on_error=errors.append)
    assert notifier.notify(N) is False
    assert notifier.notify(N) is False
    assert errors.count("No notification backend works; notifications are not shown.") == 1
    assert notifier.capabilities.server == ""


def test_a_failed_backend_gets_the_next_notification_again_and_is_used_once_it_answers() -> None:
    daemon = RecordingBackend("daemon")
    balloons = RecordingBackend("balloons")
    errors: list[str] = []
    notifier = Notifier([daemon, balloons], on_error=errors.append)
    second = Notification(summary="Second", body="b")
    third = Notification(summary="Third", body="c")
    fourth = Notification(summary="Fourth", body="d")
    assert notifier.notify(N) and daemon.sent == [N]
    daemon.fail_send = True  # the daemon restarts, or one reply comes too late
    assert notifier.notify(second) and balloons.sent == [second]
    assert notifier.notify(third) and balloons.sent == [second, third]
    daemon.fail_send = False  # it answers again
    assert notifier.notify(fourth)
    assert daemon.sent == [N, fourth], "the daemon is back in use at once"
    assert balloons.sent == [second, third]
    assert notifier.capabilities.server == "daemon"
    assert errors == [
        "The daemon notification backend failed to show a notification: daemon lost its server"
    ], "one report per outage"


def test_a_backend_that_could_not_start_is_started_again_for_the_next_notification() -> None:
    daemon = RecordingBackend("daemon", fail_start=True)
    notifier = Notifier([daemon])
    assert not notifier.notify(N)
    assert "daemon cannot start here" in notifier.describe()
    daemon.fail_start = False  # the daemon came up later
    assert notifier.notify(N) and daemon.sent == [N]
    assert notifier.describe() == (
        "Notifications are shown by the desktop's notification service (daemon)."
    )


def test_clicks_and_closes_reach_the_callbacks() -> None:
    backend = RecordingBackend()
    activated: list[tuple[Notification, Action]] = []
    closed: list[tuple[Notification, CloseReason]] = []
    notifier = Notifier(
        [backend],
        on_activated=lambda n, a: activated.append((n, a)),
        on_closed=lambda n, r: closed.append((n, r)),
    )
    notifier.notify(N)
    assert backend.on_activated is not None and backend.on_closed is not None
    backend.on_activated(N, Action.MARK_READ)
    backend.on_closed(N, CloseReason.DISMISSED)
    assert activated == [(N, Action.MARK_READ)] and closed == [(N, CloseReason.DISMISSED)]


def test_close_closes_the_active_backend() -> None:
    backend = RecordingBackend()
    notifier = Notifier([backend])
    notifier.notify(N)
    notifier.close()
    assert backend.closed


def test_a_batch_notification_opens_the_window_and_covers_its_entries() -> None:
    entries = [
        Entry(
            "harbour",
            "Harbour Live",
            "https://example.test/h",
            f"h-{i}",
            f"Update {i}",
            None,
            None,
            None,
            "",
            (),
            first_seen=_t(i),
            notify=True,
        )
        for i in range(5)
    ]
    n = plan_batch(entries, Settings())
    assert n.opens_window and n.key is None
    assert n.entries == tuple(("harbour", f"h-{i}") for i in range(5))
    assert n.summary == "5 new updates — latest: Update 4"


def _t(minute: int) -> datetime:
    return datetime(2026, 3, 11, 10, minute, tzinfo=timezone.utc)
