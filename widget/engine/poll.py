"""The poll cycle: due sources → fetch → parse → diff → store. Synchronous, clock injected.

Fetching runs on a ``ThreadPoolExecutor`` of ``FETCH_CONCURRENCY`` threads (the HTTP client's
connections), parsing on one thread of its own, so parses never compete with each other for the
interpreter lock; private sources' secrets are read on a thread of their own (``credentials``);
every database write happens on the calling thread, one transaction per source, so the store
keeps a single writer. A cancelled poll returns at once; requests still on the network end at
their deadline and write nothing.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from widget.core import schedule
from widget.core.clock import utcnow
from widget.core.errors import SecretsError, StorageError
from widget.core.models import (
    AuthKind,
    Config,
    FetchState,
    PollResult,
    PollStatus,
    Settings,
    Source,
    SourceResult,
    SourceStatus,
)
from widget.engine.credentials import (
    SECRET_TIMEOUT_S,
    keyring_timeout_error,
    read_in_background,
)
from widget.engine.fetching import Outcome, fetch, parse
from widget.engine.record import GONE_REASON, PERMANENT_REDIRECT_POLLS, Recorder, config_locked
from widget.engine.status import next_due, source_statuses
from widget.sources.http import DEFAULT_DEADLINE, FETCH_CONCURRENCY, Credentials, HttpClient
from widget.sources.probe import Probe, probe_url
from widget.storage.config import ConfigStore
from widget.storage.db import Database
from widget.storage.secrets import SecretStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]  # (done, total)

_STOP_POLL = 0.1  # seconds between checks of a poll's cancel event while requests run


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
        fetch_threads: int | None = None,
        deadline: float | None = None,
        secret_timeout: float = SECRET_TIMEOUT_S,
        host_gap_s: float | None = None,
        storm_spread_s: float = schedule.STORM_SPREAD_S,
    ) -> None:
        """``fetch_threads``: sources fetched at once (None: ``FETCH_CONCURRENCY``).
        ``deadline``: seconds one request may take in all, connect to last byte (None: 30 s);
        for a client this engine builds. ``secret_timeout``: how long private sources wait for
        the keyring, from the start of the poll. ``host_gap_s``: seconds between two requests to
        one host (None: 2 s); ``storm_spread_s``: how far a scheduled poll with many due sources
        spreads their requests."""
        self._config = config
        self._db = db
        self._clock: Clock = clock or utcnow
        self._secrets = secrets
        self._fetch_threads = max(1, fetch_threads or FETCH_CONCURRENCY)
        self._secret_timeout = secret_timeout
        self._rng = rng or random.Random()
        self._host_gap_s = schedule.HOST_GAP_S if host_gap_s is None else max(0.0, host_gap_s)
        self._storm_spread_s = max(0.0, storm_spread_s)
        self._recorder = Recorder(config, db, self._clock, self._rng)
        self._http_settings: tuple[str | None, int] | None = None
        if http is None:
            settings = config.load().settings
            deadline = DEFAULT_DEADLINE if deadline is None else deadline
            http = HttpClient(
                connect_timeout=min(10.0, deadline),
                deadline=deadline,
                max_bytes=_max_bytes(settings),
                proxy=settings.proxy,
            )
            self._owns_http = True
            self._http_settings = (settings.proxy, _max_bytes(settings))
        else:
            self._owns_http = False
        self._http = http

    @property
    def http(self) -> HttpClient:
        return self._http

    def apply_settings(self, settings: Settings) -> bool:
        """Take a changed proxy or response-size cap into use without a restart (the client is
        rebuilt; call it on the polling thread, between polls). Only for a client this engine
        built. True when the client changed; an unusable proxy raises ConfigError and the
        current client stays."""
        wanted = (settings.proxy, _max_bytes(settings))
        if not self._owns_http or wanted == self._http_settings:
            return False
        self._http.reconfigure(proxy=wanted[0], max_bytes=wanted[1])
        self._http_settings = wanted
        log.info("HTTP settings changed: proxy and response-size cap now in use")
        return True

    def close(self) -> None:
        """Close the HTTP client if this engine built it (the database belongs to the caller)."""
        if self._owns_http:
            self._http.close()

    # --- reading ---

    def statuses(self) -> list[SourceStatus]:
        return source_statuses(self._config, self._db)

    def next_due_time(self) -> datetime | None:
        """When the earliest enabled source is due (None: no enabled sources)."""
        return next_due(self.statuses(), self._clock())

    # --- polling ---

    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
        baseline_entries: bool = True,
        spread: bool | None = None,
    ) -> PollResult:
        """Poll due sources (``force``: every enabled source, yet never one under Retry-After,
        which is reported DEFERRED). ``only``: source ids. Each source's results are written in
        one transaction; a cancelled poll writes nothing for the sources it did not finish.

        ``baseline_entries=False``: a source's first (baseline) poll reports how many entries it
        stored (``SourceResult.stored_count``) without the entries themselves; baseline entries
        never notify, so the tray app needs only the count, and a cold poll of many sources then
        holds no copy of everything it stored. New entries of later polls are always listed.

        Each source's body and parse are dropped as soon as its transaction is written.

        Requests to one host start at least ``host_gap_s`` apart, at most two at once; when
        ``spread`` (default: a scheduled poll, not a forced one) and many sources are due at
        once — after a sleep or an outage — their requests are spread over the first minute."""
        started = self._clock()
        with config_locked(self._config):  # a source removed meanwhile is not recorded again
            config = self._config.load()
            self._db.sync_sources(config.sources)
        states = self._db.all_states()
        wanted = set(only) if only is not None else None

        results: dict[str, SourceResult] = {}
        due: list[tuple[Source, FetchState]] = []
        for source in config.sources:
            if not source.enabled or (wanted is not None and source.id not in wanted):
                continue
            state = states.get(source.id) or FetchState(source.id)
            if state.disabled_reason is not None:
                continue
            if (
                state.retry_after_until is not None
                and state.retry_after_until > started
                and schedule.due_at(state, started) > started
            ):
                results[source.id] = SourceResult(
                    source.id,
                    source.name,
                    PollStatus.DEFERRED,
                    error=_deferred_message(state.retry_after_until, started),
                    next_due=state.retry_after_until,
                )
                continue
            if force or schedule.due_at(state, started) <= started:
                due.append((source, state))

        total = len(due)
        done = 0
        if progress is not None:
            progress(0, total)
        stop = cancel if cancel is not None else threading.Event()
        if due:
            outcomes = self._run_workers(due, stop, not force if spread is None else spread)
            try:
                for source, state, outcome in outcomes:
                    if stop.is_set():
                        results[source.id] = SourceResult(
                            source.id, source.name, PollStatus.CANCELLED
                        )
                    else:
                        results[source.id] = self._recorder.record(
                            config, source, state, outcome, baseline_entries=baseline_entries
                        )
                    del outcome  # the body and parse go now, not when the next one arrives
                    done += 1
                    if progress is not None:
                        progress(done, total)
            finally:
                outcomes.close()  # on an exception: sets ``stop``, leaves running requests

        if not stop.is_set():
            self._prune(config)

        ordered = tuple(results[s.id] for s in config.sources if s.id in results)
        return PollResult(started=started, finished=self._clock(), results=ordered)

    def _prune(self, config: Config) -> None:
        """Apply the retention settings. A failure here loses nothing new: it is logged and the
        next poll tries again."""
        settings = config.settings
        try:
            removed = self._db.prune(
                self._clock(),
                max_age_days=settings.retention_days,
                max_per_source=settings.retention_entries,
            )
            self._db.checkpoint()  # the database file alone is then a complete backup
        except StorageError:
            log.exception("applying the retention settings failed")
            return
        if removed:
            log.info("retention removed %d old entries", removed)

    def _run_workers(
        self, due: list[tuple[Source, FetchState]], stop: threading.Event, spread: bool
    ) -> Generator[tuple[Source, FetchState, Outcome], None, None]:
        """Fetch on up to ``fetch_threads`` threads and parse on one; yield outcomes as they
        complete. A private source is fetched once its secret is read (public ones do not wait
        for the keyring). Requests start as ``schedule.plan_starts`` says, and never two to one
        host within ``host_gap_s`` nor more than ``schedule.PER_HOST`` at once. Once ``stop`` is
        set (the caller cancelled, or stopped early on an exception or Ctrl-C) the poll returns
        at once: sources still running or not started are yielded as cancelled; requests still
        on the network end at the HTTP deadline and write nothing."""
        fetch_pool = ThreadPoolExecutor(
            min(self._fetch_threads, len(due)), thread_name_prefix="poll-fetch"
        )
        parse_pool = ThreadPoolExecutor(1, thread_name_prefix="poll-parse")
        work: dict[Future[Outcome], tuple[Source, FetchState]] = {}
        private = [(s, st) for s, st in due if s.auth is not AuthKind.NONE]
        secrets = read_in_background(self._secret_store, [s for s, _ in private])
        waiting: dict[Future[Credentials | None], tuple[Source, FetchState]] = {
            secrets[s.id]: (s, st) for s, st in private
        }
        secrets_until = time.monotonic() + self._secret_timeout
        hosts = {s.id: _host(s.url) for s, _ in due}
        offsets = schedule.plan_starts(
            [hosts[s.id] for s, _ in due],
            self._rng,
            spread_s=self._storm_spread_s if spread else 0.0,
            host_gap_s=self._host_gap_s,
        )
        start_at = {s.id: at for (s, _), at in zip(due, offsets, strict=True)}
        begun = time.monotonic()
        ready: list[tuple[float, Source, FetchState, Credentials | None]] = [
            (start_at[s.id], s, st, None) for s, st in due if s.auth is AuthKind.NONE
        ]
        holding: dict[Future[Outcome], str] = {}  # fetches in flight → their host
        in_flight: dict[str, int] = {}
        last_start: dict[str, float] = {}

        def start_ready() -> float | None:
            """Start what may start now; the seconds until the next one may (None: nothing)."""
            now_s = time.monotonic() - begun
            keep: list[tuple[float, Source, FetchState, Credentials | None]] = []
            soonest: float | None = None
            for item in sorted(ready, key=lambda r: r[0]):
                at, source, state, creds = item
                host = hosts[source.id]
                earliest = max(at, last_start.get(host, -self._host_gap_s) + self._host_gap_s)
                if earliest > now_s or in_flight.get(host, 0) >= schedule.PER_HOST:
                    keep.append(item)
                    if earliest > now_s:
                        soonest = min(soonest or earliest - now_s, earliest - now_s)
                    continue
                future = fetch_pool.submit(fetch, self._http, source, state, creds, stop)
                work[future] = (source, state)
                holding[future] = host
                in_flight[host] = in_flight.get(host, 0) + 1
                last_start[host] = now_s
            ready[:] = keep
            return soonest

        try:
            while (work or waiting or ready) and not stop.is_set():
                soonest = start_ready()
                running: list[Future[Any]] = [*work, *waiting]
                if not running:
                    stop.wait(min(_STOP_POLL, soonest if soonest is not None else _STOP_POLL))
                    continue
                done, _ = wait(running, timeout=_STOP_POLL, return_when=FIRST_COMPLETED)
                del running
                while done:
                    # Nothing here keeps a finished source's outcome (its body and parse) once
                    # the caller has recorded it: the future is dropped as it is taken.
                    finished = done.pop()
                    if finished in waiting:
                        source, state = waiting.pop(finished)
                        creds = _secret(source, finished)
                        if isinstance(creds, Outcome):
                            yield source, state, creds
                        else:
                            ready.append((start_at[source.id], source, state, creds))
                        continue
                    source, state = work.pop(finished)
                    host = holding.pop(finished, None)
                    if host is not None:
                        in_flight[host] = max(0, in_flight.get(host, 0) - 1)
                    outcome: Outcome = finished.result()
                    del finished
                    if outcome.unparsed:
                        work[parse_pool.submit(parse, source, outcome, stop)] = (source, state)
                    else:
                        yield source, state, outcome
                    del outcome
                if waiting and time.monotonic() >= secrets_until:
                    error = keyring_timeout_error(self._secret_timeout)
                    log.warning("%s", error)
                    for secret, (source, state) in list(waiting.items()):
                        secret.cancel()
                        yield source, state, Outcome(error=error)
                    waiting.clear()
            cancelled = [*work.values(), *waiting.values(), *((s, st) for _a, s, st, _c in ready)]
            for source, state in cancelled:
                yield source, state, Outcome()
        except BaseException:
            stop.set()
            raise
        finally:
            for secret in waiting:
                secret.cancel()
            fetch_pool.shutdown(wait=False, cancel_futures=True)
            parse_pool.shutdown(wait=False, cancel_futures=True)

    def _secret_store(self) -> SecretStore:
        if self._secrets is None:
            self._secrets = SecretStore()
        return self._secrets

    # --- adding a source ---

    def probe(self, url: str, credentials: Credentials | None = None) -> Probe:
        """Fetch once, detect the kind (autodiscovery included). Raises SourceError."""
        return probe_url(self._http, url, credentials)


def _secret(source: Source, future: Future[Credentials | None]) -> Credentials | Outcome | None:
    """The source's credentials, or its failed outcome when the keyring could not give them."""
    try:
        return future.result()
    except Exception as exc:
        if not isinstance(exc, SecretsError):
            log.exception("reading the secret of %s failed unexpectedly", source.name)
        return Outcome(error=exc)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


def _max_bytes(settings: Settings) -> int:
    return max(1, settings.max_response_mb) * 1024 * 1024


def _deferred_message(until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    wait = f"{minutes} min" if minutes < 120 else f"{round(minutes / 60)} h"
    until, now = until.astimezone(timezone.utc), now.astimezone(timezone.utc)
    day = "" if until.date() == now.date() else f"{until.day} {until:%b} "
    when = f"{day}{until:%H:%M} UTC"
    return f"deferred: the server asked to wait until {when} (about {wait}, Retry-After)"


__all__ = [
    "GONE_REASON",
    "PERMANENT_REDIRECT_POLLS",
    "Clock",
    "Engine",
    "Probe",
    "Progress",
]
