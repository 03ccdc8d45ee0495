"""PNRGOV XML reader and writer: hand-written documents in the IG shapes, hostile inputs, round trips.

All names, numbers and addresses are fictional.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from openpiu.formats.errors import ParseError
from openpiu.formats.pnrgov_xml import NAMESPACE, parse_pnrgov_xml, write_pnrgov_xml
from openpiu.formats.text import split_title
from openpiu.model import (
    Booking,
    CheckIn,
    Contact,
    ContactKind,
    Flight,
    FrequentFlyer,
    Gender,
    MessageFormat,
    MessageHeader,
    Money,
    PartialDate,
    Payment,
    PnrPush,
    RecordLocator,
    ScheduledTime,
    Seat,
    Segment,
    Tax,
    Ticket,
    TravelDocument,
    Traveller,
    TravellerType,
)

# ---------------------------------------------------------------------------------------------------------
# A document in the shape of the IG skeleton (message-formats.md section 3)

BODY = """
 <Originator AirlineCode="ZZ" SystemCode="1Z" AirlineContactInfo="OPS DESK"/>
 <FlightLeg CarrierCode="ZZ" FlightNumber="1234" DepartureDateTime="2024-01-01T10:15:00"
            ArrivalDateTime="2024-01-01T14:20:00" DateChangeNbr="0">
  <DepartureAirport LocationCode="LHR"/><ArrivalAirport LocationCode="WAW"/>
 </FlightLeg>
 <PNRs NumberOfPnrs="1">
  <PNR NumberOfPassengers="3" PNR_TransDate="2023-12-20T12:00:00" PNR_CreationDate="2023-12-01T15:09:00">
   <BookingRefID ID="ABC123"><CompanyName Code="1Z"/></BookingRefID>
   <BookingRefID Type="O" ID="XYZ789"><CompanyName Code="ZZ"/></BookingRefID>
   <POS><Source AgentSine="AB12" PseudoCityCode="LON1Z" ISOCountry="GB" ISOCurrency="GBP" AirportCode="LHR">
     <RequestorID Type="5" ID="91234567"/></Source></POS>
   <ContactInfo PhoneNumber="441234567890" PhoneType="5" EmailAddress="booker@example.org">
     <AddressLine>1 Fictional Road</AddressLine><CityName>TESTTOWN</CityName><PostalCode>AB1 2CD</PostalCode>
     <CountryName Code="GB"/>
   </ContactInfo>
   <Passenger RPH="1" AccompaniedByInfantInd="true">
     <GivenName>ANNA MRS</GivenName><Surname>EXAMPLEWSKA</Surname>
     <CustLoyalty ProgramID="ZZ" MembershipID="123456789" LoyalLevel="GOLD"/>
     <FareInfo FareBasis="YLOW"/>
     <SSR SSRCode="CTCM" Status="HK"><Airline Code="ZZ"/><Text>/48601000111</Text></SSR>
     <TicketDocument TicketDocumentNbr="9991234567890" Type="T" DateOfIssue="2023-12-02" TicketLocation="LON">
       <TotalFare Amount="123.45" CurrencyCode="GBP"/>
       <PricingInfo NonRefundableInd="true"/>
       <Taxes><Tax Amount="10.00" CurrencyCode="GBP" TaxType="GB"/></Taxes>
       <PaymentInfo PaymentType="CC" VendorCode="VI" AccountNbr="4111111111111111" ExpiryDate="1227"
                    PaymentAmount="123.45" CardHolderName="A EXAMPLEWSKA"/>
     </TicketDocument>
     <DOC_SSR SSRCode="DOCS" ServiceQuantity="1" Status="HK"><FlightInfo Code="ZZ"/>
       <DOCS Gender="F" Surname="EXAMPLEWSKA" FirstGivenName="ANNA"/></DOC_SSR>
     <DOC_SSR SSRCode="DOCA" Status="HK"><DOCA AddressType="R" Address="1 FICTIONAL ROAD" CityName="TESTTOWN"
       PostalCode="AB12CD" Country="GBR"/></DOC_SSR>
   </Passenger>
   <Passenger RPH="1I" PassengerTypeCode="INF">
     <GivenName>OLA</GivenName><Surname>EXAMPLEWSKA</Surname></Passenger>
   <Passenger RPH="2">
     <GivenName>JAN</GivenName><Surname>PRZYKLADOWY</Surname><NameTitle>MR</NameTitle></Passenger>
   <Flight DepartureDateTime="2024-01-01T10:15:00" ArrivalDateTime="2024-01-01T14:20:00" ResBookDesigCode="Y"
           NumberInParty="2" Status="HK" FlightNumber="1234">
     <DepartureAirport LocationCode="LHR"/><ArrivalAirport LocationCode="WAW"/>
     <OperatingAirline Code="YY" FlightNumber="88"/><MarketingAirline Code="ZZ"/>
     <Equipment AirEquipType="320"/>
     <SSR SSRCode="DOCS" ServiceQuantity="1" Status="HK" RPH="1"><Airline Code="ZZ"/>
       <Text>/P/POL/AB1234567/POL/30DEC82/F/30AUG30/EXAMPLEWSKA/ANNA</Text></SSR>
     <SSR SSRCode="DOCS" ServiceQuantity="1" Status="HK" RPH="1"><Airline Code="ZZ"/>
       <Text>/P/POL/ZZ7654321/POL/01JAN23/FI/01JAN28/EXAMPLEWSKA/OLA</Text></SSR>
     <SSR SSRCode="CTCE" RPH="1"><Text>ANNA..X//EXAMPLE.ORG</Text></SSR>
     <SSR SSRCode="SEAT" Status="HK" RPH="2"><Text>7C</Text></SSR>
     <BookingRefID ID="ABC123"><CompanyName Code="ZZ"/></BookingRefID>
     <CheckInInfo Time="2024-01-01T07:16:00">
       <BoardingNumber Number="LHR-032" RPH="9">
         <Passenger><GivenName>ANNA</GivenName><Surname>EXAMPLEWSKA</Surname></Passenger>
         <SeatNumber CabinClass="Y">006F</SeatNumber>
       </BoardingNumber>
     </CheckInInfo>
   </Flight>
   <Flight DepartureDateTime="2024-01-05" ResBookDesigCode="Y" Status="HK" FlightNumber="1235">
     <DepartureAirport LocationCode="WAW"/><ArrivalAirport LocationCode="LHR"/><MarketingAirline Code="ZZ"/>
   </Flight>
  </PNR>
 </PNRs>
