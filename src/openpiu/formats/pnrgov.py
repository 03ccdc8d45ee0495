"""PNRGOV (EDIFACT) -> `PnrPush`: a table-driven group state machine over the tokenized message.

The same tag means different things at different depths (`reference/message-formats.md` 2.2): a TIF in
Gr.2 is a traveller, in Gr.7 a checked-in passenger, in Gr.11 a history item; a TVL at level 0 is the
pushed flight, in Gr.5 an itinerary segment, in Gr.9 a non-air item, in Gr.12 history. The parser keeps
the innermost open group as its state; `_TABLE[state][tag]` says, precomputed from the grammar below,
which group the segment belongs to (closing deeper groups, opening a new one, or opening a missing
trigger implicitly) and which handler reads it. Out-of-place and unknown segments become warnings (code,
segment number, offset, tag; never personal content) and parsing goes on.

Identity data found away from its traveller (DOCS at PNR or segment level, infant DOCS under the adult,
CTC items with a traveller reference) is collected per booking and linked when the booking is complete:
by traveller reference, else by the traveller it was found under, else by name. Nothing is dropped: an
item that cannot be linked stays on the booking's services, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpiu.formats.edifact import EdifactMessage, EdifactSegment, repair_run_together
from openpiu.formats.errors import ParseError
from openpiu.formats.text import (
    InfantInfo,
    card_fingerprint,
    clean,
    find_contacts_in_text,
    parse_amount,
    parse_contact,
    parse_ddmmyy,
    parse_doca,
    parse_doco,
    parse_docs,
    parse_hhmm,
    parse_inft,
    parse_yymmdd,
    small_int,
    split_title,
)
from openpiu.model import (
    Address,
    Baggage,
    BagTag,
    Booking,
    BookingOffice,
    CheckIn,
    Contact,
    ExcessBaggage,
    Flight,
    FrequentFlyer,
    HistoryEntry,
    Money,
    ParseWarning,
    PartialDate,
    Payment,
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
    utc,
)
from openpiu.model.airports import zone_of

__all__ = ["KNOWN_TAGS", "parse_pnrgov"]

# Used when a message carries no date at all to resolve two-digit years against (warned).
_FALLBACK_REFERENCE: Final = date(2030, 1, 1)
_MIDNIGHT: Final = time(0, 0)
_ONE_DAY: Final = timedelta(days=1)
_INFANT_TYPES: Final = frozenset({"IN", "INF", "INS", "I"})
_CHILD_TYPES: Final = frozenset({"C", "CH", "CHD", "CNN"})
_IDENTITY_SSRS: Final = frozenset({"DOCS", "DOCO", "DOCA", "FQTV", "INFT"})
_EMPTY8: Final = ("",) * 8
_BAG_UNITS: Final = {"700": "kg", "701": "lb", "K": "kg", "KG": "kg", "KGM": "kg", "L": "lb", "LB": "lb"}


# ---------------------------------------------------------------------------------------------------
# Mutable builders (frozen into model records once the message is read)


class _Pay:
    __slots__ = (
        "address",
        "amount",
        "card_hash",
        "expiry",
        "form",
        "last4",
        "name",
        "phone",
        "ref",
        "vendor",
    )

    def __init__(self, form: str, ref: str | None) -> None:
        self.form = form
        self.ref = ref
        self.vendor: str | None = None
        self.amount: Money | None = None
        self.card_hash: str | None = None
        self.last4: str | None = None
        self.expiry: str | None = None
        self.name: str | None = None
        self.address: str | None = None
        self.phone: str | None = None

    def freeze(self) -> Payment:
        return Payment(
            form=self.form,
            vendor=self.vendor,
            amount=self.amount,
            card_last4=self.last4,
            card_hash=self.card_hash,
            card_expiry=self.expiry,
            payer_name=self.name,
            payer_address=self.address,
            payer_phone=self.phone,
            traveller_ref=self.ref,
        )


class _Ticket:
    __slots__ = (
        "base",
        "booklets",
        "issued_on",
        "kind",
        "location",
        "non_refundable",
        "number",
        "payments",
        "ref",
        "taxes",
        "total",
        "validating",
    )

    def __init__(self, number: str | None, kind: str | None, booklets: int | None, ref: str | None) -> None:
        self.number = number
        self.kind = kind
        self.booklets = booklets
        self.ref = ref
        self.issued_on: date | None = None
        self.base: Money | None = None
        self.total: Money | None = None
        self.taxes: list[Tax] = []
        self.non_refundable = False
        self.validating: str | None = None
        self.location: str | None = None
        self.payments: list[_Pay] = []


class _Trav:
    __slots__ = (
        "addresses",
        "contacts",
        "documents",
        "excess",
        "fare_basis",
        "ffs",
        "flag",
        "given",
        "infant_of",
        "placeholder",
        "raw_name",
        "ref",
        "remarks",
        "services",
        "surname",
        "tickets",
        "title",
        "type",
        "unique_id",
    )

    def __init__(self, surname: str, given: str | None, title: str | None, ttype: TravellerType) -> None:
        self.surname = surname
        self.given = given
        self.title = title
        self.type = ttype
        self.ref: str | None = None
        self.placeholder = False
        self.flag = False
        self.infant_of: str | None = None
        self.unique_id: str | None = None
        self.raw_name: str | None = None
        self.documents: list[TravelDocument] = []
        self.contacts: list[Contact] = []
        self.addresses: list[Address] = []
        self.ffs: list[FrequentFlyer] = []
        self.services: list[ServiceItem] = []
        self.remarks: list[Remark] = []
        self.tickets: list[_Ticket] = []
        self.fare_basis: list[str] = []
        self.excess: list[ExcessBaggage] = []


class _CheckInGroup:
    __slots__ = ("agent", "at", "text")

    def __init__(self) -> None:
        self.at: datetime | None = None
        self.text: str | None = None
        self.agent: str | None = None


class _CheckIn:
    __slots__ = ("baggage", "cabin", "given", "group", "ref", "seat", "sequence", "surname")

    def __init__(self, group: _CheckInGroup, sequence: str | None, ref: str | None) -> None:
        self.group = group
        self.sequence = sequence
        self.ref = ref
        self.surname: str | None = None
        self.given: str | None = None
        self.seat: str | None = None
        self.cabin: str | None = None
        self.baggage: Baggage | None = None


class _Seg:
    __slots__ = (
        "booking_class",
        "check_ins",
        "equipment",
        "flight",
        "locators",
        "non_air_kind",
        "open",
        "party_size",
        "remarks",
        "seats",
        "services",
        "status",
    )

    def __init__(self, flight: Flight | None, booking_class: str | None, is_open: bool) -> None:
        self.flight = flight
        self.booking_class = booking_class
        self.open = is_open
        self.status: str | None = None
        self.party_size: int | None = None
        self.equipment: str | None = None
        self.non_air_kind: str | None = None
        self.locators: list[RecordLocator] = []
        self.services: list[ServiceItem] = []
        self.seats: list[Seat] = []
        self.check_ins: list[_CheckIn] = []
        self.remarks: list[Remark] = []


class _Abi:
    __slots__ = ("at", "items", "who")

    def __init__(self, who: str | None) -> None:
        self.who = who
        self.at: datetime | None = None
        self.items: list[tuple[str | None, str, str]] = []  # (action, item, text)


class _Pending(NamedTuple):
    """An identity item waiting for its traveller: linked when the booking is complete."""

    kind: str  # DOCS, DOCO, DOCA, CONTACT, FQTV, INFT
    record: object
    ref: str | None
    context: _Trav | None
    segment: EdifactSegment


class _Book:
    __slots__ = (
        "addresses",
        "cancelled",
        "contacts",
        "created_at",
        "excess",
        "group_name",
        "history",
        "last_changed",
        "locators",
        "office",
        "payments",
        "pending",
        "remarks",
        "segments",
        "services",
        "split_count",
        "split_locators",
        "src",
        "ticketed",
        "travellers",
    )

    def __init__(self, src: EdifactSegment) -> None:
        self.src = src
        self.locators: list[RecordLocator] = []
        self.created_at: datetime | None = None
        self.last_changed: datetime | None = None
        self.ticketed: datetime | None = None
        self.office: BookingOffice | None = None
        self.group_name: str | None = None
        self.travellers: list[_Trav] = []
        self.segments: list[_Seg] = []
        self.contacts: list[Contact] = []
        self.addresses: list[Address] = []
        self.payments: list[_Pay] = []
        self.services: list[ServiceItem] = []
        self.remarks: list[Remark] = []
        self.excess: list[ExcessBaggage] = []
        self.split_count: int | None = None
        self.split_locators: list[RecordLocator] = []
        self.history: list[_Abi | HistoryEntry] = []
        self.cancelled = False
        self.pending: list[_Pending] = []


# ---------------------------------------------------------------------------------------------------
# Small readers


def _int(text: str) -> int | None:
    return _whole(text.strip())


def _whole(text: str) -> int | None:
    """The number `text` spells in digits; None when it is not one, or not one `int` reads."""
    if not text.isdigit():
        return None
    try:
        return int(text)
    except ValueError:  # digits int() does not read (superscripts), or more than it converts (4,300)
        return None


def _opt(text: str) -> str | None:
    return text or None


def _key(text: str | None) -> str:
    """Name comparison key: upper case, no spaces (PDF copies inject them: `PA RK`)."""
    return "".join(text.split()).upper() if text else ""


def _first_key(text: str | None) -> str:
    return _key(text.split()[0]) if text and text.split() else ""


def _office(seg: EdifactSegment) -> BookingOffice:
    g = seg.get
    return BookingOffice(
        system=_opt(g(0, 0)),
        location=_opt(g(0, 1)),
        iata_number=_opt(g(1, 0)),
        office_id=_opt(g(1, 1)),
        agent_type=_opt(g(4, 0)),
        country=_opt(g(5, 0)),
        currency=_opt(g(5, 1)),
        agent_sign=_opt(g(6, 0)),
    )


def _is_seat(text: str) -> bool:
    """`36K`, `011D`, `1A`: digits then one letter."""
    return 2 <= len(text) <= 4 and text[-1].isalpha() and text[:-1].isdigit()


@lru_cache(maxsize=8192)
def _scheduled(airport: str | None, local: datetime, time_known: bool) -> ScheduledTime:
    if airport and airport not in _ZONES:
        _hold_zone(airport)
    return ScheduledTime.at(airport, local, time_known=time_known)


# ZoneInfo keeps a zone loaded only while something references it (and the last eight used): hold the
# zone of every airport met, or each new schedule time at an airport reads its zone file again (~40 us).
_ZONES: dict[str, ZoneInfo | None] = {}


def _hold_zone(airport: str) -> None:
    if len(_ZONES) > 20_000:  # airport codes come from the input: stay bounded whatever is sent
        _ZONES.clear()
    zone = zone_of(airport)
    try:
        _ZONES[airport] = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        _ZONES[airport] = None  # ScheduledTime.at decides what an unknown zone means


def _bag_weight(text: str) -> int | None:
    whole = small_int(text, 6)
    if whole is not None:
        return whole
    try:
        return round(float(text.strip()[:12]))
    except (ValueError, OverflowError):  # not a number, or nan/inf
        return None


# ---------------------------------------------------------------------------------------------------
# The parser


Handler = Callable[["_Parser", EdifactSegment], None]


class _Parser:
    def __init__(self, message: EdifactMessage, card_key: bytes | None, received_on: date | None) -> None:
        self.received_on = received_on
        self.message = message
        self.card_key = card_key
        chars = message.chars
        self.decimal = chars.decimal
        self.csep = chars.component
        self.esep = chars.element
        self.warnings: list[ParseWarning] = []
        self.ref_date: date | None = message.prepared_at.date() if message.prepared_at else None
        self.function: str | None = None
        self.flight: Flight | None = None
        self.sender: BookingOffice | None = None
        self.declared: int | None = None
        self.bookings: list[_Book] = []
        self.b: _Book | None = None
        self.t: _Trav | None = None
        self.tk: _Ticket | None = None
        self.pay: _Pay | None = None
        self.seg: _Seg | None = None
        self.cig: _CheckInGroup | None = None
        self.ci: _CheckIn | None = None
        self.abi: _Abi | None = None
        self.action: str | None = None
        self._dates: dict[str, date | None] = {}
        self._clocks: dict[str, time | None] = {}
        self._amounts: dict[str, Decimal | None] = {}
        self._names: dict[str, tuple[str | None, str | None]] = {}
        self._docs: dict[tuple[str, str | None], TravelDocument] = {}
        # Per-message memos of whole readings: the same flight, RCI and stamps recur in every booking.
        self._tvls: dict[tuple[tuple[str, ...], ...], tuple[Flight | None, str | None, bool]] = {}
        self._stamps: dict[tuple[str, str], datetime | None] = {}
        self._rcis: dict[tuple[tuple[str, ...], ...], tuple[RecordLocator, ...]] = {}
        self._money: dict[tuple[str, str], Money | None] = {}
        self._doc_days: dict[str, date] = {}
        self._fallback_warned = False

    # -- warnings and dates ----------------------------------------------------------------------

    def warn(self, code: str, text: str, seg: EdifactSegment) -> None:
        self.warnings.append(ParseWarning(code, text, segment=seg.number, offset=seg.offset, tag=seg.tag))

    def reference(self, seg: EdifactSegment) -> date:
        if self.ref_date is not None:
            return self.ref_date
        if not self._fallback_warned:
            self._fallback_warned = True
            self.warn(
                "no-reference-date",
                "no message date: two-digit years resolved against the date received"
                if self.received_on
                else "no message date to resolve two-digit years against; assumed a recent century",
                seg,
            )
        return self.received_on or _FALLBACK_REFERENCE

    def ddmmyy(self, text: str) -> date | None:
        """A DDMMYY date; the first one read becomes the reference date when the message had none."""
        cache = self._dates
        if text in cache:
            return cache[text]
        value = parse_ddmmyy(text, reference=self.ref_date)
        if value is not None and self.ref_date is None:
            self.ref_date = value
        cache[text] = value
        return value

    def clock(self, text: str) -> time | None:
        cache = self._clocks
        if text in cache:
            return cache[text]
        value = cache[text] = parse_hhmm(text)
        return value

    def amount(self, text: str) -> Decimal | None:
        cache = self._amounts
        if text in cache:
            return cache[text]
        value = cache[text] = parse_amount(text, self.decimal)
        return value

    def title_split(self, given: str) -> tuple[str | None, str | None]:
        cache = self._names
        found = cache.get(given)
        if found is None:
            found = cache[given] = split_title(given)
        return found

    def stamp(self, day: str, clock: str) -> datetime | None:
        """A UTC instant from DDMMYY + HHMM (DAT, RCI)."""
        key = (day, clock)
        cache = self._stamps
        if key in cache:
            return cache[key]
        d = self.ddmmyy(day) if day else None
        if d is None:
            value = None
        else:
            t = self.clock(clock) if clock else None
            value = utc(datetime.combine(d, t or _MIDNIGHT))
        cache[key] = value
        return value

    def flight_date(self, text: str, seg: EdifactSegment) -> date | None:
        """A TVL date: DDMMYY, repaired when the sender wrote YYMMDD (warned)."""
        value = self.ddmmyy(text)
        ref = self.ref_date
        if value is not None and (ref is None or abs((value - ref).days) <= 400):
            return value
        alt = parse_yymmdd(text, reference=ref)
        if alt is not None and (value is None or (ref is not None and abs((alt - ref).days) <= 400)):
            self.warn("date-order", "date is not DDMMYY; read it as YYMMDD", seg)
            return alt
        if value is None:
            self.warn("bad-date", "unreadable date", seg)
        return value

    def text_of(self, seg: EdifactSegment, start: int) -> str:
        """Free text of elements `start`.. as sent (separators restored), lines joined by a space."""
        comp = self.csep
        lines = [comp.join(el).strip() for el in seg.elements[start:]]
        return " ".join(line for line in lines if line)

    # -- level 0 -----------------------------------------------------------------------------------

    def l0_msg(self, seg: EdifactSegment) -> None:
        function = seg.get(0, 1) or seg.get(0, 0)
        self.function = function or None

    def l0_org(self, seg: EdifactSegment) -> None:
        self.sender = _office(seg)

    def l0_tvl(self, seg: EdifactSegment) -> None:
        if self.flight is not None:
            self.warn("repeated-flight", "second pushed-flight TVL at level 0 ignored", seg)
            return
        flight, _cls, _open = self.read_tvl(seg)
        self.flight = flight

    def l0_eqn(self, seg: EdifactSegment) -> None:
        self.declared = _int(seg.get(0))

    # -- TVL -------------------------------------------------------------------------------------

    def read_tvl(self, seg: EdifactSegment) -> tuple[Flight | None, str | None, bool]:
        """(flight, booking class, open) from a TVL, read once per message for each distinct TVL."""
        cache = self._tvls
        found = cache.get(seg.elements)
        if found is None:
            warned = len(self.warnings)
            found = self._read_tvl(seg)
            if len(self.warnings) == warned:  # a reading that warned is repeated, to warn again
                cache[seg.elements] = found
        return found

    def _read_tvl(self, seg: EdifactSegment) -> tuple[Flight | None, str | None, bool]:
        """(flight, booking class, open) from a TVL with local times at its airports."""
        g = seg.get
        when = seg.el(0)
        origin = g(1) or None
        destination = g(2) or None
        carrier = g(3, 0)
        number = g(4, 0)
        cls = g(4, 1) or None
        dep_day = when[0].strip() if when else ""
        dep_clock = when[1].strip() if len(when) > 1 else ""
        arr_day = when[2].strip() if len(when) > 2 else ""
        arr_clock = when[3].strip() if len(when) > 3 else ""
        if len(when) == 3 and len(arr_day) in (3, 4) and arr_day.isdigit():
            arr_day, arr_clock = "", arr_day  # `280918:1220:1505`: the third component is a time
        departure = arrival = None
        d = self.flight_date(dep_day, seg) if dep_day else None
        dt = self.clock(dep_clock) if dep_clock else None
        if d is not None:
            departure = _scheduled(origin, datetime.combine(d, dt or _MIDNIGHT), dt is not None)
        at = self.clock(arr_clock) if arr_clock else None
        ad = self.flight_date(arr_day, seg) if arr_day else None
        if ad is None and d is not None and at is not None:
            ad = d + _ONE_DAY if dt is not None and at < dt else d
        elif ad is not None and d is not None and not -1 <= (ad - d).days <= 3:
            alt = parse_yymmdd(arr_day, reference=self.ref_date)
            if alt is not None and -1 <= (alt - d).days <= 3:
                self.warn("date-order", "arrival date is not DDMMYY; read it as YYMMDD", seg)
                ad = alt
            else:
                self.warn("arrival-date", "arrival date far from the departure date", seg)
        if ad is not None:
            arrival = _scheduled(destination, datetime.combine(ad, at or _MIDNIGHT), at is not None)
        upper = number.upper()
        if upper in ("OPEN", "ARNK") or carrier.upper() in ("OPEN", "ARNK"):
            return None, cls, True
        if not carrier and not number:
            return None, cls, True
        flight = Flight(
            carrier=carrier,
            number=number,
            origin=origin,
            destination=destination,
            departure=departure,
            arrival=arrival,
            operating_carrier=g(3, 1) or None,
        )
        return flight, cls, False

    # -- Gr.1 booking ------------------------------------------------------------------------------

    def open_booking(self, seg: EdifactSegment) -> None:
        self.b = _Book(seg)
        self.bookings.append(self.b)
        self.t = self.tk = None
        self.pay = None
        self.seg = None
        self.cig = self.ci = None
        self.abi = None

    def book(self, seg: EdifactSegment) -> _Book:
        b = self.b
        if b is None:  # a booking segment before any SRC: open one (implicit trigger)
            self.warn("no-src", "booking data without SRC; opened a booking", seg)
            self.open_booking(seg)
            b = self.b
            assert b is not None
        return b

    def locators(self, seg: EdifactSegment) -> tuple[RecordLocator, ...]:
        """The locators of an RCI, read once per message for each distinct RCI."""
        cache = self._rcis
        found = cache.get(seg.elements)
        if found is None:
            warned = len(self.warnings)
            found = tuple(self._locators(seg))
            if len(self.warnings) == warned:  # a reading that warned is repeated, to warn again
                cache[seg.elements] = found
        return found

    def _locators(self, seg: EdifactSegment) -> list[RecordLocator]:
        out: list[RecordLocator] = []
        warned = False
        for el in seg.elements:
            n = len(el)
            system = el[0].strip() if n else ""
            locator = el[1].strip() if n > 1 else ""
            kind = el[2].strip() if n > 2 else ""
            day = el[3].strip() if n > 3 else ""
            clock = el[4].strip() if n > 4 else ""
            if len(kind) == 6 and kind.isdigit() and (not day or len(day) != 6):
                # `RCI+AY:168DD7:190118:2240`: the date sits in the type slot, the time after it
                day, clock, kind = kind, day or clock, ""
                if not warned:
                    warned = True
                    self.warn("rci-date-position", "RCI date in the type component; read it as the date", seg)
            if not locator and not system:
                continue
            created = self.stamp(day, clock) if day else None
            out.append(
                RecordLocator(locator=locator, system=system or None, kind=kind or None, created_at=created)
            )
        return out

    def g1_rci(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        found = self.locators(seg)
        b.locators.extend(found)
        if b.created_at is None:
            for loc in found:
                if loc.created_at is not None:
                    b.created_at = loc.created_at
                    break

    def g1_dat(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        for el in seg.elements:
            if not el:
                continue
            qualifier = el[0].strip()
            when = self.stamp(el[1].strip() if len(el) > 1 else "", el[2].strip() if len(el) > 2 else "")
            if qualifier == "700":
                b.last_changed = when
            elif qualifier == "710":
                b.ticketed = when

    def g1_org(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        if not any(c.strip() for el in seg.elements for c in el):
            if self.function == "141":
                b.cancelled = True
            return
        b.office = _office(seg)

    def address(self, seg: EdifactSegment, ref: str | None) -> tuple[Address | None, tuple[Contact, ...]]:
        el = seg.el(1)
        n = len(el)

        def c(i: int) -> str | None:
            return (el[i].strip() or None) if i < n else None

        phone = c(7)
        contacts: tuple[Contact, ...] = ()
        if phone:
            if "CTC" in phone.upper():
                contacts = find_contacts_in_text(phone, traveller_ref=ref, source="ADD")
            else:
                found = parse_contact("CTCP", phone, traveller_ref=ref, source="ADD")
                contacts = (found,) if found is not None else ()
        street, city, state, country, postcode = c(1), c(2), c(3), c(5), c(6)
        if not (street or city or state or country or postcode or phone):
            return None, contacts
        return (
            Address(
                purpose=c(0),
                street=street,
                city=city,
                state=state,
                postcode=postcode,
                country=country,
                phone=phone,
                traveller_ref=ref,
                source="ADD",
            ),
            contacts,
        )

    def g1_add(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        addr, contacts = self.address(seg, None)
        if addr is not None:
            b.addresses.append(addr)
        b.contacts.extend(contacts)

    def remark(self, seg: EdifactSegment, ref: str | None) -> tuple[Remark | None, tuple[Contact, ...]]:
        text = self.text_of(seg, 1)
        if not text:
            return None, ()
        g = seg.get
        contacts = find_contacts_in_text(text, traveller_ref=ref, source="IFT") if "CTC" in text else ()
        return Remark(text, _opt(g(0, 0)), _opt(g(0, 1)), _opt(g(0, 3)), ref), contacts

    def payer(self, seg: EdifactSegment, pay: _Pay) -> None:
        pay.name = clean(self.csep.join(seg.el(1))) or pay.name
        pay.address = clean(self.csep.join(seg.el(2))) or pay.address
        phone = self.text_of(seg, 3)
        pay.phone = clean(phone) or pay.phone

    def g1_ift(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        if seg.get(0, 1) == "43" and b.payments and b.payments[-1].name is None:
            self.payer(seg, b.payments[-1])
            return
        rem, contacts = self.remark(seg, None)
        if rem is not None:
            b.remarks.append(rem)
        b.contacts.extend(contacts)

    def excess(self, seg: EdifactSegment, ref: str | None) -> ExcessBaggage:
        amount = self.amount(seg.get(0, 1))
        return ExcessBaggage(
            amount=Money(amount, seg.get(0, 0) or None) if amount is not None else None,
            pieces=_int(seg.get(1, 0)),
            unit=seg.get(1, 2) or None,
            traveller_ref=ref,
        )

    def g1_ebd(self, seg: EdifactSegment) -> None:
        self.book(seg).excess.append(self.excess(seg, None))

    def g1_lts(self, seg: EdifactSegment) -> None:
        text = self.esep.join(self.csep.join(el) for el in seg.elements).strip()
        self.book(seg).history.append(HistoryEntry(source="LTS", text=text or None))

    # -- SSR ---------------------------------------------------------------------------------------

    def ssr(
        self, seg: EdifactSegment, context: _Trav | None
    ) -> tuple[list[ServiceItem], list[tuple[str, str | None]]]:
        """The service items of an SSR (one per seat element for seat SSRs) and its (seat, ref) pairs."""
        els = seg.elements
        el = els[0] if els else ()
        n = len(el)
        # code:status:quantity:carrier:::board:off:text, absent components read as ""
        code, status, qty, carrier, _, _, board, off = el[:8] if n >= 8 else (*el, *_EMPTY8[n:])
        code = code.strip().upper()
        status = status.strip()
        qty = qty.strip()
        carrier = carrier.strip()
        board = board.strip()
        off = off.strip()
        text = (self.csep.join(el[8:]) if n > 9 else el[8]) if n > 8 else ""
        ref: str | None = None
        seats: list[tuple[str, str | None]] = []
        for other in els[1:]:
            m = len(other)
            seat = other[0].strip() if m else ""
            r = other[2].strip() if m > 2 else ""
            if r and ref is None:
                ref = r
            if seat and _is_seat(seat.lstrip("0") or seat):
                seats.append((seat, r or None))
        if ref is None and context is not None:
            ref = context.ref
        fields = (
            code or None,
            status or None,
            _whole(qty),
            carrier or None,
            board or None,
            off or None,
            text.strip() or None,
        )
        if not seats:
            return [ServiceItem("SSR", *fields, traveller_ref=ref)], seats
        return [ServiceItem("SSR", *fields, traveller_ref=r or ref, seat=s) for s, r in seats], seats

    def identity(self, seg: EdifactSegment, item: ServiceItem, context: _Trav | None, b: _Book) -> None:
        """Queue the identity data of an SSR for linking to its traveller."""
        code = item.code or ""
        text = item.text or ""
        ref = item.traveller_ref
        explicit = seg.get(1, 2) or None
        if code == "DOCS":
            b.pending.append(_Pending("DOCS", self.docs(text, ref, seg), explicit, context, seg))
        elif code == "DOCO":
            doc = parse_doco(text, reference=self.reference(seg), traveller_ref=ref)
            b.pending.append(_Pending("DOCO", doc, explicit, context, seg))
        elif code == "DOCA":
            b.pending.append(_Pending("DOCA", parse_doca(text, traveller_ref=ref), explicit, context, seg))
        elif code.startswith("CTC"):
            contact = parse_contact(code, text, traveller_ref=ref)
            if contact is not None:
                b.pending.append(_Pending("CONTACT", contact, explicit, context, seg))
        elif code == "FQTV":
            ff = _fqtv(text, item.carrier, ref)
            if ff is not None:
                b.pending.append(_Pending("FQTV", ff, explicit, context, seg))
        elif code == "INFT":
            info = parse_inft(text, reference=self.reference(seg))
            if info is not None:
                b.pending.append(_Pending("INFT", info, explicit, context, seg))

    def docs(self, text: str, ref: str | None, seg: EdifactSegment) -> TravelDocument:
        """A DOCS read once per text and traveller, against the reference date of its first reading."""
        doc = self._docs.get((text, ref))
        if doc is None:
            day = self._doc_days.get(text)
            if day is None:
                day = self._doc_days[text] = self.reference(seg)
            doc = self._docs[text, ref] = parse_docs(text, reference=day, traveller_ref=ref)
        return doc

    def g1_ssr(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        items, _ = self.ssr(seg, None)
        b.services.extend(items)
        code = items[0].code or ""
        if code in _IDENTITY_SSRS or code.startswith("CTC"):
            self.identity(seg, items[0], None, b)

    # -- Gr.2 traveller ----------------------------------------------------------------------------

    def open_traveller(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        self.tk = None
        self.pay = None
        surname = seg.get(0, 0)
        if seg.get(0, 1).upper() == "G":
            self.t = None  # a group-name record, not a person
            if b.group_name is None:
                b.group_name = clean(surname)
            else:
                self.warn("group-name-repeated", "second group-name record in the booking ignored", seg)
            return
        el = seg.el(1)
        n = len(el)
        raw_given = el[0].strip() if n else ""
        ttype = el[1].strip().upper() if n > 1 else ""
        ref = el[2].strip() if n > 2 else ""
        given, title = self.title_split(raw_given) if raw_given else (None, None)
        if ttype in _INFANT_TYPES:
            kind = TravellerType.INFANT
        elif ttype in _CHILD_TYPES:
            kind = TravellerType.CHILD
        else:
            kind = TravellerType.ADULT
        t = _Trav(clean(surname) or surname, given, title, kind)
        t.ref = ref or None
        t.flag = n > 3 and el[3].strip() == "1"
        t.placeholder = _key(surname) == "TBA"
        t.raw_name = f"{surname}/{raw_given}" if raw_given else surname
        if len(seg.elements) > 2:
            self.warn("tif-extra", "TIF with more than one given-name element: read the first", seg)
        b.travellers.append(t)
        self.t = t

    def g2_fti(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is None:
            return
        for el in seg.elements:  # one element per programme: `FTI+LH:123+UA:456`
            n = len(el)
            number = el[1].strip() if n > 1 else ""
            if number and not any(f.number == number for f in t.ffs):
                carrier = el[0].strip() or None
                tier = (el[4].strip() or None) if n > 4 else None
                t.ffs.append(FrequentFlyer(carrier, number, tier, t.ref))

    def g2_ift(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is None:
            self.g1_ift(seg)
            return
        rem, contacts = self.remark(seg, t.ref)
        if rem is not None:
            t.remarks.append(rem)
        t.contacts.extend(contacts)

    def g2_ref(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is not None:
            t.unique_id = seg.get(0, 1) or seg.get(0, 0) or t.unique_id

    def g2_ebd(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is None:
            self.g1_ebd(seg)
        else:
            t.excess.append(self.excess(seg, t.ref))

    def g2_far(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is None:
            return
        basis = seg.get(5)
        if basis and basis not in t.fare_basis:
            t.fare_basis.append(basis)

    def g2_ssr(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is None:
            self.g1_ssr(seg)
            return
        b = self.book(seg)
        items, _ = self.ssr(seg, t)
        t.services.extend(items)
        code = items[0].code or ""
        if code in _IDENTITY_SSRS or code.startswith("CTC"):
            self.identity(seg, items[0], t, b)

    def g2_add(self, seg: EdifactSegment) -> None:
        t = self.t
        if t is None:
            self.g1_add(seg)
            return
        addr, contacts = self.address(seg, t.ref)
        if addr is not None:
            t.addresses.append(addr)
        t.contacts.extend(contacts)

    # -- Gr.3/4 ticket and payment -----------------------------------------------------------------

    def open_ticket(self, seg: EdifactSegment) -> None:
        t = self.t
        self.pay = None
        el = seg.el(0)
        n = len(el)
        number = el[0].strip() if n else ""
        kind = el[1].strip() if n > 1 else ""
        booklets = _int(el[2]) if n > 2 else None
        tk = _Ticket(number or None, kind or None, booklets, t.ref if t else None)
        self.tk = tk
        if t is None:
            self.warn("ticket-without-traveller", "ticket outside a traveller group", seg)
        else:
            t.tickets.append(tk)

    def money(self, amount: str, currency: str) -> Money | None:
        key = (amount, currency)
        cache = self._money
        if key in cache:
            return cache[key]
        value = self.amount(amount)
        found = cache[key] = Money(value, currency or None) if value is not None else None
        return found

    def g3_mon(self, seg: EdifactSegment) -> None:
        tk = self.tk
        if tk is None:
            return
        for el in seg.elements:
            n = len(el)
            if n < 2:
                continue
            money = self.money(el[1], el[2].strip() if n > 2 else "")
            q = el[0].strip()
            if q == "B":
                tk.base = money
            elif q == "T":
                tk.total = money

    def g3_ptk(self, seg: EdifactSegment) -> None:
        tk = self.tk
        if tk is None:
            return
        tk.non_refundable = seg.get(0) == "NR" or tk.non_refundable
        tk.validating = seg.get(3) or tk.validating
        tk.location = seg.get(5) or tk.location

    def g3_txd(self, seg: EdifactSegment) -> None:
        tk = self.tk
        if tk is None:
            return
        for el in seg.elements[1:]:
            n = len(el)
            money = self.money(el[0], el[2].strip() if n > 2 else "") if n else None
            if money is not None:
                tk.taxes.append(Tax(money, (el[3].strip() or None) if n > 3 else None))

    def g3_dat(self, seg: EdifactSegment) -> None:
        tk = self.tk
        if tk is None:
            self.g1_dat(seg)
            return
        for el in seg.elements:
            if len(el) > 1 and el[0].strip() == "710":
                tk.issued_on = self.ddmmyy(el[1].strip())

    def g3_ift(self, seg: EdifactSegment) -> None:
        # IFTs inside the ticket group (grammar drift): the traveller's remarks
        self.g2_ift(seg)

    def open_payment(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        el = seg.el(0)
        n = len(el)
        t = self.t
        pay = _Pay(el[0].strip() if n else "", t.ref if t else None)
        if n > 2 and el[2].strip():
            currency = self.tk.total.currency if self.tk and self.tk.total else None
            value = self.amount(el[2])
            pay.amount = Money(value, currency) if value is not None else None
        pay.vendor = (el[3].strip() or None) if n > 3 else None
        if n > 4 and el[4].strip():
            pay.card_hash, pay.last4 = card_fingerprint(el[4].strip(), self.card_key)
        pay.expiry = (el[5].strip() or None) if n > 5 else None
        self.pay = pay
        b.payments.append(pay)
        if self.tk is not None:
            self.tk.payments.append(pay)

    def g4_ift(self, seg: EdifactSegment) -> None:
        pay = self.pay
        if pay is not None and seg.get(0, 1) == "43":
            self.payer(seg, pay)
        else:
            self.g2_ift(seg)

    def g4_add(self, seg: EdifactSegment) -> None:
        pay = self.pay
        addr, contacts = self.address(seg, self.t.ref if self.t else None)
        if pay is not None and addr is not None:
            parts = (addr.street, addr.city, addr.state, addr.postcode, addr.country)
            pay.address = pay.address or " ".join(p for p in parts if p) or None
            pay.phone = pay.phone or addr.phone
        self.book(seg).contacts.extend(contacts)

    # -- Gr.5 segment ------------------------------------------------------------------------------

    def open_segment(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        self.t = self.tk = None
        self.pay = None
        self.cig = self.ci = None
        flight, cls, is_open = self.read_tvl(seg)
        s = _Seg(flight, cls, is_open)
        b.segments.append(s)
        self.seg = s

    def tvl_in_segment(self, seg: EdifactSegment) -> None:
        """A TVL inside Gr.5-7: the operating flight (`TVL+++++972:M`) or the next segment."""
        s = self.seg
        if s is not None and not seg.get(0) and not seg.get(1) and not seg.get(2) and seg.get(4):
            self.cig = self.ci = None
            f = s.flight
            if f is None:
                self.warn("operating-without-flight", "operating-flight TVL without a marketing flight", seg)
                return
            s.flight = replace(
                f, operating_carrier=seg.get(3) or f.operating_carrier, operating_number=seg.get(4)
            )
            return
        self.open_segment(seg)

    def g5_tra(self, seg: EdifactSegment) -> None:
        s = self.seg
        if s is None or s.flight is None:
            self.warn("operating-without-flight", "TRA without a marketing flight", seg)
            return
        s.flight = replace(
            s.flight, operating_carrier=seg.get(0) or None, operating_number=seg.get(1) or None
        )

    def g5_rpi(self, seg: EdifactSegment) -> None:
        s = self.seg
        if s is not None:
            s.party_size = _int(seg.get(0))
            s.status = seg.get(1) or None

    def g5_apd(self, seg: EdifactSegment) -> None:
        s = self.seg
        if s is not None:
            s.equipment = seg.get(0) or None

    def g5_ssr(self, seg: EdifactSegment) -> None:
        s = self.seg
        b = self.book(seg)
        items, seats = self.ssr(seg, None)
        if s is None:
            b.services.extend(items)
        else:
            s.services.extend(items)
            if seats:
                source = f"SSR {items[0].code}" if items[0].code else "SSR"
                default = items[0].traveller_ref
                s.seats.extend(Seat(number, None, r or default, source) for number, r in seats)
        code = items[0].code or ""
        if code in _IDENTITY_SSRS or code.startswith("CTC"):
            self.identity(seg, items[0], None, b)

    def g5_rci(self, seg: EdifactSegment) -> None:
        s = self.seg
        if s is not None:
            s.locators.extend(self.locators(seg))

    def g5_ift(self, seg: EdifactSegment) -> None:
        s = self.seg
        rem, contacts = self.remark(seg, None)
        if rem is not None:
            if s is not None:
                s.remarks.append(rem)
            else:
                self.book(seg).remarks.append(rem)
        if contacts:
            self.book(seg).contacts.extend(contacts)

    # -- Gr.6/7 check-in ---------------------------------------------------------------------------

    def open_checkin_group(self, seg: EdifactSegment) -> None:
        self.cig = cig = _CheckInGroup()
        self.ci = None
        for el in seg.elements:
            if not el:
                continue
            q = el[0].strip()
            if q == "2":
                cig.at = self.stamp(
                    el[1].strip() if len(el) > 1 else "", el[2].strip() if len(el) > 2 else ""
                )
            elif q == "3":
                cig.text = clean(self.csep.join(el[1:]))

    def implicit_checkin_group(self, seg: EdifactSegment) -> None:
        self.cig = _CheckInGroup()
        self.ci = None

    def g6_org(self, seg: EdifactSegment) -> None:
        cig = self.cig
        if cig is not None:
            cig.agent = " ".join(c.strip() for c in seg.el(0) if c.strip()) or None

    def open_checkin(self, seg: EdifactSegment) -> None:
        cig = self.cig
        if cig is None:
            cig = self.cig = _CheckInGroup()
        ci = _CheckIn(cig, seg.get(1, 0) or None, seg.get(1, 3) or None)
        self.ci = ci
        s = self.seg
        if s is not None:
            s.check_ins.append(ci)
        else:
            self.warn("checkin-without-segment", "check-in outside an itinerary segment", seg)

    def implicit_checkin(self, seg: EdifactSegment) -> None:
        cig = self.cig
        if cig is None:
            cig = self.cig = _CheckInGroup()
        ci = _CheckIn(cig, None, None)
        self.ci = ci
        if self.seg is not None:
            self.seg.check_ins.append(ci)

    def g7_tif(self, seg: EdifactSegment) -> None:
        ci = self.ci
        if ci is None:
            return
        ci.surname = clean(seg.get(0, 0))
        el = seg.el(1)
        n = len(el)
        raw_given = el[0].strip() if n else ""
        ci.given = self.title_split(raw_given)[0] if raw_given else None
        if ci.ref is None and n > 2:
            ci.ref = el[2].strip() or None

    def g7_ssd(self, seg: EdifactSegment) -> None:
        ci = self.ci
        if ci is not None:
            els = seg.elements
            n = len(els)
            ci.seat = (els[0][0].strip() or None) if n and els[0] else None
            ci.cabin = (els[4][0].strip() or None) if n > 4 and els[4] else None

    def baggage(self, seg: EdifactSegment, ref: str | None) -> Baggage:
        g = seg.get
        tags: list[BagTag] = []
        for el in seg.elements[4:]:
            n = len(el)
            tag = el[1].strip() if n > 1 else ""
            if not tag:
                continue
            tags.append(
                BagTag(
                    tag=tag,
                    carrier=el[0].strip() or None,
                    consecutive=_int(el[2]) if n > 2 else None,
                    destination=(el[3].strip() or None) if n > 3 else None,
                )
            )
        amounts = seg.el(1)
        n = len(amounts)
        unit = amounts[2].strip() if n > 2 else ""
        weight = amounts[1].strip() if n > 1 else ""
        return Baggage(
            count=_int(amounts[0]) if n else None,
            weight=_bag_weight(weight) if weight else None,
            unit=_BAG_UNITS.get(unit.upper(), unit or None) if unit else None,
            pool=g(3, 0) or None,
            pool_ref=g(3, 1) or None,
            tags=tuple(tags),
            traveller_ref=ref,
        )

    def g7_tbd(self, seg: EdifactSegment) -> None:
        ci = self.ci
        if ci is not None:
            ci.baggage = self.baggage(seg, ci.ref)

    # -- Gr.8 split, Gr.9 non-air ------------------------------------------------------------------

    def open_split(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        self.t = self.tk = None
        self.seg = None
        b.split_count = _int(seg.get(0))

    def g8_rci(self, seg: EdifactSegment) -> None:
        self.book(seg).split_locators.extend(self.locators(seg))

    def open_non_air(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        self.t = self.tk = None
        s = _Seg(None, None, False)
        s.non_air_kind = seg.get(0, 0) or seg.get(0, 1) or None
        b.segments.append(s)
        self.seg = s

    def g9_tvl(self, seg: EdifactSegment) -> None:
        s = self.seg
        if s is not None:
            s.remarks.append(Remark(seg.raw[4:], kind="TVL"))

    # -- Gr.10-12 history --------------------------------------------------------------------------

    def open_history(self, seg: EdifactSegment) -> None:
        b = self.book(seg)
        self.t = self.tk = None
        self.seg = None
        self.cig = self.ci = None
        parts = [c.strip() for el in seg.elements[1:] for c in el if c.strip()]
        self.abi = _Abi(" ".join(parts) or None)
        self.action = None
        b.history.append(self.abi)

    def g10_dat(self, seg: EdifactSegment) -> None:
        abi = self.abi
        if abi is None:
            return
        for el in seg.elements:
            if len(el) > 1:
                abi.at = self.stamp(el[1].strip(), el[2].strip() if len(el) > 2 else "")
                break

    def open_action(self, seg: EdifactSegment) -> None:
        self.action = seg.get(2) or seg.get(0) or None

    def implicit_action(self, seg: EdifactSegment) -> None:
        self.action = None

    def history_item(self, seg: EdifactSegment) -> None:
        abi = self.abi
        if abi is None:
            return
        item = seg.tag
        if seg.tag == "SSR" and seg.get(0):
            item = f"SSR {seg.get(0)}"
        abi.items.append((self.action, item, seg.raw[4:]))

    # -- warnings for what fits nowhere --------------------------------------------------------------

    def out_of_place(self, seg: EdifactSegment) -> None:
        self.warn("out-of-place", "segment not expected here; skipped", seg)

    # -- linking and freezing ------------------------------------------------------------------------

    def finish(self) -> list[Booking]:
        return [self.freeze(b) for b in self.bookings]

    def link_infants(self, b: _Book) -> None:
        travellers = b.travellers
        infants = [t for t in travellers if t.type is TravellerType.INFANT]
        if not infants:
            return
        by_ref = {t.ref: t for t in travellers if t.ref}
        adults = [t for t in travellers if t.type is not TravellerType.INFANT]
        for inf in infants:
            ref = inf.ref or ""
            if ref.upper().endswith("I") and ref[:-1] in by_ref and by_ref[ref[:-1]] is not inf:
                inf.infant_of = ref[:-1]
        # INFT SSRs on the adult: match the infant by name
        for p in b.pending:
            if p.kind != "INFT":
                continue
            info = p.record
            assert isinstance(info, InfantInfo)
            adult = by_ref.get(p.ref or "") if p.ref else p.context
            if adult is None or adult.type is TravellerType.INFANT:
                continue
            for inf in infants:
                if inf.infant_of is None and _infant_matches(inf, info):
                    inf.infant_of = adult.ref
                    break
        # adult flag order for the rest
        linked = {inf.infant_of for inf in infants if inf.infant_of}
        free_adults = [a for a in adults if a.flag and a.ref not in linked]
        for inf in infants:
            if inf.infant_of is None and free_adults:
                inf.infant_of = free_adults.pop(0).ref
        for inf in infants:
            if inf.infant_of and inf.infant_of in by_ref:
                by_ref[inf.infant_of].flag = True

    def infant_for(self, adult: _Trav, doc: TravelDocument, travellers: list[_Trav]) -> _Trav | None:
        best: _Trav | None = None
        for t in travellers:
            if t.type is not TravellerType.INFANT:
                continue
            if _doc_name_matches(t, doc):
                return t
            if best is None and adult.ref is not None and t.infant_of == adult.ref:
                best = t
        return best

    def resolve(self, b: _Book) -> None:
        travellers = b.travellers
        by_ref = {t.ref: t for t in travellers if t.ref}
        for p in b.pending:
            kind = p.kind
            if kind == "INFT":
                continue
            target = by_ref.get(p.ref) if p.ref else None
            if target is None:
                target = p.context
            record = p.record
            if kind in ("DOCS", "DOCO"):
                assert isinstance(record, TravelDocument)
                if record.infant and (target is None or target.type is not TravellerType.INFANT):
                    infant = (
                        self.infant_for(target, record, travellers)
                        if target is not None
                        else next(
                            (
                                t
                                for t in travellers
                                if t.type is TravellerType.INFANT and _doc_name_matches(t, record)
                            ),
                            None,
                        )
                    )
                    if infant is not None:
                        target = infant
                if target is None and record.surname:
                    target = next((t for t in travellers if _doc_name_matches(t, record)), None)
                if target is None:
                    self.warn("unlinked-document", f"{kind} could not be linked to a traveller", p.segment)
                    continue
                if record.traveller_ref != target.ref:
                    record = replace(record, traveller_ref=target.ref)
                if not any(_same_document(record, d) for d in target.documents):
                    target.documents.append(record)
            elif kind == "DOCA":
                assert isinstance(record, Address)
                if target is None:
                    b.addresses.append(record)
                    self.warn("unlinked-address", "DOCA could not be linked to a traveller", p.segment)
                    continue
                if record.traveller_ref != target.ref:
                    record = replace(record, traveller_ref=target.ref)
                if record not in target.addresses:
                    target.addresses.append(record)
            elif kind == "CONTACT":
                assert isinstance(record, Contact)
                if target is None:
                    if record not in b.contacts:
                        b.contacts.append(record)
                    continue
                if record.traveller_ref != target.ref:
                    record = replace(record, traveller_ref=target.ref)
                if record not in target.contacts:
                    target.contacts.append(record)
            elif kind == "FQTV":
                assert isinstance(record, FrequentFlyer)
                if target is None:
                    continue
                if not any(f.number == record.number for f in target.ffs):
                    target.ffs.append(replace(record, traveller_ref=target.ref))

    def freeze(self, b: _Book) -> Booking:
        if b.pending:
            self.link_infants(b)
            self.resolve(b)
        elif any(t.type is TravellerType.INFANT for t in b.travellers):
            self.link_infants(b)
        infts = [p for p in b.pending if p.kind == "INFT"]
        frozen_pay: dict[int, Payment] = {}

        def pay(p: _Pay) -> Payment:
            got = frozen_pay.get(id(p))
            if got is None:
                got = frozen_pay[id(p)] = p.freeze()
            return got

        travellers = tuple([_freeze_traveller(t, infts, pay) for t in b.travellers])
        history: list[HistoryEntry] = []
        for h in b.history:
            if isinstance(h, HistoryEntry):
                history.append(h)
            elif not h.items:
                history.append(HistoryEntry(source="ABI", at=h.at, who=h.who))
            else:
                history.extend(
                    HistoryEntry(source="ABI", at=h.at, who=h.who, action=a, item=i, text=x or None)
                    for a, i, x in h.items
                )
        first = b.locators[0] if b.locators else None
        return Booking(
            locator=first.locator if first else None,
            locators=tuple(b.locators),
            created_at=b.created_at,
            last_changed_at=b.last_changed,
            ticketed_at=b.ticketed,
            office=b.office,
            group_name=b.group_name,
            travellers=travellers,
            segments=tuple(map(_freeze_segment, b.segments)),
            contacts=tuple(b.contacts),
            addresses=tuple(b.addresses),
            payments=tuple(map(pay, b.payments)),
            services=tuple(b.services),
            remarks=tuple(b.remarks),
            excess_baggage=tuple(b.excess),
            split_count=b.split_count,
            split_locators=tuple(b.split_locators),
            history=tuple(history),
            cancelled=b.cancelled,
        )


def _fqtv(text: str, carrier: str | None, ref: str | None) -> FrequentFlyer | None:
    """`/DL1234567890-LASTNAME/FIRST`, `DL 1234567890`: carrier and number."""
    body = text.strip().lstrip("/").split("-", 1)[0].split("/", 1)[0].replace(" ", "")
    if not body:
        return None
    if len(body) > 3 and body[:2].isalnum() and not body[:2].isdigit() and body[2:].isalnum():
        return FrequentFlyer(body[:2], body[2:], None, ref)
    return FrequentFlyer(carrier, body, None, ref)


def _doc_name_matches(t: _Trav, doc: TravelDocument) -> bool:
    if not doc.surname or _key(doc.surname) != _key(t.surname):
        return False
    a, c = _first_key(t.given), _first_key(doc.given_names)
    if not a or not c:
        return True
    return a.startswith(c) or c.startswith(a) or _key(doc.given_names).startswith(_key(t.given))


def _infant_matches(t: _Trav, info: InfantInfo) -> bool:
    if info.surname and _key(info.surname) != _key(t.surname):
        return False
    a, c = _first_key(t.given), _first_key(info.given_names)
    return not a or not c or a.startswith(c) or c.startswith(a)


def _same_document(a: TravelDocument, b: TravelDocument) -> bool:
    if a.source != b.source:
        return False
    if a.number or b.number:
        return a.number == b.number and a.date_of_birth == b.date_of_birth
    return a.date_of_birth == b.date_of_birth and _key(a.surname) == _key(b.surname)


def _freeze_traveller(t: _Trav, infts: list[_Pending], pay: Callable[[_Pay], Payment]) -> Traveller:
    dob: PartialDate | None = None
    gender = None
    for d in t.documents:
        if d.source != "DOCS":
            continue
        if dob is None and d.date_of_birth is not None:
            dob = d.date_of_birth
        if gender is None and d.gender is not None:
            gender = d.gender
    if dob is None and t.type is TravellerType.INFANT:
        for p in infts:
            info = p.record
            if isinstance(info, InfantInfo) and info.date_of_birth is not None and _infant_matches(t, info):
                dob = info.date_of_birth
                break
    return Traveller(
        surname=t.surname,
        given_names=t.given,
        title=t.title,
        type=t.type,
        ref=t.ref,
        placeholder=t.placeholder,
        accompanied_by_infant=t.flag,
        infant_of=t.infant_of,
        unique_id=t.unique_id,
        date_of_birth=dob,
        gender=gender,
        documents=tuple(t.documents),
        contacts=tuple(t.contacts),
        addresses=tuple(t.addresses),
        frequent_flyers=tuple(t.ffs),
        services=tuple(t.services),
        remarks=tuple(t.remarks),
        tickets=tuple([_freeze_ticket(tk, pay) for tk in t.tickets]),
        fare_basis=tuple(t.fare_basis),
        excess_baggage=tuple(t.excess),
        raw_name=t.raw_name,
    )


def _freeze_ticket(tk: _Ticket, pay: Callable[[_Pay], Payment]) -> Ticket:
    return Ticket(
        number=tk.number,
        kind=tk.kind,
        booklets=tk.booklets,
        issued_on=tk.issued_on,
        base_fare=tk.base,
        total_fare=tk.total,
        taxes=tuple(tk.taxes),
        non_refundable=tk.non_refundable,
        validating_carrier=tk.validating,
        issue_location=tk.location,
        payments=tuple(map(pay, tk.payments)),
        traveller_ref=tk.ref,
    )


def _freeze_segment(s: _Seg) -> Segment:
    # A seat given only in a check-in's SSD is a seat of the segment too (as PNRGOV XML reads it).
    seats = s.seats
    if s.check_ins:
        held = {(seat.number, seat.traveller_ref) for seat in seats}
        seats = [*seats]
        for c in s.check_ins:
            if c.seat and (c.seat, c.ref) not in held:
                held.add((c.seat, c.ref))
                seats.append(Seat(c.seat, c.cabin, c.ref, "SSD"))
    return Segment(
        flight=s.flight,
        booking_class=s.booking_class,
        status=s.status,
        party_size=s.party_size,
        equipment=s.equipment,
        open=s.open,
        locators=tuple(s.locators),
        services=tuple(s.services),
        seats=tuple(seats),
        check_ins=tuple(
            [
                CheckIn(
                    traveller_ref=c.ref,
                    surname=c.surname,
                    given_names=c.given,
                    sequence=c.sequence,
                    seat=c.seat,
                    cabin=c.cabin,
                    baggage=c.baggage,
                    checked_in_at=c.group.at,
                    agent=c.group.agent,
                    text=c.group.text,
                )
                for c in s.check_ins
            ]
        ),
        remarks=tuple(s.remarks),
        non_air_kind=s.non_air_kind,
    )


# ---------------------------------------------------------------------------------------------------
# The grammar (13.1 skeleton, section 2.2) and the transition table built from it


class _Group(NamedTuple):
    parent: str | None
    members: dict[str, Handler]
    children: dict[str, tuple[str, Handler]]  # trigger tag -> (group, opener)
    # segments whose trigger is missing: tag -> (group the segment ends in, handlers in order)
    implicit: dict[str, tuple[str, tuple[Handler, ...]]]


P = _Parser
_HISTORY_ITEM_TAGS: Final = (
    "TIF",
    "SSR",
    "IFT",
    "TBD",
    "RPI",
    "RCI",
    "DAT",
    "ORG",
    "ADD",
    "EBD",
    "FTI",
    "REF",
)

_GRAMMAR: Final[dict[str, _Group]] = {
    "L0": _Group(
        None,
        {"MSG": P.l0_msg, "ORG": P.l0_org, "TVL": P.l0_tvl, "EQN": P.l0_eqn},
        {"SRC": ("G1", P.open_booking)},
        {"RCI": ("G1", (P.g1_rci,)), "TIF": ("G2", (P.open_traveller,))},
    ),
    "G1": _Group(
        "L0",
        {
            "RCI": P.g1_rci,
            "SSR": P.g1_ssr,
            "DAT": P.g1_dat,
            "IFT": P.g1_ift,
            "ORG": P.g1_org,
            "ADD": P.g1_add,
            "EBD": P.g1_ebd,
            "LTS": P.g1_lts,
        },
        {
            "TIF": ("G2", P.open_traveller),
            "TVL": ("G5", P.open_segment),
            "EQN": ("G8", P.open_split),
            "MSG": ("G9", P.open_non_air),
            "ABI": ("G10", P.open_history),
        },
        {"FOP": ("G4", (P.open_payment,))},
    ),
    "G2": _Group(
        "G1",
        {
            "FTI": P.g2_fti,
            "IFT": P.g2_ift,
            "REF": P.g2_ref,
            "EBD": P.g2_ebd,
            "FAR": P.g2_far,
            "SSR": P.g2_ssr,
            "ADD": P.g2_add,
        },
        {"TKT": ("G3", P.open_ticket)},
        {"FOP": ("G4", (P.open_payment,))},
    ),
    "G3": _Group(
        "G2",
        {"MON": P.g3_mon, "PTK": P.g3_ptk, "TXD": P.g3_txd, "DAT": P.g3_dat, "IFT": P.g3_ift},
        {"FOP": ("G4", P.open_payment)},
        {},
    ),
    "G4": _Group("G3", {"IFT": P.g4_ift, "ADD": P.g4_add}, {}, {}),
    "G5": _Group(
        "G1",
        {
            "TRA": P.g5_tra,
            "RPI": P.g5_rpi,
            "APD": P.g5_apd,
            "SSR": P.g5_ssr,
            "RCI": P.g5_rci,
            "IFT": P.g5_ift,
            "TVL": P.tvl_in_segment,
        },
        {"DAT": ("G6", P.open_checkin_group)},
        {
            "ORG": ("G6", (P.implicit_checkin_group, P.g6_org)),
            "TRI": ("G7", (P.implicit_checkin_group, P.open_checkin)),
            "SSD": ("G7", (P.implicit_checkin_group, P.implicit_checkin, P.g7_ssd)),
            "TBD": ("G7", (P.implicit_checkin_group, P.implicit_checkin, P.g7_tbd)),
        },
    ),
    "G6": _Group(
        "G5",
        {"ORG": P.g6_org},
        {"TRI": ("G7", P.open_checkin)},
        {
            "TIF": ("G7", (P.implicit_checkin, P.g7_tif)),
            "SSD": ("G7", (P.implicit_checkin, P.g7_ssd)),
            "TBD": ("G7", (P.implicit_checkin, P.g7_tbd)),
        },
    ),
    "G7": _Group("G6", {"TIF": P.g7_tif, "SSD": P.g7_ssd, "TBD": P.g7_tbd}, {}, {}),
    "G8": _Group("G1", {"RCI": P.g8_rci}, {}, {}),
    "G9": _Group("G1", {"TVL": P.g9_tvl}, {}, {}),
    "G10": _Group(
        "G1",
        {"DAT": P.g10_dat},
        {"SAC": ("G11", P.open_action)},
        {
            **{
                tag: ("G11", (P.implicit_action, P.history_item))
                for tag in _HISTORY_ITEM_TAGS
                if tag != "DAT"
            },
            "TVL": ("G12", (P.implicit_action, P.history_item)),
        },
    ),
    "G11": _Group(
        "G10",
        dict.fromkeys(_HISTORY_ITEM_TAGS, P.history_item),
        {"TVL": ("G12", P.history_item)},
        {},
    ),
    "G12": _Group("G11", {"RPI": P.history_item}, {}, {}),
}

#: Every tag the PNRGOV grammar knows (for `repair_run_together`).
KNOWN_TAGS: Final = frozenset(
    {tag for g in _GRAMMAR.values() for tag in (*g.members, *g.children, *g.implicit)}
    | {"SRC", "SAC", "ABI", "FOP", "TKT", "TRI", "LTS"}
)
_FREE_TEXT: Final = frozenset({"IFT", "LTS", "SSR", "ADD"})

Entry = tuple[str, tuple[Handler, ...]]


def _resolve(state: str, tag: str) -> Entry | None:
    name: str | None = state
    while name is not None:
        group = _GRAMMAR[name]
        member = group.members.get(tag)
        if member is not None:
            return name, (member,)
        child = group.children.get(tag)
        if child is not None:
            return child[0], (child[1],)
        implicit = group.implicit.get(tag)
        if implicit is not None:
            return implicit
        name = group.parent
    return None


def _build_table() -> dict[str, dict[str, Entry]]:
    table: dict[str, dict[str, Entry]] = {}
    for state in _GRAMMAR:
        row: dict[str, Entry] = {}
        for tag in KNOWN_TAGS:
            entry = _resolve(state, tag)
            if entry is not None:
                row[tag] = entry
        table[state] = row
    # Inside Gr.5-7 a TVL is the operating flight or the next segment (decided by its shape).
    for state in ("G5", "G6", "G7"):
        table[state]["TVL"] = ("G5", (P.tvl_in_segment,))
    return table


_TABLE: Final = _build_table()


def _glued(seg: EdifactSegment) -> bool:
    """Whether an element ends in a glued segment tag (`...+9TIF+KIM:I+...`, a missing terminator)."""
    for el in seg.elements[:-1]:
        if len(el) == 1:
            v = el[0]
            # the letter test first: it turns away names without slicing a tag-sized piece off each one
            if len(v) > 3 and not v[-4].isalpha() and v[-3:] in KNOWN_TAGS:
                return True
    return False


def parse_pnrgov(
    message: EdifactMessage, *, card_key: bytes | None = None, received_on: date | None = None
) -> PnrPush:
    """Read one PNRGOV message: the pushed flight and every booking, with warnings for what was odd.

    `card_key` keys the HMAC of card numbers (only the hash and the last four digits are kept).
    `received_on` (the inbox's date) resolves two-digit years when the message carries no date.
    Raises ParseError when the message is not PNRGOV or holds no readable segment at all.
    """
    if message.message_type != "PNRGOV":
        raise ParseError(
            f"not a PNRGOV message: {message.message_type or '(no type)'}",
            offset=message.unh.offset,
            segment=message.unh.number,
        )
    segments = message.segments
    if not any(s.tag for s in segments):
        raise ParseError(
            "PNRGOV message without any readable segment",
            offset=message.unh.offset,
            segment=message.unh.number,
        )
    parser = _Parser(message, card_key, received_on)
    table = _TABLE
    state = "L0"
    row = table[state]
    for seg in segments:
        tag = seg.tag
        if tag not in _FREE_TEXT and len(seg.elements) > 1 and _glued(seg):
            parts = repair_run_together(seg, KNOWN_TAGS, message.chars)
            if parts:
                parser.warn("missing-terminator", "two segments ran together; split them", seg)
                for part in parts:
                    state = _step(parser, table, state, part)
                row = table[state]
                continue
        entry = row.get(tag)
        if entry is None:
            _unplaced(parser, seg)
            continue
        state = entry[0]
        for handler in entry[1]:
            handler(parser, seg)
        row = table[state]
    bookings = parser.finish()
    declared = parser.declared
    if declared is not None and len(bookings) > declared:
        parser.warn(
            "eqn-count",
            f"EQN declares {declared} bookings for the whole push, this part alone holds {len(bookings)}",
            message.unh,
        )
    elif (
        declared is not None
        and len(bookings) != declared
        and message.part in (None, 1)
        and message.final_part is True
    ):
        parser.warn(
            "eqn-count", f"EQN declares {declared} bookings, the message holds {len(bookings)}", message.unh
        )
    return PnrPush(
        header=message.header(),
        function=parser.function,
        flight=parser.flight,
        bookings=tuple(bookings),
        sender_system=parser.sender,
        declared_bookings=declared,
        warnings=(*message.warnings, *parser.warnings),
    )


def _step(parser: _Parser, table: dict[str, dict[str, Entry]], state: str, seg: EdifactSegment) -> str:
    entry = table[state].get(seg.tag)
    if entry is None:
        _unplaced(parser, seg)
        return state
    for handler in entry[1]:
        handler(parser, seg)
    return entry[0]


def _unplaced(parser: _Parser, seg: EdifactSegment) -> None:
    if not seg.tag:
        parser.warn("unreadable-segment", "text that is not a segment skipped", seg)
    elif seg.tag in KNOWN_TAGS:
        parser.warn("out-of-place", "segment not expected at this depth; skipped", seg)
    else:
        parser.warn("unknown-segment", "segment unknown to PNRGOV; skipped", seg)
