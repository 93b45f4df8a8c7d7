"""Settings and sources in a human-readable JSON file: validated, written atomically. (STUB)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from widget.core.models import Config


class ConfigStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Config:
        """A missing file is an empty config. An invalid one raises ConfigError naming the file
        and the field; a corrupt (unparseable) one is first copied aside as a backup."""
        raise NotImplementedError

    def save(self, config: Config) -> None:
        """Atomic: temp file in the same folder + fsync + rename."""
        raise NotImplementedError

    def update(self, change: Callable[[Config], Config]) -> Config:
        """Load, change and save under an inter-process lock; returns the saved config."""
        raise NotImplementedError
