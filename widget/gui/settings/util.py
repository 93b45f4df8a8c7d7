"""Small pieces the settings dialog's modules share: field error labels, word lists, origins,
and what the dialog needs from the keyring."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widget.core.models import AuthKind, Source


class SecretsLike(Protocol):
    """What the settings dialog needs from the keyring (``SecretStore`` fits)."""

    def available(self) -> str | None: ...

    def get(self, source_id: str) -> str | None: ...

    def set(self, source_id: str, secret: str) -> None: ...

    def delete(self, source_id: str) -> None: ...


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldError")
    label.setStyleSheet("color: #c62828;")
    label.setWordWrap(True)
    label.hide()
    return label


def set_error(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


def split_words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


def stacked(main: QWidget | QHBoxLayout, error: QLabel) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    if isinstance(main, QHBoxLayout):
        layout.addLayout(main)
    else:
        layout.addWidget(main)
    layout.addWidget(error)
    return holder


def twin_text(twin: Source) -> str:
    return f"This address is already a source, named “{twin.name}”."


def sign_in_hint(kind: AuthKind) -> str:
    """What to do when the server refused the request (401/403)."""
    if kind is AuthKind.NONE:
        return ". It needs a sign-in: choose one under Sign-in."
    if kind is AuthKind.BASIC:
        return ". The server refused the sign-in: check the user name and password."
    return ". The server refused the sign-in: check the header name and token."
