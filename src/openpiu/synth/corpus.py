"""A fast, seeded generator of realistic PNRGOV interchanges, for the parsing benchmark and the demo.

Each interchange is one push for one flight: 50-300 bookings of 1-9 travellers with documents,
contacts, frequent-flyer numbers, tickets and payments, 1-4 itinerary segments, some check-ins,
codeshares, infants, split bookings and history. Records are built from the domain model and
written with `openpiu.formats.pnrgov_writer.write_pnrgov`, with varied service characters,
versions, push functions and line layouts.

Names are fictional, assembled from small syllable lists; no real person is described.

The benchmark (`bench/parse.py`) writes 200 MB of it; `openpiu demo` reads one push of it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpiu.formats.edifact import ServiceChars
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.formats.pnrgov_xml import write_pnrgov_xml
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

_ONSETS = ("B", "D", "F", "G", "K", "L", "M", "N", "P", "R", "S", "T", "V", "Z", "KR", "ST", "TR", "BR")
_VOWELS = ("A", "E", "I", "O", "U", "AI", "OU", "EA")
_CODAS = ("", "", "N", "R", "S", "L", "M", "K", "NT", "RD")
_TITLES_M = ("MR", "MR", "MR", "DR")
_TITLES_F = ("MRS", "MS", "MS", "MISS")
_AIRPORTS = (
    "FRA", "CDG", "AMS", "MAD", "FCO", "VIE", "BRU", "CPH", "ARN", "HEL", "LIS", "ATH", "WAW", "PRG",
    "JFK", "YYZ", "DXB", "IST", "SIN", "NRT", "GRU", "JNB", "DEL", "BKK",
)  # fmt: skip
_CARRIERS = ("QX", "ZY", "XQ", "JV", "WK", "YB", "KQ", "PX")
_SYSTEMS = ("1A", "1S", "1G", "1V")
_COUNTRIES = (
    "GBR",
    "DEU",
    "FRA",
    "ESP",
    "ITA",
    "NLD",
    "USA",
    "CAN",
    "IND",
    "BRA",
    "ZAF",
    "JPN",
    "POL",
    "SWE",
)
_DOMAINS = ("EXAMPLE.COM", "EXAMPLE.ORG", "MAIL.EXAMPLE", "POST.EXAMPLE.NET")
_MEALS = ("AVML", "VGML", "KSML", "MOML", "CHML", "GFML", "DBML")
_EQUIPMENT = ("320", "321", "333", "359", "77W", "738", "789", "E90")
_CLASSES = "YBMHKLQVJCDZF"
_CURRENCIES = ("EUR", "GBP", "USD")
_STREETS = ("HIGH ST", "MAIN RD", "STATION RD", "CHURCH LN", "PARK AVE", "MILL WAY")
_CITIES = ("NORTHTOWN", "EASTVILLE", "WESTBURY", "SOUTHAM", "LAKESIDE", "HILLCREST")
_TRAVELLER_WEIGHTS = (40, 25, 12, 8, 5, 4, 3, 2, 1)
_FLAVOURS = (
    # (version, service characters, line breaks, wrap): the layouts carriers really send.
    ("13.1", ServiceChars(repetition="*"), True, None),
    ("13.1", ServiceChars(), True, None),
    ("11.1", ServiceChars(repetition="*"), False, None),
    ("15.1", ServiceChars(repetition="*"), True, 69),
    ("13.1", ServiceChars(component=":", element="+", decimal=".", release="\\", repetition="*"), True, None),
)
_FLAVOUR_WEIGHTS = (45, 20, 15, 10, 10)
_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class _FastRandom(random.Random):
    """Seeded like `random.Random`, with cheaper `randrange`/`choice` (float based: fine for test data)."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        if step == 1:
            return start + int(self.random() * (stop - start))
        return start + step * int(self.random() * ((stop - start + step - 1) // step))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]


@dataclass(slots=True)
class _Pools:
    """Values reused across bookings (cheap variety: frozen records can be shared)."""

    surnames: list[str]
    male: list[str]
    female: list[str]
    offices: list[BookingOffice]
    prices: list[tuple[Money, Money, tuple[Tax, ...]]]


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))


