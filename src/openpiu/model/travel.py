"""Travel records: everything of Annex I that PNRGOV and PAXLST carry, as frozen typed records.

Records reference travellers by `traveller_ref` (the TIF reference, unique only inside one booking),
because that is how the messages link items to people. Card numbers never appear in clear: a
`Payment` keeps a keyed hash and the last four digits.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from openpiu.model.record import record
from openpiu.model.values import Gender, Money, PartialDate, ScheduledTime


class TravellerType(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    INFANT = "infant"


class ContactKind(StrEnum):
    PHONE = "phone"
    MOBILE = "mobile"
    EMAIL = "email"
    FAX = "fax"
    OTHER = "other"


@record
class Flight:
    """A flight as scheduled: marketing carrier and number, airports, local times; codeshare operator."""

    carrier: str
    number: str
    origin: str | None = None
    destination: str | None = None
    departure: ScheduledTime | None = None
    arrival: ScheduledTime | None = None
    operating_carrier: str | None = None
    operating_number: str | None = None

    @property
    def designator(self) -> str:
        return f"{self.carrier}{self.number}"


@record
class RecordLocator:
    """A booking's locator in one reservation or departure-control system (RCI)."""

    locator: str
    system: str | None = None  # airline or CRS code, e.g. "1A", "DL"
    kind: str | None = None  # "C" = DCS reference
    created_at: datetime | None = None  # UTC


@record
class BookingOffice:
    """Who made the booking (Gr.1 ORG, XML POS): system, travel agency or airline office, agent."""

    system: str | None = None
    location: str | None = None
    iata_number: str | None = None
    office_id: str | None = None
    agent_type: str | None = None  # A airline agent, T travel agent, ...
    country: str | None = None
    currency: str | None = None
    agent_sign: str | None = None


@record
class Contact:
    kind: ContactKind
    value: str
    traveller_ref: str | None = None
    source: str | None = None  # e.g. "SSR CTCE", "IFT", "ADD", "COM"


@record
class Address:
    purpose: str | None = None  # ADD qualifier (700 contact, 702 ...), DOCA R/D, "payer", "residence"
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    phone: str | None = None
    traveller_ref: str | None = None
    source: str | None = None


@record
class Payment:
    """A form of payment. The card number itself is never kept: only a keyed hash and the last four."""

    form: str  # CC card, CA cash, MS miscellaneous, INV invoice, ...
    vendor: str | None = None  # card type, e.g. VI, AX
    amount: Money | None = None
    card_last4: str | None = None
    card_hash: str | None = None  # hex HMAC of the full number, None when the number was masked
    card_expiry: str | None = None  # MMYY as sent
    payer_name: str | None = None
    payer_address: str | None = None
    payer_phone: str | None = None
    traveller_ref: str | None = None


@record
class Tax:
    amount: Money
    code: str | None = None


@record
class Ticket:
    number: str | None
    kind: str | None = None  # T ticket, ...; None for ticketless
    booklets: int | None = None
    issued_on: date | None = None
    base_fare: Money | None = None
    total_fare: Money | None = None
    taxes: tuple[Tax, ...] = ()
    non_refundable: bool = False
    one_way: bool | None = None
    validating_carrier: str | None = None
    issue_location: str | None = None
    payments: tuple[Payment, ...] = ()
    traveller_ref: str | None = None


@record
class TravelDocument:
    """A travel document (DOCS, DOCO, PAXLST DOC, XML DOC_SSR), with the identity data it carries."""

    source: str  # "DOCS", "DOCO", "PAXLST", "XML"
    document_type: str | None = None  # P passport, I identity card, V visa, ...
    number: str | None = None
    issuing_state: str | None = None
    nationality: str | None = None
    date_of_birth: PartialDate | None = None
    gender: Gender | None = None
    infant: bool = False  # DOCS gender MI/FI
    expiry: date | None = None
    issued_on: date | None = None
    place_of_issue: str | None = None
    place_of_birth: str | None = None
    applicable_country: str | None = None  # DOCO: the country the visa is for
    surname: str | None = None
    given_names: str | None = None
    traveller_ref: str | None = None
    raw: str | None = None  # the free text as sent (DOCS/DOCO)


@record
class FrequentFlyer:
    carrier: str | None
    number: str
    tier: str | None = None
    traveller_ref: str | None = None


@record
class ServiceItem:
    """An SSR or OSI item: code, status and free text, at booking, traveller or segment level."""

    kind: str  # "SSR" or "OSI"
    code: str | None
    status: str | None = None
    quantity: int | None = None
    carrier: str | None = None
    board: str | None = None
    off: str | None = None
    text: str | None = None
    traveller_ref: str | None = None
    seat: str | None = None


@record
class Remark:
    """General remark / free text (IFT): subject and type codes as sent, and the text."""

    text: str
    subject: str | None = None
    kind: str | None = None  # IFT type code: 28 OSI, 15 fare calculation, 43 payer, ...
    carrier: str | None = None
    traveller_ref: str | None = None


@record
class BagTag:
    tag: str
    carrier: str | None = None
    consecutive: int | None = None
    destination: str | None = None


@record
class Baggage:
    count: int | None = None
    weight: int | None = None
    unit: str | None = None  # "kg" or "lb"
    pool: str | None = None  # HP head of pool, MP member of pool
    pool_ref: str | None = None
    tags: tuple[BagTag, ...] = ()
    traveller_ref: str | None = None


