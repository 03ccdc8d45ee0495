"""A traveller's case file (issue 7 §3): the journeys and network of an identity exported as a printable page
or a JSON download, from the form on the traveller's page; and a network's traveller nodes, which lead to
the traveller's page.

An export is POSTed (the session's CSRF token, the ``travel.export`` action) with a stated purpose and an
optional case reference; `openpiu.services.casefile` records the export in the audit log before anything is
read. The printable page stands alone (no navigation, a print style sheet) with a header naming the case,
the exporter and the time.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from openpiu.model.access import Action, Actor
from openpiu.services.casefile import MAX_HOPS, ExportRefused
from openpiu.services.identity import NoSuchIdentity
from openpiu.services.workplace import Workplace
from openpiu.web.maps import journey_map
from openpiu.web.review import instant
from openpiu.web.security import require
from openpiu.web.templating import render

__all__ = ["pages"]

pages = APIRouter(include_in_schema=False)

IdentityId = Annotated[int, FastApiPath(ge=1, le=2**63 - 1)]


def _workplace(request: Request) -> Workplace:
    return cast(Workplace, request.app.state.workplace)


def _error(request: Request, title: str, detail: str, status: int) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status)


@pages.get("/identities/{identity_id}")
def identity_page(
    request: Request, identity_id: IdentityId, actor: Annotated[Actor, Depends(require(Action.TRAVEL_READ))]
) -> Response:
    """An identity of a network: its traveller's page (the latest booking it was seen on)."""
    traveller = _workplace(request).journeys.traveller_of_identity(identity_id)
    if traveller is None:
        return _error(request, "Not found", f"There is no traveller of identity {identity_id}.", 404)
    return RedirectResponse(f"/travellers/{traveller}", status_code=303)


@pages.post("/identities/{identity_id}/case-file")
def case_file(
    request: Request,
    identity_id: IdentityId,
    actor: Annotated[Actor, Depends(require(Action.TRAVEL_EXPORT))],
    *,
    purpose: Annotated[str, Form(max_length=500)] = "",
    case_reference: Annotated[str, Form(max_length=200)] = "",
    hops: Annotated[int, Form(ge=0, le=MAX_HOPS)] = MAX_HOPS,
    format: Annotated[Literal["page", "json"], Form()] = "page",
) -> Response:
    try:
        found = _workplace(request).case_files.export(
            actor.username, identity_id, purpose=purpose, hops=hops, case_reference=case_reference
        )
    except ExportRefused as error:
        return _error(request, "Export refused", str(error), 422)
    except NoSuchIdentity as error:
        return _error(request, "Not found", str(error), 404)
    if format == "json":
        body = json.dumps(found.to_dict(), ensure_ascii=False, sort_keys=True, indent=1)
        name = f"case-file-identity-{identity_id}-{found.exported_at:%Y%m%dT%H%M%SZ}.json"
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    journeys = found.journeys.history.journeys
    context: dict[str, Any] = {
        "case": found,
        "travel": found.journeys,
        "network": found.network,
        "instant": instant,
        "travel_map": Markup(journey_map(journeys)) if journeys else None,
    }
    return render(request, "case_file.html", context)
