"""Time is explicit: code that needs "now" is given a :class:`Clock`.

Instants are timezone-aware UTC. Production code gets a :class:`SystemClock`; tests use a :class:`FixedClock`
and move it with :meth:`FixedClock.advance` to exercise retention periods and deadlines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FixedClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until moved; for tests."""

    __slots__ = ("_at",)

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta`` (negative moves it back) and return the new instant."""
        self._at += delta
        return self._at

    def set(self, at: datetime) -> None:
        """Put the clock at ``at``."""
        self._at = _utc(at)

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a clock needs a timezone-aware instant, got naive {at.isoformat()}")
    return at.astimezone(UTC)
