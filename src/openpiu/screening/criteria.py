"""Pre-determined criteria (Art 6(3)(b) of Directive 2016/681): a small declarative language, its linter,
their evaluation with an explanation, and back-testing.

A criterion is written by a person, in YAML, and says in plain conditions on the features of
:mod:`openpiu.screening.features` which travellers an analyst should look at, for what crime, who owns it,
who approved it and until when::

    - id: C-0001
      title: One-way cash tickets bought shortly before departure from X
      owner: PIU targeting team
      purpose: annex2-04            # terrorism, or an Annex II code (ANNEX_II)
      version: 1
      approval: {approved_by: Head of PIU, approved_on: 2026-11-01}   # null: a draft
      review_date: 2027-02-01
      expires_on: 2027-05-01
      priority: 2
      condition:
        all:
          - {feature: origin_country, in: [XX, YY]}
          - {feature: one_way, is: true}
          - {feature: form_of_payment, in: [CASH]}
          - {feature: days_booked_before_departure, at_most: 2}

Conditions nest with ``all``, ``any`` and ``not``; a comparison names one feature and one operator:
``is``, ``in``, ``not_in``, ``at_least``, ``at_most``, ``between`` (both ends included) and ``matches`` (a
glob: ``*`` any text, ``?`` one character; nothing else is special, and matching takes linear space and at
most quadratic time, whatever the pattern). Nothing is ever evaluated as code. The language is
deterministic and has no weights: what matches is what the text says (C-817/19: no self-learning).

The linter (:func:`lint`) refuses what the law forbids: a criterion that uses sensitive data (there is no
such feature, and values such as the meal and health codes MOML, KSML or WCHR are refused wherever they
appear) or that could match on protected characteristics alone (Art 6(4)); a criterion without owner,
purpose, review date or expiry; and it warns when a criterion is too broad to be targeted, or when its review
is overdue or its expiry near.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Final, TypeAlias

import pycountry
import yaml

from openpiu.model.airports import airport
from openpiu.model.journeys import TravelHistory
from openpiu.model.screening import Feature
from openpiu.model.travel import Booking, Flight, Traveller
from openpiu.screening.features import (
    FEATURES,
    CodeKind,
    FeatureSpec,
    FeatureType,
    FeatureValue,
    TravellerFeatures,
    booking_features,
    traveller_features,
)

__all__ = [
    "ANNEX_II",
    "PURPOSES",
    "SENSITIVE_CODES",
    "SENSITIVE_TERMS",
    "TERRORISM",
    "AllOf",
    "AnyOf",
    "Backtest",
    "BacktestReport",
    "Comparison",
    "Condition",
    "CriteriaError",
    "CriteriaProblem",
    "Criterion",
    "CriterionBacktest",
    "CriterionResult",
    "LeafResult",
    "LintFinding",
    "Mode",
    "Not",
    "Operator",
    "Severity",
    "TravellerRef",
    "backtest",
    "dump_criteria",
    "evaluate",
    "glob_match",
    "lint",
    "parse_criteria",
]

# --- purposes -----------------------------------------------------------------------------------------

TERRORISM: Final = "terrorism"

#: Annex II of Directive 2016/681: the serious crimes a criterion may serve, coded ``annex2-NN`` (the same
#: codes as watchlist categories). They count only where the maximum sentence is at least 3 years (Art 3(9)).
ANNEX_II: Final[Mapping[str, str]] = {
    f"annex2-{number:02d}": label
    for number, label in enumerate(
        (
            "participation in a criminal organisation",
            "trafficking in human beings",
            "sexual exploitation of children and child pornography",
            "illicit trafficking in narcotic drugs and psychotropic substances",
            "illicit trafficking in weapons, munitions and explosives",
            "corruption",
            "fraud, including that against the financial interests of the Union",
            "laundering of the proceeds of crime and counterfeiting of currency, including the euro",
            "computer-related crime/cybercrime",
            "environmental crime, including illicit trafficking in endangered animal and plant species",
            "facilitation of unauthorised entry and residence",
            "murder, grievous bodily injury",
            "illicit trade in human organs and tissue",
            "kidnapping, illegal restraint and hostage-taking",
            "organised and armed robbery",
            "illicit trafficking in cultural goods, including antiques and works of art",
            "counterfeiting and piracy of products",
            "forgery of administrative documents and trafficking therein",
            "illicit trafficking in hormonal substances and other growth promoters",
            "illicit trafficking in nuclear or radioactive materials",
            "rape",
            "crimes within the jurisdiction of the International Criminal Court",
            "unlawful seizure of aircraft/ships",
            "sabotage",
            "trafficking in stolen vehicles",
            "industrial espionage",
        ),
        start=1,
    )
}

#: Every purpose a criterion may name: terrorism or one of the 26 Annex II crimes.
PURPOSES: Final[frozenset[str]] = frozenset({TERRORISM, *ANNEX_II})

# --- sensitive values ---------------------------------------------------------------------------------

_RELIGION = "religion or belief"
_HEALTH = "health"
_ETHNIC = "racial or ethnic origin"

#: SSR/OSI codes that reveal a special category of data (reference/eu-pnr-requirements.md section 4): a
#: criterion may not name them in any value. A superset of the ingest filter's codes
#: (openpiu.protection.policy.DEFAULT_CODES; a test keeps them in step).
SENSITIVE_CODES: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        ("MOML", "KSML", "SKML", "KCML", "KFML", "HNML", "VJML", "AVML", "GRML", "VGML", "VLML", "VOML"),
        _RELIGION,
    ),
    **dict.fromkeys(
        (
            "WCHR", "WCHS", "WCHC", "WCOB", "WCMP", "WCBD", "WCBW", "WCLB", "STCR", "DPNA", "MAAS", "BLND",
            "DEAF", "MEDA", "MEQT", "AOXY", "OXYG", "POXY", "PPOC", "SVAN", "ESAN", "DBML", "GFML", "NLML",
            "BLML", "LSML", "LFML", "PRML", "RVML", "SFML", "FPML", "CHML", "BBML", "VVML",
        ),
        _HEALTH,
    ),
    "LANG": _ETHNIC,
}  # fmt: skip

#: Words that reveal a special category wherever they appear (whole words, any case).
SENSITIVE_TERMS: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        (
            "MUSLIM", "ISLAM", "ISLAMIC", "HALAL", "KOSHER", "JEWISH", "JEW", "HINDU", "JAIN", "SIKH",
            "BUDDHIST", "CHRISTIAN", "CATHOLIC", "ORTHODOX", "HAJJ", "HADJ", "UMRAH", "PILGRIM", "PILGRIMS",
            "PILGRIMAGE", "RAMADAN", "MOSQUE", "SYNAGOGUE", "CHURCH", "RELIGION", "RELIGIOUS", "MEAL",
        ),
        _RELIGION,
    ),
    **dict.fromkeys(
        (
            "WHEELCHAIR", "PREGNANT", "PREGNANCY", "DIABETIC", "DIABETES", "HIV", "AIDS", "CANCER",
            "CHEMOTHERAPY", "DIALYSIS", "EPILEPSY", "AUTISM", "BLIND", "DEAF", "STRETCHER", "OXYGEN",
            "MEDIF", "MEDICAL", "DISABLED", "DISABILITY", "HANDICAPPED", "HEALTH",
        ),
        _HEALTH,
    ),
    **dict.fromkeys(("INTERPRETER", "ETHNIC", "ETHNICITY", "RACE"), _ETHNIC),
    **dict.fromkeys(("GAY", "LESBIAN", "HOMOSEXUAL", "TRANSGENDER"), "sex life or sexual orientation"),
    **dict.fromkeys(("POLITICAL", "PARTY", "UNION"), "political opinions or trade-union membership"),
}  # fmt: skip

_ART_6_4: Final = (
    "criteria may never use data revealing racial or ethnic origin, political opinions, religion or belief, "
    "trade-union membership, health, sex life or sexual orientation (Art 6(4))"
)

# Words in an unknown feature's name that say it would be sensitive data or free text.
_SENSITIVE_NAME_PARTS: Final = (
    "meal", "ssr", "osi", "remark", "text", "health", "medical", "religio", "diet", "wheel", "disab",
    "service", "free", "ethnic", "race", "politic", "union", "sex", "orient", "language", "lang",
    "group_name", "comment", "note",
)  # fmt: skip

# --- the language ---------------------------------------------------------------------------------------


class Operator(StrEnum):
    IS = "is"
    IN = "in"
    NOT_IN = "not_in"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    BETWEEN = "between"
    MATCHES = "matches"


Scalar: TypeAlias = str | int | float | bool | date
Expected: TypeAlias = Scalar | tuple[Scalar, ...]

_OPERATORS_BY_TYPE: Final[Mapping[FeatureType, frozenset[Operator]]] = {
    FeatureType.NUMBER: frozenset(
        {Operator.IS, Operator.IN, Operator.NOT_IN, Operator.AT_LEAST, Operator.AT_MOST, Operator.BETWEEN}
    ),
    FeatureType.DATE: frozenset(
        {Operator.IS, Operator.IN, Operator.NOT_IN, Operator.AT_LEAST, Operator.AT_MOST, Operator.BETWEEN}
    ),
    FeatureType.TEXT: frozenset({Operator.IS, Operator.IN, Operator.NOT_IN, Operator.MATCHES}),
    FeatureType.TEXTS: frozenset({Operator.IN, Operator.NOT_IN, Operator.MATCHES}),
    FeatureType.BOOLEAN: frozenset({Operator.IS}),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison:
    """One condition on one feature: ``{feature: origin_country, in: [XX, YY]}``."""

    feature: str
    operator: Operator
    value: Expected  # a tuple for in / not_in / between
    line: int | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]
    line: int | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]
    line: int | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Not:
    condition: Condition
    line: int | None = dataclasses.field(default=None, compare=False)


Condition: TypeAlias = Comparison | AllOf | AnyOf | Not


@dataclasses.dataclass(frozen=True, slots=True)
class Criterion:
    """A pre-determined criterion in one version. A criterion without approval is a draft."""

    id: str
    version: str
    condition: Condition
    title: str = ""
    owner: str | None = None
    purpose: str | None = None  # TERRORISM or an ANNEX_II code
    approved_by: str | None = None
    approved_on: date | None = None
    review_date: date | None = None
    expires_on: date | None = None
    priority: int = 3  # 1 highest .. 5 lowest
    rationale: str | None = None  # why the pattern indicates the crime; exonerating circumstances considered
    source: str | None = dataclasses.field(default=None, compare=False)  # the file it was read from
    line: int | None = dataclasses.field(default=None, compare=False)

    @property
    def approved(self) -> bool:
        return bool(self.approved_by) and self.approved_on is not None

    def inactive_reason(self, on: date) -> str | None:
        """Why the criterion does not match in production on ``on``; None when it is in force."""
        if not self.approved:
            return "draft: not approved"
        assert self.approved_on is not None
        if on < self.approved_on:
            return f"approved for {self.approved_on.isoformat()}, not in force yet"
        if self.expires_on is None:
            return "no expiry date"
        if self.expires_on < on:
            return f"expired on {self.expires_on.isoformat()}"
        return None

    def status(self, on: date) -> str:
        """draft, approved, expired or pending (approved for a later day)."""
        if not self.approved:
            return "draft"
        if self.expires_on is not None and self.expires_on < on:
            return "expired"
        if self.approved_on is not None and on < self.approved_on:
            return "pending"
        return "approved"

    def comparisons(self) -> Iterator[Comparison]:
        return _comparisons(self.condition)


def _comparisons(condition: Condition) -> Iterator[Comparison]:
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, Not):
        yield from _comparisons(condition.condition)
    else:
        for child in condition.conditions:
            yield from _comparisons(child)


# --- parsing -------------------------------------------------------------------------------------------

MAX_SOURCE_CHARS: Final = 1_000_000
MAX_DEPTH: Final = 8
MAX_VALUES: Final = 500
MAX_PATTERN: Final = 64

_CRITERION_KEYS: Final = frozenset(
    {
        "id",
        "title",
        "owner",
        "purpose",
        "version",
        "approval",
        "review_date",
        "expires_on",
        "priority",
        "rationale",
        "condition",
    }
)
_APPROVAL_KEYS: Final = frozenset({"approved_by", "approved_on"})
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CORE_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "binary", "merge", "value")
)
_NULL_TAG: Final = "tag:yaml.org,2002:null"


@dataclasses.dataclass(frozen=True, slots=True)
class CriteriaProblem:
    """One reason a criteria file cannot be read: where (file, line, criterion) and what."""

    source: str
    line: int | None
    criterion_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        who = f" {self.criterion_id}:" if self.criterion_id else ""
        return f"{where}:{who} {self.message}"


class CriteriaError(ValueError):
    """A criteria file that cannot be read; nothing of it is loaded. ``problems`` says every reason."""

    def __init__(self, problems: Sequence[CriteriaProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _Invalid(Exception):
    def __init__(self, node: yaml.Node | None, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node is not None else None
        self.message = message


class _Reader:
    """Walks the composed YAML nodes (never constructs Python objects from tags) and keeps line numbers."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[CriteriaProblem] = []
        self.seen: set[int] = set()

    def visit(self, node: yaml.Node) -> None:
        if id(node) in self.seen:
            raise _Invalid(node, "anchors and aliases (& and *) are not allowed: write each value out")
        self.seen.add(id(node))
        if node.tag not in _CORE_TAGS and not (isinstance(node, yaml.ScalarNode) and node.tag == "!"):
            raise _Invalid(node, f"YAML tags ({node.tag}) are not allowed")

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        self.visit(node)
        if not isinstance(node, yaml.MappingNode):
            raise _Invalid(node, f"{what} must be a mapping (key: value)")
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            self.visit(key)
            if not isinstance(key, yaml.ScalarNode):
                raise _Invalid(key, f"a key of {what} must be a plain name")
            if key.value in found:
                raise _Invalid(key, f"{key.value!r} is given twice")
            found[key.value] = (key, value)
        return found

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        self.visit(node)
        if not isinstance(node, yaml.SequenceNode):
            raise _Invalid(node, f"{what} must be a list")
        return list(node.value)

    def scalar_node(self, node: yaml.Node, what: str) -> yaml.ScalarNode:
        self.visit(node)
        if not isinstance(node, yaml.ScalarNode):
            raise _Invalid(node, f"{what} must be a single value, not a list or mapping")
        return node

    def text(self, node: yaml.Node, what: str, *, required: bool = True) -> str | None:
        scalar = self.scalar_node(node, what)
        if scalar.tag == _NULL_TAG and scalar.style is None:
            if required:
                raise _Invalid(node, f"{what} needs a value")
            return None
        text = str(scalar.value).strip()
        if not text and required:
            raise _Invalid(node, f"{what} needs a value")
        return text or None

    def day(self, node: yaml.Node, what: str) -> date | None:
        value = self.value(node, what, FeatureType.DATE)
        if value is None or isinstance(value, date):
            return value
        raise _Invalid(node, f"{what} must be a date written YYYY-MM-DD, not {value!r}")

    def value(self, node: yaml.Node, what: str, kind: FeatureType | None) -> Scalar | None:
        """A scalar read as the feature's type wants it (YAML 1.2 rules: `NO` is Norway, not false)."""
        scalar = self.scalar_node(node, what)
        raw = str(scalar.value)
        plain = scalar.style is None
        if plain and scalar.tag == _NULL_TAG:
            return None
        if kind in (FeatureType.TEXT, FeatureType.TEXTS) or not plain:
            if kind is FeatureType.DATE and _ISO_DATE.fullmatch(raw.strip()):
                return _iso_date(node, raw.strip())
            return raw.strip()
        text = raw.strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text):
            return float(text)
        if _ISO_DATE.fullmatch(text):
            return _iso_date(node, text)
        return text


