"""PNRGOV XML (`IATA_PNRGOV_NotifRQ`, XML IG 13.1 and later) <-> `PnrPush`.

Reader
    `parse_pnrgov_xml` reads one notification into a `PnrPush`. Elements are matched on their local
    names, case-insensitively, so documents in the IATA namespace (`http://www.iata.org/IATA/2007/00`),
    in another namespace or in none read alike. Attributes are matched case-insensitively too, and a few
    spellings seen in public generators are accepted (`SSRCode`/`SSR_Code`, `Text`/`TEXT`).

    Safety: the bytes are parsed with `defusedxml` with DTDs forbidden (so no entity expansion and no
    external reference is ever resolved), inputs over `max_bytes` are refused before parsing, and the
    nesting depth is checked while the parser streams, so a hostile document ends in `ParseError` early.
    Everything readable is kept; damaged values give `ParseWarning`s; only an unreadable document raises.

Time conventions (the IG examples carry `xs:dateTime` values without an offset):
    * `FlightLeg`/`Flight` departure and arrival times are local at the respective airport (as TVL in
      EDIFACT); a value with an offset is converted to the airport's zone when that zone is known.
    * `PNR_CreationDate`, `PNR_TransDate`, `LastTktDate`, `CheckInInfo/@Time` and the root's `TimeStamp`
      are instants in UTC (as DAT in EDIFACT) unless they carry an offset.

Mapping notes (see also the docstrings below):
    * Only `Passenger` elements directly under `PNR` are travellers; the `Passenger` under
      `Flight/CheckInInfo` only names the person checked in and is linked to a traveller by name
      (by `BoardingNumber/@RPH` when the names do not decide).
    * Documents arrive as structured `DOC_SSR/DOCS|DOCO` attributes and as raw `SSR` text (at passenger,
      PNR or flight level, linked by `RPH`). The same document is kept once: structured values win, the
      raw text fills gaps and is kept in `raw`. Structured documents get source "XML" (DOCS) or
      "XML DOCO".
    * Card numbers are never kept in clear: `Payment` holds a keyed hash (with `card_key`) and the last 4.
    * `Originator` -> `sender_system` (AirlineCode as system, SystemCode as office id) and `header.sender`.
      `PnrPush.function` stays None: the IG excerpts name no full/update attribute. Not mapped (no field
      in the model): `AirlineContactInfo`, `Passenger/@SurnameRefNumber` (an OTA surname-group number,
      shared within a family, so not a unique passenger id), `BoardingStatus`, `NumberOfPassengers`.

Writer
    `write_pnrgov_xml` builds a namespaced UTF-8 document that this reader reads back to the same facts.
    It writes what PNRGOV XML has a place for; booking-level payments, remarks, history, non-air segments
    and unique passenger ids have none in the IG skeleton and are not written.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

from openpiu.formats.errors import ParseError
from openpiu.formats.text import (
    card_fingerprint,
    clean,
    decode_telex_email,
    parse_amount,
    parse_contact,
    parse_ddmmmyy,
    parse_dob,
    parse_doca,
    parse_doco,
    parse_docs,
    small_int,
    split_title,
)
from openpiu.model import (
    Address,
    Booking,
    BookingOffice,
    CheckIn,
    Contact,
    ContactKind,
    ExcessBaggage,
    Flight,
    FrequentFlyer,
    Gender,
    MessageFormat,
    MessageHeader,
    Money,
    ParseWarning,
    PartialDate,
    Payment,
    PnrPush,
    RecordLocator,
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
    zone_of,
)

__all__ = ["NAMESPACE", "ROOT", "parse_pnrgov_xml", "write_pnrgov_xml"]

NAMESPACE = "http://www.iata.org/IATA/2007/00"
ROOT = "IATA_PNRGOV_NotifRQ"
DEFAULT_MAX_BYTES = 50_000_000
# The IG skeleton is about 8 levels deep; wrappers (SOAP, queue envelopes) add a few. Anything far deeper
# is hostile or broken, and stopping while streaming keeps memory and time bounded.
MAX_DEPTH = 64

Element = ET.Element
_T = TypeVar("_T")

# ---------------------------------------------------------------------------------------------------------
# Element access: local names, case-insensitive, "-" and blanks read as missing. `_parse_tree` gives every
# element and attribute its local lower-case name once (`_normalise`), so lookups compare names directly.


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _normalise(root: Element) -> None:
    """Rename every element and attribute of the tree to its `_local` name, in place.

    Attributes whose local names collide keep the last value, as a lookup by local name always did.
    """
    names: dict[str, str] = {}
    for el in root.iter():
        tag = el.tag
        if isinstance(tag, str):
            local = names.get(tag)
            if local is None:
                local = names[tag] = _local(tag)
            el.tag = local
        attrib = el.attrib
        if attrib:
            normal: dict[str, str] = {}
            for key, value in attrib.items():
                local = names.get(key)
                if local is None:
                    local = names[key] = _local(key)
                normal[local] = value
            el.attrib = normal


def _kids(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else [c for c in el if c.tag == name]


def _kid(el: Element | None, name: str) -> Element | None:
    if el is not None:
        for c in el:
            if c.tag == name:
                return c
    return None


def _value(text: str | None) -> str | None:
    value = clean(text) if text is not None else None
    return None if value in (None, "-") else value


def _attr(el: Element | None, *names: str) -> str | None:
    if el is None:
        return None
    attrs = el.attrib
    for name in names:
        found = attrs.get(name.lower())
        if found is not None:
            value = _value(found)
            if value is not None:
                return value
    return None


def _text(el: Element | None) -> str | None:
    return None if el is None else _value(el.text)


def _kid_text(el: Element | None, name: str) -> str | None:
    return _text(_kid(el, name))


def _walk(root: Element, name: str, *, stop: str | None = None) -> Iterator[Element]:
    """Elements named `name` in document order, not descending into `stop` elements (iterative)."""
    stack = [root]
    while stack:
        el = stack.pop()
        local = _local(el.tag)
        if local == name:
            yield el
        if local == stop and el is not root:
            continue
        stack.extend(reversed(list(el)))


def _first(root: Element, name: str) -> Element | None:
    return next(_walk(root, name, stop="pnr"), None)


# ---------------------------------------------------------------------------------------------------------
# Values


def _int(text: str | None) -> int | None:
    return small_int(text)


def _flag(text: str | None) -> bool | None:
    if text is None:
        return None
    return text.strip().lower() in {"true", "1", "y", "yes"}


def _money(amount: str | None, currency: str | None) -> Money | None:
    value = parse_amount(amount) if amount else None
    return Money(value, currency.upper() if currency else None) if value is not None else None


def _datetime(text: str | None) -> tuple[datetime, bool] | None:
    """An ISO date or date-time and whether it had a time; None when unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value, ("T" in text or " " in text.strip())


def _partial_date(text: str | None, *, reference: date, past: bool) -> PartialDate | None:
    """A date of birth (`YYYY[-MM[-DD]]`, with or without a time, or `DDMMMYY`), at the precision sent."""
    if not text:
        return None
    return parse_dob(text.split("T", 1)[0], reference=reference)


