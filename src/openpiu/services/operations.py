"""Use cases of the operations page: what the inbox holds, its throughput hour by hour, messages by state,
the quarantine and its retry, and whether carriers push what they owe.

Nothing here shows personal data: a message is shown by its envelope (sender, channel, size, times,
content hash), its state, the reason it was quarantined and its history, never its bytes (those are read
with ``openpiu quarantine show --raw``, an audited read with a reason). A retry runs the message through
the same pipeline as a push received over HTTP (protection, the notified scope, screening), and is
recorded in the audit log.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from openpiu.clock import Clock
from openpiu.pipeline import Ingestor, IngestResult
from openpiu.pipeline.screening import ScreeningStage
from openpiu.protection import EVERY_FLIGHT, NotifiedScope
from openpiu.services.ingest import status_of
from openpiu.services.quarantine import MessageNotFound, details_in, retry_with
from openpiu.services.travel import CarrierCompliance, Travel
from openpiu.store import InboxMessage, MessageState, Store

__all__ = [
    "MESSAGE_STATES",
    "PAGE_SIZE",
    "THROUGHPUT_HOURS",
    "HourCount",
    "MessageNotFound",
    "MessageState",
    "NotQuarantined",
    "Operations",
    "SenderCount",
    "Throughput",
]

#: The states of a message in the inbox, in pipeline order.
MESSAGE_STATES: Final = tuple(MessageState)
#: Messages listed per page.
PAGE_SIZE: Final = 100
#: The inbox's throughput is shown for this many hours, the current one last.
THROUGHPUT_HOURS: Final = 24


@dataclass(frozen=True, slots=True)
class HourCount:
    """Messages received (new), stored and quarantined in one hour (UTC), every sender together."""

    hour: datetime  # the hour's start
    received: int
    stored: int
    quarantined: int


@dataclass(frozen=True, slots=True)
class SenderCount:
    """One sender's messages received, stored and quarantined over the whole window."""

    sender: str
    received: int
    stored: int
    quarantined: int


@dataclass(frozen=True, slots=True)
class Throughput:
    """The inbox's last hours: every hour of the window (none left out, oldest first), and per sender."""

    since: datetime
    until: datetime
    hours: list[HourCount]
    senders: list[SenderCount]  # by sender

    @property
    def peak(self) -> int:
        """The largest count of any hour (the scale of a chart)."""
        return max((max(h.received, h.stored, h.quarantined) for h in self.hours), default=0)


class NotQuarantined(ValueError):
    """Only a quarantined message is retried."""


class Operations:
    """The operations page's use cases on one store. Thread-safe: retries take turns (one pipeline)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        card_key: bytes | None = None,
        scope: NotifiedScope = EVERY_FLIGHT,
    ) -> None:
        self.store = store
        self.clock = clock
        self._card_key = card_key
        self._scope = scope
        self._lock = threading.Lock()
        self._ingestor: Ingestor | None = None

    def counts(self) -> dict[str, Any]:
        """The counts of ``openpiu status`` (messages, bookings, travellers, API data, hits)."""
        return status_of(self.store)

    def by_state(self) -> dict[MessageState, int]:
        """Messages in each state of the pipeline (re-deliveries are not counted twice)."""
        counted = self.store.message_counts().by_state
        return {state: counted.get(state, 0) for state in MESSAGE_STATES}

    def messages(self, state: MessageState, *, after: int = 0, limit: int = PAGE_SIZE) -> list[InboxMessage]:
        """Envelopes of the messages in ``state``, oldest first, after the message id ``after``."""
        return self.store.messages(state, after=after, limit=limit)

    def message(self, message_id: int) -> dict[str, Any]:
        """One message's envelope, reason, history and split-push series (MessageNotFound)."""
        return details_in(self.store, message_id)

    def retry(self, actor: str, message_id: int) -> IngestResult:
        """Run a quarantined message through the pipeline again; the retry and its outcome are audited."""
        message = self.store.message(message_id)
        if message is None:
            raise MessageNotFound(f"no message {message_id}")
        if message.state is not MessageState.QUARANTINED:
            raise NotQuarantined(
                f"message {message_id} is {message.state.value}: only a quarantined one is retried"
            )
        with self._lock:
            if self._ingestor is None:  # built at the first retry: screening loads the lists' indexes
                self._ingestor = Ingestor(
                    self.store,
                    self.clock,
                    card_key=self._card_key,
                    scope=self._scope,
                    screening=ScreeningStage(self.store, self.clock),
                )
            result = retry_with(self._ingestor, [message_id])
        after = self.store.message(message_id)
        self.store.record(
            actor=actor,
            action="message.retried",
            subject=f"message {message_id}",
            reason="retry from the quarantine",
            details={
                "state": after.state.value if after else None,
                "stored_messages": result.stored_messages,
                "quarantined": result.quarantined,
            },
        )
        return result

    def throughput(self, hours: int = THROUGHPUT_HOURS) -> Throughput:
        """Messages received, stored and quarantined in each of the last ``hours`` hours (UTC, the current
        hour last and so far), and per sender, counted in the database."""
        now = self.clock.now().astimezone(UTC)
        until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        since = until - timedelta(hours=hours)
        rows = self.store.inbox_hours(since, until)
        by_hour = {since + timedelta(hours=n): [0, 0, 0] for n in range(hours)}
        by_sender: dict[str, list[int]] = {}
        for row in rows:
            for tally in (by_hour[row.hour], by_sender.setdefault(row.sender, [0, 0, 0])):
                tally[0] += row.received
                tally[1] += row.stored
                tally[2] += row.quarantined
        return Throughput(
            since=since,
            until=until,
            hours=[HourCount(hour, *tally) for hour, tally in by_hour.items()],
            senders=[SenderCount(sender, *tally) for sender, tally in sorted(by_sender.items())],
        )

    def compliance(self, day: date) -> list[CarrierCompliance]:
        """Per carrier, the day's flights and the pushes received against those owed by now."""
        return Travel(self.store).dashboard(day, self.clock.now()).carriers
