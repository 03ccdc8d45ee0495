"""The operators' screen: what the inbox holds, its throughput over the last 24 hours (a bar chart drawn
on the server as SVG, and the same numbers as tables), messages by state, the quarantine with each
message's reason and history, the retry of a quarantined message, and carriers' pushes against those owed.

Reading needs ``operations.read``, retrying ``operations.retry`` (a POSTed form with the session's CSRF
token). Nothing here shows personal data: messages are shown by their envelope, never their bytes.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from openpiu.model.access import Action, Actor
from openpiu.services.operations import (
    MESSAGE_STATES,
    PAGE_SIZE,
    MessageNotFound,
    MessageState,
    NotQuarantined,
    Operations,
    Throughput,
)
from openpiu.services.workplace import Workplace
from openpiu.web.security import require
from openpiu.web.templating import render

__all__ = ["pages"]

pages = APIRouter(include_in_schema=False)


def _operations(request: Request) -> Operations:
    return cast(Workplace, request.app.state.workplace).operations


#: The throughput chart's drawing: each hour a group of three bars (received, stored, quarantined).
_BAR, _GAP, _PLOT, _TOP = 7, 6, 120, 10
_KINDS = ("received", "stored", "quarantined")


def _chart(throughput: Throughput) -> dict[str, Any]:
    """Where each bar of the throughput chart goes (SVG units; y grows downwards)."""
    scale = _PLOT / max(1, throughput.peak)
    group = len(_KINDS) * _BAR + _GAP
    bars, labels = [], []
    for n, hour in enumerate(throughput.hours):
        for k, kind in enumerate(_KINDS):
            count = getattr(hour, kind)
            height = round(count * scale, 1)
            bars.append(
                {
                    "x": n * group + k * _BAR,
                    "y": _TOP + _PLOT - height,
                    "height": height,
                    "kind": kind,
                    "title": f"{hour.hour:%H}:00 UTC: {count} {kind}",
                }
            )
        if n % 3 == 0:
            labels.append({"x": n * group + len(_KINDS) * _BAR / 2, "text": f"{hour.hour:%H}"})
    return {
        "width": len(throughput.hours) * group,
        "height": _TOP + _PLOT + 20,
        "base": _TOP + _PLOT,
        "bars": bars,
        "labels": labels,
        "peak": throughput.peak,
    }


@pages.get("/operations", response_class=HTMLResponse)
def operations_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.OPERATIONS_READ))],
    state: MessageState = MessageState.QUARANTINED,
    after: int = 0,
    day: date | None = None,
) -> HTMLResponse:
    ops = _operations(request)
    today = ops.clock.now().astimezone(UTC).date()
    chosen = day or today
    messages = ops.messages(state, after=max(0, after), limit=PAGE_SIZE)
    throughput = ops.throughput()
    context: dict[str, Any] = {
        "throughput": throughput,
        "chart": _chart(throughput),
        "counts": ops.counts(),
        "by_state": ops.by_state(),
        "states": MESSAGE_STATES,
        "state": state,
        "messages": messages,
        "next_after": messages[-1].id if len(messages) == PAGE_SIZE else None,
        "day": chosen,
        "carriers": ops.compliance(chosen),
        "may_retry": actor.may(Action.OPERATIONS_RETRY),
    }
    return render(request, "operations.html", context)


def _message_page(
    request: Request, actor: Actor, message_id: int, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    try:
        details = _operations(request).message(message_id)
    except MessageNotFound:
        return render(
            request,
            "error.html",
            {"title": "Not found", "detail": f"There is no message {message_id}."},
            status_code=404,
        )
    return render(
        request,
        "operations_message.html",
        {"m": details, "may_retry": actor.may(Action.OPERATIONS_RETRY), "error": error},
        status_code=status,
    )


@pages.get("/operations/messages/{message_id}", response_class=HTMLResponse)
def message_page(
    request: Request, message_id: int, actor: Annotated[Actor, Depends(require(Action.OPERATIONS_READ))]
) -> HTMLResponse:
    return _message_page(request, actor, message_id)


@pages.post("/operations/messages/{message_id}/retry", response_class=HTMLResponse, response_model=None)
def retry_message(
    request: Request, message_id: int, actor: Annotated[Actor, Depends(require(Action.OPERATIONS_RETRY))]
) -> HTMLResponse | RedirectResponse:
    try:
        _operations(request).retry(actor.username, message_id)
    except MessageNotFound:
        return _message_page(request, actor, message_id)  # the 404 page
    except NotQuarantined as error:
        return _message_page(request, actor, message_id, error=str(error), status=422)
    return RedirectResponse(f"/operations/messages/{message_id}", status_code=303)
