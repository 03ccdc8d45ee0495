"""Ingest one received payload: parse, protect, keep in the inbox, store the bookings.

Protection happens before anything is stored: the payload is parsed first, the sensitive EDIFACT
segments are cut out of the raw bytes (`sensitive_spans` + `blank_segments`), and only the blanked bytes
reach the inbox. Each parsed push is then protected (`protect_push`) and stored as booking versions, and
its inbox message moves received -> parsed -> stored, or -> quarantined with a reason a person reads
(the reader's reason and position, never the text of the message).

One inbox message holds one message (the store keeps one push per inbox message): a payload with several
EDIFACT messages is kept as one inbox message per message (its interchange header, then the message).

Not done here yet (see the report of issue 4):

* PAXLST messages: the store has no protocol for API data, so they stay in state ``parsed`` and are
  counted (`IngestResult.passenger_lists`).
* PNRGOV XML: the records are protected, but the raw XML is kept as received (no raw blanking for XML).
* Split pushes are not reassembled; the notified scope is not applied (nothing is out of scope).

Removals are logged (and kept as one audit event per message) as codes and counts with the policy
version, never content.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from openpiu.clock import Clock
from openpiu.formats.edifact import EdifactMessage, Interchange, read_interchanges
from openpiu.formats.errors import ParseError
from openpiu.formats.reader import ReadOutcome, read_messages, sniff_format
from openpiu.model import MessageFormat, PassengerList, PnrPush
from openpiu.protection import (
    DEFAULT_POLICY,
    Removals,
    SensitivePolicy,
    blank_segments,
    protect_push,
    segment_span,
    sensitive_spans,
)
from openpiu.store import Audit, Bookings, Inbox, MessageState, UnstorablePush

__all__ = ["PROTECTION_ACTION", "IngestResult", "IngestStore", "ingest"]

_log = logging.getLogger(__name__)

#: The audit action under which the removals of one message are kept (codes and counts only).
PROTECTION_ACTION = "ingest.protected"
_ACTOR = "pipeline"


class IngestStore(Inbox, Bookings, Audit, Protocol):
    """What ingesting needs of the store."""


@dataclass(slots=True)
class IngestResult:
    """What one payload (or many, summed with `add`) gave. Counts only, never content."""

    messages: int = 0
    duplicates: int = 0
    stored_messages: int = 0
    bookings: int = 0
    travellers: int = 0
    passenger_lists: int = 0
    quarantined: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    #: The inbox message of each message received, in order (a re-delivery names the known message).
    message_ids: list[int] = field(default_factory=list)

    @property
    def removed_items(self) -> int:
        return sum(self.removed.values())

    def add(self, other: IngestResult) -> None:
        self.messages += other.messages
        self.duplicates += other.duplicates
        self.stored_messages += other.stored_messages
        self.bookings += other.bookings
        self.travellers += other.travellers
        self.passenger_lists += other.passenger_lists
        self.quarantined += other.quarantined
        self.removed.update(other.removed)
        self.message_ids.extend(other.message_ids)


@dataclass(frozen=True, slots=True)
class _Unit:
    """One message to keep: its blanked bytes and what reading it gave (None: nothing could be read)."""

    raw: bytes
    outcome: ReadOutcome | None


def ingest(
    store: IngestStore,
    data: bytes,
    *,
    sender: str,
    channel: str,
    clock: Clock,
    policy: SensitivePolicy = DEFAULT_POLICY,
    card_key: bytes | None = None,
    source: str = "<bytes>",
) -> IngestResult:
    """Receive `data` (one payload as delivered), protect it, keep it, and store what it carries."""
    received_on = clock.now().date()
    outcomes = read_messages(data, source=source, card_key=card_key, received_on=received_on)
    result = IngestResult()
    for unit in _units(data, outcomes, policy):
        _ingest_one(store, unit, sender=sender, channel=channel, policy=policy, result=result)
    return result


def _units(data: bytes, outcomes: Sequence[ReadOutcome], policy: SensitivePolicy) -> list[_Unit]:
    """Split the payload into messages with their blanked bytes, paired with the reader's outcomes."""
    if sniff_format(data) is MessageFormat.PNRGOV_XML:
        return [_Unit(data, outcomes[0] if outcomes else None)]
    try:
        interchanges = read_interchanges(data)
    except ParseError:
        return [_Unit(data, outcomes[0] if outcomes else None)]
    found = [(ic, m) for ic in interchanges for m in ic.messages]
    if len(found) != len(outcomes) or not found:
        # the reader and the tokenizer disagree (or nothing was found): keep the payload whole
        spans = [s for ic, m in found for s in sensitive_spans(m.segments, policy, data, ic.chars)]
        outcome = outcomes[0] if len(outcomes) == 1 else None
        return [_Unit(blank_segments(data, spans), outcome)]
    if len(found) == 1:
        ic, message = found[0]
        return [
            _Unit(
                blank_segments(data, sensitive_spans(message.segments, policy, data, ic.chars)), outcomes[0]
            )
        ]
    return [
        _Unit(_message_bytes(data, ic, message, policy), outcome)
        for (ic, message), outcome in zip(found, outcomes, strict=True)
    ]


