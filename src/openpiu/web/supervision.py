"""The supervisors' screens: pre-determined criteria (the active ones with their review dates, drafts, lint,
back-test, approval, deactivation) and watchlists (every list and version, import of a file).

Each route declares its action; reading criteria and watchlists needs ``criteria.read`` and
``watchlists.read`` (analysts, the DPO and the supervisory authority see what the PIU screens with),
writing a draft and back-testing it ``criteria.draft``, approving and deactivating ``criteria.approve``,
importing a list ``watchlists.import``. The services (:mod:`openpiu.services.criteria_desk`,
:mod:`openpiu.services.watchlists`) keep the rules (four eyes, lint, back-test before approval) and the
audit log; these routes parse, call and render. Refusals are shown on the page they came from with a 422.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Annotated, Any, Final, cast

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from openpiu.model.access import Action, Actor
from openpiu.services.criteria_desk import (
    MAX_DRAFT_CHARACTERS,
    PURPOSES,
    BacktestResult,
    CriteriaDesk,
    DraftRefused,
    InvalidRange,
    NoSuchCriterion,
    NoSuchDraft,
)
from openpiu.services.watchlists import MAX_UPLOAD_BYTES, UploadRefused, WatchlistDesk
from openpiu.services.workplace import Workplace
from openpiu.web.security import require
from openpiu.web.templating import render

__all__ = ["pages"]

pages = APIRouter(include_in_schema=False)

#: The flight dates a back-test covers unless the supervisor chooses others: the last four weeks.
DEFAULT_BACKTEST_DAYS: Final = 28
_EXAMPLE: Final = """- id: C-0001
  title: One-way cash tickets bought shortly before departure
  owner: PIU targeting team
  purpose: annex2-04
  version: 1
  approval: null
  review_date: {review}
  expires_on: {expiry}
  priority: 2
  rationale: >
    Why the pattern points to the crime, and which innocent explanations are excluded.
  condition:
    all:
      - {{feature: one_way, is: true}}
      - {{feature: form_of_payment, in: [CASH]}}
      - {{feature: days_booked_before_departure, at_most: 2}}
      - not: {{feature: frequent_flyer, is: true}}
