"""What each wire format cannot carry: the one list the round-trip property is checked against.

The writers and readers promise `parse(write(x)) == x`, field for field, for every record the model
can hold, except for the fields listed here. Each listed path is either

* **lost by writing**: the format has no place for the field (or the writer uses its place for
  something else), so the reader cannot get it back; or
* **added by reading**: the reader fills the field from what it saw on the wire (the raw text, the
  byte offset, a warning, a value derived from another field), so the record read back holds more
  than the record written.

A path is a type name followed by field names, e.g. `Payment.card_hash` (every `Payment`, wherever
it is) or `Booking.payments.card_hash` (only the payments held directly by a booking). Records in
tuples and optional records are walked alike.

`comparable(message, fmt)` resets every listed field to its default, on either side of the
comparison, and applies the few normalisations that are equivalences rather than losses (listed in
`NORMALISED`). `first_difference(a, b)` names the first differing path, for readable failures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from openpiu.formats.text import find_contacts_in_text
from openpiu.model import (
    Address,
    ApiPerson,
    Booking,
    CheckIn,
    Contact,
    ContactKind,
    HistoryEntry,
    MessageFormat,
    PassengerList,
    Payment,
    PnrPush,
    Remark,
    Seat,
    Segment,
    ServiceItem,
    Ticket,
    TravelDocument,
    Traveller,
    TravellerType,
)

__all__ = [
    "ADDED_BY_READING",
    "LOST_BY_WRITING",
    "NORMALISED",
    "NOT_CARRIED",
    "comparable",
    "first_difference",
]

# --- lost by writing ------------------------------------------------------------------------------
# path -> why the format has no place for it (one line each).

_PNRGOV_LOST: dict[str, str] = {
    "Traveller.date_of_birth": "TIF has no date of birth: it comes back only through the DOCS",
    "Traveller.gender": "TIF has no gender: it comes back only through the DOCS",
    "Payment.amount.currency": "FOP has no currency; the reader borrows the ticket total's",
    "Payment.card_hash": "FOP holds the masked account number (last four only), never the full number",
    "Ticket.one_way": "no TKT, MON or PTK element says one way",
    "CheckIn.boarded": "Gr.6/7 (DAT ORG TRI TIF SSD TBD) has no boarding flag",
}

_PNRGOV_XML_LOST: dict[str, str] = {
    "PnrPush.function": "the IG root names no full/update attribute",
    "MessageHeader.control_ref": "no interchange envelope in XML",
    "MessageHeader.syntax": "no interchange envelope in XML",
    "MessageHeader.recipient": "no interchange envelope in XML",
    "MessageHeader.final_part": "SequenceNmbr numbers a part but does not mark the last",
    "PnrPush.sender_system.location": "Originator has AirlineCode and SystemCode only",
    "PnrPush.sender_system.iata_number": "Originator has AirlineCode and SystemCode only",
    "PnrPush.sender_system.agent_type": "Originator has AirlineCode and SystemCode only",
    "PnrPush.sender_system.country": "Originator has AirlineCode and SystemCode only",
    "PnrPush.sender_system.currency": "Originator has AirlineCode and SystemCode only",
    "PnrPush.sender_system.agent_sign": "Originator has AirlineCode and SystemCode only",
    "Booking.group_name": "the PNR element has no group name",
    "Booking.payments": "payments live only under a TicketDocument",
    "Booking.remarks": "the IG skeleton has no booking-level free text",
    "Booking.history": "the IG skeleton has no history",
    "Booking.split_count": "the IG skeleton has no split (divided) bookings",
    "Booking.split_locators": "the IG skeleton has no split (divided) bookings",
    "Booking.cancelled": "no cancelled marker in the PNR element",
    "RecordLocator.created_at": "BookingRefID has no creation time (PNR_CreationDate is the booking's)",
    "Traveller.unique_id": "Passenger has no unique passenger reference",
    "Traveller.remarks": "Passenger has no free text",
    "Segment.remarks": "Flight has no free text",
    "Ticket.booklets": "TicketDocument has no booklet count",
    "Ticket.one_way": "TicketDocument has no one-way flag",
    "Payment.card_hash": "AccountNbr is written masked (last four only)",
    "Payment.payer_address": "PaymentInfo has CardHolderName only",
    "Payment.payer_phone": "PaymentInfo has CardHolderName only",
    "CheckIn.agent": "CheckInInfo has no agent",
    "CheckIn.baggage": "CheckInInfo has no bag details",
    "CheckIn.boarded": "BoardingStatus is not read (see the pnrgov_xml docstring)",
    "CheckIn.text": "CheckInInfo has no free text",
    "Traveller.raw_name": "names are structured elements; there is no name line as sent",
}

_PAXLST_LOST: dict[str, str] = {}

LOST_BY_WRITING: Mapping[MessageFormat, Mapping[str, str]] = {
    MessageFormat.PNRGOV: _PNRGOV_LOST,
    MessageFormat.PNRGOV_XML: _PNRGOV_XML_LOST,
    MessageFormat.PAXLST: _PAXLST_LOST,
}

# --- added by reading -----------------------------------------------------------------------------
# path -> what the reader puts there that the written record did not hold.

_READ_EVERYWHERE: dict[str, str] = {
    "PnrPush.warnings": "parser's notes on the input, not message content",
    "PassengerList.warnings": "parser's notes on the input, not message content",
    "MessageHeader.offset": "byte offset of the message in the input",
}

_PNRGOV_ADDED: dict[str, str] = {
    "TravelDocument.raw": "the DOCS/DOCO free text as read",
    "Traveller.raw_name": "the TIF name as read, for audit of the title split",
}

_PNRGOV_XML_ADDED: dict[str, str] = {
    "TravelDocument.raw": "the raw SSR text when the document also came as text",
}

_PAXLST_ADDED: dict[str, str] = {}

ADDED_BY_READING: Mapping[MessageFormat, Mapping[str, str]] = {
    MessageFormat.PNRGOV: {**_READ_EVERYWHERE, **_PNRGOV_ADDED},
    MessageFormat.PNRGOV_XML: {**_READ_EVERYWHERE, **_PNRGOV_XML_ADDED},
    MessageFormat.PAXLST: {**_READ_EVERYWHERE, **_PAXLST_ADDED},
}

NOT_CARRIED: Mapping[MessageFormat, frozenset[str]] = {
    fmt: frozenset(LOST_BY_WRITING[fmt]) | frozenset(ADDED_BY_READING[fmt]) for fmt in MessageFormat
}
"""Every field path a format does not carry through `parse(write(x))`: lost by writing or added by reading."""

# --- normalisations -------------------------------------------------------------------------------
# Applied to both sides after the reset. Most are equivalences (one fact, two spellings); the ones
# marked "added by reading" or "lost" need a condition a field path cannot express.

_EDIFACT_NORMALISED: dict[str, str] = {
    "header defaults": "no control reference / syntax is written as the message reference / IATA:1",
    "identity SSRs": "added by reading: DOCS, DOCO, DOCA, CTCx, FQTV SSRs stay in `services` beside "
    "the documents, addresses, contacts and frequent-flyer records read from them",
    "seat SSRs": "added by reading: a SEAT SSR stays in `services` beside the `seats` read from it",
    "traveller_ref of held records": "a frequent-flyer number, ticket, payment, check-in bag held by a "
    "traveller or check-in names that traveller",
    "sources": "a contact, address, seat or remark without a source/subject reads back with the "
    "form the writer chose (SSR CTCx, DOCA or ADD, SSR SEAT, IFT subject 4)",
    "DOCA purpose": "R / D read back as residence / destination",
    "infant flag": "an adult an infant names in `infant_of` is accompanied by an infant (TIF :1); "
    "lost: the flag links one infant per adult, so a second infant naming the same adult is unlinked",
    "IFT contacts": "added by reading: an IFT contact also reads back as the remark that holds it",
    "history items": "`SSR+AVML:HK:1:DL` (item in default syntax) reads back as item `SSR AVML` "
    "with the rest as text",
    "payments": "FOP lives only under a TKT: booking payments and ticket payments are one list, "
    "and a ticketless TKT holding only payments is that list's carrier",
    "cancelled bookings": "lost: an empty ORG replaces the office, and marks a cancellation only "
    "in an update push (141)",
}

NORMALISED: Mapping[MessageFormat, Mapping[str, str]] = {
    MessageFormat.PNRGOV: _EDIFACT_NORMALISED,
    MessageFormat.PNRGOV_XML: {
        "header format": "the record is written as PNRGOV XML whatever format it was read from",
        "sources": "provenance (Contact, Address, Seat source) names the XML element read",
        "document source": "DOCS reads back as XML, DOCO as XML DOCO",
        "identity SSRs": _EDIFACT_NORMALISED["identity SSRs"],
        "seat SSRs": _EDIFACT_NORMALISED["seat SSRs"],
        "traveller_ref of held records": _EDIFACT_NORMALISED["traveller_ref of held records"],
        "infant flag": _EDIFACT_NORMALISED["infant flag"],
        "traveller identity": "added by reading: a passenger without BirthDate / Gender takes them "
        "from its DOCS",
        "several infants": "lost: with more than one infant in a booking, only the `<adult ref>I` "
        "reference links an infant to its adult",
        "check-in seats": "added by reading: a check-in's seat is also a seat of the segment, in the "
        "check-in's cabin",
    },
    MessageFormat.PAXLST: {
        "header defaults": "no control reference / syntax is written as the message reference / UNOA:4",
        "references": "added by reading: RFF AVF/ABO/SEA are kept in `references` beside the "
        "locator, unique id and seat read from them",
    },
}
"""The normalisations `comparable` applies, by name, with what each does."""


def comparable(message: PnrPush | PassengerList, fmt: MessageFormat) -> PnrPush | PassengerList:
    """`message` with every field of `NOT_CARRIED[fmt]` at its default, and `NORMALISED[fmt]` applied."""
    paths = [tuple(p.split(".")) for p in NOT_CARRIED[fmt]]
    reset: PnrPush | PassengerList = _reset(message, paths, ())
    for normalise in _NORMALISERS[fmt]:
        reset = normalise(reset)
    return reset


def _reset(value: Any, paths: list[tuple[str, ...]], active: tuple[tuple[str, ...], ...]) -> Any:
    if isinstance(value, tuple):
        walked = tuple(_reset(v, paths, active) for v in value)
        return value if all(w is v for w, v in zip(walked, value, strict=True)) else walked
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    name = type(value).__name__
    here = (*active, *(p[1:] for p in paths if p[0] == name))
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        current = getattr(value, field.name)
        if any(p == (field.name,) for p in here):
            default = _default(field)
            if current != default:
                changes[field.name] = default
            continue
        below = tuple(p[1:] for p in here if len(p) > 1 and p[0] == field.name)
        walked = _reset(current, paths, below)
        if walked is not current:
            changes[field.name] = walked
    return dataclasses.replace(value, **changes) if changes else value


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None  # a required optional field (`function: str | None`): None is its empty value


# --- the normalisers ------------------------------------------------------------------------------

_IDENTITY_CODES = frozenset({"DOCS", "DOCO", "DOCA", "FQTV"})
_CONTACT_SOURCES = {
    ContactKind.EMAIL: "SSR CTCE",
    ContactKind.MOBILE: "SSR CTCM",
    ContactKind.PHONE: "SSR CTCH",
    ContactKind.FAX: "SSR CTCF",
}
_DOCA_PURPOSES = {"R": "residence", "D": "destination"}


def _bookings(fn: Callable[[PnrPush, Booking], Booking]) -> Callable[[Any], Any]:
    def apply(message: Any) -> Any:
        if not isinstance(message, PnrPush):
            return message
        return dataclasses.replace(message, bookings=tuple(fn(message, b) for b in message.bookings))

    return apply


def _is_identity(item: ServiceItem) -> bool:
    code = item.code or ""
    return item.kind == "SSR" and (code in _IDENTITY_CODES or code.startswith("CTC"))


def _identity_ssrs(_push: PnrPush, b: Booking) -> Booking:
    return dataclasses.replace(
        b,
        services=tuple(s for s in b.services if not _is_identity(s)),
        travellers=tuple(
            dataclasses.replace(t, services=tuple(s for s in t.services if not _is_identity(s)))
            for t in b.travellers
        ),
        segments=tuple(
            dataclasses.replace(g, services=tuple(s for s in g.services if not _is_identity(s)))
            for g in b.segments
        ),
    )


def _seat_ssrs(_push: PnrPush, b: Booking) -> Booking:
    return dataclasses.replace(
        b,
        segments=tuple(
            dataclasses.replace(g, services=tuple(s for s in g.services if not (s.seat and s.code == "SEAT")))
            for g in b.segments
        ),
    )


def _held_refs(_push: PnrPush, b: Booking) -> Booking:
    def traveller(t: Traveller) -> Traveller:
        ref = t.ref
        return dataclasses.replace(
            t,
            frequent_flyers=tuple(
                f if f.traveller_ref else dataclasses.replace(f, traveller_ref=ref) for f in t.frequent_flyers
            ),
            tickets=tuple(
                dataclasses.replace(
                    k,
                    traveller_ref=k.traveller_ref or ref,
                    payments=tuple(
                        p if p.traveller_ref else dataclasses.replace(p, traveller_ref=ref)
                        for p in k.payments
                    ),
                )
                for k in t.tickets
            ),
        )

    def check_in(c: CheckIn) -> CheckIn:
        bag = c.baggage
        if bag is None or bag.traveller_ref:
            return c
        return dataclasses.replace(c, baggage=dataclasses.replace(bag, traveller_ref=c.traveller_ref))

    return dataclasses.replace(
        b,
        travellers=tuple(traveller(t) for t in b.travellers),
        segments=tuple(
            dataclasses.replace(g, check_ins=tuple(check_in(c) for c in g.check_ins)) for g in b.segments
        ),
    )


def _edifact_sources(_push: PnrPush, b: Booking) -> Booking:
    def contact(c: Contact) -> Contact:
        if c.source is not None or c.kind not in _CONTACT_SOURCES:
            return c
        return dataclasses.replace(c, source=_CONTACT_SOURCES[c.kind])

    def address(a: Address, traveller: bool) -> Address:
        doca = traveller and (a.purpose in ("R", "D", "residence", "destination") or a.source == "DOCA")
        purpose = _DOCA_PURPOSES.get(a.purpose or "", a.purpose) if doca else a.purpose
        return dataclasses.replace(a, purpose=purpose, source=a.source or ("DOCA" if doca else "ADD"))

    def remark(r: Remark) -> Remark:
        return r if r.subject else dataclasses.replace(r, subject="4")

    def remarks(items: tuple[Remark, ...]) -> tuple[Remark, ...]:
        # An IFT contact reads back as a contact and as the remark holding it: drop that copy.
        return tuple(remark(r) for r in items if not find_contacts_in_text(r.text))

    return dataclasses.replace(
        b,
        contacts=tuple(contact(c) for c in b.contacts),
        addresses=tuple(address(a, False) for a in b.addresses),
        remarks=remarks(b.remarks),
        travellers=tuple(
            dataclasses.replace(
                t,
                contacts=tuple(contact(c) for c in t.contacts),
                addresses=tuple(address(a, True) for a in t.addresses),
                remarks=remarks(t.remarks),
            )
            for t in b.travellers
        ),
        segments=tuple(
            dataclasses.replace(
                g,
                remarks=remarks(g.remarks),
                seats=tuple(s if s.source else dataclasses.replace(s, source="SSR SEAT") for s in g.seats),
            )
            for g in b.segments
        ),
    )


def _infant_flag(_push: PnrPush, b: Booking) -> Booking:
    named: set[str] = set()
    travellers: list[Traveller] = []
    for t in b.travellers:
        if t.infant_of is not None:
            if t.infant_of in named:
                t = dataclasses.replace(t, infant_of=None)  # noqa: PLW2901 - one lap infant per adult
            named.add(t.infant_of or "")
        travellers.append(t)
    return dataclasses.replace(
        b,
        travellers=tuple(
            dataclasses.replace(t, accompanied_by_infant=True)
            if t.ref in named and not t.accompanied_by_infant
            else t
            for t in travellers
        ),
    )


def _xml_identity(_push: PnrPush, b: Booking) -> Booking:
    def traveller(t: Traveller) -> Traveller:
        if t.date_of_birth is not None and t.gender is not None:
            return t
        doc = next((d for d in t.documents if d.date_of_birth or d.gender), None)
        if doc is None:
            return t
        return dataclasses.replace(
            t, date_of_birth=t.date_of_birth or doc.date_of_birth, gender=t.gender or doc.gender
        )

    return dataclasses.replace(b, travellers=tuple(traveller(t) for t in b.travellers))


def _xml_infants(_push: PnrPush, b: Booking) -> Booking:
    infants = [t for t in b.travellers if t.type is TravellerType.INFANT]
    if len(infants) < 2:
        return b
    return dataclasses.replace(
        b,
        travellers=tuple(
            dataclasses.replace(t, infant_of=None)
            if t.infant_of and t.type is TravellerType.INFANT and t.ref != f"{t.infant_of}I"
            else t
            for t in b.travellers
        ),
    )


def _history_items(_push: PnrPush, b: Booking) -> Booking:
    def entry(h: HistoryEntry) -> HistoryEntry:
        if h.source != "ABI" or not h.item or h.text is not None or "+" not in h.item:
            return h
        tag, _, rest = h.item.partition("+")
        item = f"SSR {rest.split(':')[0]}" if tag == "SSR" and rest else tag
        return dataclasses.replace(h, item=item, text=rest or None)

    return dataclasses.replace(b, history=tuple(entry(h) for h in b.history))


def _payments(_push: PnrPush, b: Booking) -> Booking:
    everything: list[Payment] = list(b.payments)
    travellers: list[Traveller] = []
    for t in b.travellers:
        kept: list[Ticket] = []
        for k in t.tickets:
            everything.extend(p for p in k.payments if p not in everything)
            if k.payments and k == Ticket(None, payments=k.payments, traveller_ref=k.traveller_ref):
                continue  # a ticketless TKT carrying payments only
            kept.append(k)
        travellers.append(dataclasses.replace(t, tickets=tuple(kept)))
    return dataclasses.replace(b, payments=tuple(everything), travellers=tuple(travellers))


def _cancelled(push: PnrPush, b: Booking) -> Booking:
    if not b.cancelled:
        return b
    return dataclasses.replace(b, office=None, cancelled=push.function == "141")


def _edifact_header(default_syntax: str) -> Callable[[Any], Any]:
    def apply(message: Any) -> Any:
        header = message.header
        return dataclasses.replace(
            message,
            header=dataclasses.replace(
                header,
                control_ref=header.control_ref or header.message_ref or "1",
                syntax=header.syntax or default_syntax,
            ),
        )

    return apply


def _xml_format(message: Any) -> Any:
    return dataclasses.replace(
        message, header=dataclasses.replace(message.header, format=MessageFormat.PNRGOV_XML)
    )


def _xml_sources(_push: PnrPush, b: Booking) -> Booking:
    def doc(d: TravelDocument) -> TravelDocument:
        source = "XML DOCO" if d.source.endswith("DOCO") else "XML"
        return dataclasses.replace(d, source=source)

    return dataclasses.replace(
        b,
        contacts=tuple(dataclasses.replace(c, source=None) for c in b.contacts),
        addresses=tuple(dataclasses.replace(a, source=None) for a in b.addresses),
        travellers=tuple(
            dataclasses.replace(
                t,
                contacts=tuple(dataclasses.replace(c, source=None) for c in t.contacts),
                addresses=tuple(dataclasses.replace(a, source=None) for a in t.addresses),
                documents=tuple(doc(d) for d in t.documents),
            )
            for t in b.travellers
        ),
        segments=tuple(
            dataclasses.replace(g, seats=tuple(dataclasses.replace(s, source=None) for s in g.seats))
            for g in b.segments
        ),
    )


def _xml_check_in_seats(_push: PnrPush, b: Booking) -> Booking:
    def segment(g: Segment) -> Segment:
        cabins = {(c.seat, c.traveller_ref): c.cabin for c in g.check_ins if c.seat}
        seats = [
            s if s.cabin else dataclasses.replace(s, cabin=cabins.get((s.number, s.traveller_ref)))
            for s in g.seats
        ]
        held = {(s.number, s.traveller_ref) for s in seats}
        seats += [Seat(seat, cabin, ref) for (seat, ref), cabin in cabins.items() if (seat, ref) not in held]
        return dataclasses.replace(g, seats=tuple(seats))

    return dataclasses.replace(b, segments=tuple(segment(g) for g in b.segments))


def _paxlst_references(message: Any) -> Any:
    if not isinstance(message, PassengerList):
        return message

    def person(p: ApiPerson) -> ApiPerson:
        typed = {"AVF": p.locator, "ABO": p.unique_id, "SEA": p.seat}
        kept = tuple((q, v) for q, v in p.references if typed.get(q) != v)
        return p if kept == p.references else dataclasses.replace(p, references=kept)

    return dataclasses.replace(message, persons=tuple(person(p) for p in message.persons))


_NORMALISERS: Mapping[MessageFormat, tuple[Callable[[Any], Any], ...]] = {
    MessageFormat.PNRGOV: (
        _edifact_header("IATA:1"),
        _bookings(_cancelled),
        _bookings(_identity_ssrs),
        _bookings(_seat_ssrs),
        _bookings(_held_refs),
        _bookings(_payments),
        _bookings(_edifact_sources),
        _bookings(_infant_flag),
        _bookings(_history_items),
    ),
    MessageFormat.PNRGOV_XML: (
        _xml_format,
        _bookings(_xml_identity),
        _bookings(_infant_flag),
        _bookings(_xml_infants),
        _bookings(_identity_ssrs),
        _bookings(_seat_ssrs),
        _bookings(_held_refs),
        _bookings(_xml_check_in_seats),
        _bookings(_xml_sources),
    ),
    MessageFormat.PAXLST: (_edifact_header("UNOA:4"), _paxlst_references),
}


# --- readable differences -------------------------------------------------------------------------


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """The first path where `actual` differs from `expected`, with both values; None when equal."""
    for where, want, got in _differences(expected, actual, path or type(expected).__name__):
        return f"{where}:\n  expected {want!r}\n  actual   {got!r}"
    return None


def _differences(expected: Any, actual: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if expected == actual:
        return
    if isinstance(expected, tuple) and isinstance(actual, tuple):
        for i, (a, b) in enumerate(zip(expected, actual, strict=False)):
            yield from _differences(a, b, f"{path}[{i}]")
        if len(expected) != len(actual):
            yield f"{path} (length)", len(expected), len(actual)
        return
    if (
        type(expected) is type(actual)
        and dataclasses.is_dataclass(expected)
        and not isinstance(expected, type)
    ):
        for field in dataclasses.fields(expected):
            yield from _differences(
                getattr(expected, field.name), getattr(actual, field.name), f"{path}.{field.name}"
            )
        return
    yield path, expected, actual
