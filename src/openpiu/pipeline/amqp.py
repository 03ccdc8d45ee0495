"""The AMQP (RabbitMQ) consumer: carriers or their router publish each push as one message on a queue.

One consumer owns one pika ``BlockingConnection`` (pika connections are not thread-safe: one per thread)
and one store. The queue is declared durable (when the broker has it with other arguments, e.g. a quorum
queue made by the operator, it is used as it is). For each delivery:

- the sender is the message's ``app_id`` property, else its ``carrier`` header, else ``amqp``;
- the body is ingested (channel ``amqp``) and the delivery is acknowledged only after ingest returned,
  that is after its transactions committed: a message is durable in the inbox before the broker forgets it;
- when ingest raises (the database is down, or a bug), the attempt is counted (the broker's
  ``x-delivery-count`` header on quorum queues, else a counter in this process keyed by the SHA-256 of the
  body) and the delivery is returned to the queue (``basic_nack(requeue=True)``) after a short backoff;
- when the attempts reach the limit, the bytes are kept in the inbox, quarantined with a reason naming the
  failure class and the attempts, and the delivery is acknowledged; when even that fails the delivery is
  returned to the queue, so nothing is lost.

:meth:`AmqpConsumer.run` consumes until a stop event is set (``process_data_events`` with a time limit,
so a stop is seen within a second) and reconnects with a growing backoff when the broker goes away;
:meth:`AmqpConsumer.drain` takes messages until the queue is empty (for ``openpiu worker --once`` and tests).
Logs name delivery tags, inbox message ids, counts and failure classes, never message content.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import pika
import pika.exceptions

from openpiu.clock import Clock
from openpiu.formats.edifact import read_interchanges
from openpiu.formats.reader import sniff_format
from openpiu.model import MessageFormat
from openpiu.pipeline.folder import IngestFunction, failure_text
from openpiu.pipeline.ingestor import IngestResult, IngestStore, ingest
from openpiu.protection import DEFAULT_POLICY, SensitivePolicy, blank_segments, sensitive_spans
from openpiu.store import MessageState

__all__ = [
    "CHANNEL",
    "AmqpConsumer",
    "AmqpCounts",
    "AmqpOptions",
    "consume_until_empty",
    "sender_of",
]

_log = logging.getLogger(__name__)

CHANNEL = "amqp"
_DEFAULT_SENDER = "amqp"
_MAX_SENDER = 64
_REMEMBERED = 10_000  # bodies whose failed attempts are counted in this process


@dataclass(frozen=True, slots=True)
class AmqpOptions:
    """Where to consume from and how patiently."""

    url: str = field(repr=False)  # may hold a password
    queue: str = "openpiu.pushes"
    max_attempts: int = 5
    prefetch: int = 4
    retry_delay: float = 1.0  # backoff before a failed delivery goes back to the queue; doubles per attempt
    max_retry_delay: float = 10.0
    reconnect_delay: float = 1.0  # after the broker went away; doubles per failed reconnect
    max_reconnect_delay: float = 30.0
    poll_seconds: float = 1.0  # how long one wait for deliveries lasts (how soon a stop is seen)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.prefetch < 1:
            raise ValueError("prefetch must be at least 1")


@dataclass(slots=True)
class AmqpCounts:
    """What the consumer did. Counts only, never content."""

    deliveries: int = 0
    acked: int = 0
    retried: int = 0  # ingest raised: returned to the queue for another attempt
    given_up: int = 0  # ingest kept raising: kept in the inbox quarantined, acknowledged
    errors: int = 0  # failures: ingest raised, or quarantining after the last attempt failed too
    reconnects: int = 0
    result: IngestResult = field(default_factory=IngestResult)

    @property
    def quarantined(self) -> int:
        return self.result.quarantined + self.given_up

    @property
    def busy(self) -> bool:
        return bool(self.deliveries or self.acked or self.errors or self.reconnects or self.result.messages)

    def add(self, other: AmqpCounts) -> None:
        self.deliveries += other.deliveries
        self.acked += other.acked
        self.retried += other.retried
        self.given_up += other.given_up
        self.errors += other.errors
        self.reconnects += other.reconnects
        self.result.add(other.result)

    def copy(self) -> AmqpCounts:
        result = IngestResult()
        result.add(self.result)
        return replace(self, result=result)


class _Outcome(Enum):
    ACKED = "acked"
    RETRY = "retry"  # returned to the queue for another attempt
    STUCK = "stuck"  # even quarantining failed: returned to the queue


@dataclass(frozen=True, slots=True)
class _Delivery:
    tag: int
    properties: Any
    body: bytes


def sender_of(properties: Any) -> str:
    """The sender named by a delivery: its ``app_id``, else its ``carrier`` header, else ``amqp``."""
    app_id = getattr(properties, "app_id", None)
    headers = getattr(properties, "headers", None) or {}
    for value in (app_id, headers.get("carrier")):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if isinstance(text, str) and text.strip():
            return text.strip()[:_MAX_SENDER]
    return _DEFAULT_SENDER


def _broker_attempts(properties: Any) -> int:
    """Attempts the broker counted (quorum queues: ``x-delivery-count`` failed deliveries before this)."""
    headers = getattr(properties, "headers", None) or {}
    value = headers.get("x-delivery-count")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value + 1
    return 0


class AmqpConsumer:
    """Consumes one queue into one store, on one connection (use it from one thread)."""

    def __init__(
        self,
        store: IngestStore,
        options: AmqpOptions,
        *,
        clock: Clock,
        policy: SensitivePolicy = DEFAULT_POLICY,
        card_key: bytes | None = None,
        stop: threading.Event | None = None,
        ingest_function: IngestFunction = ingest,
    ) -> None:
        self._store = store
        self._options = options
        self._clock = clock
        self._policy = policy
        self._card_key = card_key
        self._stop = stop if stop is not None else threading.Event()
        self._ingest = ingest_function
        self._connection: Any = None
        self._channel: Any = None
        self._pending: deque[_Delivery] = deque()
        self._cancelled = False
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self._counts = AmqpCounts()
        self._unreported = AmqpCounts()
        self._sinks: list[AmqpCounts] = [self._counts, self._unreported]

    # --- what was done -------------------------------------------------------------------------------

    @property
    def counts(self) -> AmqpCounts:
        """Everything done since the consumer was made (a copy; safe from another thread)."""
        with self._lock:
            return self._counts.copy()

    def take_counts(self) -> AmqpCounts:
        """What was done since the last call (safe from another thread): for a report per round."""
        with self._lock:
            taken = self._unreported
            self._unreported = AmqpCounts()
            self._sinks = [self._unreported if c is taken else c for c in self._sinks]
        return taken

    def _count(self, result: IngestResult | None = None, **changes: int) -> None:
        """Add to the counts in one step (a report never sees half of a delivery)."""
        with self._lock:
            for counts in self._sinks:
                for name, n in changes.items():
                    setattr(counts, name, getattr(counts, name) + n)
                if result is not None:
                    counts.result.add(result)

    def use_store(self, store: IngestStore) -> None:
        """Ingest into `store` from now on (after the old one was closed)."""
        self._store = store

    # --- the connection ------------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the connection and the channel, declare the queue (durable), set the prefetch."""
        self.close()
        parameters = pika.URLParameters(self._options.url)
        self._connection = pika.BlockingConnection(parameters)
        channel = self._connection.channel()
        try:
            channel.queue_declare(queue=self._options.queue, durable=True)
        except pika.exceptions.ChannelClosedByBroker as error:
            if error.reply_code != 406:  # PRECONDITION_FAILED: the queue exists with other arguments
                raise
            channel = self._connection.channel()
            channel.queue_declare(queue=self._options.queue, passive=True)
        channel.basic_qos(prefetch_count=self._options.prefetch)
        channel.add_on_cancel_callback(self._on_cancel)
        self._channel = channel
        self._pending.clear()
        self._cancelled = False
        _log.info(
            "consuming queue %s at %s:%s (vhost %s)",
            self._options.queue,
            parameters.host,
            parameters.port,
            parameters.virtual_host,
        )

    def close(self) -> None:
        """Close the connection; deliveries not acknowledged go back to the queue (the broker does that)."""
        connection, self._connection, self._channel = self._connection, None, None
        self._pending.clear()
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError):  # gone already
                connection.close()

    # --- consuming -----------------------------------------------------------------------------------

    def drain(self) -> AmqpCounts:
        """Take messages until the queue is empty (or the stop event is set, or quarantining fails).

        Raises pika's ``AMQPError`` when the broker cannot be reached or goes away.
        """
        drained = AmqpCounts()
        with self._lock:
            self._sinks.append(drained)
        try:
            if self._channel is None:
                self.connect()
            while not self._stop.is_set():
                method, properties, body = self._channel.basic_get(self._options.queue, auto_ack=False)
                if method is None:
                    break
                outcome = self._handle(_Delivery(method.delivery_tag, properties, bytes(body)))
                if outcome is _Outcome.STUCK:
                    break  # the store cannot take it even quarantined: leave it in the queue for later
        finally:
            with self._lock:
                self._sinks = [c for c in self._sinks if c is not drained]
        return drained

    def run(self) -> None:
        """Consume until the stop event is set; reconnect with a growing backoff when the broker goes away."""
        delay = self._options.reconnect_delay
        first = True
        while not self._stop.is_set():
            try:
                self.connect()
                if not first:
                    self._count(reconnects=1)
                first = False
                self._channel.basic_consume(self._options.queue, on_message_callback=self._on_message)
                delay = self._options.reconnect_delay
                while not self._stop.is_set():
                    self._connection.process_data_events(time_limit=self._options.poll_seconds)
                    while self._pending and not self._stop.is_set():
                        self._handle(self._pending.popleft())
                    if self._cancelled:  # the queue was deleted, or its node went away
                        raise pika.exceptions.ConsumerCancelled("the broker cancelled the consumer")
            except pika.exceptions.AMQPError as error:
                _log.warning(
                    "AMQP broker unavailable (%s); reconnecting in %.1f s", type(error).__name__, delay
                )
                self.close()
                self._stop.wait(delay)
                delay = min(delay * 2, self._options.max_reconnect_delay)
        self.close()

    def _on_message(self, _channel: Any, method: Any, properties: Any, body: bytes) -> None:
        # Only queued here: handled after process_data_events returns, outside pika's dispatch.
        self._pending.append(_Delivery(method.delivery_tag, properties, bytes(body)))

    def _on_cancel(self, _frame: Any) -> None:
        self._cancelled = True

    def _pause(self, seconds: float) -> None:
        """Wait, keeping the connection alive (heartbeats), and return early on a stop."""
        end = time.monotonic() + seconds
        while not self._stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            if self._connection is not None and self._connection.is_open:
                self._connection.process_data_events(time_limit=min(left, 0.2))
            else:
                self._stop.wait(min(left, 0.2))

    # --- one delivery --------------------------------------------------------------------------------

    def _handle(self, delivery: _Delivery) -> _Outcome:
        sender = sender_of(delivery.properties)
        try:
            result = self._ingest(
                self._store,
                delivery.body,
                sender=sender,
                channel=CHANNEL,
                clock=self._clock,
                policy=self._policy,
                card_key=self._card_key,
                source=f"amqp:{self._options.queue}",
            )
        except Exception as error:  # infrastructure (database down) or a bug: retry, then quarantine
            return self._failed(delivery, sender, error)
        self._channel.basic_ack(delivery_tag=delivery.tag)
        self._forget(delivery.body)
        self._count(result, deliveries=1, acked=1)
        _log.info(
            "delivery %d from %s: %d messages (%d stored, %d duplicates, %d quarantined), inbox ids %s",
            delivery.tag,
            sender,
            result.messages,
            result.stored_messages,
            result.duplicates,
            result.quarantined,
            ",".join(str(i) for i in result.message_ids) or "none",
        )
        return _Outcome.ACKED

    def _failed(self, delivery: _Delivery, sender: str, error: Exception) -> _Outcome:
        attempts = self._attempt(delivery)
        limit = self._options.max_attempts
        if attempts < limit:
            delay = min(self._options.retry_delay * 2 ** (attempts - 1), self._options.max_retry_delay)
            _log.error(
                "delivery %d from %s: attempt %d of %d failed: %s; back to the queue in %.1f s",
                delivery.tag,
                sender,
                attempts,
                limit,
                failure_text(error),
                delay,
            )
            self._pause(delay)
            self._channel.basic_nack(delivery_tag=delivery.tag, requeue=True)
            self._count(deliveries=1, errors=1, retried=1)
            return _Outcome.RETRY
        reason = f"not ingested after {attempts} delivery attempts: {type(error).__name__}"
        try:
            message_id = self._quarantine(delivery.body, sender=sender, reason=reason)
        except Exception as again:  # the store is down too: keep it in the queue, never lose it
            delay = self._options.max_retry_delay
            _log.error(
                "delivery %d from %s: attempt %d failed (%s) and it cannot be quarantined (%s); "
                "back to the queue in %.1f s",
                delivery.tag,
                sender,
                attempts,
                failure_text(error),
                failure_text(again),
                delay,
            )
            self._pause(delay)
            self._channel.basic_nack(delivery_tag=delivery.tag, requeue=True)
            self._count(deliveries=1, errors=2)
            return _Outcome.STUCK
        self._channel.basic_ack(delivery_tag=delivery.tag)
        self._forget(delivery.body)
        self._count(deliveries=1, errors=1, acked=1, given_up=1)
        _log.error(
            "delivery %d from %s: %s (%s); kept in the inbox as message %d, quarantined",
            delivery.tag,
            sender,
            reason,
            failure_text(error),
            message_id,
        )
        return _Outcome.ACKED

    def _attempt(self, delivery: _Delivery) -> int:
        """Count one failed attempt; the attempts so far (the broker's count when it keeps one)."""
        key = hashlib.sha256(delivery.body).hexdigest()
        local = self._failures.pop(key, 0) + 1
        self._failures[key] = local
        while len(self._failures) > _REMEMBERED:
            self._failures.popitem(last=False)
        return max(local, _broker_attempts(delivery.properties))

    def _forget(self, body: bytes) -> None:
        if self._failures:
            self._failures.pop(hashlib.sha256(body).hexdigest(), None)

    def _quarantine(self, body: bytes, *, sender: str, reason: str) -> int:
        """Keep the bytes in the inbox, quarantined (unless an earlier attempt got them further)."""
        receipt = self._store.receive(_protected(body, self._policy), sender=sender, channel=CHANNEL)
        if receipt.state in (MessageState.RECEIVED, MessageState.PARSED):
            self._store.advance(receipt.message_id, MessageState.QUARANTINED, reason=reason)
        return receipt.message_id


