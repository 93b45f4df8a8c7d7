"""The settings dialog driven like a user would, against a loopback server and a real config file:
add with preview, edit, remove and undo, cancel, validation at the field, reorder, OPML, start at
login; with screenshots of each tab."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.rig import Rig
from tests.support.feeds import RSS, Post, rss
from tests.support.menus import find_action
from tests.support.notify_session import RecordingBackend
from tests.support.server import LoopbackServer
from tests.support.session import SessionBus, private_session_bus, unlocked_keyring
from widget import APP_ID
from widget.core.models import AuthKind, Settings, Source, SourceKind
from widget.desktop.autostart import set_enabled
from widget.gui.dispatch import Dispatcher
from widget.gui.poller import Poller
from widget.gui.settings.dialog import SettingsDialog
from widget.gui.settings.editor import SourceEditor
from widget.gui.settings.host import SettingsHost
from widget.gui.settings.link import connect_settings_lazily
from widget.gui.settings.model import Col
from widget.gui.tray import Tray
from widget.notify.base import Notifier
from widget.storage.secrets import SecretStore

WAIT = 20_000
ARTIFACTS = Path(__file__).parent.parent / "artifacts" / "latest"  # curated copies: one up
POINTS = (
    "<p>The council met late.</p><ul><li>Ferries resume at noon</li><li>Bridge stays shut</li></ul>"
)


def harbour_feed() -> bytes:
    return rss(
        [
            Post("h-1", "Ferry service resumes after storm", "https://example.org/h/1", POINTS),
            Post("h-2", "Harbour wall repairs start Monday", "https://example.org/h/2"),
        ],
        title="Harbour Town Bulletin",
    )


def discovery_page(feed_path: str) -> str:
    return (
        "<!doctype html><html><head><title>Harbour Town</title>"
        f'<link rel="alternate" type="application/rss+xml" href="{feed_path}"></head>'
        "<body><p>Front page</p></body></html>"
    )


@pytest.fixture
def rig(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    # No session bus: these tests never reach a real keyring (the keyring tests bring their own).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
    r = Rig(tmp_path / "app")
    yield r
    r.close()


def make_dialog(qtbot: QtBot, rig: Rig, **kwargs: object) -> SettingsDialog:
    dialog = SettingsDialog(
        rig.config,
        prober=rig.engine.probe,
        secrets=kwargs.pop("secrets", SecretStore()),  # type: ignore[arg-type]
        states=lambda: rig.db.all_states(),
        activity=lambda: rig.db.first_seen_since(rig.clock() - timedelta(hours=24)),
        **kwargs,  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.present()
    _open_dialogs.append(dialog)
    return dialog


_open_dialogs: list[SettingsDialog] = []


@pytest.fixture(autouse=True)
def _finish_probes(qtbot: QtBot) -> Iterator[None]:
    """Probes still running when a test ends finish before the dialog goes away."""
    yield
    while _open_dialogs:
        _open_dialogs.pop().sources_tab.runner.wait(WAIT)


def config_bytes(rig: Rig) -> bytes | None:
    path = rig.config.path
    return path.read_bytes() if path.exists() else None


def preview(qtbot: QtBot, editor: SourceEditor, url: str) -> bool:
    editor.url_edit.setText(url)
    with qtbot.waitSignal(editor.probe_done, timeout=WAIT) as blocker:
        assert editor.start_preview()
    return bool(blocker.args[0])


def tree_texts(editor: SourceEditor) -> list[str]:
    out = []
    tree = editor.preview_tree
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        assert item is not None
        out.append(item.text(0))
        for j in range(item.childCount()):
            child = item.child(j)
            assert child is not None
            out.append(child.text(0))
    return out


def test_add_finds_the_feed_behind_a_page_previews_it_and_saves_on_apply(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    feed_url = server.route("/feed.xml", harbour_feed(), content_type=RSS)
    page_url = server.route("/", discovery_page("/feed.xml"), content_type="text/html")
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()

    assert preview(qtbot, editor, page_url)
    assert "Found a feed at " + feed_url in editor.status_label.text()
    assert tree_texts(editor) == [
        "Ferry service resumes after storm",
        "• Ferries resume at noon",
        "• Bridge stays shut",
        "Harbour wall repairs start Monday",
    ]
    assert editor.name_edit.text() == "Harbour Town Bulletin"
    assert config_bytes(rig) is None  # nothing is saved while previewing

    editor.accept()
    assert editor.result() == SourceEditor.DialogCode.Accepted
    assert [s.name for s in dialog.sources_tab.model.sources] == ["Harbour Town Bulletin"]
    note = dialog.sources_tab.message_label
    assert note.text() == "“Harbour Town Bulletin” will be added when you apply the settings."
    assert config_bytes(rig) is None  # nor before Apply
    with qtbot.waitSignal(dialog.applied) as applied:
        dialog.apply_button.click()
    assert note.text() == ""  # applied: nothing is waiting any more
    saved = rig.config.load()
    assert applied.args[0] == saved
    assert [(s.name, s.url, s.kind) for s in saved.sources] == [
        ("Harbour Town Bulletin", feed_url, SourceKind.FEED)
    ]


def test_add_without_preview_probes_first_then_adds(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    feed_url = server.route("/feed.xml", harbour_feed(), content_type=RSS)
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()
    editor.url_edit.setText(feed_url)
    editor.name_edit.setText("Harbour news")
    with qtbot.waitSignal(editor.accepted, timeout=WAIT):
        editor.ok_button.click()
    assert not editor.isVisible()
    dialog.ok_button.click()
    assert not dialog.isVisible()
    assert [s.name for s in rig.config.load().sources] == ["Harbour news"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.org/feed", "The URL must start with http:// or https://."),
        ("harbour news", "The URL must start with http:// or https://."),
        ("https://", "The URL must be a complete web address"),
    ],
)
def test_invalid_urls_are_explained_at_the_field(
    qtbot: QtBot, rig: Rig, url: str, message: str
) -> None:
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()
    editor.url_edit.setText(url)
    editor.ok_button.click()
    assert editor.isVisible()
    assert editor.errors["url"].isVisibleTo(editor)
    assert editor.errors["url"].text().startswith(message)
    assert dialog.sources_tab.model.sources == []


def test_fetch_errors_are_explained_inline_and_nothing_is_added(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    missing = server.url("/gone.xml")
    not_a_feed = server.route(
        "/plain", "<html><body>No feed here</body></html>", content_type="text/html"
    )
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()
    assert not preview(qtbot, editor, missing)
    assert "404" in editor.errors["url"].text()
    assert editor.errors["url"].text().startswith("Could not use this address:")

    editor.url_edit.setText(not_a_feed)
    with qtbot.waitSignal(editor.probe_done, timeout=WAIT) as done:
        editor.ok_button.click()  # OK probes first; a failure keeps the editor open
    assert done.args == [False]
    assert editor.isVisible()
    assert "no feed or live page" in editor.errors["url"].text()
    assert dialog.sources_tab.model.sources == []
    dialog.ok_button.click()
    assert rig.config.load().sources == ()


def test_a_refused_sign_in_says_what_to_do(qtbot: QtBot, rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/private.xml", "sign in first", status=401, content_type="text/plain")
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()
    assert not preview(qtbot, editor, url)
    assert editor.errors["url"].text() == (
        "Could not use this address: HTTP 401 Unauthorized. "
        "It needs a sign-in: choose one under Sign-in."
    )
    editor.set_auth_kind(AuthKind.BASIC)
    editor.username_edit.setText("reader")
    editor.secret_edit.setText("not-the-password")
    assert not preview(qtbot, editor, url)
    assert (
        editor.errors["url"]
        .text()
        .endswith("The server refused the sign-in: check the user name and password.")
    )
    assert "not-the-password" not in editor.errors["url"].text()


def test_an_address_that_is_already_a_source_is_refused_at_the_field(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    url = server.route("/a.xml", harbour_feed(), content_type=RSS)
    rig.add("Harbour", url)
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()
    assert preview(qtbot, editor, url)
    message = "This address is already a source, named “Harbour”."
    assert editor.errors["url"].text() == message  # said with the preview
    editor.name_edit.setText("Harbour again")
    editor.ok_button.click()
    assert editor.isVisible() and editor.result_source is None
    assert editor.errors["url"].text() == message
    editor.reject()
    dialog.ok_button.click()
    assert [s.name for s in rig.config.load().sources] == ["Harbour"]


def seed(rig: Rig, server: LoopbackServer) -> tuple[Source, Source, Source]:
    a = rig.add("Harbour", server.route("/a.xml", harbour_feed(), content_type=RSS))
    b = rig.add("Valley", server.route("/b.xml", harbour_feed(), content_type=RSS))
    c = rig.add("Ferries", server.route("/c.xml", harbour_feed(), content_type=RSS))
    return a, b, c


def test_edit_shows_problems_at_their_fields_then_saves(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    a, b, _ = seed(rig, server)
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.edit_source(0)
    assert editor is not None and editor.url_edit.text() == a.url
    editor.name_edit.setText("valley")  # another source's name, in other case
    editor.include_edit.setText("storm, /ferr(y|ies/")
    editor.ok_button.click()
    assert editor.isVisible()
    assert editor.errors["name"].text() == "The name another source is already called 'Valley'."
    assert editor.errors["include"].text().startswith("“/ferr(y|ies/” is not a valid regular")
    assert not editor.errors["exclude"].isVisibleTo(editor)

    editor.name_edit.setText("Harbour live")
    editor.include_edit.setText("storm, /ferr(y|ies)/")
    editor.exclude_edit.setText("weather")
    editor.interval_spin.setValue(7)
    editor.notify_check.setChecked(False)
    editor.ok_button.click()
    assert not editor.isVisible()
    dialog.ok_button.click()
    saved = rig.config.load().sources[0]
    assert saved == replace(
        a,
        name="Harbour live",
        include=("storm", "/ferr(y|ies)/"),
        exclude=("weather",),
        interval_minutes=7,
        notify=False,
    )
    assert rig.config.load().sources[1] == b


def test_remove_can_be_undone_and_applies_with_ok(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    a, b, c = seed(rig, server)
    dialog = make_dialog(qtbot, rig)
    tab = dialog.sources_tab
    tab.select_row(1)
    tab.remove_button.click()
    assert [s.name for s in tab.model.sources] == ["Harbour", "Ferries"]
    assert tab.undo_button.isVisibleTo(dialog)
    assert "Removed “Valley”" in tab.undo_label.text()
    tab.undo_button.click()
    assert [s.name for s in tab.model.sources] == ["Harbour", "Valley", "Ferries"]
    assert not tab.undo_button.isVisibleTo(dialog)
    assert rig.config.load().sources == (a, b, c)

    tab.select_row(0)
    tab.remove_button.click()
    with qtbot.waitSignal(dialog.sources_removed) as removed:
        dialog.ok_button.click()
    assert removed.args[0] == [a.id]
    assert rig.config.load().sources == (b, c)


def test_cancel_leaves_the_config_file_untouched(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    seed(rig, server)
    before = config_bytes(rig)
    dialog = make_dialog(qtbot, rig)
    tab = dialog.sources_tab
    tab.select_row(0)
    tab.remove_button.click()
    tab.model.setData(
        tab.model.index(0, Col.ENABLED),
        Qt.CheckState.Unchecked.value,
        Qt.ItemDataRole.CheckStateRole,
    )
    dialog.notifications_tab.batch_spin.setValue(9)
    dialog.general_tab.retention_days_spin.setValue(3)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible()
    assert config_bytes(rig) == before
    # opening again loads the file, not the discarded edits
    dialog.present()
    assert [s.name for s in tab.model.sources] == ["Harbour", "Valley", "Ferries"]
    assert dialog.notifications_tab.batch_spin.value() == Settings().batch_threshold


def test_enable_disable_and_notify_toggles_are_saved(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    seed(rig, server)
    dialog = make_dialog(qtbot, rig)
    model = dialog.sources_tab.model
    role = Qt.ItemDataRole.CheckStateRole
    assert model.data(model.index(1, Col.ENABLED), role) == Qt.CheckState.Checked
    model.setData(model.index(1, Col.ENABLED), Qt.CheckState.Unchecked.value, role)
    model.setData(model.index(2, Col.NOTIFY), Qt.CheckState.Unchecked.value, role)
    dialog.apply_button.click()
    saved = rig.config.load().sources
    assert [(s.enabled, s.notify) for s in saved] == [(True, True), (False, True), (True, False)]


def test_drag_and_buttons_reorder_sources(qtbot: QtBot, rig: Rig, server: LoopbackServer) -> None:
    seed(rig, server)
    dialog = make_dialog(qtbot, rig)
    tab = dialog.sources_tab
    model = tab.model
    data: QMimeData = model.mimeData([model.index(0, Col.NAME)])
    # dropping row 0 between rows 2 and 3 (i.e. at the end)
    model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert [s.name for s in model.sources] == ["Valley", "Ferries", "Harbour"]
    tab.select_row(2)
    tab.up_button.click()
    assert [s.name for s in model.sources] == ["Valley", "Harbour", "Ferries"]
    assert tab.current_row() == 1
    dialog.ok_button.click()
    assert [s.name for s in rig.config.load().sources] == ["Valley", "Harbour", "Ferries"]


def test_settings_validation_is_shown_at_the_field_and_nothing_is_saved(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    seed(rig, server)
    before = config_bytes(rig)
    dialog = make_dialog(qtbot, rig)
    notes = dialog.notifications_tab
    notes.quiet_group.setChecked(True)
    for check in notes.day_checks:
        check.setChecked(False)
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is notes
    assert notes.errors["quiet_hours"].text() == "Choose at least one day, or turn quiet hours off."
    notes.day_checks[4].setChecked(True)

    general = dialog.general_tab
    general.manual_proxy_radio.setChecked(True)
    general.proxy_edit.setText("ftp://proxy.example")
    dialog.ok_button.click()
    assert dialog.tabs.currentWidget() is general
    assert general.errors["proxy"].text().startswith("Use a proxy address such as")
    assert config_bytes(rig) == before

    general.proxy_edit.setText("http://proxy.example:3128")
    notes.highlight_edit.setText("evacuation, bridge closed")
    dialog.ok_button.click()
    assert not dialog.isVisible()
    settings = rig.config.load().settings
    assert settings.proxy == "http://proxy.example:3128"
    assert settings.quiet_hours is not None and settings.quiet_hours.days == (4,)
    assert settings.highlight_words == ("evacuation", "bridge closed")


def test_start_at_login_writes_and_removes_the_autostart_entry(
    qtbot: QtBot, rig: Rig, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def autostart(enabled: bool) -> None:
        set_enabled(enabled, platform="linux", command=["/usr/bin/live-updates"])

    entry = home / "config" / "autostart" / f"{APP_ID}.desktop"
    dialog = make_dialog(qtbot, rig, autostart=autostart)
    dialog.general_tab.autostart_check.setChecked(True)
    dialog.apply_button.click()
    assert "Exec=/usr/bin/live-updates" in entry.read_text()
    assert rig.config.load().settings.start_at_login
    dialog.general_tab.autostart_check.setChecked(False)
    dialog.apply_button.click()
    assert not entry.exists()
    assert not rig.config.load().settings.start_at_login


def test_opml_import_adds_sources_and_a_broken_file_changes_nothing(
    qtbot: QtBot, rig: Rig, server: LoopbackServer, tmp_path: Path
) -> None:
    seed(rig, server)
    dialog = make_dialog(qtbot, rig)
    tab = dialog.sources_tab
    assert not tab.import_opml(b"<opml><body><outline></body>", dialog.settings())
    assert tab.error_label.text().startswith(
        "Nothing was imported: the OPML file is not well-formed"
    )
    assert len(tab.model.sources) == 3
    opml = (
        b'<opml version="2.0"><body><outline text="Coast">'
        b'<outline text="Tide tables" xmlUrl="https://tides.example.org/rss"/>'
        b'<outline text="Harbour again" xmlUrl="'
        + rig.config.load().sources[0].url.encode()
        + b'"/>'
        b"</outline></body></opml>"
    )
    assert tab.import_opml(opml, dialog.settings())
    assert tab.message_label.text().startswith("1 source added, 1 already present (skipped)")
    dialog.ok_button.click()
    tides = rig.config.load().sources[-1]
    assert (tides.name, tides.folder) == ("Tide tables", "Coast")
    exported = tab.export_opml(rig.config.load().settings)
    assert b'xmlUrl="https://tides.example.org/rss"' in exported


def test_check_now_and_test_notification_ask_the_app(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    a, _, _ = seed(rig, server)
    dialog = make_dialog(qtbot, rig)
    dialog.sources_tab.select_row(0)
    with qtbot.waitSignal(dialog.check_requested) as check:
        dialog.sources_tab.check_button.click()
    assert check.args[0] == [a.id]
    dialog.notifications_tab.key_point_check.setChecked(False)
    with qtbot.waitSignal(dialog.test_notification_requested) as test:
        dialog.notifications_tab.test_button.click()
    assert isinstance(test.args[0], Settings) and test.args[0].show_key_point is False


def test_a_broken_config_file_is_reported_and_never_overwritten(qtbot: QtBot, rig: Rig) -> None:
    rig.config.path.parent.mkdir(parents=True, exist_ok=True)
    rig.config.path.write_text('{"sources": [ {"name": ')
    dialog = make_dialog(qtbot, rig)
    assert "is not valid JSON" in dialog.message_label.text()
    assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
    assert rig.config.path.read_text() == '{"sources": [ {"name": '


def save_shot(widget: QWidget, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path))
    return path


def test_screenshots_of_each_tab(qtbot: QtBot, rig: Rig, server: LoopbackServer) -> None:
    seed(rig, server)
    page = (Path(__file__).parent.parent / "fixtures" / "live_page.html").read_bytes()
    live = server.route("/live", page, content_type="text/html; charset=utf-8")
    rig.add("Storm live", live, kind=SourceKind.LIVE_PAGE)
    for hours in (20, 9, 3, 1):  # activity spread over the day for the sparkline
        rig.clock.shift = -timedelta(hours=hours)
        server.route(
            "/a.xml",
            rss([Post(f"a-{hours}-{i}", f"Update {hours}.{i}") for i in range(hours % 4 + 1)]),
            content_type=RSS,
        )
        rig.engine.poll(force=True)
    rig.clock.shift = timedelta()
    server.route("/b.xml", "", status=500)
    rig.engine.poll(force=True)
    dialog = make_dialog(qtbot, rig)
    dialog.resize(1000, 520)
    QApplication.processEvents()
    shots = []
    for i, name in enumerate(("sources", "notifications", "general")):
        dialog.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        shots.append(save_shot(dialog, f"settings-{name}.png"))
    dialog.tabs.setCurrentIndex(0)
    editor = dialog.sources_tab.edit_source(2)
    assert editor is not None
    assert preview(qtbot, editor, editor.url_edit.text())
    shots.append(save_shot(editor, "settings-editor.png"))
    editor.reject()
    editor = dialog.sources_tab.add_source()
    editor.set_auth_kind(AuthKind.BASIC)
    editor.url_edit.setText("https://members.example.org/feed")
    editor.username_edit.setText("reader")
    editor.adjustSize()
    QApplication.processEvents()
    shots.append(save_shot(editor, "settings-editor-no-keyring.png"))
    assert editor.keyring_label.text().startswith("No usable keyring")
    assert all(p.stat().st_size > 0 for p in shots)
    status = dialog.sources_tab.model.data(dialog.sources_tab.model.index(1, Col.STATUS))
    assert isinstance(status, str) and status.startswith("Error: ")


# --- credentials: a real Secret Service, and none at all ---

PASSWORD = "breakwater-pass-4e2c"


@pytest.fixture(scope="module")
def keyring_bus() -> Iterator[SessionBus]:
    with private_session_bus() as bus, unlocked_keyring(bus):
        yield bus


def members_only(body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    expected = "Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode()

    def handler(h: BaseHTTPRequestHandler) -> None:
        ok = h.headers.get("Authorization") == expected
        data = body if ok else b"sign in first"
        h.send_response(200 if ok else 401)
        h.send_header("Content-Type", RSS if ok else "text/plain")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handler


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [
        p for p in root.rglob("*") if p.is_file() and not p.is_socket() and data in p.read_bytes()
    ]


def add_private(qtbot: QtBot, dialog: SettingsDialog, url: str) -> SourceEditor:
    editor = dialog.sources_tab.add_source()
    editor.url_edit.setText(url)
    editor.set_auth_kind(AuthKind.BASIC)
    editor.username_edit.setText("reader")
    editor.secret_edit.setText(PASSWORD)
    with qtbot.waitSignal(editor.accepted, timeout=WAIT):
        editor.ok_button.click()
    return editor


@pytest.mark.keyring
def test_credentials_go_to_the_keyring_the_engine_sends_them_and_remove_deletes_them(
    qtbot: QtBot,
    rig: Rig,
    server: LoopbackServer,
    keyring_bus: SessionBus,
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", keyring_bus.address)
    url = server.route("/members.xml", handler=members_only(harbour_feed()))
    store = SecretStore()
    dialog = make_dialog(qtbot, rig, secrets=store)
    add_private(qtbot, dialog, url)  # the preview signed in: the feed answers members only
    assert not dialog.sources_tab.editor or not dialog.sources_tab.editor.isVisible()
    dialog.apply_button.click()
    assert dialog.message_label.text() == ""
    [source] = rig.config.load().sources
    assert (source.auth, source.username) == (AuthKind.BASIC, "reader")
    assert store.get(source.id) == PASSWORD
    assert files_containing(rig.folder, PASSWORD) == [] and files_containing(home, PASSWORD) == []

    result = rig.engine.poll(force=True)
    assert [r.error for r in result.results] == [None]
    assert server.requests_for("/members.xml")[-1].headers["authorization"].startswith("Basic ")

    editor = dialog.sources_tab.edit_source(0)
    assert editor is not None and "leave empty to keep it" in editor.secret_edit.placeholderText()
    editor.reject()
    dialog.sources_tab.select_row(0)
    dialog.sources_tab.remove_button.click()
    assert "and its stored password or token" in dialog.sources_tab.undo_label.text()
    dialog.ok_button.click()
    assert rig.config.load().sources == ()
    assert store.get(source.id) is None


def test_without_any_bus_the_dialog_says_so_and_stores_the_secret_nowhere(
    qtbot: QtBot, rig: Rig, server: LoopbackServer, home: Path
) -> None:
    url = server.route("/members.xml", handler=members_only(harbour_feed()))
    dialog = make_dialog(qtbot, rig)
    editor = add_private(qtbot, dialog, url)
    assert editor.keyring_label.text().startswith("No usable keyring (Secret Service) is running")
    dialog.ok_button.click()
    assert dialog.isVisible()  # stays open so the message is read
    assert "was saved without its password or token: No usable keyring" in (
        dialog.message_label.text()
    )
    [source] = rig.config.load().sources
    assert (source.auth, source.username, source.url) == (AuthKind.NONE, None, url)
    assert files_containing(rig.folder, PASSWORD) == []
    assert files_containing(home, PASSWORD) == []


# --- the tray app's side: changes take effect without a restart ---


def test_applied_changes_take_effect_without_a_restart(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    a = rig.add("Harbour", server.route("/a.xml", harbour_feed(), content_type=RSS))
    controller = Poller(rig.engine, rig.db, clock=rig.clock, watch_network=False)
    backend = RecordingBackend()
    notifier = Notifier([backend])
    dispatcher = Dispatcher(notifier, rig.config.load().settings)
    host = SettingsHost(
        rig.config,
        database=rig.db,
        controller=controller,
        dispatcher=dispatcher,
        notifier=notifier,
        statuses=rig.engine.statuses,
        secrets=SecretStore(),
    )
    try:
        with qtbot.waitSignal(controller.polled, timeout=WAIT):
            controller.start()
        dialog = host.open()
        _open_dialogs.append(dialog)
        assert [s.name for s in dialog.sources_tab.model.sources] == ["Harbour"]

        feed = rss([Post("v-1", "Valley road reopens")], title="Valley Courier")
        url = server.route("/v.xml", feed, content_type=RSS)
        editor = dialog.sources_tab.add_source()
        editor.url_edit.setText(url)
        with qtbot.waitSignal(editor.accepted, timeout=WAIT):
            editor.ok_button.click()
        dialog.notifications_tab.batch_spin.setValue(7)
        with qtbot.waitSignal(controller.polled, timeout=WAIT) as polled:
            dialog.ok_button.click()  # the worker polls the new source at once
        assert dispatcher.settings.batch_threshold == 7
        [valley] = [r for r in polled.args[0].results if r.source_name == "Valley Courier"]
        assert valley.baseline  # its current entries are a silent baseline
        assert [e.title for e in rig.db.entries(source_id=valley.source_id)] == [
            "Valley road reopens"
        ]

        host.open().notifications_tab.test_button.click()
        assert [n.summary for n in backend.sent] == ["Live Updates: test notification"]
        assert host.dialog is not None
        assert host.dialog.notifications_tab.test_label.text() == "Sent a test notification."

        dialog = host.open_source(a.id)
        assert dialog.sources_tab.current_row() == 0
        assert dialog.sources_tab.editor is not None
        dialog.sources_tab.editor.reject()
        dialog.sources_tab.remove_button.click()

        # (the earlier poll's own store change may still be on its way: wait for the one
        # that leaves the removed source's entries gone)
        with qtbot.waitSignal(
            controller.store_changed,
            timeout=WAIT,
            check_params_cb=lambda: rig.db.entries(source_id=a.id) == [],
        ):
            dialog.ok_button.click()  # entries of the removed source go, on the worker
        assert rig.db.entries(source_id=a.id) == []
    finally:
        controller.shutdown(5.0)


class _WindowSignals(QObject):
    """The key-points window's settings entry points, without the window."""

    source_settings_requested = Signal(str)
    add_source_requested = Signal()
    settings_requested = Signal()


