"""Reading a received payload, the CPU-heavy half of ingesting: parse it, cut its sensitive items out of
its bytes, protect and encode each push, and digest its identity evidence. Pure: no store, no clock.

`openpiu ingest` runs this in reader processes while its own process writes. So this module imports only
what reading needs (the formats, protection, the records and their codec, the evidence digests), never the
database layer, the screening indexes or the web: a reader starts in a fraction of a second, and is
working before the writer has finished setting itself up.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import pickle
import signal
import sys
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from openpiu.analysis.identity import evidence_secret, list_evidence, push_evidence
from openpiu.formats.edifact import EdifactMessage, Interchange
from openpiu.formats.reader import ReadOutcome, ReadUnit, read_units, sniff_format
from openpiu.model import Booking, MessageFormat, PassengerList, PnrPush, Traveller
from openpiu.model.identity import BookingEvidence, PersonEvidence
from openpiu.protection import (
    DEFAULT_POLICY,
    Removals,
    SensitivePolicy,
    blank_segments,
    protect_push,
    segment_span,
    sensitive_spans,
    sensitive_xml_spans,
)
from openpiu.store.codec import EncodedPush, encode_push

__all__ = [
    "GC_THRESHOLD",
    "HELPER_PRELOAD",
    "Prepared",
    "ReadMessage",
    "Sealed",
    "die_with_parent",
    "helper_context",
    "prepare",
    "read_file",
    "read_for_writers",
    "start_reader",
    "stop_helper_server",
    "writer_of",
]

#: Allocations between young-generation collections while reading or ingesting (default 700): a message
#: is many small acyclic objects, alive until it is stored or sent.
GC_THRESHOLD = 50_000
_PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies
#: Modules the fork server of the helpers imports once (`helper_context`): everything a writing process
#: runs (the pipeline, the store, screening) and the PostgreSQL driver, which SQLAlchemy imports late.
HELPER_PRELOAD = ("openpiu.services.ingest", "psycopg", "sqlalchemy.dialects.postgresql.psycopg")


@dataclass(frozen=True, slots=True)
class ReadMessage:
    """One message to keep: its cut bytes and what reading it gave (None: nothing could be read).

    A push is protected and encoded for the store where it was read (``protected_by``: the policy's
    version; ``removals``: what protection removed), so the writing process does not do it again."""

    raw: bytes
    outcome: ReadOutcome | None
    protected_by: str | None = None
    removals: Removals | None = None
    encoded: EncodedPush | None = None
    #: Its bookings' identity evidence (`openpiu.analysis.identity`), digested with the card-hash key's
    #: evidence secret where it was read.
    evidence: tuple[BookingEvidence, ...] | None = None
    #: A passenger list's persons' identity evidence, digested likewise.
    persons: tuple[PersonEvidence, ...] | None = None
    #: The push keeps only what storing it reads beside ``encoded`` (`read_file`): it cannot be protected or
    #: encoded again.
    light: bool = False


@dataclass(frozen=True, slots=True)
class Prepared:
    """A payload read and cut into messages, ready for the store; picklable, so another process can
    do the reading (the CPU-heavy half) while this one writes."""

    units: tuple[ReadMessage, ...]
    #: The name the payload arrived under (a file's), kept with its messages; None when it had none.
    source: str | None = None


def prepare(
    data: bytes,
    *,
    source: str | None = None,
    policy: SensitivePolicy = DEFAULT_POLICY,
    card_key: bytes | None = None,
    received_on: date | None = None,
) -> Prepared:
    """Read ``data`` and cut the sensitive items out of each message's bytes. Pure: no store, no clock."""
    units = read_units(data, source=source or "<bytes>", card_key=card_key, received_on=received_on)
    return Prepared(tuple(_protected(unit, policy, card_key) for unit in _units(data, units, policy)), source)


def read_file(
    path: Path, policy: SensitivePolicy, card_key: bytes | None, received_on: date
) -> Prepared | OSError:
    """A file read and prepared (what a reader process does with each), or why it could not be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return error
    prepared = prepare(data, source=path.name, policy=policy, card_key=card_key, received_on=received_on)
    return replace(prepared, units=tuple(_travelling_light(unit) for unit in prepared.units))


def _travelling_light(unit: ReadMessage) -> ReadMessage:
    """A read message as it is sent to the writing process: a push that travels encoded (and digested)
    keeps of its bookings only what storing them reads beside their encoded parts (the locator, whether it
    is cancelled, each traveller's reference, type, names and date of birth).

    The whole push tree is most of what a reader sends, and rebuilding it from the pickle was a tenth of a
    writer's time; its contents are in the encoded parts already."""
    push = unit.outcome
    if not isinstance(push, PnrPush) or unit.encoded is None or unit.evidence is None:
        return unit
    bookings = tuple(
        Booking(
            booking.locator,
            cancelled=booking.cancelled,
            travellers=tuple(
                Traveller(
                    traveller.surname,
                    traveller.given_names,
                    type=traveller.type,
                    ref=traveller.ref,
                    placeholder=traveller.placeholder,
                    date_of_birth=traveller.date_of_birth,
                )
                for traveller in booking.travellers
            ),
        )
        for booking in push.bookings
    )
    return replace(unit, outcome=replace(push, bookings=bookings), light=True)


def writer_of(prepared: Prepared, writers: int) -> int:
    """The writer (0 to ``writers`` - 1) of a payload: the same for every payload of one flight.

    The key is the departure date and the route of the push's flight, or of a passenger list's first leg
    with a departure (the leg the store links the list by): a codeshare's pushes and the flight's lists
    share it, so a list and the push it belongs to are never stored at the same moment by two writers
    (neither would see the other's, and the API persons would stay unmerged). Payloads that name no flight
    go to the first writer."""
    for unit in prepared.units:
        outcome = unit.outcome
        flight = None
        if isinstance(outcome, PnrPush):
            flight = outcome.flight
        elif isinstance(outcome, PassengerList):
            flight = next((leg for leg in outcome.legs if leg.departure is not None), None)
        if flight is not None and flight.departure is not None:
            key = f"{flight.departure.local.date().isoformat()}/{flight.origin}/{flight.destination}"
            return zlib.crc32(key.encode()) % writers
    return 0


@dataclass(frozen=True, slots=True)
class Sealed:
    """A file read for a writing process: the writer of its flight, and what reading it gave, pickled
    where it was read. The process that hands it on passes bytes: unpickling it there and pickling it
    again cost that process a third of a CPU."""

    writer: int
    prepared: bytes


def read_for_writers(
    path: Path, *, policy: SensitivePolicy, card_key: bytes | None, received_on: date, writers: int
) -> Sealed | OSError:
    """What a reader process does with each file when several processes write: `read_file`, sealed."""
    read = read_file(path, policy, card_key, received_on)
    if isinstance(read, OSError):
        return read
    return Sealed(writer_of(read, writers), pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL))


