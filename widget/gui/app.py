"""The tray app's composition root: builds every object once, in a fixed and logged order, and
wires their signals. Nothing else in the GUI creates services or reads the environment."""

from __future__ import annotations

import gc
import logging
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from widget import APP_ID, APP_NAME, APP_SLUG
from widget.core.errors import ConfigError, StorageError
from widget.core.models import Entry, PollResult, SourceKind, SourceStatus
from widget.core.policy import Notification
from widget.core.urls import is_web_url
from widget.desktop.appid import integrate_at_startup
from widget.gui.app_window import build_window as _build_window
from widget.gui.dispatch import Dispatcher
from widget.gui.icons import app_icon, notification_icon_file
from widget.gui.ledger import NotifiedLedger
from widget.gui.memory import forget_source_lines, trim
from widget.gui.poll_process import PollProcess
from widget.gui.poller import Poller
from widget.gui.settings.link import connect_settings_lazily
from widget.gui.single_instance import SingleInstance
from widget.gui.tray import DndChoice, Tray, dnd_until
from widget.gui.window.window import KeyPointsWindow
from widget.log import configure_logging
from widget.notify.base import Action, CloseReason, Notifier
from widget.notify.freedesktop import FreedesktopBackend, activation_environment
from widget.notify.systray import SystrayBackend
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.storage.db import Database
from widget.unattended import Unattended

log = logging.getLogger(__name__)

TRAY_WAIT_S = 3.0  # no tray host by then: window mode
TRAY_POLL_MS = 250
TRAY_WATCH_MS = 2000  # in window mode: is there a tray host now?
QUIT_JOIN_S = 2.0
DEMO_CHECK_S = 10.0
LEDGER_NAME = "notified-until"
TRIM_DELAY_MS = 1500  # after a poll result: the window has reloaded its list by then


def open_in_browser(url: str) -> None:
    """Hand an http(s) URL to the desktop's default browser."""
    if not QDesktopServices.openUrl(QUrl(url)):
        log.warning("the desktop could not open %s", url)