def test_the_tray_menu_opens_the_settings(qtbot: QtBot, rig: Rig) -> None:
    controller = Poller(rig.engine, rig.db, clock=rig.clock, watch_network=False)
    notifier = Notifier([RecordingBackend()])
    app = SimpleNamespace(
        db=rig.db,
        controller=controller,
        dispatcher=Dispatcher(notifier, Settings()),
        notifier=notifier,
        statuses=[],
        tray=Tray(),
        window=_WindowSignals(),
    )
    link = connect_settings_lazily(app, rig.config)
    app.tray.rebuild_menu()
    action = find_action(app.tray.menu, "Settings…")
    assert action is not None and action.isEnabled()
    action.trigger()
    host = link.host
    assert host.dialog is not None and host.dialog.isVisible()
    _open_dialogs.append(host.dialog)


def test_cancelling_the_editor_during_a_probe_adds_nothing(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    release = threading.Event()
    body = harbour_feed()

    def slow(h: BaseHTTPRequestHandler) -> None:
        release.wait(WAIT / 1000)
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    url = server.route("/slow.xml", handler=slow)
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.add_source()
    editor.url_edit.setText(url)
    editor.ok_button.click()  # starts the probe; the dialog stays responsive meanwhile
    assert editor.status_label.text() == f"Fetching {url} …"
    assert not editor.preview_button.isEnabled()
    editor.reject()
    release.set()
    assert dialog.sources_tab.runner.wait(WAIT)
    QApplication.processEvents()  # deliver the probe's result, already queued
    assert dialog.sources_tab.model.sources == []
    assert editor.result_source is None


def test_a_new_password_that_cannot_be_stored_keeps_the_old_sign_in(
    qtbot: QtBot, rig: Rig, server: LoopbackServer, home: Path
) -> None:
    private = rig.add(
        "Members",
        server.route("/m.xml", harbour_feed(), content_type=RSS),
        auth=AuthKind.BASIC,
        username="reader",
    )
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.edit_source(0)
    assert editor is not None
    editor.secret_edit.setText(PASSWORD)
    editor.ok_button.click()
    assert not editor.isVisible()
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert "The new password or token of “Members” was not stored" in dialog.message_label.text()
    assert rig.config.load().sources == (private,)
    assert files_containing(home, PASSWORD) == []


def test_a_failing_source_says_when_it_last_worked(
    qtbot: QtBot, rig: Rig, server: LoopbackServer
) -> None:
    url = server.route("/harbour.xml", rss([Post("h-1", "Ferries resume")]), content_type=RSS)
    rig.add("Harbour", url)
    rig.engine.poll(force=True)
    worked = rig.clock()
    rig.clock.shift = timedelta(hours=2)
    server.route("/harbour.xml", "", status=500)
    rig.engine.poll(force=True)
    dialog = make_dialog(qtbot, rig)
    model = dialog.sources_tab.model
    status = model.data(model.index(0, Col.STATUS))
    tip = model.data(model.index(0, Col.STATUS), Qt.ItemDataRole.ToolTipRole)
    assert isinstance(status, str) and status.startswith("Error: ")
    assert isinstance(tip, str) and f"last worked {worked.astimezone():%H:%M}" in tip, tip


def test_a_source_that_never_worked_says_so(qtbot: QtBot, rig: Rig, server: LoopbackServer) -> None:
    url = server.route("/gone.xml", "", status=500)
    rig.add("Gone", url)
    rig.engine.poll(force=True)
    dialog = make_dialog(qtbot, rig)
    model = dialog.sources_tab.model
    tip = model.data(model.index(0, Col.STATUS), Qt.ItemDataRole.ToolTipRole)
    assert isinstance(tip, str) and tip.startswith("Error: ") and "never worked yet" in tip, tip
