"""Parsed messages cross process boundaries (the ingest readers) by pickle: every record comes back equal."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.formats.pnrgov_xml import parse_pnrgov_xml, write_pnrgov_xml
from openpiu.formats.reader import read_messages
from openpiu.model import Booking, PartialDate, Traveller
from openpiu.synth.corpus import demo_push, passenger_list_for


def _records(value: object) -> list[object]:
    """Every record inside ``value`` (itself included), depth first."""
    found: list[object] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            found.append(item)
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, tuple):
            stack.extend(item)
    return found


@settings(max_examples=10)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_parsed_messages_survive_pickle_and_copy(seed: int) -> None:
    push = demo_push(seed, bookings=6)
    parsed = [*read_messages(write_pnrgov(push)), parse_pnrgov_xml(write_pnrgov_xml(push))]
    parsed.append(passenger_list_for(push))
    for message in parsed:
        assert not isinstance(message, Exception)
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(message, protocol=protocol))
            assert back == message
            assert [type(r) for r in _records(back)] == [type(r) for r in _records(message)]
        assert copy.copy(message) == message
        assert copy.deepcopy(message) == message


def test_unpickled_records_stay_frozen_and_validated() -> None:
    booking = demo_push(1, bookings=1).bookings[0]
    back = pickle.loads(pickle.dumps(booking))
    assert isinstance(back, Booking)
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.locator = "X"  # type: ignore[misc]
    traveller = pickle.loads(pickle.dumps(Traveller(surname="DOE", date_of_birth=PartialDate(1980, 2))))
    assert traveller.date_of_birth == PartialDate(1980, 2)
    # A pickle is a constructor call: the record's own checks run on the way back in.
    forged = pickle.dumps(PartialDate(1980, 2, 28)).replace(b"K\x1c", b"K\x1e")  # day 28 -> 30
    with pytest.raises(ValueError, match="day out of range"):
        pickle.loads(forged)
