"""Use cases of the operations page: what the inbox holds, messages by state, the quarantine and its
retry, and whether carriers push what they owe.

Nothing here shows personal data: a message is shown by its envelope (sender, channel, size, times,
content hash), its state, the reason it was quarantined and its history, never its bytes (those are read
with ``openpiu quarantine show --raw``, an audited read with a reason). A retry runs the message through
the same pipeline as a push received over HTTP (protection, the notified scope, screening), and is
recorded in the audit log.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, Final

from openpiu.clock import Clock
from openpiu.pipeline import Ingestor, IngestResult
from openpiu.pipeline.screening import ScreeningStage
from openpiu.protection import EVERY_FLIGHT, NotifiedScope
from openpiu.services.ingest import status_of
from openpiu.services.quarantine import MessageNotFound, details_in, retry_with
from openpiu.services.travel import CarrierCompliance, Travel
from openpiu.store import InboxMessage, MessageState, Store

__all__ = ["MESSAGE_STATES", "PAGE_SIZE", "MessageNotFound", "MessageState", "NotQuarantined", "Operations"]

#: The states of a message in the inbox, in pipeline order.
MESSAGE_STATES: Final = tuple(MessageState)
#: Messages listed per page.
PAGE_SIZE: Final = 100


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

    def compliance(self, day: date) -> list[CarrierCompliance]:
        """Per carrier, the day's flights and the pushes received against those owed by now."""
        return Travel(self.store).dashboard(day, self.clock.now()).carriers