class UrlLog:
    """Test mode: opened URLs are appended to a file instead of launching a browser."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, url: str) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(url + "\n")
        log.info("test mode: recorded URL %s", url)


class _ClickRelay(QObject):
    """Notification clicks arrive on a backend thread; this re-emits them on the GUI thread."""

    activated = Signal(object, object)  # Notification, Action
    closed = Signal(object, object)  # Notification, CloseReason
    error = Signal(object)  # str


@dataclass
class App:
    """Everything ``run_app`` built, kept alive together (and handy for tests)."""

    qt: QApplication
    paths: AppPaths
    db: Database
    engine: PollProcess
    tray: Tray
    notifier: Notifier
    dispatcher: Dispatcher
    controller: Poller
    window: KeyPointsWindow
    instance: SingleInstance
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    open_url: Callable[[str], None] = open_in_browser
    statuses: list[SourceStatus] = field(default_factory=list)
    window_mode: bool = False  # no system tray: the window is the app's home

    # --- clicks and menu ---
    def on_activated(self, notification: Notification, action: Action) -> None:
        log.info("notification %r: %s", notification.summary, action.value)
        if action is Action.MARK_READ:
            for source_id, entry_id in notification.entries:
                self.controller.mark_read(source_id, entry_id)
            self.dispatcher.entries_read(notification.entries)
            return
        if notification.opens_window or notification.key is None:
            self.window.show_and_raise()
            return
        with activation_environment(notification.activation_token):
            self.open_entry(notification.key, notification.url)

    def on_closed(self, notification: Notification, reason: CloseReason) -> None:
        """A notification the user dismissed counts as seen: its entries are marked read."""
        if reason is not CloseReason.DISMISSED:
            return
        keys = notification.entries or ((notification.key,) if notification.key else ())
        for source_id, entry_id in keys:
            self.controller.mark_read(source_id, entry_id)

    def open_entry(self, key: tuple[str, str], url: str | None) -> None:
        if url is not None and is_web_url(url):
            self.open_url(url)
        else:
            log.warning("not opening %r: only http(s) links are opened", url)
            self.window.show_and_raise()
        self.controller.mark_read(*key)

    def set_dnd(self, choice: DndChoice) -> None:
        until = dnd_until(choice, datetime.now().astimezone())
        self.dispatcher.set_dnd(until)
        self.tray.update(dnd_until=until)
        self.window.set_dnd_until(None if until is None else until.strftime("%H:%M"))
        if until is not None:
            ms = int((until - datetime.now().astimezone()).total_seconds() * 1000) + 500
            QTimer.singleShot(max(0, ms), self.tray.refresh)

    def set_paused(self, paused: bool) -> None:
        self.controller.set_paused(paused)
        self.dispatcher.set_paused(paused)
        self.tray.update(paused=paused)
        self.window.set_paused(paused)

    def show_window(self) -> None:
        """A second launch asked for the window."""
        if self.instance.role == "demo":
            self.window.set_notice(DEMO_NOTE.format(app=APP_NAME))
        self.window.show_and_raise()

    # --- worker results ---
    def on_polled(self, result: PollResult, away: bool) -> None:
        when = result.finished.astimezone()
        self.window.set_polling(False)
        if not result.results and not self.statuses:
            # nothing was checked: "Last update: just now" would claim a check that never was
            self.tray.update(polling=False, progress=(0, 0), problem="")
            self.window.set_status("No sources to check yet.")
        else:
            self.tray.update(last_update=when, polling=False, progress=(0, 0), problem="")
            self.window.set_last_update(result.finished)
        if result.new_entries:
            log.info("%d new entries%s", len(result.new_entries), " (while away)" if away else "")
        self.dispatcher.offer(result.new_entries, away=away)
        self.dispatcher.offer_key_points(result.key_points_changes)
        for change in result.key_points_changes:
            self.window.mark_new_points(change.source_id, change.added)
        if result.stored_count or any(r.updated_count for r in result.results):
            QTimer.singleShot(TRIM_DELAY_MS, self.release_memory)

    def release_memory(self) -> None:
        """Idle again (a poll handled, the window let go of its rows): the store connections'
        page caches, then the process's free heap pages, go back to the system."""
        shrunk = [
            store.release_memory()
            for store in (self.db, self.window.model.store)
            if isinstance(store, Database)
        ]
        log.debug("page caches released: %s", shrunk)
        release_memory()

    def on_recovered(self, entries: tuple[Entry, ...]) -> None:
        self.dispatcher.offer(entries, away=True)

    def on_statuses(self, statuses: list[SourceStatus]) -> None:
        self.statuses = statuses
        failing = tuple(
            s.source.name
            for s in statuses
            if s.source.enabled and (s.state.error_count > 0 or s.state.disabled_reason)
        )
        self.dispatcher.live_sources = {
            s.source.id for s in statuses if s.source.kind is SourceKind.LIVE_PAGE
        }
        self.dispatcher.source_notify = {s.source.id: s.source.notify for s in statuses}
        self.tray.update(failing=failing)
        self.window.set_statuses(statuses)

    def on_failed(self, message: str) -> None:
        self.tray.update(polling=False, problem=message)
        self.window.set_status(message)

    def quit(self) -> None:
        """Quit even while the window is open: ``QApplication.quit()`` first asks every window
        to close, and the key-points window answers a close by hiding, which cancels the quit."""
        self.qt.exit(0)

    def shutdown(self) -> None:
        """Stop in reverse start order. The worker is cancelled and joined first."""
        log.info("shutting down")
        self.controller.shutdown(QUIT_JOIN_S)
        self.tray.hide()
        self.notifier.close()
        self.engine.close()
        self.db.close()
        self.instance.release()
        for cleanup in reversed(self.cleanups):
            cleanup()
        log.info("stopped")


