"""The entry store's write path, inside a transaction the caller holds: a poll's items diffed
against what is stored (new / edited / known / tombstoned), and retention's removals."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from widget.core.models import Entry, Item, Source
from widget.storage.rows import content_columns, item_fingerprint, new_entry, to_db_time
from widget.storage.schema import SORT_TIME

__all__ = ["UPSERT_SOURCE", "doomed_rowids", "store_items", "tombstone_and_delete"]

UPSERT_SOURCE = (
    "INSERT INTO sources (id, name, url) VALUES (?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url"
)
_INSERT_ENTRY = (
    "INSERT INTO entries (source_id, entry_id, title, url, published, updated, summary,"
    " key_points, is_page, fingerprint, first_seen, last_seen, notify, baseline, read)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_ENTRY = (
    "UPDATE entries SET title = ?, url = ?, published = ?, updated = ?, summary = ?,"
    " key_points = ?, is_page = ?, fingerprint = ?, last_seen = ?"
    " WHERE source_id = ? AND entry_id = ?"
)
_TOMBSTONE_ENTRY = (
    "INSERT INTO tombstones (source_id, entry_id, fingerprint, removed_at, last_seen)"
    " SELECT source_id, entry_id, fingerprint, ?, ? FROM entries WHERE rowid = ?"
    " ON CONFLICT (source_id, entry_id)"
    " DO UPDATE SET removed_at = excluded.removed_at, last_seen = excluded.last_seen"
)


def store_items(
    conn: sqlite3.Connection,
    source: Source,
    items: Sequence[Item],
    *,
    stamp: str,
    baseline: bool,
    notify: Callable[[Item], bool],
) -> tuple[list[Entry], int]:
    """Insert new items (notify=False when ``baseline``), update edited ones silently, ignore
    known and tombstoned ones (their last-seen time is ``stamp``, a UTC text time).
    Returns (new entries, number of updated entries)."""
    first_seen = datetime.fromisoformat(stamp)
    new_entries: list[Entry] = []
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    unchanged: list[tuple[str, str, str]] = []
    tombstones_seen: list[tuple[str, str, str]] = []
    conn.execute(UPSERT_SOURCE, (source.id, source.name, source.url))
    known = dict(
        conn.execute(
            "SELECT entry_id, fingerprint FROM entries WHERE source_id = ?", (source.id,)
        ).fetchall()
    )
    tombstoned = {
        row[0]
        for row in conn.execute("SELECT entry_id FROM tombstones WHERE source_id = ?", (source.id,))
    }
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            continue  # duplicate id in one response: the first one wins
        seen.add(item.id)
        if item.id in tombstoned:
            tombstones_seen.append((stamp, source.id, item.id))
            continue
        published, updated = to_db_time(item.published), to_db_time(item.updated)
        fp = item_fingerprint(item, published, updated)
        if item.id in known:
            if known[item.id] == fp:
                unchanged.append((stamp, source.id, item.id))
            else:
                content = content_columns(item, published, updated)
                updates.append((*content, fp, stamp, source.id, item.id))
            continue
        wants = False if baseline else bool(notify(item))
        content = content_columns(item, published, updated)
        # A baseline is what the source already showed when it was added: stored as read,
        # so adding a source never floods the unread badge either.
        inserts.append((source.id, item.id, *content, fp, stamp, stamp, wants, baseline, baseline))
        new_entries.append(
            new_entry(source, item, content, first_seen, notify=wants, baseline=baseline)
        )
    # Reverse order: entries sharing a sort time come back in the source's own order.
    conn.executemany(_INSERT_ENTRY, reversed(inserts))
    conn.executemany(_UPDATE_ENTRY, updates)
    conn.executemany(
        "UPDATE entries SET last_seen = ? WHERE source_id = ? AND entry_id = ?", unchanged
    )
    conn.executemany(
        "UPDATE tombstones SET last_seen = ? WHERE source_id = ? AND entry_id = ?",
        tombstones_seen,
    )
    return new_entries, len(updates)


def doomed_rowids(conn: sqlite3.Connection, cutoff: str, keep: int) -> list[int]:
    """Entries past retention: beyond the newest ``keep`` of their source, or first seen
    before ``cutoff``. A live page's own entry is not counted and ages from when it was last
    seen, so a page that is still live keeps its key points. Index-only lookups."""
    doomed: set[int] = set()
    crowded = conn.execute(
        # Counts the page entry too (cheap, from an index); the query below leaves it out.
        "SELECT source_id FROM entries GROUP BY source_id HAVING COUNT(*) > ?",
        (keep,),
    ).fetchall()
    for (source_id,) in crowded:
        doomed.update(
            row[0]
            for row in conn.execute(
                f"SELECT rowid FROM entries WHERE source_id = ? AND is_page = 0"
                f" ORDER BY {SORT_TIME} DESC, rowid DESC LIMIT -1 OFFSET ?",
                (source_id, keep),
            )
        )
    doomed.update(
        row[0]
        for row in conn.execute(
            "SELECT rowid FROM entries WHERE is_page = 0 AND first_seen < ?"
            " UNION ALL SELECT rowid FROM entries WHERE is_page = 1 AND last_seen < ?",
            (cutoff, cutoff),
        )
    )
    return sorted(doomed)


def tombstone_and_delete(conn: sqlite3.Connection, rowids: Sequence[int], stamp: str) -> None:
    """Remove the entries ``rowids``, each leaving a tombstone removed and last seen at
    ``stamp``, so a source that still lists it does not bring it back."""
    conn.executemany(_TOMBSTONE_ENTRY, [(stamp, stamp, rowid) for rowid in rowids])
    conn.executemany("DELETE FROM entries WHERE rowid = ?", [(r,) for r in rowids])
