"""The follows pages: follow a confirmed identity from a traveller's page, list follows with their review
dates and the hits waiting on them, review or end a follow.

An analyst sees and manages their own follows; a supervisor (``follows.supervise``) every follow; the DPO
reads them all. Every change goes through `FollowDesk`, which records it in the audit log with the follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse, RedirectResponse

from openpiu.model.access import Action, Actor
from openpiu.services.follows import FollowDesk, FollowRefused, NoSuchFollow
from openpiu.services.identity import NoSuchIdentity
from openpiu.services.workplace import Workplace
from openpiu.web.security import require
from openpiu.web.templating import render

__all__ = ["pages"]

pages = APIRouter(include_in_schema=False)

RowId = Annotated[int, FastApiPath(ge=1, le=2**63 - 1)]


def _desk(request: Request) -> FollowDesk:
    workplace: Workplace = request.app.state.workplace
    return workplace.follows


def _refused(request: Request, detail: str, back: str) -> HTMLResponse:
    return render(
        request, "error.html", {"title": "Not done", "detail": detail, "back": back}, status_code=422
    )


def _changed(request: Request, change: Callable[[], object]) -> HTMLResponse | RedirectResponse:
    """Make the change, then back to the follows (or why it was refused)."""
    try:
        change()
    except (NoSuchFollow, FollowRefused, ValueError) as error:
        return _refused(request, str(error), "/follows")
    return RedirectResponse("/follows", status_code=303)


def _all_of_them(actor: Actor) -> bool:
    """Supervisors, and those who read without managing (the DPO), see every follow."""
    return actor.may(Action.FOLLOWS_SUPERVISE) or not actor.may(Action.FOLLOWS_MANAGE)


@pages.get("/follows", response_class=HTMLResponse)
def follows_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.FOLLOWS_READ))],
    *,
    ended: bool = False,
) -> HTMLResponse:
    desk = _desk(request)
    views = desk.follows(
        actor.username, followed_by=None if _all_of_them(actor) else actor.username, include_ended=ended
    )
    context: dict[str, Any] = {
        "views": views,
        "ended": ended,
        "everyone": _all_of_them(actor),
        "may_manage": actor.may(Action.FOLLOWS_MANAGE),
        "supervisor": actor.may(Action.FOLLOWS_SUPERVISE),
        "username": actor.username,
        "waiting": desk.hits_waiting(actor.username, [v.follow for v in views if v.follow.ended_at is None])
        if actor.may(Action.HITS_READ)
        else [],
        "max_days": desk.max_days,
    }
    return render(request, "follows.html", context)


@pages.post("/travellers/{traveller_id}/follow", response_class=HTMLResponse, response_model=None)
def follow_traveller(
    request: Request,
    traveller_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.FOLLOWS_MANAGE))],
    *,
    legal_basis: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    days: Annotated[int, Form()] = 0,
) -> HTMLResponse | RedirectResponse:
    back = f"/travellers/{traveller_id}"
    workplace: Workplace = request.app.state.workplace
    identity = workplace.journeys.identity_of_traveller(traveller_id)
    if identity is None:
        return _refused(request, "This traveller is not resolved into an identity yet.", back)
    try:
        _desk(request).start(actor.username, identity, legal_basis=legal_basis, reason=reason, days=days)
    except (NoSuchIdentity, FollowRefused, ValueError) as error:
        return _refused(request, str(error), back)
    return RedirectResponse("/follows", status_code=303)


@pages.post("/follows/{follow_id}/review", response_class=HTMLResponse, response_model=None)
def review_follow(
    request: Request,
    follow_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.FOLLOWS_MANAGE))],
    reason: Annotated[str, Form()] = "",
    days: Annotated[int, Form()] = 0,
) -> HTMLResponse | RedirectResponse:
    desk, supervisor = _desk(request), actor.may(Action.FOLLOWS_SUPERVISE)
    return _changed(
        request,
        lambda: desk.review(
            actor.username, follow_id, reason=reason, days=days or None, supervisor=supervisor
        ),
    )


@pages.post("/follows/{follow_id}/end", response_class=HTMLResponse, response_model=None)
def end_follow(
    request: Request,
    follow_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.FOLLOWS_MANAGE))],
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    desk, supervisor = _desk(request), actor.may(Action.FOLLOWS_SUPERVISE)
    return _changed(
        request, lambda: desk.end(actor.username, follow_id, reason=reason, supervisor=supervisor)
    )