"""


def _workplace(request: Request) -> Workplace:
    return cast(Workplace, request.app.state.workplace)


def _desk(request: Request) -> CriteriaDesk:
    return _workplace(request).criteria


def _lists(request: Request) -> WatchlistDesk:
    return _workplace(request).watchlists


def _today(request: Request) -> date:
    return _workplace(request).clock.now().astimezone(UTC).date()


def _missing(request: Request, what: str) -> HTMLResponse:
    return render(request, "error.html", {"title": "Not found", "detail": what}, status_code=404)


# --- criteria ----------------------------------------------------------------------------------------


def _criteria_page(
    request: Request, actor: Actor, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    desk = _desk(request)
    return render(
        request,
        "criteria.html",
        {
            "active": desk.active(),
            "drafts": desk.drafts(limit=50),
            "may_draft": actor.may(Action.CRITERIA_DRAFT),
            "may_approve": actor.may(Action.CRITERIA_APPROVE),
            "purposes": dict(PURPOSES),
            "error": error,
        },
        status_code=status,
    )


@pages.get("/criteria", response_class=HTMLResponse)
def criteria_page(
    request: Request, actor: Annotated[Actor, Depends(require(Action.CRITERIA_READ))]
) -> HTMLResponse:
    return _criteria_page(request, actor)


@pages.post("/criteria/{criterion_id}/deactivate", response_class=HTMLResponse, response_model=None)
def deactivate_criterion(
    request: Request,
    criterion_id: str,
    actor: Annotated[Actor, Depends(require(Action.CRITERIA_APPROVE))],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    try:
        _desk(request).deactivate(actor.username, criterion_id, reason)
    except DraftRefused as error:
        return _criteria_page(request, actor, error=str(error), status=422)
    except NoSuchCriterion:
        return _missing(request, f"No active criterion {criterion_id}.")
    return RedirectResponse("/criteria", status_code=303)


def _editor(
    request: Request, text: str, based_on: int | None, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "criteria_editor.html",
        {"text": text, "based_on": based_on, "error": error, "max_characters": MAX_DRAFT_CHARACTERS},
        status_code=status,
    )


@pages.get("/criteria/drafts/new", response_class=HTMLResponse)
def new_draft_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.CRITERIA_DRAFT))],
    based_on: int | None = None,
    revise: str | None = None,
) -> HTMLResponse:
    desk = _desk(request)
    if based_on is not None:
        try:
            return _editor(request, desk.view(based_on).draft.text, based_on)
        except NoSuchDraft:
            return _missing(request, f"There is no criteria draft {based_on}.")
    if revise:
        try:
            return _editor(request, desk.revision_text(revise), None)
        except NoSuchCriterion:
            return _missing(request, f"There is no active criterion {revise}.")
        except DraftRefused as error:
            return _editor(request, "", None, error=str(error), status=422)
    today = _today(request)
    example = _EXAMPLE.format(
        review=(today + timedelta(days=180)).isoformat(), expiry=(today + timedelta(days=365)).isoformat()
    )
    return _editor(request, example, None)


@pages.post("/criteria/drafts", response_class=HTMLResponse, response_model=None)
def save_draft(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.CRITERIA_DRAFT))],
    text: Annotated[str, Form(max_length=MAX_DRAFT_CHARACTERS)] = "",
    based_on: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse | RedirectResponse:
    revised = int(based_on) if based_on.strip().isdigit() else None
    # Browsers send CR LF in a textarea: the draft is kept with the line ends YAML readers expect.
    text = text.replace("\r\n", "\n")
    try:
        draft = _desk(request).save(actor.username, text, based_on=revised)
    except (DraftRefused, NoSuchDraft) as error:
        return _editor(request, text, revised, error=str(error), status=422)
    return RedirectResponse(f"/criteria/drafts/{draft.id}", status_code=303)


def _draft_page(
    request: Request,
    actor: Actor,
    draft_id: int,
    *,
    fresh: BacktestResult | None = None,
    error: str | None = None,
    start: date | None = None,
    end: date | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        view = _desk(request).view(draft_id)
    except NoSuchDraft:
        return _missing(request, f"There is no criteria draft {draft_id}.")
    today = _today(request)
    kept = view.backtest
    context: dict[str, Any] = {
        "view": view,
        "result": fresh or kept,
        "fresh": fresh is not None,
        "error": error,
        "may_draft": actor.may(Action.CRITERIA_DRAFT),
        "may_approve": actor.may(Action.CRITERIA_APPROVE),
        "refused": view.approval_refused(actor.username),
        "from_date": start or (kept.start if kept else today - timedelta(days=DEFAULT_BACKTEST_DAYS)),
        "to_date": end or (kept.end if kept else today - timedelta(days=1)),
    }
    return render(request, "criteria_draft.html", context, status_code=status)


@pages.get("/criteria/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request, draft_id: int, actor: Annotated[Actor, Depends(require(Action.CRITERIA_READ))]
) -> HTMLResponse:
    return _draft_page(request, actor, draft_id)


@pages.post("/criteria/drafts/{draft_id}/backtest", response_class=HTMLResponse)
def backtest_draft(
    request: Request,
    draft_id: int,
    actor: Annotated[Actor, Depends(require(Action.CRITERIA_DRAFT))],
    from_date: Annotated[str, Form(max_length=20)] = "",
    to_date: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    try:
        start, end = date.fromisoformat(from_date), date.fromisoformat(to_date)
    except ValueError:
        return _draft_page(request, actor, draft_id, error="give the first and last flight date", status=422)
    try:
        _, result = _desk(request).backtest(actor.username, draft_id, start, end)
    except NoSuchDraft:
        return _missing(request, f"There is no criteria draft {draft_id}.")
    except (DraftRefused, InvalidRange) as error:
        return _draft_page(request, actor, draft_id, error=str(error), start=start, end=end, status=422)
    # Rendered, not redirected: the sample of matched travellers is shown once and never kept.
    return _draft_page(request, actor, draft_id, fresh=result, start=start, end=end)


@pages.post("/criteria/drafts/{draft_id}/approve", response_class=HTMLResponse, response_model=None)
def approve_draft(
    request: Request, draft_id: int, actor: Annotated[Actor, Depends(require(Action.CRITERIA_APPROVE))]
) -> HTMLResponse | RedirectResponse:
    try:
        _desk(request).approve(actor.username, draft_id)
    except NoSuchDraft:
        return _missing(request, f"There is no criteria draft {draft_id}.")
    except DraftRefused as error:
        return _draft_page(request, actor, draft_id, error=str(error), status=422)
    return RedirectResponse(f"/criteria/drafts/{draft_id}", status_code=303)


# --- watchlists --------------------------------------------------------------------------------------


def _watchlists_page(
    request: Request,
    actor: Actor,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "watchlists.html",
        {
            "versions": _lists(request).versions(),
            "may_import": actor.may(Action.WATCHLISTS_IMPORT),
            "purposes": PURPOSES,
            "max_megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
            "error": error,
            "form": form or {},
        },
        status_code=status,
    )


@pages.get("/watchlists", response_class=HTMLResponse)
def watchlists_page(
    request: Request, actor: Annotated[Actor, Depends(require(Action.WATCHLISTS_READ))]
) -> HTMLResponse:
    return _watchlists_page(request, actor)


@pages.post("/watchlists/import", response_class=HTMLResponse, response_model=None)
async def import_watchlist(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.WATCHLISTS_IMPORT))],
    *,
    file: Annotated[UploadFile | None, File()] = None,
    legal_basis: Annotated[str, Form(max_length=500)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    list_id: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse | RedirectResponse:
    facts = {
        "legal_basis": legal_basis,
        "category": category,
        "owner": owner,
        "list_id": list_id,
        "name": name,
    }
    if file is None or not file.filename:
        return await run_in_threadpool(
            _watchlists_page, request, actor, error="choose the file to import", form=facts, status=422
        )
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        stored = await run_in_threadpool(
            _lists(request).import_upload, actor.username, file.filename, data, facts
        )
    except UploadRefused as error:
        return await run_in_threadpool(
            _watchlists_page, request, actor, error=str(error), form=facts, status=422
        )
    return RedirectResponse(f"/watchlists#list-{stored.id}", status_code=303)
