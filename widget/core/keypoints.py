"""Key points of an entry: heading-anchored list, else first short list, else first sentence.
Pure. (STUB: to be implemented)"""

from __future__ import annotations

MAX_POINTS = 8


def extract_key_points(
    html: str | None, *, summary: str = "", title: str = "", limit: int = MAX_POINTS
) -> tuple[str, ...]:
    """Key points, each plain text, at most ``limit``.

    1. a ul/ol right after a heading or short paragraph such as "Here's what to know", "Key points"…
    2. else the first list of 2–10 items, each under about 300 characters;
    3. else the first sentence of the plain-text ``summary`` (or of ``html``'s text); else ``title``.
    """
    raise NotImplementedError
