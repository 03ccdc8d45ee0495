"""PAXLST (UN/EDIFACT Advance Passenger Information) -> `PassengerList`.

Reads the WCO/IATA/ICAO air subset in every directory version that shares its group skeleton (D:02B, D:05B,
D:15B and later; `reference/message-formats.md` section 4.1):

```
BGM RFF(TN) [DTM]
Gr.1  NAD+MS [CTA] COM                  reporting party (not a person)
Gr.2  TDT [DTM]                         one per leg
      Gr.3  LOC DTM                     125/87 (or 92 progressive, 130 final) with DTM 189/232
Gr.4  NAD (FL FM DDU DDT VW ...)        one per person
      ATT DTM MEA GEI FTX LOC COM EMP NAT RFF
      Gr.5  DOC DTM LOC                 one per document
CNT (42 passengers, 41 crew)
```

and the legacy US Customs CEDIPAX layout (`PAXLST:001:000`, one `PDT` segment per person, section 4.2).

The reader is a small state machine driven by a dict of segment handlers. It is permissive: segments out of
place are applied where they make sense, unknown ones are skipped, and every repair or doubt becomes a
`ParseWarning` that names codes, tags and positions only, never a name, number or date of a person. Two-digit
years are resolved against the message date (dates of birth and issue dates into the past, expiry dates into
the window the text helpers define), so a message reads the same whenever it is processed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from openpiu.formats.edifact import EdifactMessage, EdifactSegment, repair_run_together
from openpiu.formats.errors import ParseError
from openpiu.formats.text import (
    clean,
    decode_telex_email,
    parse_contact,
    parse_hhmm,
    parse_yymmdd,
    resolve_century,
    small_int,
)
from openpiu.model import (
    Address,
    ApiPerson,
    Baggage,
    BagTag,
    Contact,
    ContactKind,
    Flight,
    Gender,
    ParseWarning,
    PartialDate,
    PassengerList,
    PersonRole,
    ScheduledTime,
    TravelDocument,
)

__all__ = ["PERSON_ROLES", "parse_paxlst"]

#: NAD party qualifier -> role of the person (anything else but MS is `PersonRole.OTHER`).
PERSON_ROLES: dict[str, PersonRole] = {
    "FL": PersonRole.PASSENGER,
    "FM": PersonRole.CREW,
    "DDU": PersonRole.TRANSIT_PASSENGER,
    "DDT": PersonRole.TRANSIT_CREW,
    "VW": PersonRole.DRIVER,
}

_GENDERS: dict[str, Gender] = {
    "M": Gender.MALE,
    "F": Gender.FEMALE,
    "U": Gender.UNSPECIFIED,
    "X": Gender.OTHER,
}

_COM_KINDS: dict[str, ContactKind] = {
    "TE": ContactKind.PHONE,
    "FX": ContactKind.FAX,
    "EM": ContactKind.EMAIL,
    "MB": ContactKind.MOBILE,
    "CP": ContactKind.MOBILE,
}

_CTC_LETTERS: dict[ContactKind, str] = {
    ContactKind.PHONE: "P",
    ContactKind.FAX: "F",
    ContactKind.EMAIL: "E",
    ContactKind.MOBILE: "M",
}

_WEIGHT_UNITS: dict[str, str] = {"KGM": "kg", "KG": "kg", "LBR": "lb", "LB": "lb"}

_KNOWN_TAGS = frozenset(
    {"BGM", "RFF", "DTM", "NAD", "CTA", "COM", "TDT", "LOC", "ATT", "MEA", "GEI", "FTX", "EMP", "NAT"}
    | {"DOC", "CNT", "UNS", "PDT", "QTY", "EQD"}
)

# Where the reader is in the group skeleton.
_HEADER, _PARTY, _LEG, _PERSON, _DOCUMENT, _TRAILER = range(6)


def _warning(code: str, text: str, segment: EdifactSegment) -> ParseWarning:
    return ParseWarning(code, text, segment=segment.number, offset=segment.offset, tag=segment.tag)


def _joined(element: tuple[str, ...]) -> str | None:
    """The non-empty components of an element joined by spaces (`:::AMBER HILL GBR` -> the name)."""
    return clean(" ".join(c for c in element if c.strip()))


def _code(text: str) -> str | None:
    """A code as sent, without the spaces PDF copies inject, upper-cased; empty -> None."""
    value = "".join(text.split()).upper()
    return value or None


def _place(element: tuple[str, ...]) -> str | None:
    """A LOC place: the code in component 0, else the name in component 3 (or whatever is there)."""
    if element and element[0].strip():
        return _code(element[0])
    return _joined(element)


@dataclass(slots=True)
class _Leg:
    carrier: str
    number: str
    origin: str | None = None
    destination: str | None = None
    departure: str | None = None  # the DTM value as sent
    arrival: str | None = None
    departure_segment: EdifactSegment | None = None
    arrival_segment: EdifactSegment | None = None


@dataclass(slots=True)
class _Document:
    segment: EdifactSegment
    document_type: str | None = None
    number: str | None = None
    expiry: str | None = None
    issued: str | None = None
    issuing_state: str | None = None
    place_of_issue: str | None = None
    expiry_segment: EdifactSegment | None = None
    issued_segment: EdifactSegment | None = None

    def has_content(self) -> bool:
        return any(
            (
                self.document_type,
                self.number,
                self.expiry,
                self.issued,
                self.issuing_state,
                self.place_of_issue,
            )
        )


@dataclass(slots=True)
class _Person:
    segment: EdifactSegment
    qualifier: str
    surname: str = ""
    given_names: str | None = None
    address: Address | None = None
    gender: Gender | None = None
    dob: str | None = None
    dob_segment: EdifactSegment | None = None
    nationality: str | None = None
    residence_country: str | None = None
    place_of_birth: str | None = None
    embarkation: str | None = None
    debarkation: str | None = None
    clearance: str | None = None
    documents: list[_Document] = field(default_factory=list)
    locator: str | None = None
    unique_id: str | None = None
    seat: str | None = None
    bag_count: int | None = None
    bag_weight: int | None = None
    bag_unit: str | None = None
    bag_tags: list[BagTag] = field(default_factory=list)
    crew_function: str | None = None
    verified: bool | None = None
    contacts: list[Contact] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)


def _int(text: str) -> int | None:
    return small_int("".join(text.split()))


class _Reader:
    """One pass over the body of one PAXLST message."""

    def __init__(
        self,
        message: EdifactMessage,
        reference: date | None,
        *,
        legacy: bool = False,
        received_on: date | None = None,
    ) -> None:
        self.received_on = received_on
        self.message = message
        self.reference = reference
        self.state = _HEADER
        self.read = 0  # segments a handler understood
        self.warnings: list[ParseWarning] = list(message.warnings)
        self.document_code: str | None = None
        self.document_id: str | None = None
        self.transaction_ref: str | None = None
        self.reporting_party: str | None = None
        self.reporting_contacts: list[Contact] = []
        self.legs: list[_Leg] = []
        self.persons: list[_Person] = []
        self.declared_passengers: int | None = None
        self.declared_crew: int | None = None
        self.count_segments: dict[str, EdifactSegment] = {}  # CNT qualifier -> its segment
        self.repetition = message.chars.repetition
        self.legacy = legacy

    # -- the walk ---------------------------------------------------------------------------------

    def run(self) -> None:
        for segment in self.message.segments:
            tag = segment.tag
            handler = _DISPATCH.get(tag)
            if handler is not None:
                if len(segment.elements) > 2 and tag not in ("FTX", "NAD", "PDT"):
                    repaired = repair_run_together(segment, _KNOWN_TAGS, self.message.chars)
                    if repaired is not None:
                        self.warnings.append(
                            _warning("run-together", "two segments without a terminator were split", segment)
                        )
                        for part in repaired:
                            self._dispatch(part)
                        continue
                handler(self, segment)
            elif not tag:
                self.warnings.append(_warning("not-a-segment", "text that is not a segment skipped", segment))
            else:
                self.warnings.append(
                    _warning("unknown-segment", "segment not used by PAXLST skipped", segment)
                )

    def _dispatch(self, segment: EdifactSegment) -> None:
        handler = _DISPATCH.get(segment.tag)
        if handler is None:
            self.warnings.append(_warning("unknown-segment", "segment not used by PAXLST skipped", segment))
        else:
            handler(self, segment)

    def _skip(self, segment: EdifactSegment, code: str = "unused-segment", why: str = "") -> None:
        self.warnings.append(_warning(code, why or "segment not used here, skipped", segment))

    @property
    def person(self) -> _Person | None:
        return self.persons[-1] if self.state in (_PERSON, _DOCUMENT) and self.persons else None

    @property
    def document(self) -> _Document | None:
        person = self.person
        if self.state == _DOCUMENT and person is not None and person.documents:
            return person.documents[-1]
        return None

    # -- header -----------------------------------------------------------------------------------

    def bgm(self, segment: EdifactSegment) -> None:
        self.read += 1
        self.document_code = _code(segment.get(0)) or None
        self.document_id = _code(segment.get(1)) or None

    def rff(self, segment: EdifactSegment) -> None:
        qualifier = _code(segment.get(0, 0)) or ""
        value = segment.get(0, 1)
        person = self.person
        if person is None:
            if qualifier == "TN" and self.transaction_ref is None:
                self.read += 1
                # With its revision as sent (`BART34567890:::1`): a new revision replaces the old list.
                parts = [c.strip() for c in segment.el(0)[1:]]
                while parts and not parts[-1]:
                    parts.pop()
                self.transaction_ref = ":".join(parts) or None
            else:
                self._skip(segment, "unused-reference", "reference outside a person skipped")
            return
        self.read += 1
        if not value:
            return
        person.references.append((qualifier, value))
        if qualifier == "AVF" and person.locator is None:
            person.locator = _code(value)
        elif qualifier == "ABO" and person.unique_id is None:
            person.unique_id = value
        elif qualifier == "SEA" and person.seat is None:
            person.seat = _code(value)

    # -- Gr.1 reporting party, Gr.4 persons --------------------------------------------------------

    def nad(self, segment: EdifactSegment) -> None:
        qualifier = _code(segment.get(0)) or ""
        self.read += 1
        if qualifier == "MS":
            self.state = _PARTY
            party_name = _joined(segment.el(3))
            profile = clean(segment.get(1))
            if self.reporting_party is None:
                self.reporting_party = party_name or profile
            else:
                self._skip(segment, "second-reporting-party", "a second NAD+MS; the first one is kept")
            return
        self.state = _PERSON
        person = _Person(segment=segment, qualifier=qualifier)
        name = segment.el(3)
        parts = [clean(c) for c in name]
        surname = parts[0] if parts else None
        given = clean(" ".join(p for p in parts[1:] if p))
        if surname is None:
            self.warnings.append(_warning("person-without-name", "NAD without a name", segment))
        person.surname = surname or ""
        person.given_names = given
        person.address = _address(segment)
        if qualifier not in PERSON_ROLES:
            self.warnings.append(_warning("other-party", "NAD party qualifier read as role other", segment))
        self.persons.append(person)

    def cta(self, segment: EdifactSegment) -> None:
        self.read += 1
        name = _joined(segment.el(1))
        if self.state in (_HEADER, _PARTY):
            if self.reporting_party is None:
                self.reporting_party = name
            # CEDIPAX writes the numbers into CTA itself: `CTA+IC+:NAME+1-703...:TE+...:FX`.
            self.reporting_contacts.extend(_contacts(segment, 2))
        else:
            self._skip(segment, "unused-segment", "contact person outside the reporting party skipped")

    def com(self, segment: EdifactSegment) -> None:
        self.read += 1
        contacts = _contacts(segment, 0)
        person = self.person
        if person is not None:
            person.contacts.extend(contacts)
        elif self.state in (_HEADER, _PARTY):
            self.reporting_contacts.extend(contacts)
        else:
            self._skip(segment, "unused-segment", "communication outside a party skipped")

    # -- Gr.2/Gr.3 legs ---------------------------------------------------------------------------

    def tdt(self, segment: EdifactSegment) -> None:
        self.read += 1
        self.state = _LEG
        identifier = _code(segment.get(1)) or ""
        # The carrier is element 5 (C040); CEDIPAX puts it in element 4 (`TDT++SA812+40+SA`).
        carrier = _code(segment.get(3 if self.legacy else 4))
        if carrier is not None and not carrier.isalnum():
            carrier = None
        flight_carrier, number, mismatch = _split_flight(identifier, carrier)
        if mismatch:
            self.warnings.append(
                _warning("carrier-mismatch", "TDT carrier differs from the flight id", segment)
            )
        if not number:
            self.warnings.append(_warning("no-flight-number", "TDT without a flight identifier", segment))
        self.legs.append(_Leg(carrier=flight_carrier, number=number))

    def _leg_loc(self, segment: EdifactSegment) -> None:
        qualifier = segment.get(0)
        code = _locode_airport(segment.get(1)) if self.legacy else _place(segment.el(1))
        leg = self.legs[-1]
        if qualifier in ("125", "5", "005"):
            if leg.origin is not None and leg.destination is not None:
                leg = self._next_leg(leg, code)
            else:
                leg.origin = code
        elif qualifier in ("87", "8", "008"):
            leg.destination = code
        elif qualifier == "130":
            if leg.destination is None:
                leg.destination = code
        elif qualifier == "92":
            if leg.origin is None:
                leg.origin = code
            elif leg.destination is None:
                leg.destination = code
            elif code == leg.destination:
                # The same airport again: the departure point of the next sector of a progressive flight.
                self._next_leg(leg, code)
            else:
                new = self._next_leg(leg, leg.destination)
                new.destination = code
        else:
            self._skip(segment, "unused-location", "leg location qualifier not used")
            return
        self.read += 1

    def _next_leg(self, leg: _Leg, origin: str | None) -> _Leg:
        new = _Leg(carrier=leg.carrier, number=leg.number, origin=origin)
        self.legs.append(new)
        return new

    def _leg_dtm(self, segment: EdifactSegment) -> None:
        qualifier = segment.get(0, 0)
        leg = self.legs[-1]
        value = segment.get(0, 1)
        if not value and len(segment.elements) > 1:
            # CEDIPAX: `DTM+136+020131+1030+M05` (date, time and zone in elements of their own).
            value = segment.get(1) + segment.get(2)
        if qualifier in ("189", "136"):
            if leg.departure is not None and leg.destination is not None:
                leg = self._next_leg(leg, leg.destination)
            leg.departure = value or None
            leg.departure_segment = segment
        elif qualifier in ("232", "132"):
            leg.arrival = value or None
            leg.arrival_segment = segment
        else:
            self._skip(segment, "unused-date", "leg date qualifier not used")
            return
        self.read += 1

    # -- dispatch by state --------------------------------------------------------------------------

    def loc(self, segment: EdifactSegment) -> None:
        if self.state == _LEG and self.legs:
            self._leg_loc(segment)
            return
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "location outside a leg or a person skipped")
            return
        qualifier = segment.get(0)
        place = _place(segment.el(1))
        self.read += 1
        document = self.document
        if qualifier == "91":
            if document is None:
                self._skip(segment, "out-of-place", "issuing state outside a document skipped")
                return
            element = segment.el(1)
            document.issuing_state = document.issuing_state or _code(segment.get(1))
            name = _joined(element[1:])
            if name is not None:
                document.place_of_issue = document.place_of_issue or name
        elif qualifier == "22":
            person.clearance = person.clearance or place
        elif qualifier == "174":
            person.residence_country = person.residence_country or place
        elif qualifier == "178":
            person.embarkation = person.embarkation or place
        elif qualifier == "179":
            person.debarkation = person.debarkation or place
        elif qualifier == "180":
            person.place_of_birth = person.place_of_birth or place
        else:
            self._skip(segment, "unused-location", "person location qualifier not used")

    def dtm(self, segment: EdifactSegment) -> None:
        if self.state == _LEG and self.legs:
            self._leg_dtm(segment)
            return
        qualifier = segment.get(0, 0)
        value = segment.get(0, 1)
        person = self.person
        if person is None:
            if self.state == _HEADER:
                self.read += 1  # message date: the envelope's is used
            else:
                self._skip(segment, "out-of-place", "date outside a leg or a person skipped")
            return
        self.read += 1
        document = self.document
        if qualifier == "329":
            if person.dob is None:
                person.dob = value or None
                person.dob_segment = segment
        elif qualifier == "36" and document is not None:
            document.expiry = value or None
            document.expiry_segment = segment
        elif qualifier == "182" and document is not None:
            document.issued = value or None
            document.issued_segment = segment
        elif value:
            self._skip(segment, "unused-date", "person or document date qualifier not used")

    def att(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "attribute outside a person skipped")
            return
        self.read += 1
        if segment.get(0) not in ("2", ""):
            self._skip(segment, "unused-attribute", "attribute other than gender skipped")
            return
        value = segment.get(2) or segment.get(1)
        # The CBP ACE form repeats the value with the repetition separator: `M*M*M`.
        for separator in (self.repetition, "*"):
            if separator and separator != " " and separator in value:
                value = value.split(separator, 1)[0]
        value = value.strip().upper()
        if not value:
            return
        gender = _GENDERS.get(value)
        if gender is None:
            self.warnings.append(_warning("unknown-gender", "gender code not understood", segment))
        elif person.gender is None:
            person.gender = gender

    def mea(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "measurement outside a person skipped")
            return
        self.read += 1
        qualifier = segment.get(0)
        element = segment.el(2)
        values = [c.strip() for c in element if c.strip()]
        amount = _int(values[-1]) if values else None
        if amount is None:
            if values:
                self.warnings.append(_warning("bad-number", "measurement value is not a number", segment))
            return
        if qualifier == "CT":
            person.bag_count = amount
        elif qualifier == "WT":
            person.bag_weight = amount
            unit = _code(element[0]) if len(element) > 1 else None
            person.bag_unit = _WEIGHT_UNITS.get(unit or "", unit)
        else:
            self._skip(segment, "unused-measurement", "measurement qualifier not used")

    def gei(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "processing indicator outside a person skipped")
            return
        self.read += 1
        code = segment.get(1)
        if code == "173":
            person.verified = True
        elif code == "174":
            person.verified = False
        else:
            self._skip(segment, "unused-indicator", "processing indicator not used")

    def ftx(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None or segment.get(0) != "BAG":
            self._skip(segment, "unused-text", "free text other than bag tags skipped")
            return
        self.read += 1
        element = segment.el(3)
        tag = _code(element[0]) if element else None
        if tag is None:
            return
        consecutive = _int(element[1]) if len(element) > 1 else None
        person.bag_tags.append(BagTag(tag=tag, consecutive=consecutive))

    def emp(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "employment outside a person skipped")
            return
        self.read += 1
        person.crew_function = person.crew_function or _code(segment.get(1)) or _joined(segment.el(1))

    def nat(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "nationality outside a person skipped")
            return
        self.read += 1
        person.nationality = person.nationality or _code(segment.get(1))

    def doc(self, segment: EdifactSegment) -> None:
        person = self.person
        if person is None:
            self._skip(segment, "out-of-place", "document outside a person skipped")
            return
        self.read += 1
        self.state = _DOCUMENT
        person.documents.append(
            _Document(segment=segment, document_type=_code(segment.get(0)), number=_code(segment.get(1)))
        )

    # -- trailer ------------------------------------------------------------------------------------

    def cnt(self, segment: EdifactSegment) -> None:
        self.read += 1
        self.state = _TRAILER
        qualifier = segment.get(0, 0)
        text = segment.get(0, 1)
        if not text and len(segment.elements) > 1:
            # `CNT+41+8`: the element separator where the component separator belongs.
            text = segment.get(1)
            self.warnings.append(_warning("cnt-form", "CNT total in a separate element read", segment))
        total = _int(text)
        if total is None:
            self.warnings.append(_warning("bad-number", "CNT total is not a number", segment))
            return
        self.count_segments[qualifier] = segment
        if qualifier == "42":
            self.declared_passengers = total
        elif qualifier == "41":
            self.declared_crew = total
        else:
            self._skip(segment, "unused-count", "CNT qualifier not used")

    def uns(self, segment: EdifactSegment) -> None:
        self.read += 1  # section control (CEDIPAX `UNS+D`, `UNS+S`): no content

    # -- legacy US CEDIPAX ------------------------------------------------------------------------

    def pdt(self, segment: EdifactSegment) -> None:
        """`PDT+P/E54321A:980831:IE+O?'LEARY:KRIS:ANN:331231:F+PAX+NZAKL:USLAX`."""
        self.read += 1
        self.state = _TRAILER
        role = _code(segment.get(2)) or ""
        qualifier = {"PAX": "FL", "CRW": "FM", "CRE": "FM", "CREW": "FM"}.get(role, role or "FL")
        person = _Person(segment=segment, qualifier=qualifier)
        name = segment.el(1)
        person.surname = clean(name[0]) or "" if name else ""
        person.given_names = clean(" ".join(c for c in name[1:3] if c.strip()))
        if not person.surname:
            self.warnings.append(_warning("person-without-name", "PDT without a name", segment))
        person.dob = segment.get(1, 3) or None
        person.dob_segment = segment
        gender_code = segment.get(1, 4).upper()
        person.gender = _GENDERS.get(gender_code)
        if gender_code and person.gender is None:
            self.warnings.append(_warning("unknown-gender", "gender code not understood", segment))
        doc_type, _, number = segment.get(0, 0).partition("/")
        document = _Document(
            segment=segment,
            document_type=_code(doc_type) if number else None,
            number=_code(number or doc_type),
            expiry=segment.get(0, 1) or None,
            issuing_state=_code(segment.get(0, 2)),
        )
        document.expiry_segment = segment
        if document.has_content():
            person.documents.append(document)
        route = segment.el(3)
        person.embarkation = _locode_airport(route[0]) if route else None
        person.debarkation = _locode_airport(route[1]) if len(route) > 1 else None
        self.persons.append(person)

    # -- results ----------------------------------------------------------------------------------

    def message_date(self) -> date:
        if self.reference is not None:
            return self.reference
        if self.message.prepared_at is not None:
            return self.message.prepared_at.date()
        for leg in self.legs:
            for text in (leg.departure, leg.arrival):
                when = parse_yymmdd(text or "", reference=None)
                if when is not None:
                    return when
        self.warnings.append(
            ParseWarning(
                "no-message-date",
                "no message date: two-digit years resolved against the date received"
                if self.received_on
                else "no message date to resolve two-digit years against; assumed a recent century",
                segment=self.message.unh.number,
                offset=self.message.unh.offset,
                tag="UNH",
            )
        )
        return self.received_on or FALLBACK_REFERENCE

    def flight(self, leg: _Leg, reference: date) -> Flight:
        return Flight(
            carrier=leg.carrier,
            number=leg.number,
            origin=leg.origin,
            destination=leg.destination,
            departure=self._time(leg.departure, leg.origin, leg.departure_segment, reference),
            arrival=self._time(leg.arrival, leg.destination, leg.arrival_segment, reference),
        )

    def _time(
        self, text: str | None, airport: str | None, segment: EdifactSegment | None, reference: date
    ) -> ScheduledTime | None:
        if not text:
            return None
        digits = "".join(text.split())
        day = parse_yymmdd(digits, reference=reference, past=False)
        clock = parse_hhmm(digits[-4:]) if len(digits) in (10, 12) else None
        if day is None or (len(digits) in (10, 12) and clock is None):
            if segment is not None:
                self.warnings.append(_warning("bad-date", "leg date or time not understood", segment))
            return None
        if clock is None:
            return ScheduledTime.at(airport, datetime(day.year, day.month, day.day), time_known=False)
        return ScheduledTime.at(airport, datetime.combine(day, clock))

    def _date(
        self, text: str | None, segment: EdifactSegment | None, reference: date, past: bool
    ) -> date | None:
        if not text:
            return None
        value = parse_yymmdd(text, reference=reference, past=past)
        if value is None and segment is not None:
            self.warnings.append(_warning("bad-date", "date not understood", segment))
        return value

    def _dob(self, person: _Person, reference: date) -> PartialDate | None:
        if not person.dob:
            return None
        value = _dob(person.dob, reference)
        if value is None and person.dob_segment is not None:
            self.warnings.append(_warning("bad-date", "date of birth not understood", person.dob_segment))
        return value

    def api_person(self, person: _Person, reference: date) -> ApiPerson:
        dob = self._dob(person, reference)
        documents = tuple(
            TravelDocument(
                source="PAXLST",
                document_type=doc.document_type,
                number=doc.number,
                issuing_state=doc.issuing_state,
                expiry=self._date(doc.expiry, doc.expiry_segment, reference, past=False),
                issued_on=self._date(doc.issued, doc.issued_segment, reference, past=True),
                place_of_issue=doc.place_of_issue,
            )
            for doc in person.documents
            if doc.has_content()
        )
        baggage: Baggage | None = None
        if person.bag_count is not None or person.bag_weight is not None or person.bag_tags:
            baggage = Baggage(
                count=person.bag_count,
                weight=person.bag_weight,
                unit=person.bag_unit,
                tags=tuple(person.bag_tags),
            )
        return ApiPerson(
            role=PERSON_ROLES.get(person.qualifier, PersonRole.OTHER),
            qualifier=person.qualifier,
            surname=person.surname,
            given_names=person.given_names,
            gender=person.gender,
            date_of_birth=dob,
            nationality=person.nationality,
            address=person.address,
            residence_country=person.residence_country,
            place_of_birth=person.place_of_birth,
            embarkation=person.embarkation,
            debarkation=person.debarkation,
            clearance=person.clearance,
            documents=documents,
            locator=person.locator,
            unique_id=person.unique_id,
            seat=person.seat,
            baggage=baggage,
            crew_function=person.crew_function,
            verified=person.verified,
            contacts=tuple(person.contacts),
            references=tuple(person.references),
        )

    def result(self) -> PassengerList:
        reference = self.message_date()
        legs = tuple(self.flight(leg, reference) for leg in self.legs)
        persons = tuple(self.api_person(person, reference) for person in self.persons)
        self._check_counts(persons)
        return PassengerList(
            header=self.message.header(),
            document_code=self.document_code,
            document_id=self.document_id,
            reference=self.transaction_ref,
            reporting_party=self.reporting_party,
            reporting_contacts=tuple(self.reporting_contacts),
            legs=legs,
            persons=persons,
            declared_passengers=self.declared_passengers,
            declared_crew=self.declared_crew,
            warnings=tuple(self.warnings),
        )

    def _check_counts(self, persons: tuple[ApiPerson, ...]) -> None:
        passengers = sum(1 for p in persons if p.role in (PersonRole.PASSENGER, PersonRole.TRANSIT_PASSENGER))
        crew = sum(1 for p in persons if p.role in (PersonRole.CREW, PersonRole.TRANSIT_CREW))
        for what, qualifier, declared, found in (
            ("passengers", "42", self.declared_passengers, passengers),
            ("crew", "41", self.declared_crew, crew),
        ):
            # CNT is the flight's total in every part of a split list: a part may hold fewer.
            split = self.message.part is not None and not (self.message.part == 1 and self.message.final_part)
            # ...but a total for a role of which this message lists nobody, while it lists the other
            # role (`CNT+41:206` over 260 passengers), is a sender's mistake worth a warning.
            wrong_role = declared is not None and found == 0 and passengers + crew > 0
            if declared is not None and (declared < found if split and not wrong_role else declared != found):
                where = self.count_segments.get(qualifier, self.message.unh)
                self.warnings.append(
                    ParseWarning(
                        "cnt-mismatch",
                        f"CNT declares {declared} {what}, the message lists {found}"
                        + ("" if self.message.part is None else " (one part of a split list)"),
                        segment=where.number,
                        offset=where.offset,
                        tag="CNT",
                    )
                )


_DISPATCH: dict[str, Callable[[_Reader, EdifactSegment], None]] = {
    "BGM": _Reader.bgm,
    "RFF": _Reader.rff,
    "DTM": _Reader.dtm,
    "NAD": _Reader.nad,
    "CTA": _Reader.cta,
    "COM": _Reader.com,
    "TDT": _Reader.tdt,
    "LOC": _Reader.loc,
    "ATT": _Reader.att,
    "MEA": _Reader.mea,
    "GEI": _Reader.gei,
    "FTX": _Reader.ftx,
    "EMP": _Reader.emp,
    "NAT": _Reader.nat,
    "DOC": _Reader.doc,
    "CNT": _Reader.cnt,
    "UNS": _Reader.uns,
    "PDT": _Reader.pdt,
}


def _address(segment: EdifactSegment) -> Address | None:
    """NAD elements 5-9: street, city, region (`HI` or `:::LINCS`), postcode, country."""
    street = _joined(segment.el(4))
    city = _joined(segment.el(5))
    region = _joined(segment.el(6))
    postcode = _joined(segment.el(7))
    country = _code(segment.get(8))
    if not any((street, city, region, postcode, country)):
        return None
    return Address(
        street=street, city=city, state=region, postcode=postcode, country=country, source="PAXLST NAD"
    )


def _contacts(segment: EdifactSegment, first: int) -> list[Contact]:
    """COM `number:TE+number:FX+address:EM` (up to three elements, from element `first`)."""
    contacts: list[Contact] = []
    for element in segment.elements[first:]:
        if not element or not element[0].strip():
            continue
        qualifier = element[1].strip().upper() if len(element) > 1 else ""
        kind = _COM_KINDS.get(qualifier, ContactKind.OTHER)
        # Normalised as the PNRGOV reader does (digits only, e-mail decoded), so contacts link across
        # messages; the value as sent is kept when the helper finds nothing usable.
        letter = _CTC_LETTERS.get(kind)
        contact = parse_contact(f"CTC{letter}", element[0], source="COM") if letter else None
        if contact is not None and contact.kind is not kind:
            contact = Contact(kind=kind, value=contact.value, source="COM")
        if contact is None:
            value = decode_telex_email(element[0]) if kind is ContactKind.EMAIL else clean(element[0])
            contact = Contact(kind=kind, value=value, source="COM") if value else None
        if contact is not None:
            contacts.append(contact)
    return contacts


def _split_flight(identifier: str, carrier: str | None) -> tuple[str, str, bool]:
    """(carrier, number, mismatch) from `ZZ123`, `UA0989`, `BAW123`, `123` + carrier, `ccxxMCL`."""
    if carrier and identifier.startswith(carrier) and len(identifier) > len(carrier):
        return carrier, identifier[len(carrier) :], False
    if identifier.isdigit():
        return carrier or "", identifier, False
    width = 3 if len(identifier) > 3 and identifier[:3].isalpha() and identifier[3].isdigit() else 2
    prefix, number = identifier[:width], identifier[width:]
    if not number:
        return carrier or "", identifier, False
    if carrier:
        return carrier, number, prefix != carrier
    return prefix, number, False


def _dob(text: str, reference: date) -> PartialDate | None:
    """`YYMMDD` or `CCYYMMDD` into the past of `reference`; `00` for an unknown day or month."""
    digits = "".join(text.split())
    if not (digits.isascii() and digits.isdigit() and len(digits) in (6, 8)):
        return None
    full = parse_yymmdd(digits, reference=reference, past=True)
    if full is not None:
        return PartialDate.of(full)
    year_text, month, day = digits[:-4], int(digits[-4:-2]), int(digits[-2:])
    if not 1 <= month <= 12 and month != 0:
        return None
    if month == 0 and day != 0:
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year = resolve_century(year, reference=reference, past=True)
        if month and (year, month) > (reference.year, reference.month):
            year -= 100
    if day != 0:
        return None  # a full date that does not exist (`720231`)
    try:
        return PartialDate(year, month or None, None)
    except ValueError:
        return None


def _locode_airport(text: str) -> str | None:
    """CEDIPAX places are UN/LOCODEs (`NZAKL`): the airport code is the last three letters."""
    value = _code(text)
    if value is None:
        return None
    return value[2:] if len(value) == 5 else value


def _standard(version: str | None) -> bool:
    return version is None or version.upper().startswith("D:")


# Without any date in the message nor a date received, two-digit years need some century.
FALLBACK_REFERENCE = date(2030, 1, 1)


def parse_paxlst(
    message: EdifactMessage, *, reference: date | None = None, received_on: date | None = None
) -> PassengerList:
    """Read one PAXLST message (D:02B ... D:15B and later, or legacy CEDIPAX 001:000).

    `reference` is the date two-digit years are resolved against; by default the interchange date (UNB),
    else the first leg's date, else `received_on` (the inbox's date). Raises `ParseError` only when
    the message is not a PAXLST or when not a single segment of it could be read.
    """
    unh = message.unh
    if message.message_type != "PAXLST":
        raise ParseError(
            f"not a PAXLST message (UNH says {message.message_type or 'nothing'})",
            offset=unh.offset,
            segment=unh.number,
        )
    version = message.version
    # CEDIPAX says `PAXLST:001:000:NZ`, which the envelope reader renders as version "1.0".
    legacy = unh.get(1, 1).lstrip("0") == "1" and not unh.get(1, 2).strip("0")
    if not (legacy or _standard(version)):
        raise ParseError(
            f"PAXLST version {version} is not supported (D:02B to D:15B and later, or CEDIPAX 001:000)",
            offset=unh.offset,
            segment=unh.number,
        )
    reader = _Reader(message, reference, legacy=legacy, received_on=received_on)
    if version is None:
        reader.warnings.append(
            ParseWarning(
                "no-version",
                "UNH gives no message version; read as the standard air subset",
                segment=unh.number,
                offset=unh.offset,
                tag="UNH",
            )
        )
    reader.run()
    if reader.read == 0:
        raise ParseError(
            "nothing readable in this PAXLST message (no BGM, NAD, TDT, PDT or CNT)",
            offset=unh.offset,
            segment=unh.number,
        )
    return reader.result()
