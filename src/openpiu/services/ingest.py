"""Use cases: ingest message files and folders (`openpiu ingest`), and say what is stored (`openpiu status`).

The JSON of `status` is a contract (issue 4): ``messages`` (``received``, ``duplicates``, ``stored``,
``quarantined``, ``parsed`` for parts of split pushes waiting for the rest, ``waiting`` for messages not
read yet), ``flights``, ``bookings``, ``booking_versions``, ``travellers``, ``removed_sensitive_items``,
``out_of_scope_messages`` (counted, never kept), and the API data: ``passenger_lists``, ``api_persons``,
``api_persons_merged``. Every number is counted from the database.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from openpiu.clock import Clock
from openpiu.pipeline import OUT_OF_SCOPE, Ingestor, IngestResult, Prepared
from openpiu.pipeline.reading import GC_THRESHOLD, read_file, start_reader
from openpiu.pipeline.screening import ScreeningStage
from openpiu.protection import DEFAULT_POLICY, EVERY_FLIGHT, NotifiedScope, SensitivePolicy, load_scope
from openpiu.settings import Settings
from openpiu.store import MessageState, Store, open_store

__all__ = ["IngestSummary", "files_in", "ingest_paths", "notified_scope", "status", "status_of"]

_log = logging.getLogger(__name__)

#: Called after each file with (files done, files in all, the file's path).
Progress = Callable[[int, int, Path], None]

_CHANNEL = "file"
_POOL_MIN_FILES = 8  # below this, starting reader processes costs more than it saves
#: Files read ahead per reader process: the writer receives every file read already in one durable
#: transaction (one wait for the disk), so a deeper read-ahead means fewer, larger receipt batches; a
#: file's prepared messages are a few hundred kB, so memory stays flat.
_READ_AHEAD = 16


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What a run of `ingest_paths` did: files read, unreadable files, and the pipeline's counts."""

    files: int
    unreadable: tuple[str, ...]
    result: IngestResult

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "files": self.files,
            "unreadable_files": list(self.unreadable),
            "messages": r.messages,
            "duplicates": r.duplicates,
            "stored_messages": r.stored_messages,
            "bookings": r.bookings,
            "travellers": r.travellers,
            "passenger_lists": r.passenger_lists,
            "api_persons": r.api_persons,
            "api_merged": r.api_merged,
            "waiting_parts": r.waiting_parts,
            "out_of_scope": r.out_of_scope,
            "removed_bookings": r.removed_bookings,
            "hits": r.hits,
            "quarantined": r.quarantined,
            "removed_items": dict(sorted(r.removed.items())),
        }


def notified_scope(settings: Settings) -> NotifiedScope:
    """The scope in ``OPENPIU_SCOPE_FILE``, or every flight when none is set (raises ScopeError)."""
    if settings.scope_file is None:
        return EVERY_FLIGHT
    return load_scope(settings.scope_file)


def files_in(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each path, or every file under a folder in name order (a generated folder is in delivery order)."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(
                (f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")), key=str
            )
        else:
            yield p


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    url: str,
    clock: Clock,
    policy: SensitivePolicy = DEFAULT_POLICY,
    scope: NotifiedScope = EVERY_FLIGHT,
    card_key: bytes | None = None,
    sender: str = "folder",
    progress: Progress | None = None,
    readers: int | None = None,
    identities: bool = True,
) -> IngestSummary:
    """Ingest every file; the schema at `url` must be up to date (else the store's StoreError says so).

    Messages a crash left half-way in the database are taken up first. Files are read (parsed and cut)
    by ``readers`` other processes (default: one per CPU beyond this one; 0 reads here) while this
    process writes, in file order, so the result is the same as reading them one by one. ``identities``
    False leaves travellers unresolved (only to measure what resolving costs).
    """
    files = list(files_in(paths))
    total = IngestResult()
    unreadable: list[str] = []
    store = open_store(url, clock=clock)
    ingestor = Ingestor(
        store,
        clock,
        policy=policy,
        scope=scope,
        card_key=card_key,
        screening=ScreeningStage(store, clock),
        identities=identities,
    )
    received_on = clock.now().date()
    # As in the readers (see start_reader): each message's records are many small acyclic objects.
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        total.add(ingestor.resume())
        done = 0
        for batch in _read_all(
            files,
            policy=policy,
            card_key=card_key,
            received_on=received_on,
            readers=readers,
            while_starting=ingestor.warm_up,
        ):
            # the files read already are received together: one durable commit for their receipts
            ready: list[Prepared] = []
            for path, prepared in batch:
                if isinstance(prepared, OSError):
                    _log.warning("cannot read %s: %s", path, prepared.strerror or prepared)
                    unreadable.append(str(path))
                else:
                    ready.append(prepared)
            if ready:
                total.add(ingestor.receive_batch(ready, sender=sender, channel=_CHANNEL))
            for path, _ in batch:
                done += 1
                if progress is not None:
                    progress(done, len(files), path)
    finally:
        gc.set_threshold(*thresholds)
        store.close()
    return IngestSummary(files=len(files), unreadable=tuple(unreadable), result=total)