@record
class ExcessBaggage:
    amount: Money | None = None
    pieces: int | None = None
    unit: str | None = None
    traveller_ref: str | None = None


@record
class Seat:
    number: str
    cabin: str | None = None
    traveller_ref: str | None = None
    source: str | None = None  # "SSR SEAT", "SSD", "XML"


@record
class CheckIn:
    """A traveller checked in (or boarded) on a segment (Gr.6/Gr.7; XML CheckInInfo)."""

    traveller_ref: str | None = None
    surname: str | None = None
    given_names: str | None = None
    sequence: str | None = None  # check-in / boarding sequence number
    seat: str | None = None
    cabin: str | None = None
    baggage: Baggage | None = None
    checked_in_at: datetime | None = None
    agent: str | None = None
    boarded: bool | None = None
    text: str | None = None  # DAT qualifier 3: check-in as free text


@record
class Segment:
    """One itinerary segment of a booking (Gr.5), or a non-air segment (Gr.9) when `flight` is None."""

    flight: Flight | None
    booking_class: str | None = None
    status: str | None = None  # HK, HN, ...
    party_size: int | None = None
    equipment: str | None = None
    open: bool = False  # OPEN or ARNK segment without a flight
    locators: tuple[RecordLocator, ...] = ()
    services: tuple[ServiceItem, ...] = ()
    seats: tuple[Seat, ...] = ()
    check_ins: tuple[CheckIn, ...] = ()
    remarks: tuple[Remark, ...] = ()
    non_air_kind: str | None = None  # Gr.9 business function (hotel, car ...)


@record
class HistoryEntry:
    """One change in the booking's history (Gr.10-12 ABI/DAT/SAC, or an LTS line), kept apart."""

    source: str  # "ABI" or "LTS"
    at: datetime | None = None
    who: str | None = None
    action: str | None = None  # A added, X cancelled, C changed
    item: str | None = None  # what changed, as tag and text
    text: str | None = None


@record
class Traveller:
    """A person on a booking (Gr.2 TIF): names as sent, title separated, documents and contacts."""

    surname: str
    given_names: str | None = None
    title: str | None = None
    type: TravellerType = TravellerType.ADULT
    ref: str | None = None  # traveller reference, unique inside the booking
    placeholder: bool = False  # TBA names in group bookings
    accompanied_by_infant: bool = False
    infant_of: str | None = None  # for an infant: the adult's traveller reference
    unique_id: str | None = None  # REF: system-generated unique passenger reference
    date_of_birth: PartialDate | None = None
    gender: Gender | None = None
    documents: tuple[TravelDocument, ...] = ()
    contacts: tuple[Contact, ...] = ()
    addresses: tuple[Address, ...] = ()
    frequent_flyers: tuple[FrequentFlyer, ...] = ()
    services: tuple[ServiceItem, ...] = ()
    remarks: tuple[Remark, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    fare_basis: tuple[str, ...] = ()
    excess_baggage: tuple[ExcessBaggage, ...] = ()
    raw_name: str | None = None  # the TIF as sent, for audit of the split into name and title


@record
class Booking:
    """A PNR as one push delivered it: current state, with its history kept apart."""

    locator: str | None
    locators: tuple[RecordLocator, ...] = ()
    created_at: datetime | None = None
    last_changed_at: datetime | None = None
    ticketed_at: datetime | None = None
    office: BookingOffice | None = None
    group_name: str | None = None
    travellers: tuple[Traveller, ...] = ()
    segments: tuple[Segment, ...] = ()
    contacts: tuple[Contact, ...] = ()
    addresses: tuple[Address, ...] = ()
    payments: tuple[Payment, ...] = ()
    services: tuple[ServiceItem, ...] = ()
    remarks: tuple[Remark, ...] = ()
    excess_baggage: tuple[ExcessBaggage, ...] = ()
    split_count: int | None = None  # Gr.8 EQN
    split_locators: tuple[RecordLocator, ...] = ()  # Gr.8 RCI: bookings split from this one
    history: tuple[HistoryEntry, ...] = ()
    cancelled: bool = False  # update push with an empty ORG


class PersonRole(StrEnum):
    PASSENGER = "passenger"
    CREW = "crew"
    TRANSIT_PASSENGER = "transit_passenger"
    TRANSIT_CREW = "transit_crew"
    DRIVER = "driver"
    OTHER = "other"


@record
class ApiPerson:
    """A person in a PAXLST message (Gr.4 NAD and what follows)."""

    role: PersonRole
    qualifier: str  # NAD party qualifier as sent: FL, FM, DDU, DDT, VW ...
    surname: str
    given_names: str | None = None
    gender: Gender | None = None
    date_of_birth: PartialDate | None = None
    nationality: str | None = None
    address: Address | None = None
    residence_country: str | None = None
    place_of_birth: str | None = None
    embarkation: str | None = None
    debarkation: str | None = None
    clearance: str | None = None
    documents: tuple[TravelDocument, ...] = ()
    locator: str | None = None  # RFF AVF: the booking's locator
    unique_id: str | None = None  # RFF ABO
    seat: str | None = None
    baggage: Baggage | None = None
    crew_function: str | None = None
    verified: bool | None = None  # GEI 173 / 174
    contacts: tuple[Contact, ...] = ()
    references: tuple[tuple[str, str], ...] = ()  # every RFF as (qualifier, value)
