"""The entry database's connection: opening (WAL, migrations, checks), transactions, and
storage errors as sentences. One writer per process.

Safe while another process uses the same file (busy timeout, short IMMEDIATE transactions). One
``Database`` may be shared by threads: every use of its connection holds an internal lock. The GUI
reads through ``Database.open(path, readonly=True)``.

Each method is one transaction around a domain module's SQL: ``entries`` (the write path, reads,
read marks, retention, the sources mirror), ``state`` (fetch state) and ``search`` (the
key-points window's page); ``schema`` holds migrations and how times are stored.
"""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from widget.core.errors import StorageError
from widget.core.models import Entry, FetchState, Item, Source
from widget.storage import entries, search
from widget.storage.files import private_file, private_folder
from widget.storage.schema import (
    check_file,
    check_readonly_version,
    corrupt_error,
    migrate,
    utc_text,
)
from widget.storage.state import read_all_states, read_state, write_state

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 5.0
_FULL_BELOW_BYTES = 256 * 1024  # less free space than this, and a failed write means a full disk


class Database:
    """Use ``Database.open``; the constructor takes an already checked connection."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.readonly = readonly
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        readonly: bool = False,
        missing_ok: bool = False,
        busy_timeout: float = BUSY_TIMEOUT_S,
    ) -> Database:
        """Open (creating and migrating unless readonly). A corrupt file raises StorageError
        naming the file; nothing is deleted. ``readonly`` never writes, so it works on a full
        or read-only filesystem and never waits for a writer; with ``missing_ok`` a file that
        does not exist yet reads as an empty store (and is not created).

        The file, its WAL and its shared-memory file are private (0600) in a private (0700)
        folder, whatever the umask."""
        path = Path(path)
        if not readonly:
            conn = _prepared(path, _connect_writable, busy_timeout, readonly=False)
        elif not path.is_file():
            if not missing_ok:
                raise StorageError(f"{path} does not exist: no entries have been stored yet.")
            conn = _prepared(path, _connect_memory, busy_timeout, readonly=True)
        else:
            try:
                conn = _prepared(path, _connect_readonly, busy_timeout, readonly=True)
            except StorageError as exc:
                if not _snapshot_is_complete(path, exc):
                    raise
                # A full or read-only disk: SQLite cannot create the WAL index a reader needs.
                # With no write-ahead log to read, the file alone is the whole store.
                log.info("%s: reading the file as it is (%s)", path, exc.__cause__)
                conn = _prepared(path, _connect_immutable, busy_timeout, readonly=True)
        return cls(conn, path, readonly=readonly)

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it, so the file alone is
        a complete copy of the store (a backup of ``entries.sqlite3`` misses nothing). The
        engine calls it after each poll. A reader that holds an old snapshot makes it wait up
        to the busy timeout; what it could not copy yet is copied after the next poll."""
        with self._reading("write the log into the database file") as conn:
            busy, _log_pages, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.info("%s: a reader kept part of the write-ahead log until the next poll", self.path)

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
        """One short IMMEDIATE transaction: committed on success, rolled back on any error
        (the error itself is what is raised, never a failed rollback's)."""
        if self.readonly:
            raise StorageError(f"{self.path}: cannot {action}: the database is open read-only.")
        with self._reading(action) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    # --- sources mirror (names/urls for readers that have no config) ---
    def sync_sources(self, sources: Sequence[Source], *, remove_missing: bool = False) -> None:
        """Record the sources' names and URLs; ``remove_missing`` forgets every other source
        (its entries, tombstones and fetch state)."""
        with self._writing("record sources") as conn:
            entries.sync_sources(conn, sources, remove_missing=remove_missing)

    def delete_source(self, source_id: str) -> None:
        """Forget a source: its entries, tombstones and fetch state."""
        with self._writing("forget a source") as conn:
            entries.delete_source(conn, source_id)

    def source_ids(self) -> list[str]:
        with self._reading("list sources") as conn:
            return entries.source_ids(conn)

    # --- fetch state ---
    def get_state(self, source_id: str) -> FetchState:
        with self._reading("read fetch state") as conn:
            return read_state(conn, source_id)

    def all_states(self) -> dict[str, FetchState]:
        with self._reading("read fetch state") as conn:
            return read_all_states(conn)

    def save_state(self, fetch_state: FetchState) -> None:
        with self._writing("save fetch state") as conn:
            write_state(conn, fetch_state)

    # --- entries ---
    def known_fingerprints(self, source_id: str) -> dict[str, str]:
        """Entry id → content fingerprint for stored entries and tombstones of a source."""
        with self._reading("read entries") as conn:
            return entries.known_fingerprints(conn, source_id)

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
            result = entries.store_items(
                conn, source, items, stamp=stamp, baseline=baseline, notify=notify
            )
            write_state(conn, state)
        return result

    def entries(
        self, *, limit: int | None = None, source_id: str | None = None, unread_only: bool = False
    ) -> list[Entry]:
        """Newest first by published, else updated, else first-seen time."""
        with self._reading("read entries") as conn:
            return entries.list_entries(
                conn, limit=limit, source_id=source_id, unread_only=unread_only
            )

    def recent_times(self, source_id: str, limit: int) -> list[datetime]:
        """When a source's newest ``limit`` entries were published (else updated, else first
        seen), newest first."""
        with self._reading("read entry times") as conn:
            return entries.recent_times(conn, source_id, limit)

    def get_entry(self, source_id: str, entry_id: str) -> Entry | None:
        with self._reading("read an entry") as conn:
            return entries.get_entry(conn, source_id, entry_id)

    def set_read(self, source_id: str, entry_id: str, read: bool = True) -> None:
        with self._writing("mark an entry read") as conn:
            entries.set_read(conn, source_id, entry_id, read)

    def mark_all_read(self, source_id: str | None = None) -> None:
        with self._writing("mark entries read") as conn:
            entries.mark_all_read(conn, source_id)

    def unread_count(self) -> int:
        with self._reading("count unread entries") as conn:
            return entries.unread_count(conn)

    def first_seen_since(self, since: datetime) -> dict[str, list[datetime]]:
        """Source id → first-seen times of its entries stored since ``since`` (activity)."""
        with self._reading("read activity") as conn:
            return entries.first_seen_since(conn, since)

    def prune(self, now: datetime, *, max_age_days: int = 30, max_per_source: int = 500) -> int:
        """Apply retention (see ``entries.prune``). Returns the number of entries removed."""
        with self._writing("apply retention") as conn:
            return entries.prune(
                conn, now, max_age_days=max_age_days, max_per_source=max_per_source
            )

    # --- the key-points window ---
    def entry_page(
        self,
        *,
        limit: int,
        keep_since: str | None = None,
        cap: int | None = None,
        source_id: str | None = None,
        unread_only: bool = False,
        needle: str = "",
    ) -> search.EntryPage:
        """See ``search.entry_page``."""
        with self._reading("read entries") as conn:
            return search.entry_page(
                conn,
                limit=limit,
                keep_since=keep_since,
                cap=cap,
                source_id=source_id,
                unread_only=unread_only,
                needle=needle,
            )


