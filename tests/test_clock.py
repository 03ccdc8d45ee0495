"""Time is explicit: a Clock is injected, and tests move a FixedClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from openpiu.clock import Clock, FixedClock, SystemClock

T0 = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)


def test_system_clock_is_utc_aware_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_both_clocks_are_clocks() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(T0), Clock)


def test_fixed_clock_stands_still() -> None:
    clock = FixedClock(T0)
    assert clock.now() == clock.now() == T0


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([timedelta(hours=1)], T0 + timedelta(hours=1)),
        ([timedelta(days=183), timedelta(days=1)], T0 + timedelta(days=184)),  # past six-month masking
        ([timedelta(days=5 * 365 + 1)], datetime(2030, 3, 30, 0, 30, tzinfo=UTC)),  # five-year deletion
        ([timedelta(minutes=30), -timedelta(minutes=30)], T0),
    ],
)
def test_fixed_clock_advances(steps: list[timedelta], expected: datetime) -> None:
    clock = FixedClock(T0)
    for step in steps:
        returned = clock.advance(step)
        assert returned == clock.now()
    assert clock.now() == expected
    assert clock.now().tzinfo is UTC


def test_fixed_clock_across_a_daylight_saving_change_is_plain_elapsed_time() -> None:
    # 2025-03-30 is the EU switch to summer time; UTC instants do not jump.
    clock = FixedClock(T0)
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2025, 3, 30, 2, 30, tzinfo=UTC)


def test_fixed_clock_converts_to_utc() -> None:
    brussels_summer = timezone(timedelta(hours=2))
    clock = FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=brussels_summer))
    assert clock.now() == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_can_be_set() -> None:
    clock = FixedClock(T0)
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_fixed_clock_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2025, 1, 1))
    clock = FixedClock(T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2025, 1, 1))