def _pools(rng: random.Random) -> _Pools:
    surnames = sorted({_word(rng, rng.choice((2, 2, 3))) for _ in range(3000)})
    male = sorted({_word(rng, 2) for _ in range(600)})
    female = sorted({_word(rng, 2) + "A" for _ in range(600)})
    offices = [
        BookingOffice(
            system=rng.choice(_SYSTEMS),
            location=rng.choice(_AIRPORTS),
            iata_number=str(rng.randrange(10_000_000, 99_999_999)),
            office_id=f"{rng.choice(_AIRPORTS)}{rng.choice(_CARRIERS)}0{rng.randrange(1, 9)}AA",
            agent_type=rng.choice("AAT"),
            country=rng.choice(_COUNTRIES)[:2],
            currency=rng.choice(_CURRENCIES),
            agent_sign=f"{rng.randrange(1000, 9999)}{rng.choice('ABCDEFGH')}{rng.choice('ABCDEFGH')}",
        )
        for _ in range(40)
    ]
    prices = []
    for _ in range(60):
        currency = rng.choice(_CURRENCIES)
        base = Decimal(rng.randrange(4_000, 300_000)).scaleb(-2)
        taxes = tuple(
            Tax(Money(Decimal(rng.randrange(100, 9_000)).scaleb(-2), currency), code)
            for code in rng.sample(("YQ", "GB", "UB", "DE", "RA", "FR", "XT"), rng.randrange(1, 4))
        )
        total = base + sum(t.amount.amount for t in taxes)
        prices.append((Money(base, currency), Money(total, currency), taxes))
    return _Pools(surnames, male, female, offices, prices)


def _locator(rng: random.Random) -> str:
    return "".join(rng.choices(_ALNUM, k=6))


def _flight(rng: random.Random, carrier: str, origin: str, destination: str, day: datetime) -> Flight:
    departure = day.replace(hour=rng.randrange(5, 23), minute=rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 55)))
    arrival = departure + timedelta(minutes=rng.randrange(55, 14 * 60, 5))
    codeshare = rng.random() < 0.12
    return Flight(
        carrier=carrier,
        number=str(rng.randrange(1, 9999)),
        origin=origin,
        destination=destination,
        departure=ScheduledTime.at(origin, departure),
        arrival=ScheduledTime.at(destination, arrival),
        operating_carrier=rng.choice(_CARRIERS) if codeshare else None,
        operating_number=str(rng.randrange(1, 9999)) if codeshare else None,
    )