"""


def document(*, namespace: str | None = NAMESPACE, prefix: str = "") -> bytes:
    """The sample in the IATA namespace, in another one (with a prefix), or in none."""
    body = BODY
    if prefix:
        body = body.replace("</", f"</{prefix}:").replace("<", f"<{prefix}:").replace(f"<{prefix}:/", "</")
    tag = f"{prefix}:IATA_PNRGOV_NotifRQ" if prefix else "IATA_PNRGOV_NotifRQ"
    declare = f' xmlns{":" + prefix if prefix else ""}="{namespace}"' if namespace else ""
    stamp = 'Version="13.1" TimeStamp="2024-01-01T06:00:00"'
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag}{declare} {stamp}>'
    return f"{head}{body}</{tag}>".encode()


@pytest.fixture(scope="module")
def push() -> PnrPush:
    return parse_pnrgov_xml(document(), card_key=b"test-key")


def traveller(push: PnrPush, ref: str) -> Traveller:
    return next(t for t in push.bookings[0].travellers if t.ref == ref)


def test_header_flight_and_counts(push: PnrPush) -> None:
    assert push.header.format is MessageFormat.PNRGOV_XML
    assert push.header.version == "13.1"
    assert push.header.prepared_at == datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
    assert push.header.sender == "ZZ"
    assert push.sender_system is not None
    assert push.sender_system.system == "ZZ"
    assert push.declared_bookings == 1
    flight = push.flight
    assert flight is not None
    assert (flight.carrier, flight.number, flight.origin, flight.destination) == (
        "ZZ",
        "1234",
        "LHR",
        "WAW",
    )
    # Local at the airport: 14:20 in Warsaw in winter is 13:20 UTC.
    assert flight.arrival is not None
    assert flight.arrival.zone == "Europe/Warsaw"
    assert flight.arrival.utc == datetime(2024, 1, 1, 13, 20, tzinfo=UTC)
    assert push.warnings == ()


def test_booking_level_facts(push: PnrPush) -> None:
    booking = push.bookings[0]
    assert booking.locator == "ABC123"
    assert [(loc.locator, loc.system, loc.kind) for loc in booking.locators] == [
        ("ABC123", "1Z", None),
        ("XYZ789", "ZZ", "O"),
    ]
    assert booking.created_at == datetime(2023, 12, 1, 15, 9, tzinfo=UTC)
    assert booking.last_changed_at == datetime(2023, 12, 20, 12, 0, tzinfo=UTC)
    assert booking.office is not None
    assert (booking.office.office_id, booking.office.country, booking.office.agent_sign) == (
        "LON1Z",
        "GB",
        "AB12",
    )
    assert booking.office.iata_number == "91234567"
    assert {(c.kind, c.value) for c in booking.contacts} == {
        (ContactKind.MOBILE, "441234567890"),
        (ContactKind.EMAIL, "booker@example.org"),
    }
    assert booking.addresses[0].city == "TESTTOWN"
    assert booking.addresses[0].country == "GB"


def test_only_pnr_level_passengers_are_travellers(push: PnrPush) -> None:
    booking = push.bookings[0]
    assert [t.ref for t in booking.travellers] == ["1", "1I", "2"]
    # The checked-in Passenger under Flight/CheckInInfo is linked by name, not added as a traveller.
    check_in = booking.segments[0].check_ins[0]
    assert check_in.traveller_ref == "1"
    assert (check_in.sequence, check_in.seat, check_in.cabin) == ("LHR-032", "006F", "Y")
    assert check_in.checked_in_at == datetime(2024, 1, 1, 7, 16, tzinfo=UTC)


def test_names_title_and_types(push: PnrPush) -> None:
    anna = traveller(push, "1")
    assert (anna.surname, anna.given_names, anna.title) == ("EXAMPLEWSKA", "ANNA", "MRS")
    assert anna.accompanied_by_infant
    infant = traveller(push, "1I")
    assert infant.type is TravellerType.INFANT
    assert infant.infant_of == "1"
    jan = traveller(push, "2")
    assert (jan.given_names, jan.title, jan.type) == ("JAN", "MR", TravellerType.ADULT)


def test_passenger_without_documents_is_kept(push: PnrPush) -> None:
    jan = traveller(push, "2")
    assert jan.documents == ()
    assert jan.surname == "PRZYKLADOWY"


def test_structured_and_raw_docs_are_one_document(push: PnrPush) -> None:
    anna = traveller(push, "1")
    assert len(anna.documents) == 1
    doc = anna.documents[0]
    assert doc.source == "XML"  # the structured form wins ...
    assert doc.number == "AB1234567"  # ... the raw text fills what it lacks ...
    assert doc.raw == "/P/POL/AB1234567/POL/30DEC82/F/30AUG30/EXAMPLEWSKA/ANNA"  # ... and is kept
    assert anna.date_of_birth == PartialDate(1982, 12, 30)
    assert anna.gender is Gender.FEMALE


def test_infant_docs_under_the_adult_move_to_the_infant(push: PnrPush) -> None:
    infant = traveller(push, "1I")
    assert [d.number for d in infant.documents] == ["ZZ7654321"]
    assert infant.documents[0].infant
    assert infant.documents[0].traveller_ref == "1I"
    assert infant.date_of_birth == PartialDate(2023, 1, 1)


def test_contacts_addresses_and_loyalty(push: PnrPush) -> None:
    anna = traveller(push, "1")
    assert {(c.kind, c.value) for c in anna.contacts} == {
        (ContactKind.MOBILE, "48601000111"),
        (ContactKind.EMAIL, "anna_x@example.org"),
    }
    assert anna.addresses[0].purpose == "residence"
    assert anna.addresses[0].country == "GBR"
    assert anna.frequent_flyers == (FrequentFlyer("ZZ", "123456789", tier="GOLD", traveller_ref="1"),)
    assert anna.fare_basis == ("YLOW",)


def test_ticket_and_payment_never_hold_the_card_number(push: PnrPush) -> None:
    ticket = traveller(push, "1").tickets[0]
    assert (ticket.number, ticket.kind, ticket.issued_on) == ("9991234567890", "T", date(2023, 12, 2))
    assert ticket.total_fare == Money(Decimal("123.45"), "GBP")
    assert ticket.non_refundable
    assert ticket.taxes == (Tax(Money(Decimal("10.00"), "GBP"), "GB"),)
    payment = ticket.payments[0]
    assert (payment.form, payment.vendor, payment.card_last4, payment.card_expiry) == (
        "CC",
        "VI",
        "1111",
        "1227",
    )
    assert payment.card_hash is not None
    assert len(payment.card_hash) == 64
    assert "4111111111111111" not in repr(push)


def test_segments_codeshare_and_seats(push: PnrPush) -> None:
    first, second = push.bookings[0].segments
    assert first.flight is not None
    assert (first.flight.carrier, first.flight.number) == ("ZZ", "1234")
    assert (first.flight.operating_carrier, first.flight.operating_number) == ("YY", "88")
    assert (first.booking_class, first.status, first.party_size, first.equipment) == ("Y", "HK", 2, "320")
    assert [loc.locator for loc in first.locators] == ["ABC123"]
    assert {(s.number, s.traveller_ref) for s in first.seats} == {("006F", "1"), ("7C", "2")}
    assert [s.code for s in first.services] == ["DOCS", "DOCS", "CTCE", "SEAT"]
    # A date without a time: known to the day only.
    assert second.flight is not None
    assert second.flight.departure is not None
    assert not second.flight.departure.time_known
    assert second.flight.departure.utc is None


@pytest.mark.parametrize(
    ("namespace", "prefix"),
    [(None, ""), ("urn:example:other", ""), ("urn:example:other", "p"), (NAMESPACE, "iata")],
)
def test_namespace_does_not_matter(push: PnrPush, namespace: str | None, prefix: str) -> None:
    assert parse_pnrgov_xml(document(namespace=namespace, prefix=prefix), card_key=b"test-key") == push


def test_fragment_without_the_root_is_read_with_a_warning() -> None:
    data = b"""<Wrapper><PNR PNR_CreationDate="2020-08-02T15:09:00">
      <BookingRefID ID="Q1W2E3"><CompanyName Code="1Z"/></BookingRefID>
      <Passenger RPH="1"><GivenName>TEST</GivenName><Surname>PERSON</Surname></Passenger></PNR></Wrapper>"""
    result = parse_pnrgov_xml(data)
    assert [t.surname for t in result.bookings[0].travellers] == ["PERSON"]
    assert {w.code for w in result.warnings} >= {"unexpected-root", "missing-flight-leg"}


def test_partial_damage_gives_warnings_and_keeps_the_rest() -> None:
    data = b"""<IATA_PNRGOV_NotifRQ><PNRs NumberOfPnrs="3"><PNR PNR_CreationDate="yesterday">
      <Passenger RPH="1"><GivenName>NOSURNAME</GivenName></Passenger>
      <Passenger RPH="2"><Surname>KEPT</Surname></Passenger>
      <Mystery/>
      <Flight FlightNumber="12" DepartureDateTime="31/12/2024"><MarketingAirline Code="ZZ"/></Flight>
    </PNR></PNRs></IATA_PNRGOV_NotifRQ>"""
    result = parse_pnrgov_xml(data)
    booking = result.bookings[0]
    assert [t.surname for t in booking.travellers] == ["", "KEPT"]  # never drop a passenger
    assert booking.created_at is None
    assert booking.segments[0].flight is not None
    codes = {w.code for w in result.warnings}
    expected = {"pnr-count", "bad-datetime", "missing-surname", "unknown-element", "missing-locator"}
    assert codes >= expected
    assert all("NOSURNAME" not in str(w) and "KEPT" not in str(w) for w in result.warnings)


# ---------------------------------------------------------------------------------------------------------
# Hostile and broken inputs: each ends in ParseError, never another exception, never a hang

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<IATA_PNRGOV_NotifRQ>&lol4;</IATA_PNRGOV_NotifRQ>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><IATA_PNRGOV_NotifRQ>&xxe;</IATA_PNRGOV_NotifRQ>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE IATA_PNRGOV_NotifRQ SYSTEM "http://example.invalid/pnrgov.dtd"><IATA_PNRGOV_NotifRQ/>"""
DEEP = b"<IATA_PNRGOV_NotifRQ>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</IATA_PNRGOV_NotifRQ>"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("data", "words"),
    [
        (BILLION_LAUGHS, "forbidden"),
        (EXTERNAL_ENTITY, "forbidden"),
        (EXTERNAL_DTD, "forbidden"),
        (DEEP, "nested deeper"),
        (document()[:-200], "not well-formed"),
        (b"UNA:+.? 'UNB+IATA:1+ZZ+XX'", "not well-formed"),
        (b"\x00\xff\xfe\x01binary", "not well-formed"),
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b'<?xml version="1.0" encoding="klingon"?><IATA_PNRGOV_NotifRQ/>', "decode"),
        (b"<html><body>hello</body></html>", "not a PNRGOV"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "dtd",
        "deep",
        "truncated",
        "edifact",
        "binary",
        "empty",
        "blank",
        "encoding",
        "other-xml",
    ],
)
def test_hostile_inputs_end_in_parse_error(data: bytes, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_pnrgov_xml(data, source="inbox/42.xml")
    assert words in caught.value.reason
    assert caught.value.file == "inbox/42.xml"
    assert caught.value.to_dict()["kind"] == "ParseError"
    assert b"root:" not in str(caught.value).encode()  # nothing of /etc/passwd ever shows


def test_oversize_input_is_refused_before_parsing() -> None:
    with pytest.raises(ParseError, match="exceeds the limit"):
        parse_pnrgov_xml(document(), max_bytes=100)


def test_truncated_document_error_says_where() -> None:
    with pytest.raises(ParseError) as caught:
        parse_pnrgov_xml(b'<IATA_PNRGOV_NotifRQ>\n<PNRs NumberOfPnrs="1">\n<PNR>')
    assert "line" in caught.value.reason
    assert caught.value.offset is not None


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_read_or_fail_cleanly(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_pnrgov_xml(data)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=len(document()) - 1))
def test_every_truncation_fails_cleanly(cut: int) -> None:
    with pytest.raises(ParseError):
        parse_pnrgov_xml(document()[:cut])