def _read_all(
    files: list[Path],
    *,
    policy: SensitivePolicy,
    card_key: bytes | None,
    received_on: date,
    readers: int | None,
    while_starting: Callable[[], object] | None = None,
) -> Iterator[list[tuple[Path, Prepared | OSError]]]:
    """Each file with what reading it gave, in order, in batches of those read already (at least one);
    read ahead by a pool of processes when it pays. ``while_starting`` is called once the first files are
    handed out, while the readers start (the writer has nothing else to do until the first is read)."""
    count = max(0, (os.cpu_count() or 1) - 1) if readers is None else readers
    if count == 0 or len(files) < _POOL_MIN_FILES:
        if while_starting is not None:
            while_starting()
        for path in files:
            yield [(path, read_file(path, policy, card_key, received_on))]
        return
    window = _READ_AHEAD * count
    # Spawned, not forked: a reader must inherit no database connection (nor its locks) from the writer.
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_reader,
        initargs=(os.getpid(),),
    ) as pool:
        pending: deque[tuple[Path, Future[Prepared | OSError]]] = deque()
        queued = iter(files)
        for path in islice(queued, window):
            pending.append((path, pool.submit(read_file, path, policy, card_key, received_on)))
        if while_starting is not None:
            while_starting()
        while pending:
            batch: list[tuple[Path, Prepared | OSError]] = []
            # the next file (waited for), then those after it already read
            while pending and (not batch or pending[0][1].done()):
                path, future = pending.popleft()
                following = next(queued, None)
                if following is not None:
                    pending.append(
                        (following, pool.submit(read_file, following, policy, card_key, received_on))
                    )
                batch.append((path, future.result()))
            yield batch


def status(url: str, *, clock: Clock) -> dict[str, Any]:
    """What the database holds, counted from stored data."""
    store = open_store(url, clock=clock)
    try:
        return status_of(store)
    finally:
        store.close()


def status_of(store: Store) -> dict[str, Any]:
    """:func:`status` of an open store (the operations page's counts)."""
    counts = store.message_counts()
    bookings = store.booking_counts()
    api = store.api_counts()
    hits = store.hit_count()
    by_state = counts.by_state
    return {
        "messages": {
            "received": counts.total,
            "duplicates": counts.duplicates,
            "stored": by_state[MessageState.STORED] + by_state[MessageState.SCREENED],
            "quarantined": by_state[MessageState.QUARANTINED],
            "parsed": by_state[MessageState.PARSED],
            "waiting": by_state[MessageState.RECEIVED],
        },
        "flights": bookings.flights,
        "bookings": bookings.bookings,
        "booking_versions": bookings.booking_versions,
        "travellers": bookings.travellers,
        "removed_sensitive_items": counts.removed_items,
        "out_of_scope_messages": counts.discarded.get(OUT_OF_SCOPE, 0),
        "passenger_lists": api.lists,
        "api_persons": api.persons,
        "api_persons_merged": api.matched,
        "hits": hits,
    }
