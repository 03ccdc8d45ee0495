"""What changed between two versions of a booking: every differing leaf, by path, and nothing else."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from openpiu.analysis.changes import Change, changes, describe
from openpiu.synth.corpus import demo_push

PUSH = demo_push(seed=11, bookings=10)


def test_the_same_booking_has_no_changes() -> None:
    booking = PUSH.bookings[0]
    assert changes(booking, booking) == []


def test_a_changed_traveller_and_a_new_one_are_named_by_path() -> None:
    booking = next(b for b in PUSH.bookings if b.travellers)
    first = booking.travellers[0]
    changed = dataclasses.replace(first, surname=(first.surname or "") + "X")
    extra = dataclasses.replace(first, ref="9")
    after = dataclasses.replace(booking, travellers=(changed, *booking.travellers[1:], extra))
    found = changes(booking, after)
    assert Change("travellers[0].surname", first.surname, changed.surname) in found
    added = [c for c in found if c.before is None]
    assert [c.path for c in added] == [f"travellers[{len(booking.travellers)}]"]
    assert added[0].after is not None
    assert added[0].after.startswith("Traveller(")
    assert len(found) == 2


def test_a_removed_item_and_a_cancellation() -> None:
    booking = next(b for b in PUSH.bookings if len(b.travellers) >= 2)
    after = dataclasses.replace(booking, travellers=booking.travellers[:1], cancelled=True)
    found = changes(booking, after)
    assert Change("cancelled", describe(False), "True") in found
    removed = [c for c in found if c.after is None]
    assert [c.path for c in removed] == [f"travellers[{i}]" for i in range(1, len(booking.travellers))]


@given(st.integers(min_value=0, max_value=len(PUSH.bookings) - 1), st.integers(0, len(PUSH.bookings) - 1))
def test_changes_are_empty_exactly_when_the_versions_are_equal(i: int, j: int) -> None:
    before, after = PUSH.bookings[i], PUSH.bookings[j]
    assert (changes(before, after) == []) == (before == after)
    for change in changes(before, after):
        assert change.before != change.after
