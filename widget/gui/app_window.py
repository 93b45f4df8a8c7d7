"""The tray app's key-points window, built and wired to the poller: reads through its own
read-only connection and writes (read marks) on the store worker, site icons from a poll
process, muting through the config file. Part of the composition root (``gui.app``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings

from widget.core.errors import ConfigError
from widget.gui.poll_process import PollProcess
from widget.gui.poller import Poller, run_aside
from widget.gui.tray import Tray
from widget.gui.window.favicons import Favicons
from widget.gui.window.window import KeyPointsWindow, muted
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.storage.db import Database

log = logging.getLogger(__name__)


def build_window(
    paths: AppPaths,
    db: Database,
    engine: PollProcess,
    ctl: Poller,
    tray: Tray,
    cleanups: list[Callable[[], None]],
    config: ConfigStore,
) -> KeyPointsWindow:
    """The key-points window reads through its own read-only connection on the store worker,
    which also makes its writes (read marks); site icons come from a poll process; muting a
    source edits the config file."""
    reader = Database.open(db.path, readonly=True)
    cleanups.append(reader.close)
    icons = favicons_for(paths.cache_dir, engine)
    settings = QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
    win = KeyPointsWindow(
        reader,
        favicons=icons,
        settings=settings,
        anchor=tray.icon.geometry,
        submit=ctl.run_in_worker,  # store reads off the GUI thread, beside a running poll
    )

    def mark(keys: list[tuple[str, str]], read: bool) -> None:
        def write() -> None:
            for source_id, entry_id in keys:
                db.set_read(source_id, entry_id, read)

        ctl.run_in_worker("marking entries read", write, refresh_lists=True)

    def mute(source_id: str) -> None:
        try:
            config.update(lambda c: muted(c, source_id))
        except ConfigError as exc:
            log.error("could not mute a source: %s", exc)
            win.set_status(f"Could not mute the source: {exc}")
            return
        win.set_status("Source muted: its entries still appear here, without notifications.")

    win.mark_read_requested.connect(mark)
    win.mark_all_read_requested.connect(
        lambda: ctl.run_in_worker("marking all read", db.mark_all_read, refresh_lists=True)
    )
    win.mute_requested.connect(mute)
    win.retry_requested.connect(ctl.check_sources)  # only the failing sources
    return win


def favicons_for(cache_dir: Path, engine: PollProcess) -> Favicons:
    """Site icons fetched by a poll process, on a thread of their own (neither a poll nor a
    read mark waits for them)."""
    return Favicons(
        cache_dir, fetch=lambda urls: engine.fetch_icons(urls, cache_dir), submit=run_aside
    )


__all__ = ["build_window", "favicons_for"]
