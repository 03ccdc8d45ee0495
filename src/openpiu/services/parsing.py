"""Use case: read message files and describe what they hold (the `openpiu parse` contract).

The JSON shape produced here is a stable interface (one object per message, one per line):
`file`, `type`, `version`, `function`, `part`, `final_part`, `flight`, then `bookings` (PNRGOV)
or `persons` and `legs` (PAXLST), and `warnings`; a failed message is `{"file", "error"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpiu.formats.errors import ParseError
from openpiu.formats.reader import ReadOutcome, read_messages
from openpiu.model import (
    ApiPerson,
    Booking,
    Flight,
    Message,
    PassengerList,
    PnrPush,
    TravelDocument,
    Traveller,
)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What one file gave: its messages, each parsed or failed; or why the file itself failed."""

    path: str
    outcomes: tuple[ReadOutcome, ...]

    @property
    def failed(self) -> bool:
        return not self.outcomes or any(isinstance(o, ParseError) for o in self.outcomes)


def parse_files(
    paths: Iterable[str | Path], *, card_key: bytes | None = None, received_on: date | None = None
) -> Iterator[FileOutcome]:
    """Read each file (any of the three formats, detected by content) into messages.

    `received_on` stands in for a message date where a message carries none (see `read_messages`).
    """
    for path in paths:
        name = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            failure = ParseError(f"cannot read the file: {error.strerror or error}", file=name)
            yield FileOutcome(name, (failure,))
            continue
        yield FileOutcome(
            name, tuple(read_messages(data, source=name, card_key=card_key, received_on=received_on))
        )


# ---------------------------------------------------------------------------------------------
# JSON


def outcome_json(path: str, outcome: ReadOutcome) -> Json:
    if isinstance(outcome, ParseError):
        return {"file": path, "error": outcome.to_dict()}
    return message_json(path, outcome)


def message_json(path: str, message: Message) -> Json:
    header = message.header
    out: Json = {
        "file": path,
        "type": header.format.value,
        "version": header.version,
        "function": message.function if isinstance(message, PnrPush) else message.document_code,
        "part": header.part,
        "final_part": header.final_part,
        "message_ref": header.message_ref,
        "common_access_ref": header.common_access_ref,
        "sender": header.sender,
        "recipient": header.recipient,
        "prepared_at": header.prepared_at.isoformat() if header.prepared_at else None,
    }
    if isinstance(message, PnrPush):
        out["flight"] = flight_json(message.flight)
        out["declared_bookings"] = message.declared_bookings
        out["bookings"] = [booking_json(b) for b in message.bookings]
    else:
        out["flight"] = flight_json(message.legs[0] if message.legs else None)
        out["legs"] = [flight_json(leg) for leg in message.legs]
        out["declared_passengers"] = message.declared_passengers
        out["declared_crew"] = message.declared_crew
        out["persons"] = [person_json(p) for p in message.persons]
    out["warnings"] = [str(w) for w in message.warnings]
    return out


def flight_json(flight: Flight | None) -> Json | None:
    if flight is None:
        return None
    return {
        "carrier": flight.carrier,
        "number": flight.number,
        "origin": flight.origin,
        "destination": flight.destination,
        "departure_local": flight.departure.local_iso() if flight.departure else None,
        "departure_utc": _utc(flight.departure.utc if flight.departure else None),
        "arrival_local": flight.arrival.local_iso() if flight.arrival else None,
        "arrival_utc": _utc(flight.arrival.utc if flight.arrival else None),
        "operating_carrier": flight.operating_carrier,
        "operating_number": flight.operating_number,
    }


