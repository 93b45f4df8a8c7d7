"""Reading private sources' secrets for a poll without letting the keyring hold the poll.

A keyring can take its time: a locked one may wait for an unlock prompt nobody answers. So a
poll's secrets are read in order on one daemon thread of their own (it never holds up an exit)
while public sources are fetched; each private source waits at most ``SECRET_TIMEOUT_S`` from
the start of the poll for its secret, and past that fails with a message saying to unlock the
keyring. A read the keyring never answers is left behind on that thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from widget.core.errors import SecretsError
from widget.core.models import AuthKind, Source
from widget.sources.http import Credentials
from widget.storage.secrets import SecretStore

SECRET_TIMEOUT_S = 10.0


def keyring_timeout_error(timeout: float) -> SecretsError:
    return SecretsError(
        f"the keyring did not answer within {timeout:g} s: it may be locked and waiting for "
        "its password. Unlock the keyring, then check again"
    )


def credentials_of(secrets: SecretStore, source: Source) -> Credentials | None:
    """The credentials ``source`` sends (None for a public source). Raises SecretsError."""
    if source.auth is AuthKind.NONE:
        return None
    secret = secrets.get(source.id)
    if secret is None:
        raise SecretsError(f"no password or token for {source.name} is stored in the keyring")
    if source.auth is AuthKind.BASIC:
        return Credentials(AuthKind.BASIC, secret, username=source.username or "")
    return Credentials(AuthKind.HEADER, secret, header=source.auth_header or "Authorization")


def read_in_background(
    secrets: Callable[[], SecretStore], sources: Sequence[Source]
) -> dict[str, Future[Credentials | None]]:
    """Start reading the sources' credentials, one after another, on a daemon thread; a future
    per source id (a cancelled future is skipped). ``secrets`` is called on that thread (opening
    the keyring can wait too)."""
    futures: dict[str, Future[Credentials | None]] = {s.id: Future() for s in sources}

    def read_all() -> None:
        store: SecretStore | None = None
        for source in sources:
            future = futures[source.id]
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if store is None:
                    store = secrets()
                future.set_result(credentials_of(store, source))
            except BaseException as exc:  # handed to the poll through the future
                future.set_exception(exc)
            del future

    if sources:
        threading.Thread(target=read_all, name="poll-secrets", daemon=True).start()
    return futures


__all__ = ["SECRET_TIMEOUT_S", "credentials_of", "keyring_timeout_error", "read_in_background"]
