"""The store's JSON codec: every model record survives a round trip, and identities split off cleanly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.model import (
    Booking,
    Flight,
    MessageFormat,
    MessageHeader,
    PartialDate,
    ScheduledTime,
    Traveller,
)
from openpiu.store.codec import (
    BOOKING_IDENTITY_FIELDS,
    TRAVELLER_IDENTITY_FIELDS,
    from_json,
    join_booking,
    split_booking,
    to_json,
)
from openpiu.synth.corpus import demo_push


def _through_json(document: dict[str, Any]) -> dict[str, Any]:
    """What comes back from a JSON column: plain JSON, nothing Python-specific survives."""
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


@settings(max_examples=25)  # each example is a generated push of 8 varied bookings (~30 ms)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_pushes_round_trip(seed: int) -> None:
    push = demo_push(seed, bookings=8)
    assert from_json(type(push), _through_json(to_json(push))) == push
    for booking in push.bookings:
        assert from_json(Booking, _through_json(to_json(booking))) == booking


@settings(max_examples=25)  # each example is a generated push of 8 varied bookings (~30 ms)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_split_and_join_give_back_the_booking(seed: int) -> None:
    for booking in demo_push(seed, bookings=8).bookings:
        split = split_booking(booking)
        travellers = [(_through_json(p), _through_json(i)) for p, i in split.travellers]
        joined = join_booking(_through_json(split.public), _through_json(split.identity), travellers)
        assert joined == booking


@settings(max_examples=25)  # each example is a generated push of 8 varied bookings (~30 ms)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_identifying_fields_are_not_in_the_public_part(seed: int) -> None:
    for booking in demo_push(seed, bookings=8).bookings:
        split = split_booking(booking)
        public_text = json.dumps(split.public)
        assert not set(BOOKING_IDENTITY_FIELDS) & set(split.public)
        assert "travellers" not in split.public
        for segment in split.public.get("segments", ()):
            assert "remarks" not in segment
            for check_in in segment.get("check_ins", ()):
                assert "surname" not in check_in
                assert "given_names" not in check_in
        for segment in split.public.get("segments", ()):
            assert "party_size" not in segment  # the number travelling together, Art 12(2)(a)
            assert "services" not in segment
        assert "services" not in split.public  # SSR and OSI items: contacts and remarks in their text
        for contact in booking.contacts:
            assert contact.value not in public_text
        for (public, _identity), traveller in zip(split.travellers, booking.travellers, strict=True):
            assert not set(TRAVELLER_IDENTITY_FIELDS) & set(public)
            traveller_text = json.dumps(public)
            assert f'"{traveller.surname}"' not in traveller_text
            assert "services" not in public  # DOCS, DOCO, DOCA, CTCE, CTCM, FQTV ... in their text
            assert "gender" not in public  # from the travel document: API data, Art 12(2)(f)
            for document in traveller.documents:
                if document.number:
                    assert document.number not in public_text
                    assert document.number not in traveller_text
            for contact in traveller.contacts:
                assert contact.value not in public_text
                assert contact.value not in traveller_text


# Records built by Hypothesis from the model's own types, with valid values where a type has rules.
_instants = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1))
st.register_type_strategy(datetime, _instants)
st.register_type_strategy(Decimal, st.decimals(allow_nan=False, allow_infinity=False, places=2))
st.register_type_strategy(
    PartialDate,
    st.dates(min_value=date(1900, 1, 1)).flatmap(
        lambda d: st.sampled_from(
            [PartialDate(d.year), PartialDate(d.year, d.month), PartialDate(d.year, d.month, d.day)]
        )
    ),
)


@given(st.from_type(Traveller))
def test_any_traveller_round_trips(traveller: Traveller) -> None:
    assert from_json(Traveller, _through_json(to_json(traveller))) == traveller


@given(st.from_type(Flight), st.from_type(MessageHeader))
def test_any_flight_and_header_round_trip(flight: Flight, header: MessageHeader) -> None:
    assert from_json(Flight, _through_json(to_json(flight))) == flight
    assert from_json(MessageHeader, _through_json(to_json(header))) == header


def test_times_keep_their_awareness() -> None:
    local = datetime(2025, 3, 30, 1, 30)  # naive: a local schedule time
    scheduled = ScheduledTime.at("FRA", local)
    back = from_json(ScheduledTime, _through_json(to_json(scheduled)))
    assert back.local.tzinfo is None
    assert back.utc is not None
    assert back.utc.utcoffset() == timedelta(0)
    assert back == scheduled
    header = MessageHeader(
        format=MessageFormat.PNRGOV, prepared_at=datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    )
    assert from_json(MessageHeader, to_json(header)).prepared_at == header.prepared_at


def test_defaults_are_left_out() -> None:
    assert to_json(Traveller(surname="DOE")) == {"surname": "DOE"}
    assert from_json(Traveller, {"surname": "DOE"}) == Traveller(surname="DOE")


def test_unknown_fields_and_foreign_types_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fields"):
        from_json(Traveller, {"surname": "DOE", "religion": "x"})
    with pytest.raises(TypeError, match="not a model record"):
        to_json(object())
    with pytest.raises(TypeError, match="expected str"):
        to_json(Traveller(surname=42))  # type: ignore[arg-type]
