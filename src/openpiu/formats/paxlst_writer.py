"""PAXLST (UN/EDIFACT API) writer: a `PassengerList` back to the bytes a carrier would send.

Layout (reference/message-formats.md 4.1, WCO/IATA/ICAO PAXLST IG): UNB (`UNOA:4`) UNG UNH
(`PAXLST:D:05B:UN:IATA`) BGM RFF+TN, Gr.1 NAD+MS COM, Gr.2/3 per leg TDT LOC DTM, Gr.4 per
person NAD ATT DTM+329 MEA GEI FTX LOC COM EMP NAT RFF, Gr.5 DOC DTM LOC, then CNT UNT UNE UNZ.

Mapping choices a parser should mirror:

* One leg: LOC 125 (departure) and 87 (arrival); several legs (progressive): LOC 92 for both.
  DTM 189/232 is `YYMMDDHHMM:201`, or `YYMMDD:101` when the time is not known.
* NAD name is `surname:first given name:the other given names`.
* A date of birth known only to the month or year is written with `00` for what is missing.
* `references` are written as held; `locator`, `unique_id` and `seat` add RFF AVF/ABO/SEA
  unless `references` already carries that qualifier.
* Split lists (`max_persons_per_part`) repeat the header groups in every part and give the
  flight totals in CNT of every part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from openpiu.formats.edifact import DEFAULT_CHARS, ServiceChars
from openpiu.formats.edifact_writer import (
    Element,
    Group,
    SegmentBuffer,
    SentinelClash,
    hhmm,
    interchange,
    s010,
    yymmdd,
)
from openpiu.model import (
    ApiPerson,
    Contact,
    ContactKind,
    Flight,
    PartialDate,
    PassengerList,
    PersonRole,
    ScheduledTime,
    TravelDocument,
)

__all__ = ["write_paxlst"]

DEFAULT_VERSION = "D:05B"

_QUALIFIERS = {
    PersonRole.PASSENGER: "FL",
    PersonRole.CREW: "FM",
    PersonRole.TRANSIT_PASSENGER: "DDU",
    PersonRole.TRANSIT_CREW: "DDT",
    PersonRole.DRIVER: "VW",
    PersonRole.OTHER: "FL",
}
_CREW = frozenset({PersonRole.CREW, PersonRole.TRANSIT_CREW})
_COM_CODES = {
    ContactKind.PHONE: "TE",
    ContactKind.MOBILE: "TE",
    ContactKind.FAX: "FX",
    ContactKind.EMAIL: "EM",
    ContactKind.OTHER: "TE",
}
_WEIGHT_UNITS = {"kg": "KGM", "lb": "LBR"}


def write_paxlst(
    plist: PassengerList,
    *,
    sender: str | None = None,
    recipient: str | None = None,
    chars: ServiceChars | None = None,
    una: bool = True,
    line_breaks: bool = True,
    wrap: int | None = None,
    group: bool = True,
    max_persons_per_part: int | None = None,
    separate_interchanges: bool = False,
    newline: str = "\n",
    encoding: str = "utf-8",
) -> bytes:
    """The interchange(s) of one passenger or crew list.

    `sender`/`recipient` default to the header's (then the first leg's carrier and `PIU`).
    With `max_persons_per_part`, the list is split into messages `01:C` .. `nn:F` sharing the
    common access reference, in one interchange or, with `separate_interchanges`, one
    interchange each (concatenated).
    """
    chars = chars or DEFAULT_CHARS
    header = plist.header
    version = _version(header.version)
    base_ref = header.message_ref or "1"
    persons = plist.persons
    size = max_persons_per_part or 0
    if size < 0:
        raise ValueError("max_persons_per_part must be positive")
    chunks: list[tuple[ApiPerson, ...]] = (
        [persons[i : i + size] for i in range(0, len(persons), size)] if size else []
    ) or [persons]
    if len(chunks) == 1:
        refs = [base_ref]
        parts: list[tuple[int | None, bool | None]] = [(header.part, header.final_part)]
        common = header.common_access_ref
    else:
        refs = [f"{base_ref}{i:02d}" for i in range(1, len(chunks) + 1)]
        parts = [(i, i == len(chunks)) for i in range(1, len(chunks) + 1)]
        common = header.common_access_ref or base_ref
    totals = _totals(plist)
    carrier = plist.legs[0].carrier if plist.legs else None
    control = header.control_ref or base_ref

    def envelope(batch: list[SegmentBuffer], control_ref: str) -> bytes:
        return interchange(
            batch,
            chars=chars,
            una=una,
            syntax=header.syntax or "UNOA:4",
            sender=sender or header.sender or carrier or "ZZ",
            recipient=recipient or header.recipient or "PIU",
            prepared_at=header.prepared_at,
            control_ref=control_ref,
            group=Group("PAXLST", "UN", version, control_ref) if group else None,
            line_breaks=line_breaks,
            newline=newline,
            wrap=wrap,
            encoding=encoding,
        )

    def write(fast: bool) -> bytes:
        messages = [
            _message(
                plist,
                chunk,
                _Part(ref, common, s010(*part), version, totals),
                SegmentBuffer(chars, fast=fast),
            )
            for chunk, ref, part in zip(chunks, refs, parts, strict=True)
        ]
        if separate_interchanges and len(messages) > 1:
            return b"".join(envelope([m], f"{control}{i:02d}") for i, m in enumerate(messages, 1))
        return envelope(messages, control)

    try:
        return write(fast=True)
    except SentinelClash:
        return write(fast=False)


class _Part(NamedTuple):
    """Header facts of one message (part) of a list."""

    ref: str
    common: str | None
    status: tuple[str, ...] | None
    version: tuple[str, str]
    totals: tuple[int | None, int | None]  # CNT 42, CNT 41


def _version(version: str | None) -> tuple[str, str]:
    """`D:05B` -> ("D", "05B"); a bare `05B` gets the `D` directory."""
    text = version or DEFAULT_VERSION
    if ":" in text:
        directory, release = text.split(":", 1)
        return directory, release
    return "D", text


def _totals(plist: PassengerList) -> tuple[int | None, int | None]:
    """CNT 42 / 41 figures: as declared, else counted; None when that CNT is not written."""
    crew_count = sum(1 for p in plist.persons if p.role in _CREW)
    pax_count = len(plist.persons) - crew_count
    passengers = plist.declared_passengers
    crew = plist.declared_crew
    if passengers is None and (pax_count or (not crew_count and plist.document_code != "250")):
        passengers = pax_count
    if crew is None and (crew_count or plist.document_code == "250"):
        crew = crew_count
    return passengers, crew


def _message(
    plist: PassengerList, persons: Sequence[ApiPerson], part: _Part, buf: SegmentBuffer
) -> SegmentBuffer:
    add = buf.add
    directory, release = part.version
    add("UNH", part.ref, ("PAXLST", directory, release, "UN", "IATA"), part.common, part.status)
    add("BGM", plist.document_code, plist.document_id)
    if plist.reference:
        add("RFF", ("TN", plist.reference))
    if plist.reporting_party or plist.reporting_contacts:
        add("NAD", "MS", None, None, plist.reporting_party)
        _com(buf, plist.reporting_contacts)
    progressive = len(plist.legs) > 1
    for leg in plist.legs:
        _leg(buf, leg, progressive)
    for person in persons:
        _person(buf, person)
    passengers, crew = part.totals
    if passengers is not None:
        add("CNT", ("42", str(passengers)))
    if crew is not None:
        add("CNT", ("41", str(crew)))
    add("UNT", str(buf.count + 1), part.ref)
    return buf


def _com(buf: SegmentBuffer, contacts: Sequence[Contact]) -> None:
    """COM carries up to three numbers per segment."""
    elements: list[Element] = [(c.value, _COM_CODES[c.kind]) for c in contacts]
    for i in range(0, len(elements), 3):
        buf.add("COM", *elements[i : i + 3])


def _when(value: ScheduledTime) -> tuple[str, str]:
    if value.time_known:
        return yymmdd(value.local) + hhmm(value.local), "201"
    return yymmdd(value.local), "101"


def _leg(buf: SegmentBuffer, leg: Flight, progressive: bool) -> None:
    add = buf.add
    add("TDT", "20", leg.carrier + leg.number, None, None, leg.carrier)
    if leg.origin or leg.departure:
        add("LOC", "92" if progressive else "125", leg.origin)
        if leg.departure is not None:
            add("DTM", ("189", *_when(leg.departure)))
    if leg.destination or leg.arrival:
        add("LOC", "92" if progressive else "87", leg.destination)
        if leg.arrival is not None:
            add("DTM", ("232", *_when(leg.arrival)))


def _dob(value: PartialDate) -> str:
    return f"{value.year % 100:02d}{value.month or 0:02d}{value.day or 0:02d}"


def _person(buf: SegmentBuffer, person: ApiPerson) -> None:
    add = buf.add
    given = person.given_names.split(" ", 1) if person.given_names else []
    address = person.address
    add(
        "NAD",
        person.qualifier or _QUALIFIERS[person.role],
        None,
        None,
        (person.surname, *given),
        address.street if address else None,
        address.city if address else None,
        address.state if address else None,
        address.postcode if address else None,
        address.country if address else None,
    )
    if person.gender is not None:
        add("ATT", "2", None, person.gender.value)
    if person.date_of_birth is not None:
        add("DTM", ("329", _dob(person.date_of_birth)))
    bag = person.baggage
    if bag is not None:
        if bag.count is not None:
            add("MEA", "CT", None, (None, str(bag.count)))
        if bag.weight is not None:
            unit = _WEIGHT_UNITS.get(bag.unit or "kg", bag.unit)
            add("MEA", "WT", None, (unit, str(bag.weight)))
    if person.verified is not None:
        add("GEI", "4", "173" if person.verified else "174")
    if bag is not None:
        for tag in bag.tags:
            count = str(tag.consecutive) if tag.consecutive is not None else None
            add("FTX", "BAG", None, None, (tag.tag, count))
    for qualifier, place in (
        ("22", person.clearance),
        ("174", person.residence_country),
        ("178", person.embarkation),
        ("179", person.debarkation),
    ):
        if place:
            add("LOC", qualifier, place)
    if person.place_of_birth:
        add("LOC", "180", (None, None, None, person.place_of_birth))
    _com(buf, person.contacts)
    if person.crew_function:
        add("EMP", "1", (person.crew_function, "110", "111"))
    if person.nationality:
        add("NAT", "2", person.nationality)
    held = {q for q, _ in person.references}
    for qualifier, value in person.references:
        add("RFF", (qualifier, value))
    for qualifier, known in (("AVF", person.locator), ("ABO", person.unique_id), ("SEA", person.seat)):
        if known and qualifier not in held:
            add("RFF", (qualifier, known))
    for doc in person.documents:
        _document(buf, doc)


def _document(buf: SegmentBuffer, doc: TravelDocument) -> None:
    add = buf.add
    add("DOC", doc.document_type, doc.number)
    for qualifier, day in (("36", doc.expiry), ("182", doc.issued_on)):
        if day is not None:
            add("DTM", (qualifier, yymmdd(day)))
    if doc.issuing_state or doc.place_of_issue:
        add("LOC", "91", (doc.issuing_state, None, None, doc.place_of_issue))
