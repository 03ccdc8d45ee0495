"""Server-rendered pages: the Jinja2 templates, the base layout's context, the navigation, error pages.

Templates live in ``openpiu/web/templates`` (autoescaped; an undefined variable is an error, not an empty
string), static files in ``openpiu/web/static``; both ship in the package, nothing comes from a CDN.
:func:`render` gives every template what the base layout needs: the actor, their role, the session's CSRF
token and the navigation filtered by what the role may do. Times are shown in UTC and say so (``|utc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, cast

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from openpiu.model.access import Action, Actor
from openpiu.services.accounts import Session
from openpiu.web.security import (
    CsrfRefused,
    NotSignedIn,
    current_session,
    is_api,
    login_url,
    served_get_paths,
)

__all__ = ["NAV", "STATIC_DIR", "TEMPLATES_DIR", "NavItem", "access_error", "render", "render_error"]

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"
STATIC_DIR: Final = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True, slots=True)
class NavItem:
    """A section in the navigation: shown when the route exists and the actor may take ``action``."""

    label: str
    path: str
    action: Action | None  # None: every signed-in user
    description: str = ""


#: The sections, in the order shown. Add a line here when you add a page.
NAV: Final[tuple[NavItem, ...]] = (
    NavItem("Home", "/", None, "who you are and what you may do"),
    NavItem("Dashboard", "/dashboard", Action.DASHBOARD_VIEW, "today's flights, pushes and hits waiting"),
    NavItem("Hits", "/hits", Action.HITS_READ, "the queue of automated matches to decide"),
    NavItem(
        "Search", "/search", Action.TRAVEL_SEARCH, "travellers by name, bookings, flights (with a purpose)"
    ),
    NavItem(
        "Transmissions", "/transmissions", Action.TRANSMISSIONS_REQUEST, "confirmed hits sent to authorities"
    ),
    NavItem("Audit log", "/audit", Action.AUDIT_READ, "who read, searched, decided and sent what, and why"),
    NavItem(
        "Criteria",
        "/criteria",
        Action.CRITERIA_READ,
        "the pre-determined criteria screened with, their review dates, drafts and back-tests",
    ),
    NavItem("Watchlists", "/watchlists", Action.WATCHLISTS_READ, "every list and version screened against"),
    NavItem(
        "Follows",
        "/follows",
        Action.FOLLOWS_READ,
        "confirmed identities followed, their hits waiting and their review dates",
    ),
    NavItem(
        "Operations",
        "/operations",
        Action.OPERATIONS_READ,
        "the inbox, the quarantine and its retry, carriers' pushes against those owed",
    ),
    NavItem("Users", "/users", Action.USERS_MANAGE, "the accounts, their roles, who is disabled or locked"),
)


def _utc(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["utc"] = _utc
_templates = Jinja2Templates(env=_environment)


def _session(request: Request) -> Session | None:
    """The session the route's requirement found (None on public pages)."""
    return cast(Session | None, getattr(request.state, "openpiu_session", None))


def navigation(request: Request, actor: Actor | None) -> list[NavItem]:
    """The sections the actor may open that this application serves."""
    if actor is None:
        return []
    app = request.app
    # The routes are walked once per application (every page's layout asks), again only if they change.
    cached = getattr(app.state, "openpiu_get_paths", None)
    if cached is None or cached[0] != len(app.routes):
        cached = (len(app.routes), served_get_paths(app))
        app.state.openpiu_get_paths = cached
    served = cached[1]
    return [item for item in NAV if item.path in served and (item.action is None or actor.may(item.action))]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """``template`` rendered in the base layout, with the actor, CSRF token and navigation."""
    session = _session(request)
    actor = session.actor if session else None
    base = {
        "actor": actor,
        "csrf_token": session.csrf_token if session else None,
        "session_expires_at": session.expires_at if session else None,
        "nav": navigation(request, actor),
        "current_path": request.url.path,
    }
    return _templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code
    )


async def render_error(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    await current_session(request)  # the layout shows who is signed in, when someone is
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status_code)


async def access_error(request: Request, error: Exception) -> Response:
    """The answer to an :class:`~openpiu.web.security.AccessError` (installed by ``create_app``)."""
    if isinstance(error, NotSignedIn):
        if is_api(request):
            return JSONResponse({"error": "not_authenticated", "detail": str(error)}, status_code=401)
        return RedirectResponse(login_url(request), status_code=303)
    code = "csrf" if isinstance(error, CsrfRefused) else "forbidden"
    if is_api(request):
        return JSONResponse({"error": code, "detail": str(error)}, status_code=403)
    return await render_error(request, 403, "Not allowed", str(error))
