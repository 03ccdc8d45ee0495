"""Use case: the worker (`openpiu worker`) that receives carriers' pushes from a watched folder and a queue.

The folder is polled every second in the calling thread; when an AMQP URL is given, a consumer runs in a
thread of its own (pika connections are not thread-safe: one connection per thread), and each has its
own store. Each poll round also runs the housekeeping callables (e.g. the expiry of incomplete split
pushes), each given the folder thread's store. The worker stops when the `stop` event is set (the CLI
sets it on SIGTERM and SIGINT); with ``once=True`` it processes what is waiting (folder, then queue) and
returns. What it reports are counts, never content.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from openpiu.clock import Clock
from openpiu.pipeline import Ingestor, IngestResult, ingest
from openpiu.pipeline.amqp import AmqpConsumer, AmqpCounts, AmqpOptions, consume_until_empty
from openpiu.pipeline.folder import FolderCounts, IngestFunction, failure_text, poll_once
from openpiu.pipeline.screening import ScreeningStage
from openpiu.protection import DEFAULT_POLICY, EVERY_FLIGHT, NotifiedScope, SensitivePolicy
from openpiu.settings import Settings
from openpiu.store import Store, open_store

__all__ = ["Housekeeping", "WorkerRound", "run_worker"]

_log = logging.getLogger(__name__)

#: A job run once per poll round with the folder thread's store (its return value is ignored).
Housekeeping = Callable[[Store], object]

_RESTART_SECONDS = 5.0


@dataclass(slots=True)
class WorkerRound:
    """What one poll round (or, summed, a whole run) did. Counts only."""

    folder: FolderCounts = field(default_factory=FolderCounts)
    amqp: AmqpCounts = field(default_factory=AmqpCounts)
    errors: int = 0  # failures outside a file or a delivery: the folder, the broker, a housekeeping job
    rounds: int = 0

    @property
    def result(self) -> IngestResult:
        total = IngestResult()
        total.add(self.folder.result)
        total.add(self.amqp.result)
        return total

    @property
    def quarantined(self) -> int:
        return self.folder.result.quarantined + self.amqp.quarantined

    @property
    def failures(self) -> int:
        return self.errors + self.folder.errors + self.amqp.errors

    @property
    def busy(self) -> bool:
        return self.folder.busy or self.amqp.busy or bool(self.errors)

    def add(self, other: WorkerRound) -> None:
        self.folder.add(other.folder)
        self.amqp.add(other.amqp)
        self.errors += other.errors
        self.rounds += other.rounds

    def line(self) -> str:
        """One line of counts for a person (or a log): the transports that had work, then the messages."""
        f, a, r = self.folder, self.amqp, self.result
        parts = []
        if f.busy:
            parts.append(f"folder: {f.files} files ({f.done} done, {f.failed} failed, {f.returned} put back)")
        if a.busy:
            parts.append(
                f"amqp: {a.deliveries} deliveries ({a.acked} acked, {a.retried} returned for retry, "
                f"{a.given_up} quarantined after the last attempt"
                + (f", {a.reconnects} reconnects" if a.reconnects else "")
                + ")"
            )
        if not parts and not self.failures:
            return "nothing waiting"
        parts.append(
            f"messages: {r.messages} ({r.stored_messages} stored, {r.passenger_lists} PAXLST kept parsed, "
            f"{r.duplicates} duplicates, {self.quarantined} quarantined)"
        )
        if self.failures:
            parts.append(f"errors: {self.failures}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        f, a, r = self.folder, self.amqp, self.result
        return {
            "rounds": self.rounds,
            "files": f.files,
            "files_done": f.done,
            "files_failed": f.failed,
            "files_put_back": f.returned,
            "deliveries": a.deliveries,
            "deliveries_acked": a.acked,
            "deliveries_retried": a.retried,
            "deliveries_given_up": a.given_up,
            "messages": r.messages,
            "stored_messages": r.stored_messages,
            "passenger_lists": r.passenger_lists,
            "duplicates": r.duplicates,
            "quarantined": self.quarantined,
            "errors": self.failures,
        }


def run_worker(
    settings: Settings,
    *,
    url: str,
    clock: Clock,
    once: bool,
    stop: threading.Event | None = None,
    folder: Path | None = None,
    amqp_url: str | None = None,
    amqp_queue: str | None = None,
    sender: str = "folder",
    card_key: bytes | None = None,
    policy: SensitivePolicy = DEFAULT_POLICY,
    housekeeping: Sequence[Housekeeping] | None = None,
    interval: float = 1.0,
    report: Callable[[WorkerRound], None] | None = None,
    ingest_function: IngestFunction | None = None,
    scope: NotifiedScope = EVERY_FLIGHT,
) -> WorkerRound:
    """Receive from the watched folder and (when `amqp_url` is set) the AMQP queue; the counts of the run.

    `folder` defaults to ``settings.watch_folder`` and `amqp_queue` to ``settings.amqp_queue``; there is
    no AMQP consumer when `amqp_url` is None (the CLI passes ``settings.amqp_url`` unless told otherwise).
    `report` is called after each round that did something. The schema at `url` must be up to date
    (else the store's error is raised before anything is received). Messages a crash left half-way are
    taken up first; by default each round then closes split pushes still incomplete after
    ``settings.split_timeout_seconds`` (quarantined with the parts missing).
    """
    if ingest_function is None:
        stages: dict[int, ScreeningStage] = {}  # one per store (one store per thread): its indexes kept

        def screened_ingest(store: Store, data: bytes, **options: Any) -> IngestResult:
            stage = stages.get(id(store))
            if stage is None:
                stage = stages[id(store)] = ScreeningStage(store, clock)
            return ingest(store, data, scope=scope, screening=stage, **options)

        ingest_function = screened_ingest
    if housekeeping is None:
        timeout = timedelta(seconds=settings.split_timeout_seconds)

        def expire(store: Store) -> IngestResult:
            return Ingestor(
                store, clock, policy=policy, card_key=card_key, split_timeout=timeout
            ).expire_series()

        watching: dict[int, ScreeningStage] = {}

        def rescreen(store: Store) -> int:
            # A list or criterion changed: the flights of the coming days are screened again.
            stage = watching.get(id(store))
            if stage is None:
                stage = watching[id(store)] = ScreeningStage(store, clock)
            return stage.rescreen(from_day=clock.now().date()) if stage.refresh() else 0

        housekeeping = (expire, rescreen)
    watched = folder if folder is not None else settings.watch_folder
    watched.mkdir(parents=True, exist_ok=True)
    options = (
        AmqpOptions(
            url=amqp_url,
            queue=amqp_queue or settings.amqp_queue,
            max_attempts=settings.amqp_max_attempts,
            poll_seconds=min(1.0, interval),
        )
        if amqp_url
        else None
    )
    common: dict[str, Any] = {
        "clock": clock,
        "policy": policy,
        "card_key": card_key,
        "ingest_function": ingest_function,
    }
    stop = stop if stop is not None else threading.Event()
    store = open_store(url, clock=clock)
    try:
        resumed = Ingestor(store, clock, policy=policy, scope=scope, card_key=card_key).resume()
        if resumed.messages:
            _log.info("took up %d messages left half-way by an earlier run", resumed.messages)
        if once:
            summary = _once(store, watched, options, url=url, sender=sender, stop=stop, **common)
            summary.errors += _housekeep(store, housekeeping)
            if report is not None:
                report(summary)
            return summary
        return _forever(
            store,
            watched,
            options,
            url=url,
            sender=sender,
            stop=stop,
            housekeeping=housekeeping,
            interval=interval,
            report=report,
            **common,
        )
    finally:
        store.close()


def _once(
    store: Store,
    watched: Path,
    options: AmqpOptions | None,
    *,
    url: str,
    sender: str,
    stop: threading.Event,
    **common: Any,
) -> WorkerRound:
    summary = WorkerRound(rounds=1)
    try:
        summary.folder = poll_once(store, watched, sender=sender, recover=True, stop=stop, **common)
    except OSError as error:
        summary.errors += 1
        _log.error("cannot read the watched folder %s: %s", watched, failure_text(error))
    if options is not None and not stop.is_set():
        amqp_store = open_store(url, clock=common["clock"])
        try:
            summary.amqp = consume_until_empty(amqp_store, options, stop=stop, **common)
        except Exception as error:  # the broker cannot be reached (or went away): say so, lose nothing
            summary.errors += 1
            _log.error("cannot consume queue %s: %s", options.queue, failure_text(error))
        finally:
            amqp_store.close()
    return summary


def _forever(
    store: Store,
    watched: Path,
    options: AmqpOptions | None,
    *,
    url: str,
    sender: str,
    stop: threading.Event,
    housekeeping: Sequence[Housekeeping],
    interval: float,
    report: Callable[[WorkerRound], None] | None,
    **common: Any,
) -> WorkerRound:
    total = WorkerRound()
    consumers: list[AmqpConsumer] = []
    thread = None
    if options is not None:
        thread = threading.Thread(
            target=_consume, args=(url, options, stop, consumers), kwargs=common, name="openpiu-amqp"
        )
        thread.start()
    retry_last: set[str] = set()
    recover = True
    try:
        while not stop.is_set():
            this = WorkerRound(rounds=1)
            try:
                this.folder = poll_once(
                    store, watched, sender=sender, recover=recover, retry_last=retry_last, stop=stop, **common
                )
                recover = False
            except OSError as error:
                this.errors += 1
                _log.error("cannot read the watched folder %s: %s", watched, failure_text(error))
            this.errors += _housekeep(store, housekeeping)
            if consumers:
                this.amqp = consumers[0].take_counts()
            total.add(this)
            if this.busy and report is not None:
                report(this)
            stop.wait(interval)
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        if consumers:
            last = WorkerRound(amqp=consumers[0].take_counts())
            total.add(last)
            if last.busy and report is not None:
                report(last)
    return total


def _consume(
    url: str, options: AmqpOptions, stop: threading.Event, consumers: list[AmqpConsumer], **common: Any
) -> None:
    """The AMQP thread: its own store and connection; restarted after an unexpected failure."""
    consumer: AmqpConsumer | None = None
    while not stop.is_set():
        store = None
        try:
            store = open_store(url, clock=common["clock"])
            if consumer is None:
                consumer = AmqpConsumer(store, options, stop=stop, **common)
                consumers.append(consumer)
            else:
                consumer.use_store(store)
            consumer.run()
        except Exception as error:  # the database at start, or a bug: log it, wait, start again
            _log.error(
                "the AMQP consumer stopped (%s); starting again in %.0f s",
                failure_text(error),
                _RESTART_SECONDS,
            )
            stop.wait(_RESTART_SECONDS)
        finally:
            if consumer is not None:
                consumer.close()
            if store is not None:
                store.close()


def _housekeep(store: Store, jobs: Sequence[Housekeeping]) -> int:
    """Run each job; the failures (logged, never raised: the worker goes on)."""
    failures = 0
    for job in jobs:
        try:
            job(store)
        except Exception as error:
            failures += 1
            _log.error("housekeeping %s failed: %s", getattr(job, "__name__", job), failure_text(error))
    return failures
