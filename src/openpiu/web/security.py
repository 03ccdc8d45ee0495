"""The web application's security layer: sessions, who may call which route, CSRF, security headers.

Deny by default. Every route of the application either declares the action it needs or is on the short
anonymous allow-list (:data:`PUBLIC_ROUTES`, :data:`PUBLIC_MOUNTS`: the sign-in page, static files, the
health check and the carriers' push endpoint with its own HTTP Basic credentials). :func:`route_rules`
reads the declarations off the application; :func:`check_route_rules` refuses to build an application with
a route that has neither, and a table-driven test calls every route as every role.

How a route declares what it needs (see also :mod:`openpiu.web.pages`)::

    @router.get("/hits/{hit_id}")
    def hit(request: Request, hit_id: int,
            actor: Annotated[Actor, Depends(require(Action.HITS_READ))]) -> HTMLResponse:
        ...

``require(action)`` answers 401 (JSON, for paths under ``/api/``) or a redirect to ``/login?next=...``
(pages) when nobody is signed in, and 403 when the actor's role may not take the action;
:data:`signed_in` only asks for a session (the home page, sign-out).

**Sessions** are server-side (:mod:`openpiu.services.accounts`): the ``openpiu_session`` cookie holds a
random token (HttpOnly, SameSite=Strict, Secure unless ``OPENPIU_ALLOW_PLAIN_HTTP``); the database holds
its SHA-256 only.

**CSRF:** every request with a method other than GET, HEAD or OPTIONS made with a session must carry the
session's CSRF token, as the form field ``csrf_token`` (forms: ``{{ csrf_field() }}`` in templates) or the
header ``X-CSRF-Token`` (scripts: read it from ``<meta name="csrf-token">``), else 403. The sign-in form,
posted before there is a session, carries a token that must match the ``openpiu_login_csrf`` cookie.

**Headers** on every answer: a Content-Security-Policy that allows only this origin (no inline script, no
framing), X-Frame-Options DENY, Referrer-Policy no-referrer, X-Content-Type-Options nosniff, and
Cache-Control no-store on everything but static files (pages carry personal data).

**Reads of personal data** are audited: call :func:`audit_read` before the data leaves the server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from typing import Any, Final, cast
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpiu.model.access import Action, Actor
from openpiu.services.accounts import AccountService, Session
from openpiu.settings import Settings

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "PUBLIC",
    "PUBLIC_MOUNTS",
    "PUBLIC_ROUTES",
    "SESSION_COOKIE",
    "SIGNED_IN",
    "AccessError",
    "CsrfRefused",
    "Forbidden",
    "NotSignedIn",
    "Requirement",
    "Rule",
    "SecurityHeaders",
    "accounts",
    "audit_read",
    "check_route_rules",
    "client_address",
    "current_session",
    "require",
    "route_rules",
    "safe_next",
    "served_get_paths",
    "set_session_cookie",
    "signed_in",
]

SESSION_COOKIE: Final = "openpiu_session"
LOGIN_CSRF_COOKIE: Final = "openpiu_login_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

#: The rule of a route that anybody may call.
PUBLIC: Final = "public"
#: The rule of a route that any signed-in user may call, whatever the role.
SIGNED_IN: Final = "signed in"
Rule = Action | str

#: The anonymous allow-list: (method, path). Nothing else is reachable without a session.
PUBLIC_ROUTES: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/health"),
        ("POST", "/api/v1/push"),  # the carriers' endpoint: HTTP Basic with the carrier's own token
    }
)
#: Mounted folders anybody may read (the style sheet; no personal data).
PUBLIC_MOUNTS: Final[frozenset[str]] = frozenset({"/static"})

_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS: Final = {
    "Content-Security-Policy": _CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# --- errors, mapped to answers in one place (openpiu.web.app installs the handlers) ----------------------


class AccessError(Exception):
    """Base of the refusals of this layer."""


class NotSignedIn(AccessError):
    """No valid session: 401 for the API, a redirect to the sign-in page for pages."""


class Forbidden(AccessError):
    """The actor's role may not take the action (403)."""


class CsrfRefused(Forbidden):
    """A state-changing request without the session's CSRF token (403)."""


# --- the session ---------------------------------------------------------------------------------------


def accounts(request: Request) -> AccountService:
    return cast(AccountService, request.app.state.accounts)


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def client_address(request: Request) -> str | None:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here when the proxy is trusted)."""
    return request.client.host if request.client else None


_NO_SESSION: Final = object()


async def current_session(request: Request) -> Session | None:
    """The request's valid session, or None; looked up once per request."""
    cached = getattr(request.state, "openpiu_session", _NO_SESSION)
    if cached is not _NO_SESSION:
        return cast(Session | None, cached)
    token = request.cookies.get(SESSION_COOKIE)
    session = await run_in_threadpool(accounts(request).session, token) if token else None
    request.state.openpiu_session = session
    return session


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts(request).session_max_age.total_seconds()),
        path="/",
        secure=not settings_of(request).allow_plain_http,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=not settings_of(request).allow_plain_http,
        httponly=True,
        samesite="strict",
    )


async def check_csrf(request: Request, session: Session) -> None:
    """Raise :class:`CsrfRefused` unless the request carries the session's CSRF token."""
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    if not session.csrf_matches(supplied):
        raise CsrfRefused("the request lacks this session's CSRF token: reload the page and try again")


