"""The tests' one clock, passed wherever the product takes ``clock=``: calling it gives the time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class Clock:
    """``Clock(start)`` stands at ``start`` until the test moves it; ``Clock()`` follows real time
    (UTC). Either way the test moves it by assigning ``now``, with ``advance(...)`` or by setting
    ``shift`` (a simulated sleep); ``now`` is what a call returns."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self.shift = timedelta()

    @property
    def now(self) -> datetime:
        base = self._start if self._start is not None else datetime.now(timezone.utc)
        return base + self.shift

    @now.setter
    def now(self, value: datetime) -> None:
        if self._start is None:
            self.shift = value - datetime.now(timezone.utc)
        else:
            self._start, self.shift = value, timedelta()

    def advance(
        self, minutes: float = 0, *, seconds: float = 0, hours: float = 0, days: float = 0
    ) -> None:
        self.shift += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def __call__(self) -> datetime:
        return self.now