def _message_bytes(data: bytes, ic: Interchange, message: EdifactMessage, policy: SensitivePolicy) -> bytes:
    """The interchange's header (UNA/UNB) and one message (UNH..UNT), with its sensitive segments cut."""
    first = ic.messages[0].unh.offset
    header = data[ic.offset : first]
    last = message.unt or (message.segments[-1] if message.segments else message.unh)
    start = message.unh.offset
    _, length = segment_span(data, last.offset, ic.chars, fallback=len(last.raw.encode("utf-8")))
    end = last.offset + length
    spans = [
        (offset - start, size)
        for offset, size in sensitive_spans(message.segments, policy, data, ic.chars)
        if start <= offset and offset + size <= end
    ]
    return header + blank_segments(data[start:end], spans)


def _reason(error: ParseError) -> str:
    """The reader's reason and where, without the segment text (which may hold personal data)."""
    where = []
    if error.offset is not None:
        where.append(f"byte {error.offset}")
    if error.segment is not None:
        where.append(f"segment {error.segment}")
    return f"cannot be read: {error.reason}" + (f" ({', '.join(where)})" if where else "")


def _ingest_one(
    store: IngestStore,
    unit: _Unit,
    *,
    sender: str,
    channel: str,
    policy: SensitivePolicy,
    result: IngestResult,
) -> None:
    receipt = store.receive(unit.raw, sender=sender, channel=channel)
    result.messages += 1
    mid = receipt.message_id
    result.message_ids.append(mid)
    if receipt.duplicate:
        result.duplicates += 1
        if receipt.state is not MessageState.RECEIVED:
            return  # processed before (or quarantined): a re-delivery is counted, not processed again
    outcome = unit.outcome
    if outcome is None:
        store.advance(mid, MessageState.QUARANTINED, reason="no PNRGOV or PAXLST message could be found")
        result.quarantined += 1
        return
    if isinstance(outcome, ParseError):
        store.advance(mid, MessageState.QUARANTINED, reason=_reason(outcome))
        result.quarantined += 1
        return
    store.advance(mid, MessageState.PARSED)
    if isinstance(outcome, PassengerList):
        result.passenger_lists += 1  # no protocol for API data yet: stays parsed
        return
    assert isinstance(outcome, PnrPush)
    protected, removals = protect_push(outcome, policy)
    try:
        pushed = store.store_push(mid, protected)
    except UnstorablePush as error:
        store.advance(mid, MessageState.QUARANTINED, reason=f"cannot be stored: {error}")
        result.quarantined += 1
        return
    if removals and not pushed.already_stored:
        _record_removals(store, mid, removals, policy)
    store.advance(mid, MessageState.STORED)
    result.stored_messages += 1
    result.bookings += len(protected.bookings)
    result.travellers += sum(len(b.travellers) for b in protected.bookings)
    result.removed.update(removals)


def _record_removals(
    store: IngestStore, message_id: int, removals: Removals, policy: SensitivePolicy
) -> None:
    total = sum(removals.values())
    _log.info(
        "message %d: %d sensitive or non-Annex I items removed (policy %s): %s",
        message_id,
        total,
        policy.version,
        ", ".join(f"{code} x{n}" for code, n in sorted(removals.items())),
    )
    store.record(
        actor=_ACTOR,
        action=PROTECTION_ACTION,
        subject=f"message {message_id}",
        details={
            "policy_version": policy.version,
            "removals": dict(sorted(removals.items())),
            "total": total,
        },
    )
