"""Transmissions: the result of processing sent to a competent authority after review by people.

Directive 2016/681 lets a PIU transmit the result of processing only after a person has reviewed it
(Art 6(5)-(6)), to a competent authority of its Member State (Art 7), case by case, and only what that
authority needs; every transmission is logged (Art 13). A :class:`Transmission` is asked for by the
analyst who confirmed a hit, approved (or rejected) by a second person, then delivered; its
:class:`TransmissionContent` is the whole of what leaves.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from openpiu.model.record import record
from openpiu.model.screening import HitKind
from openpiu.model.values import PartialDate, ScheduledTime

__all__ = [
    "Transmission",
    "TransmissionContent",
    "TransmissionEvent",
    "TransmissionState",
    "TransmittedDocument",
    "TransmittedFlight",
]


class TransmissionState(StrEnum):
    REQUESTED = "requested"  # asked for by an analyst; nothing has left
    APPROVED = "approved"  # a second person approved it: cleared to be sent (and being sent)
    SENT = "sent"  # delivered through the authority's channel
    FAILED = "failed"  # the channel refused or was unreachable; may be retried
    REJECTED = "rejected"  # refused by the second person (or given up after failing): never sent


@record
class TransmittedDocument:
    """A travel document as it leaves: its number, and what says whose it is."""

    number: str
    document_type: str | None = None  # P passport, I identity card ...
    issuing_state: str | None = None


@record
class TransmittedFlight:
    """The flight the person is on: designator, date, route and schedule (local to each airport)."""

    carrier: str
    number: str
    flight_date: date  # local departure date at the origin
    origin: str | None = None
    destination: str | None = None
    departure: ScheduledTime | None = None
    arrival: ScheduledTime | None = None


@record
class TransmissionContent:
    """Everything a transmission carries, and nothing else: the minimum the authority needs to act.

    The person (name, date of birth, nationality, documents), the flight, the booking's locator, why
    (the list's name and category, or the criterion's title and purpose, never the score or the features
    compared) and what is asked, with the analyst's note. No co-travellers, contacts, payments or remarks.
    """

    surname: str
    given_names: str | None
    date_of_birth: PartialDate | None
    nationality: str | None
    documents: tuple[TransmittedDocument, ...]
    flight: TransmittedFlight | None
    locator: str | None
    grounds_kind: HitKind  # a watchlist entry or a pre-determined criterion
    grounds: str  # the list's name, or the criterion's title
    category: str | None  # terrorism or the Annex II offence (the list's), or the criterion's purpose
    action: str  # what the authority is asked to do, e.g. border_check
    note: str  # the analyst's words to the authority


@record
class Transmission:
    """A transmission with its whole life: who asked and when, who approved or rejected it and why, and
    how delivery went (when, the authority's reference or the error, how many attempts)."""

    id: int
    hit_id: int
    authority_id: str
    action: str
    purpose: str  # the legal basis and purpose the authority receives it under
    content: TransmissionContent
    state: TransmissionState
    flight_date: date  # of the hit: masking and deletion reach the transmission with its flight
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None  # the second person, who approved or rejected it
    decided_at: datetime | None = None
    decision_reason: str | None = None
    sent_at: datetime | None = None
    delivery_ref: str | None = None  # the channel's reference of the delivery (message id, file name ...)
    error: str | None = None  # the last failure, as the channel reported it
    attempts: int = 0
    last_attempt_at: datetime | None = None


@record
class TransmissionEvent:
    """One state change of a transmission, kept forever: who, when, and why (or the delivery's
    reference, or the error)."""

    transmission_id: int
    state: TransmissionState
    actor: str
    at: datetime
    reason: str | None = None
    attempt: int | None = None  # for sent and failed: which delivery attempt