def _setup_logging(paths: AppPaths, verbose: bool) -> None:
    """The rotating log file in the platform log folder, secrets masked (widget.log)."""
    configure_logging(paths, verbose=verbose)


def _fatal(title: str, message: str) -> int:
    log.error("%s: %s", title, message)
    print(f"{APP_SLUG}: {message}", file=sys.stderr)
    from PySide6.QtWidgets import QMessageBox  # only for errors: it costs ~1.3 MB resident

    box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME}: {title}", message)
    if not Unattended.from_environment().active:  # nobody would be there to click it
        box.exec()
    return 2


def _already_running(role: str | None) -> int:
    """A second launch: the running instance was asked to show its window (0), or it holds the
    guard but does not answer (1)."""
    if role is None:
        print(f"{APP_SLUG}: {APP_NAME} is already running but does not answer.", file=sys.stderr)
        return 1
    if role == "demo":
        print(
            f"{APP_SLUG}: the {APP_NAME} demo (--demo) is running; its window is shown. "
            "Quit it to start with your own sources.",
            file=sys.stderr,
        )
    else:
        print(f"{APP_SLUG}: {APP_NAME} is already running; its window is shown.", file=sys.stderr)
    return 0


def _notification_icon(paths: AppPaths) -> str:
    """The icon file for daemons that cannot find the icon by name ("" when they can)."""
    try:
        found = notification_icon_file(paths.cache_dir, APP_ID)
    except OSError as exc:
        log.warning("no icon file for notifications: %s", exc)
        return ""
    return str(found) if found is not None else ""


def _write_modules(path: Path) -> None:
    path.write_text("\n".join(sorted(sys.modules)) + "\n", encoding="utf-8")


def release_memory() -> None:
    """Hand back what a poll or start-up left behind: cached module sources (lazy imports
    refill them) and free heap pages."""
    files = forget_source_lines()
    trimmed = trim()
    log.debug("released memory: %d cached source files dropped, heap trimmed: %s", files, trimmed)


WINDOW_MODE_NOTE = (
    "There is no system tray here, so {app} lives in this window. Closing it keeps {app} "
    "running in the background: start {app} again (from the launcher) to bring the window "
    "back, or choose ⋯ → Quit to stop it. {notifications}"
)
DEMO_NOTE = (
    "This is the {app} demo (--demo), with its own source and nothing saved. Quit it to start "
    "{app} with your own sources."
)


def wait_for_tray(app: App, timeout_s: float | None = None) -> None:
    """Show the tray icon once a system tray exists (desktops start it late). If none appears
    within ``timeout_s`` (default ``TRAY_WAIT_S``), run in window mode: the window shows at
    once, with every tray action in its menu and a note saying how to get it back after
    closing, and how notifications are shown. A tray host that appears later — an XEmbed tray
    taking the ``_NET_SYSTEM_TRAY_S<n>`` selection or a StatusNotifierWatcher on the bus, both of
    which Qt's ``isSystemTrayAvailable`` asks about afresh — gets the icon then."""
    limit = TRAY_WAIT_S if timeout_s is None else timeout_s
    started = time.monotonic()
    timer = QTimer(app.tray)
    timer.setInterval(TRAY_POLL_MS)

    def check() -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            timer.stop()
            app.tray.renew()  # the first icon was made before this tray existed
            app.tray.show()
            if app.window_mode:
                app.window_mode = False
                app.window.set_notice("")
                log.info("a system tray appeared: the app moves to it")
            else:
                log.info("tray icon shown after %.1f s", time.monotonic() - started)
            return
        if not app.window_mode and time.monotonic() - started >= limit:
            enter_window_mode(app, limit)
            timer.setInterval(TRAY_WATCH_MS)

    timer.timeout.connect(check)
    if QSystemTrayIcon.isSystemTrayAvailable():
        app.tray.show()
        log.info("tray icon shown")
    else:
        log.info("waiting up to %g s for a system tray", limit)
        timer.start()


