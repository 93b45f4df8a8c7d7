"""The poll cycle: due sources → fetch → parse → diff → store. Synchronous, clock injected.

Fetching runs on a small thread pool; parsing runs on those threads, or in worker processes when
a poll has many changed bodies (see ``parsing``); every database write happens on the calling
thread, one transaction per source, so the store keeps a single writer.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import datetime, timezone
from urllib.parse import urlsplit

from widget.core import schedule
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
from widget.engine.fetching import Outcome, fetch_and_parse
from widget.engine.parsing import PROCESS_MIN_BYTES, PROCESS_THRESHOLD, Parser
from widget.engine.record import GONE_REASON, PERMANENT_REDIRECT_POLLS, Recorder
from widget.engine.status import next_due, source_statuses
from widget.engine.threads import DaemonThreadPool
from widget.sources.http import Credentials, HttpClient
from widget.sources.probe import Probe, probe_url
from widget.storage.config import ConfigStore
from widget.storage.db import Database
from widget.storage.secrets import SecretStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]  # (done, total)

MAX_PARALLEL = 6
_STOP_POLL = 0.1  # seconds between checks of a poll's cancel event while requests run
# Test-only: a shorter total deadline per request, in seconds (the default is 30).
DEADLINE_ENV = "LIVE_UPDATES_HTTP_DEADLINE"
# Test-only: seconds between two requests to one host (the default is 2; tests on one loopback
# host that are not about pacing set 0).
HOST_GAP_ENV = "LIVE_UPDATES_HOST_GAP"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _deadline_from_env() -> float:
    raw = os.environ.get(DEADLINE_ENV)
    if not raw:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not a number of seconds", DEADLINE_ENV, raw)
        return 30.0
    return min(30.0, max(0.1, value))


def _host_gap_from_env() -> float:
    raw = os.environ.get(HOST_GAP_ENV)
    if not raw:
        return schedule.HOST_GAP_S
    try:
        return min(schedule.HOST_GAP_S, max(0.0, float(raw)))
    except ValueError:
        log.warning("ignoring %s=%r: not a number of seconds", HOST_GAP_ENV, raw)
        return schedule.HOST_GAP_S


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
        parse_workers: int | None = None,
        process_threshold: int = PROCESS_THRESHOLD,
        process_min_bytes: int = PROCESS_MIN_BYTES,
        fetch_threads: int = MAX_PARALLEL,
        host_gap_s: float | None = None,
        storm_spread_s: float = schedule.STORM_SPREAD_S,
    ) -> None:
        """``parse_workers``: worker processes for a poll with at least ``process_threshold``
        changed bodies of ``process_min_bytes`` in all (None: up to two, by the CPU count;
        0: always parse in-thread). ``fetch_threads``: sources fetched at once (the tray app uses
        fewer, so that its GUI thread waits less for the interpreter lock)."""
        self._config = config
        self._db = db
        self._clock: Clock = clock or _utc_now
        self._secrets = secrets
        self._parse_workers = parse_workers
        self._process_threshold = process_threshold
        self._process_min_bytes = process_min_bytes
        self._fetch_threads = max(1, fetch_threads)
        self._rng = rng or random.Random()
        self._host_gap_s = _host_gap_from_env() if host_gap_s is None else max(0.0, host_gap_s)
        self._storm_spread_s = max(0.0, storm_spread_s)
        self._recorder = Recorder(config, db, self._clock, self._rng)
        self.last_poll_parsed_in_processes = 0  # bodies worker processes parsed in the last poll
        self._http_settings: tuple[str | None, int] | None = None
        if http is None:
            settings = config.load().settings
            deadline = _deadline_from_env()
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
            parser = Parser(
                workers=self._parse_workers,
                threshold=self._process_threshold,
                min_bytes=self._process_min_bytes,
            )
            outcomes = self._run_workers(due, stop, parser, not force if spread is None else spread)
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
                parser.close(cancel=stop.is_set())
                self.last_poll_parsed_in_processes = parser.parsed_in_processes

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
        except StorageError:
            log.exception("applying the retention settings failed")
            return
        if removed:
            log.info("retention removed %d old entries", removed)

    def _run_workers(
        self,
        due: list[tuple[Source, FetchState]],
        stop: threading.Event,
        parser: Parser,
        spread: bool,
    ) -> Generator[tuple[Source, FetchState, Outcome], None, None]:
        """Fetch and parse on up to ``fetch_threads`` threads; yield outcomes as they complete.
        Once ``stop`` is set (the caller cancelled, or stopped early on an exception or Ctrl-C)
        the poll returns at once: sources still running are yielded as cancelled, and their
        requests are aborted (or, on a reused connection, end at the HTTP deadline) and write
        nothing."""
        failed: list[tuple[Source, FetchState, Outcome]] = []
        pool = DaemonThreadPool(min(self._fetch_threads, len(due)), name="poll")
        futures: dict[Future[Outcome], tuple[Source, FetchState]] = {}
        hosts = [_host(source.url) for source, _state in due]
        offsets = schedule.plan_starts(
            hosts,
            self._rng,
            spread_s=self._storm_spread_s if spread else 0.0,
            host_gap_s=self._host_gap_s,
        )
        waiting = sorted(zip(offsets, range(len(due)), strict=True))
        begun = time.monotonic()
        running: dict[str, int] = {}  # host → requests in flight
        try:
            pending: set[Future[Outcome]] = set()
            while (waiting or pending) and not stop.is_set():
                # Start what is due and whose host has room (at most PER_HOST at once).
                now_s = time.monotonic() - begun
                still: list[tuple[float, int]] = []
                for at, index in waiting:
                    source, state = due[index]
                    host = hosts[index]
                    if at > now_s or running.get(host, 0) >= schedule.PER_HOST:
                        still.append((at, index))
                        continue
                    try:
                        creds = self._credentials(source)
                    except Exception as exc:
                        if not isinstance(exc, SecretsError):
                            log.exception(
                                "reading the secret of %s failed unexpectedly", source.name
                            )
                        failed.append((source, state, Outcome(error=exc)))
                        continue
                    future = pool.submit(
                        fetch_and_parse, self._http, parser, source, state, creds, stop
                    )
                    futures[future] = (source, state)
                    running[host] = running.get(host, 0) + 1
                    pending.add(future)
                waiting = still
                while failed:
                    yield failed.pop(0)
                if not pending:
                    if waiting:
                        stop.wait(max(0.0, min(_STOP_POLL, waiting[0][0] - now_s)))
                    continue
                done, pending = wait(pending, timeout=_STOP_POLL, return_when=FIRST_COMPLETED)
                while done:
                    # Nothing here keeps a finished source's outcome (its body and parse) once
                    # the caller has recorded it: the future leaves ``futures`` as it is taken.
                    finished = done.pop()
                    host = _host(futures[finished][0].url)
                    running[host] = max(0, running.get(host, 0) - 1)
                    yield _take(futures, finished)
            if pending:  # cancelled: requests waiting on the network end now, unwaited for
                self._http.abort(stop)
            for future in pending:
                source, state = futures[future]
                yield source, state, Outcome()
            for _at, index in waiting:  # cancelled before they started
                source, state = due[index]
                yield source, state, Outcome()
        except BaseException:
            stop.set()
            self._http.abort(stop)
            pool.shutdown(wait=False)
            raise
        pool.shutdown(wait=not stop.is_set())

    def _credentials(self, source: Source) -> Credentials | None:
        if source.auth is AuthKind.NONE:
            return None
        if self._secrets is None:
            self._secrets = SecretStore()
        secret = self._secrets.get(source.id)
        if secret is None:
            raise SecretsError(f"no password or token for {source.name} is stored in the keyring")
        if source.auth is AuthKind.BASIC:
            return Credentials(AuthKind.BASIC, secret, username=source.username or "")
        return Credentials(AuthKind.HEADER, secret, header=source.auth_header or "Authorization")

    # --- adding a source ---

    def probe(self, url: str, credentials: Credentials | None = None) -> Probe:
        """Fetch once, detect the kind (autodiscovery included). Raises SourceError."""
        return probe_url(self._http, url, credentials)


def _take(
    futures: dict[Future[Outcome], tuple[Source, FetchState]], future: Future[Outcome]
) -> tuple[Source, FetchState, Outcome]:
    """A finished source's outcome, the future dropped from ``futures``."""
    source, state = futures.pop(future)
    return source, state, Outcome() if future.cancelled() else future.result()


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
    "DEADLINE_ENV",
    "GONE_REASON",
    "HOST_GAP_ENV",
    "MAX_PARALLEL",
    "PERMANENT_REDIRECT_POLLS",
    "Clock",
    "Engine",
    "Probe",
    "Progress",
]
