"""Follows, the pure part: a term is bounded and has a review date before its end; a follow is active,
expired (its end passed: due for review) or ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openpiu.model.follows import DEFAULT_MAX_DAYS, Follow, FollowState, follow_terms

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "review_before_end"),
    [(1, timedelta(hours=12)), (10, timedelta(days=5)), (14, timedelta(days=7)), (90, timedelta(days=7))],
)
def test_a_term_ends_after_its_days_and_is_reviewed_before(days: int, review_before_end: timedelta) -> None:
    terms = follow_terms(NOW, days)
    assert terms.expires_at == NOW + timedelta(days=days)
    assert terms.expires_at - terms.review_at == review_before_end


@pytest.mark.parametrize("days", [0, -3, DEFAULT_MAX_DAYS + 1])
def test_a_term_out_of_bounds_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="1 to 90 days"):
        follow_terms(NOW, days)


def test_the_bound_is_the_pius_setting() -> None:
    assert follow_terms(NOW, 180, max_days=365).expires_at == NOW + timedelta(days=180)
    with pytest.raises(ValueError, match="1 to 30 days"):
        follow_terms(NOW, 31, max_days=30)
    with pytest.raises(ValueError, match="at least one day"):
        follow_terms(NOW, 1, max_days=0)


def make(**changes: object) -> Follow:
    terms = follow_terms(NOW, 30)
    values: dict[str, object] = {
        "id": 4,
        "identity_id": 12,
        "followed_by": "anna",
        "legal_basis": "Art 6(2)(b)",
        "reason": "courier",
        "created_at": NOW,
        "expires_at": terms.expires_at,
        "review_at": terms.review_at,
    }
    values.update(changes)
    return Follow(**values)  # type: ignore[arg-type]


def test_a_follow_runs_until_its_end_and_is_due_for_review_before() -> None:
    follow = make()
    assert follow.source_id == "follow:4"
    assert follow.state(NOW) is FollowState.ACTIVE
    assert follow.active(NOW)
    assert not follow.due_for_review(NOW)
    review = follow.review_at
    assert follow.due_for_review(review)
    assert follow.active(review)
    assert follow.state(follow.expires_at - timedelta(seconds=1)) is FollowState.ACTIVE
    assert follow.state(follow.expires_at) is FollowState.EXPIRED  # nothing is raised from its end on
    assert follow.due_for_review(follow.expires_at + timedelta(days=100))


def test_an_ended_follow_is_neither_active_nor_due() -> None:
    ended = make(ended_at=NOW + timedelta(days=2), end_reason="case closed")
    later = NOW + timedelta(days=40)
    assert ended.state(later) is FollowState.ENDED
    assert not ended.active(NOW)
    assert not ended.due_for_review(later)
