"""Command line: credentials for ``sources add``/``sources edit`` (secrets read from stdin, never
argv; kept in the keyring only), ``sources edit``, and ``opml import``/``opml export``."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from widget import APP_SLUG
from widget.core.errors import SecretsError, SourceError
from widget.core.models import MIN_INTERVAL_MINUTES, AuthKind, Config, Source
from widget.core.urls import same_origin
from widget.storage.config import ConfigStore, with_source
from widget.storage.config_schema import source_problems

if TYPE_CHECKING:  # HTTP, the engine and OPML load only for the commands that use them
    from widget.engine.poll import Engine
    from widget.sources.http import Credentials

EXIT_OK = 0
EXIT_FAILED = 1


class UsageError(Exception):
    """A request the user can fix (exit 2)."""


class Context(Protocol):
    @property
    def config(self) -> ConfigStore: ...
    @property
    def engine(self) -> Engine: ...

    out: TextIO
    err: TextIO


class Secrets(Protocol):
    def available(self) -> str | None: ...
    def set(self, source_id: str, secret: str) -> None: ...
    def delete(self, source_id: str) -> None: ...


@dataclass(frozen=True)
class AuthRequest:
    kind: AuthKind  # BASIC, HEADER, or NONE (``--no-auth``: stop signing in)
    username: str | None = None
    header: str | None = None
    secret: str = ""

    def __repr__(self) -> str:  # never show the secret
        return (
            f"AuthRequest({self.kind.value!r}, username={self.username!r}, header={self.header!r})"
        )

    def credentials(self) -> Credentials | None:
        if self.kind is AuthKind.NONE:
            return None
        from widget.sources.http import Credentials

        return Credentials(self.kind, self.secret, username=self.username, header=self.header)

    def apply_to(self, source: Source) -> Source:
        return replace(source, auth=self.kind, username=self.username, auth_header=self.header)


def add_auth_options(parser: argparse.ArgumentParser, *, edit: bool = False) -> None:
    group = parser.add_argument_group("sign-in (the secret is read from stdin, never argv)")
    group.add_argument("--username", metavar="USER", help="HTTP Basic user name")
    group.add_argument(
        "--password-stdin", action="store_true", help="read the Basic password from stdin"
    )
    group.add_argument(
        "--header", metavar="NAME", help="send a token in this header (e.g. Authorization)"
    )
    group.add_argument(
        "--token-stdin", action="store_true", help="read the header's value from stdin"
    )
    if edit:
        group.add_argument(
            "--no-auth", action="store_true", help="stop signing in; the stored secret is removed"
        )


def interval_arg(text: str, *, zero_is_auto: bool = False) -> int:
    """``sources add|edit --interval auto|MINUTES``: "auto" is 0, the adaptive schedule; else
    whole minutes ≥ 1, a fixed interval kept as set. ``zero_is_auto``: "0" is "auto" too
    (``sources edit``)."""
    if text.strip().lower() == "auto":
        return 0
    try:
        minutes = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither 'auto' nor a whole number of minutes"
        ) from None
    if zero_is_auto and minutes < 0:
        raise argparse.ArgumentTypeError("the interval is 'auto' or a whole number of minutes ≥ 1")
    if not zero_is_auto and minutes < MIN_INTERVAL_MINUTES:
        raise argparse.ArgumentTypeError(f"the interval is at least {MIN_INTERVAL_MINUTES} minute")
    return minutes


def add_edit_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    edit = commands.add_parser("edit", help="change a source's name, URL, interval or sign-in")
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="rename the source")
    edit.add_argument("--url", help="a new URL (fetched once to check it)")
    edit.add_argument(
        "--interval",
        type=functools.partial(interval_arg, zero_is_auto=True),
        metavar="auto|MINUTES",
        help="auto: follow the source's own pace (0 too); MINUTES: a fixed interval",
    )
    edit.add_argument("--include", metavar="WORDS", help="comma-separated; '' clears")
    edit.add_argument("--exclude", metavar="WORDS", help="comma-separated; '' clears")
    on_off = edit.add_mutually_exclusive_group()
    on_off.add_argument(
        "--enable", dest="enabled", action="store_true", default=None, help="check it again"
    )
    on_off.add_argument(
        "--disable", dest="enabled", action="store_false", help="stop checking it (kept)"
    )
    notify = edit.add_mutually_exclusive_group()
    notify.add_argument(
        "--notify", dest="notify", action="store_true", default=None, help="notify about it"
    )
    notify.add_argument(
        "--no-notify", dest="notify", action="store_false", help="list its entries silently"
    )
    add_auth_options(edit, edit=True)
    return edit


def add_opml_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    opml = commands.add_parser("opml", help="import or export sources as OPML")
    actions = opml.add_subparsers(dest="opml_command", metavar="ACTION")
    actions.required = True
    imp = actions.add_parser("import", help="add the feeds of an OPML file ('-': stdin)")
    imp.add_argument("file", metavar="FILE")
    exp = actions.add_parser("export", help="write every source as OPML ('-': stdout)")
    exp.add_argument("file", metavar="FILE")
    return imp, exp


def one_line(text: str) -> str:
    """``text`` on one line: line breaks, tabs and runs of spaces become one space, trimmed —
    a name typed with a line break must not split a table row or a one-line message."""
    return " ".join(text.split())


def read_secret(stdin: TextIO) -> str:
    """The secret from stdin: everything up to the end, without the final line break."""
    secret = stdin.read()
    if secret.endswith("\n"):
        secret = secret[:-1]
    if secret.endswith("\r"):
        secret = secret[:-1]
    if not secret:
        raise UsageError("no secret was given on stdin")
    return secret


def auth_request(args: argparse.Namespace, stdin: TextIO) -> AuthRequest | None:
    """What the sign-in options ask for; None when there are none. Reads stdin at most once."""
    basic = args.username is not None or args.password_stdin
    header = args.header is not None or args.token_stdin
    no_auth = bool(getattr(args, "no_auth", False))
    if sum((basic, header, no_auth)) > 1:
        raise UsageError("choose one of --username/--password-stdin, --header/--token-stdin")
    if no_auth:
        return AuthRequest(AuthKind.NONE)
    if basic:
        if not (args.username or "").strip() or not args.password_stdin:
            raise UsageError("HTTP Basic needs both --username USER and --password-stdin")
        return AuthRequest(
            AuthKind.BASIC, username=args.username.strip(), secret=read_secret(stdin)
        )
    if header:
        if not (args.header or "").strip() or not args.token_stdin:
            raise UsageError("a header token needs both --header NAME and --token-stdin")
        return AuthRequest(AuthKind.HEADER, header=args.header.strip(), secret=read_secret(stdin))
    return None


def stored_url(typed: str, probed: str, auth: AuthRequest | None) -> str:
    """The URL to keep: the probe's (redirects and autodiscovery followed), except that a private
    source whose probe ended on another origin keeps the typed one — its secret goes nowhere else.
    """
    if auth is None or auth.kind is AuthKind.NONE or same_origin(typed, probed):
        return probed
    return typed


def need_keyring(secrets: Secrets, auth: AuthRequest | None) -> None:
    """Raises SecretsError when a secret is to be stored and no keyring can hold it."""
    if auth is None or auth.kind is AuthKind.NONE:
        return
    problem = secrets.available()
    if problem:
        raise SecretsError(problem)


def _fail(ctx: Context, message: str) -> None:
    print(f"{APP_SLUG}: {message}", file=ctx.err)


def _words(text: str | None, old: tuple[str, ...]) -> tuple[str, ...]:
    if text is None:
        return old
    return tuple(w.strip() for w in text.split(",") if w.strip())


def sources_edit(ctx: Context, args: argparse.Namespace, secrets: Secrets, stdin: TextIO) -> int:
    source = ctx.config.load().find_source(args.name)
    if source is None:
        raise UsageError(f"there is no source named {args.name!r}")
    auth = auth_request(args, stdin)
    try:
        need_keyring(secrets, auth)
    except SecretsError as exc:
        _fail(ctx, f"{source.name} was not changed: {exc}")
        return EXIT_FAILED
    changed = replace(
        source,
        name=one_line(args.new_name) if args.new_name is not None else source.name,
        interval_minutes=(args.interval or None)
        if args.interval is not None
        else (source.interval_minutes),
        include=_words(args.include, source.include),
        exclude=_words(args.exclude, source.exclude),
        enabled=source.enabled if args.enabled is None else args.enabled,
        notify=source.notify if args.notify is None else args.notify,
    )
    if auth is not None:
        changed = auth.apply_to(changed)
    if args.url is not None and args.url.strip() != source.url:
        changed = replace(changed, url=args.url.strip())
        problems = source_problems(changed, ctx.config.load().sources)
        if "url" not in problems:
            try:
                probe = ctx.engine.probe(changed.url, auth.credentials() if auth else None)
            except SourceError as exc:
                _fail(ctx, f"{source.name} was not changed: {changed.url}: {exc}")
                return EXIT_FAILED
            auth_now = auth or (
                AuthRequest(changed.auth) if changed.auth is not AuthKind.NONE else None
            )
            changed = replace(
                changed, url=stored_url(changed.url, probe.url, auth_now), kind=probe.kind
            )
    _check(ctx.config.load(), changed)
    if auth is not None and auth.kind is not AuthKind.NONE:
        try:
            secrets.set(source.id, auth.secret)
        except SecretsError as exc:
            _fail(ctx, f"{source.name} was not changed: {exc}")
            return EXIT_FAILED

    def edit(config: Config) -> Config:
        _check(config, changed)
        return with_source(config, changed)

    ctx.config.update(edit)
    if source.auth is not AuthKind.NONE and changed.auth is AuthKind.NONE:
        try:
            secrets.delete(source.id)
        except SecretsError as exc:
            _fail(ctx, f"warning: the stored secret could not be removed: {exc}")
    print(f"Changed {changed.name!r}.", file=ctx.out)
    return EXIT_OK


def _check(config: Config, source: Source) -> None:
    from widget.storage.opml import url_key

    problems = source_problems(source, config.sources)
    if problems:
        field, message = next(iter(problems.items()))
        raise UsageError(f"{field} {message}")
    for other in config.sources:
        if other.id != source.id and url_key(other.url) == url_key(source.url):
            raise UsageError(f"{source.url} is already a source, named {other.name!r}")


def opml_import(ctx: Context, file: str, read_stdin: Callable[[], bytes]) -> int:
    from widget.storage.opml import OpmlError, import_feeds, parse_opml

    try:
        data = read_stdin() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        _fail(ctx, f"{file} could not be read ({exc.strerror or exc}); nothing was imported")
        return EXIT_FAILED
    try:
        document = parse_opml(data)
    except OpmlError as exc:
        _fail(ctx, f"{file}: {exc}")
        return EXIT_FAILED
    results = []

    def add(config: Config) -> Config:
        results.append(import_feeds(config, document))
        return results[-1].config

    ctx.config.update(add)
    result = results[-1]
    for problem in result.problems:
        print(f"left out: {problem}", file=ctx.err)
    print(f"{result.summary()}.", file=ctx.out)
    return EXIT_OK


def opml_export(ctx: Context, file: str) -> int:
    from widget.storage.opml import export_opml

    data = export_opml(ctx.config.load())
    if file == "-":
        ctx.out.write(data.decode("utf-8"))
        return EXIT_OK
    try:
        Path(file).write_bytes(data)
    except OSError as exc:
        _fail(ctx, f"{file} could not be written ({exc.strerror or exc})")
        return EXIT_FAILED
    print(f"Exported {len(ctx.config.load().sources)} sources to {file}.", file=ctx.out)
    return EXIT_OK


def stdin_bytes() -> bytes:
    return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
