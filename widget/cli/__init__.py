"""Command line: no subcommand → tray app; check, entries, sources, opml.

Exit status: 0 when everything asked for was done, 1 when a source could not be fetched or read
(the others are still polled and stored), 2 for usage and config errors. ``check`` writes exactly
one line per failed or deferred source to stderr and nothing else there; warnings go to the log
file (and to stderr with ``--verbose``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from widget import APP_SLUG, __version__
from widget.cli import format as fmt
from widget.cli import sources as more
from widget.cli.sources import UsageError
from widget.core.clock import utcnow
from widget.core.errors import ConfigError, SecretsError, SourceError, StorageError
from widget.core.models import (
    AuthKind,
    Config,
    PollStatus,
    Source,
)
from widget.core.urls import url_problem
from widget.log import configure_logging, redact
from widget.paths import AppPaths
from widget.storage.config import (
    ConfigStore,
    new_source_id,
    unique_name,
    with_source,
    without_source,
)
from widget.storage.db import Database
from widget.storage.secrets import SecretStore
from widget.unattended import Unattended

if TYPE_CHECKING:  # the engine (HTTP, parsers) loads only for commands that poll or probe
    from widget.engine.poll import Engine

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # as a shell reports a command ended by SIGPIPE
DEFAULT_ENTRY_LIMIT = 50


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the limit is at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_SLUG,
        description="Follow live blogs and feeds: notifications for each new development, "
        "with its key points. Without a command, starts the tray app.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_SLUG} {__version__}")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="also print log messages on stderr"
    )
    parser.add_argument(
        "--demo", action="store_true", help="start the tray app on a built-in demo source"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="poll every enabled source now, print new entries")
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    check.set_defaults(func=lambda a, ctx: _check(ctx, as_json=a.json))

    entries = commands.add_parser("entries", help="print recent stored entries, newest first")
    entries.add_argument("--json", action="store_true", help="one JSON object per line")
    entries.add_argument(
        "--limit",
        type=_limit,
        metavar="N",
        default=DEFAULT_ENTRY_LIMIT,
        help=f"at most N entries (default {DEFAULT_ENTRY_LIMIT})",
    )
    entries.add_argument("--source", metavar="NAME", help="only this source's entries")
    entries.set_defaults(
        func=lambda a, ctx: _entries(ctx, as_json=a.json, limit=a.limit, source_name=a.source)
    )

    sources = commands.add_parser("sources", help="add, edit, list or remove sources")
    sources_commands = sources.add_subparsers(dest="sources_command", metavar="ACTION")
    sources_commands.required = True
    add = sources_commands.add_parser("add", help="add a feed or live page by URL")
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", help="the name to show (default: the feed's or page's title)")
    add.add_argument(
        "--interval",
        type=more.interval_arg,
        metavar="auto|MINUTES",
        help="auto (the default): follow the source's own pace; MINUTES: a fixed interval",
    )
    listing = sources_commands.add_parser("list", help="list sources and their state")
    listing.add_argument("--json", action="store_true", help="a JSON list")
    listing.set_defaults(func=lambda a, ctx: _sources_list(ctx, as_json=a.json))
    more.add_auth_options(add)
    add.set_defaults(func=_sources_add_command)
    remove = sources_commands.add_parser("remove", help="remove a source and its entries")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=lambda a, ctx: _sources_remove(ctx, a.name))
    edit = more.add_edit_parser(sources_commands)
    edit.set_defaults(func=lambda a, ctx: more.sources_edit(ctx, a, SecretStore(), sys.stdin))
    opml_import, opml_export = more.add_opml_parser(commands)
    opml_import.set_defaults(func=lambda a, ctx: more.opml_import(ctx, a.file, more.stdin_bytes))
    opml_export.set_defaults(func=lambda a, ctx: more.opml_export(ctx, a.file))
    return parser


# --- running -------------------------------------------------------------------------------


@dataclass
class _Context:
    """What a command works with, built on first use and closed at the end."""

    paths: AppPaths
    out: TextIO
    err: TextIO
    _db: Database | None = None
    _reader: Database | None = None
    _engine: Engine | None = None

    @property
    def config(self) -> ConfigStore:
        return ConfigStore(self.paths.config_file)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database.open(self.paths.database_file)
        return self._db

    @property
    def reader(self) -> Database:
        """The store for commands that only read: never written, so it works on a full or
        read-only disk and does not wait behind a poll that is writing."""
        if self._reader is None:
            self._reader = Database.open(self.paths.database_file, readonly=True, missing_ok=True)
        return self._reader

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from widget.engine.poll import Engine

            seam = Unattended.from_environment()
            self._engine = Engine(
                self.config, self.db, deadline=seam.http_deadline, host_gap_s=seam.host_gap_s
            )
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        if self._db is not None:
            self._db.close()
        if self._reader is not None:
            self._reader.close()


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    if args.command is None:
        return _run_app(parser, demo=args.demo, verbose=args.verbose)

    paths = AppPaths.default()
    undo_logging = _setup_logging(paths, verbose=args.verbose)
    ctx = _Context(paths, sys.stdout, sys.stderr)
    try:
        command: Callable[[argparse.Namespace, _Context], int] = args.func
        return command(args, ctx)
    except (UsageError, ConfigError) as exc:
        _fail(ctx, str(exc))
        return EXIT_USAGE
    except StorageError as exc:  # its message names the file and what to do
        _fail(ctx, str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C ends the command now: requests still waiting on the network are not joined
        # (every store write is a transaction, so nothing is left half-written).
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(130)
    except BrokenPipeError:  # the reader went away (`live-updates entries | head`)
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    finally:
        ctx.close()
        undo_logging()


def _sources_add_command(args: argparse.Namespace, ctx: _Context) -> int:
    auth = more.auth_request(args, sys.stdin)
    return _sources_add(ctx, args.url, name=args.name, interval=args.interval or None, auth=auth)


def _silence_stdout() -> None:
    """Point stdout at the null device so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError) as exc:  # stdout without a file descriptor (a test's buffer)
        log.debug("stdout could not be redirected after a broken pipe: %s", exc)


