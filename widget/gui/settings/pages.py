"""The settings dialog's Notifications and General tabs: load from Settings, read back into
Settings, and say per field what is wrong."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from widget.core.models import IntervalMode, QuietHours, Settings
from widget.gui.settings.util import error_label, set_error, split_words

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def _spin(low: int, high: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    spin.setMinimumWidth(120)
    return spin


def _time(text: str) -> QTime:
    return QTime.fromString(text, "HH:mm")


class NotificationsPage(QWidget):
    test_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled_check = QCheckBox("Show a notification for each new development")
        self.batch_spin = _spin(1, 99, " entries")
        self.key_point_check = QCheckBox("Show the first key point in the notification body")
        self.quiet_group = QGroupBox("Quiet hours: hold notifications back")
        self.quiet_group.setCheckable(True)
        self.from_time = QTimeEdit()
        self.from_time.setDisplayFormat("HH:mm")
        self.to_time = QTimeEdit()
        self.to_time.setDisplayFormat("HH:mm")
        self.day_checks = [QCheckBox(name) for name in DAY_NAMES]
        self.highlight_edit = QLineEdit()
        self.highlight_edit.setPlaceholderText("words that mark a notification urgent, commas")
        self.test_button = QPushButton("Send test notification")
        self.test_button.clicked.connect(self.test_requested)
        self.test_label = QLabel()
        self.test_label.setWordWrap(True)
        self.errors = {"quiet_hours": error_label(), "highlight_words": error_label()}

        times = QHBoxLayout()
        times.addWidget(QLabel("From"))
        times.addWidget(self.from_time)
        times.addWidget(QLabel("to"))
        times.addWidget(self.to_time)
        times.addStretch(1)
        days = QHBoxLayout()
        for check in self.day_checks:
            days.addWidget(check)
        days.addStretch(1)
        quiet = QVBoxLayout(self.quiet_group)
        quiet.addLayout(times)
        quiet.addWidget(QLabel("On these days (the day the quiet time starts):"))
        quiet.addLayout(days)
        quiet.addWidget(self.errors["quiet_hours"])

        form = QFormLayout()
        form.addRow(self.enabled_check)
        form.addRow("Summarise more than", self.batch_spin)
        form.addRow(self.key_point_check)
        highlight = QVBoxLayout()
        highlight.addWidget(self.highlight_edit)
        highlight.addWidget(self.errors["highlight_words"])
        form.addRow("Highlight words", highlight)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.quiet_group)
        layout.addLayout(test_row)
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        self.enabled_check.setChecked(settings.notifications_enabled)
        self.batch_spin.setValue(settings.batch_threshold)
        self.key_point_check.setChecked(settings.show_key_point)
        quiet = settings.quiet_hours
        self.quiet_group.setChecked(quiet is not None)
        shown = quiet or QuietHours()
        self.from_time.setTime(_time(shown.start))
        self.to_time.setTime(_time(shown.end))
        for day, check in enumerate(self.day_checks):
            check.setChecked(day in shown.days)
        self.highlight_edit.setText(", ".join(settings.highlight_words))
        for label in self.errors.values():
            set_error(label, None)

    def read(self, base: Settings) -> Settings:
        quiet = None
        if self.quiet_group.isChecked():
            quiet = QuietHours(
                start=self.from_time.time().toString("HH:mm"),
                end=self.to_time.time().toString("HH:mm"),
                days=tuple(d for d, c in enumerate(self.day_checks) if c.isChecked()),
            )
        return replace(
            base,
            notifications_enabled=self.enabled_check.isChecked(),
            batch_threshold=self.batch_spin.value(),
            show_key_point=self.key_point_check.isChecked(),
            quiet_hours=quiet,
            highlight_words=split_words(self.highlight_edit.text()),
        )

    def check(self) -> bool:
        """Show problems at their fields; True when there are none."""
        quiet = None
        if self.quiet_group.isChecked():
            if not any(c.isChecked() for c in self.day_checks):
                quiet = "Choose at least one day, or turn quiet hours off."
            elif self.from_time.time() == self.to_time.time():
                quiet = "The start and the end of the quiet hours must differ."
        set_error(self.errors["quiet_hours"], quiet)
        return quiet is None


class GeneralPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.autostart_check = QCheckBox("Start Live Updates when I log in")
        self.autostart_label = error_label()
        self.auto_check = QCheckBox(
            "Auto: follow each source's own pace (a busy live page every minute, a quiet one "
            "less often)"
        )
        self.feed_interval_spin = _spin(1, 24 * 60, " min")
        self.live_interval_spin = _spin(1, 24 * 60, " min")
        self.retention_days_spin = _spin(1, 3650, " days")
        self.retention_entries_spin = _spin(1, 100_000, " entries")
        self.system_proxy_radio = QRadioButton("Use the system proxy settings")
        self.manual_proxy_radio = QRadioButton("Use this proxy:")
        self.proxy_group = QButtonGroup(self)
        self.proxy_group.addButton(self.system_proxy_radio)
        self.proxy_group.addButton(self.manual_proxy_radio)
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setPlaceholderText("http://proxy.example:3128")
        self.manual_proxy_radio.toggled.connect(self.proxy_edit.setEnabled)
        self.errors = {"proxy": error_label()}

        intervals = QGroupBox("Check sources every (unless a source says otherwise)")
        iform = QFormLayout(intervals)
        iform.addRow(self.auto_check)
        keep = QGroupBox("Keep entries")
        kform = QFormLayout(keep)
        # Two forms in two boxes: the same label width and field width line their fields up.
        rows = (
            (iform, "Feeds", self.feed_interval_spin),
            (iform, "Live pages", self.live_interval_spin),
            (kform, "For at most", self.retention_days_spin),
            (kform, "At most per source", self.retention_entries_spin),
        )
        labels = [QLabel(text) for _, text, _ in rows]
        label_width = max(label.sizeHint().width() for label in labels)
        field_width = max(spin.sizeHint().width() for _, _, spin in rows)
        for label, (form, _, spin) in zip(labels, rows, strict=True):
            label.setMinimumWidth(label_width)
            spin.setMinimumWidth(field_width)
            label.setBuddy(spin)
            form.addRow(label, spin)
        proxy = QGroupBox("Proxy")
        pl = QVBoxLayout(proxy)
        pl.addWidget(self.system_proxy_radio)
        row = QHBoxLayout()
        row.addWidget(self.manual_proxy_radio)
        row.addWidget(self.proxy_edit, 1)
        pl.addLayout(row)
        pl.addWidget(self.errors["proxy"])
        note = QLabel("A proxy change is used from the next check on, without a restart.")
        note.setEnabled(False)  # drawn as a quiet hint
        pl.addWidget(note)
        layout = QVBoxLayout(self)
        layout.addWidget(self.autostart_check)
        layout.addWidget(self.autostart_label)
        layout.addWidget(intervals)
        layout.addWidget(keep)
        layout.addWidget(proxy)
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        self.autostart_check.setChecked(settings.start_at_login)
        self.auto_check.setChecked(settings.schedule is IntervalMode.AUTO)
        self.feed_interval_spin.setValue(settings.default_interval_feed)
        self.live_interval_spin.setValue(settings.default_interval_live)
        self.retention_days_spin.setValue(settings.retention_days)
        self.retention_entries_spin.setValue(settings.retention_entries)
        manual = settings.proxy is not None
        self.manual_proxy_radio.setChecked(manual)
        self.system_proxy_radio.setChecked(not manual)
        self.proxy_edit.setText(settings.proxy or "")
        self.proxy_edit.setEnabled(manual)
        set_error(self.errors["proxy"], None)
        set_error(self.autostart_label, None)

    def read(self, base: Settings) -> Settings:
        proxy = self.proxy_edit.text().strip() if self.manual_proxy_radio.isChecked() else ""
        return replace(
            base,
            start_at_login=self.autostart_check.isChecked(),
            schedule=IntervalMode.AUTO if self.auto_check.isChecked() else IntervalMode.FIXED,
            default_interval_feed=self.feed_interval_spin.value(),
            default_interval_live=self.live_interval_spin.value(),
            retention_days=self.retention_days_spin.value(),
            retention_entries=self.retention_entries_spin.value(),
            proxy=proxy or None,
        )

    def check(self) -> bool:
        problem = None
        if self.manual_proxy_radio.isChecked():
            problem = proxy_problem(self.proxy_edit.text().strip())
        set_error(self.errors["proxy"], problem)
        return problem is None


def proxy_problem(text: str) -> str | None:
    if not text:
        return "Enter the proxy's address, or choose the system proxy."
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return "This is not a proxy address; use the form http://proxy.example:3128."
    if parts.scheme.lower() not in PROXY_SCHEMES or not host:
        return "Use a proxy address such as http://proxy.example:3128."
    return None
