"""The model's records: frozen, slotted, comparable; `@record` keeps dataclass semantics."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpiu.model import PartialDate, ScheduledTime, TravelDocument, Traveller
from openpiu.model.record import record


@record
class _Sample:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    bag: list[int] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must not be negative")


def test_record_is_a_frozen_slotted_dataclass() -> None:
    item = _Sample("a", 2)
    assert dataclasses.is_dataclass(item)
    assert not hasattr(item, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "b"  # type: ignore[misc]
    assert item == _Sample("a", 2)
    assert hash(item.tags) == hash(())
    assert repr(item) == "_Sample(name='a', count=2, tags=(), bag=[])"
    assert dataclasses.replace(item, count=3) == _Sample(name="a", count=3)
    assert pickle.loads(pickle.dumps(item)) == item


def test_record_runs_post_init_and_default_factories() -> None:
    with pytest.raises(ValueError, match="negative"):
        _Sample("a", -1)
    first, second = _Sample("a"), _Sample("b")
    assert first.bag == []
    assert first.bag is not second.bag
    with pytest.raises(TypeError):
        _Sample()  # type: ignore[call-arg]


def test_ordering_of_partial_dates() -> None:
    assert PartialDate(1980) < PartialDate(1980, 5) < PartialDate(1980, 5, 1) < PartialDate(1981)


@given(st.dates())
def test_partial_date_iso_round_trip(day: object) -> None:
    import datetime as dt

    assert isinstance(day, dt.date)
    for value in (PartialDate.of(day), PartialDate(day.year, day.month), PartialDate(day.year)):
        assert PartialDate.from_iso(value.isoformat()) == value
    assert PartialDate.of(day).as_date() == day


@pytest.mark.parametrize(("args"), [(0,), (2020, 13), (2021, 2, 29), (2020, None, 1)])
def test_impossible_partial_dates_are_refused(args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"range|needs"):
        PartialDate(*args)


def test_schedule_times_carry_zone_and_utc() -> None:
    import datetime as dt

    frankfurt = ScheduledTime.at("FRA", dt.datetime(2026, 7, 1, 10, 35))
    assert frankfurt.zone == "Europe/Berlin"
    assert frankfurt.utc == dt.datetime(2026, 7, 1, 8, 35, tzinfo=dt.UTC)
    assert frankfurt.local_iso() == "2026-07-01T10:35"
    unknown = ScheduledTime.at("QQQ", dt.datetime(2026, 7, 1, 10, 35))
    assert (unknown.zone, unknown.utc) == (None, None)
    undated = ScheduledTime.at("FRA", dt.datetime(2026, 7, 1), time_known=False)
    assert (undated.local_iso(), undated.utc) == ("2026-07-01", None)


def test_travel_records_compare_by_value() -> None:
    doc = TravelDocument(source="DOCS", document_type="P", number="X1")
    assert Traveller("DOE", documents=(doc,)) == Traveller("DOE", documents=(doc,))
    assert Traveller("DOE").type.value == "adult"
