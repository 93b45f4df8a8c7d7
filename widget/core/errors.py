"""One family of errors. Every message is a sentence a user can read and never holds a secret."""

from __future__ import annotations


class LiveUpdatesError(Exception):
    """Base of every error Live Updates raises on purpose."""


class SourceError(LiveUpdatesError):
    """A source could not be fetched or understood."""


class FetchError(SourceError):
    """The HTTP side failed: network, status, limits, redirects."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
        network_down: bool = False,
    ) -> None:
        super().__init__(message)
        self.network_down = network_down  # no route, no network, DNS unreachable: not the source
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait, if it did
        self.permanent = permanent  # e.g. 410 Gone: stop polling this source


class ParseError(SourceError):
    """The body was fetched but holds no feed or live page we can read."""


class ConfigError(LiveUpdatesError):
    """The config file is unreadable or invalid; the message names the file and the field."""


class StorageError(LiveUpdatesError):
    """The entry database is unusable (corrupt, locked for too long, unwritable)."""


class SecretsError(LiveUpdatesError):
    """No usable keyring, or the keyring refused; the secret is not stored anywhere."""


def poll_failure_message(exc: BaseException) -> str:
    """What the tray app shows when a whole poll failed: our own errors as they are, anything
    else named as unexpected."""
    if isinstance(exc, LiveUpdatesError):
        return str(exc)
    return f"Checking sources failed unexpectedly: {type(exc).__name__}: {exc}"
