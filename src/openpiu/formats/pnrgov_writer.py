"""PNRGOV (EDIFACT) writer: a `PnrPush` back to the bytes a carrier would send.

Used by the parsing benchmark and the synthetic traffic world. The layout follows the 13.1
skeleton (reference/message-formats.md 2.2): level 0 MSG ORG TVL EQN, then per booking Gr.1
SRC RCI SSR DAT IFT ORG ADD EBD, Gr.2 travellers (TIF FTI IFT REF EBD FAR SSR ADD, Gr.3 tickets,
Gr.4 payments), Gr.5 itinerary (TVL TRA RPI APD SSR RCI IFT, Gr.6/7 check-ins), Gr.8 splits,
Gr.9 non-air, Gr.10/11 structured history and LTS lines.

Written so that a reader recovers what the model holds. Where the model has no slot for a
wire detail, the writer picks the commonest real-world form (SSR status `HK`, quantity 1).
Mapping choices a parser should mirror:

* The TIF infant flag (`:1`) is set on an adult that is `accompanied_by_infant` or that an
  infant of the booking names in `infant_of` (the reader links infants to flagged adults).
* Gr.2 SSRs carry `+::<ref>` only when the item's traveller reference differs from the TIF's.
* Traveller contacts: e-mail `SSR CTCE` (telex form: `//` for `@`, `..` for `_`), mobile
  `SSR CTCM`, phone `SSR CTCH`, fax `SSR CTCF`; other kinds and `source="IFT"` as `IFT+4:28`
  holding the CTC item (`CTCP 441234567`, `CTCE A//B.COM`) so a reader finds the contact in it.
  A contact whose `source` is `SSR XXXX` is written with that code.
* Addresses with purpose `R`/`D`/`residence`/`destination` (or source `DOCA`) are `SSR DOCA`;
  others are `ADD`.
* Documents: `raw` is written as sent when present, otherwise DOCS/DOCO text is composed.
* Booking payments that are not also ticket payments go under a ticketless `TKT` of the
  traveller they name (EDIFACT holds payments only in Gr.4 under a ticket).
* OSI service items are `IFT+4:28::<carrier>+<code text>`.
* History items (`HistoryEntry.item`) hold the changed segment in the default syntax
  (`SSR+AVML:HK:2:DL`) and are re-written with this interchange's service characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from openpiu.formats.edifact import DEFAULT_CHARS, ServiceChars
from openpiu.formats.edifact_writer import (
    Element,
    Group,
    SegmentBuffer,
    SentinelClash,
    amount,
    ddmmmyy,
    ddmmyy,
    hhmm,
    interchange,
    month_name,
    s010,
    split_default_syntax,
    utc_naive,
)
from openpiu.model import (
    Address,
    Baggage,
    Booking,
    BookingOffice,
    CheckIn,
    Contact,
    ContactKind,
    ExcessBaggage,
    Flight,
    HistoryEntry,
    Money,
    PartialDate,
    Payment,
    PnrPush,
    RecordLocator,
    Remark,
    ScheduledTime,
    Segment,
    ServiceItem,
    Ticket,
    TravelDocument,
    Traveller,
    TravellerType,
)

__all__ = ["docs_text", "split_push", "write_pnrgov", "write_pnrgov_messages"]

DEFAULT_VERSION = "13.1"

_TYPE_CODES = {TravellerType.ADULT: "A", TravellerType.CHILD: "C", TravellerType.INFANT: "IN"}
_CONTACT_SSR = {
    ContactKind.EMAIL: "CTCE",
    ContactKind.MOBILE: "CTCM",
    ContactKind.PHONE: "CTCH",
    ContactKind.FAX: "CTCF",
}
_WEIGHT_UNITS = {"kg": "700", "lb": "701"}
_SSR_SOURCE = re.compile(r"SSR ([A-Z]{4})$")
# DOCA purpose code by Address.purpose (as sent, or as the parser spells it).
_DOCA_PURPOSES = {"R": "R", "D": "D", "residence": "R", "destination": "D"}


def write_pnrgov(
    push: PnrPush,
    *,
    sender: str | None = None,
    recipient: str | None = None,
    chars: ServiceChars | None = None,
    una: bool = True,
    line_breaks: bool = True,
    wrap: int | None = None,
    group: bool = False,
    newline: str = "\n",
    encoding: str = "utf-8",
) -> bytes:
    """One interchange holding one PNRGOV message for `push`.

    `sender`/`recipient` default to the header's (then the pushed carrier and `PIU`); a
    qualifier goes after a colon (`LUFTHANSA:ZZ`). `line_breaks` ends every segment with
    `newline`; `wrap=69` hard-wraps long lines as Type-B feeds do; `group` adds UNG/UNE.
    """
    return write_pnrgov_messages(
        [push],
        sender=sender,
        recipient=recipient,
        chars=chars,
        una=una,
        line_breaks=line_breaks,
        wrap=wrap,
        group=group,
        newline=newline,
        encoding=encoding,
    )


def write_pnrgov_messages(
    pushes: Sequence[PnrPush],
    *,
    sender: str | None = None,
    recipient: str | None = None,
    chars: ServiceChars | None = None,
    una: bool = True,
    line_breaks: bool = True,
    wrap: int | None = None,
    group: bool = False,
    newline: str = "\n",
    encoding: str = "utf-8",
) -> bytes:
    """One interchange holding one message per push (e.g. the parts from `split_push`).

    The envelope (UNB, UNG) comes from the first push's header.
    """
    if not pushes:
        raise ValueError("an interchange needs at least one message")
    chars = chars or DEFAULT_CHARS
    first = pushes[0]
    header = first.header
    carrier = first.flight.carrier if first.flight else None
    version = _version(header.version)
    control = header.control_ref or header.message_ref or "1"

    def write(fast: bool) -> bytes:
        return interchange(
            [_message(push, chars, fast) for push in pushes],
            chars=chars,
            una=una,
            syntax=header.syntax or "IATA:1",
            sender=sender or header.sender or carrier or "ZZ",
            recipient=recipient or header.recipient or "PIU",
            prepared_at=header.prepared_at,
            control_ref=control,
            group=Group("PNRGOV", version[2], version[:2], control) if group else None,
            line_breaks=line_breaks,
            newline=newline,
            wrap=wrap,
            encoding=encoding,
        )

    try:
        return write(fast=True)
    except SentinelClash:
        return write(fast=False)


def split_push(push: PnrPush, max_bookings: int) -> tuple[PnrPush, ...]:
    """Split a push into parts of at most `max_bookings` bookings, numbered `01:C` .. `nn:F`.

    Level 0 (MSG ORG TVL EQN) repeats in every part; EQN keeps the total of the whole push. The
    parts share the common access reference (the message reference when the header has none).
    """
    if max_bookings < 1:
        raise ValueError("max_bookings must be at least 1")
    bookings = push.bookings
    chunks = [bookings[i : i + max_bookings] for i in range(0, len(bookings), max_bookings)] or [()]
    header = push.header
    common = header.common_access_ref or header.message_ref or "1"
    declared = push.declared_bookings if push.declared_bookings is not None else len(bookings)
    return tuple(
        replace(
            push,
            header=replace(header, common_access_ref=common, part=i, final_part=i == len(chunks)),
            bookings=chunk,
            declared_bookings=declared,
        )
        for i, chunk in enumerate(chunks, 1)
    )


# --- message ------------------------------------------------------------------------------------


def _version(version: str | None) -> tuple[str, str, str]:
    """`13.1` -> ("13", "1", "IA"); also accepts `13:1` and `13:1:XS`."""
    parts = [p for p in re.split(r"[.:]", version or DEFAULT_VERSION) if p]
    major = parts[0] if parts else "13"
    minor = parts[1] if len(parts) > 1 else "1"
    agency = parts[2] if len(parts) > 2 else "IA"
    return major, minor, agency


def _uses_tra(major: str, minor: str) -> bool:
    """Codeshare operating flight: a second TVL up to 13.1, a TRA segment in later versions."""
    try:
        return (int(major), int(minor)) > (13, 1)
    except ValueError:
        return False


def _message(push: PnrPush, chars: ServiceChars, fast: bool) -> SegmentBuffer:
    header = push.header
    major, minor, agency = _version(header.version)
    ref = header.message_ref or "1"
    w = _PnrWriter(
        SegmentBuffer(chars, fast=fast), push.flight.carrier if push.flight else None, _uses_tra(major, minor)
    )
    add = w.buf.add
    add(
        "UNH",
        ref,
        ("PNRGOV", major, minor, agency),
        header.common_access_ref,
        s010(header.part, header.final_part),
    )
    add("MSG", (None, push.function))
    if push.sender_system is not None:
        w.org(push.sender_system)
    if push.flight is not None:
        w.tvl(push.flight, None)
    declared = push.declared_bookings
    add("EQN", str(declared if declared is not None else len(push.bookings)))
    for booking in push.bookings:
        w.booking(booking)
    add("UNT", str(w.buf.count + 1), ref)
    return w.buf


def docs_text(doc: TravelDocument) -> str:
    """The SSR free text of a document: `raw` as sent, else composed DOCS or DOCO text.

    DOCS `/P/GBR/123/GBR/12JUL64/M/23AUG19/SMITH/JOHN`; DOCO
    `/<place of birth>/<type>/<number>/<place of issue>/<issue date>/<applicable country>`.
    """
    if doc.raw is not None:
        return doc.raw
    if doc.source == "DOCO":
        fields = [
            doc.place_of_birth,
            doc.document_type,
            doc.number,
            doc.place_of_issue,
            ddmmmyy(doc.issued_on) if doc.issued_on else None,
            doc.applicable_country,
            "I" if doc.infant else None,
        ]
    else:
        gender = doc.gender.value if doc.gender else ("U" if doc.infant else None)
        if gender and doc.infant:
            gender += "I"
        fields = [
            doc.document_type,
            doc.issuing_state,
            doc.number,
            doc.nationality,
            _partial(doc.date_of_birth),
            gender,
            ddmmmyy(doc.expiry) if doc.expiry else None,
            doc.surname,
            doc.given_names,
        ]
    return ("/" + "/".join([f or "" for f in fields])).rstrip("/")


def _partial(value: PartialDate | None) -> str | None:
    """DDMMMYY, or MMMYY / YY when only the month / the year is known."""
    if value is None:
        return None
    if value.month is None:
        return f"{value.year % 100:02d}"
    day = f"{value.day:02d}" if value.day is not None else ""
    return f"{day}{month_name(value.month)}{value.year % 100:02d}"


def _doca_text(address: Address) -> str:
    fields = [
        _DOCA_PURPOSES.get(address.purpose or "", address.purpose),
        address.country,
        address.street,
        address.city,
        address.state,
        address.postcode,
    ]
    return ("/" + "/".join([f or "" for f in fields])).rstrip("/")


def _telex_email(value: str) -> str:
    return value.replace("@", "//").replace("_", "..")


def _money(value: Money | None, chars: ServiceChars) -> str | None:
    return amount(value.amount, chars) if value is not None else None


def _time_components(value: ScheduledTime | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    return ddmmyy(value.local), hhmm(value.local) if value.time_known else None


class _PnrWriter:
    """Writes the groups of one message into a SegmentBuffer."""

    __slots__ = ("buf", "carrier", "chars", "tra")

    def __init__(self, buf: SegmentBuffer, carrier: str | None, tra: bool) -> None:
        self.buf = buf
        self.chars = buf.chars
        self.carrier = carrier
        self.tra = tra

    # --- shared segments ---

    def org(self, office: BookingOffice) -> None:
        self.buf.add(
            "ORG",
            (office.system, office.location),
            (office.iata_number, office.office_id),
            None,
            None,
            office.agent_type,
            (office.country, office.currency),
            office.agent_sign,
        )

    def tvl(self, flight: Flight, booking_class: str | None, *, segment_level: bool = False) -> None:
        """TVL of a flight; at segment level a codeshare's operating flight follows (TVL or TRA)."""
        dep_date, dep_time = _time_components(flight.departure)
        arr_date, arr_time = _time_components(flight.arrival)
        self.buf.add(
            "TVL",
            (dep_date, dep_time, arr_date, arr_time),
            flight.origin,
            flight.destination,
            (flight.carrier, flight.operating_carrier),
            (flight.number, booking_class),
        )
        if segment_level and flight.operating_number:
            if self.tra:
                self.buf.add("TRA", flight.operating_carrier, (flight.operating_number, booking_class))
            else:
                self.buf.add("TVL", None, None, None, None, (flight.operating_number, booking_class))

    def rci(self, locators: Iterable[RecordLocator]) -> None:
        elements: list[Element] = []
        for loc in locators:
            created = utc_naive(loc.created_at) if loc.created_at else None
            elements.append(
                (
                    loc.system,
                    loc.locator,
                    loc.kind,
                    ddmmyy(created) if created else None,
                    hhmm(created) if created else None,
                )
            )
        if elements:
            self.buf.add("RCI", *elements)

    def ssr(self, item: ServiceItem, implied_ref: str | None = None) -> None:
        head = (
            item.code,
            item.status,
            str(item.quantity) if item.quantity is not None else None,
            item.carrier,
            None,
            None,
            item.board,
            item.off,
            item.text,
        )
        ref = item.traveller_ref if item.traveller_ref != implied_ref else None
        if item.seat or ref:
            self.buf.add("SSR", head, (item.seat, None, ref))
        else:
            self.buf.add("SSR", head)

    def free_ssr(self, code: str, text: str, ref: str | None, flight: Flight | None = None) -> None:
        """An SSR the model keeps as typed data (documents, contacts): status HK, quantity 1."""
        carrier = flight.carrier if flight else self.carrier
        board = flight.origin if flight else None
        off = flight.destination if flight else None
        head = (code, "HK", "1", carrier, None, None, board, off, text)
        if ref:
            self.buf.add("SSR", head, (None, None, ref))
        else:
            self.buf.add("SSR", head)

    def ift(self, remark: Remark) -> None:
        lines = remark.text.split("\n") if "\n" in remark.text else [remark.text]
        self.buf.add("IFT", (remark.subject or "4", remark.kind, None, remark.carrier), *lines)

    def osi(self, item: ServiceItem) -> None:
        text = " ".join([p for p in (item.code, item.text) if p])
        self.buf.add("IFT", ("4", "28", None, item.carrier), text)

    def services(self, items: Iterable[ServiceItem], implied_ref: str | None = None) -> list[ServiceItem]:
        """Write the SSR items; return the OSI items, which go into IFT after the SSRs."""
        osi: list[ServiceItem] = []
        for item in items:
            if item.kind == "OSI":
                osi.append(item)
            else:
                self.ssr(item, implied_ref)
        return osi

    def add_address(self, address: Address) -> None:
        self.buf.add(
            "ADD",
            None,
            (
                address.purpose,
                address.street,
                address.city,
                address.state,
                None,
                address.country,
                address.postcode,
                address.phone,
            ),
        )

    def ebd(self, excess: ExcessBaggage) -> None:
        money = excess.amount
        self.buf.add(
            "EBD",
            (money.currency, amount(money.amount, self.chars)) if money else None,
            (str(excess.pieces) if excess.pieces is not None else None, None, excess.unit),
        )

    def contact(self, contact: Contact, implied_ref: str | None) -> None:
        """A contact as SSR CTCx (callers route IFT contacts, see `_is_ift_contact`)."""
        ref = contact.traveller_ref if contact.traveller_ref != implied_ref else None
        match = _SSR_SOURCE.match(contact.source or "")
        code = match.group(1) if match else _CONTACT_SSR[contact.kind]
        text = _telex_email(contact.value) if code == "CTCE" else contact.value
        self.free_ssr(code, text, ref)

    # --- Gr.1 ---

    def booking(self, booking: Booking) -> None:
        add = self.buf.add
        add("SRC")
        if booking.locators:
            self.rci(booking.locators)
        elif booking.locator:
            self.rci([RecordLocator(booking.locator, created_at=booking.created_at)])
        osi = self.services(booking.services)
        ift_contacts: list[Contact] = []
        for contact in booking.contacts:
            if _is_ift_contact(contact):
                ift_contacts.append(contact)
            else:
                self.contact(contact, None)
        dates: list[Element] = []
        if booking.last_changed_at:
            at = utc_naive(booking.last_changed_at)
            dates.append(("700", ddmmyy(at), hhmm(at)))
        if booking.ticketed_at:
            at = utc_naive(booking.ticketed_at)
            dates.append(("710", ddmmyy(at), hhmm(at)))
        if dates:
            add("DAT", *dates)
        for item in osi:
            self.osi(item)
        for remark in booking.remarks:
            self.ift(remark)
        for contact in ift_contacts:
            add("IFT", ("4", "28"), _ift_contact_text(contact))
        if booking.cancelled:
            add("ORG")
        elif booking.office is not None:
            self.org(booking.office)
        for address in booking.addresses:
            self.add_address(address)
        for excess in booking.excess_baggage:
            self.ebd(excess)
        if booking.group_name:
            add("TIF", (booking.group_name, "G"))
        loose = _loose_payments(booking)
        with_infant = {t.infant_of for t in booking.travellers if t.infant_of}
        for index, traveller in enumerate(booking.travellers):
            self.traveller(traveller, loose.get(index, ()), traveller.ref in with_infant)
        for segment in booking.segments:
            if segment.flight is not None or segment.non_air_kind is None:
                self.segment(segment)
        if booking.split_count is not None or booking.split_locators:
            count = booking.split_count
            add("EQN", str(count if count is not None else len(booking.split_locators)))
            self.rci(booking.split_locators)
        for segment in booking.segments:
            if segment.flight is None and segment.non_air_kind is not None:
                add("MSG", segment.non_air_kind)
        self.history(booking.history)

    # --- Gr.2 to Gr.4 ---

    def traveller(
        self, traveller: Traveller, loose_payments: Sequence[Payment], has_infant: bool = False
    ) -> None:
        """Gr.2; `has_infant`: an infant of the booking names this traveller in `infant_of`."""
        add = self.buf.add
        given = " ".join([p for p in (traveller.given_names, traveller.title) if p]) or None
        ref = traveller.ref
        add(
            "TIF",
            traveller.surname,
            (
                given,
                _TYPE_CODES[traveller.type],
                ref,
                "1" if traveller.accompanied_by_infant or has_infant else None,
            ),
        )
        if traveller.frequent_flyers:
            add("FTI", *[(ff.carrier, ff.number, None, None, ff.tier) for ff in traveller.frequent_flyers])
        for remark in traveller.remarks:
            self.ift(remark)
        if traveller.unique_id:
            add("REF", (None, traveller.unique_id))
        for excess in traveller.excess_baggage:
            self.ebd(excess)
        for basis in traveller.fare_basis:
            add("FAR", None, None, None, None, None, basis)
        for doc in traveller.documents:
            code = "DOCO" if doc.source == "DOCO" else "DOCS"
            self.free_ssr(code, docs_text(doc), doc.traveller_ref if doc.traveller_ref != ref else None)
        plain: list[Address] = []
        for address in traveller.addresses:
            if address.purpose in _DOCA_PURPOSES or address.source in ("DOCA", "SSR DOCA"):
                aref = address.traveller_ref if address.traveller_ref != ref else None
                self.free_ssr("DOCA", _doca_text(address), aref)
            else:
                plain.append(address)
        ift_contacts: list[Contact] = []
        for contact in traveller.contacts:
            if _is_ift_contact(contact):
                ift_contacts.append(contact)
            else:
                self.contact(contact, ref)
        osi = self.services(traveller.services, ref)
        for item in osi:
            self.osi(item)
        for contact in ift_contacts:
            self.buf.add("IFT", ("4", "28"), _ift_contact_text(contact))
        for address in plain:
            self.add_address(address)
        for ticket in traveller.tickets:
            self.ticket(ticket)
        if loose_payments:
            self.ticket(Ticket(None, payments=tuple(loose_payments)))

    def ticket(self, ticket: Ticket) -> None:
        add = self.buf.add
        chars = self.chars
        add(
            "TKT",
            (ticket.number, ticket.kind, str(ticket.booklets) if ticket.booklets is not None else None),
        )
        fares: list[Element] = []
        if ticket.base_fare is not None:
            fares.append(("B", _money(ticket.base_fare, chars), ticket.base_fare.currency))
        if ticket.total_fare is not None:
            fares.append(("T", _money(ticket.total_fare, chars), ticket.total_fare.currency))
        if fares:
            add("MON", *fares)
        if ticket.non_refundable or ticket.validating_carrier or ticket.issue_location:
            add(
                "PTK",
                "NR" if ticket.non_refundable else None,
                None,
                None,
                ticket.validating_carrier,
                None,
                ticket.issue_location,
            )
        if ticket.taxes:
            add(
                "TXD",
                None,
                *[(amount(t.amount.amount, chars), None, t.amount.currency, t.code) for t in ticket.taxes],
            )
        if ticket.issued_on is not None:
            add("DAT", ("710", ddmmyy(ticket.issued_on)))
        for payment in ticket.payments:
            self.payment(payment)

    def payment(self, payment: Payment) -> None:
        account = "XXXXXXXXXXXX" + payment.card_last4 if payment.card_last4 else None
        self.buf.add(
            "FOP",
            (
                payment.form,
                None,
                _money(payment.amount, self.chars),
                payment.vendor,
                account,
                payment.card_expiry,
            ),
        )
        if payment.payer_name or payment.payer_address or payment.payer_phone:
            self.buf.add("IFT", ("4", "43"), payment.payer_name, payment.payer_address, payment.payer_phone)

    # --- Gr.5 to Gr.7 ---

    def segment(self, segment: Segment) -> None:
        add = self.buf.add
        flight = segment.flight
        if flight is not None:
            self.tvl(flight, segment.booking_class, segment_level=True)
        elif segment.open:
            add("TVL", None, None, None, None, ("OPEN", segment.booking_class))
        else:
            add("TVL")
        if segment.party_size is not None or segment.status:
            add("RPI", str(segment.party_size) if segment.party_size is not None else None, segment.status)
        if segment.equipment:
            add("APD", segment.equipment)
        has_seat_ssr = False
        osi: list[ServiceItem] = []
        for item in segment.services:
            if item.kind == "OSI":
                osi.append(item)
                continue
            if item.code == "SEAT":
                has_seat_ssr = True
            self.ssr(item)
        seats = [s for s in segment.seats if s.source != "SSD"]
        if seats and not has_seat_ssr:
            head = (
                "SEAT",
                "HK",
                str(len(seats)),
                flight.carrier if flight else self.carrier,
                None,
                None,
                flight.origin if flight else None,
                flight.destination if flight else None,
            )
            add("SSR", head, *[(s.number, None, s.traveller_ref) for s in seats])
        self.rci(segment.locators)
        for item in osi:
            self.osi(item)
        for remark in segment.remarks:
            self.ift(remark)
        for check_in in segment.check_ins:
            self.check_in(check_in)

    def check_in(self, check_in: CheckIn) -> None:
        add = self.buf.add
        dates: list[Element] = []
        if check_in.checked_in_at is not None:
            at = utc_naive(check_in.checked_in_at)
            dates.append(("2", ddmmyy(at), hhmm(at)))
        if check_in.text:
            dates.append(("3", check_in.text))
        add("DAT", *dates)
        if check_in.agent:
            add("ORG", check_in.agent)
        add("TRI", None, (check_in.sequence, None, None, check_in.traveller_ref))
        if check_in.surname or check_in.given_names or check_in.traveller_ref:
            add("TIF", check_in.surname, (check_in.given_names, None, check_in.traveller_ref))
        if check_in.seat or check_in.cabin:
            add("SSD", check_in.seat, None, None, None, check_in.cabin)
        if check_in.baggage is not None:
            self.tbd(check_in.baggage)

    def tbd(self, bag: Baggage) -> None:
        unit = _WEIGHT_UNITS.get(bag.unit, bag.unit) if bag.unit else None
        self.buf.add(
            "TBD",
            None,
            (
                str(bag.count) if bag.count is not None else None,
                str(bag.weight) if bag.weight is not None else None,
                unit,
            ),
            None,
            (bag.pool, bag.pool_ref),
            *[
                (
                    t.carrier,
                    t.tag,
                    str(t.consecutive) if t.consecutive is not None else None,
                    t.destination,
                )
                for t in bag.tags
            ],
        )

    # --- Gr.10 to Gr.12 and LTS ---

    def history(self, entries: Sequence[HistoryEntry]) -> None:
        add = self.buf.add
        last: tuple[object, object] | None = None
        lts: list[HistoryEntry] = []
        for entry in entries:
            if entry.source == "LTS":
                lts.append(entry)
                continue
            key = (entry.who, entry.at)
            if key != last:
                add("ABI", "1", entry.who)
                if entry.at is not None:
                    at = utc_naive(entry.at)
                    add("DAT", ("ZT", ddmmyy(at), hhmm(at)))
                last = key
            add("SAC", None, None, entry.action)
            if entry.item:
                split = split_default_syntax(entry.item)
                if split is None:
                    add("IFT", ("4", None), entry.item)
                else:
                    tag, elements = split
                    add(tag, *elements)
            if entry.text:
                add("IFT", ("4", None), entry.text)
        for entry in lts:
            add("LTS", entry.text or entry.item)


