"""SQLite store of entries and fetch state: WAL, numbered migrations, one writer.

Safe while another process uses the same file (busy timeout, short IMMEDIATE transactions). One
``Database`` may be shared by threads: every use of its connection holds an internal lock. The GUI
reads through ``Database.open(path, readonly=True)``.

Times are stored as fixed-width ISO 8601 UTC text (so text order is time order) and returned as
aware UTC datetimes.

The key-points window's reads live in ``window_reads`` (``Database`` gains them as a mixin), the
write path's diff and retention SQL in ``writes``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from widget.core.errors import StorageError
from widget.core.models import Entry, FetchState, Item, Source
from widget.storage.rows import (
    E_SORT_TIME,
    ENTRY_COLUMNS,
    STATE_FIELDS,
    entry_from_row,
    fingerprint,
    from_db_time,
    state_from_row,
    to_db_time,
    utc_text,
    write_state,
)
from widget.storage.schema import (
    check_file,
    check_readonly_version,
    corrupt_error,
    migrate,
)
from widget.storage.window_reads import EntryPage, WindowReads, entry_filters, window_match
from widget.storage.writes import (
    UPSERT_SOURCE,
    doomed_rowids,
    store_items,
    tombstone_and_delete,
)

log = logging.getLogger(__name__)

__all__ = [
    "BUSY_TIMEOUT_S",
    "Database",
    "EntryPage",
    "fingerprint",
    "from_db_time",
    "to_db_time",
    "window_match",
]

BUSY_TIMEOUT_S = 5.0
TOMBSTONE_MIN_DAYS = 30


class Database(WindowReads):
    """Use ``Database.open``; the constructor takes an already checked connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.readonly = readonly
        self._lock = threading.RLock()
        self._match_registered = False

    @classmethod
    def open(
        cls, path: Path, *, readonly: bool = False, busy_timeout: float = BUSY_TIMEOUT_S
    ) -> Database:
        """Open (creating and migrating unless readonly). A corrupt file raises StorageError
        naming the file; nothing is deleted."""
        path = Path(path)
        try:
            if readonly:
                if not path.is_file():
                    raise StorageError(f"{path} does not exist: no entries have been stored yet.")
                conn = sqlite3.connect(
                    path.resolve().as_uri() + "?mode=ro",
                    uri=True,
                    timeout=busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    str(path),
                    timeout=busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"{path} could not be opened: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            check_file(conn, path)
            conn.execute("PRAGMA foreign_keys = ON")
            if readonly:
                check_readonly_version(conn, path)
            else:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                migrate(conn)
        except StorageError:
            conn.close()
            raise
        except sqlite3.OperationalError as exc:
            conn.close()
            raise _operational(path, "opening", exc) from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise corrupt_error(path, exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, readonly=readonly)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def release_memory(self) -> bool:
        """Hand back the connection's page cache (``PRAGMA shrink_memory``): the tray app calls
        it when it goes idle. Skipped (False) while another thread is using the connection:
        an idle moment will come again."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self._conn is None:
                return False
            self._conn.execute("PRAGMA shrink_memory")
            return True
        except sqlite3.Error as exc:
            log.debug("%s: could not release the page cache: %s", self.path, exc)
            return False
        finally:
            self._lock.release()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---
    @contextmanager
    def _reading(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise StorageError(f"{self.path}: cannot {action}: the database is closed.")
            with _translated(self.path, action):
                yield self._conn

    @contextmanager
    def _writing(self, action: str) -> Iterator[sqlite3.Connection]:
        """One short IMMEDIATE transaction: committed on success, rolled back on any error."""
        if self.readonly:
            raise StorageError(f"{self.path}: cannot {action}: the database is open read-only.")
        with self._reading(action) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- sources mirror (names/urls for readers that have no config) ---
    def sync_sources(self, sources: Sequence[Source], *, remove_missing: bool = False) -> None:
        """Record the sources' names and URLs; ``remove_missing`` forgets every other source
        (its entries, tombstones and fetch state)."""
        with self._writing("record sources") as conn:
            conn.executemany(UPSERT_SOURCE, [(s.id, s.name, s.url) for s in sources])
            if remove_missing:
                keep = {s.id for s in sources}
                known = {row[0] for row in conn.execute("SELECT id FROM sources")}
                known |= {row[0] for row in conn.execute("SELECT source_id FROM fetch_state")}
                for source_id in known - keep:
                    _delete_source(conn, source_id)

    def delete_source(self, source_id: str) -> None:
        """Forget a source: its entries, tombstones and fetch state."""
        with self._writing("forget a source") as conn:
            _delete_source(conn, source_id)

    def source_ids(self) -> list[str]:
        with self._reading("list sources") as conn:
            return [row[0] for row in conn.execute("SELECT id FROM sources ORDER BY id")]

    # --- fetch state ---
    def get_state(self, source_id: str) -> FetchState:
        with self._reading("read fetch state") as conn:
            row = conn.execute(
                f"SELECT {', '.join(STATE_FIELDS)} FROM fetch_state WHERE source_id = ?",
                (source_id,),
            ).fetchone()
        return FetchState(source_id) if row is None else state_from_row(row)

    def all_states(self) -> dict[str, FetchState]:
        with self._reading("read fetch state") as conn:
            rows = conn.execute(f"SELECT {', '.join(STATE_FIELDS)} FROM fetch_state").fetchall()
        return {row[0]: state_from_row(row) for row in rows}

    def save_state(self, state: FetchState) -> None:
        with self._writing("save fetch state") as conn:
            write_state(conn, state)

    # --- entries ---
    def known_fingerprints(self, source_id: str) -> dict[str, str]:
        """Entry id → content fingerprint for stored entries and tombstones of a source."""
        with self._reading("read entries") as conn:
            rows = conn.execute(
                "SELECT entry_id, fingerprint FROM tombstones WHERE source_id = ?1"
                " UNION ALL SELECT entry_id, fingerprint FROM entries WHERE source_id = ?1",
                (source_id,),
            ).fetchall()
        return dict(rows)

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
        if state.source_id != source.id:
            raise ValueError(f"fetch state of {state.source_id!r} given for source {source.id!r}")
        stamp = utc_text(now)
        with self._writing(f"store entries of {source.name}") as conn:
            result = store_items(conn, source, items, stamp=stamp, baseline=baseline, notify=notify)
            write_state(conn, state)
        return result

    def entries(
        self, *, limit: int | None = None, source_id: str | None = None, unread_only: bool = False
    ) -> list[Entry]:
        """Newest first by published, else updated, else first-seen time."""
        where, params = entry_filters(source_id, unread_only, "e.read = 0")
        sql = f"SELECT {ENTRY_COLUMNS} FROM entries e JOIN sources s ON s.id = e.source_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {E_SORT_TIME} DESC, e.rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        with self._reading("read entries") as conn:
            rows = conn.execute(sql, params).fetchall()
            return [entry_from_row(row) for row in rows]

    def get_entry(self, source_id: str, entry_id: str) -> Entry | None:
        with self._reading("read an entry") as conn:
            row = conn.execute(
                f"SELECT {ENTRY_COLUMNS} FROM entries e JOIN sources s ON s.id = e.source_id"
                " WHERE e.source_id = ? AND e.entry_id = ?",
                (source_id, entry_id),
            ).fetchone()
            return None if row is None else entry_from_row(row)

    def set_read(self, source_id: str, entry_id: str, read: bool = True) -> None:
        with self._writing("mark an entry read") as conn:
            conn.execute(
                "UPDATE entries SET read = ? WHERE source_id = ? AND entry_id = ?",
                (read, source_id, entry_id),
            )

    def mark_all_read(self, source_id: str | None = None) -> None:
        with self._writing("mark entries read") as conn:
            if source_id is None:
                conn.execute("UPDATE entries SET read = 1 WHERE read = 0")
            else:
                conn.execute(
                    "UPDATE entries SET read = 1 WHERE read = 0 AND source_id = ?", (source_id,)
                )

    def unread_count(self) -> int:
        with self._reading("count unread entries") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM entries WHERE read = 0").fetchone()[0])

    def first_seen_since(self, since: datetime) -> dict[str, list[datetime]]:
        """Source id → first-seen times of its entries stored since ``since`` (activity)."""
        with self._reading("read activity") as conn:
            rows = conn.execute(
                "SELECT source_id, first_seen FROM entries WHERE first_seen >= ?"
                " ORDER BY first_seen",
                (to_db_time(since),),
            ).fetchall()
        result: dict[str, list[datetime]] = {}
        for source_id, seen in rows:
            stamp = from_db_time(seen)
            assert stamp is not None
            result.setdefault(source_id, []).append(stamp)
        return result

    def prune(self, now: datetime, *, max_age_days: int = 30, max_per_source: int = 500) -> int:
        """Apply retention; removed entries leave tombstones (kept ≥ 30 days). Returns removed.

        Age counts from an entry's first-seen time; a live page's own entry counts from when it
        was last seen, so a page that is still live keeps its key points."""
        if max_age_days < 1 or max_per_source < 1:
            raise ValueError("retention needs at least 1 day and 1 entry per source")
        stamp = utc_text(now)
        cutoff = utc_text(now - timedelta(days=max_age_days))
        tomb_cutoff = utc_text(now - timedelta(days=max(TOMBSTONE_MIN_DAYS, max_age_days)))
        with self._writing("apply retention") as conn:
            doomed = doomed_rowids(conn, cutoff, max_per_source)
            tombstone_and_delete(conn, doomed, stamp)
            conn.execute("DELETE FROM tombstones WHERE last_seen < ?", (tomb_cutoff,))
        return len(doomed)


def _delete_source(conn: sqlite3.Connection, source_id: str) -> None:
    for table, column in (
        ("entries", "source_id"),
        ("tombstones", "source_id"),
        ("fetch_state", "source_id"),
        ("sources", "id"),
    ):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (source_id,))


def _operational(path: Path, action: str, exc: sqlite3.OperationalError) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            f"{path} is busy: another Live Updates process kept it locked too long while "
            f"trying to {action} ({text}). Try again."
        )
    return StorageError(f"{path}: could not {action} ({text}).")


@contextmanager
def _translated(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise _operational(path, action, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise corrupt_error(path, exc) from exc