def _utc(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%MZ") if value is not None else None


def booking_json(booking: Booking) -> Json:
    return {
        "locator": booking.locator,
        "cancelled": booking.cancelled,
        "group_name": booking.group_name,
        "created_at": booking.created_at.isoformat() if booking.created_at else None,
        "travellers": [traveller_json(t) for t in booking.travellers],
        "segments": [flight_json(s.flight) for s in booking.segments if s.flight is not None],
    }


def traveller_json(traveller: Traveller) -> Json:
    return {
        "ref": traveller.ref,
        "surname": traveller.surname,
        "given_names": traveller.given_names,
        "title": traveller.title,
        "type": traveller.type.value,
        "placeholder": traveller.placeholder,
        "infant_of": traveller.infant_of,
        "date_of_birth": traveller.date_of_birth.isoformat() if traveller.date_of_birth else None,
        "gender": traveller.gender.value if traveller.gender else None,
        "documents": [document_json(d) for d in traveller.documents],
    }


def person_json(person: ApiPerson) -> Json:
    return {
        "role": person.role.value,
        "surname": person.surname,
        "given_names": person.given_names,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "gender": person.gender.value if person.gender else None,
        "nationality": person.nationality,
        "locator": person.locator,
        "documents": [document_json(d) for d in person.documents],
    }


def document_json(document: TravelDocument) -> Json:
    return {
        "source": document.source,
        "type": document.document_type,
        "number": document.number,
        "nationality": document.nationality,
        "issuer": document.issuing_state,
        "expiry": document.expiry.isoformat() if document.expiry else None,
    }


# ---------------------------------------------------------------------------------------------
# Counts for people


@dataclass(frozen=True, slots=True)
class MessageCounts:
    bookings: int = 0
    travellers: int = 0
    infants: int = 0
    persons: int = 0
    crew: int = 0
    documents: int = 0
    warnings: int = 0


def counts(message: Message) -> MessageCounts:
    if isinstance(message, PassengerList):
        return MessageCounts(
            persons=len(message.persons),
            crew=sum(1 for p in message.persons if p.role.value in ("crew", "transit_crew")),
            documents=sum(len(p.documents) for p in message.persons),
            warnings=len(message.warnings),
        )
    travellers = [t for b in message.bookings for t in b.travellers]
    return MessageCounts(
        bookings=len(message.bookings),
        travellers=len(travellers),
        infants=sum(1 for t in travellers if t.type.value == "infant"),
        documents=sum(len(t.documents) for t in travellers),
        warnings=len(message.warnings),
    )


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One line about one message, for people: what it is, what it holds, what went wrong."""

    file: str
    kind: str  # PNRGOV, PAXLST, PNRGOV_XML, or "error"
    version: str | None = None
    function: str | None = None
    part: str | None = None
    flight: str | None = None
    counts: MessageCounts = MessageCounts()
    warning_codes: tuple[str, ...] = ()
    error: str | None = None


def summarise(path: str, outcome: ReadOutcome) -> MessageSummary:
    if isinstance(outcome, ParseError):
        return MessageSummary(file=path, kind="error", error=str(outcome))
    header = outcome.header
    flight = outcome.flight if isinstance(outcome, PnrPush) else (outcome.legs[0] if outcome.legs else None)
    part = None
    if header.part is not None:
        part = f"{header.part}{' (last)' if header.final_part else ''}"
    return MessageSummary(
        file=path,
        kind=header.format.value,
        version=header.version,
        function=outcome.function if isinstance(outcome, PnrPush) else outcome.document_code,
        part=part,
        flight=_flight_line(flight),
        counts=counts(outcome),
        warning_codes=tuple(w.code for w in outcome.warnings),
    )


def _flight_line(flight: Flight | None) -> str | None:
    if flight is None:
        return None
    route = f"{flight.origin or '?'}-{flight.destination or '?'}"
    when = flight.departure.local_iso() if flight.departure else ""
    operated = f" op {flight.operating_carrier}" if flight.operating_carrier else ""
    return f"{flight.designator} {route} {when}{operated}".strip()


def describe(summary: MessageSummary) -> str:
    """The plain-text line `openpiu parse` prints per message."""
    if summary.error is not None:
        return f"{summary.file}: FAILED {summary.error}"
    c = summary.counts
    held = (
        f"{c.bookings} bookings, {c.travellers} travellers ({c.infants} infants)"
        if summary.kind != "PAXLST"
        else f"{c.persons} persons ({c.crew} crew)"
    )
    parts = [
        f"{summary.file}: {summary.kind} {summary.version or '?'}",
        f"function {summary.function}" if summary.function else None,
        f"part {summary.part}" if summary.part else None,
        summary.flight,
        held,
        f"{c.documents} documents",
        f"{len(summary.warning_codes)} warnings" if summary.warning_codes else None,
    ]
    return " · ".join(p for p in parts if p)