def _is_ift_contact(contact: Contact) -> bool:
    """Contacts written as IFT+4:28 text: sent that way, or of a kind with no CTC SSR."""
    if contact.source == "IFT":
        return True
    return contact.kind not in _CONTACT_SSR and not _SSR_SOURCE.match(contact.source or "")


_IFT_CONTACT_LETTERS = {
    ContactKind.EMAIL: "E",
    ContactKind.MOBILE: "M",
    ContactKind.PHONE: "P",
    ContactKind.FAX: "F",
}


def _ift_contact_text(contact: Contact) -> str:
    """`CTCP 441234567`: the CTC item a reader finds a contact in; the bare value for other kinds."""
    letter = _IFT_CONTACT_LETTERS.get(contact.kind)
    if letter is None:
        return contact.value
    value = _telex_email(contact.value) if contact.kind is ContactKind.EMAIL else contact.value
    return f"CTC{letter} {value}"


def _loose_payments(booking: Booking) -> dict[int, list[Payment]]:
    """Booking payments not also held by a ticket, by the index of the traveller they name.

    Payments naming no traveller of the booking go to the first traveller.
    """
    if not booking.payments or not booking.travellers:
        return {}
    held = {p for t in booking.travellers for tk in t.tickets for p in tk.payments}
    index_of: dict[str | None, int] = {}
    for i, traveller in enumerate(booking.travellers):
        index_of.setdefault(traveller.ref, i)
    loose: dict[int, list[Payment]] = {}
    for payment in booking.payments:
        if payment in held:
            continue
        loose.setdefault(index_of.get(payment.traveller_ref, 0), []).append(payment)
    return loose
