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
import pickle
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from openpiu.clock import Clock
from openpiu.pipeline import OUT_OF_SCOPE, Ingestor, IngestResult, Prepared
from openpiu.pipeline.ingestor import PROCESSED_TOGETHER
from openpiu.pipeline.reading import (
    GC_THRESHOLD,
    die_with_parent,
    helper_context,
    read_file,
    read_for_writers,
    start_reader,
)
from openpiu.pipeline.screening import ScreeningStage
from openpiu.protection import DEFAULT_POLICY, EVERY_FLIGHT, NotifiedScope, SensitivePolicy, load_scope
from openpiu.settings import Settings
from openpiu.store import MessageState, Store, open_store

__all__ = [
    "POSTGRES_WRITERS",
    "IngestSummary",
    "files_in",
    "ingest_paths",
    "notified_scope",
    "status",
    "status_of",
    "writer_count",
    "writers_ended",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")

#: Called after each file with (files done, files in all, the file's path).
Progress = Callable[[int, int, Path], None]

_CHANNEL = "file"
_POOL_MIN_FILES = 8  # below this, starting reader processes costs more than it saves
#: Files read ahead per reader process: the writer receives every file read already in one durable
#: transaction (one wait for the disk), so a deeper read-ahead means fewer, larger receipt batches; a
#: file's prepared messages are a few hundred kB, so memory stays flat.
_READ_AHEAD = 16
#: Writing processes of an ingest into PostgreSQL that `bench/ingest.py` measures (`--writers`). One
#: writer spends about half its time waiting for the server, which works while the other writer prepares
#: its next message (1,300 booking records/s with one, 2,070 with two, writing alone on two cores).
POSTGRES_WRITERS = 2
_SHARE_BACKLOG = 4  # batches waiting for each writer at most (each a few files, read already)
_WRITER_POLL = 1.0  # seconds between two looks at whether a silent writer is still alive


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
    writers: int | None = None,
) -> IngestSummary:
    """Ingest every file; the schema at `url` must be up to date (else the store's StoreError says so).

    Messages a crash left half-way in the database are taken up first. Files are read (parsed and cut)
    by ``readers`` other processes (default: one per CPU beyond this one; 0 reads here) while this
    process writes, in file order, so the result is the same as reading them one by one. ``identities``
    False leaves travellers unresolved (only to measure what resolving costs).

    ``writers``: on PostgreSQL, the processes that write (default 1; see `writer_count`). Each takes the
    files of some flights, every file of a flight (its pushes, codeshares and API lists) in file order;
    flights are independent but for identities, which the store resolves one writer at a time. SQLite
    always has one.
    """
    files = list(files_in(paths))
    settings = _WriterSettings(url, clock, policy, scope, card_key, sender, identities)
    share = writer_count(url, writers)
    if share > 1 and len(files) >= _POOL_MIN_FILES:
        return _ingest_shared(
            files,
            settings,
            writers=share,
            readers=readers,
            progress=progress,
        )
    total = IngestResult()
    unreadable: list[str] = []
    store = open_store(url, clock=clock)
    ingestor = settings.ingestor(store, processed_together=PROCESSED_TOGETHER)
    received_on = clock.now().date()
    # As in the readers (see start_reader): each message's records are many small acyclic objects.
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        total.add(ingestor.resume())
        done = 0
        for batch in _read_all(
            files,
            partial(read_file, policy=policy, card_key=card_key, received_on=received_on),
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


def writer_count(url: str, asked: int | None) -> int:
    """The processes that write an ingest into ``url``: ``asked`` (default one) on PostgreSQL, one on
    SQLite. Several writers store the same identities, but the order in which they reach one person's
    bookings decides which occurrence its links name as the first: one writer keeps that the same as
    reading the files one by one."""
    postgres = url.split(":", 1)[0].split("+", 1)[0] == "postgresql"
    if not postgres or asked is None:
        return 1
    return max(1, asked)


@dataclass(frozen=True, slots=True)
class _WriterSettings:
    """What a writing process needs to build its own store and pipeline (picklable); the one writer of
    SQLite builds its pipeline from it too."""

    url: str
    clock: Clock
    policy: SensitivePolicy
    scope: NotifiedScope
    card_key: bytes | None
    sender: str
    identities: bool

    def ingestor(self, store: Store, *, processed_together: int) -> Ingestor:
        return Ingestor(
            store,
            self.clock,
            policy=self.policy,
            scope=self.scope,
            card_key=self.card_key,
            screening=ScreeningStage(store, self.clock),
            identities=self.identities,
            processed_together=processed_together,
        )


def _ingest_shared(
    files: list[Path],
    settings: _WriterSettings,
    *,
    writers: int,
    readers: int | None,
    progress: Progress | None,
) -> IngestSummary:
    """`ingest_paths` with ``writers`` writing processes, each fed the files of its flights by this one."""
    total = IngestResult()
    unreadable: list[str] = []
    store = open_store(settings.url, clock=settings.clock)
    try:
        # Messages a crash left half-way, taken up before anyone writes: as one writer would.
        total.add(settings.ingestor(store, processed_together=1).resume())
    finally:
        store.close()
    context = helper_context()  # no connection inherited (as the readers)
    results: multiprocessing.Queue[tuple[str, list[Path], Any]] = context.Queue()
    inboxes: list[multiprocessing.Queue[tuple[list[Path], list[bytes]] | None]] = [
        context.Queue(maxsize=_SHARE_BACKLOG) for _ in range(writers)
    ]
    processes = [
        context.Process(target=_write_share, args=(settings, os.getpid(), inbox, results), daemon=True)
        for inbox in inboxes
    ]
    for process in processes:
        process.start()
    outstanding = 0
    done = 0

    def stopped() -> bool:
        return writers_ended([process.exitcode for process in processes])

    def finished(block: bool) -> None:
        """Take the writers' reports (waiting for all of them when ``block``); a failure stops the run.
        A writer that has done its share ends normally while the others still work: only one that ended
        otherwise, or all of them ended with reports missing, stops the run."""
        nonlocal outstanding, done
        ended_before = False
        while outstanding:
            try:
                kind, paths, payload = results.get(timeout=_WRITER_POLL) if block else results.get_nowait()
            except queue.Empty:
                if not block:
                    return
                if stopped():
                    if ended_before:  # a whole wait after the last one ended: nothing more will come
                        raise RuntimeError("the ingest writers ended with work not reported") from None
                    ended_before = True
                continue
            if kind == "failed":
                raise RuntimeError(f"an ingest writer failed: {payload}")
            outstanding -= 1
            total.add(payload)
            for path in paths:
                done += 1
                if progress is not None:
                    progress(done, len(files), path)

    def send(writer: int, task: tuple[list[Path], list[bytes]] | None) -> None:
        while True:
            try:
                inboxes[writer].put(task, timeout=_WRITER_POLL)
                return
            except queue.Full:
                finished(block=False)  # says a failure the writer reported, if it did
                if writers_ended([processes[writer].exitcode]):
                    raise RuntimeError("an ingest writer ended before its share was done") from None

    try:
        read = partial(
            read_for_writers,
            policy=settings.policy,
            card_key=settings.card_key,
            received_on=settings.clock.now().date(),
            writers=writers,
        )
        for batch in _read_all(files, read, readers=readers):
            shares: list[tuple[list[Path], list[bytes]]] = [([], []) for _ in range(writers)]
            for path, sealed in batch:
                if isinstance(sealed, OSError):
                    _log.warning("cannot read %s: %s", path, sealed.strerror or sealed)
                    unreadable.append(str(path))
                    done += 1
                    if progress is not None:
                        progress(done, len(files), path)
                    continue
                paths, ready = shares[sealed.writer]
                paths.append(path)
                ready.append(sealed.prepared)
            for writer, task in enumerate(shares):
                if task[1]:
                    send(writer, task)
                    outstanding += 1
            finished(block=False)
        for writer in range(writers):
            send(writer, None)
        finished(block=True)
    finally:
        for process in processes:
            if process.is_alive():
                process.join(timeout=5 if outstanding == 0 else 0)
            if process.is_alive():
                process.terminate()
                process.join()
        # What is still queued has no reader left (a failed run): this process must not wait at its exit
        # for the queues' feeder threads to hand it over.
        queues: list[multiprocessing.Queue[Any]] = [*inboxes, results]
        for pending in queues:
            pending.cancel_join_thread()
    return IngestSummary(files=len(files), unreadable=tuple(unreadable), result=total)


def writers_ended(exit_codes: Sequence[int | None]) -> bool:
    """Whether every writer has ended (an exit code of None: still running). A writer ends normally (0)
    when its share is done, maybe long before the others; one killed or crashed says nothing, so its exit
    code stops the run."""
    for code in exit_codes:
        if code not in (None, 0):
            raise RuntimeError(f"an ingest writer stopped without a word (exit code {code})")
    return all(code is not None for code in exit_codes)


def _write_share(
    settings: _WriterSettings,
    parent: int,
    inbox: multiprocessing.Queue[tuple[list[Path], list[bytes]] | None],
    results: multiprocessing.Queue[tuple[str, list[Path], Any]],
) -> None:
    """A writing process: store each batch it is given, and say what it gave (or why it failed)."""
    die_with_parent(parent)
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])  # as the readers and the one writer
    store = open_store(settings.url, clock=settings.clock)
    try:
        ingestor = settings.ingestor(store, processed_together=1)
        ingestor.warm_up()
        while (task := inbox.get()) is not None:
            paths, sealed = task
            try:
                ready = [pickle.loads(prepared) for prepared in sealed]  # our own readers' pickles
                result = ingestor.receive_batch(ready, sender=settings.sender, channel=_CHANNEL)
            except Exception as error:  # said to the parent, which stops the run with it
                results.put(("failed", paths, f"{type(error).__name__}: {error}"))
                return
            results.put(("done", paths, result))
    finally:
        store.close()


