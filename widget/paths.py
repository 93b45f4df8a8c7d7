"""Where Live Updates keeps its files: explicit, overridable, nothing created at import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from widget import APP_SLUG


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        """The platform's directories (on Linux the XDG_* variables are respected)."""
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_SLUG, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_SLUG, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_SLUG, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "entries.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "live-updates.log"

    def ensure(self) -> None:
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
