"""Who may do what: roles, actions, the policy table and the one question code asks, :func:`can`.

Deny by default: an action is allowed only when the policy table lists it for the actor's role; an unknown
role or action is refused. A user has exactly one role. The table follows the EU PNR Directive's split of
duties: analysts decide hits (a human decision for every automated match, Art 7(6)), supervisors approve
what analysts may not approve alone, the data protection officer reads everything and changes nothing
(Art 5), the independent supervisory authority reads the audit log and statistics (Art 15), operators
keep the system running without reading travel data, administrators manage accounts only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = ["ROLE_ACTIONS", "Action", "Actor", "Role", "can"]


class Role(StrEnum):
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    DPO = "dpo"
    AUTHORITY = "authority"
    OPERATOR = "operator"
    ADMINISTRATOR = "administrator"


class Action(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    HITS_READ = "hits.read"
    HITS_DECIDE = "hits.decide"
    TRANSMISSIONS_REQUEST = "transmissions.request"
    TRANSMISSIONS_APPROVE = "transmissions.approve"
    TRAVEL_READ = "travel.read"
    TRAVEL_SEARCH = "travel.search"
    #: A traveller's journeys and network exported for a case file (an audited event of its own).
    TRAVEL_EXPORT = "travel.export"
    CRITERIA_READ = "criteria.read"
    CRITERIA_DRAFT = "criteria.draft"
    CRITERIA_APPROVE = "criteria.approve"
    WATCHLISTS_READ = "watchlists.read"
    WATCHLISTS_IMPORT = "watchlists.import"
    AUDIT_READ = "audit.read"
    STATISTICS_READ = "statistics.read"
    OPERATIONS_READ = "operations.read"
    OPERATIONS_RETRY = "operations.retry"
    USERS_MANAGE = "users.manage"
    FOLLOWS_READ = "follows.read"
    FOLLOWS_MANAGE = "follows.manage"  # start, review and end one's own follows
    FOLLOWS_SUPERVISE = "follows.supervise"  # review and end anyone's


_ANALYST = frozenset(
    {
        Action.DASHBOARD_VIEW,
        Action.HITS_READ,
        Action.HITS_DECIDE,
        Action.TRANSMISSIONS_REQUEST,
        Action.TRAVEL_READ,
        Action.TRAVEL_SEARCH,
        Action.TRAVEL_EXPORT,
        Action.CRITERIA_READ,
        Action.WATCHLISTS_READ,
        Action.FOLLOWS_READ,
        Action.FOLLOWS_MANAGE,
    }
)

#: The policy: each role and the actions it may take. Frozen; a role missing here may do nothing.
ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.ANALYST: _ANALYST,
        Role.SUPERVISOR: _ANALYST
        | {
            Action.TRANSMISSIONS_APPROVE,
            Action.CRITERIA_DRAFT,
            Action.CRITERIA_APPROVE,
            Action.WATCHLISTS_IMPORT,
            Action.OPERATIONS_READ,
            Action.FOLLOWS_SUPERVISE,
        },
        # Art 5: access to all data processed, and only to read it.
        Role.DPO: frozenset(
            {
                Action.DASHBOARD_VIEW,
                Action.HITS_READ,
                Action.TRAVEL_READ,
                Action.TRAVEL_SEARCH,
                Action.CRITERIA_READ,
                Action.WATCHLISTS_READ,
                Action.AUDIT_READ,
                Action.STATISTICS_READ,
                Action.FOLLOWS_READ,
            }
        ),
        # The independent supervisory authority checks lawfulness; it does not read travel data here.
        Role.AUTHORITY: frozenset(
            {Action.AUDIT_READ, Action.STATISTICS_READ, Action.CRITERIA_READ, Action.WATCHLISTS_READ}
        ),
        Role.OPERATOR: frozenset(
            {Action.DASHBOARD_VIEW, Action.OPERATIONS_READ, Action.OPERATIONS_RETRY, Action.STATISTICS_READ}
        ),
        Role.ADMINISTRATOR: frozenset({Action.USERS_MANAGE, Action.OPERATIONS_READ}),
    }
)


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user a request acts for."""

    user_id: int
    username: str
    role: Role

    @property
    def audit_name(self) -> str:
        """How the audit log names this actor."""
        return f"user:{self.username}"

    def may(self, action: Action | str) -> bool:
        return can(self.role, action)


def can(actor_roles: Role | str | Iterable[Role | str] | None, action: Action | str) -> bool:
    """Whether any of ``actor_roles`` may take ``action``; unknown roles and actions are refused."""
    if actor_roles is None:
        return False
    roles = [actor_roles] if isinstance(actor_roles, str) else list(actor_roles)
    try:
        wanted = Action(action)
    except ValueError:
        return False
    for role in roles:
        try:
            allowed = ROLE_ACTIONS.get(Role(role), frozenset())
        except ValueError:
            continue
        if wanted in allowed:
            return True
    return False