# ---------------------------------------------------------------------------------------------------------
# Round trip: writer + reader keep the facts

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜÉÈÇŁŚŻÑØÅ"
AIRPORTS = ["LHR", "WAW", "FRA", "CDG", "JFK", "SIN", "NRT", "GRU"]
word = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(LETTERS),
    st.text(alphabet=LETTERS + "'-", max_size=9),
)
name = st.lists(word, min_size=1, max_size=3).map(" ".join).filter(lambda n: n != "TBA")
given_name = name.filter(lambda g: split_title(g) == (g, None))
codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
digits = st.text(alphabet="0123456789", min_size=4, max_size=10)
partial_dates = st.one_of(
    st.none(),
    st.builds(PartialDate.of, st.dates(date(1920, 1, 1), date(2023, 12, 31))),
    st.builds(PartialDate, st.integers(1920, 2023), st.integers(1, 12)),
    st.builds(PartialDate, st.integers(1920, 2023)),
)
minutes = st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
instants = minutes.map(lambda d: d.replace(tzinfo=UTC))
money = st.builds(
    Money,
    st.decimals(0, 9999, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["EUR", "GBP"]),
)


@st.composite
def travellers(draw: st.DrawFn, ref: str, infant_of: str | None = None) -> Traveller:
    infant = infant_of is not None
    born = draw(partial_dates)
    gender = draw(
        st.sampled_from([Gender.MALE, Gender.FEMALE]) if infant else st.sampled_from([*Gender, None])
    )
    surname = draw(name)
    documents = tuple(
        TravelDocument(
            source="XML",
            document_type=draw(st.sampled_from(["P", "I", None])),
            number=f"{draw(codes)}{draw(digits)}{index}",
            issuing_state=draw(st.sampled_from(["POL", "DEU", "GB", None])),
            nationality=draw(st.sampled_from(["POL", "FRA", None])),
            date_of_birth=born,
            gender=gender,
            infant=infant,
            expiry=draw(st.none() | st.dates(date(2020, 1, 1), date(2040, 1, 1))),
            surname=surname,
            given_names=draw(st.none() | given_name),
            traveller_ref=ref,
        )
        for index in range(draw(st.integers(0, 2)))
    )
    kinds = [ContactKind.EMAIL, ContactKind.PHONE, ContactKind.MOBILE, ContactKind.FAX]
    contacts = tuple(
        Contact(
            kind,
            f"person{ref.lower()}{index}@example.org" if kind is ContactKind.EMAIL else draw(digits),
            ref,
        )
        for index, kind in enumerate(draw(st.lists(st.sampled_from(kinds), max_size=3, unique=True)))
    )
    cards = tuple(
        FrequentFlyer(draw(codes), f"{draw(digits)}{index}", draw(st.none() | st.just("GOLD")), ref)
        for index in range(draw(st.integers(0, 2)))
    )
    tickets = tuple(
        Ticket(
            number=f"999{draw(digits)}",
            kind="T",
            issued_on=draw(st.none() | st.dates(date(2020, 1, 1), date(2030, 1, 1))),
            total_fare=draw(st.none() | money),
            taxes=tuple(
                draw(st.lists(st.builds(Tax, money, st.sampled_from(["GB", "YQ", None])), max_size=2))
            ),
            non_refundable=draw(st.booleans()),
            payments=tuple(
                Payment(
                    form=draw(st.sampled_from(["CC", "CA"])),
                    vendor=draw(st.none() | st.sampled_from(["VI", "AX"])),
                    amount=draw(st.none() | money),
                    card_last4=draw(st.none() | st.text(alphabet="0123456789", min_size=4, max_size=4)),
                    card_expiry=draw(st.none() | st.just("1227")),
                    traveller_ref=ref,
                )
                for _ in range(draw(st.integers(0, 2)))
            ),
            traveller_ref=ref,
        )
        for _ in range(draw(st.integers(0, 1)))
    )
    return Traveller(
        surname=surname,
        given_names=draw(st.none() | given_name),
        title=draw(st.sampled_from([None, "MR", "MRS", "DR"])),
        type=TravellerType.INFANT
        if infant
        else draw(st.sampled_from([TravellerType.ADULT, TravellerType.CHILD])),
        ref=ref,
        infant_of=infant_of,
        date_of_birth=born,
        gender=gender,
        documents=documents,
        contacts=contacts,
        frequent_flyers=cards,
        tickets=tickets,
        fare_basis=tuple(draw(st.lists(st.sampled_from(["YLOW", "MSAVER"]), max_size=1))),
    )


