"""The FastAPI application: carriers push messages to ``POST /api/v1/push``; ``GET /health`` for monitoring;
the analyst web application's pages (:mod:`openpiu.web.pages`) behind sign-in (:mod:`openpiu.web.security`).

``create_app`` builds the application; ``openpiu serve`` hands uvicorn ``openpiu.web.app:serve_app``
(``factory=True``), which is ``create_app`` with the settings from the environment and the start-up's objects
frozen out of the garbage collector's way. The application holds one
:class:`~openpiu.services.push.PushReceiver` (one store) and one
:class:`~openpiu.services.accounts.AccountService` from startup to shutdown. Every route has an access rule
(:func:`~openpiu.web.security.check_route_rules` refuses to build the application otherwise).

The push route, in order: HTTP Basic credentials (401 before the body is read), the size limit (413, from
``Content-Length`` and again while the body streams in, so a chunked body cannot grow past it), an empty
body (400), then the pipeline: 202 when every message was kept, 422 when a message was quarantined (it is
kept in the inbox with the reason), 503 when the database fails. Service errors become HTTP answers in one
place (:func:`_service_error`). Logs name the carrier, message ids and counts only.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openpiu.clock import Clock, SystemClock
from openpiu.model.access import Action, Actor
from openpiu.services.accounts import AccountService, HashParameters
from openpiu.services.carriers import CarrierError
from openpiu.services.push import (
    EmptyPush,
    NotAuthenticated,
    PushError,
    PushFailed,
    PushReceiver,
    PushTooLarge,
    PushUnavailable,
)
from openpiu.services.workplace import Workplace
from openpiu.settings import Settings
from openpiu.web import casefiles, follows, operations, pages, review, supervision
from openpiu.web.security import AccessError, SecurityHeaders, check_route_rules, require
from openpiu.web.templating import STATIC_DIR, access_error

__all__ = ["PUSH_PATH", "create_app", "serve_app"]

_log = logging.getLogger(__name__)

PUSH_PATH: Final = "/api/v1/push"
_REALM: Final = "openpiu push"
_AUTHENTICATE: Final = {"WWW-Authenticate": f'Basic realm="{_REALM}"'}
_RETRY_AFTER_SECONDS: Final = "60"

#: Each service error, the HTTP status it becomes and the code in the answer (most specific first).
_ERRORS: Final[tuple[tuple[type[Exception], int, str], ...]] = (
    (NotAuthenticated, 401, "not_authenticated"),
    (EmptyPush, 400, "empty_body"),
    (PushTooLarge, 413, "too_large"),
    (PushUnavailable, 503, "unavailable"),
    (CarrierError, 503, "unavailable"),
    (PushFailed, 500, "internal_error"),
    (PushError, 400, "bad_push"),
)

#: Content types a carrier may send; the body is read as bytes whatever the type says.
_CONTENT_TYPES: Final = (
    "application/edifact",
    "application/EDIFACT",
    "text/plain",
    "application/xml",
    "text/xml",
    "application/octet-stream",
)


# --- the answers, as documented in OpenAPI -------------------------------------------------------------


class MessageOut(BaseModel):
    id: int = Field(description="the inbox message id")
    state: str = Field(description="received, parsed, stored, screened or quarantined")
    duplicate: bool = Field(description="the same bytes were received before (counted, not stored again)")
    reason: str | None = Field(description="why the message was quarantined (no message content)")


class CountsOut(BaseModel):
    messages: int
    duplicates: int
    stored: int
    quarantined: int
    passenger_lists: int
    bookings: int
    travellers: int


class ReceiptOut(BaseModel):
    receipt: str | None = Field(
        description="M-<first message id>; the same bytes again give the same receipt"
    )
    carrier: str
    accepted: bool = Field(description="every message was kept and none is quarantined")
    messages: list[MessageOut]
    counts: CountsOut


class ErrorOut(BaseModel):
    error: str = Field(description="a short code: not_authenticated, empty_body, too_large, unavailable")
    detail: str = Field(description="what went wrong and what to do, for people")


class HealthOut(BaseModel):
    status: str = Field(description="ok, or unavailable")


# --- wiring ----------------------------------------------------------------------------------------


def serve_app() -> FastAPI:
    """The application as ``openpiu serve`` runs it (uvicorn's factory): settings from the environment,
    and what start-up made frozen out of the garbage collector's way once it has started."""
    return create_app(freeze_start_up=True)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    hashing: HashParameters | None = None,
    freeze_start_up: bool = False,
) -> FastAPI:
    """The application; ``settings`` from the ``OPENPIU_*`` environment when ``None``.

    ``hashing``: the argon2id cost of new password hashes (tests make it cheap; the default is RFC 9106's).
    ``freeze_start_up``: once started, move what start-up made out of the garbage collector's way (see
    :func:`serve_app`); only for a process that runs this one application.
    """
    settings = settings if settings is not None else Settings.from_env()
    clock = clock if clock is not None else SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_route_rules(app)  # routes added after create_app are held to the same rule
        receiver = await run_in_threadpool(PushReceiver, settings, clock)
        try:
            app.state.accounts = await run_in_threadpool(
                AccountService.open, settings, clock, hashing=hashing
            )
        except BaseException:
            receiver.close()
            raise
        app.state.receiver = receiver
        # the analysts' screens read through their own store (the push endpoint keeps its own)
        workplace = await run_in_threadpool(Workplace.open, settings, clock)
        app.state.workplace = workplace
        if freeze_start_up:
            # The modules, the application and its services live as long as the process: a full
            # collection walked them all (about 150,000 objects, a tenth of a second under load)
            # every few hundred requests, finding nothing. Frozen, it walks only what came since.
            gc.collect()
            gc.freeze()
        _log.info("push endpoint ready (largest body %d bytes)", receiver.max_bytes)
        try:
            yield
        finally:
            workplace.close()
            app.state.accounts.close()
            receiver.close()

    app = FastAPI(
        title="openpiu",
        summary="An open Passenger Information Unit: the carriers' push endpoint and the analysts' pages.",
        version="0.1.0",
        lifespan=lifespan,
        # The OpenAPI document is served to signed-in operators only (below); Swagger UI and ReDoc are
        # off: they load scripts from a CDN, which the Content-Security-Policy forbids.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_middleware(SecurityHeaders, hsts=not settings.allow_plain_http)
    app.add_exception_handler(PushError, _service_error)
    app.add_exception_handler(CarrierError, _service_error)
    app.add_exception_handler(AccessError, access_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(_router)
    app.include_router(pages.router)
    app.include_router(review.pages)
    app.include_router(review.api)
    app.include_router(casefiles.pages)
    app.include_router(supervision.pages)
    app.include_router(operations.pages)
    app.include_router(follows.pages)
    check_route_rules(app)
    return app


async def _service_error(_request: Request, error: Exception) -> JSONResponse:
    """The one place where service errors become HTTP answers."""
    status, code = next((s, c) for kind, s, c in _ERRORS if isinstance(error, kind))
    headers: dict[str, str] = {}
    if status == 401:
        headers.update(_AUTHENTICATE)
    elif status == 503:
        headers["Retry-After"] = _RETRY_AFTER_SECONDS
    _log.info("push refused: %d %s", status, code)
    return JSONResponse({"error": code, "detail": str(error)}, status_code=status, headers=headers)


def _receiver(request: Request) -> PushReceiver:
    return cast(PushReceiver, request.app.state.receiver)


_basic = HTTPBasic(
    auto_error=False,
    realm=_REALM,
    description="the carrier's name (e.g. LH) and the token `openpiu carrier add` printed",
)


def _carrier(
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    receiver: Annotated[PushReceiver, Depends(_receiver)],
) -> str:
    if credentials is None:
        return receiver.authenticate(None, None)
    return receiver.authenticate(credentials.username, credentials.password)


# --- routes ----------------------------------------------------------------------------------------

_router = APIRouter()

_ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": ErrorOut, "description": "the body is empty"},
    401: {"model": ErrorOut, "description": "no credentials, wrong token, unknown or disabled carrier"},
    413: {"model": ErrorOut, "description": "the body is larger than OPENPIU_MAX_PUSH_BYTES"},
    422: {
        "model": ReceiptOut,
        "description": "a message could not be read or stored: it is kept in the inbox, quarantined, "
        "with the reason in the receipt",
    },
    500: {"model": ErrorOut, "description": "an unexpected error: what was received is kept; retry later"},
    503: {"model": ErrorOut, "description": "the database does not answer: push the same bytes again later"},
}


@_router.post(
    PUSH_PATH,
    status_code=202,
    response_model=ReceiptOut,
    summary="Push PNRGOV (EDIFACT or XML) or PAXLST messages",
    description=(
        "The request body is the message bytes as the carrier's system produced them (one or more "
        "EDIFACT interchanges, or one XML document); the content type is not used to read it. Every "
        "message is kept in the inbox before the answer is sent; the same bytes pushed again are "
        "recognised and counted, not stored twice."
    ),
    responses={
        202: {"description": "every message was kept (stored, parsed, or a duplicate)"},
        **_ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in _CONTENT_TYPES},
        }
    },
)
async def push(
    request: Request,
    carrier: Annotated[str, Depends(_carrier)],
    receiver: Annotated[PushReceiver, Depends(_receiver)],
) -> JSONResponse:
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit():
        receiver.check_size(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        receiver.check_size(size)  # a chunked body, or one longer than it said, is cut off here
        chunks.append(chunk)
    if size == 0:
        raise EmptyPush("the body is empty: send the message bytes as the request body")
    receipt = await run_in_threadpool(receiver.receive, b"".join(chunks), carrier=carrier)
    return JSONResponse(receipt.to_dict(), status_code=202 if receipt.accepted else 422)


@_router.get("/openapi.json", include_in_schema=False)
def openapi(
    request: Request, _actor: Annotated[Actor, Depends(require(Action.OPERATIONS_READ))]
) -> JSONResponse:
    """The OpenAPI document of the API, for operators and integrators."""
    return JSONResponse(request.app.openapi())


@_router.get(
    "/health",
    response_model=HealthOut,
    summary="Whether the service and its database answer",
    responses={503: {"model": HealthOut, "description": "the database does not answer"}},
)
def health(receiver: Annotated[PushReceiver, Depends(_receiver)]) -> JSONResponse:
    result = receiver.health()
    return JSONResponse(result, status_code=200 if result.get("status") == "ok" else 503)
