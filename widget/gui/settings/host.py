"""The tray app's side of the settings dialog: opens it (from the tray menu and the window),
and makes applied changes take effect at once — new notification settings, the worker
rescheduled, removed sources' entries deleted, a test notification sent.

Testing a URL ("probe") runs in this process, on the dialog's probe threads: the tray app's
engine polls in a child process, so the first test builds an in-process ``Engine`` (and loads
the HTTP stack) — rare, and only while the user has the dialog open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject

from widget import APP_NAME
from widget.core.errors import StorageError
from widget.core.models import Config, FetchState, Settings, SourceStatus
from widget.core.policy import Notification
from widget.gui.dispatch import Dispatcher
from widget.gui.poller import Poller
from widget.gui.settings.dialog import Autostart, SettingsDialog, apply_autostart
from widget.gui.settings.util import SecretsLike
from widget.notify.base import Notifier
from widget.storage.config import ConfigStore
from widget.storage.db import Database
from widget.storage.secrets import SecretStore

if TYPE_CHECKING:
    from widget.engine.poll import Engine
    from widget.sources.http import Credentials
    from widget.sources.probe import Probe

log = logging.getLogger(__name__)


def test_notification(settings: Settings) -> Notification:
    body = "Notifications from Live Updates look like this."
    if settings.show_key_point:
        body = "• The first key point of a new development appears here."
    return Notification(summary=f"{APP_NAME}: test notification", body=body, source_name=APP_NAME)


class SettingsHost(QObject):
    def __init__(
        self,
        config: ConfigStore,
        *,
        database: Database,
        controller: Poller,
        dispatcher: Dispatcher,
        notifier: Notifier,
        statuses: Callable[[], Sequence[SourceStatus]],
        secrets: SecretsLike | None = None,
        autostart: Autostart = apply_autostart,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.database = database
        self.controller = controller
        self.dispatcher = dispatcher
        self.notifier = notifier
        self.statuses = statuses
        self.secrets: SecretsLike = secrets if secrets is not None else SecretStore()
        self.autostart = autostart
        self.dialog: SettingsDialog | None = None
        self._prober: Engine | None = None  # built by the first probe (engine has no probe)
        self._prober_lock = threading.Lock()
        controller.statuses_changed.connect(self._statuses_changed)

    # --- opening ---
    def open(self) -> SettingsDialog:
        dialog = self._dialog()
        dialog.present()
        return dialog

    def open_source(self, source_id: str) -> SettingsDialog:
        """The Sources tab with that source selected and its editor open."""
        dialog = self.open()
        dialog.tabs.setCurrentWidget(dialog.sources_tab)
        tab = dialog.sources_tab
        for row, source in enumerate(tab.model.sources):
            if source.id == source_id:
                tab.select_row(row)
                tab.edit_source(row)
                break
        return dialog

    def add_source(self) -> SettingsDialog:
        dialog = self.open()
        dialog.tabs.setCurrentWidget(dialog.sources_tab)
        dialog.sources_tab.add_source()
        return dialog

    def _dialog(self) -> SettingsDialog:
        if self.dialog is None:
            dialog = SettingsDialog(
                self.config,
                prober=self.probe,
                secrets=self.secrets,
                states=self._states,
                activity=self._activity,
                autostart=self.autostart,
                fixed_period_s=self.controller.fixed_interval_s,
            )
            dialog.applied.connect(self._applied)
            dialog.sources_removed.connect(self._removed)
            dialog.check_requested.connect(self.controller.check_sources)
            dialog.test_notification_requested.connect(self._test)
            self.dialog = dialog
        return self.dialog

    # --- data for the dialog ---
    def probe(self, url: str, credentials: Credentials | None = None) -> Probe:
        """Fetch ``url`` once and detect its kind, on a probe thread, through an ``Engine``
        built on first use, with the saved proxy and size cap."""
        with self._prober_lock:
            if self._prober is None:
                from widget.engine.poll import Engine

                self._prober = Engine(self.config, self.database)
                log.info("probing in the tray app: HTTP client built for the settings dialog")
            prober = self._prober
            prober.apply_settings(self.config.load().settings)
        return prober.probe(url, credentials)

    def close(self) -> None:
        """Close the probing client, if a probe built one."""
        with self._prober_lock:
            if self._prober is not None:
                self._prober.close()
                self._prober = None

    def _states(self) -> Mapping[str, FetchState]:
        return {s.source.id: s.state for s in self.statuses()}

    def _activity(self) -> Mapping[str, Sequence[datetime]]:
        """Entries first seen in the last 24 hours, through a read-only connection of its own
        (the worker owns the writer)."""
        since = datetime.now(timezone.utc) - timedelta(hours=24)
        try:
            reader = Database.open(self.database.path, readonly=True)
        except StorageError as exc:
            log.info("no activity for the settings dialog: %s", exc)
            return {}
        try:
            return reader.first_seen_since(since)
        finally:
            reader.close()

    def _statuses_changed(self, statuses: list[SourceStatus]) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_states({s.source.id: s.state for s in statuses})

    # --- applying ---
    def _applied(self, config: Config) -> None:
        """Takes effect now: notification settings at once; the poller polls what is due (new
        sources are due at once) and schedules from the new intervals; each poll process reads
        the proxy and download limit afresh."""
        self.dispatcher.settings = config.settings
        self.dispatcher.source_notify = {s.id: s.notify for s in config.sources}
        if not self.controller.paused:
            self.controller.set_paused(False)  # asks the worker for a due-only poll
        log.info("settings applied; the worker reschedules")

    def _removed(self, source_ids: list[str]) -> None:
        database = self.database

        def forget() -> None:
            for source_id in source_ids:
                database.delete_source(source_id)

        self.controller.run_in_worker("removing sources' entries", forget, refresh_lists=True)

    def _test(self, settings: Settings) -> None:
        sent = self.notifier.notify(test_notification(settings))
        if self.dialog is not None:
            label = self.dialog.notifications_tab.test_label
            if sent:
                label.setText("Sent a test notification.")
            else:
                failures = self.notifier.failures
                reason = failures[-1] if failures else "no notification service answered"
                label.setText(f"The test notification could not be shown: {reason}")


class _AppLike(Protocol):
    """What ``host_for`` uses of the tray app (``gui.app.App``)."""

    db: Database
    controller: Poller
    dispatcher: Dispatcher
    notifier: Notifier
    statuses: list[SourceStatus]


def host_for(app: _AppLike, config: ConfigStore, parent: QObject) -> SettingsHost:
    """The settings host of the running app (``gui.settings_link`` builds it on first use)."""
    return SettingsHost(
        config,
        database=app.db,
        controller=app.controller,
        dispatcher=app.dispatcher,
        notifier=app.notifier,
        statuses=lambda: app.statuses,
        parent=parent,
    )
