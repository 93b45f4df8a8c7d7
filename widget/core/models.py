"""Plain, frozen values that flow through Live Updates.

Everything here is pure data: no I/O, no Qt. Times are timezone-aware ``datetime`` objects in UTC
unless a field says otherwise.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class SourceKind(str, enum.Enum):
    """What a source URL holds. The value is what config files and ``sources list`` show."""

    FEED = "feed"  # RSS 0.9x/1.0/2.0, RDF, Atom (through feedparser)
    JSON_FEED = "jsonfeed"  # JSON Feed 1.0 / 1.1
    LIVE_PAGE = "livepage"  # HTML page with schema.org LiveBlogPosting JSON-LD

    @property
    def default_interval_minutes(self) -> int:
        return 5 if self is SourceKind.LIVE_PAGE else 15


class AuthKind(str, enum.Enum):
    """How a private source authenticates. The secret itself lives in the keyring only."""

    NONE = "none"
    BASIC = "basic"  # HTTP Basic: ``username`` in config, password in the keyring
    HEADER = "header"  # a header token: ``auth_header`` name in config, value in the keyring


MIN_INTERVAL_MINUTES = 1


class IntervalMode(str, enum.Enum):
    """How a source's checks are timed. The value is what config files and the CLI show."""

    AUTO = "auto"  # the adaptive schedule (core/schedule.py): follows the source's own pace
    FIXED = "fixed"  # a fixed interval: set by hand, or the kind's default


@dataclass(frozen=True)
class Source:
    """A source as the user configured it (the config file is the truth for these fields)."""

    id: str  # stable identity, survives renames and URL changes
    name: str
    url: str
    kind: SourceKind
    interval_minutes: int | None = None  # set by hand (fixed); None: "Every: Auto"
    enabled: bool = True
    notify: bool = True
    include: tuple[str, ...] = ()  # keyword filters: words or /regex/
    exclude: tuple[str, ...] = ()
    auth: AuthKind = AuthKind.NONE
    username: str | None = None  # for BASIC
    auth_header: str | None = None  # for HEADER, e.g. "Authorization" or "X-Api-Key"
    folder: str | None = None  # from OPML nesting
    html_url: str | None = None  # the site's own page (OPML htmlUrl), kept for export
    notify_key_points: bool = True  # a live page's "What to know" list changing notifies

    @property
    def interval_mode(self) -> IntervalMode:
        """A source's own interval is kept as set; without one it follows the schedule."""
        return IntervalMode.AUTO if self.interval_minutes is None else IntervalMode.FIXED

    def effective_interval_minutes(self, default: int | None = None) -> int:
        minutes = self.interval_minutes or default or self.kind.default_interval_minutes
        return max(MIN_INTERVAL_MINUTES, minutes)


@dataclass(frozen=True)
class Item:
    """One entry as a parser produced it, before it is stored. All text is plain text."""

    id: str  # identity, verbatim: guid/id/@id, else link, else a content hash
    title: str
    url: str | None  # absolute http(s) URL or None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    key_points: tuple[str, ...] = ()
    is_page: bool = False  # the live page's own entry (page-level key points)


@dataclass(frozen=True)
class ParsedSource:
    """What a parser made of one response body."""

    kind: SourceKind
    title: str
    link: str | None  # the site / page URL, absolute http(s) or None
    items: tuple[Item, ...]
    warnings: tuple[str, ...] = ()  # e.g. "malformed XML, kept what parsed"


@dataclass(frozen=True)
class Entry:
    """A stored entry, as the CLI prints it and the GUI shows it."""

    source_id: str
    source_name: str
    source_url: str
    id: str
    title: str
    url: str | None
    published: datetime | None
    updated: datetime | None
    summary: str
    key_points: tuple[str, ...]
    first_seen: datetime
    notify: bool  # False for baseline entries and entries muted by filters
    read: bool = False
    is_page: bool = False
    baseline: bool = False

    @property
    def sort_time(self) -> datetime:
        return self.published or self.updated or self.first_seen


