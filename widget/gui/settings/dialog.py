"""Settings: Sources, Notifications and General tabs. Loaded on open, applied on OK/Apply
(config written atomically through ConfigStore, secrets to the keyring only), Cancel discards.

The dialog never touches the network on the GUI thread: probes run on ``ProbeRunner``'s pool.
It tells the app what happened through signals (``applied`` with the saved Config, so the worker
reschedules and notifications use the new settings at once).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widget import APP_NAME
from widget.core.clock import utcnow
from widget.core.errors import ConfigError, SecretsError
from widget.core.models import AuthKind, Config, FetchState, Settings, Source
from widget.desktop.autostart import launch_command, set_enabled, windows_run_entry
from widget.gui.settings.editor import Prober
from widget.gui.settings.pages import GeneralPage, NotificationsPage
from widget.gui.settings.sources_tab import SourcesTab
from widget.gui.settings.util import SecretsLike, set_error
from widget.storage.config import ConfigStore

log = logging.getLogger(__name__)

States = Callable[[], Mapping[str, FetchState]]
Activity = Callable[[], Mapping[str, Sequence[datetime]]]
Autostart = Callable[[bool], None]


def apply_autostart(enabled: bool) -> None:
    """Start at login on this platform: a file on Linux and macOS, the Run key on Windows."""
    if sys.platform == "win32":
        from PySide6.QtCore import QSettings

        entry = windows_run_entry(launch_command())
        registry = QSettings(entry.key, QSettings.Format.NativeFormat)
        if enabled:
            registry.setValue(entry.name, entry.value)
        else:
            registry.remove(entry.name)
        registry.sync()
        if registry.status() != QSettings.Status.NoError:
            raise ConfigError("the Windows Run key could not be changed")
        return
    set_enabled(enabled)


def merge(loaded: Config, working: Config, current: Config) -> Config:
    """The config to save: the dialog's sources and settings, but sources the dialog did not
    touch keep what another writer (the engine moving a URL, the CLI) saved since it opened,
    and sources added elsewhere meanwhile are kept."""
    before = {s.id: s for s in loaded.sources}
    now = {s.id: s for s in current.sources}
    working_ids = {s.id for s in working.sources}
    out: list[Source] = []
    for source in working.sources:
        untouched = before.get(source.id) == source
        out.append(now[source.id] if untouched and source.id in now else source)
    out.extend(s for s in current.sources if s.id not in before and s.id not in working_ids)
    return Config(settings=working.settings, sources=tuple(out))


class SettingsDialog(QDialog):
    applied = Signal(object)  # Config, as saved
    check_requested = Signal(object)  # list[str]: source ids
    test_notification_requested = Signal(object)  # Settings (as currently shown)
    sources_removed = Signal(object)  # list[str]: ids of removed sources (their entries go)

    def __init__(
        self,
        store: ConfigStore,
        *,
        prober: Prober,
        secrets: SecretsLike,
        states: States | None = None,
        activity: Activity | None = None,
        autostart: Autostart = apply_autostart,
        clock: Callable[[], datetime] = utcnow,
        fixed_period_s: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``fixed_period_s``: every source is checked at this period (the demo), whatever its
        interval says; the sources table shows that."""
        super().__init__(parent)
        self.store = store
        self.secrets = secrets
        self._states = states
        self._activity = activity
        self._autostart = autostart
        self._clock = clock
        self.loaded = Config()
        self.warnings: list[str] = []
        self.setWindowTitle(f"{APP_NAME} settings")
        self.resize(900, 560)

        self.sources_tab = SourcesTab(prober=prober, secrets=secrets, settings=self.settings)
        self.sources_tab.model.fixed_period_s = fixed_period_s
        self.notifications_tab = NotificationsPage()
        self.general_tab = GeneralPage()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.sources_tab, "Sources")
        self.tabs.addTab(self.notifications_tab, "Notifications")
        self.tabs.addTab(self.general_tab, "General")
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #c62828;")
        self.message_label.hide()
        buttons = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(buttons.Ok | buttons.Apply | buttons.Cancel)
        self.ok_button = self.buttons.button(buttons.Ok)
        self.apply_button = self.buttons.button(buttons.Apply)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)

        self.sources_tab.check_requested.connect(self.check_requested)
        self.notifications_tab.test_requested.connect(self._test_notification)
        self.load()

    # --- loading ---
    def settings(self) -> Settings:
        """The settings as the tabs show them now (not yet applied)."""
        return self.general_tab.read(self.notifications_tab.read(self.loaded.settings))

    def load(self) -> bool:
        """Read the config file into the tabs; False (with the reason shown) when it is
        invalid — then nothing can be applied, so the file is never overwritten."""
        self.warnings = []
        try:
            config = self.store.load()
        except ConfigError as exc:
            self._show_message(f"The settings cannot be changed here: {exc}")
            self.ok_button.setEnabled(False)
            self.apply_button.setEnabled(False)
            return False
        self.ok_button.setEnabled(True)
        self.apply_button.setEnabled(True)
        self._show_message(None)
        self.loaded = config
        self.notifications_tab.load(config.settings)
        self.general_tab.load(config.settings)
        tab = self.sources_tab
        tab.pending_secrets.clear()
        tab.forget_undo()
        tab.stored_secrets = {s.id for s in config.sources if s.auth is not AuthKind.NONE}
        tab.model.reset(
            config.sources,
            config.settings,
            self._read_states(),
            self._read_activity(),
            self._clock(),
        )
        return True

    def present(self) -> None:
        """Load on open, then show and raise."""
        if not self.isVisible():
            self.load()
        self.show()
        self.raise_()
        self.activateWindow()

    def set_states(self, states: Mapping[str, FetchState]) -> None:
        self.sources_tab.model.set_states(states)

    def _read_states(self) -> Mapping[str, FetchState]:
        if self._states is None:
            return {}
        try:
            return self._states()
        except Exception as exc:  # status is extra information: show the table without it
            log.warning("source status unavailable for the settings dialog: %s", exc)
            return {}

    def _read_activity(self) -> Mapping[str, Sequence[datetime]]:
        if self._activity is None:
            return {}
        try:
            return self._activity()
        except Exception as exc:
            log.warning("activity unavailable for the settings dialog: %s", exc)
            return {}

    # --- applying ---
    def working_config(self) -> Config:
        return Config(settings=self.settings(), sources=tuple(self.sources_tab.model.sources))

    def apply(self) -> bool:
        """Validate, store secrets, write the config atomically. True when it was saved."""
        self.warnings = []
        if not self.notifications_tab.check():
            self.tabs.setCurrentWidget(self.notifications_tab)
            return False
        if not self.general_tab.check():
            self.tabs.setCurrentWidget(self.general_tab)
            return False
        working = self._store_secrets(self.working_config())
        loaded = self.loaded
        try:
            saved = self.store.update(lambda current: merge(loaded, working, current))
        except ConfigError as exc:
            self._show_message(f"Nothing was saved: {exc}")
            return False
        removed = self._forget_removed(loaded, saved)
        self._apply_autostart(loaded.settings, saved.settings)
        log.info("settings applied: %d sources", len(saved.sources))
        self.loaded = saved
        self.sources_tab.pending_secrets.clear()
        self.sources_tab.forget_undo()
        self.sources_tab.stored_secrets = {
            s.id for s in saved.sources if s.auth is not AuthKind.NONE
        }
        self.sources_tab.model.reset(
            saved.sources,
            saved.settings,
            self._read_states(),
            self._read_activity(),
            self._clock(),
        )
        self._show_message(" ".join(self.warnings) or None)
        if removed:
            self.sources_removed.emit(removed)
        self.applied.emit(saved)
        return True

    def accept(self) -> None:
        if self.apply() and not self.warnings:
            super().accept()

    def _store_secrets(self, working: Config) -> Config:
        """Put new secrets in the keyring. A source whose secret cannot be stored is saved
        without credentials (never with the secret anywhere else), and the dialog says so."""
        sources = []
        pending = self.sources_tab.pending_secrets
        for source in working.sources:
            secret = pending.get(source.id)
            if secret is not None and source.auth is not AuthKind.NONE:
                try:
                    self.secrets.set(source.id, secret)
                except SecretsError as exc:
                    before = self.loaded.find_source(source.id)
                    if before is not None and before.auth is not AuthKind.NONE:
                        # it keeps signing in as before, with the secret stored earlier
                        self.warnings.append(
                            f"The new password or token of “{source.name}” was not stored; "
                            f"it keeps the one stored before: {exc}"
                        )
                        source = replace(
                            source,
                            auth=before.auth,
                            username=before.username,
                            auth_header=before.auth_header,
                        )
                    else:
                        self.warnings.append(
                            f"“{source.name}” was saved without its password or token: {exc}"
                        )
                        source = replace(
                            source, auth=AuthKind.NONE, username=None, auth_header=None
                        )
            sources.append(source)
        return Config(settings=working.settings, sources=tuple(sources))

    def _forget_removed(self, loaded: Config, saved: Config) -> list[str]:
        """Delete the keyring secrets of removed sources and of sources that no longer sign in."""
        kept = {s.id: s for s in saved.sources}
        removed = [s.id for s in loaded.sources if s.id not in kept]
        for source in loaded.sources:
            after = kept.get(source.id)
            if source.auth is AuthKind.NONE or (
                after is not None and after.auth is not AuthKind.NONE
            ):
                continue
            try:
                self.secrets.delete(source.id)
            except SecretsError as exc:
                log.warning("the keyring secret of %s was not removed: %s", source.name, exc)
                self.warnings.append(f"The stored secret of “{source.name}” was not removed: {exc}")
        return removed

    def _apply_autostart(self, before: Settings, after: Settings) -> None:
        label = self.general_tab.autostart_label
        if before.start_at_login == after.start_at_login:
            return
        try:
            self._autostart(after.start_at_login)
        except ConfigError as exc:
            set_error(label, str(exc))
            self.warnings.append(f"Start at login was not changed: {exc}")

    # --- other ---
    def _test_notification(self) -> None:
        self.notifications_tab.test_label.setText("Sent a test notification.")
        self.test_notification_requested.emit(self.settings())

    def _show_message(self, text: str | None) -> None:
        set_error(self.message_label, text)
