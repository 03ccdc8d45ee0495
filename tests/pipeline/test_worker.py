"""The worker's transports: the watched folder and the AMQP (RabbitMQ) consumer.

Messages come from the synthetic world (no real personal data). The folder tests need nothing outside the
repository; the AMQP tests run against a real RabbitMQ (``OPENPIU_TEST_AMQP_URL`` or guest@127.0.0.1:5672),
each on a queue of its own that is deleted afterwards, and are skipped without one (failed in CI).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pika
import pytest
import sqlalchemy as sa
import sqlalchemy.exc

from conftest import require
from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.pipeline import IngestResult, ingest
from openpiu.pipeline.amqp import AmqpConsumer, AmqpCounts, AmqpOptions, consume_until_empty, sender_of
from openpiu.pipeline.folder import DONE, FAILED, PROCESSING, poll_once
from openpiu.services.worker import WorkerRound, run_worker
from openpiu.settings import Settings
from openpiu.store import MessageState, Store, open_store, upgrade
from openpiu.synth.world import generate, world_params

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
AMQP_URL = os.environ.get("OPENPIU_TEST_AMQP_URL", "").strip() or "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES_URL = (
    os.environ.get("OPENPIU_TEST_POSTGRES_URL", "").strip()
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEY_HEX = "00112233445566778899aabbccddeeff"
GARBAGE = b"this is not an airline message\n"
#: fast retries, so a poison message is given up in milliseconds
FAST = {"retry_delay": 0.01, "max_retry_delay": 0.02, "poll_seconds": 0.2}


# --- shared helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    """One generated day's PNRGOV pushes (its PAXLST left out), as (file name, bytes)."""
    folder = tmp_path_factory.mktemp("world")
    generate(world_params(scale=0.001, seed=3, broken_rate=0.0), folder)
    files = sorted(f for f in (folder / "messages").iterdir() if "_api." not in f.name)
    # Each message once: the generator re-delivers some (the same bytes again), and these tests count
    # stored messages; re-deliveries have tests of their own.
    distinct: dict[bytes, str] = {}
    for f in files:
        distinct.setdefault(f.read_bytes(), f.name)
    assert len(distinct) >= 10
    return sorted((name, data) for data, name in distinct.items())


@pytest.fixture
def url(tmp_path: Path) -> str:
    made = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(made)
    return made


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AT)


@pytest.fixture
def store(url: str, clock: FixedClock) -> Iterator[Store]:
    opened = open_store(url, clock=clock)
    yield opened
    opened.close()


def by_state(store: Store) -> dict[MessageState, int]:
    """Messages by state, a screened message counted as stored (the worker screens after storing;
    whether it did is not what these transport tests are about)."""
    counts = dict(store.message_counts().by_state)
    counts[MessageState.STORED] += counts.pop(MessageState.SCREENED, 0)
    return {state: n for state, n in counts.items() if n}


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


