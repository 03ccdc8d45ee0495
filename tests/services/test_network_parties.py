"""How many unrelated parties hold a shared value (`openpiu.services.network._unrelated`): bookings joined by
a traveller in common are one party, checked against a plain count of connected groups."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openpiu.services.network import _unrelated

bookings = st.lists(st.integers(1, 12), max_size=14)
travellers = st.dictionaries(st.integers(1, 12), st.sets(st.integers(1, 8), max_size=3), max_size=12)


def groups(held: list[int], people: dict[int, set[int]]) -> int:
    """Connected groups of bookings, two bookings joined when they share a traveller (by search)."""
    left, count = set(held), 0
    while left:
        count += 1
        reached = [left.pop()]
        while reached:
            current = reached.pop()
            joined = {b for b in left if people.get(b, set()) & people.get(current, set())}
            left -= joined
            reached.extend(joined)
    return count


@given(bookings, travellers)
def test_bookings_with_a_traveller_in_common_count_once(held: list[int], people: dict[int, set[int]]) -> None:
    assert _unrelated(held, people) == groups(held, people)


def test_a_family_and_a_stranger() -> None:
    # bookings 1 and 2 share traveller 7 (one family on two bookings), booking 3 is someone else's
    assert _unrelated([1, 2, 3], {1: {7}, 2: {7, 8}, 3: {9}}) == 2
    assert _unrelated([4], {}) == 1
    assert _unrelated([], {}) == 0