def _connect_writable(path: Path, busy_timeout: float) -> sqlite3.Connection:
    private_folder(path.parent)
    for existing in (path, *_companions(path)):
        private_file(existing, create=existing == path)
    return sqlite3.connect(
        str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )


def _connect_readonly(
    path: Path, busy_timeout: float, query: str = "mode=ro"
) -> sqlite3.Connection:
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?{query}",
        uri=True,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=False,
    )


def _connect_immutable(path: Path, busy_timeout: float) -> sqlite3.Connection:
    return _connect_readonly(path, busy_timeout, "mode=ro&immutable=1")


def _connect_memory(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The empty store of a file that does not exist yet (read-only commands create none)."""
    return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)


def _prepared(
    path: Path,
    connect: Callable[[Path, float], sqlite3.Connection],
    busy_timeout: float,
    *,
    readonly: bool,
) -> sqlite3.Connection:
    """A connection made by ``connect``, checked, migrated (unless ``readonly``), with the
    window's search registered; every failure is a StorageError that says why."""
    try:
        conn = connect(path, busy_timeout)
    except sqlite3.Error as exc:
        raise _operational(path, "open it", exc) from exc
    except OSError as exc:
        raise StorageError(f"{path} could not be opened: {_os_reason(exc)}.") from exc
    in_memory = connect is _connect_memory
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if not in_memory:
            check_file(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        if in_memory:
            migrate(conn)
        elif readonly:
            check_readonly_version(conn, path)
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        search.register_match(conn)
    except StorageError:
        conn.close()
        raise
    except sqlite3.OperationalError as exc:
        conn.close()
        raise _operational(path, "open it", exc) from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise corrupt_error(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _snapshot_is_complete(path: Path, error: StorageError) -> bool:
    """Whether a read-only open that failed for want of a writable disk may read the file
    alone: the failure was the disk's, and no write-ahead log holds anything not in the file."""
    cause = error.__cause__
    if not isinstance(cause, sqlite3.OperationalError):
        return False
    text = str(cause).lower()
    if not any(word in text for word in ("i/o error", "unable to open", "readonly", "full")):
        return False
    wal = _companions(path)[0]
    try:
        return wal.stat().st_size == 0
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _companions(path: Path) -> tuple[Path, Path]:
    """The database's write-ahead log and its shared-memory index."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is still open. SQLite has already rolled back on some errors (a full
    disk, an I/O error); a failing rollback must not hide the error that caused it."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.debug("rolling back failed too: %s", exc)


_CAUSES = (
    ("disk is full", "the disk is full: free some space and try again"),
    ("disk i/o error", "the disk reported an input/output error"),
    ("readonly", "the file or its folder is read-only"),
    ("read-only", "the file or its folder is read-only"),
    (
        "unable to open",
        "the file or its folder cannot be opened (check that it exists and the permissions)",
    ),
)


def _operational(path: Path, action: str, exc: sqlite3.Error) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            f"{path} is busy: another Live Updates process kept it locked too long while "
            f"trying to {action} ({text}). Try again."
        )
    detail = getattr(exc, "sqlite_errorname", None)  # Python ≥ 3.11, e.g. SQLITE_IOERR_WRITE
    text = f"{text}, {detail}" if detail and detail != "SQLITE_ERROR" else text
    lowered = text.lower()
    if ("i/o error" in lowered or "ioerr" in lowered) and _disk_full(path):
        lowered = "disk is full"  # SQLite calls a failed write of its index an I/O error
    for needle, cause in _CAUSES:
        if needle in lowered:
            return StorageError(f"{path}: could not {action}: {cause} ({text}).")
    return StorageError(f"{path}: could not {action} ({text}).")


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < _FULL_BELOW_BYTES
    except OSError:
        return False


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full: free some space and try again"
    if exc.errno == errno.EROFS:
        return "the file or its folder is read-only"
    return exc.strerror or str(exc)


@contextmanager
def _translated(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise _operational(path, action, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise corrupt_error(path, exc) from exc