class Requirement:
    """A route's dependency: a session, the CSRF token on state-changing requests, and the action.

    Use :func:`require` or :data:`signed_in`; the route receives the :class:`Actor`.
    """

    __slots__ = ("action",)

    def __init__(self, action: Action | None) -> None:
        self.action = action

    async def __call__(self, request: Request) -> Actor:
        session = await current_session(request)
        if session is None:
            raise NotSignedIn("sign in first")
        if self.action is not None and not session.actor.may(self.action):
            raise Forbidden(f"the role {session.actor.role} may not do this ({self.action})")
        if request.method not in SAFE_METHODS:
            await check_csrf(request, session)
        return session.actor

    def __repr__(self) -> str:
        return f"require({self.action or SIGNED_IN})"


_REQUIREMENTS: Final = {action: Requirement(action) for action in Action}
#: Any signed-in user (no particular action): the home page, sign-out.
signed_in: Final = Requirement(None)


def require(action: Action) -> Requirement:
    """The dependency of a route that needs ``action``; see the module's docstring."""
    return _REQUIREMENTS[Action(action)]


# --- the route rules -----------------------------------------------------------------------------------


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _routes(app: FastAPI) -> Iterator[tuple[BaseRoute, str, set[str], Dependant | None]]:
    """Each route as served: (the route, its full path, its methods, its dependencies), included routers
    unfolded with their prefixes and router-level dependencies."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or cast(str, getattr(route, "path", ""))
        methods = {m for m in (context.methods or set()) if m != "HEAD"}
        dependant = getattr(context, "dependant", None) if isinstance(route, APIRoute) else None
        if isinstance(route, APIRoute) and dependant is None:
            dependant = route.dependant
        yield route, path, methods, dependant


def served_get_paths(app: FastAPI) -> set[str]:
    """The paths the application answers GET on (for navigation links that lead somewhere)."""
    return {path for route, path, methods, _ in _routes(app) if isinstance(route, Route) and "GET" in methods}


def route_rules(app: FastAPI) -> dict[tuple[str, str], Rule | None]:
    """Every (method, path) of the application and its rule: an :class:`Action`, :data:`SIGNED_IN`,
    :data:`PUBLIC`, or None when the route declares nothing or conflicting rules (which
    :func:`check_route_rules` refuses). Mounted folders appear with the method ``MOUNT``; anything that
    is neither a route nor a mount appears with the method ``?``.
    """
    rules: dict[tuple[str, str], Rule | None] = {}
    for route, path, methods, dependant in _routes(app):
        if isinstance(route, Mount):
            rules[("MOUNT", path)] = PUBLIC if path in PUBLIC_MOUNTS else None
            continue
        if not isinstance(route, Route):
            rules[("?", path or repr(route))] = None
            continue
        declared: set[Action | None] = set()
        if dependant is not None:
            declared = {d.call.action for d in _dependencies(dependant) if isinstance(d.call, Requirement)}
        for method in sorted(methods):
            public = (method, path) in PUBLIC_ROUTES
            rule: Rule | None
            if public and not declared:
                rule = PUBLIC
            elif len(declared) == 1 and not public:
                (action,) = declared
                rule = SIGNED_IN if action is None else action
            else:
                rule = None
            rules[(method, path)] = rule
    return rules


def check_route_rules(app: FastAPI) -> None:
    """Raise RuntimeError naming each route without a rule (deny by default, at start)."""
    missing = [f"{method} {path}" for (method, path), rule in route_rules(app).items() if rule is None]
    if missing:
        raise RuntimeError(
            "every route needs exactly one rule: Depends(require(Action...)) or Depends(signed_in), or a "
            f"place on the anonymous allow-list in openpiu.web.security; without one: {', '.join(missing)}"
        )


# --- redirects after sign-in ---------------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site (``/...``), else ``/``: no open redirects."""
    if not value or len(value) > 2000:
        return "/"
    if not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"  # browsers read "/\evil" as "//evil"; control characters split headers
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path in {"/login", "/logout"}:
        return "/"
    return value


def login_url(request: Request) -> str:
    """The sign-in page, with the current page to come back to (for GET requests)."""
    if request.method != "GET":
        return "/login"
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = safe_next(target)
    return "/login" if target == "/" else f"/login?next={quote(target, safe='')}"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


# --- security headers ----------------------------------------------------------------------------------


class SecurityHeaders:
    """ASGI middleware adding the security headers to every answer (plain ASGI: streams stay streams)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers: Mapping[str, str] = (
            {**_HEADERS, "Strict-Transport-Security": "max-age=31536000"} if hsts else dict(_HEADERS)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(tuple(f"{m}/" for m in PUBLIC_MOUNTS))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


# --- audit of reads ------------------------------------------------------------------------------------


def audit_read(
    request: Request,
    actor: Actor,
    subject: str,
    purpose: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record in the audit log that ``actor`` reads the personal data of ``subject`` for ``purpose``.

    Call it before the data is rendered, from a ``def`` route (FastAPI runs those in a worker thread;
    from an ``async def`` route use ``await run_in_threadpool(audit_read, ...)``). When the audit log
    cannot be written the exception propagates and nothing is shown. The request's path (never its query,
    which may hold names searched for) is recorded with it.
    """
    accounts(request).record_read(actor, subject, purpose, {"path": request.url.path, **(details or {})})


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)
