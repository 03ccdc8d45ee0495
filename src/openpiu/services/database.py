"""Use cases: bring the database schema up to date (`openpiu db upgrade`); check the references the
database does not (`openpiu db check`); read the pages the analysts'
screens walk into memory when the server starts (`prewarm_database`)."""

from __future__ import annotations

import logging
import threading

from openpiu.clock import Clock
from openpiu.store import open_store, upgrade

_log = logging.getLogger(__name__)


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages to people."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def upgrade_database(url: str) -> str:
    """Apply every migration the database at `url` lacks; returns the URL as it may be shown."""
    upgrade(url)
    return redact_url(url)


def check_references(url: str, clock: Clock) -> dict[str, int]:
    """Every reference the database does not check itself, with how many rows point at nothing
    (`openpiu db check`; see `Store.dangling_references`)."""
    store = open_store(url, clock=clock)
    try:
        return store.dangling_references()
    finally:
        store.close()


def prewarm_database(url: str, clock: Clock) -> list[tuple[str, float]]:
    """Read the indexes that networks and journeys walk into the file cache (see `Store.prewarm`), so
    that a server started on a database larger than its memory answers from memory once it has, instead
    of reading those pages one by one under its first users. Logs each index and its seconds."""
    store = open_store(url, clock=clock)
    try:
        done = store.prewarm()
    finally:
        store.close()
    for index, seconds in done:
        _log.info("prewarmed %s in %.1f s", index, seconds)
    return done


def prewarm_in_background(url: str, clock: Clock) -> threading.Thread:
    """`prewarm_database` on a thread of its own (the server serves meanwhile); a failure is logged."""

    def run() -> None:
        try:
            prewarm_database(url, clock)
        except Exception as error:  # a cache left cold is slower, not wrong: the server runs on
            _log.warning("prewarming the database failed: %s", type(error).__name__)

    thread = threading.Thread(target=run, name="openpiu-prewarm", daemon=True)
    thread.start()
    return thread
