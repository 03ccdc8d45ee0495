"""Use cases: ingest message files and folders (`openpiu ingest`), and say what is stored (`openpiu status`).

The JSON of `status` is a contract (issue 4): ``messages`` (``received``, ``duplicates``, ``stored``,
``quarantined``, and ``parsed`` for messages with no store yet, e.g. PAXLST), ``flights``, ``bookings``,
``booking_versions``, ``travellers``, ``removed_sensitive_items``, ``out_of_scope_messages``. Every number is
counted from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpiu.clock import Clock
from openpiu.pipeline import PROTECTION_ACTION, IngestResult, ingest
from openpiu.protection import DEFAULT_POLICY, SensitivePolicy
from openpiu.store import MessageState, Store, open_store

__all__ = ["IngestSummary", "files_in", "ingest_paths", "status"]

_log = logging.getLogger(__name__)

#: Called after each file with (files done, files in all, the file's path).
Progress = Callable[[int, int, Path], None]

_CHANNEL = "file"


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
            "passenger_lists_kept_parsed": r.passenger_lists,
            "quarantined": r.quarantined,
            "removed_items": dict(sorted(r.removed.items())),
        }


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
    card_key: bytes | None = None,
    sender: str = "folder",
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest every file; the schema at `url` must be up to date (else the store's StoreError says so)."""
    files = list(files_in(paths))
    total = IngestResult()
    unreadable: list[str] = []
    store = open_store(url, clock=clock)
    try:
        for done, path in enumerate(files, start=1):
            try:
                data = path.read_bytes()
            except OSError as error:
                _log.warning("cannot read %s: %s", path, error.strerror or error)
                unreadable.append(str(path))
            else:
                total.add(
                    ingest(
                        store,
                        data,
                        sender=sender,
                        channel=_CHANNEL,
                        clock=clock,
                        policy=policy,
                        card_key=card_key,
                        source=path.name,
                    )
                )
            if progress is not None:
                progress(done, len(files), path)
    finally:
        store.close()
    return IngestSummary(files=len(files), unreadable=tuple(unreadable), result=total)


def status(url: str, *, clock: Clock) -> dict[str, Any]:
    """What the database holds, counted from stored data."""
    store = open_store(url, clock=clock)
    try:
        counts = store.message_counts()
        bookings = store.booking_counts()
        removed = removed_items(store)
    finally:
        store.close()
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
        "removed_sensitive_items": removed,
        "out_of_scope_messages": 0,  # the notified scope is not applied yet: nothing is out of scope
    }


def removed_items(store: Store) -> int:
    """Items removed at the door, summed over the audit events the pipeline kept (codes and counts only)."""
    total = 0
    after = 0
    while True:
        events = store.events(after=after, limit=500)
        if not events:
            return total
        for event in events:
            if event.action == PROTECTION_ACTION:
                total += int(event.details.get("total", 0))
        after = events[-1].seq
