"""Nothing received is lost, and a crash changes nothing: `openpiu ingest` killed with SIGKILL at random
moments and restarted ends with the same database as one uninterrupted run (the duplicate-delivery counts
aside), on SQLite and on PostgreSQL. The same proofs in one process (a crash between any two store calls,
every message twice in a shuffled order) are in test_no_loss_in_process.py, which uses this module's world
and helpers: a module of their own, so that a parallel run (pytest-xdist, a module per worker at a time)
runs them beside the kills.

"The same database" is the id-free snapshot of tests/pipeline/snapshot.py: every table, every row, without
the surrogate ids (references resolved to what they name) and the instants of the run. The counts and the
truth of one in-order run are checked in test_ingest.py; here one run is only compared with another.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import postgres_schema
from openpiu.store import upgrade
from openpiu.synth.world import generate, world_params
from pipeline.snapshot import differences, read_rows, snapshot

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
CARD_KEY = "00" * 32
SEED = 20261130
KILLS = 8

#: Counts of deliveries: a killed run had received some messages already, and its restart delivers them
#: again, which the inbox rightly counts (compared apart: never fewer than in the uninterrupted run); so
#: would the count of out-of-scope messages, which keeps nothing by which to know a message again.
DELIVERY_COUNTS = {"messages": {"deliveries"}, "discarded_messages": {"count"}}

#: What depends on the order messages arrive in, by design: a booking's version numbers count its versions
#: in the order they were stored, a flight's first message is the first one stored, and an occurrence's
#: reasons (and their score) name the links it made with what was there when it arrived. Which version is
#: *current* (`bookings.current_version_id`, resolved to its message and position) and the flight's record
#: and last message follow the pushes' preparation times, and are compared; so is which identity each
#: occurrence belongs to (resolved to the identity's anchor, which does not depend on the order).
ARRIVAL_ORDER = {
    "booking_versions": {"version"},
    "flights": {"first_message_id"},
    "identity_members": {"reasons", "score"},
}


@dataclass(frozen=True)
class World:
    folder: Path

    @property
    def messages(self) -> Path:
        return self.folder / "messages"

    def files(self) -> list[Path]:
        return sorted(self.messages.iterdir())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A few dozen messages of one day: with the generator's quirks, re-deliveries and broken messages."""
    folder = tmp_path_factory.mktemp("world")
    summary = generate(world_params(seed=3, scale=0.003, broken_rate=0.2), folder)
    assert summary["broken_messages"] >= 1, "no broken message: quarantine would not be tested"
    assert summary["paxlst_messages"] >= 1
    return World(folder)


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty, upgraded databases on the backend named by the test's `backend` parameter."""
    backend = request.getfixturevalue("backend")
    with contextlib.ExitStack() as schemas:
        made: list[str] = []

        def make() -> str:
            if backend == "postgresql":
                url = schemas.enter_context(postgres_schema())
            else:
                url = f"sqlite:///{tmp_path / f'db{len(made)}.db'}"
            made.append(url)
            upgrade(url)
            return url

        yield make


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "openpiu.cli", *args]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENPIU_")}
    env |= {"OPENPIU_CARD_HASH_KEY": CARD_KEY, "OPENPIU_DATA_DIR": str(tmp_path / "data")}
    if (shared := os.environ.get("OPENPIU_SHARED_DIR")) is not None:
        env["OPENPIU_SHARED_DIR"] = shared
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The command in a session of its own, so that it can be ended with every process it started."""
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=out, start_new_session=True)


def end_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL whatever is left of the command's session (its main process already ended)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def outlived(process: subprocess.Popen[bytes], grace: float = 30.0) -> bool:
    """Whether processes the command started are still alive `grace` seconds after it ended.

    A reader spawned just before the kill imports openpiu before its initializer arms the parent-death
    signal, then sees its parent gone and exits: on a loaded machine that import alone can take several
    seconds, hence the grace. A reader that never dies is still caught."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    return True


def run(args: list[str], env: dict[str, str], log: Path, timeout: float = 120) -> int:
    process = start(args, env, log)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(
            f"{args[3]} did not end in {timeout:.0f} s (waiting on a lock?):\n{log.read_text()[-3000:]}"
        )
    finally:
        end_group(process)


def messages_by_hash(url: str) -> dict[str, dict[str, Any]]:
    return {row["content_hash"]: row for row in read_rows(url)["messages"]}


