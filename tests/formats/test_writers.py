"""The PNRGOV and PAXLST writers: structure, escaping, counts, parts, codeshare forms, wraps.

Everything written is read back with the project's tokenizer (`read_interchanges`) so the tests
check what a receiver sees, not the writer's own idea of it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpiu.formats.edifact import EdifactMessage, EdifactSegment, ServiceChars, read_interchanges
from openpiu.formats.edifact_writer import escape, split_default_syntax, wrap_lines
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import docs_text, split_push, write_pnrgov, write_pnrgov_messages
from openpiu.model import (
    Address,
    ApiPerson,
    Baggage,
    BagTag,
    Booking,
    BookingOffice,
    CheckIn,
    Contact,
    ContactKind,
    Flight,
    FrequentFlyer,
    Gender,
    HistoryEntry,
    MessageFormat,
    MessageHeader,
    Money,
    PartialDate,
    PassengerList,
    Payment,
    PersonRole,
    PnrPush,
    RecordLocator,
    Remark,
    ScheduledTime,
    Seat,
    Segment,
    ServiceItem,
    Tax,
    Ticket,
    TravelDocument,
    Traveller,
    TravellerType,
)

# --- builders --------------------------------------------------------------------------------------


def _flight(operating: bool = False) -> Flight:
    return Flight(
        carrier="QX",
        number="602",
        origin="SIN",
        destination="ICN",
        departure=ScheduledTime.at("SIN", datetime(2025, 5, 27, 14, 30)),
        arrival=ScheduledTime.at("ICN", datetime(2025, 5, 27, 22, 5)),
        operating_carrier="QZ" if operating else None,
        operating_number="972" if operating else None,
    )


def _adult() -> Traveller:
    return Traveller(
        surname="O'NEIL",
        given_names="ISABELLE",
        title="MRS",
        ref="2",
        accompanied_by_infant=True,
        unique_id="001C451486DFF0CC",
        documents=(
            TravelDocument(
                source="DOCS",
                document_type="P",
                number="509229987",
                issuing_state="GBR",
                nationality="GBR",
                date_of_birth=PartialDate(1978, 7, 1),
                gender=Gender.FEMALE,
                expiry=date(2032, 11, 12),
                surname="O'NEIL",
                given_names="ISABELLE RUTH",
            ),
        ),
        contacts=(
            Contact(ContactKind.EMAIL, "isa_bel@example.org", traveller_ref="2"),
            Contact(ContactKind.MOBILE, "447700900123", traveller_ref="2"),
        ),
        addresses=(Address(purpose="R", country="GBR", street="1 HIGH ST", city="LEEDS", postcode="LS1"),),
        frequent_flyers=(FrequentFlyer("QX", "8794285757", tier="GOLD"),),
        remarks=(Remark("VIP+GUEST", kind="63", carrier="QX"),),
        fare_basis=("YOW24",),
        tickets=(
            Ticket(
                number="6182120234533",
                kind="T",
                booklets=1,
                issued_on=date(2025, 3, 19),
                base_fare=Money(Decimal("2888.00"), "GBP"),
                total_fare=Money(Decimal("2957.94"), "GBP"),
                taxes=(Tax(Money(Decimal("3.10")), "AY"), Tax(Money(Decimal("8.50")), "YQ")),
                non_refundable=True,
                validating_carrier="QX",
                issue_location="LON",
                payments=(
                    Payment(
                        "CC",
                        vendor="VI",
                        amount=Money(Decimal("2957.94")),
                        card_last4="1186",
                        card_expiry="0229",
                        payer_name="TIMOTHY SIMS",
                        payer_address="2234 MAIN STREET",
                        payer_phone="7705632891",
                    ),
                ),
            ),
        ),
    )


def _infant() -> Traveller:
    return Traveller(surname="O'NEIL", given_names="SOPHY", type=TravellerType.INFANT, ref="3", infant_of="2")


def _booking(flight: Flight) -> Booking:
    created = datetime(2025, 3, 19, 13, 54, tzinfo=UTC)
    return Booking(
        locator="3PGZOV",
        locators=(RecordLocator("3PGZOV", system="1A", created_at=created),),
        last_changed_at=datetime(2025, 5, 27, 5, 59, tzinfo=UTC),
        ticketed_at=datetime(2025, 3, 19, 14, 0, tzinfo=UTC),
        office=BookingOffice(
            system="1A",
            location="MUC",
            iata_number="32393340",
            office_id="SINQX08AA",
            agent_type="A",
            country="SG",
            currency="SGD",
            agent_sign="ELPD",
        ),
        travellers=(_adult(), _infant()),
        segments=(
            Segment(
                flight=flight,
                booking_class="D",
                status="HK",
                party_size=1,
                equipment="333",
                locators=(RecordLocator("3PGZOV", system="1A", created_at=created),),
                services=(
                    ServiceItem(
                        "SSR",
                        "INFT",
                        "HK",
                        1,
                        "QX",
                        "SIN",
                        "ICN",
                        text="O'NEIL/SOPHY 20SEP24",
                        traveller_ref="2",
                    ),
                ),
                seats=(Seat("11D", traveller_ref="2"),),
                check_ins=(
                    CheckIn(
                        traveller_ref="2",
                        surname="O'NEIL",
                        given_names="ISABELLE",
                        sequence="SIN-168",
                        seat="011D",
                        cabin="J",
                        agent="QX",
                        baggage=Baggage(
                            count=2,
                            weight=33,
                            unit="kg",
                            pool="HP",
                            pool_ref="SIN-168",
                            tags=(BagTag("0123456789", carrier="618", consecutive=2, destination="ICN"),),
                        ),
                    ),
                ),
            ),
        ),
        services=(ServiceItem("SSR", "AVML", "HK", 2, "QX"),),
        history=(
            HistoryEntry(
                "ABI", at=datetime(2025, 3, 20, 10, 10, tzinfo=UTC), who="LHRRR", action="X", item="SSR+AVML"
            ),
            HistoryEntry("ABI", at=datetime(2025, 3, 20, 10, 10, tzinfo=UTC), who="LHRRR", action="A"),
            HistoryEntry("LTS", text="0/O/NM/O'NEIL/ISABELLE MRS(ADT)"),
        ),
        split_count=1,
        split_locators=(RecordLocator("ABCDEF", system="QX"),),
    )


def _header(**changes: object) -> MessageHeader:
    base = MessageHeader(
        format=MessageFormat.PNRGOV,
        version="13.1",
        message_ref="1",
        common_access_ref="270525/0649/QX/602",
        sender="1A",
        recipient="PIUXX",
        prepared_at=datetime(2025, 5, 27, 6, 49, tzinfo=UTC),
        control_ref="0003",
        syntax="IATA:1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _push(*, operating: bool = False, **header: object) -> PnrPush:
    flight = _flight(operating)
    return PnrPush(
        header=_header(**header),
        function="22",
        flight=replace(flight, operating_carrier=None, operating_number=None),
        bookings=(_booking(flight),),
        sender_system=BookingOffice(system="1A", location="MUC"),
        declared_bookings=1,
    )


def _read(data: bytes) -> list[EdifactMessage]:
    interchanges = read_interchanges(data)
    assert len(interchanges) == 1
    assert interchanges[0].warnings == []
    messages = interchanges[0].messages
    for message in messages:
        assert message.warnings == []
        assert message.unt is not None
        assert int(message.unt.get(0)) == len(message.segments) + 2
    return messages


def _tags(message: EdifactMessage) -> list[str]:
    return [s.tag for s in message.segments]


def _first(message: EdifactMessage, tag: str, after: int = 0) -> EdifactSegment:
    return next(s for s in message.segments[after:] if s.tag == tag)


# --- PNRGOV structure ------------------------------------------------------------------------------


def test_pnrgov_segment_order_follows_the_group_skeleton() -> None:
    (message,) = _read(write_pnrgov(_push()))
    assert _tags(message) == [
        "MSG", "ORG", "TVL", "EQN",
        "SRC", "RCI", "SSR", "DAT", "ORG",
        "TIF", "FTI", "IFT", "REF", "FAR", "SSR", "SSR", "SSR", "SSR",
        "TKT", "MON", "PTK", "TXD", "DAT", "FOP", "IFT",
        "TIF",
        "TVL", "RPI", "APD", "SSR", "SSR", "RCI",
        "DAT", "ORG", "TRI", "TIF", "SSD", "TBD",
        "EQN", "RCI",
        "ABI", "DAT", "SAC", "SSR", "SAC",
        "LTS",
    ]  # fmt: skip


def test_pnrgov_envelope_and_header_facts() -> None:
    data = write_pnrgov(_push(), group=True)
    text = data.decode()
    assert text.startswith("UNA:+.? '\nUNB+IATA:1+1A+PIUXX+250527:0649+0003'\n")
    assert "UNG+PNRGOV+1A+PIUXX+250527:0649+0003+IA+13:1'" in text
    assert "UNH+1+PNRGOV:13:1:IA+270525/0649/QX/602'" in text
    assert text.endswith("UNE+1+0003'\nUNZ+1+0003'\n")
    (message,) = _read(data)
    assert message.version == "13.1"
    assert message.message_ref == "1"
    assert message.common_access_ref == "270525/0649/QX/602"
    assert message.sender == "1A"
    assert message.prepared_at == datetime(2025, 5, 27, 6, 49, tzinfo=UTC)


@pytest.mark.parametrize(
    ("part", "final", "s010"),
    [(1, False, ("01", "C")), (2, False, ("02",)), (3, True, ("03", "F")), (1, True, ("01", "F"))],
)
def test_pnrgov_s010_status_of_transfer(part: int, final: bool, s010: tuple[str, ...]) -> None:
    (message,) = _read(write_pnrgov(_push(part=part, final_part=final)))
    assert message.unh.el(3) == s010
    assert message.part == part
    # A bare middle number (`02`) carries no flag; the reader reports it as unknown.
    assert message.final_part in ((final,) if final or part == 1 else (False, None))


def test_pnrgov_without_parts_writes_no_s010() -> None:
    (message,) = _read(write_pnrgov(_push()))
    assert message.unh.el(3) == ()


@pytest.mark.parametrize(("function", "expected"), [("22", "MSG+:22"), ("141", "MSG+:141")])
def test_pnrgov_message_function(function: str, expected: str) -> None:
    push = replace(_push(), function=function)
    (message,) = _read(write_pnrgov(push))
    assert message.segments[0].raw == expected


def test_cancelled_booking_in_an_update_push_has_an_empty_org() -> None:
    push = _push()
    push = replace(push, function="141", bookings=(replace(push.bookings[0], cancelled=True),))
    (message,) = _read(write_pnrgov(push))
    src = _tags(message).index("SRC")
    org = _first(message, "ORG", src)
    assert org.raw == "ORG"
    assert org.elements == ()


def test_traveller_tif_given_title_type_ref_and_infant_flag() -> None:
    (message,) = _read(write_pnrgov(_push()))
    tifs = [s for s in message.segments if s.tag == "TIF"]
    assert tifs[0].elements == (("O'NEIL",), ("ISABELLE MRS", "A", "2", "1"))
    assert tifs[0].raw == "TIF+O?'NEIL+ISABELLE MRS:A:2:1"
    assert tifs[1].elements == (("O'NEIL",), ("SOPHY", "IN", "3"))
    # Gr.7 check-in TIF: surname, given names, traveller reference.
    assert tifs[2].elements == (("O'NEIL",), ("ISABELLE", "", "2"))


def test_traveller_ssr_free_text_layouts() -> None:
    (message,) = _read(write_pnrgov(_push()))
    start = _tags(message).index("TIF")
    ssrs = {s.get(0): s for s in message.segments[start:] if s.tag == "SSR"}
    assert ssrs["DOCS"].elements == (
        (
            "DOCS",
            "HK",
            "1",
            "QX",
            "",
            "",
            "",
            "",
            "/P/GBR/509229987/GBR/01JUL78/F/12NOV32/O'NEIL/ISABELLE RUTH",
        ),
    )
    assert ssrs["DOCA"].get(0, 8) == "/R/GBR/1 HIGH ST/LEEDS//LS1"
    assert ssrs["CTCE"].get(0, 8) == "isa..bel//example.org"
    assert ssrs["CTCM"].get(0, 8) == "447700900123"
    inft = ssrs["INFT"]
    assert inft.elements[1] == ("", "", "2")


def test_docs_text_forms() -> None:
    doc = TravelDocument(
        source="DOCS",
        document_type="P",
        issuing_state="GBR",
        number="123",
        nationality="GBR",
        date_of_birth=PartialDate(1964, 7, 12),
        gender=Gender.MALE,
        expiry=date(2019, 8, 23),
        surname="SMITH",
        given_names="JOHN",
    )
    assert docs_text(doc) == "/P/GBR/123/GBR/12JUL64/M/23AUG19/SMITH/JOHN"
    secure_flight = TravelDocument(
        source="DOCS",
        date_of_birth=PartialDate(1953, 2, 5),
        gender=Gender.FEMALE,
        surname="DORON",
        given_names="NINA",
    )
    assert docs_text(secure_flight) == "/////05FEB53/F//DORON/NINA"
    infant = replace(doc, infant=True, gender=Gender.FEMALE, date_of_birth=PartialDate(2024, 9))
    assert docs_text(infant) == "/P/GBR/123/GBR/SEP24/FI/23AUG19/SMITH/JOHN"
    visa = TravelDocument(
        source="DOCO",
        place_of_birth="LONDON",
        document_type="V",
        number="X1",
        place_of_issue="ROME",
        issued_on=date(2020, 1, 2),
        applicable_country="USA",
    )
    assert docs_text(visa) == "/LONDON/V/X1/ROME/02JAN20/USA"
    assert docs_text(replace(doc, raw="/P/AS/SENT")) == "/P/AS/SENT"


def test_ticket_and_payment_groups() -> None:
    (message,) = _read(write_pnrgov(_push()))
    raw = {s.tag: s.raw for s in message.segments if s.tag in ("TKT", "MON", "PTK", "TXD", "FOP")}
    assert raw == {
        "TKT": "TKT+6182120234533:T:1",
        "MON": "MON+B:2888.00:GBP+T:2957.94:GBP",
        "PTK": "PTK+NR+++QX++LON",
        "TXD": "TXD++3.10:::AY+8.50:::YQ",
        "FOP": "FOP+CC::2957.94:VI:XXXXXXXXXXXX1186:0229",
    }
    fop = _tags(message).index("FOP")
    payer = message.segments[fop + 1]
    assert payer.elements == (("4", "43"), ("TIMOTHY SIMS",), ("2234 MAIN STREET",), ("7705632891",))


def test_booking_payments_not_on_a_ticket_go_under_a_ticketless_tkt() -> None:
    push = _push()
    extra = Payment("CA", amount=Money(Decimal("10.00")), traveller_ref="3")
    held = push.bookings[0].travellers[0].tickets[0].payments[0]
    booking = replace(push.bookings[0], payments=(held, extra))
    (message,) = _read(write_pnrgov(replace(push, bookings=(booking,))))
    tags = _tags(message)
    assert tags.count("FOP") == 2
    second_tif = [i for i, t in enumerate(tags) if t == "TIF"][1]
    assert tags[second_tif : second_tif + 3] == ["TIF", "TKT", "FOP"]
    assert message.segments[second_tif + 1].raw == "TKT"


def test_segment_times_are_local_and_seat_ssr_names_the_traveller() -> None:
    (message,) = _read(write_pnrgov(_push()))
    tvl = [s for s in message.segments if s.tag == "TVL"]
    assert tvl[0].raw == "TVL+270525:1430:270525:2205+SIN+ICN+QX+602"
    assert tvl[1].raw == "TVL+270525:1430:270525:2205+SIN+ICN+QX+602:D"
    seat = next(s for s in message.segments if s.tag == "SSR" and s.get(0) == "SEAT")
    assert seat.raw == "SSR+SEAT:HK:1:QX:::SIN:ICN+11D::2"
    assert _first(message, "SSD").raw == "SSD+011D++++J"
    assert _first(message, "TBD").raw == "TBD++2:33:700++HP:SIN-168+618:0123456789:2:ICN"
    assert _first(message, "TRI").raw == "TRI++SIN-168:::2"


@pytest.mark.parametrize(
    ("version", "operating"),
    [
        ("11.1", "TVL+++++972:D"),
        ("13.1", "TVL+++++972:D"),
        ("14.1", "TRA+QZ+972:D"),
        ("15.1", "TRA+QZ+972:D"),
    ],
)
def test_codeshare_operating_flight_form_depends_on_version(version: str, operating: str) -> None:
    (message,) = _read(write_pnrgov(_push(operating=True, version=version)))
    major, minor = version.split(".")
    assert message.unh.el(1) == ("PNRGOV", major, minor, "IA")
    index = next(i for i, s in enumerate(message.segments) if s.tag == "TVL" and s.get(4, 1) == "D")
    assert message.segments[index].get(2) == "ICN"
    assert message.segments[index].el(3) == ("QX", "QZ")
    assert message.segments[index + 1].raw == operating


def test_history_groups_entries_by_author_and_rewrites_items() -> None:
    (message,) = _read(write_pnrgov(_push()))
    abi = _tags(message).index("ABI")
    raws = [s.raw for s in message.segments[abi:]]
    assert raws == [
        "ABI+1+LHRRR",
        "DAT+ZT:200325:1010",
        "SAC+++X",
        "SSR+AVML",
        "SAC+++A",
        "LTS+0/O/NM/O?'NEIL/ISABELLE MRS(ADT)",
    ]


def test_split_push_numbers_parts_and_keeps_the_total() -> None:
    push = _push()
    booking = push.bookings[0]
    many = replace(
        push, bookings=tuple(replace(booking, locator=f"L{i}") for i in range(5)), declared_bookings=None
    )
    parts = split_push(many, 2)
    assert [(p.header.part, p.header.final_part, len(p.bookings)) for p in parts] == [
        (1, False, 2),
        (2, False, 2),
        (3, True, 1),
    ]
    messages = _read(write_pnrgov_messages(parts))
    assert [m.unh.el(3) for m in messages] == [("01", "C"), ("02",), ("03", "F")]
    assert {m.common_access_ref for m in messages} == {"270525/0649/QX/602"}
    assert all(_first(m, "EQN").get(0) == "5" for m in messages)
    assert [_tags(m).count("SRC") for m in messages] == [2, 2, 1]


# --- escaping and layout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("O'NEIL", "O?'NEIL"),
        ("A+B", "A?+B"),
        ("A:B", "A?:B"),
        ("WHY?", "WHY??"),
        ("?'+:", "???'?+?:"),
        ("PLAIN 1.5", "PLAIN 1.5"),
    ],
)
def test_escape_releases_every_service_character(value: str, escaped: str) -> None:
    assert escape(value) == escaped


def test_escape_follows_the_declared_service_characters() -> None:
    chars = ServiceChars(component="!", element="@", decimal="#", release="$", repetition="*", terminator="^")
    assert escape("A!B@C#D$E*F^G:+?'", chars) == "A$!B$@C#D$$E$*F$^G:+?'"


def test_release_character_at_the_end_of_a_segment_leaves_the_terminator_real() -> None:
    push = _push()
    booking = replace(push.bookings[0], remarks=(Remark("WHY?"), Remark("'")))
    data = write_pnrgov(replace(push, bookings=(booking,)))
    assert b"IFT+4+WHY??'\n" in data
    assert b"IFT+4+?''\n" in data
    (message,) = _read(data)
    texts = [s.get(1) for s in message.segments if s.tag == "IFT" and s.get(0) == "4" and not s.get(0, 1)]
    assert texts == ["WHY?", "'"]


def test_other_service_characters_round_trip() -> None:
    chars = ServiceChars(
        component="!", element="*", decimal=",", release="\\", repetition="~", terminator="$"
    )
    data = write_pnrgov(_push(), chars=chars)
    assert data.startswith(b"UNA!*,\\~$\nUNB*IATA!1*1A*PIUXX")
    assert b"MON*B!2888,00!GBP*T!2957,94!GBP$" in data
    (message,) = _read(data)
    (reference,) = _read(write_pnrgov(_push()))

    def decimal_point(segment: EdifactSegment) -> tuple[tuple[str, ...], ...]:
        if segment.tag not in ("MON", "TXD", "FOP"):
            return segment.elements
        return tuple(tuple(c.replace(",", ".") for c in e) for e in segment.elements)

    assert [(s.tag, decimal_point(s)) for s in message.segments] == [
        (s.tag, s.elements) for s in reference.segments
    ]


def test_line_breaks_off_writes_one_line() -> None:
    data = write_pnrgov(_push(), line_breaks=False, una=False)
    assert b"\n" not in data
    assert data.startswith(b"UNB+")
    _read(data)


def test_crlf_line_breaks() -> None:
    data = write_pnrgov(_push(), newline="\r\n")
    assert data.count(b"\r\n") == data.count(b"\n")
    _read(data)


@pytest.mark.parametrize("line_breaks", [True, False])
def test_wrap_at_69_columns_reads_back_the_same(line_breaks: bool) -> None:
    push = _push()
    booking = replace(push.bookings[0], remarks=(Remark("X" * 67 + "?" + "Y" * 150 + "'" * 3),))
    push = replace(push, bookings=(booking,))
    plain = write_pnrgov(push, line_breaks=line_breaks)
    wrapped = write_pnrgov(push, line_breaks=line_breaks, wrap=69)
    lines = wrapped.decode().split("\n")
    assert max(len(line) for line in lines) == 69
    assert all(not line.endswith("?") or line.endswith("??") for line in lines)
    assert wrapped.replace(b"\n", b"") == plain.replace(b"\n", b"")
    (a,) = _read(plain)
    (b,) = _read(wrapped)
    assert [(s.tag, s.elements) for s in a.segments] == [(s.tag, s.elements) for s in b.segments]


def test_wrap_never_splits_a_release_pair() -> None:
    text = "A" * 68 + "?'" + "B"
    assert wrap_lines(text, 69) == "A" * 68 + "\n?'B"
    assert wrap_lines("A" * 67 + "??'", 69) == "A" * 67 + "??\n'"


def test_split_default_syntax() -> None:
    assert split_default_syntax("SSR+AVML:HK:2:DL+15A::1") == (
        "SSR",
        [["AVML", "HK", "2", "DL"], ["15A", "", "1"]],
    )
    assert split_default_syntax("IFT+O?'NEIL?+") == ("IFT", [["O'NEIL+"]])
    assert split_default_syntax("SAC") == ("SAC", [])
    assert split_default_syntax("not a segment") is None


# Data the EDIFACT layer cannot carry is excluded: line breaks (readers join wrapped lines), the
# typographic quote (readers accept it as a terminator) and surrogates (not encodable).
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n’"),
    min_size=1,
    max_size=40,
)


@given(value=_TEXT, chars_index=st.integers(0, 2))
def test_any_string_written_reads_back_equal(value: str, chars_index: int) -> None:
    chars = [
        ServiceChars(),
        ServiceChars(repetition="*"),
        ServiceChars(component="!", element="@", decimal="#", release="$", repetition="*", terminator="^"),
    ][chars_index]
    push = _push()
    traveller = replace(push.bookings[0].travellers[1], surname=value, given_names=value)
    booking = replace(push.bookings[0], travellers=(traveller,), remarks=(Remark(value),))
    data = write_pnrgov(replace(push, bookings=(booking,)), chars=chars, wrap=69)
    (message,) = _read(data)
    tif = _first(message, "TIF")
    assert tif.elements[0] == (value,)
    assert tif.elements[1][0] == value
    ift = _first(message, "IFT")
    assert ift.elements[1] == (value,)


# --- PAXLST ----------------------------------------------------------------------------------------


def _person(i: int, role: PersonRole = PersonRole.PASSENGER) -> ApiPerson:
    return ApiPerson(
        role=role,
        qualifier="",
        surname="O'LEARY" if i == 0 else f"DOE{chr(65 + i % 26)}",
        given_names="JOHN DONALD",
        gender=Gender.MALE,
        date_of_birth=PartialDate(1972, 9, 7),
        nationality="GBR",
        address=Address(
            street="235 WESTERN ROAD", city="SLEAFORD", state="LINCS", postcode="PE22", country="GBR"
        ),
        residence_country="GBR",
        place_of_birth="AMBER HILL GBR",
        embarkation="SYD",
        debarkation="HNL",
        clearance="HNL",
        documents=(
            TravelDocument(
                source="PAXLST",
                document_type="P",
                number="MB140241",
                expiry=date(2031, 12, 31),
                issued_on=date(2021, 1, 1),
                issuing_state="GBR",
            ),
        ),
        locator="TYR123",
        unique_id=f"ABC{i}",
        seat="12A",
        baggage=Baggage(count=2, weight=31, unit="kg", tags=(BagTag("ZZ012345", consecutive=3),)),
        crew_function="CR1" if role is PersonRole.CREW else None,
        verified=False,
        contacts=(Contact(ContactKind.PHONE, "44 188 84 14151"),),
    )


def _plist(persons: int = 2, **header: object) -> PassengerList:
    leg = Flight(
        carrier="ZZ",
        number="123",
        origin="SYD",
        destination="HNL",
        departure=ScheduledTime.at("SYD", datetime(2013, 6, 21, 9, 0)),
        arrival=ScheduledTime.at("HNL", datetime(2013, 6, 21, 22, 0)),
    )
    base = MessageHeader(
        format=MessageFormat.PAXLST,
        version="D:05B",
        message_ref="PAX001",
        sender="ZZAIRLINE",
        recipient="CUSTOMS",
        prepared_at=datetime(2013, 6, 20, 9, 0, tzinfo=UTC),
        control_ref="000000001",
        syntax="UNOA:4",
    )
    return PassengerList(
        header=replace(base, **header),  # type: ignore[arg-type]
        document_code="745",
        reference="1234567890",
        reporting_party="DAVIDSON ROBERT",
        reporting_contacts=(
            Contact(ContactKind.PHONE, "202 628 9292"),
            Contact(ContactKind.FAX, "202 628 4998"),
            Contact(ContactKind.EMAIL, "davidsonr@iata.org"),
        ),
        legs=(leg,),
        persons=tuple(_person(i) for i in range(persons)),
    )


def test_paxlst_structure() -> None:
    data = write_paxlst(_plist())
    text = data.decode()
    assert text.startswith(
        "UNA:+.? '\nUNB+UNOA:4+ZZAIRLINE+CUSTOMS+130620:0900+000000001'\n"
        "UNG+PAXLST+ZZAIRLINE+CUSTOMS+130620:0900+000000001+UN+D:05B'\n"
        "UNH+PAX001+PAXLST:D:05B:UN:IATA'\nBGM+745'\nRFF+TN:1234567890'\nNAD+MS+++DAVIDSON ROBERT'\n"
        "COM+202 628 9292:TE+202 628 4998:FX+davidsonr@iata.org:EM'\nTDT+20+ZZ123+++ZZ'\n"
        "LOC+125+SYD'\nDTM+189:1306210900:201'\nLOC+87+HNL'\nDTM+232:1306212200:201'\n"
    )
    (message,) = _read(data)
    tags = _tags(message)
    first_nad = tags.index("TDT") + 5
    assert tags[first_nad : first_nad + 21] == [
        "NAD", "ATT", "DTM", "MEA", "MEA", "GEI", "FTX",
        "LOC", "LOC", "LOC", "LOC", "LOC", "COM", "NAT", "RFF", "RFF", "RFF", "DOC", "DTM", "DTM", "LOC",
    ]  # fmt: skip
    nad = message.segments[first_nad]
    assert nad.raw == "NAD+FL+++O?'LEARY:JOHN:DONALD+235 WESTERN ROAD+SLEAFORD+LINCS+PE22+GBR"
    raws = [s.raw for s in message.segments[first_nad:]]
    for expected in (
        "ATT+2++M",
        "DTM+329:720907",
        "MEA+CT++:2",
        "MEA+WT++KGM:31",
        "GEI+4+174",
        "FTX+BAG+++ZZ012345:3",
        "LOC+180+:::AMBER HILL GBR",
        "RFF+AVF:TYR123",
        "RFF+ABO:ABC0",
        "RFF+SEA:12A",
        "DOC+P+MB140241",
        "DTM+36:311231",
        "DTM+182:210101",
        "LOC+91+GBR",
    ):
        assert expected in raws
    assert tags[-1] == "CNT"
    assert message.segments[-1].raw == "CNT+42:2"


def test_paxlst_roles_and_crew_count() -> None:
    plist = replace(
        _plist(0),
        document_code="250",
        persons=(_person(1, PersonRole.CREW), _person(2, PersonRole.TRANSIT_CREW)),
    )
    (message,) = _read(write_paxlst(plist))
    nads = [s.get(0) for s in message.segments if s.tag == "NAD"]
    assert nads == ["MS", "FM", "DDT"]
    assert [s.raw for s in message.segments if s.tag == "CNT"] == ["CNT+41:2"]
    assert "EMP+1+CR1:110:111" in [s.raw for s in message.segments]


def test_paxlst_progressive_legs_use_loc_92() -> None:
    plist = _plist(1)
    second = replace(plist.legs[0], number="124", origin="HNL", destination="SFO")
    (message,) = _read(write_paxlst(replace(plist, legs=(plist.legs[0], second))))
    assert [s.raw for s in message.segments if s.tag in ("TDT", "LOC")][:6] == [
        "TDT+20+ZZ123+++ZZ",
        "LOC+92+SYD",
        "LOC+92+HNL",
        "TDT+20+ZZ124+++ZZ",
        "LOC+92+HNL",
        "LOC+92+SFO",
    ]


@pytest.mark.parametrize("separate", [False, True])
def test_paxlst_parts(separate: bool) -> None:
    plist = replace(_plist(5), declared_passengers=None)
    data = write_paxlst(plist, max_persons_per_part=2, separate_interchanges=separate)
    interchanges = read_interchanges(data)
    assert len(interchanges) == (3 if separate else 1)
    messages = [m for ic in interchanges for m in ic.messages]
    assert all(not ic.warnings for ic in interchanges)
    assert all(not m.warnings for m in messages)
    assert [m.unh.el(3) for m in messages] == [("01", "C"), ("02",), ("03", "F")]
    assert {m.common_access_ref for m in messages} == {"PAX001"}
    assert [sum(1 for s in m.segments if s.tag == "NAD" and s.get(0) == "FL") for m in messages] == [2, 2, 1]
    assert all(m.segments[-1].raw == "CNT+42:5" for m in messages)
    assert all(_first(m, "TDT").raw == "TDT+20+ZZ123+++ZZ" for m in messages)


def test_paxlst_partial_date_of_birth_and_unknown_time() -> None:
    plist = _plist(1)
    person = replace(plist.persons[0], date_of_birth=PartialDate(1972))
    leg = replace(plist.legs[0], arrival=ScheduledTime.at("HNL", datetime(2013, 6, 21), time_known=False))
    (message,) = _read(write_paxlst(replace(plist, persons=(person,), legs=(leg,))))
    raws = [s.raw for s in message.segments]
    assert "DTM+329:720000" in raws
    assert "DTM+232:130621:101" in raws


# --- the benchmark corpus generator ---------------------------------------------------------------


def test_corpus_generator_writes_clean_interchanges() -> None:
    from openpiu.synth import corpus

    chunks = list(corpus.generate(600_000, seed=7))
    assert sum(len(c) for c in chunks) >= 600_000
    assert chunks == list(corpus.generate(600_000, seed=7))  # seeded: the same corpus every time
    for chunk in chunks:
        (message,) = _read(chunk)
        assert message.message_type == "PNRGOV"
        assert _tags(message).count("SRC") == int(_first(message, "EQN").get(0))