@st.composite
def flights(draw: st.DrawFn) -> Flight:
    origin, destination = draw(st.lists(st.sampled_from(AIRPORTS), min_size=2, max_size=2, unique=True))
    leave = draw(minutes)
    carrier = draw(codes)
    codeshare = draw(st.booleans())
    return Flight(
        carrier=carrier,
        number=str(draw(st.integers(1, 9999))),
        origin=origin,
        destination=destination,
        departure=ScheduledTime.at(origin, leave),
        arrival=ScheduledTime.at(destination, leave + timedelta(minutes=draw(st.integers(30, 900)))),
        operating_carrier=draw(codes.filter(lambda c: c != carrier)) if codeshare else None,
        operating_number=str(draw(st.integers(1, 9999))) if codeshare else None,
    )


@st.composite
def segments(draw: st.DrawFn, people: tuple[Traveller, ...]) -> Segment:
    checked = draw(st.lists(st.sampled_from(people), unique_by=lambda t: t.ref, max_size=len(people)))
    check_ins = tuple(
        CheckIn(
            traveller_ref=t.ref,
            sequence=str(index + 1),
            seat=draw(st.none() | st.just(f"{index + 1}{draw(st.sampled_from('ABCDEF'))}")),
            cabin=draw(st.none() | st.just("Y")),
            checked_in_at=draw(st.none() | instants),
        )
        for index, t in enumerate(checked)
    )
    seats = [Seat(c.seat, c.cabin, c.traveller_ref, "XML") for c in check_ins if c.seat]
    if draw(st.booleans()):
        seats.append(Seat("40K", None, people[0].ref, "SSR SEAT"))
    return Segment(
        flight=draw(flights()),
        booking_class=draw(st.sampled_from(["Y", "J", None])),
        status=draw(st.sampled_from(["HK", "HN", None])),
        party_size=len(people),
        equipment=draw(st.none() | st.just("320")),
        seats=tuple(seats),
        check_ins=check_ins,
    )


