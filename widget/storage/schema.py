"""The entry database's schema as numbered migrations, the code that applies them, and how
values are stored in its columns.

``MIGRATIONS[n]`` takes a database from ``PRAGMA user_version`` n to n + 1. Shipped migrations are
never edited; a change to the schema is a new script appended to the list.

Times are stored as fixed-width ISO 8601 UTC text (so text order is time order) and read back as
aware UTC datetimes.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from widget.core.errors import StorageError

# "LUpd" — marks a file as a Live Updates database (PRAGMA application_id).
APPLICATION_ID = 0x4C557064

# Sort key of the "newest first" order; the indexes below are built on exactly this expression.
SORT_TIME = "COALESCE(published, updated, first_seen)"
E_SORT_TIME = "COALESCE(e.published, e.updated, e.first_seen)"  # the same, on ``entries e``

MIGRATIONS: tuple[str, ...] = (
    # 1: sources mirror, entries, tombstones, fetch state.
    f"""
    CREATE TABLE sources (
        id   TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        url  TEXT NOT NULL
    );

    CREATE TABLE entries (
        source_id   TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        entry_id    TEXT NOT NULL,
        title       TEXT NOT NULL,
        url         TEXT,
        published   TEXT,
        updated     TEXT,
        summary     TEXT NOT NULL DEFAULT '',
        key_points  TEXT NOT NULL DEFAULT '[]',
        fingerprint TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL,
        read        INTEGER NOT NULL DEFAULT 0,
        notify      INTEGER NOT NULL DEFAULT 0,
        baseline    INTEGER NOT NULL DEFAULT 0,
        is_page     INTEGER NOT NULL DEFAULT 0,
        UNIQUE (source_id, entry_id)
    );
    CREATE INDEX entries_newest ON entries ({SORT_TIME} DESC);
    CREATE INDEX entries_source_newest ON entries (source_id, {SORT_TIME} DESC);
    CREATE INDEX entries_unread ON entries (read) WHERE read = 0;

    CREATE TABLE tombstones (
        source_id   TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        entry_id    TEXT NOT NULL,
        fingerprint TEXT NOT NULL DEFAULT '',
        removed_at  TEXT NOT NULL,
        last_seen   TEXT NOT NULL,
        PRIMARY KEY (source_id, entry_id)
    );
    CREATE INDEX tombstones_last_seen ON tombstones (last_seen);

    CREATE TABLE fetch_state (
        source_id         TEXT PRIMARY KEY,
        etag              TEXT,
        last_modified     TEXT,
        body_hash         TEXT,
        next_due          TEXT,
        error_count       INTEGER NOT NULL DEFAULT 0,
        last_error        TEXT,
        last_checked      TEXT,
        last_success      TEXT,
        last_new_entry    TEXT,
        retry_after_until TEXT,
        disabled_reason   TEXT,
        baseline_done     INTEGER NOT NULL DEFAULT 0,
        redirect_url      TEXT,
        redirect_count    INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: retention by age reads an index instead of every entry.
    """
    CREATE INDEX entries_first_seen ON entries (first_seen) WHERE is_page = 0;
    CREATE INDEX entries_page_last_seen ON entries (last_seen) WHERE is_page = 1;
    """,
    # 3: retention by listing, not by the clock: ``listed`` says whether the source's latest
    # successful parse still had the entry (or the tombstoned entry). Every entry that parse
    # listed was last seen at its time, so the newest last-seen time per source marks them.
    f"""
    ALTER TABLE entries ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE tombstones ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;
    UPDATE entries SET listed = last_seen >= (
        SELECT MAX(x.last_seen) FROM entries x WHERE x.source_id = entries.source_id);
    UPDATE tombstones SET listed = last_seen >= COALESCE(
        (SELECT MAX(x.last_seen) FROM entries x WHERE x.source_id = tombstones.source_id),
        last_seen);
    DROP INDEX entries_first_seen;
    DROP INDEX entries_page_last_seen;
    CREATE INDEX entries_unlisted_age ON entries ({SORT_TIME}) WHERE listed = 0;
    CREATE INDEX tombstones_unlisted ON tombstones (last_seen) WHERE listed = 0;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def to_db_time(value: datetime | None) -> str | None:
    """Fixed-width ISO 8601 in UTC; a naive datetime is taken to be UTC already."""
    return None if value is None else utc_text(value)


def utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def split_statements(script: str) -> list[str]:
    """The complete SQL statements of ``script``, in order (``executescript`` would commit)."""
    statements: list[str] = []
    buffer = ""
    for chunk in script.split(";"):
        buffer += chunk + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:60]!r}")
    return statements


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date in one IMMEDIATE transaction; returns the version found.

    The version is read again inside the transaction, so two processes opening a fresh file at
    the same time apply each migration once. ``conn`` must be in autocommit mode.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for version in range(found, SCHEMA_VERSION):
            for statement in split_statements(MIGRATIONS[version]):
                conn.execute(statement)
        if found < SCHEMA_VERSION:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite itself rolls back on a full disk or an I/O error
            # The error that stopped the migration is the one to report.
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    return found


def corrupt_error(path: Path, reason: object) -> StorageError:
    return StorageError(
        f"{path} is not a valid Live Updates database ({reason}); it was left untouched. "
        "Move it aside (or delete it) and Live Updates will start a new one."
    )


def check_file(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not an intact Live Updates database (raises sqlite3 errors for a
    file that is not SQLite at all)."""
    # One read transaction, so another process creating the schema right now is seen either
    # before or after its commit, never half-way (no id yet, but tables already).
    conn.execute("BEGIN")
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    finally:
        if conn.in_transaction:  # not after an I/O error: its message is the one raised
            conn.execute("COMMIT")
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and (version or tables)):
        raise corrupt_error(path, "it is an SQLite database of another application")
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{path} was written by a newer version of Live Updates (schema {version}; this "
            f"version knows up to {SCHEMA_VERSION}); it was left untouched. Update Live Updates."
        )
    if tables:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise corrupt_error(path, "; ".join(problems))


def check_readonly_version(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version != SCHEMA_VERSION:
        raise StorageError(
            f"{path} has schema version {version}, expected {SCHEMA_VERSION}: open it once "
            "for writing (start Live Updates or run `live-updates check`) to upgrade it."
        )
