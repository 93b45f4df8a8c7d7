"""Command line: no subcommand → tray app; check, entries, sources, opml. (STUB)"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    raise NotImplementedError
