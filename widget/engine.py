"""The poll cycle: due sources → fetch → parse → diff → store. Synchronous, clock injected. (STUB)"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from widget.core.models import Item, PollResult, Source, SourceKind, SourceStatus
from widget.sources.http import Credentials, HttpClient
from widget.storage.config import ConfigStore
from widget.storage.db import Database
from widget.storage.secrets import SecretStore

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Probe:
    """What a URL turned out to be, for ``sources add`` and the settings dialog's preview."""

    url: str  # the URL to store (the feed's URL after autodiscovery; redirects followed)
    kind: SourceKind
    title: str
    items: tuple[Item, ...]


class Engine:
    def __init__(
        self,
        config: ConfigStore,
        db: Database,
        *,
        http: HttpClient | None = None,
        secrets: SecretStore | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        raise NotImplementedError

    def statuses(self) -> list[SourceStatus]:
        raise NotImplementedError

    def next_due_time(self) -> datetime | None:
        """When the earliest enabled source is due (None: no enabled sources)."""
        raise NotImplementedError

    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> PollResult:
        """Poll due sources (``force``: every enabled source, yet never one under Retry-After,
        which is reported DEFERRED). ``only``: source ids. Each source's results are written in
        one transaction; a cancelled poll writes nothing for the sources it did not finish."""
        raise NotImplementedError

    def probe(self, url: str, credentials: Credentials | None = None) -> Probe:
        """Fetch once, detect the kind (autodiscovery included). Raises SourceError."""
        raise NotImplementedError
