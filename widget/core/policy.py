"""Pure notification decisions. (STUB: to be implemented)"""

from __future__ import annotations

from collections.abc import Sequence


def passes_filters(include: Sequence[str], exclude: Sequence[str], text: str) -> bool:
    """Keyword filters: each pattern a word/phrase (case-insensitive, whole word) or /regex/.
    True when ``text`` matches some include (or there are none) and no exclude.
    An invalid /regex/ never matches (and never raises)."""
    raise NotImplementedError