@st.composite
def bookings(draw: st.DrawFn, index: int) -> Booking:
    count = draw(st.integers(1, 4))
    people = [draw(travellers(str(n + 1))) for n in range(count)]
    if draw(st.booleans()):  # an adult travelling with an infant
        people[0] = replace(people[0], accompanied_by_infant=True, type=TravellerType.ADULT)
        people.append(draw(travellers(f"{people[0].ref}I", infant_of=people[0].ref)))
    locator = f"LOC{index:03d}"
    return Booking(
        locator=locator,
        locators=(RecordLocator(locator, "1Z"),),
        created_at=draw(st.none() | instants),
        last_changed_at=draw(st.none() | instants),
        travellers=tuple(people),
        segments=tuple(draw(segments(tuple(people))) for _ in range(draw(st.integers(0, 3)))),
        contacts=(Contact(ContactKind.EMAIL, f"agency{index}@example.org"),),
    )


@st.composite
def pushes(draw: st.DrawFn) -> PnrPush:
    booked = tuple(draw(bookings(i)) for i in range(draw(st.integers(0, 3))))
    return PnrPush(
        header=MessageHeader(MessageFormat.PNRGOV_XML, version="13.1", prepared_at=draw(instants)),
        function=None,
        flight=draw(flights()),
        bookings=booked,
        declared_bookings=len(booked),
    )


