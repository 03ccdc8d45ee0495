"""The analyst's screens: the day's board, the hit queue, a hit and its decision, a flight's manifest, a
booking's versions, a traveller, and search; as pages, and the hit queue and decisions as a JSON API.

Each route declares the action it needs (``Depends(require(...))``), calls a service
(`openpiu.services.review`, `.travel`, `.search`) that records the read of personal data in the audit log
before it returns anything, and renders. Decisions are POSTed forms with the session's CSRF token (the
JSON API takes it as the ``X-CSRF-Token`` header); a decision without a reason is refused and the page
shown again with the reason why. Times are shown in UTC, and schedule times also in the airport's local
time, each labelled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import BaseModel, Field

from openpiu.clock import Clock
from openpiu.model import (
    DecisionOutcome,
    HitKind,
    PartialDate,
    ScheduledTime,
    Transmission,
    TransmissionState,
)
from openpiu.model.access import Action, Actor
from openpiu.model.airports import zone_of
from openpiu.services.audit import AuditQuery
from openpiu.services.network import PAGE_NODES
from openpiu.services.review import HitDetail, HitQuery, HitState, NoSuchHit, QueueItem
from openpiu.services.search import Search, SearchRefused
from openpiu.services.transmission import NoSuchTransmission, TransmissionError, TransmissionQuery
from openpiu.services.travel import NoSuchRecord
from openpiu.services.workplace import Workplace
from openpiu.web.maps import journey_map
from openpiu.web.security import require
from openpiu.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["review"])

PAGE_SIZE: Final = 100
#: A stored row's id in a path: the databases' 64-bit integers (SQLite refuses larger ones outright).
RowId = Annotated[int, FastApiPath(ge=1, le=2**63 - 1)]
#: A priority as lists and criteria give it.
Priority = Annotated[int, Query(ge=1, le=9)]


def _workplace(request: Request) -> Workplace:
    return cast(Workplace, request.app.state.workplace)


def _clock(request: Request) -> Clock:
    return _workplace(request).clock


def _search(request: Request) -> Search:
    return _workplace(request).search


def instant(value: datetime, airport: str) -> str:
    """A UTC instant in the airport's local time and in UTC, both labelled."""
    zone = zone_of(airport)
    utc = value.astimezone(UTC)
    if zone is None:
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    try:
        local = value.astimezone(ZoneInfo(zone))
    except ZoneInfoNotFoundError:
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} local {airport} · {utc:%H:%M} UTC"


def schedule(time: ScheduledTime | None) -> str:
    """A schedule time in the airport's local time and in UTC, both labelled."""
    if time is None:
        return "—"
    local = time.local.strftime("%Y-%m-%d %H:%M")
    where = f" {time.airport}" if time.airport else ""
    if not time.time_known:
        return f"{time.local:%Y-%m-%d}{where} (no time given)"
    if time.utc is None:
        return f"{local} local{where}"
    return f"{local} local{where} · {time.utc.astimezone(UTC):%H:%M} UTC"


