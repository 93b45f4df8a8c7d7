"""The one seam for unattended runs (the test suite, benchmarks, the bundle's smoke test).

``LIVE_UPDATES_UNATTENDED`` holds one JSON object; it is read once by each entry point (the
command line, the tray app, the poll process) and the resulting ``Unattended`` value is handed
down explicitly. Nothing here is read at import. Keys:

- ``url_log``: a file that gets every URL the tray app would open, instead of a browser (and no
  modal error box waits for a click);
- ``modules_log``: a file that gets the tray app's imported module names after each poll;
- ``http_deadline``: seconds one request may take in all (0.1–30; the default is 30);
- ``host_gap_s``: seconds between two requests to one host (0–2; the default is 2) — benchmarks
  and tests that serve many sources from one loopback host set 0.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "LIVE_UPDATES_UNATTENDED"
DEFAULT_HTTP_DEADLINE = 30.0  # the HTTP client's own default (sources/http.py)


@dataclass(frozen=True)
class Unattended:
    url_log: Path | None = None
    modules_log: Path | None = None
    http_deadline: float = DEFAULT_HTTP_DEADLINE
    host_gap_s: float | None = None  # None: the schedule's own (2 s)

    @property
    def active(self) -> bool:
        """A run nobody watches: no dialog may wait for a click."""
        return self.url_log is not None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Unattended:
        raw = environ.get(ENV)
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            deadline = float(data.get("http_deadline", DEFAULT_HTTP_DEADLINE))
            gap = data.get("host_gap_s")
            host_gap = None if gap is None else min(2.0, max(0.0, float(gap)))
        except (ValueError, TypeError) as exc:
            log.warning("ignoring %s: %s", ENV, exc)
            return cls()
        return cls(
            url_log=_path(data.get("url_log")),
            modules_log=_path(data.get("modules_log")),
            http_deadline=min(DEFAULT_HTTP_DEADLINE, max(0.1, deadline)),
            host_gap_s=host_gap,
        )

    def as_environment(self) -> dict[str, str]:
        """The variable that hands this value to a child process (tests build it with this)."""
        data: dict[str, object] = {"http_deadline": self.http_deadline}
        if self.url_log is not None:
            data["url_log"] = str(self.url_log)
        if self.modules_log is not None:
            data["modules_log"] = str(self.modules_log)
        if self.host_gap_s is not None:
            data["host_gap_s"] = self.host_gap_s
        return {ENV: json.dumps(data)}


def _path(value: object) -> Path | None:
    return Path(value) if isinstance(value, str) and value else None


__all__ = ["ENV", "Unattended"]