class FailingStore:
    """A store whose `receive` raises as a database that went away would (its message holds the data)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.calls = 0

    def receive(self, raw: bytes, *, sender: str, channel: str, **_: Any) -> Any:
        self.calls += 1
        raise sqlalchemy.exc.OperationalError(
            "INSERT INTO message_bodies (raw) VALUES (?)", {"raw": raw}, ConnectionRefusedError("server gone")
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# --- the watched folder -------------------------------------------------------------------------------


def test_files_are_picked_up_stored_and_moved_to_done(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, data in messages:
        (folder / name).write_bytes(data)

    counts = poll_once(store, folder, clock=clock, sender="SK")

    assert (counts.files, counts.done, counts.failed, counts.errors) == (len(messages), len(messages), 0, 0)
    assert counts.result.stored_messages == len(messages)
    assert by_state(store) == {MessageState.STORED: len(messages)}
    assert files(folder) == []
    assert files(folder / PROCESSING) == []
    assert files(folder / FAILED) == []
    assert files(folder / DONE) == sorted(name for name, _ in messages)
    first = store.message(counts.result.message_ids[0])
    assert first is not None
    assert (first.channel, first.sender) == ("folder", "SK")

    # nothing more to do; a re-delivery under another name is a counted duplicate, and a second file of a
    # name already in done/ keeps its name with a number added
    assert poll_once(store, folder, clock=clock).files == 0
    (folder / "again.edi").write_bytes(messages[0][1])
    (folder / messages[1][0]).write_bytes(messages[1][1])
    again = poll_once(store, folder, clock=clock)
    assert (again.done, again.result.duplicates, again.result.stored_messages) == (2, 2, 0)
    assert store.message_counts().duplicates == 2
    stem, extension = messages[1][0].rsplit(".", 1)
    assert {"again.edi", f"{stem}.1.{extension}"} <= set(files(folder / DONE))


def test_an_unreadable_file_goes_to_failed_and_is_quarantined(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "broken.edi").write_bytes(GARBAGE)

    counts = poll_once(store, folder, clock=clock)

    assert (counts.files, counts.done, counts.failed) == (1, 0, 1)
    assert files(folder / FAILED) == ["broken.edi"]
    assert by_state(store) == {MessageState.QUARANTINED: 1}
    (message,) = store.messages(MessageState.QUARANTINED)
    assert message.reason
    assert message.channel == "folder"
    assert store.raw(message.id) == GARBAGE


def test_a_file_still_being_written_is_left_alone(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    names = [".hidden.edi", "push.edi.tmp", "push.edi.part"]
    for name in names:
        (folder / name).write_bytes(messages[0][1])

    counts = poll_once(store, folder, clock=clock)

    assert counts.files == 0
    assert files(folder) == sorted(names)
    assert store.message_counts().total == 0

    (folder / "push.edi.tmp").rename(folder / "push.edi")  # the carrier's rename: now it is complete
    assert poll_once(store, folder, clock=clock).done == 1
    assert files(folder / DONE) == ["push.edi"]


def test_a_file_left_in_processing_is_recovered_at_start(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    (folder / PROCESSING).mkdir(parents=True)
    # one file the dead worker had not ingested yet, one it had ingested but not moved on
    (folder / PROCESSING / "a.edi").write_bytes(messages[0][1])
    (folder / PROCESSING / "b.edi").write_bytes(messages[1][1])
    ingest(store, messages[1][1], sender="folder", channel="folder", clock=clock)

    assert poll_once(store, folder, clock=clock).files == 0  # not a start: a live worker may own them
    counts = poll_once(store, folder, clock=clock, recover=True)

    assert (counts.files, counts.done) == (2, 2)
    assert files(folder / PROCESSING) == []
    assert files(folder / DONE) == ["a.edi", "b.edi"]
    assert by_state(store) == {MessageState.STORED: 2}
    assert store.message_counts().duplicates == 1


def test_a_failing_store_puts_the_file_back_and_logs_no_content(
    messages: list[tuple[str, bytes]],
    store: Store,
    clock: FixedClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, data in messages[:3]:
        (folder / name).write_bytes(data)
    failing = FailingStore(store)

    with caplog.at_level(logging.INFO):
        counts = poll_once(failing, folder, clock=clock)  # type: ignore[arg-type]

    assert (counts.files, counts.errors, counts.returned, counts.done) == (1, 1, 1, 0)
    assert failing.calls == 1  # the round stopped at the first failure
    assert files(folder) == sorted(name for name, _ in messages[:3])
    assert files(folder / PROCESSING) == []
    assert store.message_counts().total == 0
    assert "OperationalError (ConnectionRefusedError: server gone)" in caplog.text
    assert "UNH" not in caplog.text  # neither the data
    assert "INSERT" not in caplog.text  # nor the statement

    # the database is back: everything is taken
    assert poll_once(store, folder, clock=clock).done == 3
    assert by_state(store) == {MessageState.STORED: 3}


def test_a_file_that_keeps_failing_does_not_hold_up_the_others(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.edi").write_bytes(messages[0][1])
    (folder / "b.edi").write_bytes(messages[1][1])
    (folder / "c.edi").write_bytes(messages[2][1])

    def poisoned(target: Store, data: bytes, **options: Any) -> IngestResult:
        if options["source"] == "a.edi":
            raise RuntimeError("a bug")
        return ingest(target, data, **options)

    retry_last: set[str] = set()
    first = poll_once(store, folder, clock=clock, retry_last=retry_last, ingest_function=poisoned)
    second = poll_once(store, folder, clock=clock, retry_last=retry_last, ingest_function=poisoned)

    assert (first.errors, first.done) == (1, 0)
    assert (second.errors, second.done) == (1, 2)
    assert files(folder) == ["a.edi"]
    assert files(folder / DONE) == ["b.edi", "c.edi"]


# --- AMQP against a real RabbitMQ ---------------------------------------------------------------------


@functools.cache
def amqp_available() -> bool:
    parameters = pika.URLParameters(AMQP_URL)
    parameters.socket_timeout = 3
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except Exception:
        return False
    return True


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue of the test's own on the real broker, deleted afterwards."""
    require(
        "RabbitMQ",
        amqp_available(),
        "start RabbitMQ on 127.0.0.1:5672 (guest/guest) or set OPENPIU_TEST_AMQP_URL",
    )
    name = f"openpiu.test.{uuid.uuid4().hex[:12]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        connection.channel().queue_delete(queue=name)
    finally:
        connection.close()


