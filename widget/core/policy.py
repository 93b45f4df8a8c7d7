"""Pure notification decisions: which new entries notify, when, and with which text.

Nothing here does I/O or reads a clock: ``decide`` gets ``now`` and the previous decision's state
and returns a ``Decision`` the GUI carries out (send, hold, ask again at ``next_allowed_at``).

Rules, in order:

* Baseline entries (``Entry.notify`` False or ``Entry.baseline``), sources whose notify switch is
  off and everything while ``Settings.notifications_enabled`` is False never notify. The engine
  applies each source's include/exclude filters through ``passes_filters`` when it stores an entry.
* Pause, do-not-disturb and quiet hours *hold* entries (they stay stored and unread). When the hold
  ends, everything held goes out as ONE "While you were away" notification.
* More than ``Settings.batch_threshold`` new entries of one source become one batch notification,
  "N new updates — latest: <title>", whose click opens the window (``key`` None).
* At most one notification per ``RATE_LIMIT`` overall. What cannot go out yet is held and the GUI
  asks again at ``next_allowed_at``; when more than ``batch_threshold`` notifications would be
  waiting, they are coalesced into one summary.

Content: the summary line is the entry title (≤ 100 characters); the body's first line is the
source name, the second the entry's first key point (or its summary), ≤ 200 characters. All plain
text. Highlight words anywhere in an entry make its notification urgent.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from widget.core.errors import ConfigError
from widget.core.models import Entry, KeyPointsChange, QuietHours, Settings
from widget.core.text import repeats, truncate

if TYPE_CHECKING:
    import regex

log = logging.getLogger(__name__)

RATE_LIMIT = timedelta(seconds=5)
SUMMARY_LIMIT = 100
BODY_LIMIT = 200
SUMMARY_REPLACES_KEY = "live-updates:summary"  # a newer summary replaces the previous one
# One search of a user's /regex/ in one entry's text stops after this long; a pattern that
# needs longer is turned off for the rest of the process (and says so), so a filter can cost
# the GUI thread or a poll at most this much once.
MATCH_TIMEOUT_S = 0.05
_REGEX_FLAGS = {"i": "IGNORECASE", "m": "MULTILINE", "s": "DOTALL", "x": "VERBOSE"}
KEY_POINTS_SUMMARY = "What to know — updated"
KEY_POINTS_REPLACES = "live-updates:what-to-know:"  # + source id: one per page on screen
_SLASHED = re.compile(r"^/(?P<body>.*)/(?P<flags>[a-z]*)$", re.DOTALL)
_too_slow: dict[str, str] = {}  # pattern → why it was turned off (process-wide)

# --- keyword filters ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str] | regex.Pattern[str] | str:
    """The compiled pattern, or a sentence saying why it is unusable. Words and phrases are
    escaped into a pattern that runs in linear time (Python's ``re``); a /regex/ is compiled
    with the ``regex`` package, whose searches can be given a time limit."""
    stripped = pattern.strip()
    if not stripped:
        return "an empty filter matches nothing"
    slashed = _SLASHED.match(stripped) if len(stripped) >= 2 else None
    if slashed is None:
        words = [re.escape(w) for w in stripped.split()]
        return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
    import regex  # only a /regex/ filter needs it

    body, flags = slashed.group("body"), 0
    for letter in slashed.group("flags"):
        if letter not in _REGEX_FLAGS:
            return f"unknown regex flag {letter!r} in '{pattern}' (use i, m, s or x)"
        flags |= getattr(regex, _REGEX_FLAGS[letter])
    if not body:
        return f"the regex '{pattern}' is empty"
    try:
        compiled = regex.compile(body, flags | regex.VERSION0)
    except regex.error as exc:
        return f"the regex '{pattern}' is invalid: {exc}"
    if _nested_repetition(body, flags):
        return (
            f"the regex '{pattern}' repeats a group that itself repeats, like (a+)+: on some "
            "texts that takes hours. Write it without the outer repetition"
        )
    return compiled


def _nested_repetition(body: str, flags: int) -> bool:
    """Whether the pattern repeats something that itself repeats, as in ``(a+)+`` or
    ``(\\w+\\s?)*`` (the shape behind catastrophic backtracking). ``flags`` are the
    i/m/s/x flags, which ``re`` and ``regex`` number alike. A pattern Python's own parser does
    not know (``regex``-only syntax) is left to the time limit."""
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_parse
    try:
        tree = sre_parse.parse(body, flags)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return False

    def repeated(op: Any, av: Any) -> bool:
        return str(op) in ("MAX_REPEAT", "MIN_REPEAT") and av[1] > 1

    def repeats_inside(node: Any) -> bool:
        return any(
            repeated(op, av) or any(repeats_inside(child) for child in _subtrees(av))
            for op, av in _children(node)
        )

    def nested(node: Any) -> bool:
        return any(
            (repeated(op, av) and repeats_inside(av[2]))
            or any(nested(child) for child in _subtrees(av))
            for op, av in _children(node)
        )

    return nested(tree)


def _children(node: Any) -> list[tuple[Any, Any]]:
    data = getattr(node, "data", node)
    return [item for item in data if isinstance(item, tuple) and len(item) == 2]


def _subtrees(av: Any) -> list[Any]:
    """The parsed sub-patterns inside one node's argument (groups, branches, repeats…)."""
    found: list[Any] = []
    values = av if isinstance(av, (tuple, list)) else (av,)
    for value in values:
        if hasattr(value, "data"):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend(_subtrees(value))
    return found


def pattern_error(pattern: str) -> str | None:
    """Why a filter pattern cannot be used (for validation of the config, the settings and
    the command line), or None if usable."""
    if pattern in _too_slow:
        return _too_slow[pattern]
    compiled = _compile(pattern)
    return compiled if isinstance(compiled, str) else None


def matches(pattern: str, text: str) -> bool:
    """One filter pattern against text: a word or phrase matches case-insensitively as whole
    words (spaces match any whitespace); ``/regex/`` or ``/regex/i`` is a regex searched
    anywhere, for at most ``MATCH_TIMEOUT_S``. An unusable pattern (see ``pattern_error``)
    never matches and never raises; one that runs out of time is turned off."""
    compiled = _compile(pattern)
    if isinstance(compiled, str) or pattern in _too_slow:
        return False
    if isinstance(compiled, re.Pattern):
        return compiled.search(text) is not None
    try:
        return compiled.search(text, timeout=MATCH_TIMEOUT_S) is not None
    except TimeoutError:
        _too_slow[pattern] = (
            f"the regex '{pattern}' took too long on an entry's text and was turned off: "
            "simplify it"
        )
        log.warning("%s", _too_slow[pattern])
        return False


def passes_filters(include: Sequence[str], exclude: Sequence[str], text: str) -> bool:
    """Keyword filters: each pattern a word/phrase (case-insensitive, whole word) or /regex/.
    True when ``text`` matches some include (or there are none) and no exclude.
    An invalid /regex/ never matches (and never raises)."""
    if include and not any(matches(p, text) for p in include):
        return False
    return not any(matches(p, text) for p in exclude)


def entry_text(entry: Entry) -> str:
    """The text filters and highlight words look at: title, summary and key points."""
    return "\n".join((entry.title, entry.summary, *entry.key_points))


def is_highlighted(words: Sequence[str], entry: Entry) -> bool:
    """True when any highlight word/phrase or /regex/ occurs in the entry."""
    text = entry_text(entry)
    return any(matches(w, text) for w in words)


# --- quiet hours and do-not-disturb ------------------------------------------------------------


def parse_clock(value: str) -> time:
    """``"HH:MM"`` (24-hour) as a time; ConfigError with a readable message otherwise."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ConfigError(f"quiet hours: {value!r} is not a time like 22:00 (24-hour HH:MM)")
    return time(int(match.group(1)), int(match.group(2)))


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """The end of the quiet period ``now`` falls in, or None when it is not quiet.

    Times are wall-clock times in ``now``'s timezone (pass local time). A period starts at
    ``start`` on each of ``days`` (Monday = 0) and ends at the next ``end``, so 22:00–07:00 on
    Friday covers Friday night and Saturday morning. ``start == end`` means a whole day.
    """
    if quiet is None or not quiet.days:
        return None
    start, end = parse_clock(quiet.start), parse_clock(quiet.end)
    today = now.date()
    for day in (today - timedelta(days=1), today):
        if day.weekday() not in quiet.days:
            continue
        begins = datetime.combine(day, start, tzinfo=now.tzinfo)
        ends = datetime.combine(day, end, tzinfo=now.tzinfo)
        if ends <= begins:
            ends += timedelta(days=1)
        if begins <= now < ends:
            return ends
    return None


# --- planned notifications ---------------------------------------------------------------------


EntryKey = tuple[str, str]  # (source_id, entry_id)


@dataclass(frozen=True)
class Notification:
    """What to show: the one notification value, planned here and shown by a backend. ``key``
    is the entry (source_id, entry_id), or None for a batch or summary whose click opens the
    window. ``entries`` lists every entry it covers ("Mark read" marks them all).
    ``replaces_key``: a newer notification with the same key replaces this one on screen (the
    source id for live pages). Text is plain text."""

    summary: str
    body: str
    key: EntryKey | None = None
    source_name: str = ""
    url: str | None = None
    urgent: bool = False
    replaces_key: str | None = None
    entries: tuple[EntryKey, ...] = ()
    # From the server's ActivationToken, for the launch the click causes (XDG_ACTIVATION_TOKEN,
    # so that the browser comes to the front on Wayland); never compared.
    activation_token: str | None = field(default=None, compare=False)

    @property
    def opens_window(self) -> bool:
        return self.key is None


def _clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    return truncate(" ".join(text.split()), limit)


def _detail(entry: Entry, settings: Settings) -> str:
    if not settings.show_key_point:
        return ""
    # what the title does not already say: its first key point, else the summary
    said = (t for t in (*entry.key_points, entry.summary) if t.strip())
    first = next((t for t in said if not repeats(t, entry.title)), "")
    return _clip(first, BODY_LIMIT)


def _body(first_line: str, detail: str) -> str:
    return f"{first_line}\n{detail}" if detail else first_line


def _latest(entries: Sequence[Entry]) -> Entry:
    return max(entries, key=lambda e: (e.sort_time, e.first_seen))


def plan_single(
    entry: Entry, settings: Settings, *, replaces_key: str | None = None
) -> Notification:
    """One entry: its title, its source name and first key point; click opens its URL."""
    key = (entry.source_id, entry.id)
    return Notification(
        summary=_clip(entry.title, SUMMARY_LIMIT) or "New update",
        body=_body(entry.source_name, _detail(entry, settings)),
        source_name=entry.source_name,
        entries=(key,),
        key=key,
        url=entry.url,
        urgent=is_highlighted(settings.highlight_words, entry),
        replaces_key=replaces_key,
    )


def plan_batch(
    entries: Sequence[Entry], settings: Settings, *, replaces_key: str | None = None
) -> Notification:
    """Many entries of one source: "N new updates — latest: <title>"; click opens the window."""
    latest = _latest(entries)
    return Notification(
        summary=_clip(f"{len(entries)} new updates — latest: {latest.title}", SUMMARY_LIMIT),
        body=_body(latest.source_name, _detail(latest, settings)),
        source_name=latest.source_name,
        entries=tuple((e.source_id, e.id) for e in entries),
        urgent=any(is_highlighted(settings.highlight_words, e) for e in entries),
        replaces_key=replaces_key,
    )


def plan_key_points(change: KeyPointsChange) -> Notification:
    """A page's "What to know" list changed: the page's name and its new point(s) as the body
    (or, when points were only dropped, the list as it is now), replacing the previous one of
    that page on screen."""
    shown = change.added or change.points
    lines = [change.source_name]
    if not change.added:
        lines.append(f"{len(change.removed)} dropped; what to know now:")
    lines += [f"• {_clip(p, BODY_LIMIT)}" for p in shown[:4]]
    if len(shown) > 4:
        lines.append(f"and {len(shown) - 4} more")
    key = (change.source_id, change.entry_id)
    return Notification(
        summary=KEY_POINTS_SUMMARY,
        body="\n".join(lines),
        source_name=change.source_name,
        entries=(),
        key=key,
        url=change.url,
        replaces_key=KEY_POINTS_REPLACES + change.source_id,
    )


def summarize(
    entries: Sequence[Entry], settings: Settings, *, away: bool = True
) -> Notification | None:
    """Many new entries across sources as ONE notification (after quiet hours, do-not-disturb,
    sleep or a network loss, or a coalesced burst). None for no entries; a single entry keeps
    its own notification. Summary: "N new updates — latest: <title>"; body: "While you were
    away" (when ``away``) then the sources with their counts, newest source first."""
    if not entries:
        return None
    if len(entries) == 1:
        return plan_single(entries[0], settings)
    latest = _latest(entries)
    counts: dict[str, int] = {}
    for e in sorted(entries, key=lambda e: e.sort_time, reverse=True):
        counts[e.source_name] = counts.get(e.source_name, 0) + 1
    sources = ", ".join(f"{name} ({n})" for name, n in counts.items())
    body = _clip(sources, BODY_LIMIT)
    return Notification(
        summary=_clip(f"{len(entries)} new updates — latest: {latest.title}", SUMMARY_LIMIT),
        body=_body("While you were away", body) if away else body,
        source_name=latest.source_name if len(counts) == 1 else "",
        entries=tuple((e.source_id, e.id) for e in entries),
        urgent=any(is_highlighted(settings.highlight_words, e) for e in entries),
        replaces_key=SUMMARY_REPLACES_KEY,
    )


def plan(
    entries: Sequence[Entry], settings: Settings, *, live_sources: Collection[str] = ()
) -> list[Notification]:
    """Notifications for entries, oldest first: per source, more than ``batch_threshold`` entries
    become one batch, fewer stay single. Live-page sources (``live_sources``) replace their
    previous notification (``replaces_key`` = source id)."""
    by_source: dict[str, list[Entry]] = {}
    for e in entries:
        by_source.setdefault(e.source_id, []).append(e)
    timed: list[tuple[datetime, Notification]] = []
    for source_id, group in by_source.items():
        replaces = source_id if source_id in live_sources else None
        if len(group) > settings.batch_threshold:
            timed.append(
                (_latest(group).sort_time, plan_batch(group, settings, replaces_key=replaces))
            )
        else:
            timed.extend(
                (e.sort_time, plan_single(e, settings, replaces_key=replaces)) for e in group
            )
    timed.sort(key=lambda pair: pair[0])
    return [p for _, p in timed]


# --- the decider -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What to do now. Pass ``held``, ``held_away`` and ``last_sent_at`` back into the next
    ``decide`` call; call it again at ``next_allowed_at`` (None: only when something changes —
    new entries, the end of a pause or an open-ended do-not-disturb)."""

    send: tuple[Notification, ...] = ()
    held: tuple[Entry, ...] = ()  # still to notify; stored and unread meanwhile
    held_away: bool = False  # held by pause / do-not-disturb / quiet hours: release as a summary
    next_allowed_at: datetime | None = None
    last_sent_at: datetime | None = None
    reason: str = ""  # why nothing (more) was sent, for the log and the tray tooltip


def notifying(
    entries: Iterable[Entry], settings: Settings, source_notify: Mapping[str, bool] | None = None
) -> list[Entry]:
    """The entries that may notify at all: not baseline, not muted, their source switched on."""
    if not settings.notifications_enabled:
        return []
    switches = source_notify or {}
    return [e for e in entries if e.notify and not e.baseline and switches.get(e.source_id, True)]


def hold_until(
    settings: Settings, now: datetime, *, dnd_until: datetime | None, paused: bool
) -> tuple[bool, datetime | None, str]:
    """Whether notifications are held now, until when (None: open-ended) and why."""
    if paused:
        return True, None, "updates are paused"
    ends: list[datetime] = []
    reasons: list[str] = []
    if dnd_until is not None and now < dnd_until:
        ends.append(dnd_until)
        reasons.append("do not disturb")
    quiet_end = quiet_until(settings.quiet_hours, now)
    if quiet_end is not None:
        ends.append(quiet_end)
        reasons.append("quiet hours")
    if not ends:
        return False, None, ""
    return True, max(ends), " and ".join(reasons)


def decide(
    entries_by_source: Mapping[str, Sequence[Entry]],
    *,
    settings: Settings,
    now: datetime,
    dnd_until: datetime | None = None,
    paused: bool = False,
    source_notify: Mapping[str, bool] | None = None,
    last_sent_at: datetime | None = None,
    held: Sequence[Entry] = (),
    held_away: bool = False,
    away: bool = False,
    live_sources: Collection[str] = (),
) -> Decision:
    """Decide what to notify now about this poll's new entries (``entries_by_source``: source id →
    new entries) plus what an earlier decision held. ``away``: these entries piled up while the
    machine slept or the network was down, so they go out as one summary. ``now`` and
    ``dnd_until`` are aware datetimes; quiet hours are read in ``now``'s timezone."""
    fresh = notifying(
        (e for group in entries_by_source.values() for e in group), settings, source_notify
    )
    seen: set[tuple[str, str]] = set()
    pending: list[Entry] = []
    for e in (*notifying(held, settings, source_notify), *fresh):
        if (e.source_id, e.id) not in seen:
            seen.add((e.source_id, e.id))
            pending.append(e)
    if not pending:
        return Decision(last_sent_at=last_sent_at)
    coalesce_away = away or (held_away and bool(held))

    holding, until, why = hold_until(settings, now, dnd_until=dnd_until, paused=paused)
    if holding:
        return Decision(
            held=tuple(pending),
            held_away=True,
            next_allowed_at=until,
            last_sent_at=last_sent_at,
            reason=f"held: {why}",
        )
    if last_sent_at is not None and now < last_sent_at + RATE_LIMIT:
        return Decision(
            held=tuple(pending),
            held_away=coalesce_away,
            next_allowed_at=last_sent_at + RATE_LIMIT,
            last_sent_at=last_sent_at,
            reason="rate limit: one notification per 5 seconds",
        )

    if coalesce_away:
        away_summary = summarize(pending, settings, away=True)
        return Decision(send=(away_summary,) if away_summary else (), last_sent_at=now)
    plans = plan(pending, settings, live_sources=live_sources)
    if len(plans) > settings.batch_threshold:
        burst = summarize(pending, settings, away=False)
        return Decision(send=(burst,) if burst else (), last_sent_at=now)
    first, rest = plans[0], {k for p in plans[1:] for k in p.entries}
    later = tuple(e for e in pending if (e.source_id, e.id) in rest)
    return Decision(
        send=(first,),
        held=later,
        next_allowed_at=now + RATE_LIMIT if later else None,
        last_sent_at=now,
        reason="rate limit: the rest follow one every 5 seconds" if later else "",
    )


def group_by_source(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Entries keyed by source id, in their given order (for ``decide``)."""
    grouped: dict[str, list[Entry]] = {}
    for e in entries:
        grouped.setdefault(e.source_id, []).append(e)
    return grouped