def enter_window_mode(app: App, waited_s: float) -> None:
    app.window_mode = True
    note = WINDOW_MODE_NOTE.format(app=APP_NAME, notifications=app.notifier.describe())
    log.warning("no system tray within %g s: window mode. %s", waited_s, note)
    app.window.set_notice(note)
    app.window.show_and_raise()


def run_app(
    *, demo: bool = False, verbose: bool = False, on_ready: Callable[[App], None] | None = None
) -> int:
    """Start the tray app; returns the exit status. ``demo`` watches the built-in demo page for
    this run only, with a throw-away data folder; ``verbose`` also logs to stderr. ``on_ready``
    is called with the built app just before the event loop starts (benchmarks and tests)."""
    integrate_at_startup()  # Windows: the AppUserModelID, before any window or toast
    existing = QApplication.instance()
    qt = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    qt.setApplicationName(APP_SLUG)
    qt.setApplicationDisplayName(APP_NAME)
    qt.setDesktopFileName(APP_ID)
    qt.setQuitOnLastWindowClosed(False)
    qt.setWindowIcon(app_icon())

    cleanups: list[Callable[[], None]] = []
    paths = AppPaths.default()
    # Keyed by the user's config folder even for the demo: a plain launch during the demo
    # finds the demo and shows it, instead of starting a second app on the same log.
    instance = SingleInstance(paths.config_dir, role="demo" if demo else "app")
    if not instance.acquire():
        return _already_running(instance.running)
    if demo:
        from widget.demo import DemoServer, demo_config_store

        tmp = tempfile.TemporaryDirectory(prefix=f"{APP_SLUG}-demo-")
        cleanups.append(tmp.cleanup)
        base = Path(tmp.name)
        paths = AppPaths(base / "config", base / "data", base / "cache", paths.log_dir)
        server = DemoServer().start()
        cleanups.append(server.stop)
    _setup_logging(paths, verbose)
    log.info("1/8 Qt application and single-instance guard ready (demo=%s)", demo)
    try:
        paths.ensure()
        config = demo_config_store(paths, server.url) if demo else ConfigStore(paths.config_file)
        settings = config.load().settings
        log.info("2/8 config loaded from %s", "memory (demo)" if demo else config.path)
        db = Database.open(paths.database_file)
        log.info("3/8 database open: %s", paths.database_file)
    except (ConfigError, StorageError, OSError) as exc:
        instance.release()
        for cleanup in reversed(cleanups):
            cleanup()
        return _fatal("cannot start", str(exc))
    engine = PollProcess(config, db, in_memory=demo)
    log.info("4/8 engine ready (each poll runs in a child process)")
    tray = Tray()
    tray.follow_palette()
    log.info("5/8 tray icon built")
    relay = _ClickRelay()
    backends = (
        FreedesktopBackend(app_icon=APP_ID, image_path=_notification_icon(paths)),
        SystrayBackend(lambda: tray.icon),
    )
    notifier = Notifier(
        backends,
        on_activated=lambda n, a: relay.activated.emit(n, a),
        on_closed=lambda n, r: relay.closed.emit(n, r),
        on_error=lambda message: relay.error.emit(message),
    )
    dispatcher = Dispatcher(notifier, settings)
    log.info("6/8 notifications ready (backends start on first use)")
    controller = Poller(
        engine,
        db,
        ledger=NotifiedLedger(paths.data_dir / LEDGER_NAME),
        fixed_interval_s=DEMO_CHECK_S if demo else None,
    )
    window = _build_window(paths, db, engine, controller, tray, cleanups, config)
    app = App(qt, paths, db, engine, tray, notifier, dispatcher, controller, window, instance)
    app.cleanups.extend(cleanups)
    _wire(app, relay)
    connect_settings_lazily(app, config)
    log.info("7/8 window and worker wired")
    unattended = Unattended.from_environment()
    if unattended.url_log is not None:
        app.open_url = UrlLog(unattended.url_log)
    modules_log = unattended.modules_log
    if modules_log is not None:
        controller.polled.connect(lambda *_: _write_modules(modules_log))
    wait_for_tray(app)
    controller.start()
    qt.aboutToQuit.connect(app.shutdown)
    _quit_on_signals(qt)
    release_memory()
    log.info("8/8 started: polling in the background")
    if on_ready is not None:
        on_ready(app)
    # Everything built so far lives as long as the app: keep it out of the cyclic garbage
    # collector, whose full passes over it would hold every thread (the GUI too) for ~40 ms
    # each while a big poll allocates.
    gc.freeze()
    return int(qt.exec())