def _full_date(text: str | None, *, reference: date, past: bool = False) -> date | None:
    """An ISO date (a time is ignored) or `DDMMMYY`; two-digit years resolved around `reference`."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return parse_ddmmmyy(text, reference=reference, past=past)


def _gender(text: str | None) -> tuple[Gender | None, bool]:
    """Gender and infant flag: DOCS style `MI`/`FI` marks an infant."""
    if not text:
        return None, False
    code = text.strip().upper()
    infant = len(code) == 2 and code.endswith("I")
    code = code[0] if infant else code
    table = {"M": Gender.MALE, "MALE": Gender.MALE, "F": Gender.FEMALE, "FEMALE": Gender.FEMALE}
    table |= {"U": Gender.UNSPECIFIED, "X": Gender.OTHER}
    return table.get(code), infant


_PASSENGER_TYPES = {
    "INF": TravellerType.INFANT,
    "IN": TravellerType.INFANT,
    "INS": TravellerType.INFANT,
    "CHD": TravellerType.CHILD,
    "CH": TravellerType.CHILD,
    "CNN": TravellerType.CHILD,
    "C": TravellerType.CHILD,
    "ADT": TravellerType.ADULT,
    "A": TravellerType.ADULT,
}
_WRITE_TYPES = {TravellerType.ADULT: "ADT", TravellerType.CHILD: "CHD", TravellerType.INFANT: "INF"}

# OTA PhoneTechType codes (1 voice, 2 data, 3 fax, 4 pager, 5 mobile) and letter forms seen in feeds.
_PHONE_KINDS = {
    "1": ContactKind.PHONE,
    "2": ContactKind.OTHER,
    "3": ContactKind.FAX,
    "4": ContactKind.OTHER,
    "5": ContactKind.MOBILE,
    "M": ContactKind.MOBILE,
    "MOBILE": ContactKind.MOBILE,
    "F": ContactKind.FAX,
    "FAX": ContactKind.FAX,
}
_WRITE_PHONE_KINDS = {ContactKind.PHONE: "1", ContactKind.OTHER: "2", ContactKind.FAX: "3"} | {
    ContactKind.MOBILE: "5"
}
# Structured DOCA purposes read as the SSR DOCA text reader names them, so both forms compare equal.
_DOCA_PURPOSES = {"R": "residence", "D": "destination"}
_WRITE_DOCA_PURPOSES = {v: k for k, v in _DOCA_PURPOSES.items()}
# What mapping code can raise on odd values (e.g. a date out of range, an unknown zone).
_MAPPING_ERRORS = (ValueError, TypeError, KeyError, IndexError, ArithmeticError, AttributeError)
_SEAT = re.compile(r"^\d{1,3}[A-Z]$")


# ---------------------------------------------------------------------------------------------------------
# Reading: the byte layer


def parse_pnrgov_xml(
    data: bytes,
    *,
    source: str = "<bytes>",
    card_key: bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    received_on: date | None = None,
) -> PnrPush:
    """Read one PNRGOV XML notification; raise `ParseError` when it cannot be read at all.

    `received_on` (the inbox's date) resolves two-digit years when the document carries no date.
    """
    root = _parse_tree(data, source=source, max_bytes=max_bytes)
    document = _document_root(root, source)
    try:
        return _Reader(card_key=card_key, received_on=received_on).push(document)
    except _MAPPING_ERRORS as exc:  # a reader defect on odd input must still end as a readable error
        raise ParseError(f"cannot map the document ({type(exc).__name__})", file=source) from None


def _parse_tree(data: bytes, *, source: str, max_bytes: int) -> Element:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError("input is not bytes", file=source)
    if len(data) > max_bytes:
        raise ParseError(f"input of {len(data)} bytes exceeds the limit of {max_bytes} bytes", file=source)
    if not bytes(data).strip():
        raise ParseError("empty input: no XML document", file=source, offset=0)
    root: Element | None = None
    depth = 0
    try:
        events = DefusedET.iterparse(io.BytesIO(bytes(data)), events=("start", "end"), forbid_dtd=True)
        for event, el in events:
            if event == "end":
                depth -= 1
                continue
            root = el if root is None else root
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"elements nested deeper than {MAX_DEPTH} levels", file=source)
    except ParseError:
        raise
    except ET.ParseError as exc:
        raise ParseError(_expat_reason(exc), file=source, offset=_expat_offset(bytes(data), exc)) from None
    except DefusedXmlException as exc:
        # DTDs, entity declarations and external references are refused outright.
        raise ParseError(f"forbidden XML construct: {type(exc).__name__}", file=source) from None
    except (LookupError, ValueError, UnicodeError) as exc:
        raise ParseError(f"cannot decode the document: {type(exc).__name__}", file=source) from None
    if root is None:
        raise ParseError("no XML element found", file=source, offset=0)
    _normalise(root)
    return root


def _expat_reason(exc: ET.ParseError) -> str:
    message = str(exc).split(":", 1)[0]
    line, column = getattr(exc, "position", (None, None))
    return f"not well-formed XML: {message} (line {line}, column {column})"


def _expat_offset(data: bytes, exc: ET.ParseError) -> int | None:
    position = getattr(exc, "position", None)
    if not position:
        return None
    line, column = int(position[0]), int(position[1])
    start = 0
    for _ in range(max(line, 1) - 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return None
    return start + column


def _document_root(root: Element, source: str) -> Element:
    """The notification element: the root, or one inside a transport wrapper."""
    if _local(root.tag) == ROOT.lower():
        return root
    inner = next(_walk(root, ROOT.lower()), None)
    if inner is not None:
        return inner
    if _first(root, "flightleg") is not None or next(_walk(root, "pnr", stop="pnr"), None) is not None:
        return root  # a fragment without the notification root; read what is there (warned below)
    raise ParseError(f"not a PNRGOV XML document: root element <{_local(root.tag)}>", file=source)


# ---------------------------------------------------------------------------------------------------------
# Reading: the mapping


@dataclass
class _Pax:
    """A traveller being assembled: flight- and PNR-level SSRs add documents and contacts later."""

    traveller: Traveller
    documents: list[tuple[str, TravelDocument]] = field(default_factory=list)  # (kind, document)
    contacts: list[Contact] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    born_attr: bool = False


_KNOWN = {
    "root": {"originator", "flightleg", "pnrs"},
    "pnr": {"bookingrefid", "pos", "contactinfo", "prepaidbag", "passenger", "flight", "ssr"},
    "passenger": {
        "givenname",
        "middlename",
        "surnameprefix",
        "surname",
        "nametitle",
        "contactinfo",
        "custloyalty",
        "excessbaggage",
        "fareinfo",
        "ssr",
        "ticketdocument",
        "doc_ssr",
    },
    "flight": {
        "departureairport",
        "arrivalairport",
        "operatingairline",
        "marketingairline",
        "equipment",
        "ssr",
        "bookingrefid",
        "checkininfo",
    },
}


@dataclass
class _Reader:
    card_key: bytes | None
    received_on: date | None = None
    reference: date = date(2000, 1, 1)
    warnings: list[ParseWarning] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def warn(self, code: str, message: str, tag: str | None = None) -> None:
        self.warnings.append(ParseWarning(code=code, message=message, tag=tag))

    def check_known(self, el: Element, context: str) -> None:
        """One warning per element name the reader does not map, per context."""
        for child in el:
            name = _local(child.tag)
            if name and name not in _KNOWN[context] and (context, name) not in self._seen:
                self._seen.add((context, name))
                self.warn("unknown-element", f"element not mapped in {context}; kept unread", tag=name)

    # -- message ------------------------------------------------------------------------------------------

    def push(self, root: Element) -> PnrPush:
        if _local(root.tag) != ROOT.lower():
            self.warn("unexpected-root", f"no {ROOT} root; read as a fragment", tag=_local(root.tag))
        else:
            self.check_known(root, "root")
        header = self.header(root)
        originator = _first(root, "originator")
        flight_leg = _first(root, "flightleg")
        flight = self.flight_leg(flight_leg) if flight_leg is not None else None
        if flight_leg is None:
            self.warn("missing-flight-leg", "no FlightLeg: the pushed flight is unknown", tag="FlightLeg")
        self.reference = _reference_date(header, flight, root, self.received_on)
        pnrs = _first(root, "pnrs")
        declared = _int(_attr(pnrs, "NumberOfPnrs"))
        bookings = tuple(b for b in map(self.safe_booking, _walk(root, "pnr", stop="pnr")) if b)
        if declared is not None and declared != len(bookings):
            self.warn("pnr-count", f"NumberOfPnrs says {declared}, the message holds {len(bookings)}")
        sender = _sender(originator)
        return PnrPush(
            header=replace(header, sender=sender.system if sender else None),
            function=None,  # the IG excerpts name no full/update attribute; see the module docstring
            flight=flight,
            bookings=bookings,
            sender_system=sender,
            declared_bookings=declared,
            warnings=tuple(self.warnings),
        )

    def header(self, root: Element) -> MessageHeader:
        stamp = self.instant(_attr(root, "TimeStamp"), "TimeStamp")
        return MessageHeader(
            format=MessageFormat.PNRGOV_XML,
            version=_attr(root, "Version"),
            message_ref=_attr(root, "EchoToken"),
            common_access_ref=_attr(root, "TransactionIdentifier"),
            part=_int(_attr(root, "SequenceNmbr")),
            prepared_at=stamp,
        )

    def instant(self, text: str | None, tag: str) -> datetime | None:
        parsed = _datetime(text)
        if text and parsed is None:
            self.warn("bad-datetime", "date-time not in ISO 8601 form; ignored", tag=tag)
        return utc(parsed[0]) if parsed else None

    def schedule(self, text: str | None, airport: str | None, tag: str) -> ScheduledTime | None:
        parsed = _datetime(text)
        if parsed is None:
            if text:
                self.warn("bad-datetime", "schedule time not in ISO 8601 form; ignored", tag=tag)
            return None
        value, time_known = parsed
        if value.tzinfo is not None:
            zone = zone_of(airport)
            value = value.astimezone(ZoneInfo(zone)) if zone else value
            value = value.replace(tzinfo=None)
        return ScheduledTime.at(airport, value, time_known=time_known)

    def flight_leg(self, el: Element) -> Flight:
        carrier = _attr(el, "CarrierCode", "AirlineCode") or _attr(_kid(el, "marketingairline"), "Code")
        return self.flight(el, "FlightLeg", carrier, _attr(el, "FlightNumber"), _kid(el, "operatingairline"))

    def flight(
        self, el: Element, context: str, carrier: str | None, number: str | None, operating: Element | None
    ) -> Flight:
        """A FlightLeg (the pushed flight) or a Flight (an itinerary segment): the same attributes."""
        origin = _attr(_kid(el, "departureairport"), "LocationCode")
        destination = _attr(_kid(el, "arrivalairport"), "LocationCode")
        if not carrier or not number:
            self.warn("missing-flight", f"{context} without carrier or flight number", tag=context)
        return _codeshare(
            Flight(
                carrier=carrier or "",
                number=number or "",
                origin=origin,
                destination=destination,
                departure=self.schedule(_attr(el, "DepartureDateTime"), origin, context),
                arrival=self.schedule(_attr(el, "ArrivalDateTime"), destination, context),
                operating_carrier=_attr(operating, "Code"),
                operating_number=_attr(operating, "FlightNumber"),
            )
        )

    def safe_booking(self, el: Element) -> Booking | None:
        """One PNR; a PNR the reader cannot map is reported and the others are still read."""
        try:
            return self.booking(el)
        except _MAPPING_ERRORS as exc:
            self.warn("unreadable-pnr", f"PNR skipped: cannot map it ({type(exc).__name__})", tag="PNR")
            return None

    # -- booking ------------------------------------------------------------------------------------------

    def booking(self, el: Element) -> Booking:
        self.check_known(el, "pnr")
        refs = (self.locator(ref) for ref in _kids(el, "bookingrefid"))
        locators = tuple(loc for loc in refs if loc is not None)
        if not locators:
            self.warn("missing-locator", "PNR without BookingRefID", tag="PNR")
        paxes = [self.passenger(p) for p in _kids(el, "passenger")]
        _link_infants(paxes)
        contacts: list[Contact] = []
        addresses: list[Address] = []
        for info in _kids(el, "contactinfo"):
            found, address = self.contact_info(info, _attr(info, "RPH"))
            contacts.extend(found)
            addresses.extend([address] if address else [])
        services = tuple(self.service(s, None) for s in _kids(el, "ssr"))
        for item in services:
            self.ssr_facts(item, paxes, None, contacts, addresses)
        segments = tuple(self.segment(f, paxes, contacts, addresses) for f in _kids(el, "flight"))
        _move_infant_documents(paxes)
        return Booking(
            locator=locators[0].locator if locators else None,
            locators=locators,
            created_at=self.instant(_attr(el, "PNR_CreationDate"), "PNR"),
            last_changed_at=self.instant(_attr(el, "PNR_TransDate"), "PNR"),
            ticketed_at=self.instant(_attr(el, "LastTktDate"), "PNR"),
            office=_office(_kid(el, "pos")),
            travellers=tuple(_finish(p) for p in paxes),
            segments=segments,
            contacts=tuple(_unique_contacts(contacts)),
            addresses=tuple(_unique(addresses)),
            services=services,
            excess_baggage=tuple(self.bag(b, None) for b in _kids(el, "prepaidbag")),
        )

    def locator(self, el: Element) -> RecordLocator | None:
        value = _attr(el, "ID")
        if value is None:
            self.warn("missing-locator", "BookingRefID without ID; skipped", tag="BookingRefID")
            return None
        return RecordLocator(
            locator=value, system=_attr(_kid(el, "companyname"), "Code"), kind=_attr(el, "Type")
        )

    def contact_info(self, el: Element, ref: str | None) -> tuple[list[Contact], Address | None]:
        contacts: list[Contact] = []
        phone, email = _attr(el, "PhoneNumber"), _attr(el, "EmailAddress") or _kid_text(el, "email")
        source = "XML ContactInfo"
        if phone and (phone.upper().startswith("E+") or "@" in phone):
            # One generator puts e-mail addresses into PhoneNumber with an "E+" prefix.
            email, phone = email or phone.removeprefix("E+").removeprefix("e+"), None
        if phone:
            kind = _PHONE_KINDS.get(
                (_attr(el, "PhoneType", "PhoneTechType") or "").upper(), ContactKind.PHONE
            )
            contacts.append(Contact(kind, phone, traveller_ref=ref, source=source))
        if email:
            value = email if "@" in email else decode_telex_email(email)
            contacts.append(Contact(ContactKind.EMAIL, value, traveller_ref=ref, source=source))
        return contacts, _contact_address(el, phone, ref)

    def bag(self, el: Element, ref: str | None) -> ExcessBaggage:
        return ExcessBaggage(
            amount=_money(_attr(el, "Amount"), _attr(el, "CurrencyCode")),
            pieces=_int(_attr(el, "UnitOfMeasureQuantity", "Quantity")),
            unit=_attr(el, "UnitOfMeasureCode", "UnitOfMeasure"),
            traveller_ref=ref,
        )

    # -- passenger ----------------------------------------------------------------------------------------

    def passenger(self, el: Element) -> _Pax:
        self.check_known(el, "passenger")
        ref = _attr(el, "RPH")
        surname, given, title, raw_name = self.names(el)
        fare = _kids(el, "fareinfo")
        code = _attr(el, "PassengerTypeCode", "PassengerType", "Type", "PTC") or _attr(
            fare[0] if fare else None, "PTC_Code", "PassengerTypeCode"
        )
        born = _partial_date(_attr(el, "BirthDate", "DateOfBirth"), reference=self.reference, past=True)
        traveller = Traveller(
            surname=surname,
            given_names=given,
            title=title,
            type=_PASSENGER_TYPES.get((code or "").upper(), TravellerType.ADULT),
            ref=ref,
            placeholder=surname.upper() == "TBA" or (given or "").upper() == "TBA",
            accompanied_by_infant=bool(_flag(_attr(el, "AccompaniedByInfantInd"))),
            date_of_birth=born,
            gender=_gender(_attr(el, "Gender"))[0],
            frequent_flyers=tuple(self.loyalty(el, ref)),
            tickets=tuple(self.ticket(t, ref) for t in _kids(el, "ticketdocument")),
            fare_basis=tuple(b for b in (_attr(f, "FareBasis", "FareBasisCode") for f in fare) if b),
            excess_baggage=tuple(self.bag(b, ref) for b in _kids(el, "excessbaggage")),
            services=tuple(self.service(s, ref) for s in _kids(el, "ssr")),
            raw_name=raw_name,
        )
        pax = _Pax(traveller, born_attr=born is not None)
        for info in _kids(el, "contactinfo"):
            found, address = self.contact_info(info, ref)
            pax.contacts.extend(found)
            pax.addresses.extend([address] if address else [])
        for doc_ssr in _kids(el, "doc_ssr"):
            self.doc_ssr(doc_ssr, pax)
        for item in traveller.services:
            self.ssr_facts(item, [pax], pax, pax.contacts, pax.addresses)
        return pax

    def names(self, el: Element) -> tuple[str, str | None, str | None, str | None]:
        surname = _kid_text(el, "surname")
        prefix = _kid_text(el, "surnameprefix")
        if surname and prefix:
            surname = f"{prefix} {surname}"
        given = " ".join(t for t in (_text(n) for n in _given_elements(el)) if t) or None
        title = _kid_text(el, "nametitle")
        raw_name: str | None = None
        if given and title is None and _kid(el, "nametitle") is None:
            # Senders converting from EDIFACT leave the title glued to the given name ("ANNA MRS").
            split_given, split = split_title(given)
            if split:
                raw_name = f"{surname or ''}/{given}"
                given, title = split_given or None, split
        if not surname:
            self.warn("missing-surname", "Passenger without Surname; kept with an empty surname", "Passenger")
        return surname or "", given, title, raw_name

    def loyalty(self, el: Element, ref: str | None) -> Iterator[FrequentFlyer]:
        for card in _kids(el, "custloyalty"):
            number = _attr(card, "MembershipID")
            if number:
                carrier = _attr(card, "ProgramID", "VendorCode")
                yield FrequentFlyer(carrier, number, tier=_attr(card, "LoyalLevel"), traveller_ref=ref)

    def ticket(self, el: Element, ref: str | None) -> Ticket:
        total = _kid(el, "totalfare")
        base = _kid(el, "basefare")
        pricing = _kid(el, "pricinginfo")
        taxes = [t for group in _kids(el, "taxes") for t in _kids(group, "tax")] + _kids(el, "tax")
        return Ticket(
            number=_attr(el, "TicketDocumentNbr"),
            kind=_attr(el, "Type"),
            issued_on=_full_date(_attr(el, "DateOfIssue"), reference=self.reference, past=True),
            base_fare=_money(_attr(base, "Amount"), _attr(base, "CurrencyCode")),
            total_fare=_money(_attr(total, "Amount"), _attr(total, "CurrencyCode")),
            taxes=tuple(self.taxes(taxes)),
            non_refundable=bool(_flag(_attr(pricing, "NonRefundableInd"))),
            validating_carrier=_attr(pricing, "ValidatingCarrierCode", "ValidatingCarrier"),
            issue_location=_attr(el, "TicketLocation"),
            payments=tuple(self.payment(p, ref) for p in _kids(el, "paymentinfo")),
            traveller_ref=ref,
        )

    def taxes(self, elements: Iterable[Element]) -> Iterator[Tax]:
        for el in elements:
            amount = _money(_attr(el, "Amount"), _attr(el, "CurrencyCode"))
            if amount is None:
                self.warn("bad-amount", "Tax without a readable amount; skipped", tag="Tax")
                continue
            yield Tax(amount, code=_attr(el, "TaxType", "TaxCode", "Code"))

    def payment(self, el: Element, ref: str | None) -> Payment:
        card_hash, last4 = None, None
        account = _attr(el, "AccountNbr", "CardNumber")
        if account:
            card_hash, last4 = card_fingerprint(account, self.card_key)
        return Payment(
            form=_attr(el, "PaymentType") or "",
            vendor=_attr(el, "VendorCode", "CardCode"),
            amount=_money(_attr(el, "PaymentAmount", "Amount"), _attr(el, "CurrencyCode")),
            card_last4=last4,
            card_hash=card_hash,
            card_expiry=_attr(el, "ExpiryDate", "ExpireDate"),
            payer_name=_attr(el, "CardHolderName"),
            traveller_ref=ref,
        )

    # -- documents and SSRs -------------------------------------------------------------------------------

    def doc_ssr(self, el: Element, pax: _Pax) -> None:
        ref = pax.traveller.ref
        raw = _kid_text(el, "text")
        for kind in ("docs", "doco"):
            for doc in _kids(el, kind):
                pax.documents.append((kind.upper(), self.structured_document(doc, kind, ref, raw)))
        for doca in _kids(el, "doca"):
            pax.addresses.append(_structured_address(doca, ref))

    def structured_document(self, el: Element, kind: str, ref: str | None, raw: str | None) -> TravelDocument:
        gender, infant = _gender(_attr(el, "Gender"))
        given = " ".join(
            v
            for v in (_attr(el, "FirstGivenName", "GivenName"), _attr(el, "SecondGivenName", "MiddleName"))
            if v
        )
        when = self.reference
        return TravelDocument(
            source="XML" if kind == "docs" else "XML DOCO",
            document_type=_attr(el, "DocType", "TravelDocType", "DocumentType"),
            number=_attr(el, "DocID", "TravelDocNbr", "DocNbr", "DocumentNumber", "DocNumber"),
            issuing_state=_attr(el, "IssuingLoc", "DocIssueCountry", "IssuingCountry", "DocIssueLocation"),
            nationality=_attr(el, "PaxNationality", "Nationality"),
            date_of_birth=_partial_date(_attr(el, "DateOfBirth", "BirthDate"), reference=when, past=True),
            gender=gender,
            infant=infant,
            expiry=_full_date(_attr(el, "ExpiryDate", "DocExpireDate", "ExpireDate"), reference=when),
            issued_on=_full_date(_attr(el, "DateOfIssue", "IssueDate"), reference=when, past=True),
            place_of_issue=_attr(el, "PlaceOfIssue"),
            place_of_birth=_attr(el, "BirthLocation", "PlaceOfBirth", "BirthPlace"),
            applicable_country=_attr(el, "ApplicableCountry", "CountryState"),
            surname=_attr(el, "Surname"),
            given_names=given or None,
            traveller_ref=ref,
            raw=raw,
        )

    def service(self, el: Element, ref: str | None) -> ServiceItem:
        code = _attr(el, "SSRCode", "SSR_Code", "Code")
        text = _kid_text(el, "text") or _attr(el, "Text")
        seat = (
            text.upper() if code and code.upper() == "SEAT" and text and _SEAT.match(text.upper()) else None
        )
        return ServiceItem(
            kind="SSR",
            code=code.upper() if code else None,
            status=_attr(el, "Status"),
            quantity=_int(_attr(el, "ServiceQuantity")),
            carrier=_attr(_kid(el, "airline"), "Code") or _attr(el, "AirlineCode"),
            board=_attr(el, "BoardPoint"),
            off=_attr(el, "OffPoint"),
            text=text,
            traveller_ref=_attr(el, "RPH") or ref,
            seat=seat,
        )

    def ssr_facts(
        self,
        item: ServiceItem,
        paxes: list[_Pax],
        owner: _Pax | None,
        contacts: list[Contact],
        addresses: list[Address],
    ) -> None:
        """Parse the identity data in DOCS/DOCO/DOCA/CTCE/CTCM text and attach it to its traveller."""
        code, text, ref = item.code or "", item.text, item.traveller_ref
        if code not in {"DOCS", "DOCO", "DOCA", "CTCE", "CTCM"} or not text:
            return
        pax = _pax_for(paxes, ref) or owner or (paxes[0] if len(paxes) == 1 else None)
        ref = pax.traveller.ref if pax and ref is None else ref
        try:
            if code in {"DOCS", "DOCO"}:
                parse = parse_docs if code == "DOCS" else parse_doco
                document = parse(text, reference=self.reference, traveller_ref=ref)
                if pax is None:
                    self.warn("unlinked-document", f"SSR {code} names no traveller; kept as SSR only", code)
                    return
                pax.documents.append((code, replace(document, raw=document.raw or text)))
            elif code == "DOCA":
                address = parse_doca(text, traveller_ref=ref)
                (pax.addresses if pax else addresses).append(address)
            else:
                contact = parse_contact(code, text, traveller_ref=ref, source=f"SSR {code}")
                if contact is not None:
                    (pax.contacts if pax else contacts).append(contact)
        except (ValueError, IndexError, KeyError) as exc:
            self.warn("bad-ssr-text", f"SSR {code} text not readable ({type(exc).__name__})", code)

    # -- segments -----------------------------------------------------------------------------------------

    def segment(
        self, el: Element, paxes: list[_Pax], contacts: list[Contact], addresses: list[Address]
    ) -> Segment:
        self.check_known(el, "flight")
        services = tuple(self.service(s, None) for s in _kids(el, "ssr"))
        for item in services:
            self.ssr_facts(item, paxes, None, contacts, addresses)
        check_ins = tuple(self.check_in(unit, time, paxes) for unit, time in _check_in_units(el))
        seats = [Seat(c.seat, c.cabin, c.traveller_ref, "XML") for c in check_ins if c.seat]
        seats += [Seat(s.seat, None, s.traveller_ref, "SSR SEAT") for s in services if s.seat]
        number = _attr(el, "FlightNumber")
        operating = _kid(el, "operatingairline")
        flight: Flight | None = None
        if (number or "").upper() not in {"OPEN", "ARNK"}:
            flight = self.segment_flight(el, number, operating)
        return Segment(
            flight=flight,
            booking_class=_attr(el, "ResBookDesigCode") or _attr(operating, "ResBookDesigCode"),
            status=_attr(el, "Status"),
            party_size=_int(_attr(el, "NumberInParty")),
            equipment=_attr(_kid(el, "equipment"), "AirEquipType"),
            open=flight is None,
            locators=tuple(loc for loc in (self.locator(r) for r in _kids(el, "bookingrefid")) if loc),
            services=services,
            seats=tuple(_unique_seats(seats)),
            check_ins=check_ins,
        )

    def segment_flight(self, el: Element, number: str | None, operating: Element | None) -> Flight:
        marketing = _kid(el, "marketingairline")
        carrier = _attr(marketing, "Code") or _attr(operating, "Code")
        number = _attr(marketing, "FlightNumber") or number or _attr(operating, "FlightNumber")
        return self.flight(el, "Flight", carrier, number, operating)

    def check_in(self, unit: Element, time: str | None, paxes: list[_Pax]) -> CheckIn:
        boarding = unit if _local(unit.tag) == "boardingnumber" else _find(unit, "boardingnumber")
        person = _find(unit, "passenger")
        seat_el = _find(unit, "seatnumber")
        surname, given = _kid_text(person, "surname"), _kid_text(person, "givenname")
        ref = _match_name(paxes, surname, given)
        rph = _attr(boarding, "RPH")
        if ref is None and rph is not None:
            ref = rph if _pax_for(paxes, rph) else None
        if ref is None:
            self.warn("unlinked-check-in", "check-in names no traveller of the booking", tag="CheckInInfo")
        seat = _text(seat_el) or _attr(seat_el, "SeatNumber", "Number")
        return CheckIn(
            traveller_ref=ref,
            surname=surname,
            given_names=given,
            sequence=_attr(boarding, "Number"),
            seat=seat.upper() if seat else None,
            cabin=_attr(seat_el, "CabinClass"),
            checked_in_at=self.instant(time, "CheckInInfo"),
        )


# ---------------------------------------------------------------------------------------------------------
# Reading: small pure helpers


def _given_elements(el: Element) -> list[Element]:
    return _kids(el, "givenname") + _kids(el, "middlename")


def _find(el: Element, name: str) -> Element | None:
    """The first descendant named `name` (the tree depth is bounded by MAX_DEPTH)."""
    return next((d for d in el.iter() if _local(d.tag) == name and d is not el), None)


def _check_in_units(flight: Element) -> Iterator[tuple[Element, str | None]]:
    """One unit per checked-in person: each BoardingNumber when a CheckInInfo holds several, else the
    CheckInInfo itself (Passenger and SeatNumber may sit inside BoardingNumber or beside it)."""
    for info in _kids(flight, "checkininfo"):
        time = _attr(info, "Time", "CheckInTime")
        boards = _kids(info, "boardingnumber")
        units = boards if len(boards) > 1 else [info]
        for unit in units:
            yield unit, time


def _norm(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalpha())


def _match_name(paxes: list[_Pax], surname: str | None, given: str | None) -> str | None:
    """The reference of the one traveller with these names, else None."""
    if not surname:
        return None
    want_given = _norm(given)
    hits = []
    for pax in paxes:
        t = pax.traveller
        if _norm(t.surname) != _norm(surname):
            continue
        forms = {_norm(t.given_names), _norm(f"{t.given_names or ''}{t.title or ''}")}
        first = (t.given_names or "").split()[:1]
        if not want_given or want_given in forms or (first and _norm(first[0]) == want_given):
            hits.append(t.ref)
    return hits[0] if len(hits) == 1 else None


def _pax_for(paxes: list[_Pax], ref: str | None) -> _Pax | None:
    if ref is None:
        return None
    return next((p for p in paxes if p.traveller.ref == ref), None)


def _link_infants(paxes: list[_Pax]) -> None:
    """Infant -> adult: by the `<adult ref>I` convention, else when one infant and one flagged adult."""
    infants = [p for p in paxes if p.traveller.type is TravellerType.INFANT]
    adults = [p for p in paxes if p.traveller.accompanied_by_infant]
    for pax in infants:
        ref = pax.traveller.ref or ""
        adult = _pax_for(paxes, ref[:-1]) if ref.upper().endswith("I") else None
        if adult is None and len(infants) == 1 and len(adults) == 1:
            adult = adults[0]
        if adult is not None and adult is not pax:
            pax.traveller = replace(pax.traveller, infant_of=adult.traveller.ref)


def _move_infant_documents(paxes: list[_Pax]) -> None:
    """An infant's DOCS (gender MI/FI) sent under the accompanying adult goes to the infant's record when
    the booking links exactly one infant to that adult."""
    for adult in paxes:
        infants = [p for p in paxes if adult.traveller.ref and p.traveller.infant_of == adult.traveller.ref]
        if len(infants) != 1 or adult.traveller.type is TravellerType.INFANT:
            continue
        infant = infants[0]
        moving = [(k, d) for k, d in adult.documents if d.infant]
        adult.documents = [(k, d) for k, d in adult.documents if not d.infant]
        infant.documents.extend((k, replace(d, traveller_ref=infant.traveller.ref)) for k, d in moving)


def _compatible(a: TravelDocument, b: TravelDocument) -> bool:
    keys = ("number", "document_type", "date_of_birth", "expiry", "gender", "issuing_state")
    if a.infant != b.infant:
        return False
    return all(getattr(a, k) is None or getattr(b, k) is None or getattr(a, k) == getattr(b, k) for k in keys)


def _merge_documents(documents: list[tuple[str, TravelDocument]]) -> tuple[TravelDocument, ...]:
    """Keep each document once: earlier (structured) values win, later ones fill gaps and `raw`."""
    kept: list[tuple[str, TravelDocument]] = []
    for kind, doc in sorted(documents, key=lambda kd: not kd[1].source.startswith("XML")):
        index = next((i for i, (k, d) in enumerate(kept) if k == kind and _compatible(d, doc)), None)
        if index is None:
            kept.append((kind, doc))
            continue
        old = kept[index][1]
        gaps = {
            f.name: getattr(doc, f.name)
            for f in fields(TravelDocument)
            if getattr(old, f.name) is None and getattr(doc, f.name) is not None
        }
        kept[index] = (kind, replace(old, **gaps))
    return tuple(d for _, d in kept)


def _finish(pax: _Pax) -> Traveller:
    documents = _merge_documents(pax.documents)
    t = pax.traveller
    # An adult's DOCS may describe the infant on their lap (MI/FI): not the adult's own birth date.
    own = [d for d in documents if t.type is TravellerType.INFANT or not d.infant]
    born = t.date_of_birth or next((d.date_of_birth for d in own if d.date_of_birth), None)
    gender = t.gender or next((d.gender for d in own if d.gender), None)
    return replace(
        t,
        date_of_birth=born,
        gender=gender,
        documents=documents,
        contacts=tuple(_unique_contacts(pax.contacts)),
        addresses=tuple(_unique(pax.addresses)),
    )


def _unique(items: Iterable[_T]) -> list[_T]:
    seen: list[_T] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _unique_contacts(contacts: Iterable[Contact]) -> Iterator[Contact]:
    """The same number or address sent twice (ContactInfo and SSR CTCx) is one contact; the first wins."""
    seen: set[tuple[ContactKind, str, str | None]] = set()
    for contact in contacts:
        key = (contact.kind, contact.value.lower(), contact.traveller_ref)
        if key not in seen:
            seen.add(key)
            yield contact


def _unique_seats(seats: Iterable[Seat]) -> Iterator[Seat]:
    seen: set[tuple[str, str | None]] = set()
    for seat in seats:
        if (seat.number, seat.traveller_ref) not in seen:
            seen.add((seat.number, seat.traveller_ref))
            yield seat


def _codeshare(flight: Flight) -> Flight:
    """Drop an 'operating' carrier that is the marketing carrier itself (no codeshare)."""
    same_number = flight.operating_number in (None, flight.number)
    if flight.operating_carrier == flight.carrier and same_number:
        return replace(flight, operating_carrier=None, operating_number=None)
    return flight


def _sender(el: Element | None) -> BookingOffice | None:
    if el is None:
        return None
    return BookingOffice(system=_attr(el, "AirlineCode"), office_id=_attr(el, "SystemCode"))


def _office(pos: Element | None) -> BookingOffice | None:
    source = _kid(pos, "source")
    if source is None:
        return None
    requestor = _kid(source, "requestorid")
    return BookingOffice(
        system=_attr(source, "AirlineVendorID") or _attr(_kid(requestor, "companyname"), "Code"),
        location=_attr(source, "AirportCode"),
        iata_number=_attr(requestor, "ID"),
        office_id=_attr(source, "PseudoCityCode"),
        agent_type=_attr(requestor, "Type") or _attr(source, "AgentDutyCode"),
        country=_attr(source, "ISOCountry"),
        currency=_attr(source, "ISOCurrency"),
        agent_sign=_attr(source, "AgentSine"),
    )


def _contact_address(el: Element, phone: str | None, ref: str | None) -> Address | None:
    box = _kid(el, "address") or el
    street = " ".join(
        t for t in (_text(s) for s in _kids(box, "streetnmbr") + _kids(box, "addressline")) if t
    )
    state = _kid(box, "stateprov")
    country = _kid(box, "countryname")
    parts = {
        "street": street or None,
        "city": _kid_text(box, "cityname"),
        "state": _text(state) or _attr(state, "StateCode"),
        "postcode": _kid_text(box, "postalcode"),
        "country": _attr(country, "Code") or _text(country),
    }
    if not any(parts.values()):
        return None
    return Address(
        purpose=_attr(el, "Type"), phone=phone, traveller_ref=ref, source="XML ContactInfo", **parts
    )


def _structured_address(el: Element, ref: str | None) -> Address:
    return Address(
        purpose=_DOCA_PURPOSES.get((_attr(el, "AddressType") or "").upper(), _attr(el, "AddressType")),
        street=_attr(el, "Address", "Street"),
        city=_attr(el, "CityName", "City"),
        state=_attr(el, "StateProvCounty", "StateProv"),
        postcode=_attr(el, "PostalCode"),
        country=_attr(el, "Country", "CountryCode"),
        traveller_ref=ref,
        source="XML DOCA",
    )


_FALLBACK_REFERENCE = date(2030, 1, 1)


def _reference_date(
    header: MessageHeader, flight: Flight | None, root: Element, received: date | None
) -> date:
    """The date two-digit years are resolved against: message time, pushed flight, or any PNR date."""
    if header.prepared_at:
        return header.prepared_at.date()
    if flight and flight.departure:
        return flight.departure.local.date()
    for pnr in _walk(root, "pnr", stop="pnr"):
        for name in ("PNR_TransDate", "PNR_CreationDate"):
            parsed = _datetime(_attr(pnr, name))
            if parsed:
                return parsed[0].date()
    # No date anywhere in the document: the date received, else some recent century.
    return received or _FALLBACK_REFERENCE


# ---------------------------------------------------------------------------------------------------------
# Writing


def write_pnrgov_xml(push: PnrPush) -> bytes:
    """A namespaced PNRGOV XML notification (UTF-8, with declaration) carrying the push's facts."""
    header = push.header
    root = ET.Element(ROOT, xmlns=NAMESPACE)  # a default namespace: every element is in it, no prefixes
    _set(root, Version=header.version or "13.1", EchoToken=header.message_ref)
    _set(root, TimeStamp=_instant_text(header.prepared_at), TransactionIdentifier=header.common_access_ref)
    _set(root, SequenceNmbr=header.part)
    sender = push.sender_system
    _sub(
        root,
        "Originator",
        AirlineCode=(sender.system if sender else None) or header.sender,
        SystemCode=sender.office_id if sender else None,
    )
    if push.flight is not None:
        _write_flight_leg(root, push.flight)
    pnrs = _sub(root, "PNRs", NumberOfPnrs=push.declared_bookings or len(push.bookings))
    for booking in push.bookings:
        _write_booking(pnrs, booking)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def _text_of(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _set(el: Element, **attrs: object) -> None:
    for key, value in attrs.items():
        text = _text_of(value)
        if text is not None and text != "":
            el.set(key, text)


def _sub(parent: Element, name: str, text: str | None = None, **attrs: object) -> Element:
    el = ET.SubElement(parent, name)
    _set(el, **attrs)
    if text is not None:
        el.text = text
    return el


def _instant_text(value: datetime | None) -> str | None:
    return utc(value).replace(tzinfo=None).isoformat() if value else None


def _schedule_text(value: ScheduledTime | None) -> str | None:
    if value is None:
        return None
    return value.local.isoformat() if value.time_known else value.local.date().isoformat()


def _airports(el: Element, flight: Flight) -> None:
    if flight.origin:
        _sub(el, "DepartureAirport", LocationCode=flight.origin)
    if flight.destination:
        _sub(el, "ArrivalAirport", LocationCode=flight.destination)


def _write_flight_leg(root: Element, flight: Flight) -> None:
    change = None
    if flight.departure and flight.arrival:
        change = (flight.arrival.local.date() - flight.departure.local.date()).days
    leg = _sub(
        root,
        "FlightLeg",
        CarrierCode=flight.carrier,
        FlightNumber=flight.number,
        DepartureDateTime=_schedule_text(flight.departure),
        ArrivalDateTime=_schedule_text(flight.arrival),
        DateChangeNbr=change,
    )
    _airports(leg, flight)
    if flight.operating_carrier:
        _sub(leg, "OperatingAirline", Code=flight.operating_carrier, FlightNumber=flight.operating_number)


def _write_locator(parent: Element, locator: RecordLocator) -> None:
    el = _sub(parent, "BookingRefID", ID=locator.locator, Type=locator.kind)
    if locator.system:
        _sub(el, "CompanyName", Code=locator.system)


def _write_booking(pnrs: Element, booking: Booking) -> None:
    pnr = _sub(
        pnrs,
        "PNR",
        NumberOfPassengers=len(booking.travellers),
        PNR_TransDate=_instant_text(booking.last_changed_at),
        PNR_CreationDate=_instant_text(booking.created_at),
        LastTktDate=_instant_text(booking.ticketed_at),
    )
    locators = booking.locators or ((RecordLocator(booking.locator),) if booking.locator else ())
    for locator in locators:
        _write_locator(pnr, locator)
    if booking.office:
        _write_office(pnr, booking.office)
    for contact in booking.contacts:
        _write_contact(pnr, contact, rph=contact.traveller_ref)
    for address in booking.addresses:
        _write_address(pnr, address, rph=address.traveller_ref)
    for bag in booking.excess_baggage:
        _write_bag(pnr, "PrepaidBag", bag)
    with_infant = {t.infant_of for t in booking.travellers if t.infant_of}
    for traveller in booking.travellers:
        _write_passenger(pnr, traveller, traveller.ref in with_infant)
    for item in booking.services:
        _write_service(pnr, item)
    for segment in booking.segments:
        _write_segment(pnr, segment, booking.travellers)


def _write_office(pnr: Element, office: BookingOffice) -> None:
    source = _sub(
        _sub(pnr, "POS"),
        "Source",
        AgentSine=office.agent_sign,
        PseudoCityCode=office.office_id,
        ISOCountry=office.country,
        ISOCurrency=office.currency,
        AirlineVendorID=office.system,
        AirportCode=office.location,
    )
    if office.iata_number or office.agent_type:
        _sub(source, "RequestorID", ID=office.iata_number, Type=office.agent_type)


def _write_contact(parent: Element, contact: Contact, rph: str | None = None) -> None:
    if contact.kind is ContactKind.EMAIL:
        _sub(parent, "ContactInfo", EmailAddress=contact.value, RPH=rph)
    else:
        kind = _WRITE_PHONE_KINDS.get(contact.kind)
        _sub(parent, "ContactInfo", PhoneNumber=contact.value, PhoneType=kind, RPH=rph)


def _write_address(parent: Element, address: Address, rph: str | None = None) -> None:
    info = _sub(parent, "ContactInfo", Type=address.purpose, PhoneNumber=address.phone, RPH=rph)
    for name, value in (
        ("AddressLine", address.street),
        ("CityName", address.city),
        ("PostalCode", address.postcode),
        ("StateProv", address.state),
        ("CountryName", address.country),
    ):
        if value:
            _sub(info, name, value)


def _write_bag(parent: Element, name: str, bag: ExcessBaggage) -> None:
    """Prepaid (PNR) or excess (passenger) baggage: the same attributes under two names."""
    _sub(
        parent,
        name,
        UnitOfMeasureQuantity=bag.pieces,
        UnitOfMeasureCode=bag.unit,
        Amount=bag.amount.amount if bag.amount else None,
        CurrencyCode=bag.amount.currency if bag.amount else None,
    )


def _write_passenger(pnr: Element, t: Traveller, has_infant: bool = False) -> None:
    """`has_infant`: an infant of the booking names this traveller in `infant_of`."""
    pax = _sub(
        pnr,
        "Passenger",
        RPH=t.ref,
        AccompaniedByInfantInd=t.accompanied_by_infant or has_infant,
        PassengerTypeCode=_WRITE_TYPES[t.type],
        BirthDate=t.date_of_birth.isoformat() if t.date_of_birth else None,
        Gender=t.gender.value if t.gender else None,
    )
    if t.given_names:
        _sub(pax, "GivenName", t.given_names)
    _sub(pax, "Surname", t.surname)
    if t.title:
        _sub(pax, "NameTitle", t.title)
    for contact in t.contacts:
        _write_contact(pax, contact)
    for address in t.addresses:
        if "DOCA" not in (address.source or ""):
            _write_address(pax, address)
    for card in t.frequent_flyers:
        _sub(pax, "CustLoyalty", ProgramID=card.carrier, MembershipID=card.number, LoyalLevel=card.tier)
    for bag in t.excess_baggage:
        _write_bag(pax, "ExcessBaggage", bag)
    for basis in t.fare_basis:
        _sub(pax, "FareInfo", FareBasis=basis)
    for item in t.services:
        _write_service(pax, item)
    for ticket in t.tickets:
        _write_ticket(pax, ticket)
    for doc in t.documents:
        _write_document(pax, doc)
    for address in t.addresses:
        if "DOCA" in (address.source or ""):
            doc_ssr = _sub(pax, "DOC_SSR", SSRCode="DOCA")
            purpose = _WRITE_DOCA_PURPOSES.get(address.purpose or "", address.purpose)
            _sub(
                doc_ssr,
                "DOCA",
                AddressType=purpose,
                Address=address.street,
                CityName=address.city,
                StateProvCounty=address.state,
                PostalCode=address.postcode,
                Country=address.country,
            )


def _write_service(parent: Element, item: ServiceItem) -> None:
    el = _sub(
        parent,
        "SSR",
        SSRCode=item.code,
        ServiceQuantity=item.quantity,
        Status=item.status,
        BoardPoint=item.board,
        OffPoint=item.off,
        RPH=item.traveller_ref,
    )
    if item.carrier:
        _sub(el, "Airline", Code=item.carrier)
    text = item.text or item.seat
    if text:
        _sub(el, "Text", text)


def _write_ticket(pax: Element, ticket: Ticket) -> None:
    el = _sub(
        pax,
        "TicketDocument",
        TicketDocumentNbr=ticket.number,
        Type=ticket.kind,
        DateOfIssue=ticket.issued_on.isoformat() if ticket.issued_on else None,
        TicketLocation=ticket.issue_location,
    )
    for name, money in (("TotalFare", ticket.total_fare), ("BaseFare", ticket.base_fare)):
        if money:
            _sub(el, name, Amount=money.amount, CurrencyCode=money.currency)
    if ticket.non_refundable or ticket.validating_carrier:
        _sub(
            el,
            "PricingInfo",
            NonRefundableInd=ticket.non_refundable,
            ValidatingCarrierCode=ticket.validating_carrier,
        )
    if ticket.taxes:
        taxes = _sub(el, "Taxes")
        for tax in ticket.taxes:
            _sub(taxes, "Tax", Amount=tax.amount.amount, CurrencyCode=tax.amount.currency, TaxType=tax.code)
    for p in ticket.payments:
        # Only the last four digits are known; the rest is masked as a sender masks it.
        account = f"XXXXXXXXXXXX{p.card_last4}" if p.card_last4 else None
        _sub(
            el,
            "PaymentInfo",
            PaymentType=p.form,
            VendorCode=p.vendor,
            PaymentAmount=p.amount.amount if p.amount else None,
            CurrencyCode=p.amount.currency if p.amount else None,
            AccountNbr=account,
            ExpiryDate=p.card_expiry,
            CardHolderName=p.payer_name,
        )


def _write_document(pax: Element, doc: TravelDocument) -> None:
    kind = "DOCO" if doc.source.endswith("DOCO") else "DOCS"
    doc_ssr = _sub(pax, "DOC_SSR", SSRCode=kind)
    gender = doc.gender.value if doc.gender else None
    if doc.infant:
        gender = f"{gender or 'U'}I"
    number_attrs = {"DocType": doc.document_type, "DocID": doc.number}
    if kind == "DOCO":
        number_attrs = {"TravelDocType": doc.document_type, "TravelDocNbr": doc.number}
    _sub(
        doc_ssr,
        kind,
        **number_attrs,
        IssuingLoc=doc.issuing_state,
        PaxNationality=doc.nationality,
        DateOfBirth=doc.date_of_birth.isoformat() if doc.date_of_birth else None,
        Gender=gender,
        ExpiryDate=doc.expiry.isoformat() if doc.expiry else None,
        DateOfIssue=doc.issued_on.isoformat() if doc.issued_on else None,
        PlaceOfIssue=doc.place_of_issue,
        BirthLocation=doc.place_of_birth,
        CountryState=doc.applicable_country,
        Surname=doc.surname,
        FirstGivenName=doc.given_names,
    )
    if doc.raw:
        _sub(doc_ssr, "Text", doc.raw)


def _write_segment(pnr: Element, segment: Segment, travellers: tuple[Traveller, ...]) -> None:
    flight = segment.flight
    if flight is None and not segment.open:
        return  # a non-air segment has no place in the PNRGOV XML skeleton
    el = _sub(
        pnr,
        "Flight",
        ResBookDesigCode=segment.booking_class,
        NumberInParty=segment.party_size,
        Status=segment.status,
        FlightNumber=flight.number if flight else "OPEN",
        DepartureDateTime=_schedule_text(flight.departure) if flight else None,
        ArrivalDateTime=_schedule_text(flight.arrival) if flight else None,
    )
    if flight is not None:
        _airports(el, flight)
        if flight.operating_carrier:
            _sub(el, "OperatingAirline", Code=flight.operating_carrier, FlightNumber=flight.operating_number)
        _sub(el, "MarketingAirline", Code=flight.carrier)
    if segment.equipment:
        _sub(el, "Equipment", AirEquipType=segment.equipment)
    for item in segment.services:
        _write_service(el, item)
    written = {(c.seat, c.traveller_ref) for c in segment.check_ins} | {
        (s.seat, s.traveller_ref) for s in segment.services if s.seat
    }
    for seat in segment.seats:
        if (seat.number, seat.traveller_ref) not in written:
            _write_service(el, ServiceItem("SSR", "SEAT", traveller_ref=seat.traveller_ref, seat=seat.number))
    for locator in segment.locators:
        _write_locator(el, locator)
    for check_in in segment.check_ins:
        _write_check_in(el, check_in, travellers)


def _write_check_in(flight: Element, check_in: CheckIn, travellers: tuple[Traveller, ...]) -> None:
    info = _sub(flight, "CheckInInfo", Time=_instant_text(check_in.checked_in_at))
    boarding = _sub(info, "BoardingNumber", Number=check_in.sequence, RPH=check_in.traveller_ref)
    person = next((t for t in travellers if t.ref and t.ref == check_in.traveller_ref), None)
    surname = check_in.surname or (person.surname if person else None)
    given = check_in.given_names or (person.given_names if person else None)
    if surname:
        passenger = _sub(boarding, "Passenger")
        if given:
            _sub(passenger, "GivenName", given)
        _sub(passenger, "Surname", surname)
    if check_in.seat or check_in.cabin:
        _sub(boarding, "SeatNumber", check_in.seat, CabinClass=check_in.cabin)
