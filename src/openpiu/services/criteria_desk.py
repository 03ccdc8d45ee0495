"""Use cases of the supervisors' criteria pages: the active criteria and their review dates, drafts written
in the browser, their lint and back-test, approval by a second supervisor, and deactivation.

A draft is kept as written (a revision is a new draft), so what was linted and back-tested is exactly what
is approved. Approval is refused unless the draft lints without errors, carries no approval of its own
(the approval is recorded here: who approved, and when), was back-tested, and was written by someone
else: criteria are human-authored, reviewed and approved (Art 6(4) of Directive 2016/681, C-817/19), and
a PIU keeps four eyes on what decides whom analysts look at. Approving activates the criteria; every step
is in the audit log. Back-testing reads the stored bookings of the flight dates chosen: an audited read
whose counts (never who matched) are kept with the draft.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

from openpiu.clock import Clock
from openpiu.model import Booking, Flight, Traveller
from openpiu.screening.criteria import (
    ANNEX_II,
    EXPIRY_NEAR,
    TERRORISM,
    Backtest,
    CriteriaError,
    Criterion,
    LintFinding,
    Severity,
    dump_criteria,
    lint,
    parse_criteria,
)
from openpiu.services.criteria import MAX_DAYS, InvalidRange
from openpiu.store import CriteriaDraft, CriterionSpec, InvalidTransition, NotFound, Store

__all__ = [
    "MAX_DRAFT_CHARACTERS",
    "PURPOSES",
    "REVIEW_SOON",
    "ActiveCriterion",
    "BacktestResult",
    "CriteriaDesk",
    "CriterionDay",
    "CriterionOutcome",
    "DayScreened",
    "DraftRefused",
    "DraftView",
    "InvalidRange",
    "NoSuchCriterion",
    "NoSuchDraft",
]

#: The longest draft kept (a file of a few dozen criteria is a few thousand characters).
MAX_DRAFT_CHARACTERS: Final = 100_000
#: A review date or an expiry this close is flagged on the criteria page (the linter's window).
REVIEW_SOON: Final = EXPIRY_NEAR
#: The purposes a criterion or a watchlist may serve, with their names, for forms.
PURPOSES: Final[tuple[tuple[str, str], ...]] = (
    (TERRORISM, "terrorist offences"),
    *sorted(ANNEX_II.items()),
)
#: How many matched travellers a fresh back-test shows (as flight/date/locator/traveller references).
SAMPLE_SIZE: Final = 10


class NoSuchDraft(NotFound):
    """No criteria draft with that id."""


class NoSuchCriterion(NotFound):
    """No active criterion with that id."""


class DraftRefused(ValueError):
    """The draft cannot be kept, back-tested or approved; the message says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class ActiveCriterion:
    """An active criterion and what needs a supervisor's attention about it on ``on``."""

    spec: CriterionSpec
    on: date
    flags: tuple[str, ...]

    @property
    def attention(self) -> bool:
        return bool(self.flags)


def _flags(spec: CriterionSpec, on: date) -> tuple[str, ...]:
    flags = []
    if spec.review_date is not None:
        if spec.review_date < on:
            flags.append(f"review overdue since {spec.review_date.isoformat()}")
        elif spec.review_date - on <= REVIEW_SOON:
            flags.append(f"review due in {(spec.review_date - on).days} days")
    if spec.expires_on is None:
        flags.append("no expiry date: it never matches")
    elif spec.expires_on < on:
        flags.append(f"expired on {spec.expires_on.isoformat()}: it no longer matches")
    elif spec.expires_on - on <= REVIEW_SOON:
        flags.append(f"expires in {(spec.expires_on - on).days} days")
    return tuple(flags)


@dataclasses.dataclass(frozen=True, slots=True)
class DayScreened:
    day: date
    travellers: int
    flights: int


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionDay:
    day: date
    travellers: int  # travellers the criterion would have flagged on the day's flights
    flights: int  # flights with at least one of them


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionOutcome:
    criterion_id: str
    version: str
    travellers: int
    bookings: int
    flights: int
    share: float  # of all travellers screened
    days: tuple[CriterionDay, ...]
    sample: tuple[str, ...] = ()  # only in a fresh back-test: references are not kept with the draft