def _fail(ctx: _Context, message: str) -> None:
    print(f"{APP_SLUG}: {message}", file=ctx.err)


def _run_app(parser: argparse.ArgumentParser, *, demo: bool, verbose: bool) -> int:
    """No subcommand: the tray app, once it exists; until then, the help."""
    try:
        app = importlib.import_module("widget.gui.app")
    except ImportError as exc:
        if exc.name not in ("widget.gui.app", "widget.gui"):
            print(f"{APP_SLUG}: the tray app cannot start: {exc}", file=sys.stderr)
            return EXIT_FAILED
        parser.print_help()
        return EXIT_OK
    run_app: Callable[..., int] | None = getattr(app, "run_app", None)
    if run_app is None:
        parser.print_help()
        return EXIT_OK
    return int(run_app(demo=demo, verbose=verbose))


def _setup_logging(paths: AppPaths, *, verbose: bool) -> Callable[[], None]:
    """Log to the rotating log file (secrets masked); with ``verbose`` also to stderr.
    Returns how to undo it."""
    return configure_logging(paths, verbose=verbose)


# --- commands ------------------------------------------------------------------------------


def _check(ctx: _Context, *, as_json: bool) -> int:
    result = ctx.engine.poll(force=True)
    new = result.new_entries
    if as_json:
        for entry in new:
            print(fmt.entry_json_line(entry), file=ctx.out)
    elif new:
        print(fmt.entries_text(new, utcnow()), file=ctx.out)
    elif not result.results and not ctx.config.load().sources:
        print(f"No sources yet. Add one with: {APP_SLUG} sources add URL", file=ctx.out)
    else:
        print("No new entries.", file=ctx.out)
    failed = False
    for r in result.results:
        if r.status in (PollStatus.ERROR, PollStatus.DISABLED, PollStatus.DEFERRED):
            line = more.one_line(f"{r.source_name}: {r.error or r.status.value}")
            print(line, file=ctx.err)  # exactly one line per source
        if r.status is not PollStatus.OK and r.status is not PollStatus.NOT_MODIFIED:
            failed = True  # 0 only when every source was polled: a deferred one was not
    return EXIT_FAILED if failed else EXIT_OK


def _entries(ctx: _Context, *, as_json: bool, limit: int, source_name: str | None) -> int:
    source_id: str | None = None
    if source_name is not None:
        source = ctx.config.load().find_source(source_name)
        if source is None:
            raise UsageError(f"there is no source named {source_name!r}")
        source_id = source.id
    entries = ctx.reader.entries(limit=limit, source_id=source_id)
    if as_json:
        for entry in entries:
            print(fmt.entry_json_line(entry), file=ctx.out)
    elif entries:
        print(fmt.entries_text(entries, utcnow()), file=ctx.out)
    else:
        print("No entries yet.", file=ctx.out)
    return EXIT_OK


def _sources_list(ctx: _Context, *, as_json: bool) -> int:
    settings = ctx.config.load().settings
    from widget.engine.status import source_statuses  # light: no fetch stack

    statuses = source_statuses(ctx.config, ctx.reader)
    if as_json:
        objects = [fmt.source_object(s, settings, utcnow()) for s in statuses]
        print(json.dumps(objects, ensure_ascii=False, indent=2), file=ctx.out)
    elif statuses:
        print(fmt.sources_text(statuses, settings, utcnow()), file=ctx.out)
    else:
        print(f"No sources yet. Add one with: {APP_SLUG} sources add URL", file=ctx.out)
    return EXIT_OK


def _url_key(url: str) -> str:
    return url.strip().rstrip("/").casefold()