def start_reader(parent: int) -> None:
    """Set up a reader process of ``parent``: it dies with it, and its collector stays out of the way."""
    die_with_parent(parent)
    # Reading builds a large tree of small objects per file, alive until it is sent: at the default
    # threshold the collector keeps traversing it (a fifth of the reading time) and finds next to no
    # garbage, the records being acyclic. What the start-up imported is frozen out of its way too.
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def die_with_parent(parent: int) -> None:
    """A helper process (a reader, a writer) must not outlive the process it works for, ``parent``, even
    one killed with SIGKILL.

    A thread of the helper waits on the pipe multiprocessing keeps between the two (its other end closes
    when ``parent`` ends, however it ends) and ends the helper at once. Spawned, the helper is also
    ``parent``'s child, and Linux sends it SIGKILL when ``parent`` dies. Forked by the fork server (see
    `helper_context`), it is that server's child, and the server lives as long as its helpers do: the
    thread is what ends them."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # not available: the watch below and the pool's shutdown remain
            pass
    creator = multiprocessing.parent_process()
    if creator is None or creator.pid != parent:  # not started by multiprocessing for ``parent``
        if os.getppid() != parent:
            os._exit(1)
        return
    threading.Thread(target=_end_with, args=(creator.sentinel,), name="parent-watch", daemon=True).start()


def _end_with(sentinel: int) -> None:
    """Wait until ``sentinel`` (the parent's end of a pipe) closes, then end this process."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def helper_context() -> multiprocessing.context.SpawnContext | multiprocessing.context.ForkServerContext:
    """How reader and writing processes are started: from a fork server where there is one, else spawned.

    Either way a helper inherits no database connection, lock or thread of the process it works for. A
    spawned helper imports what it needs anew (a writer: a second of CPU, as much as storing a thousand
    booking records); the fork server imports that once (``preload``, when it starts) and forks each
    helper from there, ready. The server keeps the environment and working folder it started with: a
    helper is given absolute paths and explicit settings."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Read when the server starts (the first helper of this process); a server already running keeps its
    # own, which only costs its helpers their imports.
    context.set_forkserver_preload(list(HELPER_PRELOAD))
    return context


def stop_helper_server() -> None:
    """End this process's fork server of helpers, if it started one (a later helper starts another).

    For measuring: once the server has been waited for, the CPU time and peak memory of the helpers it
    started count among this process's children (`resource.getrusage`), as spawned helpers' do."""
    from multiprocessing import forkserver  # noqa: PLC0415 (only where it is asked for)

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)  # no public way
    if callable(stop):
        stop()


def _protected(unit: ReadMessage, policy: SensitivePolicy, card_key: bytes | None) -> ReadMessage:
    """A push protected, encoded and digested here, in the reading process; a passenger list digested;
    anything else as it is."""
    if isinstance(unit.outcome, PassengerList):
        return replace(unit, persons=list_evidence(unit.outcome, evidence_secret(card_key)))
    if not isinstance(unit.outcome, PnrPush):
        return unit
    push, removals = protect_push(unit.outcome, policy)
    evidence = push_evidence(push, evidence_secret(card_key))
    return ReadMessage(unit.raw, push, policy.version, removals, encode_push(push), evidence)


def _units(data: bytes, units: Sequence[ReadUnit], policy: SensitivePolicy) -> list[ReadMessage]:
    """Split the payload into messages with their cut bytes, paired with the reader's outcomes."""
    if sniff_format(data) is MessageFormat.PNRGOV_XML:
        outcome = units[0].outcome if units else None
        return [ReadMessage(blank_segments(data, sensitive_xml_spans(data, policy)), outcome)]
    found = [(u.interchange, u.message, u.outcome) for u in units if u.interchange and u.message]
    if not found:
        return [ReadMessage(data, units[0].outcome if units else None)]
    if len(found) == 1:
        ic, message, outcome = found[0]
        return [
            ReadMessage(
                blank_segments(data, sensitive_spans(message.segments, policy, data, ic.chars)), outcome
            )
        ]
    return [ReadMessage(_message_bytes(data, ic, message, policy), outcome) for ic, message, outcome in found]


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
