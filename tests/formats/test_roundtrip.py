"""What the writers write, the readers read back: generated pushes in every layout and format."""

from __future__ import annotations

import dataclasses

import pytest

from openpiu.formats.edifact import ServiceChars
from openpiu.formats.errors import ParseError
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import split_push, write_pnrgov
from openpiu.formats.pnrgov_xml import write_pnrgov_xml
from openpiu.formats.reader import read_messages
from openpiu.model import Booking, PassengerList, PnrPush, Traveller
from openpiu.synth.corpus import demo_push, passenger_list_for


@pytest.fixture(scope="module")
def push() -> PnrPush:
    return demo_push(seed=3, bookings=60)


def traveller_key(t: Traveller) -> tuple[object, ...]:
    documents = tuple(
        sorted((d.number or "", d.nationality or "") for d in t.documents if d.source in ("DOCS", "XML"))
    )
    return (
        t.ref,
        t.surname,
        t.given_names,
        t.title,
        t.type,
        t.infant_of,
        t.date_of_birth,
        documents,
        tuple(sorted(f.number for f in t.frequent_flyers)),
        tuple(sorted(c.value for c in t.contacts)),
    )


def booking_key(b: Booking) -> tuple[object, ...]:
    return (
        b.locator,
        b.cancelled,
        tuple(traveller_key(t) for t in b.travellers),
        tuple(
            (s.flight.designator, s.flight.origin, s.flight.destination, s.flight.departure)
            for s in b.segments
            if s.flight is not None
        ),
    )


def read_pushes(data: bytes) -> list[PnrPush]:
    outcomes = read_messages(data, source="roundtrip")
    assert not [o for o in outcomes if isinstance(o, ParseError)]
    return [o for o in outcomes if isinstance(o, PnrPush)]


@pytest.mark.parametrize(
    ("chars", "una", "wrap", "line_breaks"),
    [
        (None, True, None, True),
        (None, False, None, False),
        (ServiceChars(release="\\", repetition="*"), True, 69, True),
        (ServiceChars("!", "@", "#", "$", " ", "^"), True, None, True),
    ],
    ids=["default", "one-line-no-una", "backslash-wrapped", "odd-separators"],
)
def test_pnrgov_edifact_round_trip(
    push: PnrPush, chars: ServiceChars | None, una: bool, wrap: int | None, line_breaks: bool
) -> None:
    (back,) = read_pushes(write_pnrgov(push, chars=chars, una=una, wrap=wrap, line_breaks=line_breaks))
    assert back.function == push.function
    assert back.flight is not None
    assert push.flight is not None
    assert (back.flight.designator, back.flight.departure) == (push.flight.designator, push.flight.departure)
    assert [booking_key(b) for b in back.bookings] == [booking_key(b) for b in push.bookings]
    assert not [w for w in back.warnings if w.code != "una-implausible"]


def test_split_push_reads_as_parts(push: PnrPush) -> None:
    data = b"".join(write_pnrgov(part) for part in split_push(push, 25))
    parts = read_pushes(data)
    assert [p.header.part for p in parts] == [1, 2, 3]
    assert parts[-1].header.final_part is True
    assert {p.header.common_access_ref for p in parts} == {push.header.common_access_ref}
    assert sum(len(p.bookings) for p in parts) == len(push.bookings)


def test_pnrgov_xml_round_trip(push: PnrPush) -> None:
    (back,) = read_pushes(write_pnrgov_xml(push))
    assert [b.locator for b in back.bookings] == [b.locator for b in push.bookings]
    assert [[traveller_key(t)[:8] for t in b.travellers] for b in back.bookings] == [
        [traveller_key(t)[:8] for t in b.travellers] for b in push.bookings
    ]


def test_paxlst_parts_round_trip_without_count_warnings(push: PnrPush) -> None:
    plist = passenger_list_for(push)
    outcomes = read_messages(write_paxlst(plist, max_persons_per_part=40), source="api")
    parts = [o for o in outcomes if isinstance(o, PassengerList)]
    assert len(parts) == len(outcomes) > 1
    assert sum(len(p.persons) for p in parts) == len(plist.persons)
    assert all(p.declared_passengers == len(plist.persons) for p in parts)
    assert not [w for p in parts for w in p.warnings], "a part listing fewer than the flight total is normal"
    persons = [p for part in parts for p in part.persons]
    assert [(p.surname, p.date_of_birth, p.documents[0].number, p.locator) for p in persons] == [
        (p.surname, p.date_of_birth, p.documents[0].number, p.locator) for p in plist.persons
    ]


@pytest.mark.parametrize("version", ["10.1", "11.1", "12.1", "13.1", "14.1", "15.1", "16.1", "17.1", "18.1"])
def test_every_pnrgov_version_reads_with_its_codeshare_form(push: PnrPush, version: str) -> None:
    """Up to 13.1 the operating flight is a second TVL; later versions carry it in TRA."""
    first = push.bookings[0]
    leg = first.segments[0]
    assert leg.flight is not None
    codeshare = dataclasses.replace(leg.flight, operating_carrier="ZZ", operating_number="9001")
    first = dataclasses.replace(
        first, segments=(dataclasses.replace(leg, flight=codeshare), *first.segments[1:])
    )
    push = dataclasses.replace(push, bookings=(first, *push.bookings[1:]))
    versioned = dataclasses.replace(push, header=dataclasses.replace(push.header, version=version))
    data = write_pnrgov(versioned)
    assert f"PNRGOV:{version.replace('.', ':')}:IA".encode() in data
    (back,) = read_pushes(data)
    assert back.header.version == version
    assert [booking_key(b) for b in back.bookings] == [booking_key(b) for b in push.bookings]
    codeshares = [
        (s.flight.operating_carrier, s.flight.operating_number)
        for b in back.bookings
        for s in b.segments
        if s.flight is not None and s.flight.operating_carrier
    ]
    expected = [
        (s.flight.operating_carrier, s.flight.operating_number)
        for b in push.bookings
        for s in b.segments
        if s.flight is not None and s.flight.operating_carrier
    ]
    assert codeshares == expected
    assert ("ZZ", "9001") in codeshares
