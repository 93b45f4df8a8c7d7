"""The key-points window's rows without Qt: lean entry records, matching rows read from the store
against those shown, and grouping them for display. Pure Python, so the loader can run it on the
worker thread and hand the GUI thread rows ready to show.

The window holds only the newest entries that match its filters (``PAGE_SIZE`` at first, more as
the user asks for older ones); the store answers the filters and the search, so they still cover
every entry.

Display rows, newest first:
- ``ENTRY``: a feed entry (title, source, time, key points as bullets);
- ``PAGE``: a live page's own entry, heading its group with the page-level key points;
- ``UPDATE``: a live page's update, inside that page's group;
- ``MORE``: "N earlier updates" at the end of a long live-page group (activating it expands);
- ``DIVIDER``: "new since you last looked", between the new groups and the older ones;
- ``OLDER``: "Show older entries", last, when older entries match too.
"""

from __future__ import annotations

import enum
import functools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from widget.core.text import repeats
from widget.storage.search import EntryPage

LIVE_GROUP_SHOWN = 5  # a live page's group shows this many updates until expanded
POINTS_CACHE = 512  # entries whose decoded key points are kept (a few screenfuls)
PAGE_SIZE = 200  # entries read at first, and added by each "Show older entries"
KEEP_CAP = 2000  # a live reload keeps at most this many entries to hold the view in place
Key = tuple[str, str]  # (source_id, entry_id)


class RowKind(enum.IntEnum):
    ENTRY = 0
    PAGE = 1
    UPDATE = 2
    MORE = 3
    DIVIDER = 4
    OLDER = 5


class Show(str, enum.Enum):
    ALL = "all"
    UNREAD = "unread"


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def decode_points(points_json: str, title: str) -> tuple[str, ...]:
    """Key points from their stored JSON text. A key point that only repeats the title (an entry
    with no body) is left out; text that is not a JSON list gives no key points."""
    try:
        raw = json.loads(points_json)
    except ValueError:
        return ()
    if not isinstance(raw, list):
        return ()
    texts = (str(p) for p in raw)
    return tuple(p for p in texts if p.strip() and not repeats(p, title))


# Key points are kept as their JSON text only and decoded for the rows being painted or measured:
# a small cache covers a screenful repainted again and again. Keyed by the text objects
# themselves, so an edited entry (new text) never meets its old points.
_decoded = functools.lru_cache(maxsize=POINTS_CACHE)(decode_points)


def clear_caches() -> None:
    """Forget decoded key points (the window was hidden)."""
    _decoded.cache_clear()


class Rec:
    """One stored entry, as lean as the window needs it: source ids and names are shared by all
    entries of a source, and key points stay JSON text (decoded when painted)."""

    __slots__ = (
        "_when",
        "entry_id",
        "first_seen",
        "is_page",
        "measure",
        "points_json",
        "read",
        "sort_text",
        "source_id",
        "source_name",
        "title",
        "url",
    )

    def __init__(self, row: Sequence[Any]) -> None:
        (
            source_id,
            source_name,
            entry_id,
            title,
            url,
            sort_text,
            points_json,
            read,
            is_page,
            first_seen,
        ) = row
        self.source_id: str = sys.intern(source_id)
        self.source_name: str = sys.intern(source_name)
        self.entry_id: str = entry_id
        self.title: str = title
        self.url: str | None = url
        self.first_seen: str = first_seen
        # Most entries sort by a time they also have as text elsewhere: one string for both.
        self.sort_text: str = first_seen if sort_text == first_seen else sort_text
        self.points_json: str = points_json
        self.read = bool(read)
        self.is_page = bool(is_page)
        self._when: datetime | None = None
        self.measure: int | None = None  # the delegate's measured height, packed with its key

    @property
    def key(self) -> Key:
        return (self.source_id, self.entry_id)

    @property
    def points(self) -> tuple[str, ...]:
        return _decoded(self.points_json, self.title)

    @property
    def when(self) -> datetime:
        if self._when is None:
            self._when = parse_time(self.sort_text)
        return self._when

    def same_as(self, other: Rec) -> bool:
        return (
            self.key == other.key
            and self.read == other.read
            and self.title == other.title
            and self.url == other.url
            and self.sort_text == other.sort_text
            and self.points_json == other.points_json
            and self.source_name == other.source_name
        )


Row = tuple[RowKind, Rec | None, int]  # kind, entry, MORE: folded count


class PageSource(Protocol):
    """What the window reads: ``Database.entry_page`` of a read-only ``Database``."""

    def entry_page(
        self,
        *,
        limit: int,
        keep_since: str | None = None,
        cap: int | None = None,
        source_id: str | None = None,
        unread_only: bool = False,
        needle: str = "",
    ) -> EntryPage: ...


@dataclass(frozen=True)
class ViewState:
    """What the rows depend on besides the entries: filters, folds, the last look, and how many
    entries are read."""

    source_id: str | None
    show: Show
    needle: str  # casefolded search text, "" for none
    expanded: frozenset[str]  # live pages shown with all their updates
    last_looked: str | None  # ISO UTC text, compared with first-seen text
    limit: int = PAGE_SIZE

    @property
    def query(self) -> tuple[str | None, Show, str, int]:
        return (self.source_id, self.show, self.needle, self.limit)


