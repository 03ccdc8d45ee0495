"""Use cases of the quarantine: list what could not be read or stored and why, look at one, retry.

A quarantined message is kept whole in the inbox (its sensitive items already cut), with the reason a
person reads. Retrying runs it through the pipeline again (after a fix of the reader, or once the missing
parts of a split push arrived). Showing a message's bytes shows personal data: it is an audited read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpiu.clock import Clock
from openpiu.pipeline import Ingestor, IngestResult
from openpiu.protection import EVERY_FLIGHT, NotifiedScope
from openpiu.store import InboxMessage, MessageState, Store, open_store

__all__ = [
    "MessageNotFound",
    "details_in",
    "list_quarantined",
    "message_details",
    "message_raw",
    "quarantined_in",
    "retry",
    "retry_with",
]


class MessageNotFound(LookupError):
    """No message with that id in the inbox."""


def _envelope(message: InboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "state": message.state.value,
        "reason": message.reason,
        "sender": message.sender,
        "channel": message.channel,
        "size": message.size,
        "deliveries": message.deliveries,
        "received_at": message.received_at.isoformat(),
        "state_changed_at": message.state_changed_at.isoformat(),
        "content_hash": message.content_hash,
    }


def list_quarantined(url: str, *, clock: Clock, limit: int = 1000) -> list[dict[str, Any]]:
    """Quarantined messages, oldest first, with the reason (no content)."""
    store = open_store(url, clock=clock)
    try:
        return quarantined_in(store, limit=limit)
    finally:
        store.close()


def quarantined_in(store: Store, *, limit: int = 1000) -> list[dict[str, Any]]:
    """:func:`list_quarantined` on an open store."""
    out: list[dict[str, Any]] = []
    after = 0
    while len(out) < limit and (batch := store.messages(MessageState.QUARANTINED, after=after, limit=200)):
        out.extend(_envelope(m) for m in batch)
        after = batch[-1].id
    return out[:limit]


def message_details(url: str, message_id: int, *, clock: Clock) -> dict[str, Any]:
    """One message's envelope, its history of states and, for a part of a split push, its series."""
    store = open_store(url, clock=clock)
    try:
        return details_in(store, message_id)
    finally:
        store.close()


def details_in(store: Store, message_id: int) -> dict[str, Any]:
    """:func:`message_details` on an open store (MessageNotFound when there is no such message)."""
    message = store.message(message_id)
    if message is None:
        raise MessageNotFound(f"no message {message_id}")
    details = _envelope(message)
    details["history"] = [
        {"state": change.state.value, "reason": change.reason, "at": change.at.isoformat()}
        for change in store.history(message_id)
    ]
    series = store.series_of(message_id)
    if series is not None:
        details["split_push"] = {
            "series": series.id,
            "state": series.state,
            "parts": {str(n): mid for n, mid in sorted(series.parts.items())},
            "last_part": series.final_part,
            "missing": series.missing,
        }
    return details


def message_raw(url: str, message_id: int, *, clock: Clock, actor: str, reason: str) -> bytes:
    """The kept bytes of a message (personal data: the read is audited with who and why)."""
    if not reason.strip():
        raise ValueError("say why the message's content is needed (--reason)")
    store = open_store(url, clock=clock)
    try:
        raw = store.raw(message_id)
        if raw is None:
            raise MessageNotFound(f"no message {message_id}")
        store.record(actor=actor, action="message.raw_read", subject=f"message {message_id}", reason=reason)
        return raw
    finally:
        store.close()


def retry(
    url: str,
    message_ids: Iterable[int] | None,
    *,
    clock: Clock,
    card_key: bytes | None = None,
    scope: NotifiedScope = EVERY_FLIGHT,
) -> IngestResult:
    """Run quarantined messages (the given ones, or all when None) through the pipeline again."""
    store = open_store(url, clock=clock)
    try:
        ingestor = Ingestor(store, clock, card_key=card_key, scope=scope)
        if message_ids is None:
            ids = [m["id"] for m in quarantined_in(store, limit=10**9)]
        else:
            ids = list(message_ids)
        return retry_with(ingestor, ids)
    finally:
        store.close()


def retry_with(ingestor: Ingestor, message_ids: Iterable[int]) -> IngestResult:
    """Run the quarantined ones of ``message_ids`` through ``ingestor`` again (others are left alone)."""
    store = ingestor.store
    total = IngestResult()
    for message_id in message_ids:
        message = store.message(message_id)
        if message is None:
            raise MessageNotFound(f"no message {message_id}")
        if message.state is not MessageState.QUARANTINED:
            continue  # only quarantined messages are retried
        total.add(ingestor.reprocess(message_id))
    return total