def facts(push: PnrPush) -> list[object]:
    """What must survive writer + reader (sources of derived records may differ by design)."""
    out: list[object] = [push.flight, push.header.prepared_at, push.declared_bookings]
    for b in push.bookings:
        out.append((b.locator, b.locators, b.created_at, b.last_changed_at))
        out.append(sorted((c.kind, c.value, c.traveller_ref) for c in b.contacts))
        for t in b.travellers:
            out.append(
                (t.ref, t.surname, t.given_names, t.title, t.type, t.infant_of, t.accompanied_by_infant)
            )
            out.append((t.date_of_birth, t.gender, t.fare_basis, t.frequent_flyers))
            out.append([replace(d, raw=None) for d in t.documents])
            out.append(sorted((c.kind, c.value, c.traveller_ref) for c in t.contacts))
            for k in t.tickets:
                pays = [(p.form, p.vendor, p.amount, p.card_last4, p.card_expiry) for p in k.payments]
                out.append((k.number, k.kind, k.issued_on, k.total_fare, k.taxes, k.non_refundable, pays))
        for s in b.segments:
            out.append((s.flight, s.booking_class, s.status, s.party_size, s.equipment))
            out.append([(c.traveller_ref, c.sequence, c.seat, c.cabin, c.checked_in_at) for c in s.check_ins])
            out.append(sorted((seat.number, seat.traveller_ref or "") for seat in s.seats))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pushes())
