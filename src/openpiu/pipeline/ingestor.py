"""Ingest received payloads: parse, check the scope, protect, keep in the inbox, reassemble, store, merge.

Protection happens before anything is stored: the payload is parsed first, the sensitive items are cut out
of the raw bytes (EDIFACT segments with `sensitive_spans`, PNRGOV XML elements with `sensitive_xml_spans`),
and only the cut bytes reach the inbox. A message for a flight outside the notified scope is not kept at
all: it is only counted (``discarded``). Each parsed push is protected (`protect_push`) and stored as
booking versions; each inbox message moves received -> parsed -> stored, or -> quarantined with a reason
a person reads (the reader's reason and position, never the text of the message).

One inbox message holds one message: a payload with several EDIFACT messages is kept as one inbox message
per message (its interchange header, then the message).

**Split pushes** (UNH S010 ``01:C``, ``02`` ... ``nn:F``) wait in state ``parsed`` until every part is
there; the parts are then stored together as one push (a full push replaces the flight's bookings only as
a whole). A series still incomplete after the split timeout is quarantined with the missing part numbers
(`expire_series`); a series that never showed a first or a last part (a sender numbering single messages
with a bare counter) is stored message by message instead.

**API data** (PAXLST) is stored per message and merged with the PNR travellers of the same flight
(`openpiu.pipeline.reconcile`), whichever arrives first.

**Identities**: once a push (or list) is stored and merged, its travellers (or persons) are resolved into
traveller identities (`openpiu.analysis.identity`), before the message is marked stored.

**Two transactions per batch:** the receipts of a batch of messages (`receive_batch`: the payloads read
already) are one durable transaction; then its messages are processed, up to eight in one transaction
(`Inbox.processing`): each parsed, stored with its push, merged with API data, resolved into identities,
screened, its states recorded, all committed together or not at all.

**No loss:** every step is idempotent, and a message a crash left in ``received`` (or in ``parsed``: a
part of a split push) is taken up again by a re-delivery or by `resume` (which the commands run at start).

Removals are kept with each message (its inbox row, written in the same transaction: a crash cannot lose
them) and logged, as codes and counts with the policy version, never content.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from openpiu.analysis.identity import evidence_secret, list_evidence, push_evidence, resolve
from openpiu.clock import Clock
from openpiu.formats.errors import ParseError
from openpiu.formats.reader import ReadOutcome, ReadUnit, read_units
from openpiu.model import Flight, PassengerList, PnrPush, load_airports
from openpiu.model.identity import BookingEvidence, PersonEvidence
from openpiu.pipeline.reading import Prepared, ReadMessage, prepare
from openpiu.pipeline.reconcile import match_api_persons
from openpiu.pipeline.screening import ScreeningStage
from openpiu.protection import (
    DEFAULT_POLICY,
    EVERY_FLIGHT,
    NotifiedScope,
    Removals,
    SensitivePolicy,
    protect_push,
)
from openpiu.store import (
    Audit,
    Bookings,
    Criteria,
    EncodedPush,
    Hits,
    Identities,
    Inbox,
    MessageState,
    PassengerLists,
    PushSeries,
    Receipt,
    SeriesState,
    UnstorablePush,
    Watchlists,
)

__all__ = [
    "OUT_OF_SCOPE",
    "PROCESSED_TOGETHER",
    "IngestResult",
    "IngestStore",
    "Ingestor",
    "expire_series",
    "ingest",
    "reprocess",
    "resume",
]

_log = logging.getLogger(__name__)

#: The reason under which messages outside the notified scope are counted.
OUT_OF_SCOPE = "outside the notified scope"
_WAITING = (MessageState.RECEIVED, MessageState.PARSED)


class IngestStore(
    Inbox, PushSeries, Bookings, PassengerLists, Identities, Watchlists, Criteria, Hits, Audit, Protocol
):
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
    api_persons: int = 0
    api_merged: int = 0
    quarantined: int = 0
    waiting_parts: int = 0
    out_of_scope: int = 0
    removed_bookings: int = 0
    hits: int = 0
    #: Travellers and API persons resolved into identities, and identities merged into others meanwhile.
    identified: int = 0
    identities_merged: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    #: The inbox message of each message received, in order (a re-delivery names the known message).
    message_ids: list[int] = field(default_factory=list)

    @property
    def removed_items(self) -> int:
        return sum(self.removed.values())

    def add(self, other: IngestResult) -> None:
        for name in (
            "messages",
            "duplicates",
            "stored_messages",
            "bookings",
            "travellers",
            "passenger_lists",
            "api_persons",
            "api_merged",
            "quarantined",
            "waiting_parts",
            "out_of_scope",
            "removed_bookings",
            "hits",
            "identified",
            "identities_merged",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.removed.update(other.removed)
        self.message_ids.extend(other.message_ids)


#: Parts of split pushes kept in memory at most (a few flights' pushes in parts at a time, usually).
#: Messages of a batch processed in one transaction (bounded: SQLite's one writer waits for it to end).
PROCESSED_TOGETHER = 8
_PARTS_KEPT = 64


@dataclass(frozen=True, slots=True)
class _Part:
    """A part of a split push waiting for the rest: protected, with what the reader gave for the store."""

    push: PnrPush
    encoded: EncodedPush | None
    evidence: tuple[BookingEvidence, ...] | None


@dataclass(frozen=True, slots=True)
class _Kept:
    """A message received (its receipt) with what processing it needs: its outcome, protected."""

    receipt: Receipt
    outcome: ReadOutcome | None
    removals: Removals | None
    encoded: EncodedPush | None
    evidence: tuple[BookingEvidence, ...] | None
    persons: tuple[PersonEvidence, ...] | None  # a passenger list's, digested by the reader


@dataclass(frozen=True, slots=True)
class Ingestor:
    """The pipeline's settings and store, bound once; the functions below are its short forms."""

    store: IngestStore
    clock: Clock
    policy: SensitivePolicy = DEFAULT_POLICY
    scope: NotifiedScope = EVERY_FLIGHT
    card_key: bytes | None = None
    split_timeout: timedelta = timedelta(minutes=5)
    #: When set, every stored push's flight is screened and its messages end "screened".
    screening: ScreeningStage | None = None
    #: Resolve every stored traveller and API person into identities (off only to measure what it costs).
    identities: bool = True
    #: Messages of a batch processed in one transaction. Several writers on one PostgreSQL database take
    #: 1: resolving identities holds one lock until the commit, and a transaction of one message holds it
    #: for that message alone.
    processed_together: int = PROCESSED_TOGETHER
    #: Parts of split pushes waiting for the rest, as read (by message): stored from here when the push is
    #: complete, instead of being read again from the inbox (a crash loses nothing: they are read again).
    _parts: dict[int, _Part] = field(default_factory=dict, repr=False, compare=False)

    def warm_up(self) -> None:
        """Load now what the first message would wait for: the airport table (the notified scope judges
        every flight by its airports) and the screening indexes. Called while the readers start."""
        load_airports()
        if self.screening is not None:
            self.screening.refresh()

    # -- receiving ----------------------------------------------------------------------------------

    def ingest(self, data: bytes, *, sender: str, channel: str, source: str | None = None) -> IngestResult:
        """Receive ``data`` (one payload as delivered), protect it, keep it, and store what it carries.

        ``source``: the name it arrived under (a file's), kept with each of its messages."""
        prepared = prepare(
            data,
            source=source,
            policy=self.policy,
            card_key=self.card_key,
            received_on=self.clock.now().date(),
        )
        return self.receive_prepared(prepared, sender=sender, channel=channel)

    def receive_prepared(self, prepared: Prepared, *, sender: str, channel: str) -> IngestResult:
        """The store's half of :meth:`ingest`, for a payload :func:`prepare` read (maybe elsewhere)."""
        return self.receive_batch([prepared], sender=sender, channel=channel)

    def receive_batch(self, batch: Sequence[Prepared], *, sender: str, channel: str) -> IngestResult:
        """Receive the payloads of ``batch`` together, then process their messages one by one.

        The receipts of all their messages are one durable transaction (one wait for the disk for the
        batch); the messages are then processed a few at a time, each few in one transaction
        (`Inbox.processing`): a crash in between leaves received messages, which `resume` (or a
        re-delivery) processes."""
        result = IngestResult()
        kept: list[_Kept] = []
        with self.store.receiving():
            for prepared in batch:
                for unit in prepared.units:
                    received = self._receive(unit, sender=sender, channel=channel, source=prepared.source)
                    if received is None:
                        result.out_of_scope += 1
                    else:
                        kept.append(received)
        taken: set[int] = set()
        # The batch is screened against the lists, criteria and follows in force when it began.
        with self.screening.holding() if self.screening is not None else nullcontext():
            for start in range(0, len(kept), self.processed_together):
                # One transaction for a few messages: each commit writes every index page its rows
                # touched, and messages stored together share most of those pages. A crash leaves them
                # all received.
                with self.store.processing():
                    for item in kept[start : start + self.processed_together]:
                        self._process_kept(item, taken, sender=sender, result=result)
        return result

    def _process_kept(self, item: _Kept, taken: set[int], *, sender: str, result: IngestResult) -> None:
        """Process one message of a batch (inside its `Inbox.processing` block) unless it was before."""
        receipt = item.receipt
        result.messages += 1
        result.message_ids.append(receipt.message_id)
        if receipt.duplicate:
            result.duplicates += 1
            if receipt.state not in self._waiting or receipt.message_id in taken:
                # processed before (or quarantined, or earlier in this batch): a re-delivery is
                # counted, not processed again
                return
        elif item.removals:
            result.removed.update(item.removals)
            self._log_removals(receipt.message_id, item.removals)
        taken.add(receipt.message_id)
        state = receipt.state
        if receipt.duplicate:
            # A part waiting at its receipt may have been stored since, with a part received after it in
            # this batch: its state now decides.
            message = self.store.message(receipt.message_id)
            state = message.state if message is not None else state
            if state not in self._waiting:
                return
        self._process(
            receipt.message_id,
            item.outcome,
            sender=sender,
            result=result,
            protected=True,
            state=state,
            encoded=item.encoded,
            evidence=item.evidence,
            persons=item.persons,
        )

    def _receive(self, unit: ReadMessage, *, sender: str, channel: str, source: str | None) -> _Kept | None:
        """Keep one message in the inbox, protected first; None when it is outside the notified scope."""
        outcome = unit.outcome
        if isinstance(outcome, (PnrPush, PassengerList)) and not self._in_scope(outcome):
            # Not kept at all (Art 2): no inbox row, no raw bytes; one count per day.
            self.store.count_discarded(OUT_OF_SCOPE, day=self.clock.now().date())
            return None
        removals: Removals | None = None
        encoded: EncodedPush | None = None
        evidence: tuple[BookingEvidence, ...] | None = None
        if isinstance(outcome, PnrPush):
            # Protected before it is kept: the counts of what was removed go in with the message.
            if unit.protected_by == self.policy.version and unit.removals is not None:
                # by the reader, with this policy
                removals, encoded, evidence = unit.removals, unit.encoded, unit.evidence
            elif unit.light:  # its bookings travel only encoded: nothing here to protect them again from
                raise ValueError(
                    f"a push read under protection policy {unit.protected_by} cannot be stored under"
                    f" {self.policy.version}: read it with this policy"
                )
            else:
                outcome, removals = protect_push(outcome, self.policy)
        receipt = self.store.receive(
            unit.raw,
            sender=sender,
            channel=channel,
            removals=removals,
            policy=self.policy.version,
            source=source,
        )
        persons = unit.persons if isinstance(outcome, PassengerList) else None
        return _Kept(receipt, outcome, removals, encoded, evidence, persons)

    def _in_scope(self, message: PnrPush | PassengerList) -> bool:
        flights: Sequence[Flight | None] = (
            (message.flight,) if isinstance(message, PnrPush) else message.legs or (None,)
        )
        for flight in flights:
            if flight is None or flight.departure is None:
                return True  # cannot be judged: kept (and quarantined later if it cannot be stored)
            if self.scope.covers(flight.origin, flight.destination, flight.departure.local.date()):
                return True
        return False

    @property
    def _waiting(self) -> tuple[MessageState, ...]:
        """States a message is left in half-way: stored too, when it is to be screened."""
        return (*_WAITING, MessageState.STORED) if self.screening is not None else _WAITING

    # -- processing ---------------------------------------------------------------------------------

    def _process(
        self,
        mid: int,
        outcome: ReadOutcome | None,
        *,
        sender: str,
        result: IngestResult,
        protected: bool = False,
        state: MessageState = MessageState.RECEIVED,
        encoded: EncodedPush | None = None,
        evidence: tuple[BookingEvidence, ...] | None = None,
        persons: tuple[PersonEvidence, ...] | None = None,
    ) -> None:
        """Read, reassemble, store and merge one kept message (``protected``: a push is already protected;
        ``encoded``: and encoded for the store; ``evidence`` and ``persons``: digested by the reader)."""
        store = self.store
        if outcome is None:
            self._quarantine(mid, "no PNRGOV or PAXLST message could be found", result)
            return
        if isinstance(outcome, ParseError):
            self._quarantine(mid, _reason(outcome), result)
            return
        if state is not MessageState.STORED:  # stored, not screened yet: taken up after a crash
            store.advance(mid, MessageState.PARSED)
        if isinstance(outcome, PassengerList):
            self._store_list(mid, outcome, result, persons)
            return
        push = outcome if protected else protect_push(outcome, self.policy)[0]
        ahead = {} if encoded is None or not protected else {mid: encoded}
        known = {} if evidence is None or not protected else {mid: evidence}
        key = _series_key(push, sender)
        if key is None:
            self._store_push([(mid, push)], result, ahead, known)
            return
        header = push.header
        if state is MessageState.STORED:
            done = store.series_of(mid)
            if done is not None and done.state == "stored":
                self._store_series(done, {mid: push}, result, ahead, known)  # stored whole: screen it
                return
        series = store.add_part(mid, key=key, part=header.part or 1, final=bool(header.final_part))
        if series.complete:
            pushes = {mid: push}
            for other in series.parts.values():
                waiting = self._parts.pop(other, None)
                if waiting is not None:  # read in this process: not read again from the inbox
                    pushes[other] = waiting.push
                    if waiting.encoded is not None:
                        ahead[other] = waiting.encoded
                    if waiting.evidence is not None:
                        known[other] = waiting.evidence
            self._store_series(series, pushes, result, ahead, known)
        else:
            self._parts[mid] = _Part(push, ahead.get(mid), known.get(mid))
            while len(self._parts) > _PARTS_KEPT:  # the oldest are read again when their push completes
                del self._parts[next(iter(self._parts))]
            result.waiting_parts += 1
            _log.info(
                "message %d is part %d of split push %d; waiting for parts %s",
                mid,
                header.part or 1,
                series.id,
                ", ".join(map(str, series.missing)) or "after the last received",
            )

    def _store_series(
        self,
        series: SeriesState,
        known: dict[int, PnrPush],
        result: IngestResult,
        encoded: Mapping[int, EncodedPush] | None = None,
        evidence: Mapping[int, tuple[BookingEvidence, ...]] | None = None,
    ) -> None:
        """Store a complete series: re-read the parts kept in the inbox (their bytes are already cut)."""
        parts: list[tuple[int, PnrPush]] = []
        for number in sorted(series.parts):
            mid = series.parts[number]
            push = known.get(mid) or self._reread_push(mid)
            if push is None:
                return  # quarantined by _reread_push; the series expires
            parts.append((mid, push))
        if self._store_push(parts, result, encoded, evidence):
            self.store.close_series(series.id, "stored")

    def _reread_push(self, mid: int) -> PnrPush | None:
        raw = self.store.raw(mid)
        outcomes = [] if raw is None else [u.outcome for u in self._read(raw, mid)]
        if len(outcomes) == 1 and isinstance(outcomes[0], PnrPush):
            return protect_push(outcomes[0], self.policy)[0]
        self.store.advance(
            mid, MessageState.QUARANTINED, reason="a kept part of a split push cannot be read again"
        )
        return None

    def _read(self, raw: bytes, mid: int) -> list[ReadUnit]:
        return read_units(
            raw, source=f"message {mid}", card_key=self.card_key, received_on=self.clock.now().date()
        )

    def _store_push(
        self,
        parts: list[tuple[int, PnrPush]],
        result: IngestResult,
        encoded: Mapping[int, EncodedPush] | None = None,
        evidence: Mapping[int, tuple[BookingEvidence, ...]] | None = None,
    ) -> bool:
        store = self.store
        try:
            pushed = store.store_parts(parts, encoded=encoded)
        except UnstorablePush as error:
            for mid, _ in parts:
                self._quarantine(mid, f"cannot be stored: {error}", result)
            return False
        if pushed.flight_id:
            self._merge(pushed.flight_id, result)  # before "stored": a crash here is taken up again
        if self.identities:
            secret = evidence_secret(self.card_key)
            given = evidence or {}
            counts = store.resolve_push(
                # a push read by a reader process travels without what its evidence was digested from
                [(mid, given[mid] if mid in given else push_evidence(push, secret)) for mid, push in parts],
                resolve,
            )
            result.identified += counts.occurrences
            result.identities_merged += counts.merged
        for mid, _ in parts:
            store.advance(mid, MessageState.STORED)
        if self.screening is not None and pushed.flight_id:
            result.hits += self.screening.screen_flight(pushed.flight_id)
            for mid, _ in parts:
                store.advance(mid, MessageState.SCREENED)
        result.stored_messages += len(parts)
        result.bookings += sum(len(push.bookings) for _, push in parts)
        result.travellers += sum(len(b.travellers) for _, push in parts for b in push.bookings)
        result.removed_bookings += pushed.removed
        return True

    def _store_list(
        self,
        mid: int,
        plist: PassengerList,
        result: IngestResult,
        persons: tuple[PersonEvidence, ...] | None = None,
    ) -> None:
        try:
            stored = self.store.store_passenger_list(mid, plist)
        except UnstorablePush as error:
            self._quarantine(mid, f"cannot be stored: {error}", result)
            return
        if stored.flight_id is not None:
            self._merge(stored.flight_id, result)  # before "stored": a crash here is taken up again
        if self.identities:
            if persons is None:
                persons = list_evidence(plist, evidence_secret(self.card_key))
            counts = self.store.resolve_list(mid, persons, resolve)
            result.identified += counts.occurrences
            result.identities_merged += counts.merged
        self.store.advance(mid, MessageState.STORED)
        if self.screening is not None:
            # merged persons add their passport data to their traveller; the others are screened alone
            result.hits += self.screening.screen_list(stored.id)
            self.store.advance(mid, MessageState.SCREENED)
        result.stored_messages += 1
        result.passenger_lists += 1
        result.api_persons += stored.persons

    def _merge(self, flight_id: int, result: IngestResult) -> None:
        """Merge the flight's API persons not merged yet with its current travellers."""
        waiting = self.store.api_persons(flight_id, unmatched_only=True)
        if not waiting:
            return  # most flights: no API data, or all of it merged already
        persons = self.store.api_persons(flight_id)
        taken = {p.match.traveller_id for p in persons if p.match is not None}
        travellers = [t for t in self.store.current_travellers(flight_id) if t.id not in taken]
        matches = match_api_persons(waiting, travellers)
        result.api_merged += self.store.record_api_matches(matches)

    def _quarantine(self, mid: int, reason: str, result: IngestResult) -> None:
        self.store.advance(mid, MessageState.QUARANTINED, reason=reason)
        result.quarantined += 1

    def _log_removals(self, message_id: int, removals: Removals) -> None:
        """Log what protection removed: codes and counts, never content (the counts are kept with the
        message itself, written in the same transaction, with the policy version)."""
        _log.info(
            "message %d: %d sensitive or non-Annex I items removed (policy %s): %s",
            message_id,
            sum(removals.values()),
            self.policy.version,
            ", ".join(f"{code} x{n}" for code, n in sorted(removals.items())),
        )

    # -- taking up again ----------------------------------------------------------------------------

    def reprocess(self, message_id: int) -> IngestResult:
        """Run a kept message through the pipeline again (a retry from quarantine, or after a crash)."""
        store = self.store
        result = IngestResult()
        message = store.message(message_id)
        raw = store.raw(message_id)
        if message is None or raw is None:
            return result
        if message.state is MessageState.QUARANTINED:
            store.advance(message_id, MessageState.RECEIVED)
        elif message.state not in self._waiting:
            return result  # done already: nothing to do
        units = self._read(raw, message_id)
        outcome = units[0].outcome if len(units) == 1 else None
        if len(units) > 1:
            outcome = ParseError(f"{len(units)} messages where one was kept")
        result.message_ids.append(message_id)
        state = MessageState.RECEIVED if message.state is MessageState.QUARANTINED else message.state
        with store.processing():
            self._process(message_id, outcome, sender=message.sender, result=result, state=state)
        return result

    def resume(self) -> IngestResult:
        """Take up every message a crash left half-way (received, or parsed and not waiting for parts)."""
        result = IngestResult()
        for state in self._waiting:
            after = 0
            while batch := self.store.messages(state, after=after, limit=200):
                for message in batch:
                    series = self.store.series_of(message.id)
                    if state is MessageState.STORED:
                        result.add(self.reprocess(message.id))  # stored, not screened
                        continue
                    if series is not None and series.state == "open" and not series.complete:
                        continue  # a part waiting for the rest of its push
                    if series is not None and series.state == "open":
                        with self.store.processing():
                            self._store_series(series, {}, result)
                    else:
                        result.add(self.reprocess(message.id))
                after = batch[-1].id
        return result

    def expire_series(self) -> IngestResult:
        """Close split pushes still incomplete after the split timeout (see the module documentation)."""
        result = IngestResult()
        now: datetime = self.clock.now()
        for series in self.store.open_series(opened_before=now - self.split_timeout):
            if 1 not in series.parts and series.final_part is None:
                # never a first or a last part: single messages numbered with a bare counter
                for mid in series.parts.values():
                    with self.store.processing():
                        push = self._reread_push(mid)
                        if push is not None:
                            self._store_push([(mid, push)], result)
                self.store.close_series(series.id, "stored", reason="parts stored one by one")
                continue
            seconds = int(self.split_timeout.total_seconds())
            reason = (
                f"split push incomplete after {seconds} s: received parts "
                f"{', '.join(map(str, sorted(series.parts)))}; missing "
                f"{', '.join(map(str, series.missing)) or 'the last part'}"
            )
            for mid in series.parts.values():
                message = self.store.message(mid)
                if message is not None and message.state in _WAITING:
                    self._quarantine(mid, reason, result)
            self.store.close_series(series.id, "quarantined", reason=reason)
            _log.warning("split push %d quarantined: %s", series.id, reason)
        return result