@dataclass(frozen=True)
class FetchState:
    """What the engine remembers about a source between polls (survives restarts)."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_due: datetime | None = None  # None: due now
    error_count: int = 0
    last_error: str | None = None
    last_checked: datetime | None = None
    last_success: datetime | None = None
    last_new_entry: datetime | None = None
    retry_after_until: datetime | None = None  # a server's Retry-After; never polled before this
    disabled_reason: str | None = None  # e.g. "410 Gone: the server says this feed is gone"
    baseline_done: bool = False  # the first successful poll happened
    redirect_url: str | None = None  # a permanent redirect target seen on the last poll
    redirect_count: int = 0  # consecutive polls that saw that same permanent redirect


class PollStatus(str, enum.Enum):
    OK = "ok"  # fetched and parsed (maybe nothing new)
    NOT_MODIFIED = "not_modified"  # 304, or a 200 whose body hash equals the last one
    ERROR = "error"
    DEFERRED = "deferred"  # under a server's Retry-After; not polled
    DISABLED = "disabled"  # e.g. 410 Gone
    CANCELLED = "cancelled"  # the poll was stopped (quit); nothing was written for it


@dataclass(frozen=True)
class KeyPointsChange:
    """A live page's own "What to know" list gained or lost points in a poll."""

    source_id: str
    source_name: str
    entry_id: str  # the page's own entry
    title: str
    url: str | None
    points: tuple[str, ...]  # the list now
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class SourceResult:
    source_id: str
    source_name: str
    status: PollStatus
    new_entries: tuple[Entry, ...] = ()
    updated_count: int = 0
    error: str | None = None  # a sentence a user can read, never a secret
    baseline: bool = False  # this was the source's first successful poll
    next_due: datetime | None = None
    # New entries stored by this poll, listed in ``new_entries`` or not: a poll asked for counts
    # only of a baseline (``Engine.poll(baseline_entries=False)``) leaves ``new_entries`` empty.
    stored_count: int = 0
    # The page's key-points list changed (not on a baseline; only when the source's "What to
    # know" switch is on; a muted source's changes are marked in the window, not notified).
    key_points_changes: tuple[KeyPointsChange, ...] = ()


@dataclass(frozen=True)
class PollResult:
    started: datetime
    finished: datetime
    results: tuple[SourceResult, ...] = field(default_factory=tuple)

    @property
    def new_entries(self) -> tuple[Entry, ...]:
        return tuple(e for r in self.results for e in r.new_entries)

    @property
    def key_points_changes(self) -> tuple[KeyPointsChange, ...]:
        return tuple(c for r in self.results for c in r.key_points_changes)

    @property
    def stored_count(self) -> int:
        """New entries this poll stored, baselines given as counts only included."""
        return sum(r.stored_count for r in self.results)

    @property
    def failed(self) -> tuple[SourceResult, ...]:
        return tuple(r for r in self.results if r.status in (PollStatus.ERROR, PollStatus.DISABLED))


@dataclass(frozen=True)
class SourceStatus:
    """A source with its fetch state, for ``sources list``, the window footer and settings."""

    source: Source
    state: FetchState

    @property
    def enabled(self) -> bool:
        return self.source.enabled and self.state.disabled_reason is None


@dataclass(frozen=True)
class QuietHours:
    """Hold notifications back between ``start`` and ``end`` (local "HH:MM", may wrap midnight)."""

    start: str = "22:00"
    end: str = "07:00"
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, the day the quiet period starts


@dataclass(frozen=True)
class Settings:
    """Everything in the config file besides the sources."""

    default_interval_feed: int = 15
    default_interval_live: int = 5
    retention_days: int = 30
    retention_entries: int = 500
    max_response_mb: int = 10
    notifications_enabled: bool = True
    batch_threshold: int = 3  # more new entries than this from one source → one summary
    show_key_point: bool = True
    quiet_hours: QuietHours | None = None
    highlight_words: tuple[str, ...] = ()
    start_at_login: bool = False
    proxy: str | None = None  # None: the system proxy
    # AUTO: sources without their own interval follow the adaptive schedule; FIXED: they are
    # checked every default_interval_* minutes (the behaviour before the adaptive schedule).
    schedule: IntervalMode = IntervalMode.AUTO

    def default_interval(self, kind: SourceKind) -> int:
        if kind is SourceKind.LIVE_PAGE:
            return self.default_interval_live
        return self.default_interval_feed


@dataclass(frozen=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    sources: tuple[Source, ...] = ()

    def find_source(self, name_or_id: str) -> Source | None:
        for s in self.sources:
            if s.id == name_or_id:
                return s
        folded = name_or_id.casefold()
        for s in self.sources:
            if s.name.casefold() == folded:
                return s
        return None
