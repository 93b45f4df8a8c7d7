"""Settings and sources in a human-readable JSON file: validated, written atomically.

The file holds ``"version"``, ``"settings"`` and ``"sources"``; every error names the file and the
field, e.g. ``…/config.json: sources[2].interval_minutes: must be a whole number ≥ 1``. Unknown
keys are ignored. Secrets are never written here: a source records only its auth kind, user name
and header name; the secret itself lives in the keyring (``storage/secrets.py``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from widget.core.errors import ConfigError
from widget.core.models import Config, Source
from widget.storage.config_schema import config_from_json, config_to_json
from widget.storage.files import private_file, private_folder

CONFIG_VERSION = 1

log = logging.getLogger(__name__)


class ConfigStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def load(self) -> Config:
        """A missing file is an empty config. An invalid one raises ConfigError naming the file
        and the field; a corrupt (unparseable) one is first copied aside as a backup."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Config()
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot be read ({exc.strerror or exc}).") from exc
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            self._corrupt(raw, f"not UTF-8 text at byte {exc.start}", exc)
        except json.JSONDecodeError as exc:
            self._corrupt(raw, f"line {exc.lineno}, column {exc.colno}: {exc.msg}", exc)
        return config_from_json(data, str(self.path), CONFIG_VERSION)

    def save(self, config: Config) -> None:
        """Atomic: temp file in the same folder + fsync + rename. Validated first: an invalid
        config raises ConfigError and the file is not touched."""
        data = config_to_json(config, CONFIG_VERSION)
        config_from_json(data, str(self.path), CONFIG_VERSION)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        try:
            _write_atomic(self.path, text)
        except OSError as exc:
            raise ConfigError(f"{self.path}: could not be written ({exc}).") from exc

    def update(self, change: Callable[[Config], Config]) -> Config:
        """Load, change and save under an inter-process lock; returns the saved config."""
        with self.locked():
            config = change(self.load())
            self.save(config)
            return config

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the config's inter-process lock (a ``.lock`` file next to it)."""
        try:
            private_folder(self.path.parent)
            handle = os.fdopen(os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
            private_file(self.lock_path)
        except OSError as exc:
            raise ConfigError(f"{self.lock_path}: could not be opened ({exc}).") from exc
        with handle, _file_lock(handle.fileno(), self.lock_path):
            yield

    def _corrupt(self, raw: bytes, reason: str, cause: Exception) -> None:
        backup = _backup(self.path, raw)
        raise ConfigError(
            f"{self.path} is not valid JSON ({reason}). It was left as it is and a backup was "
            f"saved as {backup}. Fix the file (or remove it to start with no sources), then try "
            "again."
        ) from cause


# --- helpers for the command line and the settings dialog ---
def new_source_id() -> str:
    """A fresh, stable identity for a source (survives renames and URL changes)."""
    import uuid  # loads libuuid and platform; only adding a source needs it

    return uuid.uuid4().hex[:12]


def name_taken(config: Config, name: str, *, except_id: str | None = None) -> bool:
    """Whether another source already has this name (names compare case-insensitively)."""
    folded = name.strip().casefold()
    return any(s.name.casefold() == folded and s.id != except_id for s in config.sources)


def unique_name(config: Config, name: str, *, except_id: str | None = None) -> str:
    """``name``, or ``name (2)``, ``name (3)``… — the first one no other source has."""
    base = name.strip() or "Untitled source"
    candidate, n = base, 1
    while name_taken(config, candidate, except_id=except_id):
        n += 1
        candidate = f"{base} ({n})"
    return candidate


def with_source(config: Config, source: Source) -> Config:
    """The config with ``source`` added, or replacing the source of the same id in place."""
    sources = list(config.sources)
    for i, existing in enumerate(sources):
        if existing.id == source.id:
            sources[i] = source
            break
    else:
        sources.append(source)
    return Config(settings=config.settings, sources=tuple(sources))


def without_source(config: Config, source_id: str) -> Config:
    return Config(
        settings=config.settings,
        sources=tuple(s for s in config.sources if s.id != source_id),
    )


# --- files ---
def _write_atomic(path: Path, text: str) -> None:
    import tempfile  # only a save needs it (with random, shutil…); the tray app mostly reads

    private_folder(path.parent)
    # mkstemp creates the file 0600 whatever the umask; the rename keeps that mode.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles for this)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _backup(path: Path, raw: bytes) -> Path:
    """Copy ``raw`` to ``<name>.corrupt-<UTC time>`` (reusing an identical earlier backup)."""
    for existing in sorted(path.parent.glob(path.name + ".corrupt-*")):
        try:
            if existing.read_bytes() == raw:
                return existing
        except OSError as exc:
            log.warning("could not compare with earlier backup %s: %s", existing, exc)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while True:
        try:
            with target.open("xb") as f:
                f.write(raw)
            return target
        except FileExistsError:
            n += 1
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        except OSError as exc:
            raise ConfigError(
                f"{path} is not valid JSON, and a backup could not be saved ({exc}); "
                "it was left as it is."
            ) from exc


@contextmanager
def _file_lock(fd: int, where: Path) -> Iterator[None]:
    if sys.platform == "win32":
        import msvcrt

        for _attempt in range(30):  # LK_LOCK itself retries for about 10 s
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                break
            except OSError:
                continue
        else:
            raise ConfigError(f"{where}: another Live Updates process holds the config lock.")
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


class MemoryConfigStore(ConfigStore):
    """A config that lives in memory only: the demo's (it never writes the user's config), and
    a poll process's copy of it. ``path`` is where a file would be; nothing is written there."""

    def __init__(self, path: Path, config: Config) -> None:
        super().__init__(path)
        self._config = config
        self._lock = threading.Lock()

    def load(self) -> Config:
        with self._lock:
            return self._config

    def save(self, config: Config) -> None:
        with self._lock:
            self._config = config

    def update(self, change: Callable[[Config], Config]) -> Config:
        with self._lock:
            self._config = change(self._config)
            return self._config