class _World:
    """Builds one push at a time from a seeded random source and shared pools."""

    def __init__(self, seed: int) -> None:
        self.rng = _FastRandom(seed)
        self.pools = _pools(self.rng)
        self.sequence = 0
        # Travellers by reference, reused by later bookings: frequent travellers, and most of the
        # generator's cost saved. Reuse starts once a pool has some variety.
        self.known: dict[str, list[Traveller]] = {}

    def push(self) -> tuple[PnrPush, tuple[str, ServiceChars, bool, int | None]]:
        rng = self.rng
        self.sequence += 1
        carrier = rng.choice(_CARRIERS)
        origin, destination = rng.sample(_AIRPORTS, 2)
        day = datetime(2025, 1, 1) + timedelta(days=rng.randrange(0, 365))
        flight = _flight(rng, carrier, origin, destination, day)
        pushed = Flight(flight.carrier, flight.number, origin, destination, flight.departure, flight.arrival)
        # Connections on either side of the pushed flight, shared by many bookings as in life.
        before = [
            _flight(rng, rng.choice(_CARRIERS), a, origin, day - timedelta(days=1))
            for a in rng.sample(_AIRPORTS, 3)
            if a not in (origin, destination)
        ]
        after = [
            _flight(rng, rng.choice(_CARRIERS), destination, b, day + timedelta(days=1))
            for b in rng.sample(_AIRPORTS, 3)
            if b not in (origin, destination)
        ]
        flavour = rng.choices(_FLAVOURS, _FLAVOUR_WEIGHTS)[0]
        update = rng.random() < 0.25
        count = rng.randrange(50, 301) if not update else rng.randrange(5, 60)
        assert flight.departure is not None  # made just above, always with a time
        prepared = (flight.departure.local - timedelta(hours=rng.choice((48, 24, 2)))).replace(tzinfo=UTC)
        bookings = tuple(self.booking(flight, before, after, prepared, update) for _ in range(count))
        header = MessageHeader(
            format=MessageFormat.PNRGOV,
            version=flavour[0],
            message_ref=str(self.sequence),
            common_access_ref=f"{day:%d%m%y}/{flight.departure.local:%H%M}/{carrier}/{flight.number}",
            sender=rng.choice(_SYSTEMS),
            recipient="PIUZZ",
            prepared_at=prepared,
            control_ref=f"{self.sequence:06d}",
            syntax="IATA:1",
        )
        push = PnrPush(
            header=header,
            function="141" if update else "22",
            flight=pushed,
            bookings=bookings,
            sender_system=BookingOffice(system=header.sender, location=rng.choice(_AIRPORTS)),
            declared_bookings=count,
        )
        return push, flavour

    def booking(
        self, flight: Flight, before: list[Flight], after: list[Flight], now: datetime, update: bool
    ) -> Booking:
        rng = self.rng
        pools = self.pools
        n = rng.choices(range(1, 10), _TRAVELLER_WEIGHTS)[0]
        surname = rng.choice(pools.surnames)
        created = now - timedelta(days=rng.randrange(1, 200), minutes=rng.randrange(0, 1440))
        locator = _locator(rng)
        system = rng.choice(_SYSTEMS)
        locators: tuple[RecordLocator, ...] = (RecordLocator(locator, system=system, created_at=created),)
        if rng.random() < 0.3:
            locators += (RecordLocator(_locator(rng), system=flight.carrier),)
        travellers: list[Traveller] = []
        with_infant = n >= 2 and rng.random() < 0.08
        for i in range(n):
            travellers.append(
                self.traveller(str(i + 1), surname if rng.random() < 0.7 else None, flight, now)
            )
        if with_infant:
            adult = travellers[0]
            travellers[0] = Traveller(
                surname=adult.surname,
                given_names=adult.given_names,
                title=adult.title,
                type=adult.type,
                ref=adult.ref,
                accompanied_by_infant=True,
                unique_id=adult.unique_id,
                documents=adult.documents,
                contacts=adult.contacts,
                frequent_flyers=adult.frequent_flyers,
                tickets=adult.tickets,
                fare_basis=adult.fare_basis,
            )
            travellers.append(
                Traveller(
                    surname=adult.surname,
                    given_names=rng.choice(pools.female),
                    type=TravellerType.INFANT,
                    ref=f"{adult.ref}I",
                    infant_of=adult.ref,
                )
            )
        itinerary = [flight]
        legs = rng.choices((1, 2, 3, 4), (35, 35, 20, 10))[0]
        if legs >= 2:
            itinerary.insert(0, rng.choice(before)) if rng.random() < 0.5 else itinerary.append(
                rng.choice(after)
            )
        if legs >= 3 and after:
            itinerary.append(rng.choice(after))
        if legs >= 4 and before:
            itinerary.insert(0, rng.choice(before))
        refs = [t.ref for t in travellers if t.type is not TravellerType.INFANT]
        booking_class = rng.choice(_CLASSES)
        segments = tuple(
            self.segment(
                leg,
                booking_class=booking_class,
                refs=refs,
                travellers=travellers,
                locators=locators[:1],
                pushed=leg is flight,
            )
            for leg in itinerary
        )
        history: tuple[HistoryEntry, ...] = ()
        if rng.random() < 0.35:
            at = created + timedelta(hours=rng.randrange(1, 48))
            history = (
                HistoryEntry(
                    "ABI",
                    at=at,
                    who=f"{rng.choice(_AIRPORTS)}RR",
                    action="X",
                    item=f"SSR+{rng.choice(_MEALS)}:HK:1:{flight.carrier}",
                ),
                HistoryEntry(
                    "ABI",
                    at=at,
                    who=f"{rng.choice(_AIRPORTS)}RR",
                    action="A",
                    item=f"SSR+{rng.choice(_MEALS)}:HK:1:{flight.carrier}",
                ),
                HistoryEntry(
                    "LTS", text=f"0/O/NM/{surname}/{travellers[0].given_names} {travellers[0].title}(ADT)"
                ),
                HistoryEntry(
                    "LTS",
                    text=(
                        f"0/O/SS/{flight.carrier} {flight.number} {booking_class} 1 "
                        f"{flight.origin}{flight.destination} HK{n}"
                    ),
                ),
            )
        split = rng.random() < 0.02
        contacts: tuple[Contact, ...] = ()
        if rng.random() < 0.4:
            contacts = (Contact(ContactKind.PHONE, f"{rng.randrange(10**9, 10**10)}", source="IFT"),)
        return Booking(
            locator=locator,
            locators=locators,
            created_at=created,
            last_changed_at=now - timedelta(minutes=rng.randrange(5, 5000)),
            ticketed_at=created + timedelta(hours=rng.randrange(0, 72)) if rng.random() < 0.9 else None,
            office=rng.choice(pools.offices),
            group_name=f"{rng.choice(pools.surnames)} TOURS" if n >= 8 and rng.random() < 0.5 else None,
            travellers=tuple(travellers),
            segments=segments,
            contacts=contacts,
            services=(ServiceItem("SSR", rng.choice(_MEALS), "HK", n, flight.carrier),)
            if rng.random() < 0.15
            else (),
            remarks=(Remark("CTCR REFUSED", kind="28", carrier=flight.carrier),)
            if rng.random() < 0.1
            else (),
            split_count=1 if split else None,
            split_locators=(RecordLocator(_locator(rng), system=system),) if split else (),
            history=history,
            cancelled=update and rng.random() < 0.15,
        )

    def traveller(self, ref: str, surname: str | None, flight: Flight, now: datetime) -> Traveller:
        rng = self.rng
        pools = self.pools
        female = rng.random() < 0.5
        given = rng.choice(pools.female if female else pools.male)
        if rng.random() < 0.2:
            given += " " + rng.choice(pools.female if female else pools.male)
        surname = surname or rng.choice(pools.surnames)
        if rng.random() < 0.01:
            surname = "O'" + surname  # the release character in real data
        child = rng.random() < 0.08
        age = rng.randrange(2, 12) if child else rng.randrange(18, 85)
        dob = date(now.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
        country = rng.choice(_COUNTRIES)
        gender = Gender.FEMALE if female else Gender.MALE
        documents: tuple[TravelDocument, ...] = (
            TravelDocument(
                source="DOCS",
                document_type="P" if rng.random() < 0.85 else "I",
                number=f"{rng.choice(_ALNUM)}{rng.randrange(10_000_000, 99_999_999)}",
                issuing_state=country,
                nationality=country,
                date_of_birth=PartialDate(dob.year, dob.month, dob.day),
                gender=gender,
                expiry=date(now.year + rng.randrange(0, 10), rng.randrange(1, 13), rng.randrange(1, 29)),
                surname=surname,
                given_names=given,
                traveller_ref=ref,
            ),
        )
        if rng.random() < 0.05:
            documents += (
                TravelDocument(
                    source="DOCO",
                    document_type="V",
                    number=str(rng.randrange(10**7, 10**8)),
                    place_of_birth=rng.choice(_CITIES),
                    place_of_issue=rng.choice(_CITIES),
                    issued_on=date(now.year - 1, rng.randrange(1, 13), rng.randrange(1, 29)),
                    applicable_country=rng.choice(_COUNTRIES),
                    traveller_ref=ref,
                ),
            )
        contacts: tuple[Contact, ...] = ()
        if ref == "1" or rng.random() < 0.3:
            local = f"{given.split()[0]}{rng.choice(('.', '_', ''))}{surname}".replace("'", "").lower()
            contacts = (
                Contact(ContactKind.EMAIL, f"{local}@{rng.choice(_DOMAINS).lower()}", traveller_ref=ref),
                Contact(ContactKind.MOBILE, str(rng.randrange(10**10, 10**11)), traveller_ref=ref),
            )
        addresses: tuple[Address, ...] = ()
        if rng.random() < 0.2:
            addresses = (
                Address(
                    purpose="R",
                    country=country,
                    street=f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}",
                    city=rng.choice(_CITIES),
                    postcode=str(rng.randrange(10000, 99999)),
                    traveller_ref=ref,
                ),
            )
        base, total, taxes = rng.choice(pools.prices)
        ticket = Ticket(
            number=f"{rng.randrange(100, 999)}{rng.randrange(10**9, 10**10)}",
            kind="T",
            booklets=1,
            issued_on=(now - timedelta(days=rng.randrange(1, 90))).date(),
            base_fare=base,
            total_fare=total,
            taxes=taxes,
            non_refundable=rng.random() < 0.4,
            validating_carrier=flight.carrier,
            issue_location=rng.choice(_AIRPORTS),
            payments=(
                Payment(
                    "CC",
                    vendor=rng.choice(("VI", "CA", "AX")),
                    amount=total,
                    card_last4=f"{rng.randrange(10000):04d}",
                    card_expiry=f"{rng.randrange(1, 13):02d}{rng.randrange(26, 32)}",
                    payer_name=f"{given.split()[0]} {surname}" if rng.random() < 0.3 else None,
                )
                if rng.random() < 0.85
                else Payment("CA", amount=total),
            ),
            traveller_ref=ref,
        )
        return Traveller(
            surname=surname,
            given_names=given,
            title=None if child else rng.choice(_TITLES_F if female else _TITLES_M),
            type=TravellerType.CHILD if child else TravellerType.ADULT,
            ref=ref,
            unique_id=f"{rng.getrandbits(64):016X}",
            date_of_birth=documents[0].date_of_birth,
            gender=gender,
            documents=documents,
            contacts=contacts,
            addresses=addresses,
            frequent_flyers=(
                FrequentFlyer(
                    flight.carrier,
                    str(rng.randrange(10**8, 10**10)),
                    tier=rng.choice((None, "GOLD", "SILVER")),
                ),
            )
            if rng.random() < 0.25
            else (),
            tickets=(ticket,) if rng.random() < 0.95 else (),
            fare_basis=(
                f"{rng.choice(_CLASSES)}{rng.choice(('OW', 'RT', 'LGT', 'FLX'))}{rng.randrange(1, 99)}",
            ),
        )

    def segment(
        self,
        leg: Flight,
        *,
        booking_class: str,
        refs: list[str | None],
        travellers: list[Traveller],
        locators: tuple[RecordLocator, ...],
        pushed: bool,
    ) -> Segment:
        rng = self.rng
        seats: tuple[Seat, ...] = ()
        if rng.random() < 0.5:
            row = rng.randrange(1, 45)
            seats = tuple(
                Seat(f"{row + i // 6}{'ABCDEF'[i % 6]}", traveller_ref=r) for i, r in enumerate(refs)
            )
        services: tuple[ServiceItem, ...] = ()
        if rng.random() < 0.2:
            services = (
                ServiceItem(
                    "SSR",
                    "TKNE",
                    "HK",
                    1,
                    leg.carrier,
                    leg.origin,
                    leg.destination,
                    text=f"{rng.randrange(10**12, 10**13)}C1",
                    traveller_ref=refs[0],
                ),
            )
        check_ins: tuple[CheckIn, ...] = ()
        if pushed and rng.random() < 0.3:
            check_ins = tuple(
                CheckIn(
                    traveller_ref=t.ref,
                    surname=t.surname,
                    given_names=t.given_names,
                    sequence=f"{leg.origin}-{rng.randrange(1, 400)}",
                    seat=seats[i].number if i < len(seats) else None,
                    cabin="Y",
                    agent=leg.carrier,
                    checked_in_at=datetime(2025, 1, 1, tzinfo=UTC),
                    baggage=Baggage(
                        count=1,
                        weight=rng.randrange(8, 32),
                        unit="kg",
                        tags=(
                            BagTag(
                                f"{rng.randrange(10**9, 10**10)}",
                                carrier=str(rng.randrange(100, 999)),
                                consecutive=1,
                                destination=leg.destination,
                            ),
                        ),
                    )
                    if rng.random() < 0.6
                    else None,
                )
                for i, t in enumerate(travellers)
                if t.type is not TravellerType.INFANT
            )
        return Segment(
            flight=leg,
            booking_class=booking_class,
            status="HK",
            party_size=len(refs),
            equipment=rng.choice(_EQUIPMENT),
            locators=locators,
            services=services,
            seats=seats,
            check_ins=check_ins,
        )