def left(delta: timedelta | None) -> str:
    """Time left as "2 h 05 min" (or "landed 10 min ago")."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    text = f"{abs(minutes) // 60} h {abs(minutes) % 60:02d} min"
    return text if minutes >= 0 else f"{text} ago"


def _missing(request: Request, what: str) -> HTMLResponse:
    return render(request, "error.html", {"title": "Not found", "detail": what}, status_code=404)


# --- pages -----------------------------------------------------------------------------------------


@pages.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.DASHBOARD_VIEW))],
    day: date | None = None,
) -> HTMLResponse:
    now = _clock(request).now()
    board = _workplace(request).travel.dashboard(day or now.astimezone(UTC).date(), now)
    return render(request, "dashboard.html", {"board": board, "schedule": schedule, "left": left})


def _query(
    state: HitState = HitState.OPEN,
    priority: Priority | None = None,
    kind: HitKind | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HitQuery:
    return HitQuery(
        state=state, priority=priority, kind=kind, limit=PAGE_SIZE, offset=(max(1, page) - 1) * PAGE_SIZE
    )


@pages.get("/hits", response_class=HTMLResponse)
def queue_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.HITS_READ))],
    query: Annotated[HitQuery, Depends(_query)],
) -> HTMLResponse:
    page = _workplace(request).review.queue(actor.username, query)
    now = _clock(request).now()
    return render(
        request,
        "queue.html",
        {
            "page": page,
            "states": list(HitState),
            "kinds": list(HitKind),
            "now": now,
            "left": left,
            "number": query.offset // PAGE_SIZE + 1,
            "pages": max(1, -(-page.total // PAGE_SIZE)),
        },
    )


def _hit_page(
    request: Request,
    actor: Actor,
    hit_id: RowId,
    *,
    error: str | None = None,
    transmit_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        detail = _workplace(request).review.detail(actor.username, hit_id)
    except NoSuchHit:
        return _missing(request, f"There is no hit {hit_id}.")
    return render(
        request,
        "hit.html",
        {
            "detail": detail,
            "may_decide": actor.may(Action.HITS_DECIDE),
            "error": error,
            "may_transmit": actor.may(Action.TRANSMISSIONS_REQUEST),
            "transmit_error": transmit_error,
            "transmissions": _transmissions_of(request, hit_id),
            "recipients": [
                (f"{a.id}/{action}", f"{a.name}: {action.replace('_', ' ')}")
                for a in _workplace(request).transmitter.authorities
                for action in a.actions
            ],
            "outcomes": list(DecisionOutcome),
            "schedule": schedule,
        },
        status_code=status,
    )


@pages.get("/hits/{hit_id}", response_class=HTMLResponse)
def hit_page(
    request: Request, hit_id: RowId, actor: Annotated[Actor, Depends(require(Action.HITS_READ))]
) -> HTMLResponse:
    return _hit_page(request, actor, hit_id)


@pages.post("/hits/{hit_id}/decisions", response_class=HTMLResponse, response_model=None)
def decide_page(
    request: Request,
    hit_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.HITS_DECIDE))],
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    try:
        chosen = DecisionOutcome(outcome)
    except ValueError:
        return _hit_page(request, actor, hit_id, error="choose confirm or dismiss", status=422)
    try:
        _workplace(request).review.decide(actor.username, hit_id, chosen, reason)
    except NoSuchHit:
        return _missing(request, f"There is no hit {hit_id}.")
    except ValueError as error:
        return _hit_page(request, actor, hit_id, error=str(error), status=422)
    return RedirectResponse(f"/hits/{hit_id}", status_code=303)


@pages.get("/flights/{flight_id}", response_class=HTMLResponse)
def flight_page(
    request: Request, flight_id: RowId, actor: Annotated[Actor, Depends(require(Action.TRAVEL_READ))]
) -> HTMLResponse:
    try:
        view = _workplace(request).travel.flight(actor.username, flight_id)
    except NoSuchRecord:
        return _missing(request, f"There is no flight {flight_id}.")
    return render(request, "flight.html", {"view": view, "schedule": schedule})


@pages.get("/bookings/{booking_id}", response_class=HTMLResponse)
def booking_page(
    request: Request, booking_id: RowId, actor: Annotated[Actor, Depends(require(Action.TRAVEL_READ))]
) -> HTMLResponse:
    try:
        view = _workplace(request).travel.booking(actor.username, booking_id)
    except NoSuchRecord:
        return _missing(request, f"There is no booking {booking_id}.")
    return render(request, "booking.html", {"view": view, "schedule": schedule})


@pages.get("/travellers/{traveller_id}", response_class=HTMLResponse)
def traveller_page(
    request: Request, traveller_id: RowId, actor: Annotated[Actor, Depends(require(Action.TRAVEL_READ))]
) -> HTMLResponse:
    try:
        view = _workplace(request).travel.traveller(actor.username, traveller_id)
    except NoSuchRecord:
        return _missing(request, f"There is no traveller {traveller_id}.")
    workplace = _workplace(request)
    context: dict[str, Any] = {
        "view": view,
        "schedule": schedule,
        "instant": instant,
        # a traveller not resolved into an identity (a group's seat held under a placeholder name) has none
        "travel": None,
        "travel_map": None,
        "may_follow": False,
    }
    identity = workplace.journeys.identity_of_traveller(traveller_id)
    if identity is not None:
        # Audited by the service, as a read of the identity (the network is its own request).
        travel = workplace.journeys.journeys(actor.username, identity, reason="view the traveller")
        context["travel"] = travel
        context["travel_map"] = (
            Markup(journey_map(travel.history.journeys)) if travel.history.journeys else None
        )
        context["may_follow"] = actor.may(Action.FOLLOWS_MANAGE)
        context["follow_max_days"] = workplace.follows.max_days
    return render(request, "traveller.html", context)


@pages.get("/travellers/{traveller_id}/network", response_class=HTMLResponse)
def traveller_network_page(
    request: Request,
    traveller_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.TRAVEL_READ))],
    fragment: bool = False,
) -> HTMLResponse:
    """The traveller's network: its own page, or (``fragment``) the section the traveller's page fetches
    once it is shown, so the page does not wait for three hops of the store."""
    workplace = _workplace(request)
    identity = workplace.journeys.identity_of_traveller(traveller_id)
    network = None
    if identity is not None:
        # Audited by the service, as a read of the identity.
        network = workplace.networks.network(
            actor.username, identity, reason="view the traveller", max_nodes=PAGE_NODES
        )
    context = {"network": network, "traveller_id": traveller_id}
    return render(request, "network_section.html" if fragment else "traveller_network.html", context)


@pages.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.TRAVEL_SEARCH))],
    *,
    kind: str = "name",
    purpose: str = "",
    surname: str = "",
    given_names: str = "",
    date_of_birth: str = "",
    locator: str = "",
    carrier: str = "",
    number: str = "",
    from_date: date | None = None,
    to_date: date | None = None,
) -> HTMLResponse:
    today = _clock(request).now().astimezone(UTC).date()
    start, end = from_date or today - timedelta(days=7), to_date or today + timedelta(days=2)
    form = {
        "kind": kind,
        "purpose": purpose,
        "surname": surname,
        "given_names": given_names,
        "date_of_birth": date_of_birth,
        "locator": locator,
        "carrier": carrier,
        "number": number,
        "from_date": start,
        "to_date": end,
    }
    context: dict[str, Any] = {"form": form, "names": None, "bookings": None, "flights": None, "error": None}
    asked = bool(surname or locator or carrier)
    status = 200
    if asked:
        search = _search(request)
        try:
            if kind == "name":
                birth = PartialDate.from_iso(date_of_birth) if date_of_birth.strip() else None
                context["names"] = search.by_name(
                    actor.username,
                    purpose,
                    surname=surname,
                    given_names=given_names or None,
                    date_of_birth=birth,
                    from_date=start,
                    to_date=end,
                )
            elif kind == "locator":
                context["bookings"] = search.by_locator(actor.username, purpose, locator)
            elif kind == "flight":
                context["flights"] = search.by_flight(
                    actor.username, purpose, flight_date=start, carrier=carrier, number=number or None
                )
            else:
                raise SearchRefused("search by name, locator or flight")
        except (SearchRefused, ValueError) as error:
            context["error"] = str(error)
            status = 422
    return render(request, "search.html", context, status_code=status)


# --- JSON API --------------------------------------------------------------------------------------


class FeatureOut(BaseModel):
    feature: str
    query: str | None
    candidate: str | None
    score: float
    contribution: float


class HitOut(BaseModel):
    id: int
    kind: HitKind
    priority: int
    score: float
    flight_date: date
    flight_id: int | None
    booking_id: int | None
    traveller_id: int | None
    api_person_id: int | None
    list_id: str | None
    source_id: str
    source_version: str
    outcome: DecisionOutcome | None
    decided_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    explanation: list[FeatureOut]
    # an API person's hit taken over by the hit of the traveller they were merged with: decide that one
    superseded_by: int | None = None


class QueueItemOut(BaseModel):
    hit: HitOut
    flight: str
    departure_utc: datetime | None
    locator: str | None
    traveller_name: str


class QueueOut(BaseModel):
    total: int
    items: list[QueueItemOut]


class DecisionIn(BaseModel):
    outcome: DecisionOutcome
    reason: str = Field(min_length=1, description="why, in words another analyst and the DPO can read")


class DecisionOut(BaseModel):
    id: int
    hit_id: int
    outcome: DecisionOutcome
    reason: str
    decided_by: str
    decided_at: datetime
    supersedes: int | None


def _hit_out(item: Any) -> HitOut:
    hit = item.hit
    return HitOut(
        id=item.id,
        kind=hit.kind,
        priority=hit.priority,
        score=hit.score,
        flight_date=item.flight_date,
        flight_id=hit.flight_id,
        booking_id=hit.booking_id,
        traveller_id=hit.traveller_id,
        api_person_id=hit.api_person_id,
        list_id=hit.list_id,
        source_id=hit.source_id,
        source_version=hit.source_version,
        outcome=item.outcome,
        decided_at=item.decided_at,
        first_seen_at=item.first_seen_at,
        last_seen_at=item.last_seen_at,
        superseded_by=item.superseded_by,
        explanation=[
            FeatureOut(
                feature=f.feature,
                query=None if f.query is None else str(f.query),
                candidate=None if f.candidate is None else str(f.candidate),
                score=f.score,
                contribution=f.contribution,
            )
            for f in hit.explanation
        ],
    )


def _queue_item_out(item: QueueItem) -> QueueItemOut:
    return QueueItemOut(
        hit=_hit_out(item.hit),
        flight=item.flight,
        departure_utc=item.departure_utc,
        locator=item.locator,
        traveller_name=item.traveller_name,
    )


@api.get("/hits", response_model=QueueOut)
def queue_api(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.HITS_READ))],
    *,
    state: HitState = HitState.OPEN,
    priority: Priority | None = None,
    kind: HitKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> QueueOut:
    query = HitQuery(state=state, priority=priority, kind=kind, limit=limit, offset=offset)
    page = _workplace(request).review.queue(actor.username, query)
    return QueueOut(total=page.total, items=[_queue_item_out(i) for i in page.items])


@api.get("/hits/{hit_id}", response_model=HitOut)
def hit_api(
    request: Request, hit_id: RowId, actor: Annotated[Actor, Depends(require(Action.HITS_READ))]
) -> HitOut:
    try:
        detail: HitDetail = _workplace(request).review.detail(actor.username, hit_id)
    except NoSuchHit as error:
        raise HTTPException(404, str(error)) from error
    return _hit_out(detail.hit)


@api.post("/hits/{hit_id}/decisions", response_model=DecisionOut, status_code=201)
def decide_api(
    request: Request,
    hit_id: RowId,
    body: DecisionIn,
    actor: Annotated[Actor, Depends(require(Action.HITS_DECIDE))],
) -> DecisionOut:
    try:
        decided = _workplace(request).review.decide(actor.username, hit_id, body.outcome, body.reason)
    except NoSuchHit as error:
        raise HTTPException(404, str(error)) from error
    except ValueError as error:
        raise HTTPException(422, str(error)) from error
    return DecisionOut(
        id=decided.id,
        hit_id=hit_id,
        outcome=decided.decision.outcome,
        reason=decided.decision.reason,
        decided_by=decided.decision.decided_by,
        decided_at=decided.decided_at,
        supersedes=decided.supersedes,
    )


# --- transmission ----------------------------------------------------------------------------------


def _transmissions_of(request: Request, hit_id: int) -> list[Transmission]:
    return _workplace(request).transmitter.for_hit(hit_id)


@pages.post("/hits/{hit_id}/transmissions", response_class=HTMLResponse, response_model=None)
def request_transmission_page(
    request: Request,
    hit_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.TRANSMISSIONS_REQUEST))],
    recipient: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    authority_id, _, action = recipient.partition("/")
    try:
        made = _workplace(request).transmitter.request(actor.username, hit_id, authority_id, action, note)
    except NoSuchHit:
        return _missing(request, f"There is no hit {hit_id}.")
    except (TransmissionError, ValueError) as error:
        return _hit_page(request, actor, hit_id, transmit_error=str(error), status=422)
    return RedirectResponse(f"/transmissions/{made.id}", status_code=303)


@pages.get("/transmissions", response_class=HTMLResponse)
def transmissions_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.TRANSMISSIONS_REQUEST))],
    state: TransmissionState | None = None,
) -> HTMLResponse:
    found = _workplace(request).transmitter.list(actor.username, TransmissionQuery(state=state))
    return render(
        request,
        "transmissions.html",
        {"transmissions": found, "state": state, "states": list(TransmissionState)},
    )


def _transmission_page(
    request: Request, actor: Actor, transmission_id: int, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    try:
        detail = _workplace(request).transmitter.detail(actor.username, transmission_id)
    except NoSuchTransmission:
        return _missing(request, f"There is no transmission {transmission_id}.")
    return render(
        request,
        "transmission.html",
        {
            "detail": detail,
            "may_approve": actor.may(Action.TRANSMISSIONS_APPROVE),
            "own": detail.transmission.requested_by.casefold() == actor.username.casefold(),
            "error": error,
            "schedule": schedule,
        },
        status_code=status,
    )


@pages.get("/transmissions/{transmission_id}", response_class=HTMLResponse)
def transmission_page(
    request: Request,
    transmission_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.TRANSMISSIONS_REQUEST))],
) -> HTMLResponse:
    return _transmission_page(request, actor, transmission_id)


@pages.post("/transmissions/{transmission_id}/decision", response_class=HTMLResponse, response_model=None)
def decide_transmission_page(
    request: Request,
    transmission_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.TRANSMISSIONS_APPROVE))],
    choice: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    transmitter = _workplace(request).transmitter
    try:
        if choice == "approve":
            transmitter.approve(actor.username, transmission_id, reason)
        elif choice == "reject":
            transmitter.reject(actor.username, transmission_id, reason)
        elif choice == "retry":
            transmitter.retry(actor.username, transmission_id)
        else:
            raise ValueError("approve, reject or retry")
    except NoSuchTransmission:
        return _missing(request, f"There is no transmission {transmission_id}.")
    except (TransmissionError, ValueError) as error:
        return _transmission_page(request, actor, transmission_id, error=str(error), status=422)
    return RedirectResponse(f"/transmissions/{transmission_id}", status_code=303)


# --- the audit log (data protection officer, supervisory authority) --------------------------------


def _instant(day: date | None, *, end: bool = False) -> datetime | None:
    if day is None:
        return None
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment + timedelta(days=1, microseconds=-1) if end else moment


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.AUDIT_READ))],
    *,
    who: str = "",
    action: str = "",
    subject: str = "",
    since: date | None = None,
    until: date | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    query = AuditQuery(
        actor=who.strip() or None,
        action=action.strip() or None,
        subject=subject.strip() or None,
        since=_instant(since),
        until=_instant(until, end=True),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    events = _workplace(request).audit.search(actor.username, query)
    form = {"who": who, "action": action, "subject": subject, "since": since, "until": until}
    return render(request, "audit.html", {"events": events, "form": form, "page": page, "size": PAGE_SIZE})


@pages.get("/audit/verify", response_class=HTMLResponse)
def audit_verify_page(
    request: Request, actor: Annotated[Actor, Depends(require(Action.AUDIT_READ))]
) -> HTMLResponse:
    result = _workplace(request).audit.verify(actor.username)
    return render(request, "audit_verify.html", {"result": result})
