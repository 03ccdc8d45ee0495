"""Quirks: generated deliveries get real-world defects, and stay readable unless broken on purpose."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.formats.edifact import read_interchanges
from openpiu.formats.errors import ParseError
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import split_push, write_pnrgov, write_pnrgov_messages
from openpiu.formats.pnrgov_xml import write_pnrgov_xml
from openpiu.formats.reader import read_messages
from openpiu.model import ApiPerson, PassengerList, PnrPush, Traveller
from openpiu.synth.corpus import demo_push, passenger_list_for
from openpiu.synth.quirks import (
    LAYOUT_QUIRKS,
    ORDER_QUIRKS,
    TEXT_QUIRKS,
    break_message,
    delivery_order,
    dirty,
    writer_options,
)
from openpiu.synth.types import QuirkRates

RATE_FIELDS = [f.name for f in dataclasses.fields(QuirkRates)]
ALWAYS = QuirkRates(**dict.fromkeys(RATE_FIELDS, 1.0))
NEVER = QuirkRates(**dict.fromkeys(RATE_FIELDS, 0.0))

# What the reader should report for each byte-level quirk (unt-no-ref is silent by design).
READER_WARNING = {
    "bom": "bom",
    "telex-header": "leading-text",
    "mq-header": "leading-text",
    "unt-count": "unt-count",
    "unz-count": "unz-count",
    "trailing-prose": "trailing-text",
    "trailing-date": "trailing-text",
    "una-truncated": "una-truncated",
}


@cache
def push_for(seed: int) -> PnrPush:
    return demo_push(seed, bookings=12)


@cache
def plist_for(seed: int) -> PassengerList:
    return passenger_list_for(push_for(seed))


def write(kind: str, seed: int, options: Mapping[str, Any]) -> bytes:
    """A clean delivery of one of the shapes the world sends."""
    push = push_for(seed)
    if kind == "pnrgov":
        return write_pnrgov(push, **options)
    if kind == "pnrgov-parts":  # a split push, all parts in one interchange
        return write_pnrgov_messages(split_push(push, 5), **options)
    if kind == "paxlst":
        return write_paxlst(plist_for(seed), max_persons_per_part=8, **options)
    if kind == "paxlst-separate":
        return write_paxlst(plist_for(seed), max_persons_per_part=8, separate_interchanges=True, **options)
    raise AssertionError(kind)


def traveller_key(t: Traveller) -> tuple[object, ...]:
    documents = tuple(sorted((d.number or "", d.nationality or "") for d in t.documents))
    return (t.ref, t.surname, t.given_names, t.type, t.date_of_birth, documents)


def person_key(p: ApiPerson) -> tuple[object, ...]:
    documents = tuple(sorted(d.number or "" for d in p.documents))
    return (p.surname, p.given_names, p.date_of_birth, p.gender, p.nationality, documents, p.locator)


def content(data: bytes) -> list[tuple[object, ...]]:
    """What matters to the PIU: bookings with their travellers, and API persons, in order."""
    outcomes = read_messages(data, source="quirks")
    errors = [o for o in outcomes if isinstance(o, ParseError)]
    assert not errors, errors
    found: list[tuple[object, ...]] = []
    for outcome in outcomes:
        if isinstance(outcome, PnrPush):
            found.extend((b.locator, tuple(traveller_key(t) for t in b.travellers)) for b in outcome.bookings)
        elif isinstance(outcome, PassengerList):
            found.extend(person_key(p) for p in outcome.persons)
    assert found
    return found


def warning_codes(data: bytes) -> set[str]:
    return {w.code for o in read_messages(data) if not isinstance(o, ParseError) for w in o.warnings}


rates_strategy = st.builds(QuirkRates, **{name: st.sampled_from([0.0, 0.3, 1.0]) for name in RATE_FIELDS})
KINDS = ["pnrgov", "pnrgov-parts", "paxlst", "paxlst-separate"]


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    seed=st.sampled_from([1, 2, 3]),
    rng_seed=st.integers(0, 2**32),
    rates=st.one_of(st.just(ALWAYS), rates_strategy),
)
def test_quirky_delivery_reads_as_the_clean_one(
    kind: str, seed: int, rng_seed: int, rates: QuirkRates
) -> None:
    rng = random.Random(rng_seed)
    options, layout = writer_options(rng, rates)
    clean = write(kind, seed, options)
    data, text = dirty(clean, rng, rates)
    assert content(data) == content(write(kind, seed, {}))
    assert set(layout) <= set(LAYOUT_QUIRKS)
    assert set(text) <= set(TEXT_QUIRKS)
    # Each byte-level quirk really happened: the reader noticed it.
    expected = {READER_WARNING[c] for c in text if c in READER_WARNING}
    found = warning_codes(data)
    assert expected <= found


@pytest.mark.parametrize("unz", [b"UNZ\n+1+1'", b"UNZ+1+00\n1'", b"UN\nZ+1+1'\nEND OF TRANSMISSION\n"])
def test_reader_reads_a_wrapped_unz(unz: bytes) -> None:
    """69-column wraps fall anywhere (section 5 item 5), UNZ included; the reader joins them elsewhere."""
    data = b"UNB+IATA:1+ZZ+PIU+250101:0000+1'UNH+1+PNRGOV:13:1:IA'MSG+:22'EQN+0'UNT+4+1'" + unz
    codes = warning_codes(data)
    if b"END" in unz:
        assert codes == {"trailing-text"}
    else:
        assert codes == set()


@pytest.mark.parametrize("kind", KINDS)
def test_unt_without_reference(kind: str) -> None:
    for rng_seed in range(40):
        rng = random.Random(rng_seed)
        clean = write(kind, 1, {})
        data, codes = dirty(clean, rng, ALWAYS)
        if "unt-no-ref" in codes:
            unts = [m.unt for ic in read_interchanges(data) for m in ic.messages if m.unt is not None]
            assert [u for u in unts if len(u.elements) == 1 and u.get(0).isdigit()]
            assert content(data) == content(clean)
            return
    pytest.fail("unt-no-ref never applied")


def test_added_text_never_looks_like_an_envelope() -> None:
    """Headers and trailers must not hold what the reader looks for to find an interchange."""
    from openpiu.synth import quirks

    texts = [*quirks._PROSE, *quirks._TELEX_ADDRESSES, *quirks._TELEX_ORIGINS]
    rng = random.Random(0)
    texts += [quirks._mq_header(rng, 100).decode(), quirks._telex_header(rng).decode()]
    for text in texts:
        assert not any(tag in text.upper() for tag in ("UNA", "UNB", "UNH", "<")), text


def test_xml_gets_a_bom_and_stays_readable() -> None:
    clean = write_pnrgov_xml(push_for(1))
    data, codes = dirty(clean, random.Random(0), ALWAYS)
    assert codes == ("bom",)
    assert data == b"\xef\xbb\xbf" + clean
    assert content(data) == content(clean)


@pytest.mark.parametrize("rng_seed", range(5))
def test_same_seed_same_bytes(rng_seed: int) -> None:
    def run() -> tuple[object, ...]:
        rng = random.Random(rng_seed)
        options, layout = writer_options(rng, ALWAYS)
        data, text = dirty(write("pnrgov-parts", 2, options), rng, ALWAYS)
        broken = break_message(data, rng)
        order = delivery_order(list(range(6)), rng, ALWAYS)
        return options, layout, data, text, broken, order

    assert run() == run()


@pytest.mark.parametrize("kind", KINDS)
def test_rates_zero_change_nothing(kind: str) -> None:
    rng = random.Random(7)
    assert writer_options(rng, NEVER) == ({}, ())
    clean = write(kind, 1, {})
    assert dirty(clean, rng, NEVER) == (clean, ())
    assert delivery_order(list("abcdef"), rng, NEVER) == [(x, ()) for x in "abcdef"]


def test_every_quirk_code_occurs() -> None:
    seen: set[str] = set()
    for rng_seed in range(80):
        rng = random.Random(rng_seed)
        options, layout = writer_options(rng, ALWAYS)
        seen.update(layout)
        _, text = dirty(write("pnrgov", 1, options), rng, ALWAYS)
        seen.update(text)
        for _, codes in delivery_order(list(range(5)), rng, ALWAYS):
            seen.update(codes)
    assert seen == {*LAYOUT_QUIRKS, *TEXT_QUIRKS, *ORDER_QUIRKS}


def test_delivery_order_keeps_every_item_and_marks_changes() -> None:
    half = QuirkRates(out_of_order=0.5, duplicate_delivery=0.5)
    for rng_seed in range(50):
        items = list(range(7))
        order = delivery_order(items, random.Random(rng_seed), half)
        firsts = [item for item, codes in order if "duplicate" not in codes]
        assert sorted(firsts) == items  # every part delivered once, plus repeats
        repeats = [item for item, codes in order if "duplicate" in codes]
        for item in repeats:  # a repeat comes after the original
            positions = [i for i, (x, _) in enumerate(order) if x == item]
            assert "duplicate" not in order[positions[0]][1]
        # Parts move one place at most, and exactly the moved ones are marked.
        firsts_with_codes = [(item, codes) for item, codes in order if "duplicate" not in codes]
        for i, (item, codes) in enumerate(firsts_with_codes):
            assert abs(item - i) <= 1
            assert (item != i) == ("out-of-order" in codes)


def test_always_out_of_order_swaps_pairs() -> None:
    order = delivery_order(
        ["01:C", "02", "03", "04:F"], random.Random(1), QuirkRates(out_of_order=1.0, duplicate_delivery=0.0)
    )
    assert order == [
        ("02", ("out-of-order",)),
        ("01:C", ("out-of-order",)),
        ("04:F", ("out-of-order",)),
        ("03", ("out-of-order",)),
    ]


def broken_inputs() -> list[tuple[str, bytes]]:
    inputs = [(kind, write(kind, 1, {})) for kind in KINDS]
    inputs.append(("xml", write_pnrgov_xml(push_for(1))))
    for rng_seed in range(4):  # dirty ones too: a broken delivery can have a header and a BOM
        rng = random.Random(rng_seed)
        options, _ = writer_options(rng, ALWAYS)
        inputs.append((f"dirty-{rng_seed}", dirty(write("pnrgov-parts", 2, options), rng, ALWAYS)[0]))
    return inputs


@pytest.mark.parametrize(("name", "clean"), broken_inputs(), ids=lambda v: v if isinstance(v, str) else "")
def test_broken_messages_never_read(name: str, clean: bytes) -> None:
    reasons: set[str] = set()
    for rng_seed in range(30):
        data, reason = break_message(clean, random.Random(rng_seed))
        outcomes = read_messages(data, source=name)
        assert outcomes, reason
        assert all(isinstance(o, ParseError) for o in outcomes), (reason, outcomes)
        assert reason.strip()
        reasons.add(reason.split(" ")[0])
    assert len(reasons) >= 3


def test_every_kind_of_breakage_occurs() -> None:
    reasons: list[str] = []
    for data in (write("pnrgov", 1, {}), write_pnrgov_xml(push_for(1))):
        reasons.extend(break_message(data, random.Random(s))[1] for s in range(40))
    for phrase in ("cut off after", "binary data", "XML push cut off", "message type", "empty file"):
        assert any(phrase in r for r in reasons), phrase
