"""Bad input ends as records or as ParseError: never another exception, never a hang, bounded memory.

The public samples are mutated the way real feeds break (truncation, byte flips, deleted or doubled
terminators, a random UNA, wrong counts, huge values) and every result must be a typed message or a
ParseError that says where. A hang fails through pytest-timeout; memory is bounded relative to input.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpiu.formats.errors import ParseError
from openpiu.formats.reader import read_messages
from openpiu.model import PassengerList, PnrPush

NOT_MESSAGES = {"LICENSE", "README.md", ".gitattributes"}


def sample_files(shared: Path) -> list[Path]:
    return sorted(p for p in (shared / "samples").glob("*/*") if p.name not in NOT_MESSAGES)


def assert_well_formed(outcomes: list[object]) -> None:
    assert outcomes, "a reader must say something about every input"
    for outcome in outcomes:
        if isinstance(outcome, ParseError):
            assert outcome.reason
            assert outcome.offset is None or outcome.offset >= 0
        else:
            assert isinstance(outcome, PnrPush | PassengerList)


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["truncate", "flip", "drop-term", "double-term", "una", "count", "huge", "insert", "slice"]
            )
        )
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind in ("drop-term", "double-term"):
            terms = [i for i, b in enumerate(data) if b in b"'$*\x27"]
            if terms:
                i = draw(st.sampled_from(terms))
                data[i : i + 1] = b"" if kind == "drop-term" else bytes([data[i]]) * 2
        elif kind == "una":
            data[0:0] = b"UNA" + bytes(draw(st.lists(st.integers(32, 126), min_size=0, max_size=8)))
        elif kind == "count":
            where = data.find(b"UNT")
            if where != -1:
                data[where + 4 : where + 6] = str(draw(st.integers(0, 10**12))).encode()
        elif kind == "huge":
            data[at:at] = draw(st.sampled_from([b"A", b"?", b"+", b":", b"9"])) * draw(
                st.integers(1, 200_000)
            )
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=64))
        else:
            end = draw(st.integers(at, len(data)))
            data = data[at:end]
    return bytes(data)


def test_every_sample_reads_without_failure(shared_dir: Path) -> None:
    for path in sample_files(shared_dir):
        outcomes = read_messages(path.read_bytes(), source=path.name)
        assert_well_formed(list(outcomes))
        failures = [o for o in outcomes if isinstance(o, ParseError)]
        assert not failures, f"{path.name}: {failures}"


@pytest.mark.timeout(600)
def test_mutated_samples_end_as_records_or_parse_errors(shared_dir: Path) -> None:
    samples = [p.read_bytes() for p in sample_files(shared_dir)]

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(samples))
    def check(data: bytes) -> None:
        assert_well_formed(list(read_messages(data, source="mutant")))

    check()


@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    assert_well_formed(list(read_messages(data, source="random")))


@pytest.mark.parametrize(
    "data",
    [
        b"<a>" * 100_000,
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        b"<IATA_PNRGOV_NotifRQ><PNRs><PNR>",
        b"UNB+" + b"+" * 1_000_000,
        b"UNH+1+PNRGOV:13:1:IA'" + b"TIF+A+B'" * 50_000,
        b"UNH+1+PAXLST:D:05B:UN'" + b"NAD+FL+++A:B'" * 50_000,
        b"UNH+1+CUSRES:D:05B:UN'BGM+962'UNT+3+1'",
    ],
    ids=["xml-deep", "xml-entities", "xml-truncated", "huge-element", "many-tifs", "many-nads", "cusres"],
)
def test_hostile_inputs(data: bytes) -> None:
    assert_well_formed(list(read_messages(data, source="hostile")))


def test_memory_is_bounded_by_input_size(shared_dir: Path) -> None:
    """Peak memory stays within a fixed multiple of the input: no blow-up on repetitive input."""
    big = (shared_dir / "samples" / "gtas" / "pnrWithBags.txt").read_bytes()
    data = big * 8  # eight interchanges, about 2 MB
    tracemalloc.start()
    try:
        outcomes = read_messages(data, source="big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(outcomes) == 8
    assert peak < 150 * len(data), f"peak {peak} bytes for {len(data)} bytes of input"
