"""Use cases of pre-determined criteria: lint a criteria file, back-test it over the stored bookings.

A supervisor writes criteria in a YAML file (docs/criteria.md), lints it (`openpiu criteria lint FILE`:
the law's refusals and good practice), and back-tests it over the bookings the database holds for a range
of flight dates (`openpiu criteria test FILE --from DATE --to DATE`) to see how many travellers and flights
each criterion would have put before an analyst, before anyone approves it. A criterion the linter refuses
is not back-tested: it may not be used at all, not even to count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from openpiu.clock import Clock
from openpiu.model import Booking, Flight, Traveller
from openpiu.screening.criteria import (
    BacktestReport,
    CriteriaError,
    CriteriaProblem,
    Criterion,
    LintFinding,
    Severity,
    backtest,
    dump_criteria,
    lint,
    parse_criteria,
)
from openpiu.store import CriterionSpec, Store, open_store

__all__ = [
    "MAX_DAYS",
    "CriteriaTest",
    "InvalidRange",
    "LintResult",
    "NotActivated",
    "activate_file",
    "lint_file",
    "read_criteria",
    "test_file",
]

#: The longest range of flight dates one back-test reads.
MAX_DAYS = 366


class InvalidRange(ValueError):
    """A range of flight dates that cannot be back-tested (empty, or longer than MAX_DAYS)."""


@dataclasses.dataclass(frozen=True, slots=True)
class LintResult:
    """A criteria file as read and linted: its criteria (none when it cannot be read) and the findings."""

    path: Path
    criteria: tuple[Criterion, ...]
    findings: tuple[LintFinding, ...]
    readable: bool = True  # False: the file could not be read or parsed, and nothing of it was loaded

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refused(self) -> frozenset[str]:
        """The ids of the criteria with errors."""
        return frozenset(f.criterion_id for f in self.errors if f.criterion_id)


def read_criteria(path: str | Path) -> tuple[Criterion, ...]:
    """The criteria of a file; CriteriaError (with lines) when it cannot be read or parsed."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CriteriaError([CriteriaProblem(shown, None, None, f"cannot read the file: {error}")]) from None
    return parse_criteria(text, source=shown)


def lint_file(path: str | Path, *, on: date | None = None) -> LintResult:
    """Read and lint a criteria file; ``on`` (today) enables the review and expiry checks."""
    try:
        criteria = read_criteria(path)
    except CriteriaError as error:
        findings = tuple(
            LintFinding(Severity.ERROR, problem.criterion_id, problem.message, problem.line)
            for problem in error.problems
        )
        return LintResult(Path(path), (), findings, readable=False)
    return LintResult(Path(path), criteria, tuple(lint(criteria, on=on)))


@dataclasses.dataclass(frozen=True, slots=True)
class CriteriaTest:
    """A back-test of a criteria file: the lint, and what the criteria without errors matched."""

    lint: LintResult
    start: date
    end: date
    report: BacktestReport | None  # None when the file could not be read
    skipped: tuple[str, ...] = ()  # criteria refused by the linter: not back-tested

    def to_dict(self) -> dict[str, object]:
        return {
            "file": str(self.lint.path),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "findings": [
                {"severity": str(f.severity), "id": f.criterion_id, "line": f.line, "message": f.message}
                for f in self.lint.findings
            ],
            "skipped": list(self.skipped),
            "backtest": self.report.to_dict() if self.report is not None else None,
        }


def _screenings(store: Store, start: date, end: date) -> Iterator[tuple[Flight, Booking, Traveller]]:
    day = start
    while day <= end:
        for stored_flight in store.find_flights(flight_date=day):
            for stored in store.current_bookings(stored_flight.id, include_cancelled=False):
                for traveller in stored.booking.travellers:
                    yield stored_flight.flight, stored.booking, traveller
        day += timedelta(days=1)


def test_file(
    path: str | Path,
    url: str,
    start: date,
    end: date,
    clock: Clock,
    *,
    sample_size: int = 10,  # noqa: PT028
    actor: str = "cli",  # noqa: PT028
) -> CriteriaTest:
    """Back-test the criteria of a file over the current bookings of the flights from ``start`` to ``end``.

    The file is linted first; criteria with errors are not back-tested. Drafts are back-tested (that is
    what back-testing is for). InvalidRange when the range is empty or longer than :data:`MAX_DAYS`.
    """
    if end < start:
        raise InvalidRange(f"the range ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRange(f"back-test at most {MAX_DAYS} days of flights at once")
    today = clock.now().date()
    linted = lint_file(path, on=today)
    if not linted.readable:
        return CriteriaTest(linted, start, end, None)
    refused = linted.refused()
    usable = [c for c in linted.criteria if c.id not in refused]
    store = open_store(url, clock=clock)
    try:
        report = backtest(
            usable, _screenings(store, start, end), as_of=today, sample_size=sample_size, on=today
        )
        # Back-testing reads stored personal data (Art 6(2)(c): analysis to create criteria): audited.
        store.record(
            actor=actor,
            action="criteria.backtested",
            subject=f"flights {start.isoformat()}..{end.isoformat()}",
            reason="analysis to create or update criteria (Art 6(2)(c))",
            details={"criteria": [c.id for c in usable]},
        )
    finally:
        store.close()
    skipped = tuple(c.id for c in linted.criteria if c.id in refused)
    return CriteriaTest(linted, start, end, report, skipped)


test_file.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever imports it


class NotActivated(ValueError):
    """The file's criteria cannot be activated (errors, or not approved); the message says which and why."""


def activate_file(path: str | Path, url: str, clock: Clock, *, actor: str) -> list[CriterionSpec]:
    """Activate every criterion of a file: each must lint without errors, be approved and in force.

    Nothing is activated when one criterion is refused. Each activation is recorded in the audit log.
    """
    today = clock.now().date()
    linted = lint_file(path, on=today)
    problems = [f"{f.criterion_id or '-'}: {f.message}" for f in linted.errors]
    for criterion in linted.criteria:
        reason = criterion.inactive_reason(today)
        if reason is not None:
            problems.append(f"{criterion.id}: {reason}")
    if problems or not linted.criteria:
        raise NotActivated("; ".join(problems) or "the file holds no criterion")
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
        for c in linted.criteria
    ]
    store = open_store(url, clock=clock)
    try:
        activated = []
        for spec in specs:
            activated.append(store.activate_criterion(spec, actor=actor))
            store.record(
                actor=actor,
                action="criterion.activated",
                subject=f"criterion {spec.criterion_id} version {spec.version}",
                reason=f"approved by {spec.approved_by} on {spec.approved_on}",
                details={"purpose": spec.purpose, "expires_on": str(spec.expires_on)},
            )
        return activated
    finally:
        store.close()