def _check_unique(config: Config, *, name: str | None, urls: Sequence[str]) -> None:
    keys = {_url_key(u) for u in urls}
    for s in config.sources:
        if _url_key(s.url) in keys:
            raise UsageError(f"{s.url} is already a source, named {s.name!r}")
        if name is not None and s.name.casefold() == name.casefold():
            raise UsageError(f"there is already a source named {s.name!r}; choose another --name")


_NOT_WEB = frozenset({"mailto", "javascript", "data", "file", "tel", "news"})


def _source_url(text: str) -> str:
    """The URL as typed, with ``https://`` added when no scheme was given; only http(s)."""
    url = text.strip()
    if not url:
        raise UsageError("the URL is empty")
    if any(c.isspace() for c in url):
        raise UsageError(f"{url!r} is not a web address (for example https://example.org/feed)")
    if "://" not in url:
        # "htp:/x", "http:/example.org", "mailto:x": a scheme without "//" (but "host:8080/feed"
        # is a host and port, to which https:// is added)
        scheme, colon, rest = url.partition(":")
        userinfo = "@" in rest.split("/", 1)[0] and scheme.lower() not in _NOT_WEB  # user:pw@host
        if (
            colon
            and scheme.isascii()
            and scheme.isalpha()
            and not rest[:1].isdigit()
            and not userinfo
        ):
            if scheme.lower() in ("http", "https"):
                raise UsageError(f"{url} is not a complete web address: write {scheme}://…")
            raise UsageError(
                f"{url} is not a web address: only http and https URLs can be added, "
                f"not {scheme}: URLs (for example https://example.org/feed)"
            )
        if not _looks_like_host(url):
            raise UsageError(f"{url!r} is not a web address (for example https://example.org/feed)")
        url = "https://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(f"only http and https URLs can be added, not {scheme}: URLs")
    if not parts.hostname:
        raise UsageError(f"{text.strip()} is not a web address: it names no host")
    problem = url_problem(url)
    if problem is not None:
        raise UsageError(f"{text.strip()} is not a web address: the URL {problem}")
    return url


def _looks_like_host(text: str) -> bool:
    """Typed without a scheme, the text must start with a host name: a dotted name, an IP
    address, ``[IPv6]`` or ``localhost`` (with an optional port), not just a word."""
    host = text.split("/", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.find("]") > 1
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name.lower() == "localhost":
        return True
    labels = name.split(".")
    return (
        len(labels) >= 2
        and all(labels)
        and all(label.replace("-", "").isalnum() for label in labels)
    )


def _sources_add(
    ctx: _Context,
    url: str,
    *,
    name: str | None,
    interval: int | None,
    auth: more.AuthRequest | None = None,
) -> int:
    url = _source_url(url)
    if name is not None:
        name = more.one_line(name)
        if not name:
            raise UsageError("the --name is empty")
    _check_unique(ctx.config.load(), name=name, urls=[url])
    secrets = SecretStore()
    try:
        more.need_keyring(secrets, auth)  # no keyring: nothing is saved, not even the source
        probe = ctx.engine.probe(url, auth.credentials() if auth else None)
    except (SourceError, SecretsError) as exc:
        _fail(ctx, f"cannot add {redact(url)}: {exc}")
        return EXIT_FAILED
    added: list[Source] = []
    source_id = new_source_id()

    def add(config: Config) -> Config:
        _check_unique(config, name=name, urls=[url, probe.url])
        source = Source(
            id=source_id,
            name=name or unique_name(config, probe.title),
            url=more.stored_url(url, probe.url, auth),
            kind=probe.kind,
            interval_minutes=interval,
        )
        source = auth.apply_to(source) if auth else source
        added.append(source)
        return with_source(config, source)

    if auth is not None:
        try:
            secrets.set(source_id, auth.secret)
        except SecretsError as exc:
            _fail(ctx, f"cannot add {redact(url)}: {exc}")
            return EXIT_FAILED
    try:
        config = ctx.config.update(add)
    except BaseException:
        if auth is not None:
            secrets.delete(source_id)  # the source was not saved: neither is its secret
        raise
    source = added[-1]
    minutes = source.effective_interval_minutes(config.settings.default_interval(source.kind))
    every = f"every {minutes} min" if source.interval_minutes is not None else "auto schedule"
    print(f"Added {source.name!r} ({source.kind.value}, {every}): {source.url}", file=ctx.out)
    return EXIT_OK


def _sources_remove(ctx: _Context, name: str) -> int:
    source = ctx.config.load().find_source(name)
    if source is None:
        raise UsageError(f"there is no source named {name!r}")

    db = ctx.db  # an unreadable store stops here, before the config forgets the source
    ctx.config.update(lambda config: without_source(config, source.id))
    db.delete_source(source.id)
    if source.auth is not AuthKind.NONE:
        try:
            SecretStore().delete(source.id)
        except SecretsError as exc:
            log.warning("the keyring secret of %s was not removed: %s", source.name, exc)
            print(f"warning: its keyring secret could not be removed: {exc}", file=ctx.err)
    print(f"Removed {source.name!r} and its entries.", file=ctx.out)
    return EXIT_OK
