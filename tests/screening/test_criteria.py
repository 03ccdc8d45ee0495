"""Pre-determined criteria: the language (parsing, with line-numbered errors and nothing half-loaded), the
linter (what the law refuses, what is too broad), evaluation with its explanation, expiry and approval,
and back-testing, which gives exactly what screening travellers one by one gives."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from openpiu.analysis.journeys import chain, segments_of
from openpiu.model import (
    Booking,
    Flight,
    Payment,
    ScheduledTime,
    Segment,
    Ticket,
    Traveller,
)
from openpiu.protection.policy import DEFAULT_CODES
from openpiu.screening.criteria import (
    ANNEX_II,
    PURPOSES,
    SENSITIVE_CODES,
    AllOf,
    AnyOf,
    Backtest,
    Comparison,
    Condition,
    CriteriaError,
    Criterion,
    LintFinding,
    Mode,
    Not,
    Operator,
    Severity,
    TravellerRef,
    backtest,
    dump_criteria,
    evaluate,
    glob_match,
    lint,
    parse_criteria,
)
from openpiu.screening.features import TravellerFeatures, traveller_features
from openpiu.synth.corpus import demo_push
from openpiu.synth.watchlists import ANNEX_II as SYNTH_ANNEX_II

TODAY = date(2026, 11, 29)

EXAMPLE = """\
# The example of docs/criteria.md
- id: C-0001
  title: One-way cash tickets bought shortly before departure from X
  owner: PIU targeting team
  purpose: annex2-04
  version: 1
  approval:
    approved_by: Head of PIU
    approved_on: 2026-11-01
  review_date: 2027-02-01
  expires_on: 2027-05-01
  priority: 2
  rationale: Couriers travel one way, pay cash and book late; frequent travellers are excluded.
  condition:
    all:
      - {feature: origin_country, in: [TR, NO]}
      - {feature: one_way, is: true}
      - {feature: form_of_payment, in: [CASH]}
      - {feature: days_booked_before_departure, at_most: 2}
      - not: {feature: frequent_flyer, is: true}
"""


def criterion(condition: Condition, **fields: object) -> Criterion:
    values: dict[str, object] = {
        "id": "C-T",
        "version": "1",
        "condition": condition,
        "title": "a test criterion",
        "owner": "targeting team",
        "purpose": "annex2-04",
        "approved_by": "head of PIU",
        "approved_on": date(2026, 11, 1),
        "review_date": date(2027, 2, 1),
        "expires_on": date(2027, 5, 1),
    }
    return Criterion(**(values | fields))  # type: ignore[arg-type]


def leaf(feature: str, operator: str, value: object) -> Comparison:
    return Comparison(feature, Operator(operator), value)  # type: ignore[arg-type]


# --- parsing -------------------------------------------------------------------------------------------


def test_the_example_parses_into_records() -> None:
    (c,) = parse_criteria(EXAMPLE, source="example.yaml")
    assert (c.id, c.version, c.purpose, c.priority, c.approved_by) == (
        "C-0001",
        "1",
        "annex2-04",
        2,
        "Head of PIU",
    )
    assert (c.approved_on, c.review_date, c.expires_on) == (
        date(2026, 11, 1),
        date(2027, 2, 1),
        date(2027, 5, 1),
    )
    assert c.approved
    assert (c.source, c.line) == ("example.yaml", 2)
    assert c.condition == AllOf(
        (
            leaf("origin_country", "in", ("TR", "NO")),  # NO is Norway, not YAML 1.1's false
            leaf("one_way", "is", True),
            leaf("form_of_payment", "in", ("CASH",)),
            leaf("days_booked_before_departure", "at_most", 2),
            Not(leaf("frequent_flyer", "is", True)),
        )
    )
    assert [cmp.line for cmp in c.comparisons()] == [16, 17, 18, 19, 20]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.id = "other"  # type: ignore[misc]


def test_values_are_read_as_the_feature_wants() -> None:
    text = """\
- id: C-2
  condition:
    any:
      - {feature: booking_agency, is: 0123}
      - {feature: booking_office, in: [yes, 1e3]}
      - {feature: flight_date, between: [2026-12-01, "2026-12-24"]}
      - {feature: bag_weight_kg, at_least: 22.5}
      - {feature: route, matches: "*-FRA-*"}
