"""The config file's JSON shape ↔ ``Config``, with validation that names the file and the field.

``source_problems`` is the same check per field for a single source, for the settings dialog.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterable
from dataclasses import fields
from typing import Any, TypeVar
from urllib.parse import urlsplit

from widget.core.errors import ConfigError
from widget.core.models import (
    AuthKind,
    Config,
    IntervalMode,
    QuietHours,
    Settings,
    Source,
    SourceKind,
)
from widget.core.policy import pattern_error
from widget.core.urls import url_problem

log = logging.getLogger(__name__)

E = TypeVar("E", bound=enum.Enum)

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_SOURCE_KEYS = frozenset(f.name for f in fields(Source))


class _Where:
    """A position in the file, for error messages: ``<file>: sources[2].interval_minutes``."""

    def __init__(self, file: str, path: str = "") -> None:
        self.file = file
        self.path = path

    def __truediv__(self, key: str | int) -> _Where:
        if isinstance(key, int):
            return _Where(self.file, f"{self.path}[{key}]")
        return _Where(self.file, f"{self.path}.{key}" if self.path else key)

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.path}: {message}" if self.path else message)


# --- JSON → Config ---
def config_from_json(data: Any, file: str, version: int) -> Config:
    root = _Where(file)
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: must hold a JSON object with settings and sources.")
    found = data.get("version", version)
    if not _is_int(found) or found < 1:
        raise (root / "version").error("must be a whole number ≥ 1")
    if found > version:
        raise (root / "version").error(
            f"the file was written by a newer Live Updates (version {found}); this one reads "
            f"version {version}. Update Live Updates."
        )
    _note_unknown(data, {"version", "settings", "sources"}, root)
    settings = _settings(_object(data.get("settings", {}), root / "settings"), root / "settings")
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise (root / "sources").error("must be a list")
    sources: list[Source] = []
    index_of: dict[str, int] = {}  # source id → its position
    names: dict[str, str] = {}  # folded name → the name of the source that has it
    for i, raw in enumerate(raw_sources):
        at = root / "sources" / i
        source = _source(_object(raw, at), at)
        if source.id in index_of:
            raise (at / "id").error(
                f"{source.id!r} is already the id of sources[{index_of[source.id]}]"
            )
        for field, message in _problems(source, names).items():
            raise (at / field).error(message)
        index_of[source.id] = i
        names.setdefault(_name_key(source.name), source.name)
        sources.append(source)
    return Config(settings=settings, sources=tuple(sources))


def _settings(obj: dict[str, Any], at: _Where) -> Settings:
    d = Settings()
    _note_unknown(obj, {f.name for f in fields(Settings)}, at)
    return Settings(
        default_interval_feed=_int(obj, "default_interval_feed", at, d.default_interval_feed),
        default_interval_live=_int(obj, "default_interval_live", at, d.default_interval_live),
        retention_days=_int(obj, "retention_days", at, d.retention_days),
        retention_entries=_int(obj, "retention_entries", at, d.retention_entries),
        max_response_mb=_int(obj, "max_response_mb", at, d.max_response_mb),
        notifications_enabled=_bool(obj, "notifications_enabled", at, d.notifications_enabled),
        batch_threshold=_int(obj, "batch_threshold", at, d.batch_threshold),
        show_key_point=_bool(obj, "show_key_point", at, d.show_key_point),
        quiet_hours=_quiet_hours(obj.get("quiet_hours"), at / "quiet_hours"),
        highlight_words=_words(obj, "highlight_words", at, allow_regex=True),
        start_at_login=_bool(obj, "start_at_login", at, d.start_at_login),
        proxy=_proxy(obj, at),
        schedule=_enum(obj, "schedule", at, IntervalMode, d.schedule),
    )


def _quiet_hours(value: Any, at: _Where) -> QuietHours | None:
    if value is None:
        return None
    obj = _object(value, at)
    _note_unknown(obj, {"start", "end", "days"}, at)
    d = QuietHours()
    times = []
    for key, default in (("start", d.start), ("end", d.end)):
        text = obj.get(key, default)
        if not isinstance(text, str) or not _CLOCK.fullmatch(text):
            raise (at / key).error('must be a time of day as "HH:MM" (24-hour clock)')
        times.append(text)
    days = obj.get("days", list(d.days))
    if not isinstance(days, list):
        raise (at / "days").error("must be a list of weekdays 0–6 (Monday = 0)")
    for i, day in enumerate(days):
        if not _is_int(day) or not 0 <= day <= 6:
            raise (at / "days" / i).error("must be a weekday 0–6 (Monday = 0)")
    return QuietHours(start=times[0], end=times[1], days=tuple(sorted({int(x) for x in days})))


def _proxy(obj: dict[str, Any], at: _Where) -> str | None:
    value = _opt_str(obj, "proxy", at)
    if value is not None and urlsplit(value).scheme.lower() not in _PROXY_SCHEMES:
        raise (at / "proxy").error(
            "must be a proxy URL such as http://proxy.example:3128 (or null for the system proxy)"
        )
    return value


def _source(obj: dict[str, Any], at: _Where) -> Source:
    _note_unknown(obj, _SOURCE_KEYS, at)
    sid = obj.get("id")
    if not isinstance(sid, str) or not sid.strip() or sid != sid.strip():
        raise (at / "id").error("must be a non-empty text without surrounding spaces")
    name = obj.get("name")
    if not isinstance(name, str):
        raise (at / "name").error("must be a text")
    url = obj.get("url")
    if not isinstance(url, str):
        raise (at / "url").error("must be an http(s) URL")
    interval = obj.get("interval_minutes")
    if interval is not None:
        interval = _int(obj, "interval_minutes", at, 0)
    return Source(
        id=sid,
        name=name,
        url=url,
        kind=_enum(obj, "kind", at, SourceKind, None),
        interval_minutes=interval,
        enabled=_bool(obj, "enabled", at, True),
        notify=_bool(obj, "notify", at, True),
        include=_words(obj, "include", at, allow_regex=True),
        exclude=_words(obj, "exclude", at, allow_regex=True),
        auth=_enum(obj, "auth", at, AuthKind, AuthKind.NONE),
        username=_opt_str(obj, "username", at),
        auth_header=_opt_str(obj, "auth_header", at),
        folder=_opt_str(obj, "folder", at),
        html_url=_opt_str(obj, "html_url", at),
        notify_key_points=_bool(obj, "notify_key_points", at, True),
    )


def source_problems(source: Source, others: Iterable[Source] = ()) -> dict[str, str]:
    """Field name → what is wrong with it, for one source among ``others`` (the configured
    sources; one with the same id is the source itself before an edit). Empty when fine."""
    names: dict[str, str] = {}
    for other in others:
        if other.id != source.id:  # not the same source, as it was before an edit
            names.setdefault(_name_key(other.name), other.name)
    return _problems(source, names)


def _name_key(name: str) -> str:
    """Names compare case-insensitively, without surrounding spaces."""
    return name.strip().casefold()


def _problems(source: Source, names: dict[str, str]) -> dict[str, str]:
    """``source_problems`` with the other sources' names given as folded name → name."""
    problems: dict[str, str] = {}
    if not source.name.strip():
        problems["name"] = "must not be empty"
    elif _name_key(source.name) in names:
        problems["name"] = f"another source is already called {names[_name_key(source.name)]!r}"
    problem = url_problem(source.url)
    if problem:
        problems["url"] = problem
    if source.html_url is not None and url_problem(source.html_url):
        problems["html_url"] = "must be an http(s) web address (the site's page), or null"
    if source.interval_minutes is not None and source.interval_minutes < 1:
        problems["interval_minutes"] = "must be a whole number ≥ 1"
    for key in ("include", "exclude"):
        for i, word in enumerate(getattr(source, key)):
            word_problem = _word_problem(word, allow_regex=True)
            if word_problem:
                problems[f"{key}[{i}]"] = word_problem
    if source.auth is AuthKind.BASIC and not (source.username or "").strip():
        problems["username"] = "is needed for HTTP Basic authentication"
    if source.auth is AuthKind.HEADER and not _HEADER_NAME.fullmatch(source.auth_header or ""):
        problems["auth_header"] = "must be an HTTP header name such as Authorization or X-Api-Key"
    return problems


