"""Keyring wrapper: lazy, own SecretsError, never a plaintext fallback. (STUB)"""

from __future__ import annotations

from widget import APP_SLUG


class SecretStore:
    def __init__(self, service: str = APP_SLUG) -> None:
        self.service = service

    def get(self, source_id: str) -> str | None:
        raise NotImplementedError

    def set(self, source_id: str, secret: str) -> None:
        raise NotImplementedError

    def delete(self, source_id: str) -> None:
        raise NotImplementedError
