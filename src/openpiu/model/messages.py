"""Messages as received: the envelope facts, the pushed flight, and what the parser had to say."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from openpiu.model.record import record
from openpiu.model.travel import ApiPerson, Booking, BookingOffice, Contact, Flight


class MessageFormat(StrEnum):
    PNRGOV = "PNRGOV"
    PAXLST = "PAXLST"
    PNRGOV_XML = "PNRGOV_XML"


class PushFunction(StrEnum):
    """PNRGOV MSG function: a full push replaces all bookings of the flight, an update changes some."""

    FULL = "22"
    UPDATE = "141"


@record
class ParseWarning:
    """Something the reader repaired, skipped or doubted; never personal data in `message`."""

    code: str  # stable machine code, e.g. "unt-count", "unknown-segment"
    message: str
    segment: int | None = None  # segment number inside the interchange
    offset: int | None = None  # byte offset in the input
    tag: str | None = None

    def __str__(self) -> str:
        where = []
        if self.segment is not None:
            where.append(f"segment {self.segment}")
        if self.tag:
            where.append(self.tag)
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


@record
class MessageHeader:
    """Envelope facts of one message (UNB/UNG/UNH, or the XML root)."""

    format: MessageFormat
    version: str | None = None  # "13.1" for PNRGOV, "D:05B" for PAXLST
    message_ref: str | None = None
    common_access_ref: str | None = None  # links the parts of one split push
    part: int | None = None
    final_part: bool | None = None
    sender: str | None = None
    recipient: str | None = None
    prepared_at: datetime | None = None  # UTC
    control_ref: str | None = None
    syntax: str | None = None  # e.g. "IATA:1", "UNOA:4"
    offset: int | None = None  # byte offset of the message (UNH) in the input


@record
class PnrPush:
    """One PNRGOV message (EDIFACT or XML): the pushed flight and the bookings on it."""

    header: MessageHeader
    function: str | None  # "22" full, "141" update, as sent
    flight: Flight | None
    bookings: tuple[Booking, ...] = ()
    sender_system: BookingOffice | None = None  # level-0 ORG
    declared_bookings: int | None = None  # level-0 EQN (for the whole push)
    warnings: tuple[ParseWarning, ...] = ()


@record
class PassengerList:
    """One PAXLST message: flight legs and the persons on them."""

    header: MessageHeader
    document_code: str | None  # BGM: 745 passengers, 250 crew, 266 status update ...
    document_id: str | None = None  # BGM element 2 (CLOB, CL, ...)
    reference: str | None = None  # RFF+TN transaction reference
    reporting_party: str | None = None  # NAD+MS name or profile
    reporting_contacts: tuple[Contact, ...] = ()
    legs: tuple[Flight, ...] = ()
    persons: tuple[ApiPerson, ...] = ()
    declared_passengers: int | None = None  # CNT 42
    declared_crew: int | None = None  # CNT 41
    warnings: tuple[ParseWarning, ...] = ()


Message = PnrPush | PassengerList