def kind(raw: bytes) -> str:
    """PAXLST, PNRGOV (EDIFACT or XML) or "" (neither: a broken message)."""
    start = raw[:2000]
    if b"PAXLST" in start:
        return "PAXLST"
    return "PNRGOV" if b"PNRGOV" in start or start.lstrip(b"\xef\xbb\xbf \r\n").startswith(b"<") else ""


def unaccounted(url: str) -> list[tuple[Any, ...]]:
    """Messages that did not end stored (or screened), parsed if PAXLST, or quarantined with a reason:
    (id, content hash, state, reason, start of the bytes)."""
    rows = read_rows(url)
    bodies = {row["message_id"]: bytes(row["raw"]) for row in rows["message_bodies"]}
    found = []
    for message in rows["messages"]:
        state, reason, raw = message["state"], message["reason"], bodies.get(message["id"], b"")
        if state in ("stored", "screened"):
            continue
        if state == "quarantined" and reason and reason.strip():
            continue
        if state == "parsed" and kind(raw) == "PAXLST":
            continue
        found.append((message["id"], message["content_hash"][:12], state, reason, raw[:60]))
    return found


# --- killed and restarted --------------------------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ingest_killed_again_and_again_ends_as_one_uninterrupted_run(
    backend: str, world: World, new_database: Callable[[], str], tmp_path: Path
) -> None:
    env = environment(tmp_path)
    log = tmp_path / "ingest.log"
    clean, crashed = new_database(), new_database()

    started = time.perf_counter()
    assert run(command("ingest", str(world.messages), "--db", clean), env, log) in (0, 1), log.read_text()
    duration = time.perf_counter() - started
    once = messages_by_hash(clean)
    expected = snapshot(clean, ignore=DELIVERY_COUNTS)
    # How long a run takes when every message is known already (what a restart has to do at least).
    started = time.perf_counter()
    assert run(command("ingest", str(world.messages), "--db", clean), env, log) in (0, 1), log.read_text()
    again = min(time.perf_counter() - started, duration)
    # The time to start the command and open the database, when nothing is ingested.
    started = time.perf_counter()
    assert run(command("status", "--json", "--db", clean), env, log) == 0, log.read_text()
    startup = min(time.perf_counter() - started, again / 2)

    # Random moments between the start-up and the end of a run that only delivers again, taken in
    # increasing order: each restart first delivers again what the runs before it received, so a later
    # moment reaches further into the day, and the kills spread over it rather than over its start.
    rng = random.Random(SEED)
    killed = orphaned = 0
    for delay in sorted(rng.uniform(startup, again) for _ in range(KILLS)):
        process = start(command("ingest", str(world.messages), "--db", crashed), env, log)
        try:
            code = process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)  # the main process only, as the OOM killer would
            code = process.wait()
            # Its reader processes must not outlive it: on PostgreSQL they hold its connection, and with
            # it its open transaction and row locks, so every restart would wait on them for ever.
            orphaned += not orphaned and outlived(process)  # seen once is enough: each check waits
        finally:
            end_group(process)
        if code == -signal.SIGKILL:
            killed += 1
        else:
            assert code in (0, 1), log.read_text()[-3000:]  # finished before its kill: a whole run
    assert killed, "no run was killed: nothing was tested"
    assert run(command("ingest", str(world.messages), "--db", crashed), env, log) in (0, 1), log.read_text()

    assert not unaccounted(clean)
    left = unaccounted(crashed)
    assert not left, f"messages not accounted for after {killed} kills (id, hash, state, reason): {left}"
    after_kills = messages_by_hash(crashed)
    assert after_kills.keys() == once.keys()
    fewer = [h[:12] for h in once if after_kills[h]["deliveries"] < once[h]["deliveries"]]
    assert not fewer, f"deliveries lost for {fewer}"
    found = snapshot(crashed, ignore=DELIVERY_COUNTS)
    assert found == expected, f"{killed} runs killed; differences:\n{differences(expected, found)}"
    # Nor did a kill leave a row pointing at nothing where the database does not check (migration 0022).
    assert run(command("db", "check", "--db", crashed), env, log) == 0, log.read_text()[-3000:]
    # The reader processes must die with the command: on PostgreSQL a survivor would hold the dead
    # writer's locks, and every restart would wait on them.
    assert not orphaned, "reader processes outlived a killed `openpiu ingest`"