def ingest(
    store: IngestStore,
    data: bytes,
    *,
    sender: str,
    channel: str,
    clock: Clock,
    policy: SensitivePolicy = DEFAULT_POLICY,
    card_key: bytes | None = None,
    source: str | None = None,
    scope: NotifiedScope = EVERY_FLIGHT,
    screening: ScreeningStage | None = None,
) -> IngestResult:
    """Receive `data` (one payload as delivered), protect it, keep it, and store what it carries.

    With `screening` (a stage on the same store, kept across calls for its indexes), every stored push's
    flight is screened too.
    """
    ingestor = Ingestor(store, clock, policy=policy, scope=scope, card_key=card_key, screening=screening)
    return ingestor.ingest(data, sender=sender, channel=channel, source=source)


def reprocess(
    store: IngestStore, message_id: int, *, clock: Clock, card_key: bytes | None = None
) -> IngestResult:
    return Ingestor(store, clock, card_key=card_key).reprocess(message_id)


def resume(store: IngestStore, *, clock: Clock, card_key: bytes | None = None) -> IngestResult:
    return Ingestor(store, clock, card_key=card_key).resume()


def expire_series(
    store: IngestStore, *, clock: Clock, timeout: timedelta, card_key: bytes | None = None
) -> IngestResult:
    return Ingestor(store, clock, card_key=card_key, split_timeout=timeout).expire_series()


def _series_key(push: PnrPush, sender: str) -> str | None:
    """The reassembly key of a part of a split push (None for a push sent whole).

    A part: flagged first of several (``01:C``) or numbered above 1. Key: sender (UNB, else the
    transport's), pushed flight and date, common access reference, MSG function.
    """
    header = push.header
    part = header.part
    if not (header.final_part is False or (part is not None and part > 1)):
        return None
    flight = push.flight
    when = flight.departure.local.date().isoformat() if flight and flight.departure else "?"
    return "|".join(
        [
            header.sender or sender,
            flight.designator if flight else "?",
            flight.origin or "" if flight else "",
            when,
            header.common_access_ref or header.message_ref or "",
            push.function or "",
        ]
    )


def _reason(error: ParseError) -> str:
    """The reader's reason and where, without the segment text (which may hold personal data)."""
    where = []
    if error.offset is not None:
        where.append(f"byte {error.offset}")
    if error.segment is not None:
        where.append(f"segment {error.segment}")
    return f"cannot be read: {error.reason}" + (f" ({', '.join(where)})" if where else "")
