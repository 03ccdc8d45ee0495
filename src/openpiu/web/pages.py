"""The analyst web application's pages: sign-in, sign-out, home, users.

How to add a page (the hit queue, a hit, a flight ...):

1. Declare the action the page needs with a dependency; the route gets the :class:`Actor`::

       @router.get("/hits/{hit_id}", response_class=HTMLResponse)
       def hit_page(
           request: Request, hit_id: int, actor: Annotated[Actor, Depends(require(Action.HITS_READ))]
       ) -> HTMLResponse:
           hit = hits_service(request).hit(hit_id)            # a service call, never the store
           audit_read(request, actor, f"hit {hit_id}", "review of an automated match")
           return render(request, "hit.html", {"hit": hit})

   Without a session the visitor is sent to ``/login?next=/hits/12``; with a role that may not take the
   action the answer is 403. A route without a rule stops the application from starting.
2. Record every read of personal data with :func:`~openpiu.web.security.audit_read` *before* rendering
   (subject: what was read, e.g. ``"hit 12"``; purpose: why, in words the DPO will read).
3. Render with :func:`~openpiu.web.templating.render`: the template extends ``base.html`` and fills
   ``{% block title %}`` and ``{% block content %}``; times go through ``|utc``. Forms that change
   anything are ``method="post"`` and carry
   ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``; scripts (files under
   ``static/``, never inline) send the token from ``<meta name="csrf-token">`` as ``X-CSRF-Token``.
4. Add the section to :data:`~openpiu.web.templating.NAV` so that the roles allowed see it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from openpiu.model.access import ROLE_ACTIONS, Action, Actor
from openpiu.services.accounts import LoginRefused, LoginThrottled
from openpiu.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    accounts,
    audit_read,
    clear_session_cookie,
    client_address,
    current_session,
    require,
    safe_next,
    set_session_cookie,
    settings_of,
    signed_in,
)
from openpiu.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_LOGIN_FORM_SECONDS: Final = 3600


def _login_form(
    request: Request, next_path: str, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The sign-in form with a fresh token that must come back with the matching cookie."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"next": next_path, "login_csrf": token, "error": error},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=_LOGIN_FORM_SECONDS,
        path="/login",
        secure=not settings_of(request).allow_plain_http,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    if await current_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_form(
            request, target, error="The form had expired. Please sign in again.", status_code=403
        )
    try:
        grant = await run_in_threadpool(
            accounts(request).login,
            username,
            password,
            client=client_address(request),
            replaces=request.cookies.get(SESSION_COOKIE),
        )
    except LoginThrottled:
        return _login_form(
            request,
            target,
            error="Too many failed sign-ins. Please wait 15 minutes, or ask an administrator.",
            status_code=429,
        )
    except LoginRefused:
        return _login_form(request, target, error="Wrong user name or password.", status_code=401)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, grant.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    await run_in_threadpool(
        accounts(request).logout, request.cookies.get(SESSION_COOKIE), client=client_address(request)
    )
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> HTMLResponse:
    allowed = sorted(ROLE_ACTIONS.get(actor.role, frozenset()), key=list(Action).index)
    return render(request, "home.html", {"actions": allowed})


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, actor: Annotated[Actor, Depends(require(Action.USERS_MANAGE))]
) -> HTMLResponse:
    # Staff accounts are personal data too: the read is audited before anything is shown.
    audit_read(request, actor, "users", "account administration")
    return render(request, "users.html", {"users": accounts(request).users()})