def test_round_trip_keeps_the_facts(original: PnrPush) -> None:
    written = write_pnrgov_xml(original)
    assert written.startswith(b"<?xml")
    assert NAMESPACE.encode() in written
    again = parse_pnrgov_xml(written)
    assert again.warnings == ()
    assert facts(again) == facts(original)
    # Writing what was read gives the same document again: the writer is stable on its own output.
    assert write_pnrgov_xml(again) == written


@settings(max_examples=30, deadline=None)
@given(surname=name, given=given_name)
def test_names_with_apostrophes_and_unicode_survive(surname: str, given: str) -> None:
    assume(surname.strip() == surname)
    person = Traveller(surname=surname, given_names=given, ref="1")
    push = PnrPush(
        header=MessageHeader(MessageFormat.PNRGOV_XML),
        function=None,
        flight=None,
        bookings=(Booking(locator="ABC123", travellers=(person,)),),
    )
    read = parse_pnrgov_xml(write_pnrgov_xml(push)).bookings[0].travellers[0]
    assert (read.surname, read.given_names) == (surname, given)


def test_written_masked_card_reads_back_by_last4_only() -> None:
    payment = Payment(form="CC", vendor="VI", card_last4="4242", card_hash="ab" * 32, traveller_ref="1")
    ticket = Ticket(number="9990000000001", payments=(payment,), traveller_ref="1")
    person = Traveller(surname="TESTER", ref="1", tickets=(ticket,))
    push = PnrPush(
        header=MessageHeader(MessageFormat.PNRGOV_XML),
        function=None,
        flight=None,
        bookings=(Booking(locator="ABC123", travellers=(person,)),),
    )
    read = parse_pnrgov_xml(write_pnrgov_xml(push), card_key=b"k").bookings[0].travellers[0]
    assert read.tickets[0].payments[0].card_last4 == "4242"
    assert read.tickets[0].payments[0].card_hash is None  # a masked number cannot be hashed