def generate(target_bytes: int, *, seed: int = 0) -> Iterator[bytes]:
    """Complete PNRGOV interchanges (one push each) until at least `target_bytes` were yielded."""
    world = _World(seed)
    produced = 0
    while produced < target_bytes:
        push, (_version, chars, line_breaks, wrap) = world.push()
        data = write_pnrgov(push, chars=chars, line_breaks=line_breaks, wrap=wrap)
        produced += len(data)
        yield data


def demo_push(seed: int = 0, bookings: int = 200) -> PnrPush:
    """One full push of about `bookings` bookings, for the demo."""
    world = _World(seed)
    while True:
        push, _layout = world.push()
        if push.function == "22":
            return dataclasses.replace(push, bookings=push.bookings[:bookings])


def api_passenger(
    docs: TravelDocument,
    *,
    locator: str | None,
    surname: str | None = None,
    given_names: str | None = None,
) -> ApiPerson:
    """The API record (PAXLST passenger) of a traveller, from their DOCS item.

    The names are those of the document, else the booking's (`surname`, `given_names`).
    """
    return ApiPerson(
        role=PersonRole.PASSENGER,
        qualifier="FL",
        surname=docs.surname or surname or "",
        given_names=docs.given_names or given_names,
        gender=docs.gender,
        date_of_birth=docs.date_of_birth,
        nationality=docs.nationality,
        documents=(
            TravelDocument(
                source="PAXLST",
                document_type=docs.document_type,
                number=docs.number,
                issuing_state=docs.issuing_state,
                expiry=docs.expiry,
            ),
        ),
        locator=locator,
    )


