"""Use case: a carrier pushes a payload over HTTP (`openpiu serve`, ``POST /api/v1/push``).

:class:`PushReceiver` is what the web application holds for its whole life: one store, the carriers'
credentials, the card-hash key. It checks who pushes, hands the bytes to the ingest pipeline, and answers
with a :class:`PushReceipt` naming each inbox message, its state, whether it was a re-delivery, and the
reason when it was quarantined.

The receipt's id is ``M-<id of the payload's first inbox message>``. Pushing the same bytes again gives the
same receipt id (the inbox recognises the content), so a carrier that retries after a lost answer can tell
it was received the first time.

The errors below (:class:`PushError` and its kinds) carry messages that may be shown to the carrier; the
web layer maps each kind to one HTTP status in one place. Logs name the carrier, message ids and counts,
never the content.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from openpiu.clock import Clock
from openpiu.pipeline import IngestResult, ingest
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.carriers import CarrierError, CarrierRegistry
from openpiu.services.ingest import notified_scope
from openpiu.settings import Settings, load_card_hash_key
from openpiu.store import MessageState, StoreError, open_store

__all__ = [
    "CHANNEL",
    "EmptyPush",
    "MessageReceipt",
    "NotAuthenticated",
    "PushError",
    "PushFailed",
    "PushReceipt",
    "PushReceiver",
    "PushTooLarge",
    "PushUnavailable",
]

_log = logging.getLogger(__name__)

#: The inbox channel of messages received over HTTP.
CHANNEL = "http"


class PushError(Exception):
    """Base of the push errors; the message may be shown to the carrier."""


class NotAuthenticated(PushError):
    """No credentials, wrong credentials, an unknown or a disabled carrier: nothing was kept."""


class PushTooLarge(PushError):
    """The body is larger than the limit (``OPENPIU_MAX_PUSH_BYTES``): nothing was kept."""


class EmptyPush(PushError):
    """The body is empty: nothing was kept."""


class PushUnavailable(PushError):
    """The database (or the credentials file) failed; the carrier should push the same bytes again later."""


class PushFailed(PushError):
    """An unexpected error while ingesting (a bug); what was kept stays in the inbox and a retry is safe."""


@dataclass(frozen=True, slots=True)
class MessageReceipt:
    """One inbox message of a push: its id and state, whether it was a re-delivery, why if quarantined."""

    id: int
    state: MessageState
    duplicate: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state.value, "duplicate": self.duplicate, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class PushReceipt:
    """What a push gave: one entry per message found in the payload, and the pipeline's counts."""

    carrier: str
    messages: tuple[MessageReceipt, ...]
    stored_messages: int = 0
    passenger_lists: int = 0
    bookings: int = 0
    travellers: int = 0
    #: Messages for flights outside the notified scope: acknowledged, counted, not kept.
    out_of_scope: int = 0

    @property
    def receipt(self) -> str | None:
        """``M-<first message id>``; the same bytes pushed again give the same receipt."""
        return f"M-{self.messages[0].id}" if self.messages else None

    @property
    def quarantined(self) -> int:
        return sum(1 for m in self.messages if m.state is MessageState.QUARANTINED)

    @property
    def duplicates(self) -> int:
        return sum(1 for m in self.messages if m.duplicate)

    @property
    def accepted(self) -> bool:
        """Every message was kept (or is outside the scope) and none is quarantined."""
        return bool(self.messages or self.out_of_scope) and self.quarantined == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "receipt": self.receipt,
            "carrier": self.carrier,
            "accepted": self.accepted,
            "messages": [m.to_dict() for m in self.messages],
            "counts": {
                "messages": len(self.messages),
                "out_of_scope": self.out_of_scope,
                "duplicates": self.duplicates,
                "stored": self.stored_messages,
                "quarantined": self.quarantined,
                "passenger_lists": self.passenger_lists,
                "bookings": self.bookings,
                "travellers": self.travellers,
            },
        }


