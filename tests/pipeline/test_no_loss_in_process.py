"""Nothing received is lost, and a crash changes nothing, in one process: a crash between any two store
calls of a message, then a restart, ends as if there was no crash; and delivering every message twice in a
shuffled order stores what one delivery in order does. The world, the id-free snapshot and the helpers are
those of test_no_loss.py (where `openpiu ingest` is killed with SIGKILL and restarted).
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_no_loss import (
    ARRIVAL_ORDER,
    AT,
    CARD_KEY,
    DELIVERY_COUNTS,
    SEED,
    World,
    kind,
    messages_by_hash,
    new_database,
    unaccounted,
    world,
)

from conftest import postgres_schema
from openpiu.clock import FixedClock
from openpiu.services.ingest import ingest_paths
from openpiu.store import upgrade
from pipeline.snapshot import differences, snapshot

__all__ = ["new_database", "world"]  # fixtures of test_no_loss.py, used here


class Crash(BaseException):
    """The process dies here (a BaseException: no `except Exception` in the code under test catches it)."""


class DiesAfter:
    """A store that works for `calls` calls, then dies: what a SIGKILL right after that call leaves.

    Every store call is one transaction, so "dead after call n" covers every state a kill can leave (a
    kill inside a transaction is rolled back: the same as dying after the call before)."""

    def __init__(self, store: Any, calls: int, made: list[str]) -> None:
        self._store = store
        self._left = calls
        self._made = made

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute) or name == "close":
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._left <= 0:
                raise Crash(name)
            result = attribute(*args, **kwargs)
            self._left -= 1
            self._made.append(name)
            return result

        return call


def ingest_dying(path: Path, url: str, calls: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], bool]:
    """Ingest one file with a store that dies after `calls` calls: the calls made, and whether it died."""
    from openpiu.services import ingest as service

    made: list[str] = []
    real = service.open_store
    with monkeypatch.context() as patch:
        patch.setattr(
            service, "open_store", lambda url, *, clock: DiesAfter(real(url, clock=clock), calls, made)
        )
        try:
            ingest_paths([path], url=url, clock=FixedClock(AT), card_key=bytes.fromhex(CARD_KEY))
        except Crash:
            return made, True
    return made, False


def copy_sqlite(url: str, to: Path) -> str:
    """A consistent copy of a SQLite database (its WAL included), through SQLite's backup API."""
    source = sqlite3.connect(sa.make_url(url).database or "")
    target = sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{to}"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_crash_between_any_two_store_calls_is_recovered(
    backend: str,
    world: World,
    new_database: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    files = world.files()
    key = bytes.fromhex(CARD_KEY)
    # One run in order, file by file: the store calls each message makes, and the database before each.
    probe = new_database()
    before: list[str] = []
    per_file: list[list[str]] = []
    for i, path in enumerate(files):
        before.append(copy_sqlite(probe, tmp_path / f"before-{i}.db"))
        per_file.append(ingest_dying(path, probe, 10**9, monkeypatch)[0])
    before.append(copy_sqlite(probe, tmp_path / "after.db"))
    # Crash in the PNRGOV push making the most kinds of store calls (one with removals to audit), and in
    # the PAXLST list making the most.
    kinds = [kind(path.read_bytes()) for path in files]
    victims = sorted(
        max(group, key=lambda i: (len(set(per_file[i])), -i))
        for group in ([i for i, k in enumerate(kinds) if k == wanted] for wanted in ("PNRGOV", "PAXLST"))
        if group
    )
    assert len(victims) == 2, kinds

    failures: list[str] = []
    for victim in victims:
        expected = snapshot(before[victim + 1], ignore=DELIVERY_COUNTS)
        calls = per_file[victim]
        for n in range(1, len(calls)):
            url = copy_sqlite(before[victim], tmp_path / f"crash-{victim}-{n}.db")
            made, died = ingest_dying(files[victim], url, n, monkeypatch)
            assert died
            assert made == calls[:n]
            # The restart delivers the file again (the files before it are stored: delivering them again
            # only counts a delivery, as the kill test shows) and takes up what the crash left half-way.
            ingest_paths([files[victim]], url=url, clock=FixedClock(AT), card_key=key)
            assert not unaccounted(url), (files[victim].name, calls[:n])
            found = snapshot(url, ignore=DELIVERY_COUNTS)
            if found != expected:
                failures.append(
                    f"{files[victim].name} died after {' > '.join(calls[:n])}:\n"
                    f"{differences(expected, found, limit=2)}"
                )
    assert not failures, "\n".join(failures)


# --- out of order --------------------------------------------------------------------------------

#: The current state of each booking: whether it left the flight (a full push no longer lists it) and which
#: push removed it, which version is current and its push time. Derived from every push kept, so the same
#: whatever the order of arrival; compared on its own in the next test.
CURRENT_STATE = {"bookings": {"cancelled", "current_pushed_at", "current_version_id"}}
REMOVALS = "booking_removals"


@pytest.fixture(scope="module", params=["sqlite"])
def ordered_and_shuffled(
    request: pytest.FixtureRequest, world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A database given every message once in order, and one given each twice in a shuffled order, on the
    backend of the fixture's parameter.

    Made once for the two tests below, which only read them (the two ingests are most of their time)."""
    backend = request.param
    files = world.files()
    shuffled = files * 2
    random.Random(SEED).shuffle(shuffled)
    assert shuffled[: len(files)] != files
    folder = tmp_path_factory.mktemp("shuffled")
    with contextlib.ExitStack() as schemas:
        in_order, out_of_order = (
            schemas.enter_context(postgres_schema())
            if backend == "postgresql"
            else f"sqlite:///{folder / f'{name}.db'}"
            for name in ("in_order", "out_of_order")
        )
        key = bytes.fromhex(CARD_KEY)
        for url, paths in ((in_order, files), (out_of_order, shuffled)):
            upgrade(url)
            ingest_paths(paths, url=url, clock=FixedClock(AT), card_key=key)
        yield in_order, out_of_order


@pytest.mark.timeout(180)
def test_every_message_twice_in_a_shuffled_order_stores_what_one_ordered_delivery_does(
    ordered_and_shuffled: tuple[str, str],
) -> None:
    in_order, out_of_order = ordered_and_shuffled
    assert not unaccounted(out_of_order)
    ignore = {**DELIVERY_COUNTS, **ARRIVAL_ORDER, **CURRENT_STATE}
    expected = snapshot(in_order, ignore=ignore)
    found = snapshot(out_of_order, ignore=ignore)
    expected.pop(REMOVALS, None)
    found.pop(REMOVALS, None)
    assert found == expected, differences(expected, found)
    once, twice = messages_by_hash(in_order), messages_by_hash(out_of_order)
    assert {h: r["deliveries"] for h, r in twice.items()} == {h: 2 * r["deliveries"] for h, r in once.items()}


@pytest.mark.timeout(180)
def test_every_message_twice_in_a_shuffled_order_gives_the_same_current_state(
    ordered_and_shuffled: tuple[str, str],
) -> None:
    in_order, out_of_order = ordered_and_shuffled
    ignore = {**DELIVERY_COUNTS, **ARRIVAL_ORDER}
    expected = snapshot(in_order, ignore=ignore)
    found = snapshot(out_of_order, ignore=ignore)
    assert found == expected, differences(expected, found, limit=30)