class _SignalWaker(QObject):
    """SIGTERM/SIGINT quit cleanly (worker joined, store closed). Python runs signal handlers
    only when the interpreter wakes, so the wake-up byte goes to a socket that Qt watches —
    no polling timer."""

    def __init__(self, qt: QApplication) -> None:
        super().__init__(qt)
        self._qt = qt
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woke)
        signal.set_wakeup_fd(self._writer.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        log.info("asked to stop by signal %d", signum)

    def _woke(self) -> None:
        try:
            self._reader.recv(64)
        except BlockingIOError:
            log.debug("signal wake-up with nothing to read")
        self._qt.exit(0)  # not quit(): an open window would cancel it (see App.quit)


def _quit_on_signals(qt: QApplication) -> None:
    _SignalWaker(qt)


def _wire(app: App, relay: _ClickRelay) -> None:
    tray, ctl, win = app.tray, app.controller, app.window
    relay.activated.connect(app.on_activated)
    relay.closed.connect(app.on_closed)
    win.mark_read_requested.connect(
        lambda keys, read: app.dispatcher.entries_read(keys if read else ())
    )
    win.mark_all_read_requested.connect(lambda: app.dispatcher.entries_read(None))
    relay.error.connect(lambda m: log.warning("notifications: %s", m))
    tray.show_window_requested.connect(win.show_and_raise)
    tray.toggle_window_requested.connect(win.toggle)
    tray.refresh_requested.connect(ctl.refresh_now)
    tray.pause_toggled.connect(app.set_paused)
    tray.dnd_requested.connect(app.set_dnd)
    tray.quit_requested.connect(app.quit)
    app.instance.show_requested.connect(app.show_window)
    win.opener = lambda url: app.open_url(url)  # test mode swaps app.open_url
    win.opened.connect(lambda key, url: log.info("opened %s (%s)", url, key[1]))
    win.refresh_requested.connect(ctl.refresh_now)
    win.pause_toggled.connect(app.set_paused)
    win.dnd_requested.connect(app.set_dnd)
    win.quit_requested.connect(app.quit)
    win.released.connect(app.release_memory)
    ctl.poll_started.connect(lambda _force: tray.update(polling=True))
    ctl.progress.connect(lambda done, total: tray.update(polling=True, progress=(done, total)))
    ctl.progress.connect(win.set_progress)
    ctl.polled.connect(app.on_polled)
    ctl.recovered.connect(app.on_recovered)
    ctl.failed.connect(app.on_failed)
    ctl.unread_changed.connect(lambda n: tray.update(unread=n))
    ctl.next_poll_changed.connect(
        lambda due: tray.update(next_check=None if due is None else due.astimezone())
    )
    ctl.unread_changed.connect(win.set_unread)
    ctl.store_changed.connect(win.schedule_reload)
    ctl.stored_elsewhere.connect(app.dispatcher.offer)
    app.dispatcher.held_changed.connect(ctl.keep_held)
    ctl.statuses_changed.connect(app.on_statuses)