def publish(
    queue: str, bodies: list[bytes], *, arguments: dict[str, Any] | None = None, **properties: Any
) -> None:
    """Publish each body persistently (the broker confirms each one)."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True, arguments=arguments)
        channel.confirm_delivery()
        for body in bodies:
            channel.basic_publish(
                exchange="",
                routing_key=queue,
                body=body,
                properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, **properties),
            )
    finally:
        connection.close()


def depth(queue: str) -> int:
    """Messages ready in the queue."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        return int(connection.channel().queue_declare(queue=queue, passive=True).method.message_count)
    finally:
        connection.close()


def drain(store: Store, queue: str, clock: FixedClock, **options: Any) -> AmqpCounts:
    ingest_function = options.pop("ingest_function", ingest)
    return consume_until_empty(
        store,
        AmqpOptions(url=AMQP_URL, queue=queue, **{**FAST, **options}),
        clock=clock,
        ingest_function=ingest_function,
    )


def test_published_messages_are_stored_then_acknowledged(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    bodies = [data for _, data in messages]
    publish(queue, bodies[:2], app_id="SK")
    publish(queue, bodies[2:4], headers={"carrier": "AF"})
    publish(queue, bodies[4:])

    counts = drain(store, queue, clock)

    assert (counts.deliveries, counts.acked, counts.retried, counts.errors) == (
        len(bodies),
        len(bodies),
        0,
        0,
    )
    assert counts.result.stored_messages == len(bodies)
    assert by_state(store) == {MessageState.STORED: len(bodies)}
    assert depth(queue) == 0
    senders = [store.message(i).sender for i in counts.result.message_ids]  # type: ignore[union-attr]
    assert senders == ["SK", "SK", "AF", "AF"] + ["amqp"] * (len(bodies) - 4)
    assert {store.message(i).channel for i in counts.result.message_ids} == {"amqp"}  # type: ignore[union-attr]


def test_a_message_published_twice_is_one_stored_message_and_a_duplicate(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    publish(queue, [messages[0][1], messages[0][1]], app_id="SK")

    counts = drain(store, queue, clock)

    assert (counts.acked, counts.result.stored_messages, counts.result.duplicates) == (2, 1, 1)
    assert store.message_counts().total == 1
    assert store.message_counts().duplicates == 1
    assert depth(queue) == 0


def test_a_poison_message_is_quarantined_after_the_last_attempt_not_redelivered_forever(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    poison, good = messages[0][1], messages[1][1]
    publish(queue, [poison, good], app_id="SK")

    def poisoned(target: Store, data: bytes, **options: Any) -> IngestResult:
        if data == poison:
            raise RuntimeError("a bug")
        return ingest(target, data, **options)

    counts = drain(store, queue, clock, max_attempts=3, ingest_function=poisoned)

    assert (counts.retried, counts.given_up, counts.acked, counts.errors) == (2, 1, 2, 3)
    assert counts.quarantined == 1
    assert counts.result.stored_messages == 1
    assert depth(queue) == 0
    assert by_state(store) == {MessageState.STORED: 1, MessageState.QUARANTINED: 1}
    (kept,) = store.messages(MessageState.QUARANTINED)
    assert kept.reason == "not ingested after 3 delivery attempts: RuntimeError"
    assert (kept.sender, kept.channel) == ("SK", "amqp")


def test_a_passing_failure_is_retried_and_the_message_stored(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    publish(queue, [messages[0][1]])
    failures = [RuntimeError("database restarting")]

    def flaky(target: Store, data: bytes, **options: Any) -> IngestResult:
        if failures:
            raise failures.pop()
        return ingest(target, data, **options)

    counts = drain(store, queue, clock, ingest_function=flaky)

    assert (counts.deliveries, counts.retried, counts.acked, counts.given_up) == (2, 1, 1, 0)
    assert by_state(store) == {MessageState.STORED: 1}


def test_when_even_quarantining_fails_the_message_stays_in_the_queue(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    publish(queue, [messages[0][1]])

    counts = drain(FailingStore(store), queue, clock, max_attempts=2)  # type: ignore[arg-type]

    assert (counts.acked, counts.given_up, counts.retried) == (0, 0, 1)
    assert depth(queue) == 1  # nothing lost: the broker has it back
    assert store.message_counts().total == 0
    assert drain(store, queue, clock).result.stored_messages == 1  # the database is back


def test_on_a_quorum_queue_the_brokers_delivery_count_carries_attempts_over_restarts(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    # the operator made the queue a quorum queue: it is used as it is (declaring it plainly would fail)
    publish(queue, [messages[0][1]], arguments={"x-queue-type": "quorum"})
    given_up = []
    for _ in range(3):  # three workers in turn, each stopped after one failed attempt
        stop = threading.Event()

        def failing(target: Store, data: bytes, stop: threading.Event = stop, **options: Any) -> IngestResult:
            stop.set()
            raise RuntimeError("a bug")

        counts = consume_until_empty(
            store,
            AmqpOptions(url=AMQP_URL, queue=queue, max_attempts=3, **FAST),
            clock=clock,
            stop=stop,
            ingest_function=failing,
        )
        given_up.append(counts.given_up)
    assert given_up == [0, 0, 1]
    assert depth(queue) == 0
    (kept,) = store.messages(MessageState.QUARANTINED)
    assert kept.reason == "not ingested after 3 delivery attempts: RuntimeError"


def test_the_consumer_reconnects_when_its_queue_goes_away(
    messages: list[tuple[str, bytes]], store: Store, clock: FixedClock, queue: str
) -> None:
    publish(queue, [messages[0][1]])
    stop = threading.Event()
    consumer = AmqpConsumer(
        store, AmqpOptions(url=AMQP_URL, queue=queue, reconnect_delay=0.05, **FAST), clock=clock, stop=stop
    )
    thread = threading.Thread(target=consumer.run)
    thread.start()
    try:
        wait_until(lambda: consumer.counts.acked == 1)
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        connection.channel().queue_delete(queue=queue)  # the broker cancels the consumer
        connection.close()
        publish(queue, [messages[1][1]])
        wait_until(lambda: consumer.counts.acked == 2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert consumer.counts.reconnects >= 1
    assert by_state(store) == {MessageState.STORED: 2}


def test_an_unreachable_broker_is_a_failure_of_a_once_run(
    url: str, clock: FixedClock, tmp_path: Path
) -> None:
    summary = run_worker(
        settings_for(tmp_path),
        url=url,
        clock=clock,
        once=True,
        folder=tmp_path / "incoming",
        amqp_url="amqp://guest:guest@127.0.0.1:1/%2F",
    )
    assert summary.failures == 1
    assert "errors: 1" in summary.line()


def test_sender_of_a_delivery() -> None:
    assert sender_of(pika.BasicProperties(app_id="LH", headers={"carrier": "AF"})) == "LH"
    assert sender_of(pika.BasicProperties(headers={"carrier": b"AF"})) == "AF"
    assert sender_of(pika.BasicProperties()) == "amqp"


def test_a_worker_killed_midway_and_restarted_loses_nothing(
    messages: list[tuple[str, bytes]], clock: FixedClock, queue: str, tmp_path: Path
) -> None:
    bodies = [data for _, data in messages]
    publish(queue, bodies)
    db = f"sqlite:///{tmp_path / 'data' / 'openpiu.db'}"
    command = [
        sys.executable, "-m", "openpiu.cli", "worker", "--once", "--db", db,
        "--folder", str(tmp_path / "incoming"), "--amqp", AMQP_URL, "--queue", queue,
    ]  # fmt: skip
    env = {
        **os.environ,
        "OPENPIU_DATA_DIR": str(tmp_path / "data"),
        "OPENPIU_CARD_HASH_KEY": KEY_HEX,
        "OPENPIU_LOG_LEVEL": "WARNING",
    }
    env.pop("OPENPIU_AMQP_URL", None)

    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while depth(queue) > len(bodies) - 3 and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    time.sleep(0.5)  # the broker notices the dead connection and returns its deliveries to the queue
    remaining = depth(queue)
    assert 0 < remaining < len(bodies), "the worker was not stopped midway"

    again = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr.decode()

    assert depth(queue) == 0
    store = open_store(db, clock=clock)
    try:
        assert by_state(store) == {MessageState.STORED: len(bodies)}
    finally:
        store.close()


def test_on_postgresql_too(messages: list[tuple[str, bytes]], clock: FixedClock, queue: str) -> None:
    admin = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            reachable = True
    except Exception:
        reachable = False
    require("PostgreSQL", reachable, "start PostgreSQL on 127.0.0.1:5432 or set OPENPIU_TEST_POSTGRES_URL")
    schema = f"openpiu_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        pg_url = scoped.render_as_string(hide_password=False)
        upgrade(pg_url)
        store = open_store(pg_url, clock=clock)
        try:
            bodies = [data for _, data in messages[:4]]
            publish(queue, [*bodies, bodies[0]], app_id="SK")
            counts = drain(store, queue, clock)
            assert (counts.acked, counts.result.stored_messages, counts.result.duplicates) == (5, 4, 1)
            assert by_state(store) == {MessageState.STORED: 4}
            assert depth(queue) == 0
        finally:
            store.close()
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


# --- the worker service and the command ---------------------------------------------------------------


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path / "data"), "OPENPIU_CARD_HASH_KEY": KEY_HEX})


def test_the_worker_runs_both_transports_until_stopped(
    messages: list[tuple[str, bytes]], url: str, clock: FixedClock, queue: str, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, data in messages[:3]:
        (folder / name).write_bytes(data)
    publish(queue, [data for _, data in messages[3:6]], app_id="AF")
    stop = threading.Event()
    rounds: list[WorkerRound] = []
    housekept: list[Store] = []
    summaries: list[WorkerRound] = []

    def run() -> None:
        summaries.append(
            run_worker(
                settings_for(tmp_path),
                url=url,
                clock=clock,
                once=False,
                stop=stop,
                folder=folder,
                amqp_url=AMQP_URL,
                amqp_queue=queue,
                housekeeping=[housekept.append],
                interval=0.1,
                report=rounds.append,
            )
        )

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_until(lambda: sum(r.result.stored_messages for r in rounds) == 6)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    (summary,) = summaries
    assert (summary.folder.done, summary.amqp.acked, summary.result.stored_messages) == (3, 3, 6)
    assert summary.rounds >= 1
    assert len(housekept) == summary.rounds
    assert all(r.busy for r in rounds)
    assert "messages: " in rounds[0].line()
    assert depth(queue) == 0


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENPIU_CARD_HASH_KEY", KEY_HEX)
    for name in ("OPENPIU_DATABASE_URL", "OPENPIU_WATCH_DIR", "OPENPIU_AMQP_URL", "OPENPIU_AMQP_QUEUE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("cli_env")
def test_worker_once_exits_0_when_all_is_kept_and_1_when_something_is_quarantined(
    messages: list[tuple[str, bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.edi").write_bytes(messages[0][1])

    assert main(["worker", "--once", "--folder", str(folder)]) == 0  # creates the SQLite database
    assert (tmp_path / "data" / "openpiu.db").exists()
    assert "folder: 1 files (1 done" in capsys.readouterr().out

    (folder / "b.edi").write_bytes(GARBAGE)
    assert main(["worker", "--once", "--folder", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "1 failed" in out
    assert "1 quarantined" in out
    assert main(["worker", "--once", "--folder", str(folder)]) == 0
    assert "nothing waiting" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
def test_worker_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["worker", "--once", "--amqp", "http://broker"]) == 2
    (tmp_path / "file").write_text("")
    assert main(["worker", "--once", "--folder", str(tmp_path / "file")]) == 2
    assert main(["worker", "--bogus"]) == 2


def test_sigterm_stops_a_running_worker_cleanly(messages: list[tuple[str, bytes]], tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    env = {
        **os.environ,
        "OPENPIU_DATA_DIR": str(tmp_path / "data"),
        "OPENPIU_CARD_HASH_KEY": KEY_HEX,
        "OPENPIU_LOG_LEVEL": "WARNING",
    }
    env.pop("OPENPIU_AMQP_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "openpiu.cli", "worker", "--folder", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        (folder / "a.edi").write_bytes(messages[0][1])
        wait_until(lambda: (folder / DONE / "a.edi").exists() or worker.poll() is not None)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == 0, err.decode()
    assert "folder: 1 files (1 done" in out.decode()
    assert "stopped after" in err.decode()