def passenger_list_for(push: PnrPush) -> PassengerList:
    """The API data (PAXLST) a carrier would send at closure for the travellers of a push.

    Each traveller with a passport becomes a passenger with that document, name, date of birth and
    gender; the booking's locator goes in RFF AVF so API and PNR data can be linked.
    """
    persons: list[ApiPerson] = []
    for booking in push.bookings:
        if booking.cancelled:
            continue
        for traveller in booking.travellers:
            documents = tuple(d for d in traveller.documents if d.source == "DOCS" and d.number)
            if not documents:
                continue
            document = documents[0]
            persons.append(
                api_passenger(
                    document,
                    locator=booking.locator,
                    surname=traveller.surname,
                    given_names=traveller.given_names,
                )
            )
    header = dataclasses.replace(push.header, format=MessageFormat.PAXLST, version="D:05B", part=None)
    legs = (push.flight,) if push.flight is not None else ()
    return PassengerList(
        header=header,
        document_code="745",
        reference=f"{push.header.message_ref or '1'}API",
        reporting_party="OPENPIU DEMO",
        legs=legs,
        persons=tuple(persons),
        declared_passengers=len(persons),
    )


def write_demo_files(folder: Path, *, seed: int = 0, bookings: int = 200) -> list[Path]:
    """One generated push in all three formats (PNRGOV EDIFACT, PNRGOV XML, PAXLST), written to `folder`."""
    push = demo_push(seed, bookings)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "generated_push.edi": write_pnrgov(push, wrap=69),
        "generated_push.xml": write_pnrgov_xml(push),
        "generated_api.edi": write_paxlst(passenger_list_for(push), max_persons_per_part=120),
    }
    written = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