def _protected(body: bytes, policy: SensitivePolicy) -> bytes:
    """The body with its sensitive EDIFACT segments cut, as ingest would keep it; as is when it cannot be
    tokenised (XML, or bytes that are not EDIFACT): nothing received is dropped."""
    try:
        if sniff_format(body) is MessageFormat.PNRGOV_XML:
            return body
        spans = [
            span
            for interchange in read_interchanges(body)
            for message in interchange.messages
            for span in sensitive_spans(message.segments, policy, body, interchange.chars)
        ]
        return blank_segments(body, spans)
    except Exception:  # a bug in reading must not lose the message: keep it as received
        return body


def consume_until_empty(
    store: IngestStore,
    options: AmqpOptions,
    *,
    clock: Clock,
    policy: SensitivePolicy = DEFAULT_POLICY,
    card_key: bytes | None = None,
    stop: threading.Event | None = None,
    ingest_function: IngestFunction = ingest,
) -> AmqpCounts:
    """Connect, take every message waiting in the queue, disconnect; what was done."""
    consumer = AmqpConsumer(
        store,
        options,
        clock=clock,
        policy=policy,
        card_key=card_key,
        stop=stop,
        ingest_function=ingest_function,
    )
    try:
        return consumer.drain()
    finally:
        consumer.close()
