"""Add or edit one source: the URL is probed in the background and previewed (kind, title, latest
entries with their key points) before anything is saved; problems are shown at their field."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widget.core.errors import SecretsError
from widget.core.models import AuthKind, Config, IntervalMode, Settings, Source, SourceKind
from widget.core.urls import same_origin, url_problem
from widget.gui.settings.model import KIND_TEXT
from widget.gui.settings.probe import ProbeRunner
from widget.gui.settings.util import (
    SecretsLike,
    error_label,
    set_error,
    sign_in_hint,
    split_words,
    stacked,
    twin_text,
)
from widget.storage.config import new_source_id, unique_name
from widget.storage.config_schema import source_problems
from widget.storage.opml import url_key

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the fetch stack (httpx, feedparser) loads only when a URL is tried
    from widget.sources.http import Credentials
    from widget.sources.probe import Probe

Prober = Callable[[str, "Credentials | None"], "Probe"]
PREVIEW_ITEMS = 5
AUTH_TEXT = {
    AuthKind.NONE: "None (public)",
    AuthKind.BASIC: "HTTP Basic (user name + password)",
    AuthKind.HEADER: "Header token (e.g. Authorization: Bearer …)",
}


class SourceEditor(QDialog):
    probe_done = Signal(bool)  # the background probe ended (True: it succeeded)

    def __init__(
        self,
        *,
        source: Source | None,
        others: Sequence[Source],
        settings: Settings,
        runner: ProbeRunner,
        prober: Prober,
        secrets: SecretsLike,
        has_secret: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.original = source
        self.others = list(others)
        self.settings = settings
        self.runner = runner
        self.prober = prober
        self.secrets = secrets
        self.has_secret = has_secret
        self.probe: Probe | None = None
        self._probed_text: str | None = None
        self._token = 0
        self._accept_after_probe = False
        self._keyring_checked = False
        self.keyring_problem: str | None = None
        self.result_source: Source | None = None
        self.secret: str | None = None  # a newly entered password or token
        self.setWindowTitle("Edit source" if source else "Add a source")
        self.setMinimumWidth(560)
        self._build()
        self._load(source)
        runner.finished.connect(self._on_probed)
        runner.failed.connect(self._on_probe_failed)

    # --- building ---
    def _build(self) -> None:
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://example.com/live or a feed address")
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.start_preview)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("the feed's or page's title")
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(0, 24 * 60)
        self.interval_spin.setSuffix(" min")
        self.interval_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.interval_spin.setMinimumWidth(160)
        self.notify_check = QCheckBox("Notify about new entries")
        self.key_points_check = QCheckBox('Notify when its "What to know" list changes')
        self.include_edit = QLineEdit()
        self.include_edit.setPlaceholderText("only entries with these words or /regex/, commas")
        self.exclude_edit = QLineEdit()
        self.exclude_edit.setPlaceholderText("never entries with these words or /regex/")
        self.auth_combo = QComboBox()
        for kind, text in AUTH_TEXT.items():
            self.auth_combo.addItem(text, kind.value)
        self.auth_combo.currentIndexChanged.connect(self._auth_changed)
        self.username_edit = QLineEdit()
        self.header_edit = QLineEdit()
        self.header_edit.setPlaceholderText("Authorization")
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.keyring_label = error_label()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.preview_tree = QTreeWidget()
        self.preview_tree.setHeaderHidden(True)
        self.preview_tree.setMinimumHeight(150)
        self.errors = {k: error_label() for k in ("url", "name", "interval", "include", "exclude")}
        self.errors.update({k: error_label() for k in ("username", "header", "secret")})

        url_row = QHBoxLayout()
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.preview_button)
        form = QFormLayout()
        form.addRow("URL", stacked(url_row, self.errors["url"]))
        form.addRow("Name", stacked(self.name_edit, self.errors["name"]))
        form.addRow("Check every", stacked(self.interval_spin, self.errors["interval"]))
        form.addRow("", self.notify_check)
        form.addRow("", self.key_points_check)
        form.addRow("Include", stacked(self.include_edit, self.errors["include"]))
        form.addRow("Exclude", stacked(self.exclude_edit, self.errors["exclude"]))
        form.addRow("Sign-in", self.auth_combo)
        self._rows = {
            "username": stacked(self.username_edit, self.errors["username"]),
            "header": stacked(self.header_edit, self.errors["header"]),
            "secret": stacked(self.secret_edit, self.errors["secret"]),
        }
        form.addRow("User name", self._rows["username"])
        form.addRow("Header name", self._rows["header"])
        self.secret_label = QLabel("Password")
        form.addRow(self.secret_label, self._rows["secret"])
        form.addRow("", self.keyring_label)
        self._form = form

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.preview_tree, 1)
        layout.addWidget(self.buttons)

    def _load(self, source: Source | None) -> None:
        self.ok_button.setText("Save" if source else "Add")
        kind = source.kind if source else SourceKind.FEED
        self._set_default_text(kind)
        if source is None:
            self.notify_check.setChecked(True)
            self.key_points_check.setChecked(True)
            self._auth_changed()
            return
        self.url_edit.setText(source.url)
        self.name_edit.setText(source.name)
        self.interval_spin.setValue(source.interval_minutes or 0)
        self.notify_check.setChecked(source.notify)
        self.key_points_check.setChecked(source.notify_key_points)
        self.include_edit.setText(", ".join(source.include))
        self.exclude_edit.setText(", ".join(source.exclude))
        self.set_auth_kind(source.auth)
        self.username_edit.setText(source.username or "")
        self.header_edit.setText(source.auth_header or "")
        if self.has_secret:
            self.secret_edit.setPlaceholderText("stored in the keyring — leave empty to keep it")
        self._auth_changed()

    def _set_default_text(self, kind: SourceKind) -> None:
        minutes = self.settings.default_interval(kind)
        if self.settings.schedule is IntervalMode.AUTO:
            # 0 is "Every: Auto": the source's own pace (see core/schedule.py)
            self.interval_spin.setSpecialValueText("Auto")
        else:
            self.interval_spin.setSpecialValueText(f"Default ({minutes} min)")

    def _auth_changed(self) -> None:
        kind = self.auth_kind
        self._form.setRowVisible(self._rows["username"], kind is AuthKind.BASIC)
        self._form.setRowVisible(self._rows["header"], kind is AuthKind.HEADER)
        self._form.setRowVisible(self._rows["secret"], kind is not AuthKind.NONE)
        self.secret_label.setText("Token" if kind is AuthKind.HEADER else "Password")
        if kind is AuthKind.NONE:
            set_error(self.keyring_label, None)
            return
        if not self._keyring_checked:
            self._keyring_checked = True
            self.keyring_problem = self.secrets.available()
        if self.keyring_problem:
            set_error(
                self.keyring_label,
                "No usable keyring (Secret Service) is running, so the password or token will "
                "not be stored anywhere: the source is saved without it. Start GNOME Keyring or "
                "KWallet to use sign-in.",
            )
            self.keyring_label.setToolTip(self.keyring_problem)

    @property
    def auth_kind(self) -> AuthKind:
        value = self.auth_combo.currentData()
        return AuthKind(value) if isinstance(value, str) else AuthKind.NONE

    def set_auth_kind(self, kind: AuthKind) -> None:
        self.auth_combo.setCurrentIndex(self.auth_combo.findData(kind.value))

    # --- probing ---
    def _needs_probe(self) -> bool:
        text = self.url_edit.text().strip()
        if self.original is not None and text == self.original.url:
            return False
        return self._probed_text != text or self.probe is None

    def start_preview(self) -> bool:
        """Fetch the URL in the background; False (with the reason at the field) if invalid."""
        url = self.url_edit.text().strip()
        problem = url_problem(url)
        if problem:
            set_error(self.errors["url"], f"The URL {problem}.")
            return False
        set_error(self.errors["url"], None)
        credentials = self._credentials_for_probe()
        self.probe = None
        self._probed_text = url
        self.preview_tree.clear()
        self.status_label.setText(f"Fetching {url} …")
        self.preview_button.setEnabled(False)
        prober = self.prober
        self._token = self.runner.start(lambda: prober(url, credentials))
        return True

    def _credentials_for_probe(self) -> Credentials | None:
        from widget.sources.http import Credentials

        kind = self.auth_kind
        secret = self.secret_edit.text()
        if kind is AuthKind.NONE:
            return None
        if not secret and self.original is not None and self.has_secret:
            try:
                secret = self.secrets.get(self.original.id) or ""
            except SecretsError as exc:
                set_error(self.keyring_label, str(exc))
        if not secret:
            return None
        if kind is AuthKind.BASIC:
            return Credentials(kind, secret, username=self.username_edit.text().strip())
        return Credentials(kind, secret, header=self.header_edit.text().strip() or "Authorization")

    def _on_probed(self, token: int, probe: object) -> None:
        from widget.sources.probe import Probe

        if token != self._token or not isinstance(probe, Probe):
            return
        self.probe = probe
        self.preview_button.setEnabled(True)
        self._show_preview(probe)
        twin = self._twin(probe.url) or self._twin(self.url_edit.text().strip())
        if twin is not None:  # shown at once; Add refuses it too
            set_error(self.errors["url"], twin_text(twin))
        if not self.name_edit.text().strip():
            config_like = [s for s in self.others if not self._is_self(s)]
            self.name_edit.setText(_unique(config_like, probe.title))
        self._set_default_text(probe.kind)
        self.probe_done.emit(True)
        if self._accept_after_probe:
            self._accept_after_probe = False
            self.accept()

    def _on_probe_failed(self, token: int, message: str, status: object = None) -> None:
        if token != self._token:
            return
        self.preview_button.setEnabled(True)
        self._accept_after_probe = False
        self._probed_text = None
        self.status_label.setText("Nothing was saved.")
        hint = sign_in_hint(self.auth_kind) if status in (401, 403) else ""
        set_error(self.errors["url"], f"Could not use this address: {message}{hint}")
        self.probe_done.emit(False)

    def _show_preview(self, probe: Probe) -> None:
        where = "" if probe.url == self.url_edit.text().strip() else f" at {probe.url}"
        count = len(probe.items)
        self.status_label.setText(
            f"Found a {KIND_TEXT[probe.kind].lower()}{where}: “{probe.title}”, "
            f"{count} entr{'y' if count == 1 else 'ies'}. Latest:"
        )
        self.preview_tree.clear()
        for item in probe.items[:PREVIEW_ITEMS]:
            row = QTreeWidgetItem([item.title or "(untitled)"])
            for point in item.key_points:
                if point.strip() != item.title.strip():  # a title alone adds nothing
                    QTreeWidgetItem(row, [f"• {point}"])
            self.preview_tree.addTopLevelItem(row)
        self.preview_tree.expandAll()

    def _twin(self, url: str) -> Source | None:
        """Another source with this address (case and a trailing slash aside), if any."""
        key = url_key(url)
        return next(
            (s for s in self.others if not self._is_self(s) and url_key(s.url) == key), None
        )

    def _is_self(self, source: Source) -> bool:
        return self.original is not None and source.id == self.original.id

    # --- accepting ---
    def build_source(self) -> Source:
        base = self.original or Source(new_source_id(), "", "", SourceKind.FEED)
        text = self.url_edit.text().strip()
        url, kind = text, base.kind
        auth = self.auth_kind
        if self.probe is not None and self._probed_text == text:
            kind = self.probe.kind
            # a private source keeps the typed URL if the probe ended on another origin
            if auth is AuthKind.NONE or same_origin(text, self.probe.url):
                url = self.probe.url
        return replace(
            base,
            name=self.name_edit.text().strip(),
            url=url,
            kind=kind,
            interval_minutes=self.interval_spin.value() or None,
            notify=self.notify_check.isChecked(),
            notify_key_points=self.key_points_check.isChecked(),
            include=split_words(self.include_edit.text()),
            exclude=split_words(self.exclude_edit.text()),
            auth=auth,
            username=self.username_edit.text().strip() or None if auth is AuthKind.BASIC else None,
            auth_header=(self.header_edit.text().strip() or "Authorization")
            if auth is AuthKind.HEADER
            else None,
        )

    def show_problems(self, source: Source) -> bool:
        """Show each problem at its field; True when there are none."""
        problems = source_problems(source, self.others)
        shown: dict[str, str | None] = {key: None for key in self.errors}
        fields = {"interval_minutes": "interval", "auth_header": "header"}
        for key, message in problems.items():
            field = fields.get(key, key.split("[", 1)[0])
            if field == "name" and not source.name:
                message = "Enter a name, or preview the URL to use its title."
            elif field in ("include", "exclude"):
                index = int(key.split("[", 1)[1].rstrip("]"))
                message = f"“{getattr(source, field)[index]}” {message}."
            else:
                message = f"The {field.replace('_', ' ')} {message}."
            shown[field if field in shown else "url"] = message
        twin = self._twin(source.url)
        if twin is not None and shown["url"] is None:
            shown["url"] = twin_text(twin)
        kept = self.has_secret and self._same_auth(source)
        signs_in = source.auth is not AuthKind.NONE and not self.keyring_problem
        if signs_in and not self.secret_edit.text() and not kept:
            what = "token" if source.auth is AuthKind.HEADER else "password"
            shown["secret"] = f"Enter the {what}; it is kept in the system keyring."
        for key, label in self.errors.items():
            if key == "url" and shown[key] is None and self.errors["url"].isVisible():
                continue  # keep a fetch error visible until the next preview
            set_error(label, shown[key])
        return not any(shown.values())

    def _same_auth(self, source: Source) -> bool:
        return self.original is not None and self.original.auth is source.auth

    def done(self, result: int) -> None:
        """Closing (either way) forgets a probe still running: its result changes nothing."""
        self._token = -1
        self._accept_after_probe = False
        self.preview_button.setEnabled(True)
        super().done(result)

    def accept(self) -> None:
        if self._needs_probe():
            self._accept_after_probe = self.start_preview()
            return
        set_error(self.errors["url"], None)
        source = self.build_source()
        if not self.show_problems(source):
            return
        self.result_source = source
        entered = self.secret_edit.text()
        self.secret = entered if entered and source.auth is not AuthKind.NONE else None
        super().accept()


def _unique(others: Sequence[Source], title: str) -> str:
    return unique_name(Config(sources=tuple(others)), title)


__all__ = ["Prober", "SourceEditor"]
