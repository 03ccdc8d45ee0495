"""The reading half of ingesting (`openpiu.pipeline.reading`): what a reader process of `openpiu ingest`
runs. It must stay free of the database layer, so that a reader starts at once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from openpiu.analysis.identity import evidence_secret, list_evidence
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PassengerList, PnrPush
from openpiu.pipeline.reading import Prepared, prepare, read_file
from openpiu.protection import DEFAULT_POLICY
from openpiu.synth.corpus import demo_push, passenger_list_for

HEAVY = ("sqlalchemy", "alembic", "psycopg", "fastapi", "openpiu.store.sql", "openpiu.pipeline.ingestor")


def _imported_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_a_reader_loads_no_database_layer() -> None:
    loaded = _imported_after("from openpiu.pipeline.reading import read_file, start_reader")
    assert not loaded & set(HEAVY)


def test_the_command_script_imports_no_command_line_until_it_runs() -> None:
    # what a spawned reader imports again as its main module (`openpiu ingest`'s script)
    loaded = _imported_after("from openpiu.__main__ import main")
    assert "openpiu.cli" not in loaded
    assert not loaded & set(HEAVY)


def test_the_store_and_pipeline_packages_still_give_everything_on_use() -> None:
    from openpiu import pipeline, store

    assert callable(store.open_store)
    assert callable(store.upgrade)
    assert pipeline.Ingestor.__name__ == "Ingestor"
    assert pipeline.OUT_OF_SCOPE


def test_a_file_is_read_protected_and_digested(tmp_path: Path) -> None:
    push = demo_push(seed=3, bookings=4)
    path = tmp_path / "push.edi"
    path.write_bytes(write_pnrgov(push))
    prepared = read_file(path, DEFAULT_POLICY, bytes(32), date(2026, 11, 29))
    assert isinstance(prepared, Prepared)
    assert prepared.source == "push.edi"
    (message,) = prepared.units
    assert isinstance(message.outcome, PnrPush)
    assert message.protected_by == DEFAULT_POLICY.version
    assert message.encoded is not None
    assert message.evidence is not None
    assert len(message.evidence) == len(message.outcome.bookings)


def test_a_file_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    found = read_file(tmp_path / "gone.edi", DEFAULT_POLICY, None, date(2026, 11, 29))
    assert isinstance(found, FileNotFoundError)


def test_a_passenger_list_is_digested_where_it_is_read(tmp_path: Path) -> None:
    plist = passenger_list_for(demo_push(seed=5, bookings=6))
    path = tmp_path / "list.edi"
    path.write_bytes(write_paxlst(plist))
    prepared = read_file(path, DEFAULT_POLICY, bytes(32), date(2026, 11, 29))
    assert isinstance(prepared, Prepared)
    (message,) = prepared.units
    assert isinstance(message.outcome, PassengerList)
    assert message.persons is not None
    assert [p.position for p in message.persons] == list(range(len(message.outcome.persons)))
    assert message.persons == list_evidence(message.outcome, evidence_secret(bytes(32)))


def test_a_push_travels_to_the_writer_with_its_bookings_encoded_and_only_what_storing_reads_beside(
    tmp_path: Path,
) -> None:
    push = demo_push(seed=7, bookings=5)
    path = tmp_path / "push.edi"
    path.write_bytes(write_pnrgov(push))
    data = path.read_bytes()
    (whole,) = prepare(data, source="push.edi", policy=DEFAULT_POLICY, card_key=bytes(32)).units
    prepared = read_file(path, DEFAULT_POLICY, bytes(32), date(2026, 11, 29))
    assert isinstance(prepared, Prepared)
    (light,) = prepared.units
    assert light.light
    assert not whole.light
    assert isinstance(whole.outcome, PnrPush)
    assert isinstance(light.outcome, PnrPush)
    # everything the store keeps travels encoded, and the evidence digested from the whole push
    assert whole.encoded is not None
    assert light.encoded == whole.encoded
    assert light.evidence == whole.evidence
    assert light.outcome.flight == whole.outcome.flight
    assert light.outcome.header == whole.outcome.header
    assert len(light.outcome.bookings) == len(whole.outcome.bookings)
    for kept, booking in zip(light.outcome.bookings, whole.outcome.bookings, strict=True):
        assert (kept.locator, kept.cancelled) == (booking.locator, booking.cancelled)
        assert not kept.segments
        assert not kept.contacts
        assert not kept.payments
        assert [
            (t.surname, t.given_names, t.type, t.ref, t.placeholder, t.date_of_birth) for t in kept.travellers
        ] == [
            (t.surname, t.given_names, t.type, t.ref, t.placeholder, t.date_of_birth)
            for t in booking.travellers
        ]
        assert all(not t.documents and not t.contacts for t in kept.travellers)
    # a payload cut from bytes in this process (a push over HTTP, a picked-up file) stays whole
    assert any(t.documents for b in whole.outcome.bookings for t in b.travellers)


#: A process that starts one helper as `openpiu ingest` starts its readers, prints the helper's pid and
#: waits, the helper busy meanwhile.
_HELPER_PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from openpiu.pipeline.reading import helper_context, start_reader

if __name__ == "__main__":
    start = {"initializer": start_reader, "initargs": (os.getpid(),)}
    with ProcessPoolExecutor(1, mp_context=helper_context(), **start) as pool:
        print(pool.submit(os.getpid).result(), flush=True)
        pool.submit(time.sleep, 600)
        time.sleep(600)
"""


def test_a_helper_ends_with_the_process_it_works_for_even_one_killed() -> None:
    # Forked by a fork server, a helper is the server's child, and the server lives as long as its helpers:
    # without the helper's own watch, both would outlive a killed `openpiu ingest` (and on PostgreSQL a
    # writer would keep its open transaction).
    parent = subprocess.Popen(
        [sys.executable, "-c", _HELPER_PARENT], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert parent.stdout is not None
        helper = int(parent.stdout.readline())
        os.kill(helper, 0)  # alive
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30  # generous: a loaded machine
        left = True
        while left and time.monotonic() < deadline:
            try:
                os.killpg(parent.pid, 0)  # anything left of its session: the helper, the fork server
            except ProcessLookupError:
                left = False
            else:
                time.sleep(0.05)
        assert not left, "a helper (or its fork server) outlived the process it worked for"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