def _read_all(
    files: list[Path],
    read: Callable[[Path], T],
    *,
    readers: int | None,
    while_starting: Callable[[], object] | None = None,
) -> Iterator[list[tuple[Path, T]]]:
    """Each file with what ``read`` gave for it (a picklable function: it runs in the readers), in order,
    in batches of those read already (at least one); read ahead by a pool of processes when it pays.
    ``while_starting`` is called once the first files are handed out, while the readers start (the
    writer has nothing else to do until the first is read)."""
    count = max(0, (os.cpu_count() or 1) - 1) if readers is None else readers
    if count == 0 or len(files) < _POOL_MIN_FILES:
        if while_starting is not None:
            while_starting()
        for path in files:
            yield [(path, read(path))]
        return
    window = _READ_AHEAD * count
    # Not forked from here: a reader must inherit no database connection (nor its locks) from the writer.
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=helper_context(),
        initializer=start_reader,
        initargs=(os.getpid(),),
    ) as pool:
        pending: deque[tuple[Path, Future[T]]] = deque()
        queued = iter(files)
        for path in islice(queued, window):
            pending.append((path, pool.submit(read, path.absolute())))  # a helper may work elsewhere
        if while_starting is not None:
            while_starting()
        while pending:
            batch: list[tuple[Path, T]] = []
            # the next file (waited for), then those after it already read
            while pending and (not batch or pending[0][1].done()):
                path, future = pending.popleft()
                following = next(queued, None)
                if following is not None:
                    pending.append((following, pool.submit(read, following.absolute())))
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