def _iso_date(node: yaml.Node, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Invalid(node, f"{text} is not a calendar date") from None


def parse_criteria(text: str, *, source: str = "<criteria>") -> tuple[Criterion, ...]:
    """Read a criteria document: a YAML list of criteria (or one criterion).

    Every problem is collected, with its line and criterion id, and raised as one :class:`CriteriaError`:
    either the whole document loads or nothing does. The linter (:func:`lint`) then checks what the
    criteria say (features, types, sensitive data, protected characteristics, breadth, dates).
    """
    if len(text) > MAX_SOURCE_CHARS:
        raise CriteriaError(
            [CriteriaProblem(source, None, None, f"larger than {MAX_SOURCE_CHARS} characters")]
        )
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (error.context, error.problem) if p) or "not valid YAML"
        raise CriteriaError([CriteriaProblem(source, line, None, f"not valid YAML: {problem}")]) from None
    except yaml.YAMLError as error:
        raise CriteriaError([CriteriaProblem(source, None, None, f"not valid YAML: {error}")]) from None
    finally:
        loader.dispose()
    if root is None:
        return ()
    reader = _Reader(source)
    try:
        reader.visit(root)
        if isinstance(root, yaml.MappingNode):
            items: list[yaml.Node] = [root]
            reader.seen.discard(id(root))
        elif isinstance(root, yaml.SequenceNode):
            items = list(root.value)
        else:
            raise _Invalid(root, "a criteria file is a list of criteria (each starting with '- id: ...')")
    except _Invalid as invalid:
        raise CriteriaError([CriteriaProblem(source, invalid.line, None, invalid.message)]) from None
    criteria: list[Criterion] = []
    first_line: dict[str, int | None] = {}
    for node in items:
        criterion = _criterion(reader, node)
        if criterion is None:
            continue
        if criterion.id in first_line:
            reader.problems.append(
                CriteriaProblem(
                    source,
                    criterion.line,
                    criterion.id,
                    f"id given twice (first on line {first_line[criterion.id]})",
                )
            )
            continue
        first_line[criterion.id] = criterion.line
        criteria.append(criterion)
    if reader.problems:
        raise CriteriaError(reader.problems)
    return tuple(criteria)


