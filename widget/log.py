"""The log: a rotating file in the platform's log folder, stderr too with ``--verbose``, and
secrets masked in everything written.

Nothing happens at import; ``configure_logging`` is called once by the CLI or the tray app and
returns a function that undoes it (tests and the CLI call it on exit).
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

from widget import APP_SLUG
from widget.paths import AppPaths
from widget.storage.files import private_file, private_folder

LOG_MAX_BYTES = 1024 * 1024
LOG_BACKUPS = 3
MASK = "***"
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STDERR_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Third-party loggers that stay at INFO even with --verbose: their DEBUG lines dump connection
# internals and are of no use to a user.
QUIET_LOGGERS = ("httpcore", "hpack", "charset_normalizer", "asyncio")

# Names whose values are secrets wherever they appear: query parameters, header lines,
# key=value and JSON-ish "key": "value" pairs.
_SECRET_NAMES = (
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|token|api[_-]?key|apikey|key|secret"
    r"|client[_-]?secret|password|passwd|pwd|auth|sig|signature|session[_-]?id|sessionid"
)
_SECRET_HEADERS = (
    r"authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token|api-key"
    r"|x-access-token|private-token"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # http://user:password@host → http://user:***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@"), rf"\1:{MASK}@"),
    # Authorization: Bearer abc / Cookie: a=b; c=d   (up to the end of the line or a quote)
    (
        re.compile(rf"(?i)\b({_SECRET_HEADERS})(\"?'?\s*[:=]\s*\"?'?)[^\r\n\"']+"),
        rf"\1\2{MASK}",
    ),
    # Bearer / Basic credentials on their own
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {MASK}"),
    # ?token=abc&... / password=abc / "api_key": "abc"
    (
        re.compile(
            rf"(?i)([?&;\s,{{(\"']|^)({_SECRET_NAMES})(\"?'?\s*[=:]\s*\"?'?)[^&\s\"',;)}}]+"
        ),
        rf"\1\2\3{MASK}",
    ),
)


def redact(text: str) -> str:
    """``text`` with credentials masked: passwords in URLs, secret query parameters and
    key=value pairs, Authorization/Cookie/API-key headers and bearer tokens."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files are 0600 whatever the umask: the log names the user's
    sources and what they read (rotation renames files, keeping the mode)."""

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        private_file(path, create=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        """A log line that cannot be written (a full disk) is said once on stderr, not as a
        traceback per line."""
        if not self._failed:
            self._failed = True
            print(f"{APP_SLUG}: cannot write the log file {self.baseFilename}", file=sys.stderr)

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # the last flush of a full disk: nothing more can be kept
            self.stream = None
            logging.Handler.close(self)

    _failed = False


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole output — message, arguments and
    traceback alike — so no code path can write a credential to the log."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(
    paths: AppPaths,
    *,
    verbose: bool = False,
    stderr: TextIO | None = None,
    max_bytes: int = LOG_MAX_BYTES,
    backups: int = LOG_BACKUPS,
) -> Callable[[], None]:
    """Log to ``paths.log_file`` (rotated at ``max_bytes``, ``backups`` old files kept).

    Without ``verbose``: INFO and above, file only. With ``verbose``: also DEBUG from the app,
    and everything is printed to ``stderr`` as well. If the log file cannot be opened, one line
    says so on stderr and the log goes to stderr instead (warnings and above unless verbose).
    Returns a function that removes the handlers again and restores the levels.
    """
    err = stderr if stderr is not None else sys.stderr
    root = logging.getLogger()
    app_logger = logging.getLogger("widget")
    handlers: list[logging.Handler] = []
    try:
        private_folder(paths.log_dir)
        file_handler = _PrivateRotatingFileHandler(
            paths.log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    except OSError as exc:
        print(
            f"{APP_SLUG}: cannot write the log file {paths.log_file} ({exc}); "
            "log messages go to stderr",
            file=err,
        )
        fallback = logging.StreamHandler(err)
        fallback.setLevel(logging.DEBUG if verbose else logging.WARNING)
        fallback.setFormatter(RedactingFormatter(STDERR_FORMAT))
        handlers.append(fallback)
    else:
        file_handler.setFormatter(RedactingFormatter(FILE_FORMAT))
        handlers.append(file_handler)
        if verbose:
            stream = logging.StreamHandler(err)
            stream.setFormatter(RedactingFormatter(STDERR_FORMAT))
            handlers.append(stream)

    saved = [(root, root.level), (app_logger, app_logger.level)]
    saved += [(logging.getLogger(name), logging.getLogger(name).level) for name in QUIET_LOGGERS]
    root.setLevel(logging.INFO)
    if verbose:
        app_logger.setLevel(logging.DEBUG)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    for handler in handlers:
        root.addHandler(handler)

    def undo() -> None:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        for logger, level in saved:
            logger.setLevel(level)

    return undo