@dataclasses.dataclass(frozen=True, slots=True)
class BacktestResult:
    """What each criterion would have flagged over a range of flight dates, per day."""

    start: date
    end: date
    travellers: int
    bookings: int
    flights: int
    days: tuple[DayScreened, ...]
    criteria: tuple[CriterionOutcome, ...]
    skipped: tuple[str, ...] = ()  # refused by the linter: not back-tested

    def summary(self) -> dict[str, Any]:
        """The counts as a JSON document kept with the draft (no references to travellers)."""
        return {
            "travellers": self.travellers,
            "bookings": self.bookings,
            "flights": self.flights,
            "days": [[d.day.isoformat(), d.travellers, d.flights] for d in self.days],
            "skipped": list(self.skipped),
            "criteria": [
                {
                    "id": c.criterion_id,
                    "version": c.version,
                    "travellers": c.travellers,
                    "bookings": c.bookings,
                    "flights": c.flights,
                    "share": round(c.share, 6),
                    "days": [[d.day.isoformat(), d.travellers, d.flights] for d in c.days],
                }
                for c in self.criteria
            ],
        }

    @classmethod
    def from_summary(cls, start: date, end: date, summary: Mapping[str, Any]) -> BacktestResult:
        return cls(
            start=start,
            end=end,
            travellers=int(summary["travellers"]),
            bookings=int(summary["bookings"]),
            flights=int(summary["flights"]),
            days=tuple(DayScreened(date.fromisoformat(d), int(t), int(f)) for d, t, f in summary["days"]),
            skipped=tuple(summary.get("skipped", ())),
            criteria=tuple(
                CriterionOutcome(
                    criterion_id=c["id"],
                    version=c["version"],
                    travellers=int(c["travellers"]),
                    bookings=int(c["bookings"]),
                    flights=int(c["flights"]),
                    share=float(c["share"]),
                    days=tuple(CriterionDay(date.fromisoformat(d), int(t), int(f)) for d, t, f in c["days"]),
                )
                for c in summary["criteria"]
            ),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class DraftView:
    """A draft as read and linted on ``on``, its kept back-test, and what stands in the way of approval."""

    draft: CriteriaDraft
    criteria: tuple[Criterion, ...]
    findings: tuple[LintFinding, ...]
    readable: bool
    backtest: BacktestResult | None

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def approval_refused(self, approver: str) -> list[str]:
        """Why ``approver`` may not approve this draft (empty when they may)."""
        draft = self.draft
        if draft.approved_at is not None:
            return [f"approved by {draft.approved_by} at {draft.approved_at.isoformat()}"]
        reasons = []
        if not self.readable or not self.criteria:
            reasons.append("the text cannot be read as criteria")
        elif self.errors:
            reasons.append(f"the linter found {len(self.errors)} errors")
        if draft.backtest is None:
            reasons.append("it was not back-tested")
        if draft.author.casefold() == approver.casefold():
            reasons.append("you wrote it: another supervisor approves it (four eyes)")
        return reasons


def _screenings(store: Store, day: date) -> Iterator[tuple[int, Flight, Booking, Traveller]]:
    """Every traveller of the current (not cancelled) bookings of the day's flights, with the flight id."""
    for stored_flight in store.find_flights(flight_date=day):
        for stored in store.current_bookings(stored_flight.id, include_cancelled=False):
            for traveller in stored.booking.travellers:
                yield stored_flight.id, stored_flight.flight, stored.booking, traveller


def _draft_findings(criteria: Sequence[Criterion]) -> list[LintFinding]:
    """What is wrong in a draft beyond the linter: the approval is recorded on approval, not written."""
    return [
        LintFinding(
            Severity.ERROR,
            c.id,
            "a draft carries no approval (set `approval: null`): approving the draft here records who "
            "approved it and when",
            c.line,
        )
        for c in criteria
        if c.approved_by or c.approved_on
    ]


class CriteriaDesk:
    """The criteria pages' use cases on one store (thread-safe: it keeps no state)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _today(self) -> date:
        return self.clock.now().date()

    # --- active criteria ---------------------------------------------------------------------------

    def active(self) -> list[ActiveCriterion]:
        """The active criteria (no personal data), each with its review and expiry flags for today."""
        today = self._today()
        return [ActiveCriterion(spec, today, _flags(spec, today)) for spec in self.store.active_criteria()]

    def revision_text(self, criterion_id: str) -> str:
        """The active criterion's text without its approval, as the start of a new version's draft."""
        spec = next((s for s in self.store.active_criteria() if s.criterion_id == criterion_id), None)
        if spec is None:
            raise NoSuchCriterion(f"no active criterion {criterion_id}")
        try:
            criteria = parse_criteria(spec.source, source=f"criterion {criterion_id}")
        except CriteriaError as error:
            raise DraftRefused(f"the active text of {criterion_id} cannot be read: {error}") from None
        return dump_criteria(dataclasses.replace(c, approved_by=None, approved_on=None) for c in criteria)

    def deactivate(self, actor: str, criterion_id: str, reason: str) -> None:
        """Stop screening with the criterion (NotFound when it is not active); the reason is kept."""
        reason = reason.strip()
        if not reason:
            raise DraftRefused("say why the criterion is deactivated")
        if not self.store.deactivate_criterion(criterion_id, actor=actor):
            raise NoSuchCriterion(f"no active criterion {criterion_id}")
        self.store.record(
            actor=actor, action="criterion.deactivated", subject=f"criterion {criterion_id}", reason=reason
        )

    # --- drafts ------------------------------------------------------------------------------------

    def drafts(self, *, limit: int = 100) -> list[CriteriaDraft]:
        return self.store.drafts(limit=limit)

    def save(self, author: str, text: str, *, based_on: int | None = None) -> CriteriaDraft:
        """Keep a draft as written (lint errors too: the page shows them and approval refuses them)."""
        if not text.strip():
            raise DraftRefused("the draft is empty: write or paste the criteria (YAML)")
        if len(text) > MAX_DRAFT_CHARACTERS:
            raise DraftRefused(f"a draft holds at most {MAX_DRAFT_CHARACTERS} characters")
        try:
            return self.store.save_draft(text, author=author, based_on=based_on)
        except NotFound:
            raise NoSuchDraft(f"no criteria draft {based_on} to revise") from None

    def _draft(self, draft_id: int) -> CriteriaDraft:
        draft = self.store.draft(draft_id)
        if draft is None:
            raise NoSuchDraft(f"no criteria draft {draft_id}")
        return draft

    def view(self, draft_id: int) -> DraftView:
        """The draft, linted for today, with its kept back-test."""
        draft = self._draft(draft_id)
        try:
            criteria = parse_criteria(draft.text, source=f"draft {draft.id}")
        except CriteriaError as error:
            findings = tuple(
                LintFinding(Severity.ERROR, p.criterion_id, p.message, p.line) for p in error.problems
            )
            return DraftView(draft, (), findings, readable=False, backtest=None)
        findings = (*lint(criteria, on=self._today()), *_draft_findings(criteria))
        kept = draft.backtest
        backtest = None if kept is None else BacktestResult.from_summary(kept.start, kept.end, kept.summary)
        return DraftView(draft, criteria, tuple(findings), readable=True, backtest=backtest)

    def backtest(self, actor: str, draft_id: int, start: date, end: date) -> tuple[DraftView, BacktestResult]:
        """Run the draft's criteria without errors over the flights of ``start``..``end``.

        The read of the stored bookings is recorded in the audit log with the counts kept with the draft;
        the sample of matched travellers is returned, not kept.
        """
        if end < start:
            raise InvalidRange(f"the range ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        if (end - start).days + 1 > MAX_DAYS:
            raise InvalidRange(f"back-test at most {MAX_DAYS} days of flights at once")
        view = self.view(draft_id)
        if view.draft.approved_at is not None:
            raise DraftRefused("this draft is approved: revise it to back-test a new version")
        if not view.readable:
            raise DraftRefused("the text cannot be read as criteria: correct it first")
        refused = {f.criterion_id for f in view.errors if f.criterion_id}
        usable = [c for c in view.criteria if c.id not in refused]
        if not usable:
            raise DraftRefused("every criterion of the draft has errors: nothing to back-test")
        result = self._run(usable, start, end, skipped=tuple(c.id for c in view.criteria if c.id in refused))
        try:
            kept = self.store.record_backtest(
                draft_id,
                actor=actor,
                start=start,
                end=end,
                summary=result.summary(),
                criteria=[c.id for c in usable],
            )
        except InvalidTransition as error:
            raise DraftRefused(str(error)) from None
        return dataclasses.replace(view, draft=kept, backtest=result), result

    def _run(
        self, criteria: Sequence[Criterion], start: date, end: date, *, skipped: tuple[str, ...]
    ) -> BacktestResult:
        today = self._today()
        run = Backtest(criteria, as_of=today, sample_size=SAMPLE_SIZE)
        index = {c.id: i for i, c in enumerate(criteria)}
        screened: list[DayScreened] = []
        per_day: list[list[CriterionDay]] = [[] for _ in criteria]
        day = start
        while day <= end:
            travellers, flights = 0, set()
            matched = [0] * len(criteria)
            matched_flights: list[set[int]] = [set() for _ in criteria]
            for flight_id, flight, booking, traveller in _screenings(self.store, day):
                travellers += 1
                flights.add(flight_id)
                for result in run.add(flight, booking, traveller):
                    i = index[result.criterion_id]
                    matched[i] += 1
                    matched_flights[i].add(flight_id)
            screened.append(DayScreened(day, travellers, len(flights)))
            for i in range(len(criteria)):
                per_day[i].append(CriterionDay(day, matched[i], len(matched_flights[i])))
            day += timedelta(days=1)
        report = run.report(on=today)
        return BacktestResult(
            start=start,
            end=end,
            travellers=report.travellers,
            bookings=report.bookings,
            flights=report.flights,
            days=tuple(screened),
            skipped=skipped,
            criteria=tuple(
                CriterionOutcome(
                    criterion_id=c.criterion_id,
                    version=c.version,
                    travellers=c.travellers,
                    bookings=c.bookings,
                    flights=c.flights,
                    share=c.share(report.travellers),
                    days=tuple(per_day[i]),
                    sample=tuple(str(ref) for ref in c.sample),
                )
                for i, c in enumerate(report.criteria)
            ),
        )

    def approve(self, actor: str, draft_id: int) -> list[CriterionSpec]:
        """Approve the draft as ``actor`` (today) and activate its criteria; DraftRefused says why not."""
        view = self.view(draft_id)
        refused = view.approval_refused(actor)
        if refused:
            raise DraftRefused("this draft cannot be approved: " + "; ".join(refused))
        today = self._today()
        approved = [dataclasses.replace(c, approved_by=actor, approved_on=today) for c in view.criteria]
        problems = [f"{c.id}: {reason}" for c in approved if (reason := c.inactive_reason(today)) is not None]
        if problems:
            raise DraftRefused("it would not be in force: " + "; ".join(problems))
        specs = [
            CriterionSpec(
                criterion_id=c.id,
                version=c.version,
                title=c.title,
                owner=c.owner or "",
                purpose=c.purpose or "",
                source=dump_criteria([c]),
                approved_by=c.approved_by,
                approved_on=c.approved_on,
                review_date=c.review_date,
                expires_on=c.expires_on,
            )
            for c in approved
        ]
        try:
            self.store.approve_draft(draft_id, specs, actor=actor)
        except InvalidTransition as error:
            raise DraftRefused(str(error)) from None
        return specs