def _criterion(reader: _Reader, node: yaml.Node) -> Criterion | None:
    criterion_id: str | None = None
    try:
        fields = reader.mapping(node, "a criterion")
        if "id" in fields:
            criterion_id = reader.text(fields["id"][1], "id")
        if criterion_id is None:
            raise _Invalid(node, "a criterion needs an id")
        if not _ID.fullmatch(criterion_id):
            raise _Invalid(fields["id"][1], f"id {criterion_id!r}: use letters, digits, '.', '_' and '-'")
    except _Invalid as invalid:
        reader.problems.append(CriteriaProblem(reader.source, invalid.line, None, invalid.message))
        return None
    before = len(reader.problems)

    def fail(invalid: _Invalid) -> None:
        reader.problems.append(CriteriaProblem(reader.source, invalid.line, criterion_id, invalid.message))

    for key, (key_node, _value) in fields.items():
        if key not in _CRITERION_KEYS:
            fail(
                _Invalid(
                    key_node, f"unknown key {key!r} (a criterion has: {', '.join(sorted(_CRITERION_KEYS))})"
                )
            )
    values: dict[str, object] = {}
    for key in ("title", "owner", "purpose", "version", "rationale"):
        if key in fields:
            try:
                values[key] = reader.text(fields[key][1], key, required=False)
            except _Invalid as invalid:
                fail(invalid)
    for key in ("review_date", "expires_on"):
        if key in fields:
            try:
                values[key] = reader.day(fields[key][1], key)
            except _Invalid as invalid:
                fail(invalid)
    if "priority" in fields:
        try:
            priority = reader.value(fields["priority"][1], "priority", FeatureType.NUMBER)
            if priority is None:
                pass
            elif isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
                raise _Invalid(
                    fields["priority"][1],
                    f"priority must be a whole number from 1 (highest) to 5, not {priority!r}",
                )
            else:
                values["priority"] = priority
        except _Invalid as invalid:
            fail(invalid)
    if "approval" in fields:
        try:
            values.update(_approval(reader, fields["approval"][1]))
        except _Invalid as invalid:
            fail(invalid)
    condition: Condition | None = None
    if "condition" not in fields:
        fail(_Invalid(node, "a criterion needs a condition"))
    else:
        try:
            condition = _condition(reader, fields["condition"][1], depth=1)
        except _Invalid as invalid:
            fail(invalid)
    if len(reader.problems) > before or condition is None:
        return None
    version = values.get("version")
    return Criterion(
        id=criterion_id,
        version=str(version) if version is not None else "",
        condition=condition,
        title=str(values.get("title") or ""),
        owner=_opt_str(values.get("owner")),
        purpose=_opt_str(values.get("purpose")),
        approved_by=_opt_str(values.get("approved_by")),
        approved_on=_opt_date(values.get("approved_on")),
        review_date=_opt_date(values.get("review_date")),
        expires_on=_opt_date(values.get("expires_on")),
        priority=int(str(values.get("priority", 3))),
        rationale=_opt_str(values.get("rationale")),
        source=reader.source,
        line=node.start_mark.line + 1,
    )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_date(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _approval(reader: _Reader, node: yaml.Node) -> dict[str, object]:
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and node.style is None:
        reader.visit(node)
        return {}
    fields = reader.mapping(node, "approval")
    for key, (key_node, _value) in fields.items():
        if key not in _APPROVAL_KEYS:
            raise _Invalid(key_node, f"unknown key {key!r} in approval (it has approved_by and approved_on)")
    found: dict[str, object] = {}
    if "approved_by" in fields:
        found["approved_by"] = reader.text(fields["approved_by"][1], "approved_by", required=False)
    if "approved_on" in fields:
        found["approved_on"] = reader.day(fields["approved_on"][1], "approved_on")
    return found


_GROUPS: Final = ("all", "any", "not")
_OPERATOR_NAMES: Final = tuple(op.value for op in Operator)


def _condition(reader: _Reader, node: yaml.Node, *, depth: int) -> Condition:
    if depth > MAX_DEPTH:
        raise _Invalid(node, f"conditions nest deeper than {MAX_DEPTH} levels: simplify the criterion")
    fields = reader.mapping(node, "a condition")
    line = node.start_mark.line + 1
    if "feature" in fields:
        return _comparison(reader, node, fields)
    groups = [key for key in fields if key in _GROUPS]
    if len(groups) != 1 or len(fields) != 1:
        raise _Invalid(
            node,
            "a condition is either {feature: NAME, OPERATOR: VALUE} or exactly one of all, any, not "
            f"(found: {', '.join(fields) or 'nothing'})",
        )
    kind = groups[0]
    value = fields[kind][1]
    if kind == "not":
        return Not(_condition(reader, value, depth=depth + 1), line=line)
    children = reader.sequence(value, kind)
    if not children:
        raise _Invalid(value, f"{kind} needs at least one condition")
    conditions = tuple(_condition(reader, child, depth=depth + 1) for child in children)
    return AllOf(conditions, line=line) if kind == "all" else AnyOf(conditions, line=line)


def _comparison(
    reader: _Reader, node: yaml.Node, fields: dict[str, tuple[yaml.Node, yaml.Node]]
) -> Comparison:
    feature = reader.text(fields["feature"][1], "feature")
    assert feature is not None
    spec = FEATURES.get(feature)
    kind = spec.type if spec is not None else None
    operators = [key for key in fields if key != "feature"]
    unknown = [key for key in operators if key not in _OPERATOR_NAMES]
    if unknown:
        key_node = fields[unknown[0]][0]
        raise _Invalid(key_node, f"unknown operator {unknown[0]!r} (operators: {', '.join(_OPERATOR_NAMES)})")
    if len(operators) != 1:
        raise _Invalid(
            node,
            f"{feature}: give exactly one operator ({', '.join(_OPERATOR_NAMES)}), found {len(operators)}",
        )
    operator = Operator(operators[0])
    value_node = fields[operators[0]][1]
    what = f"{feature} {operator}"
    line = node.start_mark.line + 1
    value: Expected
    if operator in (Operator.IN, Operator.NOT_IN, Operator.BETWEEN):
        reader.visit(value_node)
        reader.seen.discard(id(value_node))
        items = (
            reader.sequence(value_node, what) if isinstance(value_node, yaml.SequenceNode) else [value_node]
        )
        if operator is Operator.BETWEEN and len(items) != 2:
            raise _Invalid(value_node, f"{what} needs two values: [lowest, highest]")
        if not items:
            raise _Invalid(value_node, f"{what} needs at least one value")
        if len(items) > MAX_VALUES:
            raise _Invalid(value_node, f"{what}: more than {MAX_VALUES} values")
        scalars = []
        for item in items:
            scalar = reader.value(item, what, kind)
            if scalar is None:
                raise _Invalid(item, f"{what}: an empty value")
            scalars.append(scalar)
        value = tuple(scalars)
    else:
        scalar = reader.value(value_node, what, kind)
        if scalar is None:
            raise _Invalid(value_node, f"{what} needs a value")
        if operator is Operator.MATCHES:
            if not isinstance(scalar, str):
                scalar = str(value_node.value) if isinstance(value_node, yaml.ScalarNode) else str(scalar)
            if not 0 < len(scalar) <= MAX_PATTERN:
                raise _Invalid(value_node, f"{what}: a pattern has 1 to {MAX_PATTERN} characters")
        value = scalar
    return Comparison(feature, operator, value, line=line)


# --- writing -------------------------------------------------------------------------------------------


def _condition_data(condition: Condition) -> object:
    if isinstance(condition, Comparison):
        value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
        return {"feature": condition.feature, str(condition.operator): value}
    if isinstance(condition, Not):
        return {"not": _condition_data(condition.condition)}
    key = "all" if isinstance(condition, AllOf) else "any"
    return {key: [_condition_data(c) for c in condition.conditions]}


def dump_criteria(criteria: Iterable[Criterion]) -> str:
    """The criteria as a YAML document that :func:`parse_criteria` reads back equal."""
    documents = []
    for c in criteria:
        data: dict[str, object] = {"id": c.id, "title": c.title}
        for key in ("owner", "purpose"):
            if getattr(c, key) is not None:
                data[key] = getattr(c, key)
        data["version"] = c.version
        data["approval"] = (
            {"approved_by": c.approved_by, "approved_on": c.approved_on}
            if c.approved_by or c.approved_on
            else None
        )
        for key in ("review_date", "expires_on"):
            if getattr(c, key) is not None:
                data[key] = getattr(c, key)
        data["priority"] = c.priority
        if c.rationale:
            data["rationale"] = c.rationale
        data["condition"] = _condition_data(c.condition)
        documents.append(data)
    return yaml.safe_dump(documents, sort_keys=False, allow_unicode=True, width=110)


# --- evaluation ----------------------------------------------------------------------------------------


class Mode(StrEnum):
    PRODUCTION = "production"  # only approved criteria in force match
    BACKTEST = "backtest"  # every criterion is evaluated, drafts and expired ones included


def glob_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` (``*`` any run of characters, ``?`` one), case-insensitively.

    Iterative, with one remembered star: linear space, at most len(pattern) * len(text) steps.
    """
    p_text, t_text = pattern.upper(), text.upper()
    p = t = 0
    star, mark = -1, 0
    while t < len(t_text):
        if p < len(p_text) and p_text[p] == "*":
            star, mark = p, t
            p += 1
        elif p < len(p_text) and (p_text[p] == "?" or p_text[p] == t_text[t]):
            p += 1
            t += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(p_text) and p_text[p] == "*":
        p += 1
    return p == len(p_text)


@cache
def _texts(values: tuple[Scalar, ...]) -> frozenset[str]:
    return frozenset(v.strip().upper() for v in values if isinstance(v, str))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _holds(spec: FeatureSpec, comparison: Comparison, actual: FeatureValue) -> bool:
    """Whether the comparison holds for ``actual``; False on unknown values and on type mismatches."""
    op, expected = comparison.operator, comparison.value
    if actual is None or (isinstance(actual, frozenset) and not actual):
        return False
    if op not in _OPERATORS_BY_TYPE[spec.type]:
        return False
    if spec.type is FeatureType.TEXTS:
        assert isinstance(actual, frozenset)
        if op is Operator.MATCHES:
            return isinstance(expected, str) and any(glob_match(expected, value) for value in actual)
        wanted = _texts(expected) if isinstance(expected, tuple) else frozenset()
        return bool(actual & wanted) if op is Operator.IN else not (actual & wanted)
    if spec.type is FeatureType.TEXT:
        if not isinstance(actual, str):
            return False
        if op is Operator.MATCHES:
            return isinstance(expected, str) and glob_match(expected, actual)
        if op is Operator.IS:
            return isinstance(expected, str) and expected.strip().upper() == actual
        wanted = _texts(expected) if isinstance(expected, tuple) else frozenset()
        return (actual in wanted) if op is Operator.IN else (actual not in wanted)
    if spec.type is FeatureType.BOOLEAN:
        return isinstance(expected, bool) and isinstance(actual, bool) and actual is expected
    # numbers and dates: the comparison only holds between values of the feature's type
    if spec.type is FeatureType.NUMBER:
        if not _is_number(actual):
            return False
        comparable = [v for v in (expected if isinstance(expected, tuple) else (expected,)) if _is_number(v)]
    else:
        if not isinstance(actual, date):
            return False
        comparable = [
            v for v in (expected if isinstance(expected, tuple) else (expected,)) if isinstance(v, date)
        ]
    size = len(expected) if isinstance(expected, tuple) else 1
    if len(comparable) != size:
        return False
    if op is Operator.IS:
        return actual == comparable[0]
    if op is Operator.IN:
        return actual in comparable
    if op is Operator.NOT_IN:
        return actual not in comparable
    if op is Operator.AT_LEAST:
        return bool(actual >= comparable[0])  # type: ignore[operator]
    if op is Operator.AT_MOST:
        return bool(actual <= comparable[0])  # type: ignore[operator]
    low, high = comparable
    return bool(low <= actual <= high)  # type: ignore[operator]


def _show(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}" if value else "unknown"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


@dataclasses.dataclass(frozen=True, slots=True)
class LeafResult:
    """One comparison of a criterion for one traveller: the traveller's value, what the criterion wants."""

    feature: str
    operator: Operator
    expected: Expected
    actual: FeatureValue
    held: bool
    negated: bool = False  # under an odd number of `not`: the criterion needs it NOT to hold
    line: int | None = None
    note: str | None = (
        None  # what stands behind the traveller's value (a journey feature's legs and bookings)
    )

    @property
    def shown(self) -> str:
        """The traveller's value as the analyst reads it, with what stands behind it."""
        return f"{_show(self.actual)} ({self.note})" if self.note else _show(self.actual)

    @property
    def wanted(self) -> str:
        text = f"{self.operator} {_show(self.expected)}"
        return f"not {text}" if self.negated else text

    def __str__(self) -> str:
        verdict = "holds" if self.held else "does not hold"
        return (
            f"{self.feature} = {self.shown}; criterion: {self.operator} {_show(self.expected)}: "
            + verdict
            + (" (the criterion needs it not to)" if self.negated else "")
        )


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionResult:
    """Whether a criterion matched a traveller, and why: every comparison with both values."""

    criterion_id: str
    version: str
    matched: bool
    active: bool = True
    inactive_reason: str | None = None
    priority: int = 3
    explanation: tuple[LeafResult, ...] = ()

    def explain(self) -> str:
        if not self.active:
            return f"{self.criterion_id} v{self.version}: not applied ({self.inactive_reason})"
        head = f"{self.criterion_id} v{self.version}: {'matched' if self.matched else 'no match'}"
        return "\n".join([head, *(f"  {leaf}" for leaf in self.explanation)])

    def evidence(self) -> tuple[Feature, ...]:
        """The explanation as the :class:`~openpiu.model.screening.Feature` records a hit carries.

        ``query`` is the traveller's value (with what stands behind it, for the journey features),
        ``candidate`` what the criterion asks; ``score`` is 1 when the
        comparison came out as the criterion needs and 0 otherwise. Criteria are not weighted: every
        ``contribution`` is 0.
        """
        return tuple(
            Feature(
                feature=leaf.feature,
                query=leaf.shown,
                candidate=leaf.wanted,
                score=1.0 if leaf.held != leaf.negated else 0.0,
                contribution=0.0,
            )
            for leaf in self.explanation
        )


def _evaluate(
    condition: Condition, features: TravellerFeatures, leaves: list[LeafResult], negated: bool
) -> bool:
    if isinstance(condition, Comparison):
        spec = FEATURES.get(condition.feature)
        actual = features.value(condition.feature) if spec is not None else None
        held = spec is not None and _holds(spec, condition, actual)
        leaves.append(
            LeafResult(
                condition.feature,
                condition.operator,
                condition.value,
                actual,
                held,
                negated,
                condition.line,
                features.note(condition.feature) if spec is not None else None,
            )
        )
        return held
    if isinstance(condition, Not):
        return not _evaluate(condition.condition, features, leaves, not negated)
    # every child is evaluated (no short cut) so the explanation is complete
    results = [_evaluate(child, features, leaves, negated) for child in condition.conditions]
    return all(results) if isinstance(condition, AllOf) else any(results)


def evaluate(
    criterion: Criterion, features: TravellerFeatures, *, mode: Mode = Mode.PRODUCTION
) -> CriterionResult:
    """Evaluate ``criterion`` for one traveller's features, with the explanation an analyst reads.

    In production a draft, a criterion not in force yet, an expired one or one without expiry never
    matches (on ``features.as_of``); in back-testing every criterion is evaluated.
    """
    if mode is Mode.PRODUCTION:
        reason = criterion.inactive_reason(features.as_of)
        if reason is not None:
            return CriterionResult(
                criterion.id,
                criterion.version,
                False,
                active=False,
                inactive_reason=reason,
                priority=criterion.priority,
            )
    leaves: list[LeafResult] = []
    matched = _evaluate(criterion.condition, features, leaves, False)
    return CriterionResult(
        criterion.id, criterion.version, matched, priority=criterion.priority, explanation=tuple(leaves)
    )


# --- the linter ----------------------------------------------------------------------------------------


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclasses.dataclass(frozen=True, slots=True)
class LintFinding:
    severity: Severity
    criterion_id: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        who = f"{self.criterion_id}: " if self.criterion_id else ""
        return f"{where}{self.severity}: {who}{self.message}"


WIDE_SET: Final = 20
WIDE_ANY: Final = 10
MAX_PATHS: Final = 1024
EXPIRY_NEAR: Final = timedelta(days=30)
REVIEW_INTERVAL: Final = timedelta(days=366)

_CODE_SHAPES: Final[Mapping[CodeKind, tuple[re.Pattern[str], str]]] = {
    CodeKind.AIRPORT: (re.compile(r"[A-Z]{3}"), "an IATA airport code (3 letters)"),
    CodeKind.COUNTRY: (re.compile(r"[A-Z]{2}"), "an ISO 3166-1 alpha-2 country code (2 letters, e.g. DE)"),
    CodeKind.CARRIER: (re.compile(r"[A-Z0-9]{2}[A-Z]?"), "an airline code (2 characters, e.g. LH)"),
    CodeKind.FLIGHT: (re.compile(r"[A-Z0-9]{2}[A-Z]?[0-9]{1,4}[A-Z]?"), "a flight designator (e.g. LH400)"),
    CodeKind.ROUTE: (re.compile(r"[A-Z]{3}(-[A-Z]{3})+"), "airports joined by '-' (e.g. IST-FRA-JFK)"),
    CodeKind.FREE: (re.compile(r"[A-Z0-9][A-Z0-9 ./-]{0,19}"), "a code of at most 20 letters and digits"),
}
_WORD = re.compile(r"[A-Z]+")


class _TooComplex(Exception):
    pass


_Literal: TypeAlias = tuple[Comparison, bool]


def _paths(condition: Condition, negated: bool = False) -> list[list[_Literal]]:
    """The ways the condition can hold: conjunctions of (comparison, negated), negations pushed down."""
    if isinstance(condition, Comparison):
        return [[(condition, negated)]]
    if isinstance(condition, Not):
        return _paths(condition.condition, not negated)
    children = [_paths(child, negated) for child in condition.conditions]
    conjunction = isinstance(condition, AllOf) != negated  # not(any) = all(not), not(all) = any(not)
    if not conjunction:
        found = [path for child in children for path in child]
    else:
        found = [[lit for part in combo for lit in part] for combo in _bounded_product(children)]
    if len(found) > MAX_PATHS:
        raise _TooComplex
    return found


def _bounded_product(children: list[list[list[_Literal]]]) -> Iterator[tuple[list[_Literal], ...]]:
    size = 1
    for child in children:
        size *= len(child)
        if size > MAX_PATHS:
            raise _TooComplex
    return itertools.product(*children)


def _negative(literal: _Literal) -> bool:
    comparison, negated = literal
    return negated != (comparison.operator is Operator.NOT_IN)


def _sensitive_reason(text: str) -> str | None:
    value = text.strip().upper()
    if value in SENSITIVE_CODES:
        return f"{value} is a special service code that reveals {SENSITIVE_CODES[value]}"
    for word in _WORD.findall(value):
        if word in SENSITIVE_TERMS:
            return f"{word} reveals {SENSITIVE_TERMS[word]}"
    return None


def _sensitive_pattern(pattern: str) -> str | None:
    literal = pattern.replace("*", " ").replace("?", " ")
    reason = _sensitive_reason(literal)
    if reason is not None:
        return reason
    for code in (*SENSITIVE_CODES, *SENSITIVE_TERMS):
        if glob_match(pattern, code) and pattern.strip("*?"):
            category = SENSITIVE_CODES.get(code) or SENSITIVE_TERMS[code]
            return f"the pattern {pattern} matches {code}, which reveals {category}"
    return None


def _unknown_feature(name: str) -> str:
    lowered = name.lower()
    if any(part in lowered for part in _SENSITIVE_NAME_PARTS):
        return (
            f"there is no feature {name!r}: meal and health codes, other special service requests, remarks "
            "and free text can reveal religion, health or other special categories of data, which criteria "
            "may never use (Art 6(4), Art 13(4) of Directive 2016/681; C-817/19): the language has no such "
            "feature"
        )
    return f"unknown feature {name!r} (the features are listed in docs/criteria.md)"


def _check_value(spec: FeatureSpec, comparison: Comparison, value: Scalar) -> list[tuple[Severity, str]]:
    what = f"{comparison.feature} {comparison.operator}"
    if spec.type is FeatureType.NUMBER:
        return [] if _is_number(value) else [(Severity.ERROR, f"{what}: {value!r} is not a number")]
    if spec.type is FeatureType.DATE:
        return (
            []
            if isinstance(value, date)
            else [(Severity.ERROR, f"{what}: {value!r} is not a date (YYYY-MM-DD)")]
        )
    if spec.type is FeatureType.BOOLEAN:
        return (
            [] if isinstance(value, bool) else [(Severity.ERROR, f"{what}: {value!r} is not true or false")]
        )
    if not isinstance(value, str):
        return [(Severity.ERROR, f"{what}: {value!r} is not a text")]
    text = value.strip().upper()
    if comparison.operator is Operator.MATCHES:
        if not text.strip("*"):
            return [(Severity.WARNING, f"{what}: the pattern {value!r} matches every value: too broad")]
        return []
    if spec.values is not None:
        if text not in spec.values:
            return [(Severity.ERROR, f"{what}: {value!r} is not one of {', '.join(sorted(spec.values))}")]
        return []
    if spec.code is None:
        return []
    shape, described = _CODE_SHAPES[spec.code]
    if not shape.fullmatch(text):
        return [(Severity.ERROR, f"{what}: {value!r} is not {described}")]
    if spec.code is CodeKind.COUNTRY and _unknown_country(text):
        return [(Severity.WARNING, f"{what}: {text} is not a known country code; it will never match")]
    if spec.code is CodeKind.AIRPORT and airport(text) is None:
        return [(Severity.WARNING, f"{what}: {text} is not a known airport; it will never match")]
    return []


@cache
def _unknown_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is None and code != "XK"


def _check_comparison(comparison: Comparison) -> list[tuple[Severity, str]]:
    found: list[tuple[Severity, str]] = []
    values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
    for value in values:
        if isinstance(value, str):
            check = _sensitive_pattern if comparison.operator is Operator.MATCHES else _sensitive_reason
            reason = check(value)
            if reason is not None:
                found.append(
                    (
                        Severity.ERROR,
                        f"{comparison.feature} {comparison.operator}: sensitive data: {reason}; {_ART_6_4}",
                    )
                )
    spec = FEATURES.get(comparison.feature)
    if spec is None:
        return [*found, (Severity.ERROR, _unknown_feature(comparison.feature))]
    allowed = _OPERATORS_BY_TYPE[spec.type]
    if comparison.operator not in allowed:
        ops = ", ".join(op.value for op in Operator if op in allowed)
        return [
            *found,
            (
                Severity.ERROR,
                f"{comparison.feature} is a {spec.type} feature: use {ops}, not {comparison.operator}",
            ),
        ]
    single = comparison.operator in (Operator.IS, Operator.AT_LEAST, Operator.AT_MOST, Operator.MATCHES)
    if single == isinstance(comparison.value, tuple):
        shape = "one value" if single else "a list of values"
        found.append((Severity.ERROR, f"{comparison.feature} {comparison.operator} takes {shape}"))
        return found
    for value in values:
        found.extend(_check_value(spec, comparison, value))
    if (
        comparison.operator is Operator.BETWEEN
        and isinstance(comparison.value, tuple)
        and len(comparison.value) == 2
    ):
        low, high = comparison.value
        if type(low) is type(high) and not isinstance(low, bool) and low > high:  # type: ignore[operator]
            found.append(
                (Severity.ERROR, f"{comparison.feature} between: {_show(low)} is above {_show(high)}")
            )
    if comparison.operator in (Operator.IN, Operator.NOT_IN) and len(values) > WIDE_SET:
        found.append(
            (
                Severity.WARNING,
                f"{comparison.feature} {comparison.operator} lists {len(values)} values: a wide set is not "
                "targeted",
            )
        )
    return found


def _check_structure(condition: Condition) -> list[tuple[Severity, str, int | None]]:
    found: list[tuple[Severity, str, int | None]] = []
    if isinstance(condition, AnyOf) and len(condition.conditions) > WIDE_ANY:
        found.append(
            (
                Severity.WARNING,
                f"any with {len(condition.conditions)} alternatives: a wide net is not targeted",
                condition.line,
            )
        )
    if isinstance(condition, AllOf | AnyOf):
        for child in condition.conditions:
            found.extend(_check_structure(child))
    elif isinstance(condition, Not):
        found.extend(_check_structure(condition.condition))
    return found


def _check_paths(criterion: Criterion) -> list[tuple[Severity, str, int | None]]:
    try:
        paths = _paths(criterion.condition)
    except _TooComplex:
        return [
            (
                Severity.ERROR,
                f"the condition has more than {MAX_PATHS} ways to match: too complex to check that it is "
                "targeted and not discriminatory; simplify it",
                criterion.condition.line,
            )
        ]
    found: list[tuple[Severity, str, int | None]] = []
    for path in paths:
        specs = [FEATURES.get(c.feature) for c, _ in path]
        if any(spec is None for spec in specs):
            continue
        names = sorted({c.feature for c, _ in path})
        line = path[0][0].line
        if all(spec is not None and spec.protected for spec in specs):
            found.append(
                (
                    Severity.ERROR,
                    f"it can match on protected characteristics alone ({', '.join(names)}): criteria must "
                    "not discriminate (Art 6(4), C-817/19); combine them with conditions on the journey, the "
                    "booking or the payment",
                    line,
                )
            )
        elif any(spec is not None and spec.protected for spec in specs) and all(
            spec is not None and (spec.protected or spec.common or _negative(lit))
            for spec, lit in zip(specs, path, strict=True)
        ):
            found.append(
                (
                    Severity.WARNING,
                    f"it can match on protected characteristics with only very common conditions "
                    f"({', '.join(names)}): make it targeted",
                    line,
                )
            )
        elif all(_negative(lit) for lit in path):
            found.append(
                (
                    Severity.WARNING,
                    f"it can match on what the traveller is not ({', '.join(names)}) alone: that takes in "
                    "nearly everyone; too broad",
                    line,
                )
            )
        elif all(spec is not None and spec.common for spec in specs):
            found.append(
                (
                    Severity.WARNING,
                    f"it can match on {' and '.join(names)} alone, which a large share of travellers share: "
                    "too broad to be targeted",
                    line,
                )
            )
    return found


def lint(criteria: Iterable[Criterion], *, on: date | None = None) -> list[LintFinding]:
    """Check criteria against the law and good practice; ``on`` (today) enables the review and expiry checks.

    Errors (the criterion must not be used): sensitive data, matching on protected characteristics alone,
    missing owner, purpose, version, review date or expiry, a purpose that is not terrorism or Annex II,
    a review date after expiry, an unknown feature, an operator or value that does not fit the feature.
    Warnings: too broad to be targeted, review overdue, expiry near or passed.
    """
    findings: list[LintFinding] = []
    seen: set[str] = set()
    for criterion in criteria:
        found = _lint_one(criterion, on=on, duplicate=criterion.id in seen)
        seen.add(criterion.id)
        findings.extend(sorted(found, key=lambda f: f.line or 0))
    return findings


def _lint_one(criterion: Criterion, *, on: date | None, duplicate: bool) -> list[LintFinding]:
    findings: list[LintFinding] = []

    def add(severity: Severity, message: str, line: int | None = None) -> None:
        finding = LintFinding(severity, criterion.id, message, line or criterion.line)
        if finding not in findings:
            findings.append(finding)

    if duplicate:
        add(Severity.ERROR, "id given twice")
    for key in ("title", "owner", "version"):
        if not getattr(criterion, key):
            add(Severity.ERROR, f"no {key}")
    if not criterion.purpose:
        add(
            Severity.ERROR,
            "no purpose: name terrorism or the Annex II crime (annex2-01 .. annex2-26) it serves",
        )
    elif criterion.purpose not in PURPOSES:
        add(
            Severity.ERROR,
            f"purpose {criterion.purpose!r} is neither terrorism nor an Annex II code (annex2-01 .. "
            "annex2-26): criteria serve only these purposes (Art 1(2), C-817/19)",
        )
    if criterion.review_date is None:
        add(Severity.ERROR, "no review_date: criteria are reviewed regularly (Art 6(4))")
    if criterion.expires_on is None:
        add(Severity.ERROR, "no expires_on: every criterion is limited in time")
    if criterion.review_date and criterion.expires_on and criterion.review_date > criterion.expires_on:
        add(Severity.ERROR, "review_date is after expires_on: review before the criterion expires")
    if bool(criterion.approved_by) != (criterion.approved_on is not None):
        add(Severity.ERROR, "approval needs both approved_by and approved_on")
    if criterion.approved_on and criterion.expires_on and criterion.approved_on > criterion.expires_on:
        add(Severity.ERROR, "approved_on is after expires_on")
    if not 1 <= criterion.priority <= 5:
        add(Severity.ERROR, f"priority {criterion.priority} is not between 1 and 5")
    start = criterion.approved_on or on
    if criterion.review_date and start and criterion.review_date - start > REVIEW_INTERVAL:
        add(Severity.WARNING, "review_date is more than a year away: review criteria at least yearly")
    for comparison in criterion.comparisons():
        for severity, message in _check_comparison(comparison):
            add(severity, message, comparison.line)
    for severity, message, line in _check_structure(criterion.condition):
        add(severity, message, line)
    for severity, message, line in _check_paths(criterion):
        add(severity, message, line)
    if on is not None:
        if criterion.expires_on and criterion.expires_on < on:
            add(Severity.WARNING, f"expired on {criterion.expires_on.isoformat()}: it no longer matches")
        elif criterion.expires_on and criterion.expires_on - on <= EXPIRY_NEAR:
            add(
                Severity.WARNING,
                f"expires on {criterion.expires_on.isoformat()}: review and renew it, or let it go",
            )
        if criterion.review_date and criterion.review_date < on:
            add(Severity.WARNING, f"review overdue since {criterion.review_date.isoformat()}")
    return findings


# --- back-testing --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class TravellerRef:
    """A traveller on a flight, without personal data: flight, date, booking locator, traveller reference."""

    flight: str
    flight_date: date | None
    locator: str | None
    traveller: str

    def __str__(self) -> str:
        day = self.flight_date.isoformat() if self.flight_date else "?"
        return f"{self.flight}/{day}/{self.locator or '?'}/{self.traveller}"


def traveller_ref(flight: Flight, booking: Booking, traveller: Traveller, position: int) -> TravellerRef:
    return TravellerRef(
        flight=flight.designator,
        flight_date=flight.departure.local.date() if flight.departure else None,
        locator=booking.locator,
        traveller=traveller.ref or f"#{position}",
    )


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionBacktest:
    """What one criterion matched over the data back-tested."""

    criterion_id: str
    version: str
    status: str  # draft, approved, pending, expired (on the day of the back-test)
    travellers: int  # travellers matched (a traveller on two flights counts twice)
    bookings: int
    flights: int
    sample: tuple[TravellerRef, ...]  # the first matched travellers, in the order of the data

    def share(self, screened: int) -> float:
        return self.travellers / screened if screened else 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class BacktestReport:
    travellers: int  # travellers screened (per flight)
    bookings: int
    flights: int
    criteria: tuple[CriterionBacktest, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "travellers": self.travellers,
            "bookings": self.bookings,
            "flights": self.flights,
            "criteria": [
                {
                    "id": c.criterion_id,
                    "version": c.version,
                    "status": c.status,
                    "travellers": c.travellers,
                    "share": round(c.share(self.travellers), 6),
                    "bookings": c.bookings,
                    "flights": c.flights,
                    "sample": [str(ref) for ref in c.sample],
                }
                for c in self.criteria
            ],
        }


_FlightKey: TypeAlias = tuple[str, date | None]


class Backtest:
    """Back-testing as a stream: :meth:`add` each traveller in turn, :meth:`report` at any time.

    Every criterion is evaluated in :attr:`Mode.BACKTEST` (drafts too), on features assessed ``as_of``
    (default: each flight's own date).
    """

    def __init__(
        self, criteria: Iterable[Criterion], *, as_of: date | None = None, sample_size: int = 10
    ) -> None:
        self.criteria = tuple(criteria)
        self.as_of = as_of
        self.sample_size = sample_size
        self._travellers = 0
        self._flights: set[_FlightKey] = set()
        self._bookings: set[tuple[_FlightKey, str | None, int]] = set()
        self._matched = [0] * len(self.criteria)
        self._matched_flights: list[set[_FlightKey]] = [set() for _ in self.criteria]
        self._matched_bookings: list[set[tuple[_FlightKey, str | None, int]]] = [set() for _ in self.criteria]
        self._samples: list[list[TravellerRef]] = [[] for _ in self.criteria]
        # the booking screened last (kept, so `is` compares objects) and its travellers' features
        self._last: tuple[Flight, Booking, tuple[TravellerFeatures, ...]] | None = None
        self._booking_count = 0

    def _features(
        self, flight: Flight, booking: Booking, traveller: Traveller, history: TravelHistory | None
    ) -> tuple[TravellerFeatures, int]:
        day = self.as_of or (flight.departure.local.date() if flight.departure else date.min)
        if self._last is None or self._last[0] is not flight or self._last[1] is not booking:
            self._last = (flight, booking, booking_features(flight, booking, day))
            self._booking_count += 1
        position = next((i for i, t in enumerate(booking.travellers) if t is traveller), None)
        if position is None:  # a traveller that is not one of the booking's own
            found = traveller_features(flight, booking, traveller, day, history=history)
            return found, len(booking.travellers) + 1
        if history is not None:
            return traveller_features(flight, booking, traveller, day, history=history), position + 1
        return self._last[2][position], position + 1

    def add(
        self,
        flight: Flight,
        booking: Booking,
        traveller: Traveller,
        *,
        history: TravelHistory | None = None,
    ) -> tuple[CriterionResult, ...]:
        """Screen one traveller (with its travel history across bookings, when known); returns the results of
        the criteria that matched."""
        features, position = self._features(flight, booking, traveller, history)
        ref = traveller_ref(flight, booking, traveller, position)
        flight_key = (ref.flight, ref.flight_date)
        booking_key = (flight_key, booking.locator, self._booking_count if booking.locator is None else 0)
        self._travellers += 1
        self._flights.add(flight_key)
        self._bookings.add(booking_key)
        matched = []
        for index, criterion in enumerate(self.criteria):
            result = evaluate(criterion, features, mode=Mode.BACKTEST)
            if not result.matched:
                continue
            matched.append(result)
            self._matched[index] += 1
            self._matched_flights[index].add(flight_key)
            self._matched_bookings[index].add(booking_key)
            if len(self._samples[index]) < self.sample_size:
                self._samples[index].append(ref)
        return tuple(matched)

    def report(self, *, on: date | None = None) -> BacktestReport:
        """The report so far; ``on`` dates the statuses (default: as_of, else the last flight date)."""
        day = on or self.as_of or max((d for _, d in self._flights if d), default=date.min)
        return BacktestReport(
            travellers=self._travellers,
            bookings=len(self._bookings),
            flights=len(self._flights),
            criteria=tuple(
                CriterionBacktest(
                    criterion_id=c.id,
                    version=c.version,
                    status=c.status(day),
                    travellers=self._matched[i],
                    bookings=len(self._matched_bookings[i]),
                    flights=len(self._matched_flights[i]),
                    sample=tuple(self._samples[i]),
                )
                for i, c in enumerate(self.criteria)
            ),
        )


def backtest(
    criteria: Iterable[Criterion],
    screenings: Iterable[tuple[Flight, Booking, Traveller]],
    *,
    as_of: date | None = None,
    sample_size: int = 10,
    on: date | None = None,
) -> BacktestReport:
    """What each criterion would have matched on ``(flight, booking, traveller)`` triples: a pure function.

    It gives exactly what evaluating each traveller in turn gives (tests/screening/test_criteria.py).
    """
    run = Backtest(criteria, as_of=as_of, sample_size=sample_size)
    for flight, booking, traveller in screenings:
        run.add(flight, booking, traveller)
    return run.report(on=on)