class PushReceiver:
    """Receives carriers' pushes into one store, opened for the receiver's life. Thread-safe.

    Opening fails with the store's :class:`~openpiu.store.StoreError` when the schema is not up to date
    (``openpiu db upgrade``), so a server never starts on a database it cannot write.
    """

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._card_key = load_card_hash_key(settings)
        self._scope = notified_scope(settings)
        self._carriers = CarrierRegistry(settings.carriers_path)
        self._store = open_store(settings.database_url, clock=clock)
        self._screening = ScreeningStage(self._store, clock)

    @property
    def max_bytes(self) -> int:
        return self._settings.max_push_bytes

    def authenticate(self, name: str | None, token: str | None) -> str:
        """The carrier's name, upper-cased, when ``token`` is its current token; else NotAuthenticated.

        A credentials file that cannot be read gives :class:`PushUnavailable`: nobody is let in.
        """
        if not name or token is None:
            raise NotAuthenticated("credentials are required: HTTP Basic with the carrier's name and token")
        try:
            ok = self._carriers.authenticate(name, token)
        except CarrierError as error:
            _log.error("push refused: the carrier credentials cannot be read: %s", error)
            raise PushUnavailable(
                "the carrier credentials cannot be checked now; push again later"
            ) from error
        if not ok:
            _log.warning("push refused: wrong credentials, or an unknown or disabled carrier")
            raise NotAuthenticated("unknown carrier, wrong token, or the carrier is disabled")
        return name.strip().upper()

    def check_size(self, size: int) -> None:
        """Raise :class:`PushTooLarge` when a body of ``size`` bytes is over the limit."""
        if size > self._settings.max_push_bytes:
            raise PushTooLarge(
                f"the body is larger than {self._settings.max_push_bytes} bytes (OPENPIU_MAX_PUSH_BYTES); "
                "nothing was kept: split the push into parts"
            )

    def receive(self, data: bytes, *, carrier: str) -> PushReceipt:
        """Keep every message of ``data`` in the inbox and ingest it; the receipt says what became of each."""
        if not data:
            raise EmptyPush("the body is empty: send the message bytes as the request body")
        self.check_size(len(data))
        try:
            result = ingest(
                self._store,
                data,
                sender=carrier,
                channel=CHANNEL,
                clock=self._clock,
                card_key=self._card_key,
                source=f"http:{carrier}",
                scope=self._scope,
                screening=self._screening,
            )
            receipt = self._receipt(carrier, result)
        except (StoreError, SQLAlchemyError) as error:
            _log.error("push from %s failed in the database: %s", carrier, type(error).__name__)
            raise PushUnavailable(
                "the database cannot take the push now; push the same bytes again later "
                "(a message kept already is recognised and not stored twice)"
            ) from error
        except Exception as error:
            # The exception's text may quote the message (names, documents): log where it failed, not what.
            where = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)[-5:]))
            _log.error("push from %s failed: %s, at\n%s", carrier, type(error).__name__, where.rstrip())
            raise PushFailed(
                "the push could not be processed; what was received is kept, and pushing the same bytes "
                "again is safe"
            ) from error
        _log.info(
            "push from %s: receipt %s, messages %s, %d stored, %d duplicates, %d quarantined",
            carrier,
            receipt.receipt,
            ",".join(str(m.id) for m in receipt.messages),
            receipt.stored_messages,
            receipt.duplicates,
            receipt.quarantined,
        )
        return receipt

    def _receipt(self, carrier: str, result: IngestResult) -> PushReceipt:
        ids = result.message_ids
        in_payload = Counter(ids)
        seen: Counter[int] = Counter()
        messages = []
        for mid in ids:
            message = self._store.message(mid)
            if message is None:  # pragma: no cover - the pipeline just kept it
                raise StoreError(f"message {mid} is not in the inbox")
            # A message is a re-delivery when it was delivered before this push, or appears earlier in it.
            earlier_deliveries = message.deliveries - in_payload[mid]
            duplicate = result.duplicates > 0 and (seen[mid] > 0 or earlier_deliveries > 0)
            seen[mid] += 1
            reason = message.reason if message.state is MessageState.QUARANTINED else None
            messages.append(MessageReceipt(mid, message.state, duplicate, reason))
        return PushReceipt(
            carrier=carrier,
            messages=tuple(messages),
            stored_messages=result.stored_messages,
            passenger_lists=result.passenger_lists,
            bookings=result.bookings,
            travellers=result.travellers,
            out_of_scope=result.out_of_scope,
        )

    def health(self) -> dict[str, Any]:
        """``{"status": "ok"}`` when the database answers, else ``{"status": "unavailable", ...}``."""
        try:
            self._store.message(0)  # a primary-key lookup: cheap, and needs the schema in place
        except Exception as error:  # any failure means "not healthy"; the kind is enough to show
            _log.warning("health check: the database does not answer: %s", type(error).__name__)
            return {"status": "unavailable", "database": f"does not answer ({type(error).__name__})"}
        return {"status": "ok"}

    def close(self) -> None:
        self._store.close()
