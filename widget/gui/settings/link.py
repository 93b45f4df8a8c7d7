"""The tray's "Settings…" and the window's "Source settings…" / "Add a source…", wired at start-up
while the settings dialog's modules (dialog, pages, editor, OPML) load only when first opened:
most runs never open settings, and those modules would stay in memory for the whole run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from typing import Protocol

    from widget.gui.settings.host import SettingsHost, _AppLike
    from widget.gui.tray import Tray
    from widget.gui.window.window import KeyPointsWindow
    from widget.storage.config import ConfigStore

    class _LinkApp(_AppLike, Protocol):
        """The running app as seen from here: what the settings host uses, and the tray and
        window they are opened from (the app passes itself; this module never imports
        ``gui.app``, which imports this one)."""

        tray: Tray
        window: KeyPointsWindow


class LazySettings(QObject):
    """Builds the ``SettingsHost`` (and imports the settings modules) on first use."""

    def __init__(self, app: _AppLike, config: ConfigStore) -> None:
        super().__init__(app.controller)
        self._app = app
        self._config = config
        self._host: SettingsHost | None = None

    @property
    def loaded(self) -> bool:
        return self._host is not None

    @property
    def host(self) -> SettingsHost:
        if self._host is None:
            from widget.gui.settings.host import host_for

            self._host = host_for(self._app, self._config, parent=self)
        return self._host

    def open(self) -> None:
        self.host.open()

    def open_source(self, source_id: str) -> None:
        self.host.open_source(source_id)

    def add_source(self) -> None:
        self.host.add_source()


def connect_settings_lazily(app: _LinkApp, config: ConfigStore) -> LazySettings:
    """Wire the settings entry points of the tray and the window; nothing is imported yet."""
    link = LazySettings(app, config)
    app.tray.settings_requested.connect(link.open)
    app.window.settings_requested.connect(link.open)
    app.tray.settings_available = True
    app.window.source_settings_requested.connect(link.open_source)
    app.window.add_source_requested.connect(link.add_source)
    return link
