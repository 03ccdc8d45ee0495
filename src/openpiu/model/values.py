"""Value types shared by every record: partial dates, schedule times, money, codes."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpiu.model.airports import zone_of
from openpiu.model.record import record


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@record
class PartialDate:
    """A calendar date known to the day, the month or only the year (dates of birth often are)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")
        if self.month is None:
            if self.day is not None:
                raise ValueError("a day needs a month")
            return
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValueError(f"day out of range: {self.year}-{self.month:02d}-{self.day}")

    def _key(self) -> tuple[int, int, int]:
        # A coarser date sorts before the finer dates it contains: 1980 < 1980-05 < 1980-05-01 < 1981.
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: PartialDate) -> bool:
        return self._key() < other._key()

    def __le__(self, other: PartialDate) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: PartialDate) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: PartialDate) -> bool:
        return self._key() >= other._key()

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        if self.month is not None:
            return DatePrecision.MONTH
        return DatePrecision.YEAR

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def as_date(self) -> date | None:
        """The full date, or None when the day is not known."""
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    @classmethod
    def of(cls, value: date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        """Read `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."""
        parts = text.strip().split("-")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"not a date: {text!r}")
        nums = [int(p) for p in parts]
        return cls(nums[0], nums[1] if len(nums) > 1 else None, nums[2] if len(nums) > 2 else None)

    def __str__(self) -> str:
        return self.isoformat()


class Gender(StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNSPECIFIED = "U"
    OTHER = "X"


@record
class ScheduledTime:
    """A schedule time as the message gives it: local to an airport, with the airport's zone and UTC.

    `time_known` is False when the message gave a date without a time (then `local` is midnight and
    `utc` is None).
    """

    local: datetime
    airport: str | None = None
    zone: str | None = None
    utc: datetime | None = None
    time_known: bool = True

    @classmethod
    def at(cls, airport: str | None, local: datetime, *, time_known: bool = True) -> ScheduledTime:
        """Attach the airport's IANA zone (from airportsdata) and derive the UTC instant."""
        if local.tzinfo is not None:
            raise ValueError("a local schedule time is naive; the zone comes from the airport")
        zone = zone_of(airport) if airport else None
        utc: datetime | None = None
        if zone is not None and time_known:
            try:
                utc = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
            except ZoneInfoNotFoundError:
                zone = None
        return cls(local=local, airport=airport, zone=zone, utc=utc, time_known=time_known)

    def local_iso(self) -> str:
        """`YYYY-MM-DDTHH:MM`, or `YYYY-MM-DD` when the time is not known."""
        if not self.time_known:
            return self.local.date().isoformat()
        return self.local.strftime("%Y-%m-%dT%H:%M")


@record
class Money:
    amount: Decimal
    currency: str | None = None


def utc(value: datetime) -> datetime:
    """Mark a naive datetime read from a message (DAT, RCI, UNB: UTC by convention) as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
