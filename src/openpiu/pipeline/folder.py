"""The watched folder: carriers (or a router) drop message files into a folder and openpiu picks them up.

A carrier writes each file under a temporary name (``.name``, ``name.tmp`` or ``name.part``, which are
ignored) and renames it when it is complete. Each round (:func:`poll_once`) takes the files in name order:

1. claim: ``os.rename`` the file into ``processing/``; when another worker got it first the rename fails
   with ``FileNotFoundError`` and the file is skipped;
2. ingest its bytes (channel ``folder``): every message is kept in the inbox before the file moves on;
3. move it to ``done/`` when every message was kept (stored, parsed or a re-delivery), or to ``failed/``
   when something was quarantined (the inbox keeps it too, with the reason). The name is kept; a numbered
   suffix is added when the target holds a file of that name already.

When ingesting raises (the database is down), the file goes back to the folder to be retried in a later
round, the error is logged (its class, never content) and the round stops there. Files left in
``processing/`` by a worker that died are processed first when a worker starts (``recover=True``):
ingesting is idempotent by content hash, so a file processed twice is one message and a counted
re-delivery.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpiu.clock import Clock
from openpiu.pipeline.ingestor import IngestResult, IngestStore, ingest
from openpiu.protection import DEFAULT_POLICY, SensitivePolicy

__all__ = [
    "CHANNEL",
    "DONE",
    "FAILED",
    "PROCESSING",
    "FolderCounts",
    "IngestFunction",
    "failure_text",
    "is_ignored",
    "poll_once",
]

_log = logging.getLogger(__name__)

CHANNEL = "folder"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"

_TEMPORARY_SUFFIXES = (".tmp", ".part")

#: What the folder (and the AMQP consumer) call to ingest a payload; `ingest` unless a test injects one.
IngestFunction = Callable[..., IngestResult]


@dataclass(slots=True)
class FolderCounts:
    """What one or more rounds did with files. Counts only, never content."""

    files: int = 0  # files claimed and read
    done: int = 0
    failed: int = 0
    returned: int = 0  # put back in the folder after an infrastructure failure, to be retried
    errors: int = 0  # infrastructure failures (ingest raised)
    result: IngestResult = field(default_factory=IngestResult)

    @property
    def busy(self) -> bool:
        return bool(self.files or self.done or self.failed or self.returned or self.errors)

    def add(self, other: FolderCounts) -> None:
        self.files += other.files
        self.done += other.done
        self.failed += other.failed
        self.returned += other.returned
        self.errors += other.errors
        self.result.add(other.result)


def is_ignored(name: str) -> bool:
    """A name a carrier is still writing (or a hidden file): left alone."""
    return name.startswith(".") or name.endswith(_TEMPORARY_SUFFIXES)


def failure_text(error: BaseException) -> str:
    """An infrastructure failure as it may be logged: class names and the driver's first line, no data.

    SQLAlchemy's own message lists the statement's parameters (the raw message), so only the wrapped
    driver error's first line is kept (e.g. "connection refused", "database is locked").
    """
    orig = getattr(error, "orig", None)
    if isinstance(orig, BaseException):
        first = (str(orig).strip().splitlines() or [""])[0][:200]
        return f"{type(error).__name__} ({type(orig).__name__}: {first})" if first else type(error).__name__
    if isinstance(error, OSError):
        return f"{type(error).__name__} ({error.strerror or 'errno ' + str(error.errno)})"
    return type(error).__name__


def poll_once(
    store: IngestStore,
    folder: Path,
    *,
    clock: Clock,
    sender: str = CHANNEL,
    policy: SensitivePolicy = DEFAULT_POLICY,
    card_key: bytes | None = None,
    recover: bool = False,
    retry_last: set[str] | None = None,
    stop: threading.Event | None = None,
    ingest_function: IngestFunction = ingest,
) -> FolderCounts:
    """Process the files waiting in `folder`, in name order (first those left in processing/ if `recover`).

    `retry_last`, kept by the caller from round to round, holds the names whose ingest failed: they are
    tried after the other files, so one file that keeps failing does not hold up the rest. A `stop` event
    that is set ends the round after the file in hand. Raises only
    when the folder itself cannot be listed or its subfolders made.
    """
    processing = folder / PROCESSING
    for sub in (processing, folder / DONE, folder / FAILED):
        sub.mkdir(parents=True, exist_ok=True)
    counts = FolderCounts()
    options: dict[str, Any] = {
        "sender": sender,
        "channel": CHANNEL,
        "clock": clock,
        "policy": policy,
        "card_key": card_key,
    }
    if recover:
        for name in _waiting(processing):
            if stop is not None and stop.is_set():
                return counts
            _log.info("recovering %s, left in %s by a worker that stopped", name, PROCESSING)
            if not _process(
                store,
                folder,
                processing / name,
                options=options,
                counts=counts,
                ingest_function=ingest_function,
            ):
                return counts
    later = retry_last if retry_last is not None else set()
    names = _waiting(folder)
    names.sort(key=lambda name: name in later)  # stable: name order, the ones that failed last
    for name in names:
        if stop is not None and stop.is_set():
            break
        claimed = processing / name
        if claimed.exists():
            # a file of this name is being processed (or was left by a worker that died): next round
            _log.debug("%s is in %s already; left for a later round", name, PROCESSING)
            continue
        try:
            os.rename(folder / name, claimed)
        except FileNotFoundError:
            continue  # another worker claimed it first
        if _process(store, folder, claimed, options=options, counts=counts, ingest_function=ingest_function):
            later.discard(name)
        else:
            later.add(name)
            break
    return counts


def _waiting(folder: Path) -> list[str]:
    """Names of the regular files in `folder` that are complete, in name order."""
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if not is_ignored(e.name) and e.is_file(follow_symlinks=False))


def _process(
    store: IngestStore,
    folder: Path,
    claimed: Path,
    *,
    options: dict[str, Any],
    counts: FolderCounts,
    ingest_function: IngestFunction,
) -> bool:
    """Ingest one claimed file and move it on; False when ingesting failed (stop the round)."""
    try:
        data = claimed.read_bytes()
    except FileNotFoundError:
        return True  # taken by another worker's recovery
    except OSError as error:
        _log.error("cannot read %s: %s; moved to %s/", claimed.name, failure_text(error), FAILED)
        counts.failed += 1
        _move(claimed, folder / FAILED)
        return True
    counts.files += 1
    try:
        result = ingest_function(store, data, source=claimed.name, **options)
    except Exception as error:  # infrastructure (database down) or a bug: retry the file later
        counts.errors += 1
        _log.error(
            "cannot ingest %s: %s; put back in the folder to be retried", claimed.name, failure_text(error)
        )
        if _move(claimed, folder) is not None:
            counts.returned += 1
        return False
    counts.result.add(result)
    if result.quarantined:
        target = _move(claimed, folder / FAILED)
        counts.failed += 1
    else:
        target = _move(claimed, folder / DONE)
        counts.done += 1
    _log.info(
        "%s: %d messages (%d stored, %d duplicates, %d quarantined), inbox ids %s; moved to %s",
        claimed.name,
        result.messages,
        result.stored_messages,
        result.duplicates,
        result.quarantined,
        ",".join(str(i) for i in result.message_ids) or "none",
        target.parent.name + "/" if target is not None else "(gone)",
    )
    return True


def _move(source: Path, target_folder: Path) -> Path | None:
    """Move `source` into `target_folder` under its name, or the name with ``.1``, ``.2``... before its
    extension when that is taken. Never overwrites a file. None when `source` is gone (another worker).
    """
    for n in range(10_000):
        target = target_folder / _numbered(source.name, n)
        try:
            os.link(source, target)  # atomic and exclusive: fails when the target exists
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        except OSError:
            # no hard links on this file system: check, then rename (a narrow race, never a loss of data
            # that is not in the inbox already)
            if target.exists():
                continue
            try:
                os.replace(source, target)
            except FileNotFoundError:
                return None
            return target
        source.unlink(missing_ok=True)
        return target
    raise FileExistsError(f"no free name for {source.name} in {target_folder}")


def _numbered(name: str, n: int) -> str:
    if n == 0:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return f"{name}.{n}"
    return f"{stem}.{n}.{extension}"
