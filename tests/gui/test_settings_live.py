"""Settings and retries acting on the running worker: "Check now" in the settings and "Retry" in
the window check only the sources they name; a new proxy is used from the next check on, without
a restart. Real loopback servers (one of them playing the proxy), a real engine and worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.rig import Rig
from tests.support.feeds import RSS, Post, rss
from tests.support.notify_session import RecordingBackend
from tests.support.server import LoopbackServer, Response
from widget.core.models import PollResult, SourceResult
from widget.gui.app_window import build_window as _build_window
from widget.gui.dispatch import Dispatcher
from widget.gui.poll_process import PollProcess
from widget.gui.poller import Poller
from widget.gui.settings.dialog import SettingsDialog
from widget.gui.settings.host import SettingsHost
from widget.gui.tray import Tray
from widget.notify.base import Notifier
from widget.paths import AppPaths
from widget.storage.secrets import SecretStore

WAIT = 20_000


def feed(title: str, guid: str, headline: str) -> bytes:
    return rss([Post(guid, headline, f"https://example.org/{guid}")], title=title)


@pytest.fixture
def rig(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")  # no keyring needed here
    r = Rig(tmp_path / "app")
    yield r
    r.close()


def open_settings(qtbot: QtBot, rig: Rig, controller: Poller) -> SettingsDialog:
    notifier = Notifier([RecordingBackend()])
    host = SettingsHost(
        rig.config,
        database=rig.db,
        controller=controller,
        dispatcher=Dispatcher(notifier, rig.config.load().settings),
        notifier=notifier,
        statuses=rig.engine.statuses,
        secrets=SecretStore(),
        parent=controller,
    )
    dialog = host.open()
    qtbot.addWidget(dialog)
    return dialog


def by_name(result: PollResult) -> dict[str, SourceResult]:
    return {r.source_name: r for r in result.results}


def harbour(result: PollResult, _away: bool) -> bool:
    """A poll result that checked the "Harbour" source (not another poll that ran meanwhile)."""
    return "Harbour" in by_name(result)


def test_check_now_in_the_settings_checks_only_the_selected_source_even_while_paused(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    rig.add(
        "Harbour",
        server.route("/h.xml", feed("Harbour", "h-1", "Ferries resume"), content_type=RSS),
    )
    rig.add(
        "Valley", server.route("/v.xml", feed("Valley", "v-1", "Road reopens"), content_type=RSS)
    )
    ctl = Poller(rig.engine, rig.db, clock=rig.clock, watch_network=False)
    try:
        with qtbot.waitSignal(ctl.polled, timeout=WAIT):
            ctl.start()
        ctl.set_paused(True)
        dialog = open_settings(qtbot, rig, ctl)
        tab = dialog.sources_tab
        tab.select_row(1)
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as polled:
            qtbot.mouseClick(tab.check_button, Qt.MouseButton.LeftButton)
        assert list(by_name(polled.args[0])) == ["Valley"]
        assert len(server.requests_for("/v.xml")) == 2
        assert len(server.requests_for("/h.xml")) == 1  # only the launch poll
    finally:
        ctl.shutdown(5.0)


def test_retry_in_the_window_checks_only_the_failing_source(
    qtbot: QtBot, rig: Rig, server: LoopbackServer, tmp_path: Path
) -> None:
    rig.add(
        "Harbour",
        server.route("/h.xml", feed("Harbour", "h-1", "Ferries resume"), content_type=RSS),
    )
    rig.add("Valley", server.route("/v.xml", b"overloaded", status=503))
    ctl = Poller(rig.engine, rig.db, clock=rig.clock, watch_network=False)
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "k", tmp_path / "l")
    cleanups: list[Callable[[], None]] = []
    window = _build_window(
        paths, rig.db, PollProcess(rig.config, rig.db), ctl, Tray(), cleanups, rig.config
    )
    qtbot.addWidget(window)
    ctl.statuses_changed.connect(window.set_statuses)
    try:
        with qtbot.waitSignal(ctl.statuses_changed, timeout=WAIT):
            ctl.start()
        window.show()
        assert window.footer.retry.isVisible()
        assert "Valley" in window.footer.failing.text()
        server.route("/v.xml", feed("Valley", "v-1", "Road reopens"), content_type=RSS)
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as polled:
            qtbot.mouseClick(window.footer.retry, Qt.MouseButton.LeftButton)
        result = by_name(polled.args[0])
        assert list(result) == ["Valley"] and result["Valley"].error is None
        assert len(server.requests_for("/h.xml")) == 1
    finally:
        ctl.shutdown(5.0)
        for cleanup in cleanups:
            cleanup()


def test_a_new_proxy_is_used_from_the_next_check_without_a_restart(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    url = server.url("/moved.xml")  # the site itself no longer serves it
    rig.add("Harbour", url)
    with LoopbackServer() as proxy:
        proxy.routes[url] = Response(
            feed("Harbour", "h-1", "Ferries resume"), headers={"Content-Type": RSS}
        )
        # the tray app's own engine: each poll process reads the settings afresh
        ctl = Poller(PollProcess(rig.config, rig.db), rig.db, watch_network=False)
        try:
            with qtbot.waitSignal(ctl.polled, timeout=WAIT) as polled:
                ctl.start()
            assert "404" in (by_name(polled.args[0])["Harbour"].error or "")
            dialog = open_settings(qtbot, rig, ctl)
            page = dialog.general_tab
            page.manual_proxy_radio.setChecked(True)
            page.proxy_edit.setText(proxy.url("/").rstrip("/"))
            dialog.ok_button.click()
            assert rig.config.load().settings.proxy == proxy.url("/").rstrip("/")
            # OK may also start a poll of the (no) due sources: wait for the one that checks it
            with qtbot.waitSignal(ctl.polled, timeout=WAIT, check_params_cb=harbour) as polled:
                ctl.check_sources([rig.config.load().sources[0].id])
            assert by_name(polled.args[0])["Harbour"].error is None
            assert [r.path for r in proxy.requests] == [url]  # the request went by the proxy
            assert [e.title for e in rig.db.entries()] == ["Ferries resume"]
        finally:
            ctl.shutdown(5.0)


def test_a_lower_download_limit_is_used_from_the_next_check(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    padding = "<!-- " + "x" * (1_500_000) + " -->"
    body = feed("Harbour", "h-1", "Ferries resume").replace(
        b"<channel>", padding.encode() + b"<channel>", 1
    )
    source = rig.add("Harbour", server.route("/h.xml", body, content_type=RSS))
    ctl = Poller(PollProcess(rig.config, rig.db), rig.db, watch_network=False)
    try:
        with qtbot.waitSignal(ctl.polled, timeout=WAIT) as polled:
            ctl.start()
        assert by_name(polled.args[0])["Harbour"].error is None  # 1.5 MB under the 10 MB cap
        rig.config.update(lambda c: replace(c, settings=replace(c.settings, max_response_mb=1)))
        dialog = open_settings(qtbot, rig, ctl)  # loads the file, applies it as it stands
        dialog.ok_button.click()
        with qtbot.waitSignal(ctl.polled, timeout=WAIT, check_params_cb=harbour) as polled:
            ctl.check_sources([source.id])
        error = by_name(polled.args[0])["Harbour"].error or ""
        assert "larger than 1 MB" in error
    finally:
        ctl.shutdown(5.0)
