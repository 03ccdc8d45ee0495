"""The synthetic world's own records: people, the network, parameters and ground truth.

These are the shared vocabulary of `openpiu.synth`: `people` makes `Person`s, `network` makes
`Airport`s and `ScheduledFlight`s, `planted` and `watchlists` vary people into watchlist entries,
`quirks` dirties messages, and `world` puts travellers on flights and writes the pushes and the truth.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from openpiu.model import Address, Gender
from openpiu.model.record import record


@record
class PersonDocument:
    """A travel document the person holds (passport or identity card)."""

    document_type: str  # "P" passport, "I" identity card
    number: str
    issuing_state: str  # ISO 3166-1 alpha-3
    issued_on: date
    expiry: date


@record
class Person:
    """One real (synthetic) person: who they are, however their name gets spelled on a booking.

    Names are in airline form: upper-case ASCII letters and spaces (particles and compounds kept,
    hyphens and apostrophes as airlines drop them). `native_name` holds the name in its own script
    where it has one; `spellings` holds other romanisations real documents use for the same person.
    """

    person_id: str  # "P0000001"
    surname: str
    given_names: str  # all given names, space-separated; the first is the one in use
    gender: Gender
    date_of_birth: date
    nationality: str  # ISO 3166-1 alpha-3
    residence: str  # ISO 3166-1 alpha-2
    documents: tuple[PersonDocument, ...]  # the current one first
    phone: str  # E.164, e.g. "+4915112345678"
    email: str
    address: Address
    frequent_flyers: tuple[tuple[str, str], ...] = ()  # (airline designator, number)
    card_number: str | None = None  # a test card number (Luhn-valid, in test ranges), never real
    card_vendor: str | None = None  # VI, CA, AX
    native_name: str | None = None  # e.g. "Сазонов Арсений"
    spellings: tuple[tuple[str, str], ...] = ()  # other (surname, given_names) romanisations
    origin: str = ""  # the naming culture the person was drawn from, e.g. "ru_RU"

    @property
    def title(self) -> str:
        if self.gender is Gender.FEMALE:
            return "MRS"
        return "MR"


@record
class Airport:
    iata: str
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    zone: str
    latitude: float
    longitude: float
    schengen: bool


@record
class Airline:
    designator: str  # IATA two-character code
    name: str
    country: str  # ISO 3166-1 alpha-2


class Direction(StrEnum):
    INBOUND = "inbound"  # arriving in the PIU's country
    OUTBOUND = "outbound"  # departing from it


@record
class ScheduledFlight:
    """One flight on one day, as the schedule has it (times local to each airport)."""

    carrier: str
    number: str
    origin: str  # IATA code
    destination: str
    departure_local: datetime  # naive, local at the origin
    arrival_local: datetime  # naive, local at the destination
    duration: timedelta
    equipment: str
    seats: int
    direction: Direction
    schengen: bool  # both ends in the Schengen area (intra-Schengen flight)
    operating_carrier: str | None = None  # codeshare: who really flies it
    operating_number: str | None = None

    @property
    def designator(self) -> str:
        return f"{self.carrier}{self.number}"


class Variation(StrEnum):
    """How a planted watchlist person differs on the booking from the watchlist entry."""

    EXACT = "exact"
    SPELLING = "spelling"  # another romanisation, or a typing slip
    SWAPPED_ORDER = "swapped_order"  # surname and given name exchanged
    MISSING_MIDDLE = "missing_middle"  # a middle name left out
    DOB_DAY_MONTH_SWAPPED = "dob_day_month_swapped"
    DOB_YEAR_ONLY = "dob_year_only"  # the watchlist knows only the year
    NEW_PASSPORT = "new_passport"  # travels on a passport the list does not know


@record
class WatchlistEntry:
    """One row of a person watchlist (the CSV columns of the screening issue)."""

    entry_id: str
    name: str  # "SURNAME, Given Names" or "Given Names SURNAME" as the source writes it
    aliases: tuple[str, ...] = ()
    date_of_birth: str | None = None  # YYYY-MM-DD, YYYY-MM or YYYY
    nationality: str | None = None  # alpha-3
    document_numbers: tuple[str, ...] = ()
    category: str = "terrorism"  # or an Annex II serious-crime code


@record
class LostDocument:
    """One row of the document watchlist (lost and stolen travel documents)."""

    entry_id: str
    document_number: str
    document_type: str
    issuing_state: str  # alpha-3
    reported_on: date


@record
class QuirkRates:
    """How often generated deliveries show each real-world defect (0 = never, 1 = always)."""

    una_variant: float = 0.2  # unusual service characters, a truncated or missing UNA
    line_wrap: float = 0.2  # 69-column Type-B hard wraps
    bom: float = 0.02  # a UTF-8 byte-order mark in front
    transport_header: float = 0.05  # telex/MQ header lines before the interchange
    count_mismatch: float = 0.05  # UNT/UNZ counts that lie
    trailing_text: float = 0.01  # prose or a stray date after UNZ
    duplicate_delivery: float = 0.02  # the same message delivered twice
    out_of_order: float = 0.05  # parts of a split push delivered out of order
    broken: float = 0.002  # truly unreadable messages (recorded in the ground truth)


@record
class WorldParams:
    """Everything that decides a generated world; the same parameters and seed give the same bytes."""

    seed: int = 1
    days: int = 1
    scale: float = 0.001  # 1.0 is a large country's day: about 400,000 travellers in and out
    country: str = "DE"  # the PIU's country, ISO 3166-1 alpha-2
    start: date = date(2026, 11, 30)  # the first day of flights
    pnrgov_versions: tuple[str, ...] = ("11.1", "13.1", "15.1")
    xml_share: float = 0.1  # share of carriers that push PNRGOV XML instead of EDIFACT
    split_bookings: int = 150  # a push with more bookings than this is split into parts
    planted_targets: int = 12  # watchlist persons who travel
    networks: int = 4  # groups of bookings sharing a phone, e-mail, address or card
    broken_journeys: int = 4  # journeys split over separate bookings
    sensitive_rate: float = 0.03  # share of bookings carrying a sensitive item (meal, medical SSR)
    watchlist_filler: int = 2_000  # watchlist entries that are not travelling
    quirks: QuirkRates = QuirkRates()
    #: Share of booking travellers entered unlike their documents, as booking tools and agencies do: another
    #: spelling (or without middle names or a second surname), no DOCS at all (so no document and no date
    #: of birth), or another of the person's documents. API data keeps the passport as scanned. 0: none.
    identity_noise: float = 0.0
