"""The adaptive schedule in the settings dialog: "Every: Auto" in the source editor, the
schedule switch on the General tab, and the next check with its reason in the sources table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.rig import Rig
from widget.core.models import FetchState, IntervalMode, SourceKind
from widget.gui.settings.dialog import SettingsDialog
from widget.gui.settings.model import Col
from widget.storage.secrets import SecretStore

WAIT = 10_000


@pytest.fixture
def rig(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
    r = Rig(tmp_path / "app")
    yield r
    r.close()


def make_dialog(qtbot: QtBot, rig: Rig) -> SettingsDialog:
    dialog = SettingsDialog(
        rig.config,
        prober=rig.engine.probe,
        secrets=SecretStore(),
        states=lambda: rig.db.all_states(),
        activity=lambda: rig.db.first_seen_since(rig.clock() - timedelta(hours=24)),
    )
    qtbot.addWidget(dialog)
    dialog.present()
    return dialog


def test_every_auto_is_the_editors_default_and_a_number_is_kept_as_fixed(
    qtbot: QtBot, rig: Rig
) -> None:
    live = rig.add("Flood", "https://news.example/live", kind=SourceKind.LIVE_PAGE)
    dialog = make_dialog(qtbot, rig)
    editor = dialog.sources_tab.edit_source(0)
    assert editor is not None
    assert editor.interval_spin.value() == 0 and editor.interval_spin.text() == "Auto"
    assert editor.key_points_check.isChecked()
    editor.interval_spin.setValue(4)
    editor.key_points_check.setChecked(False)
    editor.ok_button.click()
    dialog.ok_button.click()
    saved = rig.config.load().sources[0]
    assert saved == replace(live, interval_minutes=4, notify_key_points=False)
    assert saved.interval_mode is IntervalMode.FIXED
    dialog.sources_tab.runner.wait(WAIT)


def test_the_general_tab_switches_back_to_the_fixed_schedule(qtbot: QtBot, rig: Rig) -> None:
    rig.add("Flood", "https://news.example/live", kind=SourceKind.LIVE_PAGE)
    dialog = make_dialog(qtbot, rig)
    general = dialog.general_tab
    assert general.auto_check.isChecked()
    general.auto_check.setChecked(False)
    dialog.ok_button.click()
    assert rig.config.load().settings.schedule is IntervalMode.FIXED
    reopened = make_dialog(qtbot, rig)
    assert not reopened.general_tab.auto_check.isChecked()
    editor = reopened.sources_tab.edit_source(0)
    assert editor is not None and editor.interval_spin.text() == "Default (5 min)"
    editor.reject()
    dialog.sources_tab.runner.wait(WAIT)
    reopened.sources_tab.runner.wait(WAIT)


def test_the_sources_table_shows_the_pace_and_the_next_check_with_its_reason(
    qtbot: QtBot, rig: Rig
) -> None:
    live = rig.add("Flood", "https://news.example/live", kind=SourceKind.LIVE_PAGE)
    now = rig.clock()
    rig.db.sync_sources(rig.config.load().sources)
    rig.db.save_state(
        FetchState(
            live.id,
            last_checked=now,
            last_success=now,
            last_new_entry=now - timedelta(minutes=4),
            next_due=now + timedelta(seconds=62),
        )
    )
    dialog = make_dialog(qtbot, rig)
    model = dialog.sources_tab.model
    assert model.data(model.index(0, Col.INTERVAL)) == "Auto · 1 min"
    status = model.data(model.index(0, Col.STATUS))
    assert isinstance(status, str) and "active live page" in status and "next " in status
    dialog.sources_tab.runner.wait(WAIT)


def test_the_demo_shows_the_period_it_is_really_checked_at(qtbot: QtBot, rig: Rig) -> None:
    rig.add("Demo live page", "https://demo.example/live", kind=SourceKind.LIVE_PAGE)
    dialog = SettingsDialog(
        rig.config,
        prober=rig.engine.probe,
        secrets=SecretStore(),
        fixed_period_s=10.0,  # as the tray app's demo checks its page
    )
    qtbot.addWidget(dialog)
    dialog.present()
    model = dialog.sources_tab.model
    assert model.data(model.index(0, Col.INTERVAL)) == "10 s"
    assert "10 s" in str(model.data(model.index(0, Col.INTERVAL), Qt.ItemDataRole.ToolTipRole))
    dialog.sources_tab.runner.wait(WAIT)