"""
    (c,) = parse_criteria(text)
    assert isinstance(c.condition, AnyOf)
    assert [cmp.value for cmp in c.comparisons()] == [
        "0123",
        ("yes", "1e3"),
        (date(2026, 12, 1), date(2026, 12, 24)),
        22.5,
        "*-FRA-*",
    ]
    assert (c.approved, c.version, c.priority) == (False, "", 3)  # a draft, with the defaults


def test_a_single_criterion_and_an_empty_file() -> None:
    (c,) = parse_criteria("id: C-3\ncondition: {feature: connections, at_least: 3}\n")
    assert c.condition == leaf("connections", "at_least", 3)
    assert parse_criteria("") == ()
    assert parse_criteria("# nothing yet\n") == ()


PARSE_ERRORS = [
    ("- id: C-1\n  condition:\n    all:\n   - {feature: one_way, is: true}\n", 4, None, "not valid YAML"),
    (
        "- id: C-1\n  expires: 2027-01-01\n  condition: {feature: one_way, is: true}\n",
        2,
        "C-1",
        "unknown key 'expires'",
    ),
    (
        "- id: C-1\n  condition:\n    {feature: one_way, equals: true}\n",
        3,
        "C-1",
        "unknown operator 'equals'",
    ),
    (
        "- id: C-1\n  condition:\n    {feature: connections, at_least: 1, at_most: 2}\n",
        3,
        "C-1",
        "exactly one operator",
    ),
    ("- id: C-1\n  condition:\n    {feature: connections}\n", 3, "C-1", "exactly one operator"),
    ("- id: C-1\n  condition:\n    {feature: connections, between: [1]}\n", 3, "C-1", "two values"),
    ("- id: C-1\n  condition:\n    all: []\n", 3, "C-1", "at least one condition"),
    ("- id: C-1\n  condition:\n    all: {feature: one_way, is: true}\n", 3, "C-1", "must be a list"),
    ("- id: C-1\n  condition:\n    - {feature: one_way, is: true}\n", 3, "C-1", "must be a mapping"),
    ("- id: C-1\n  condition:\n    all: [x]\n    any: [y]\n", 3, "C-1", "exactly one of all, any, not"),
    ("- title: no id\n  condition: {feature: one_way, is: true}\n", 1, None, "needs an id"),
    ("- id: 'C 1'\n  condition: {feature: one_way, is: true}\n", 1, None, "use letters, digits"),
    ("- id: C-1\n", 1, "C-1", "needs a condition"),
    ("- id: C-1\n  review_date: soon\n  condition: {feature: one_way, is: true}\n", 2, "C-1", "YYYY-MM-DD"),
    (
        "- id: C-1\n  review_date: 2027-02-30\n  condition: {feature: one_way, is: true}\n",
        2,
        "C-1",
        "not a calendar",
    ),
    ("- id: C-1\n  priority: 9\n  condition: {feature: one_way, is: true}\n", 2, "C-1", "1 (highest) to 5"),
    (
        "- id: C-1\n  approval: {approved_by: X, signed: Y}\n  condition: {feature: one_way, is: true}\n",
        2,
        "C-1",
        "signed",
    ),
    ("- id: C-1\n  condition: {feature: one_way, is: true, is: false}\n", 2, "C-1", "given twice"),
    ("- id: C-1\n  condition: {feature: one_way, is: }\n", 2, "C-1", "needs a value"),
    ("- id: C-1\n  condition: {feature: route, matches: [A, B]}\n", 2, "C-1", "single value"),
    (
        "- id: C-1\n  condition:\n    all:\n      - &a {feature: one_way, is: true}\n      - *a\n",
        4,
        "C-1",
        "anchors and aliases",
    ),
    ("- id: C-1\n  condition: !!python/object:os.system {feature: one_way}\n", 2, "C-1", "tags"),
    ("just a sentence\n", 1, None, "list of criteria"),
    (
        "- id: C-1\n  condition:\n"
        + "".join("  " * (i + 2) + "not:\n" for i in range(9))
        + "  " * 11
        + "{feature: one_way, is: true}\n",
        11,
        "C-1",
        "deeper than 8",
    ),
]


@pytest.mark.parametrize(("text", "line", "criterion_id", "message"), PARSE_ERRORS)
def test_parse_errors_name_the_file_line_criterion_and_problem(
    text: str, line: int, criterion_id: str | None, message: str
) -> None:
    with pytest.raises(CriteriaError) as raised:
        parse_criteria(text, source="rules.yaml")
    problem = raised.value.problems[0]
    assert (problem.source, problem.line, problem.criterion_id) == ("rules.yaml", line, criterion_id)
    assert message in problem.message
    assert str(problem).startswith(f"rules.yaml:{line}:")


def test_nothing_is_half_loaded_and_every_problem_is_reported() -> None:
    text = (
        EXAMPLE
        + "- id: C-0002\n  condition: {feature: one_way, is: true, bogus: 1}\n"
        + "- id: C-0003\n  condition: {feature: connections, at_least: 1}\n"
        + "- id: C-0001\n  condition: {feature: connections, at_least: 1}\n"
        + "- id: C-0004\n  owner: [a, b]\n  condition: {feature: connections, at_least: 1}\n"
    )
    with pytest.raises(CriteriaError) as raised:
        parse_criteria(text, source="rules.yaml")
    assert [(p.line, p.criterion_id) for p in raised.value.problems] == [
        (22, "C-0002"),
        (25, "C-0001"),
        (28, "C-0004"),
    ]
    assert "id given twice (first on line 2)" in str(raised.value)


def test_dump_reads_back_equal() -> None:
    criteria = (
        *parse_criteria(EXAMPLE),
        criterion(
            AnyOf(
                (
                    leaf("flight_date", "between", (date(2026, 12, 1), date(2026, 12, 24))),
                    leaf("booking_office", "in", ("0123", "NO", "TRUE")),
                    leaf("route", "matches", "IST-*"),
                )
            ),
            id="C-9",
            approved_by=None,
            approved_on=None,
            rationale=None,
        ),
    )
    assert parse_criteria(dump_criteria(criteria)) == criteria


def test_purposes_are_terrorism_and_the_26_annex_ii_crimes() -> None:
    assert len(ANNEX_II) == 26
    assert set(ANNEX_II) == set(SYNTH_ANNEX_II)  # the same codes as watchlist categories
    assert {"terrorism", *ANNEX_II} == PURPOSES


# --- the linter ------------------------------------------------------------------------------------------


def errors(findings: list[LintFinding]) -> list[str]:
    return [f.message for f in findings if f.severity is Severity.ERROR]


def warnings(findings: list[LintFinding]) -> list[str]:
    return [f.message for f in findings if f.severity is Severity.WARNING]


TARGETED = AllOf(
    (
        leaf("origin_country", "in", ("TR",)),
        leaf("one_way", "is", True),
        leaf("form_of_payment", "in", ("CASH",)),
        leaf("days_booked_before_departure", "at_most", 2),
    )
)


def test_a_targeted_approved_criterion_is_clean() -> None:
    assert lint(parse_criteria(EXAMPLE), on=TODAY) == []
    assert lint([criterion(TARGETED)], on=TODAY) == []


@pytest.mark.parametrize(
    "condition",
    [
        leaf("booking_office", "in", ("MOML",)),
        leaf("booking_agency", "is", "wchr"),
        leaf("booking_office", "not_in", ("ABC", "KSML")),
        leaf("route", "matches", "*KSML*"),
        leaf("booking_office", "matches", "M?ML"),  # a pattern that would match MOML
        leaf("booking_office", "is", "HALAL MEALS"),
        leaf("meal", "in", ("VGML",)),
    ],
)
def test_sensitive_values_are_refused_wherever_they_appear(condition: Comparison) -> None:
    findings = lint([criterion(AllOf((condition, *TARGETED.conditions)))])
    assert any("sensitive data" in m and "Art 6(4)" in m for m in errors(findings)), findings


@pytest.mark.parametrize("feature", ["meal_code", "ssr", "remarks", "osi_text", "health", "religion"])
def test_there_is_no_sensitive_feature(feature: str) -> None:
    findings = lint([criterion(AllOf((leaf(feature, "in", ("X",)), *TARGETED.conditions)))])
    (message,) = errors(findings)
    assert f"there is no feature {feature!r}" in message
    assert "special categories" in message


def test_every_code_the_ingest_filter_cuts_is_refused_by_the_linter() -> None:
    assert set(DEFAULT_CODES) <= set(SENSITIVE_CODES)


NATIONALITY = leaf("nationality", "in", ("SY",))
GENDER = leaf("gender", "is", "M")
AGE = leaf("age", "between", (18, 30))


@pytest.mark.parametrize(
    "condition",
    [
        NATIONALITY,
        AllOf((NATIONALITY, GENDER)),
        AllOf((NATIONALITY, AGE, leaf("traveller_type", "is", "ADULT"))),
        Not(NATIONALITY),
        AnyOf((NATIONALITY, TARGETED)),  # one way to match rests on nationality alone
        AllOf((AnyOf((AGE, GENDER)),)),
        Not(AllOf((Not(GENDER), leaf("one_way", "is", True)))),  # = gender OR not one_way
    ],
)
def test_protected_characteristics_alone_are_refused(condition: Condition) -> None:
    messages = errors(lint([criterion(condition)]))
    assert any("protected characteristics alone" in m for m in messages), messages


def test_protected_characteristics_combined_with_behaviour_are_allowed() -> None:
    findings = lint([criterion(AllOf((NATIONALITY, AGE, *TARGETED.conditions)))], on=TODAY)
    assert findings == []
    common_only = lint([criterion(AllOf((NATIONALITY, leaf("one_way", "is", True))))])
    assert not errors(common_only)
    assert any("only very common conditions" in m for m in warnings(common_only))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"owner": None}, "no owner"),
        ({"title": ""}, "no title"),
        ({"version": ""}, "no version"),
        ({"purpose": None}, "no purpose"),
        ({"purpose": "illegal immigration"}, "neither terrorism nor an Annex II code"),
        ({"review_date": None}, "no review_date"),
        ({"expires_on": None}, "no expires_on"),
        ({"review_date": date(2027, 6, 1)}, "review_date is after expires_on"),
        ({"approved_on": None}, "both approved_by and approved_on"),
        (
            {"approved_on": date(2027, 6, 1), "review_date": date(2027, 4, 1)},
            "approved_on is after expires_on",
        ),
        ({"priority": 0}, "priority 0"),
    ],
)
def test_missing_or_inconsistent_governance_is_an_error(fields: dict[str, object], message: str) -> None:
    messages = errors(lint([criterion(TARGETED, **fields)]))
    assert any(message in m for m in messages), messages


@pytest.mark.parametrize(
    ("comparison", "message"),
    [
        (leaf("departure_airport", "is", "FRA"), "unknown feature 'departure_airport'"),
        (leaf("one_way", "is", "yes"), "is not true or false"),
        (leaf("one_way", "in", (True,)), "use is, not in"),
        (leaf("days_booked_before_departure", "at_most", "two"), "is not a number"),
        (leaf("days_booked_before_departure", "at_most", True), "is not a number"),
        (leaf("flight_date", "at_least", "tomorrow"), "is not a date"),
        (leaf("origin_country", "in", ("TUR",)), "ISO 3166-1 alpha-2"),
        (leaf("origin", "is", "FRANKFURT"), "IATA airport code"),
        (leaf("form_of_payment", "is", "CASH"), "use in, not_in, matches, not is"),
        (leaf("form_of_payment", "in", ("BITCOIN",)), "is not one of"),
        (leaf("check_in_status", "is", "LATE"), "is not one of"),
        (leaf("connections", "between", (3, 1)), "3 is above 1"),
        (leaf("connections", "at_least", (1, 2)), "takes one value"),
        (leaf("connections", "in", 1), "takes a list of values"),
    ],
)
def test_unknown_features_and_type_mismatches_are_errors(comparison: Comparison, message: str) -> None:
    messages = errors(lint([criterion(AllOf((comparison, *TARGETED.conditions)))]))
    assert any(message in m for m in messages), messages


def test_findings_carry_the_line_of_the_condition() -> None:
    text = EXAMPLE.replace("{feature: one_way, is: true}", "{feature: one_way, is: maybe}")
    (finding,) = lint(parse_criteria(text), on=TODAY)
    assert (finding.severity, finding.criterion_id, finding.line) == (Severity.ERROR, "C-0001", 17)
    assert str(finding) == "line 17: error: C-0001: one_way is: 'maybe' is not true or false"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (leaf("carrier", "is", "LH"), "on carrier alone"),
        (leaf("destination_country", "in", ("TR",)), "on destination_country alone"),
        (AllOf((leaf("carrier", "is", "LH"), leaf("one_way", "is", True))), "on carrier and one_way alone"),
        (AnyOf((leaf("flight_origin_country", "is", "TR"), TARGETED)), "on flight_origin_country alone"),
        (leaf("origin", "not_in", ("FRA",)), "what the traveller is not"),
        (
            Not(AllOf((leaf("origin", "is", "FRA"), leaf("connections", "at_least", 1)))),
            "what the traveller is not",
        ),
        (AllOf((leaf("route", "matches", "**"), *TARGETED.conditions)), "matches every value"),
        (
            AllOf(
                (
                    leaf("origin", "in", tuple(f"A{c}{d}" for c in "ABCDE" for d in "ABCDE")),
                    *TARGETED.conditions,
                )
            ),
            "lists 25 values",
        ),
        (
            AllOf((AnyOf(tuple(leaf("connections", "is", n) for n in range(11))), *TARGETED.conditions)),
            "11 alternatives",
        ),
    ],
)
def test_broad_criteria_are_warned_about(condition: Condition, message: str) -> None:
    findings = lint([criterion(condition)])
    assert any(message in m for m in warnings(findings)), findings


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (date(2027, 2, 2), "review overdue since 2027-02-01"),
        (date(2027, 4, 10), "expires on 2027-05-01"),
        (date(2027, 5, 2), "expired on 2027-05-01"),
    ],
)
def test_review_and_expiry_are_watched(on: date, message: str) -> None:
    assert any(message in m for m in warnings(lint([criterion(TARGETED)], on=on)))
    assert lint([criterion(TARGETED)], on=TODAY) == []


def test_review_at_least_yearly() -> None:
    late = criterion(TARGETED, review_date=date(2028, 1, 1), expires_on=date(2028, 6, 1))
    assert any("at least yearly" in m for m in warnings(lint([late])))


def test_a_condition_too_complex_to_check_is_refused() -> None:
    wide = AllOf(
        tuple(AnyOf((leaf("connections", "is", 1), leaf("connections", "is", 2))) for _ in range(12))
    )
    assert any("too complex" in m for m in errors(lint([criterion(wide)])))


def test_duplicate_ids_across_files() -> None:
    assert "id given twice" in errors(lint([criterion(TARGETED), criterion(TARGETED)]))


# --- evaluation ------------------------------------------------------------------------------------------

FRA_IST = Flight(
    "TK",
    "1590",
    "FRA",
    "IST",
    ScheduledTime.at("FRA", datetime(2026, 12, 1, 10, 0)),
    ScheduledTime.at("IST", datetime(2026, 12, 1, 14, 20)),
)
IST_FRA = Flight(
    "TK",
    "1591",
    "IST",
    "FRA",
    ScheduledTime.at("IST", datetime(2026, 11, 30, 16, 0)),
    ScheduledTime.at("FRA", datetime(2026, 11, 30, 18, 30)),
)


def features(
    pushed: Flight = IST_FRA, payment: str = "CA", created: datetime | None = None, **fields: object
) -> TravellerFeatures:
    who = Traveller("EXAMPLE", "ALEX", ref="1", tickets=(Ticket("1", payments=(Payment(payment),)),))
    b = Booking(
        "ABC123",
        created_at=created or datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
        travellers=(who,),
        segments=(Segment(flight=pushed, status="HK"),),
    )
    found = traveller_features(pushed, b, who, TODAY)
    return dataclasses.replace(found, **fields) if fields else found  # type: ignore[arg-type]


def test_a_match_explains_every_condition_with_both_values() -> None:
    (c,) = parse_criteria(EXAMPLE)
    result = evaluate(c, features())
    assert result.matched
    assert result.active
    assert [(x.feature, x.actual, x.expected, x.held, x.negated, x.line) for x in result.explanation] == [
        ("origin_country", "TR", ("TR", "NO"), True, False, 16),
        ("one_way", True, True, True, False, 17),
        ("form_of_payment", frozenset({"CASH"}), ("CASH",), True, False, 18),
        ("days_booked_before_departure", 1, 2, True, False, 19),
        ("frequent_flyer", False, True, False, True, 20),
    ]
    assert result.explain().splitlines() == [
        "C-0001 v1: matched",
        "  origin_country = TR; criterion: in [TR, NO]: holds",
        "  one_way = true; criterion: is true: holds",
        "  form_of_payment = {CASH}; criterion: in [CASH]: holds",
        "  days_booked_before_departure = 1; criterion: at_most 2: holds",
        "  frequent_flyer = false; criterion: is true: does not hold (the criterion needs it not to)",
    ]
    evidence = result.evidence()
    assert [(f.feature, f.query, f.candidate, f.score) for f in evidence][-2:] == [
        ("days_booked_before_departure", "1", "at_most 2", 1.0),
        ("frequent_flyer", "false", "not is true", 1.0),
    ]


ENTERED = """\
- id: C-0002
  title: Entered the Schengen area from TR within 10 days, onward on a separate booking
  owner: PIU targeting team
  purpose: annex2-11
  version: 1
  approval: {approved_by: Head of PIU, approved_on: 2026-11-01}
  review_date: 2027-02-01
  expires_on: 2027-05-01
  condition:
    all:
      - {feature: schengen_entry_country, in: [TR]}
      - {feature: days_since_schengen_entry, at_most: 10}
      - {feature: broken_travel, is: true}