# --- Config → JSON (field order as in the models, which reads well) ---
def config_to_json(config: Config, version: int) -> dict[str, Any]:
    settings = {f.name: _plain(getattr(config.settings, f.name)) for f in fields(Settings)}
    quiet = config.settings.quiet_hours
    if quiet is not None:
        settings["quiet_hours"] = {"start": quiet.start, "end": quiet.end, "days": list(quiet.days)}
    sources = [{f.name: _plain(getattr(s, f.name)) for f in fields(Source)} for s in config.sources]
    return {"version": version, "settings": settings, "sources": sources}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


# --- typed readers ---
def _object(value: Any, at: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise at.error("must be a JSON object")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(obj: dict[str, Any], key: str, at: _Where, default: int) -> int:
    value = obj.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value) or value < 1:
        raise (at / key).error("must be a whole number ≥ 1")
    return int(value)


def _bool(obj: dict[str, Any], key: str, at: _Where, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise (at / key).error("must be true or false")
    return value


def _opt_str(obj: dict[str, Any], key: str, at: _Where) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise (at / key).error("must be a text or null")
    return value or None


def _enum(obj: dict[str, Any], key: str, at: _Where, kind: type[E], default: E | None) -> E:
    value = obj.get(key, None if default is None else default.value)
    try:
        return kind(value)
    except (ValueError, TypeError):
        choices = ", ".join(repr(m.value) for m in kind)
        raise (at / key).error(f"must be one of {choices}") from None


def _words(obj: dict[str, Any], key: str, at: _Where, *, allow_regex: bool) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise (at / key).error("must be a list of texts")
    for i, word in enumerate(value):
        if not isinstance(word, str):
            raise (at / key / i).error("must be a text")
        problem = _word_problem(word, allow_regex=allow_regex)
        if problem:
            raise (at / key / i).error(problem)
    return tuple(value)


def _word_problem(word: str, *, allow_regex: bool) -> str | None:
    if not word.strip():
        return "must not be empty"
    if allow_regex:
        problem = pattern_error(word)
        if problem is not None and " is invalid: " in problem:
            return f"is not a valid regular expression ({problem})"
        if problem is not None:
            return problem
    return None


def _note_unknown(obj: dict[str, Any], known: frozenset[str] | set[str], at: _Where) -> None:
    if not known.issuperset(obj):
        unknown = sorted(set(obj) - known)
        log.info("%s: ignoring unknown keys at %s: %s", at.file, at.path or "top level", unknown)
