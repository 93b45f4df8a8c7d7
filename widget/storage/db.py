"""SQLite store of entries and fetch state: WAL, numbered migrations, one writer. (STUB)

Safe while another process uses the same file (busy timeout, short transactions). The GUI reads
through ``Database.open(path, readonly=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from widget.core.models import Entry, FetchState, Item, Source


class Database:
    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Database:
        """Open (creating and migrating unless readonly). A corrupt file raises StorageError
        naming the file; nothing is deleted."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- sources mirror (names/urls for readers that have no config) ---
    def sync_sources(self, sources: Sequence[Source]) -> None:
        raise NotImplementedError

    def delete_source(self, source_id: str) -> None:
        """Forget a source: its entries, tombstones and fetch state."""
        raise NotImplementedError

    # --- fetch state ---
    def get_state(self, source_id: str) -> FetchState:
        raise NotImplementedError

    def all_states(self) -> dict[str, FetchState]:
        raise NotImplementedError

    def save_state(self, state: FetchState) -> None:
        raise NotImplementedError

    # --- entries ---
    def known_fingerprints(self, source_id: str) -> dict[str, str]:
        """Entry id → content fingerprint for stored entries and tombstones of a source."""
        raise NotImplementedError

    def apply_items(
        self,
        source: Source,
        items: Sequence[Item],
        *,
        now: datetime,
        baseline: bool,
        notify: Callable[[Item], bool],
        state: FetchState,
    ) -> tuple[list[Entry], int]:
        """In one transaction: insert new items (notify=False when ``baseline``), update edited
        ones silently, ignore known and tombstoned ones, and save ``state``.
        Returns (new entries, number of updated entries)."""
        raise NotImplementedError

    def entries(
        self, *, limit: int | None = None, source_id: str | None = None, unread_only: bool = False
    ) -> list[Entry]:
        """Newest first by published, else updated, else first-seen time."""
        raise NotImplementedError

    def get_entry(self, source_id: str, entry_id: str) -> Entry | None:
        raise NotImplementedError

    def set_read(self, source_id: str, entry_id: str, read: bool = True) -> None:
        raise NotImplementedError

    def mark_all_read(self, source_id: str | None = None) -> None:
        raise NotImplementedError

    def unread_count(self) -> int:
        raise NotImplementedError

    def prune(self, now: datetime, *, max_age_days: int = 30, max_per_source: int = 500) -> int:
        """Apply retention; removed entries leave tombstones (kept ≥ 30 days). Returns removed."""
        raise NotImplementedError
