"""`parse(write(x)) == x`, field for field, except what the format cannot carry (`formats.fidelity`)."""

from __future__ import annotations

import dataclasses
import random
import typing
from functools import cache

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from openpiu import model
from openpiu.formats.errors import ParseError
from openpiu.formats.fidelity import NOT_CARRIED, comparable, first_difference
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.formats.pnrgov_xml import write_pnrgov_xml
from openpiu.formats.reader import read_messages
from openpiu.model import Message, MessageFormat, PassengerList, PnrPush
from openpiu.synth.corpus import demo_push, passenger_list_for
from openpiu.synth.world import WorldBuilder, world_params

PNRGOV_VERSIONS = ("11.1", "13.1", "15.1")
Layout = tuple[MessageFormat, str | None]
PNR_LAYOUTS: tuple[Layout, ...] = (
    *((MessageFormat.PNRGOV, v) for v in PNRGOV_VERSIONS),
    (MessageFormat.PNRGOV_XML, None),
)


def layouts(message: Message) -> tuple[Layout, ...]:
    return ((MessageFormat.PAXLST, None),) if isinstance(message, PassengerList) else PNR_LAYOUTS


def write(message: Message, fmt: MessageFormat, version: str | None) -> tuple[Message, bytes]:
    """The message as written (with the version asked for) and its bytes."""
    if isinstance(message, PassengerList):
        return message, write_paxlst(message)
    if fmt is MessageFormat.PNRGOV_XML:
        return message, write_pnrgov_xml(message)
    versioned = dataclasses.replace(message, header=dataclasses.replace(message.header, version=version))
    return versioned, write_pnrgov(versioned)


def assert_round_trip(message: Message, fmt: MessageFormat, version: str | None, label: str) -> None:
    written, data = write(message, fmt, version)
    outcomes = read_messages(data, source=label)
    assert len(outcomes) == 1, f"{label}: {len(outcomes)} messages read back"
    (back,) = outcomes
    assert not isinstance(back, ParseError), f"{label}: {back}"
    assert isinstance(back, PnrPush | PassengerList)
    expected, actual = comparable(written, fmt), comparable(back, fmt)
    if expected != actual:
        where = first_difference(expected, actual)
        pytest.fail(f"{label} ({fmt.value} {version or ''}) first difference at {where}", pytrace=False)


@cache
def world_records(seed: int) -> tuple[Message, ...]:
    builder = WorldBuilder(world_params(seed=seed, scale=0.001))
    builder.build()
    return tuple(record for _delivery, record in builder.records())


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a world is the example: no shrinking
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=1, max_value=10_000), pick=st.randoms(use_true_random=False))
def test_generated_world_round_trips_in_every_format(seed: int, pick: random.Random) -> None:
    records = world_records(seed)
    assert records, "a world delivers messages"
    kinds = {type(r) for r in records}
    assert PnrPush in kinds
    # Every PAXLST and a sample of pushes (each push in four layouts): enough variety, fast enough.
    pushes = [r for r in records if isinstance(r, PnrPush)]
    chosen: list[Message] = [r for r in records if isinstance(r, PassengerList)]
    chosen += pick.sample(pushes, min(len(pushes), 12))
    for index, record in enumerate(chosen):
        for fmt, version in layouts(record):
            assert_round_trip(record, fmt, version, f"world seed {seed} record {index}")


@pytest.mark.parametrize(("fmt", "version"), PNR_LAYOUTS, ids=str)
def test_demo_push_round_trips(fmt: MessageFormat, version: str | None) -> None:
    assert_round_trip(demo_push(seed=3, bookings=80), fmt, version, "demo push")


def test_demo_passenger_list_round_trips() -> None:
    plist = passenger_list_for(demo_push(seed=3, bookings=80))
    assert_round_trip(plist, MessageFormat.PAXLST, None, "demo passenger list")


def test_every_world_record_round_trips_for_one_seed() -> None:
    for index, record in enumerate(world_records(1)):
        for fmt, version in layouts(record):
            assert_round_trip(record, fmt, version, f"world seed 1 record {index}")


def test_not_carried_lists_real_fields() -> None:
    """Every listed path names a record type and fields that exist: no stale entries."""
    for fmt, paths in NOT_CARRIED.items():
        for path in paths:
            head, *names = path.split(".")
            kind: type | None = getattr(model, head)
            for name in names:
                assert kind is not None, f"{fmt}: {path}: {name} follows a field that holds no record"
                hints = typing.get_type_hints(kind)
                assert name in hints, f"{fmt}: {path}: no field {name} in {kind.__name__}"
                kind = _record_in(hints[name])


def _record_in(annotation: object) -> type | None:
    """The record type a field holds (directly, optionally or in a tuple), else None."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        found = _record_in(arg)
        if found is not None:
            return found
    return None


def test_comparable_resets_listed_fields_and_shows_the_first_difference() -> None:
    push = demo_push(seed=3, bookings=2)
    traveller = push.bookings[0].travellers[0]
    noisy = dataclasses.replace(traveller, raw_name="AS SENT")
    changed = dataclasses.replace(
        push, bookings=(dataclasses.replace(push.bookings[0], travellers=(noisy,)),)
    )
    assert "Traveller.raw_name" in NOT_CARRIED[MessageFormat.PNRGOV]
    reset = comparable(changed, MessageFormat.PNRGOV)
    assert isinstance(reset, PnrPush)
    assert reset.bookings[0].travellers[0].raw_name is None
    renamed = dataclasses.replace(traveller, surname="OTHER")
    other = dataclasses.replace(
        push, bookings=(dataclasses.replace(push.bookings[0], travellers=(renamed,)),)
    )
    where = first_difference(push, other)
    assert where is not None
    assert where.startswith("PnrPush.bookings[0].travellers[0].surname:")
    assert first_difference(push, push) is None
