"""The access policy: roles, actions, the table, and `can` (deny by default); the docs show the same table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openpiu.model.access import ROLE_ACTIONS, Action, Actor, Role, can

ROOT = Path(__file__).resolve().parent.parent

ANALYST = {
    "dashboard.view",
    "hits.read",
    "hits.decide",
    "transmissions.request",
    "travel.read",
    "travel.search",
    "travel.export",
    "criteria.read",
    "watchlists.read",
    "follows.read",
    "follows.manage",
}
POLICY = {
    "analyst": ANALYST,
    "supervisor": ANALYST
    | {
        "transmissions.approve",
        "criteria.draft",
        "criteria.approve",
        "watchlists.import",
        "operations.read",
        "follows.supervise",
    },
    "dpo": {
        "dashboard.view",
        "hits.read",
        "travel.read",
        "travel.search",
        "criteria.read",
        "watchlists.read",
        "audit.read",
        "statistics.read",
        "follows.read",
    },
    "authority": {"audit.read", "statistics.read", "criteria.read", "watchlists.read"},
    "operator": {"dashboard.view", "operations.read", "operations.retry", "statistics.read"},
    "administrator": {"users.manage", "operations.read"},
}


def test_the_actions_other_code_relies_on() -> None:
    assert [a.value for a in Action] == [
        "dashboard.view",
        "hits.read",
        "hits.decide",
        "transmissions.request",
        "transmissions.approve",
        "travel.read",
        "travel.search",
        "travel.export",
        "criteria.read",
        "criteria.draft",
        "criteria.approve",
        "watchlists.read",
        "watchlists.import",
        "audit.read",
        "statistics.read",
        "operations.read",
        "operations.retry",
        "users.manage",
        "follows.read",
        "follows.manage",
        "follows.supervise",
    ]
    assert [r.value for r in Role] == list(POLICY)


def test_the_policy_table() -> None:
    assert {role.value: {a.value for a in actions} for role, actions in ROLE_ACTIONS.items()} == POLICY
    with pytest.raises(TypeError):
        ROLE_ACTIONS[Role.ANALYST] = frozenset(Action)  # type: ignore[index]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_can_follows_the_table(role: Role, action: Action) -> None:
    expected = action.value in POLICY[role.value]
    assert can(role, action) is expected
    assert can([role], action.value) is expected
    assert can(role.value, action) is expected
    assert Actor(1, "x", role).may(action) is expected


def test_deny_by_default() -> None:
    assert not can(None, Action.HITS_READ)
    assert not can([], Action.HITS_READ)
    assert not can("superuser", Action.HITS_READ)
    assert not can(Role.SUPERVISOR, "hits.delete")
    assert not can(Role.ADMINISTRATOR, "")
    assert can(["superuser", Role.ANALYST], Action.HITS_READ)  # one known role allowing it is enough


def test_an_analyst_decides_no_dpo_or_authority_changes_anything() -> None:
    writes = {a for a in Action if a.value.split(".")[1] not in {"read", "view", "search"}}
    assert not ROLE_ACTIONS[Role.DPO] & writes
    assert not ROLE_ACTIONS[Role.AUTHORITY] & writes
    assert Action.HITS_DECIDE in ROLE_ACTIONS[Role.ANALYST]


def test_the_administration_guide_shows_the_same_table() -> None:
    text = (ROOT / "docs" / "administration.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| action |"))
    roles = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert roles == [r.value for r in Role]
    shown: dict[str, set[str]] = {role: set() for role in roles}
    for line in text.splitlines():
        found = re.match(r"\| `([a-z.]+)`", line)
        if not found:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")][1:]
        for role, cell in zip(roles, cells, strict=True):
            if cell == "✓":
                shown[role].add(found.group(1))
    assert shown == POLICY