"""


def _flight(designator: str, origin: str, destination: str, departs: str, arrives: str) -> Flight:
    return Flight(
        designator[:2],
        designator[2:],
        origin,
        destination,
        departure=ScheduledTime.at(origin, datetime.fromisoformat(departs)),
        arrival=ScheduledTime.at(destination, datetime.fromisoformat(arrives)),
    )


def test_journey_features_fire_only_with_a_travel_history_and_explain_their_values() -> None:
    (c,) = parse_criteria(ENTERED)
    assert [f for f in lint([c], on=TODAY) if f.severity is Severity.ERROR] == []
    inbound = _flight("TK1591", "IST", "FRA", "2026-12-01T07:00", "2026-12-01T09:10")
    onward = _flight("LH1001", "FRA", "BRU", "2026-12-01T11:30", "2026-12-01T12:35")
    first = Booking(
        locator="AAA111", segments=(Segment(inbound, status="HK"),), travellers=(Traveller("X", ref="1"),)
    )
    second = dataclasses.replace(first, locator="BBB222", segments=(Segment(onward, status="HK"),))
    history = chain([*segments_of(first), *segments_of(second)])
    who = second.travellers[0]
    assert not evaluate(c, traveller_features(onward, second, who, TODAY)).matched  # no history: unknown
    result = evaluate(c, traveller_features(onward, second, who, TODAY, history=history))
    assert result.matched
    lines = result.explain().splitlines()
    assert lines[1] == (
        "  schengen_entry_country = TR (TK1591 IST to FRA arriving 2026-12-01 (bookings AAA111)); "
        "criterion: in [TR]: holds"
    )
    assert lines[3].startswith(
        "  broken_travel = true (TK1591 IST (TR) to FRA (DE) on booking AAA111, then 2 h 20 min"
    )
    assert result.evidence()[2].query.startswith("true (TK1591")
    run = Backtest([c], as_of=TODAY)
    assert run.add(onward, second, who) == ()
    assert [r.criterion_id for r in run.add(onward, second, who, history=history)] == ["C-0002"]
    assert run.report().criteria[0].travellers == 1


def test_no_match_says_which_condition_failed() -> None:
    (c,) = parse_criteria(EXAMPLE)
    result = evaluate(c, features(payment="CC"))
    assert not result.matched
    failed = [x for x in result.explanation if x.held == x.negated]
    assert [(x.feature, x.actual) for x in failed] == [("form_of_payment", frozenset({"CARD"}))]


@pytest.mark.parametrize(
    ("comparison", "value", "held"),
    [
        (leaf("origin", "is", "ist"), "IST", True),  # texts compare in any case
        (leaf("origin", "in", ("FRA", "IST")), "IST", True),
        (leaf("origin", "not_in", ("FRA",)), "IST", True),
        (leaf("origin", "not_in", ("FRA",)), None, False),  # unknown never holds, not even not_in
        (leaf("origin", "is", "IST"), None, False),
        (leaf("route", "matches", "*-IST-*"), "FRA-IST-DXB", True),
        (leaf("route", "matches", "*-IST-*"), "IST-DXB", False),
        (leaf("via", "in", ("IST", "DOH")), frozenset({"IST"}), True),
        (leaf("via", "not_in", ("IST",)), frozenset({"DOH"}), True),
        (leaf("via", "not_in", ("IST",)), frozenset(), False),
        (leaf("via", "matches", "D*"), frozenset({"IST", "DOH"}), True),
        (leaf("connections", "at_least", 2), 2, True),
        (leaf("connections", "at_most", 1), 2, False),
        (leaf("connections", "between", (1, 3)), 3, True),
        (leaf("connections", "in", (0, 1)), 2, False),
        (leaf("connections", "is", 2), 2, True),
        (leaf("connections", "is", "2"), 2, False),  # a type mismatch never holds
        (leaf("flight_date", "between", (date(2026, 12, 1), date(2026, 12, 24))), date(2026, 12, 24), True),
        (leaf("flight_date", "at_least", date(2026, 12, 2)), date(2026, 12, 1), False),
        (leaf("one_way", "is", False), False, True),
        (leaf("one_way", "is", False), None, False),
        (leaf("form_of_payment", "is", "CASH"), frozenset({"CASH"}), False),  # `is` is not for sets
        (leaf("no_such_feature", "is", "X"), None, False),
    ],
)
def test_comparisons(comparison: Comparison, value: object, held: bool) -> None:
    base = features()
    if comparison.feature in TravellerFeatures.__dataclass_fields__:
        base = dataclasses.replace(base, **{comparison.feature: value})
    result = evaluate(criterion(comparison), base)
    assert result.matched is held
    assert result.explanation[0].actual == value


def test_not_turns_an_unknown_value_into_a_match() -> None:
    result = evaluate(criterion(Not(leaf("origin", "is", "FRA"))), features(origin=None))
    assert result.matched


@pytest.mark.parametrize(
    ("pattern", "text", "matched"),
    [
        ("*", "", True),
        ("*", "ANYTHING", True),
        ("?", "", False),
        ("IST-*", "IST-FRA", True),
        ("IST-*", "FRA-IST", False),
        ("*-IST", "FRA-IST", True),
        ("*a*b", "AXXB", True),
        ("A?C", "ABC", True),
        ("A?C", "AC", False),
        ("[AB]", "A", False),  # no character classes: a bracket is a bracket
        ("[AB]", "[AB]", True),
        (".*", "X", False),  # no regular expressions either
    ],
)
def test_glob(pattern: str, text: str, matched: bool) -> None:
    assert glob_match(pattern, text) is matched


def test_glob_has_no_catastrophic_backtracking() -> None:
    # CPU time, not wall time: in a parallel run the process may wait for a CPU, which proves nothing.
    started = time.process_time()
    assert not glob_match("*A*A*A*A*A*A*A*A*A*A*A*B", "A" * 5000)
    assert time.process_time() - started < 1.0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"approved_by": None, "approved_on": None}, "draft: not approved"),
        ({"approved_on": date(2026, 12, 1)}, "not in force yet"),
        ({"expires_on": date(2026, 11, 28), "review_date": date(2026, 11, 20)}, "expired on 2026-11-28"),
        ({"expires_on": None}, "no expiry date"),
    ],
)
def test_in_production_only_approved_criteria_in_force_match(fields: dict[str, object], reason: str) -> None:
    c = criterion(TARGETED, **fields)
    found = features()
    production = evaluate(c, found)
    assert (production.matched, production.active, production.explanation) == (False, False, ())
    assert reason in (production.inactive_reason or "")
    assert reason in production.explain()
    assert evaluate(c, found, mode=Mode.BACKTEST).matched  # drafts and expired ones can be back-tested
    assert evaluate(criterion(TARGETED), found).matched


def test_expiry_is_inclusive() -> None:
    c = criterion(TARGETED, expires_on=TODAY, review_date=TODAY)
    assert evaluate(c, features()).matched
    assert c.status(TODAY) == "approved"
    assert c.status(date(2026, 11, 30)) == "expired"
    assert criterion(TARGETED, approved_by=None, approved_on=None).status(TODAY) == "draft"


# --- back-testing --------------------------------------------------------------------------------------

BACKTESTED = (
    criterion(
        AllOf((leaf("form_of_payment", "in", ("CASH",)), leaf("connections", "at_least", 1))), id="C-1"
    ),
    criterion(
        AllOf((leaf("one_way", "is", True), leaf("days_booked_before_departure", "at_most", 30))),
        id="C-2",
        approved_by=None,
        approved_on=None,
    ),
    criterion(AllOf((leaf("connections", "at_most", 0), Not(leaf("frequent_flyer", "is", True)))), id="C-3"),
    criterion(leaf("origin", "is", "XXX"), id="C-4"),  # matches nobody
)


def screenings(seed: int, bookings: int) -> list[tuple[Flight, Booking, Traveller]]:
    push = demo_push(seed=seed, bookings=bookings)
    assert push.flight is not None
    return [(push.flight, b, t) for b in push.bookings for t in b.travellers]


@pytest.mark.parametrize("seed", [3, 11])
def test_backtest_gives_exactly_what_screening_one_by_one_gives(seed: int) -> None:
    data = screenings(seed, 150) + screenings(seed + 1, 60)
    report = backtest(BACKTESTED, data, sample_size=5, on=TODAY)
    # screening each traveller in turn, independently of Backtest
    expected: dict[str, list[tuple[Flight, Booking, Traveller]]] = {c.id: [] for c in BACKTESTED}
    for flight, b, who in data:
        day = flight.departure.local.date() if flight.departure else TODAY
        found = traveller_features(flight, b, who, day)
        for c in BACKTESTED:
            if evaluate(c, found, mode=Mode.BACKTEST).matched:
                expected[c.id].append((flight, b, who))
    assert report.travellers == len(data)
    assert report.flights == len(
        {(f.designator, f.departure.local.date() if f.departure else None) for f, _, _ in data}
    )
    assert report.bookings == len({(f.designator, b.locator) for f, b, _ in data})
    for result in report.criteria:
        matched = expected[result.criterion_id]
        assert result.travellers == len(matched), result.criterion_id
        assert result.flights == len({f.designator for f, _, _ in matched})
        assert result.bookings == len({(f.designator, b.locator) for f, b, _ in matched})
        assert result.sample == tuple(
            TravellerRef(
                f.designator, f.departure.local.date() if f.departure else None, b.locator, w.ref or ""
            )
            for f, b, w in matched[:5]
        )
    assert [c.travellers > 0 for c in report.criteria] == [True, True, True, False]
    assert [c.status for c in report.criteria] == ["approved", "draft", "approved", "approved"]


def test_backtest_in_parts_equals_backtest_at_once() -> None:
    data = screenings(5, 120)
    run = Backtest(BACKTESTED, sample_size=3)
    matched = [run.add(*triple) for triple in data]
    assert run.report() == backtest(BACKTESTED, data, sample_size=3)
    assert sum(len(m) for m in matched) == sum(c.travellers for c in run.report().criteria)
    assert backtest(BACKTESTED, reversed(data)).criteria[0].travellers == run.report().criteria[0].travellers


def test_backtest_report_as_json() -> None:
    report = backtest(BACKTESTED[:1], screenings(3, 40), sample_size=2)
    data = report.to_dict()
    (one,) = data["criteria"]  # type: ignore[misc]
    assert one["id"] == "C-1"
    assert one["share"] == round(one["travellers"] / report.travellers, 6)
    assert all(ref.count("/") == 3 for ref in one["sample"])


# --- the command line ------------------------------------------------------------------------------------

DAY = date(2026, 11, 30)
# The command lints on the real today: the dates are put relative to it (review in 90 days, expiry in 180).
_NOW = datetime.now(UTC).date()
REVIEW, EXPIRY = (_NOW + timedelta(days=90)).isoformat(), (_NOW + timedelta(days=180)).isoformat()
CLEAN_FILE = f"""\
- id: C-ALL
  title: Everyone on the day's flights (a calibration criterion)
  owner: PIU targeting team
  purpose: terrorism
  version: 2
  approval: null
  review_date: {REVIEW}
  expires_on: {EXPIRY}
  condition:
    all:
      - {{feature: flight_date, between: [2026-11-29, 2026-12-01]}}
      - {{feature: connections, at_least: 0}}
