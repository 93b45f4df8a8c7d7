"""Keyring wrapper: lazy, own SecretsError, never a plaintext fallback.

Secrets are keyed by source id under the service ``live-updates``. ``keyring`` is imported only
when a secret is needed. A backend that would keep secrets unencrypted (or not at all) is refused:
keyring's fail/null backends, everything from ``keyrings.alt`` (plaintext and "encrypted" files),
and a chainer with nothing better in it. Messages never contain the secret.
"""

from __future__ import annotations

from typing import Any

from widget import APP_SLUG
from widget.core.errors import SecretsError

# Backends that do not keep a secret safely, by module (prefix match).
_REFUSED_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
_PROBE_USER = "availability-check"
_NOT_STORED = "the secret was not stored"
_NOT_READ = "the secret could not be read"
_NOT_REMOVED = "the secret was not removed"
_CANNOT_STORE = "secrets cannot be stored"


class SecretStore:
    def __init__(self, service: str = APP_SLUG) -> None:
        self.service = service

    def available(self) -> str | None:
        """None when secrets can be stored, else the reason (a sentence for the user)."""
        try:
            backend = self._backend(_CANNOT_STORE)
            backend.get_password(self.service, _PROBE_USER)
        except SecretsError as exc:
            return str(exc)
        except Exception as exc:
            return _no_keyring(exc, _CANNOT_STORE)
        return None

    def get(self, source_id: str) -> str | None:
        backend = self._backend(_NOT_READ)
        try:
            value = backend.get_password(self.service, source_id)
        except Exception as exc:
            raise SecretsError(_no_keyring(exc, _NOT_READ)) from exc
        return None if value is None else str(value)

    def set(self, source_id: str, secret: str) -> None:
        if not secret:
            raise SecretsError("An empty secret cannot be stored; enter the password or token.")
        backend = self._backend(_NOT_STORED)
        try:
            backend.set_password(self.service, source_id, secret)
        except Exception as exc:
            raise SecretsError(_no_keyring(exc, _NOT_STORED)) from exc

    def delete(self, source_id: str) -> None:
        """Remove the source's secret; a source that has none is fine."""
        backend = self._backend(_NOT_REMOVED)
        try:
            if backend.get_password(self.service, source_id) is None:
                return
            backend.delete_password(self.service, source_id)
        except Exception as exc:
            raise SecretsError(_no_keyring(exc, _NOT_REMOVED)) from exc

    def _backend(self, consequence: str) -> Any:
        """The keyring backend to use, never one that keeps secrets in plain text.

        keyring picks its backend once per process; when that pick is refused, detection runs
        again, since a Secret Service may have started since (e.g. right after login)."""
        try:
            import keyring
            import keyring.core

            candidates = _candidates(keyring.get_keyring())
            if all(_refused(b) for b in candidates):
                _forget_viable_backends()
                keyring.core.init_backend()
                candidates = _candidates(keyring.get_keyring())
        except Exception as exc:
            raise SecretsError(_no_keyring(exc, consequence)) from exc
        for backend in candidates:
            if not _refused(backend):
                return backend
        names = ", ".join(_name(b) for b in candidates) or "none"
        raise SecretsError(
            "No usable keyring (Secret Service) was found: the available keyring backends "
            f"({names}) would keep secrets unencrypted or not at all; {consequence}. "
            "Start a Secret Service such as GNOME Keyring or KWallet and try again."
        )


def _forget_viable_backends() -> None:
    """keyring lists the viable backends once per process (``get_all_keyring`` is cached), so a
    Secret Service that was unreachable then would never be found; drop that list first."""
    import keyring.backend

    cached = keyring.backend.get_all_keyring
    if "saved_result" in vars(cached):
        del cached.saved_result


def _candidates(active: Any) -> list[Any]:
    """The backends behind ``active``: a chainer's chain (best first), else ``active`` itself."""
    from keyring.backends.chainer import ChainerBackend

    return list(active.backends) if isinstance(active, ChainerBackend) else [active]


def _refused(backend: object) -> bool:
    module = type(backend).__module__
    return any(module == m or module.startswith(m + ".") for m in _REFUSED_MODULES)


def _name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _no_keyring(exc: BaseException, consequence: str) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return (
        f"No usable keyring (Secret Service) was found: {reason}; {consequence}. "
        "Make sure a Secret Service such as GNOME Keyring or KWallet is running and unlocked."
    )