@dataclass(frozen=True)
class Grouped:
    """Rows grouped ahead of time for ``state``."""

    state: ViewState
    rows: list[Row]


@dataclass(frozen=True)
class Loaded:
    """The store's entries, ready to show: ``recs`` newest first (the matching entries and the
    live pages heading them), ``changed`` when anything differs from what was shown."""

    recs: list[Rec]
    changed: bool
    grouped: Grouped | None = None  # rows made ahead of time (on the worker)
    more: bool = False  # older entries match too
    total: int = 0  # entries stored
    unread: int = 0  # unread entries stored
    newest: dict[str, str] = field(default_factory=dict)  # live page's source → newest time
    sources: tuple[tuple[str, str], ...] = ()  # (id, name) of the sources with entries
    query: tuple[str | None, Show, str, int] | None = None  # ViewState.query it answers
    limit: int = PAGE_SIZE  # entries it holds room for (grown to keep the view in place)


def with_heads(page: EntryPage) -> list[tuple[Any, ...]]:
    """The matching rows, with the live page heading any of its updates among them put in its
    place (newest first) when it is not there already."""
    rows = page.rows
    if not page.pages:
        return rows
    present = {(r[0], r[2]) for r in rows}
    with_updates = {r[0] for r in rows if not r[8]}
    heads = [p for p in page.pages if p[0] in with_updates and (p[0], p[2]) not in present]
    if not heads:
        return rows
    out = list(rows)
    for head in heads:
        at = next((i for i, r in enumerate(out) if r[5] < head[5]), len(out))
        out.insert(at, head)
    return out


def read_page(store: PageSource | None, state: ViewState, keep_since: str | None) -> EntryPage:
    """The store's answer for ``state`` (any thread: the read-only connection has its own
    lock); ``keep_since``: the oldest sort time the view must keep."""
    if store is None:
        return EntryPage([], False, 0, 0)
    return store.entry_page(
        limit=state.limit,
        keep_since=keep_since,
        cap=KEEP_CAP,
        source_id=state.source_id,
        unread_only=state.show is Show.UNREAD,
        needle=state.needle,
    )


def prepare_recs(page: EntryPage, shown: Sequence[Rec], state: ViewState) -> Loaded:
    """Match what the store answered against the entries ``shown`` now. Unchanged entries
    keep their object (and measured height). Pure Python, no Qt: the loader runs it on the
    worker, so the GUI thread only resets the model."""
    rows = with_heads(page)
    known = {r.key: r for r in shown}
    changed = len(rows) != len(shown)
    recs: list[Rec] = []
    for i, row in enumerate(rows):
        rec = Rec(row)
        old = known.get(rec.key)
        if old is not None and old.same_as(rec):
            rec = old
            if not changed and shown[i] is not old:
                changed = True
        else:
            changed = True
        recs.append(rec)
    return Loaded(
        recs,
        changed,
        more=page.more,
        total=page.total,
        unread=page.unread,
        newest=dict(page.newest),
        sources=tuple(page.sources),
        query=state.query,
        limit=max(state.limit, len(page.rows)),
    )


def group_rows(recs: Sequence[Rec], state: ViewState, more: bool = False) -> list[Row]:
    """Display rows for ``recs`` (newest first: entries that match the filters, and the live
    pages heading them) under ``state``."""
    rows: list[Row] = []
    pages: dict[str, Rec] = {r.source_id: r for r in recs if r.is_page}
    members: dict[str, list[Rec]] = {}
    if pages:
        for rec in recs:
            if rec.source_id in pages and not rec.is_page:
                members.setdefault(rec.source_id, []).append(rec)
    done: set[str] = set()
    divider_at: int | None = None
    seen_new = False
    looked = state.last_looked
    for rec in recs:
        sid = rec.source_id
        if sid in pages:
            if sid in done:
                continue
            page = pages[sid]
            updates = members.get(sid, [])
            done.add(sid)
            group = [(RowKind.PAGE, page, 0)]
            shown = updates if sid in state.expanded else updates[:LIVE_GROUP_SHOWN]
            group.extend((RowKind.UPDATE, u, 0) for u in shown)
            if len(updates) > LIVE_GROUP_SHOWN:
                folded = 0 if sid in state.expanded else len(updates) - LIVE_GROUP_SHOWN
                group.append((RowKind.MORE, page, folded))
            is_new = (
                looked is not None
                and max([u.first_seen for u in updates] + [page.first_seen]) > looked
            )
        else:
            group = [(RowKind.ENTRY, rec, 0)]
            is_new = looked is not None and rec.first_seen > looked
        if is_new and divider_at is None:
            seen_new = True
        elif not is_new and seen_new and divider_at is None:
            divider_at = len(rows)
        rows.extend(group)
    if divider_at is not None:
        rows.insert(divider_at, (RowKind.DIVIDER, None, 0))
    if more:
        rows.append((RowKind.OLDER, None, 0))
    return rows


def grouped(loaded: Loaded, state: ViewState) -> Loaded:
    """``loaded`` with its rows grouped for ``state`` ahead of time (when anything changed)."""
    if not loaded.changed:
        return loaded
    rows = group_rows(loaded.recs, state, loaded.more)
    return Loaded(
        loaded.recs,
        True,
        Grouped(state, rows),
        loaded.more,
        loaded.total,
        loaded.unread,
        loaded.newest,
        loaded.sources,
        loaded.query,
        loaded.limit,
    )