- id: C-CASH
  title: Cash, booked late
  owner: PIU targeting team
  purpose: annex2-04
  version: 1
  review_date: {REVIEW}
  expires_on: {EXPIRY}
  condition:
    all:
      - {{feature: form_of_payment, in: [CASH]}}
      - {{feature: days_booked_before_departure, at_most: 60}}
"""
REFUSED = f"""\
- id: C-NAT
  title: Nationality alone
  owner: PIU targeting team
  purpose: terrorism
  version: 1
  review_date: {REVIEW}
  expires_on: {EXPIRY}
  condition: {{feature: nationality, in: [SY]}}
"""


@pytest.fixture(scope="module")
def stored_day(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small generated day ingested into a temporary SQLite database."""
    from openpiu.clock import FixedClock
    from openpiu.services.ingest import ingest_paths
    from openpiu.store import upgrade
    from openpiu.synth.world import generate, world_params

    folder = tmp_path_factory.mktemp("criteria-world")
    generate(world_params(scale=0.0003, seed=1, start=DAY.isoformat()), folder)
    url = f"sqlite:///{folder / 'openpiu.db'}"
    upgrade(url)
    ingest_paths(
        [folder / "messages"], url=url, clock=FixedClock(datetime(2026, 11, 29, 6, tzinfo=UTC)), readers=0
    )
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from openpiu.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "criteria.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_lint_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "criteria", "lint", write(tmp_path, CLEAN_FILE))
    assert code == 0
    assert "2 criteria: 0 errors, 0 warnings" in out

    broad = CLEAN_FILE + "- id: C-LH\n  title: t\n  owner: o\n  purpose: terrorism\n  version: 1\n"
    broad += f"  review_date: {REVIEW}\n  expires_on: {EXPIRY}\n  condition: {{feature: carrier, is: LH}}\n"
    code, out, _ = run(capsys, "criteria", "lint", write(tmp_path, broad))
    assert code == 0  # warnings are printed, they do not fail
    assert "criteria.yaml:31: warning: C-LH: it can match on carrier alone" in out
    assert "0 errors, 1 warnings" in out

    code, out, _ = run(capsys, "criteria", "lint", write(tmp_path, REFUSED))
    assert code == 1
    assert "criteria.yaml:8: error: C-NAT: it can match on protected characteristics alone" in out

    code, out, _ = run(
        capsys, "criteria", "lint", write(tmp_path, "- id: C-1\n  condition: {feature: x, is: 1, in: [2]}\n")
    )
    assert code == 1
    assert "criteria.yaml:2: error: C-1: x: give exactly one operator" in out
    assert "0 criteria: 1 errors" in out

    code, _, err = run(capsys, "criteria", "lint", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "no such file" in err


def test_cli_test_backtests_the_stored_day(
    stored_day: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpiu.clock import SystemClock
    from openpiu.store import open_store

    store = open_store(stored_day, clock=SystemClock())
    try:
        flights = store.find_flights(flight_date=DAY)
        travellers = sum(len(store.current_travellers(f.id)) for f in flights)
    finally:
        store.close()
    assert flights
    assert travellers > 50

    path = write(tmp_path, CLEAN_FILE)
    args = ("criteria", "test", path, "--from", "2026-11-29", "--to", "2026-12-01", "--db", stored_day)
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    data = json.loads(out)
    report = data["backtest"]
    assert (report["travellers"], report["flights"]) == (travellers, len(flights))
    everyone, cash = report["criteria"]
    assert (everyone["id"], everyone["version"], everyone["status"]) == ("C-ALL", "2", "draft")
    assert (everyone["travellers"], everyone["flights"], everyone["share"]) == (travellers, len(flights), 1.0)
    assert 0 < cash["travellers"] < travellers
    assert len(cash["sample"]) == min(10, cash["travellers"])
    designators = {f.flight.designator for f in flights}
    for ref in cash["sample"]:
        designator, day, locator, _traveller = ref.split("/")
        assert designator in designators
        assert day == DAY.isoformat()
        assert locator
    assert (data["findings"], data["skipped"]) == ([], [])

    code, out, _ = run(capsys, *args)
    assert code == 0
    assert f"{travellers} travellers" in out
    assert "C-CASH" in out
    assert "100.00%" in out


def test_cli_test_skips_refused_criteria(
    stored_day: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, CLEAN_FILE + REFUSED)
    code, out, err = run(
        capsys, "criteria", "test", path, "--from", "2026-11-30", "--to", "2026-11-30", "--db", stored_day
    )
    assert code == 1
    assert "not back-tested (errors): C-NAT" in err
    assert "C-ALL" in out
    assert "C-NAT" not in out


@pytest.mark.parametrize(
    ("dates", "message"),
    [(("2026-12-01", "2026-11-30"), "before it starts"), (("2026-11-31", "2026-12-01"), "YYYY-MM-DD")],
)
def test_cli_test_usage_errors(
    stored_day: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], dates: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, CLEAN_FILE)
    code, _, err = run(
        capsys, "criteria", "test", path, "--from", dates[0], "--to", dates[1], "--db", stored_day
    )
    assert code == 2
    assert message in err
