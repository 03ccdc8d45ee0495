"""Comparing a screened person with a watchlist entry: a calibrated score in 0..1 and its explanation.

`compare_names` aligns the parts of two names in any order (`names.parse_name` gives the parts):
each pair of parts scores 1 when equal, `SIM_VARIANT` when rigour knows them as one name (Mohammed /
Muhammad, Iwan / Ivan, Osama / Usama), `SIM_NICK` for a nickname (Ben / Benjamin), `SIM_INITIAL` for
an initial and the part it begins, `SIM_PREFIX` for a cut-short part and the part it begins, and
otherwise a spelling similarity (optimal string alignment, with a floor when the metaphone codes
agree). Two or three adjacent parts may be joined to meet one part (`ABDUL RAHMAN` / `ABDULRAHMAN`),
and a given name may be the start or end of a longer one (`JOHNPAUL` / `John`, `paul` left over).
Parts are paired greedily, best first. The name score is a logistic function of what the alignment
shows (`name_features`, `_NAME_WEIGHTS`): the weakest paired part, parts left over on one side only (a
missing middle name: cheap) and on both sides (a conflict: another person), too few parts paired, and
parts out of order. Family names weigh more than given names; particles, honorifics, initials and very
common names less.

`score_entry` takes the best of the entry's names and adds the other evidence, each a category with a
weight in a logistic model (`EVIDENCE_WEIGHTS`): date of birth (exact, day and month swapped, to the
month, year only, one year off, same year with another day, contradicting), document number (exact,
equal but for OCR confusions such as O/0, I/1, S/5, B/8, one character off, different), nationality
(same, different) and gender (same, different). Date, nationality and gender count in proportion to the
name score (they confirm or refute a name); a document counts on its own. Every `Feature` says the two
values compared, their agreement and what the feature added to (or took from) the final score; the
contributions add up to the score.

All weights are constants fitted offline (see `bench/screening_pairs.py --fit`); nothing is learned at
run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import pycountry
from rapidfuzz.distance import OSA
from rigour.text.phonetics import metaphone

from openpiu.model import Gender, PartialDate
from openpiu.model.screening import Feature, ScreenedPerson, WatchlistEntry
from openpiu.screening.names import Kind, ParsedName, Role, Token, is_known_name, joins, parse_name

__all__ = [
    "BIAS",
    "EVIDENCE_COLUMNS",
    "EVIDENCE_WEIGHTS",
    "Alignment",
    "Dob",
    "Doc",
    "Link",
    "Term",
    "airline_name",
    "align",
    "compare_names",
    "compare_parsed",
    "country",
    "date_of_birth_evidence",
    "document_evidence",
    "evidence",
    "name_features",
    "score_entry",
]

# --- name parts ------------------------------------------------------------------------------------

SIM_VARIANT = 0.92  # rigour knows both as one name (Wikidata name id)
SIM_NICK = 0.85  # rigour knows one as a nickname of the other
SIM_INITIAL = 0.8  # an initial and a name it begins
SIM_PREFIX = 0.95  # a part cut short and the part it begins
SIM_PHONETIC = 0.8  # floor when the metaphone codes agree (Schulze / Scholz, Husayn / Hussein)
MIN_LINK = 0.5  # parts less similar than this are not paired

# Weights of name parts in the alignment.
WEIGHT_KIND = {
    Kind.NAME: 1.0,
    Kind.PARTICLE: 0.2,
    Kind.HONORIFIC: 0.3,
    Kind.INITIAL: 0.5,
    Kind.NOISE: 0.05,
}
WEIGHT_FAMILY = 1.3
#: Given names so common that they tell little (the index would call them frequent keys).
COMMON_PARTS = frozenset(
    {
        "mohammed", "mohammad", "muhammad", "mohamed", "muhammed", "mohamad", "mohd", "ahmed", "ahmad",
        "ali", "abdul", "abdel", "abd", "abdallah", "abdullah", "abu", "hassan", "hasan", "hussein",
        "husain", "mahmoud", "mahmood", "omar", "umar", "ibrahim", "khan", "kim", "lee", "li", "wang",
        "zhang", "chen", "liu", "nguyen", "singh", "kumar", "john", "maria", "jose", "juan", "jean",
    }
)  # fmt: skip
WEIGHT_COMMON = 0.7


def _token_weight(token: Token) -> float:
    weight = WEIGHT_KIND[token.kind]
    if token.role is Role.FAMILY:
        weight *= WEIGHT_FAMILY
    if token.text in COMMON_PARTS:
        weight *= WEIGHT_COMMON
    return weight


@lru_cache(maxsize=262_144)
def _metaphone(text: str) -> str:
    return metaphone(text)


def _spelling(a: str, b: str) -> float:
    score = OSA.normalized_similarity(a, b)
    if score < SIM_PHONETIC and min(len(a), len(b)) >= 3 and _metaphone(a) == _metaphone(b):
        score = SIM_PHONETIC
    return score


def _part_similarity(a: Token, b: Token) -> tuple[float, str]:
    """How alike two name parts are, and why: exact, variant, nickname, initial, prefix or spelling."""
    if a.text == b.text:
        return 1.0, "exact"
    if a.kind is Kind.INITIAL or b.kind is Kind.INITIAL:
        return (SIM_INITIAL if a.text[0] == b.text[0] else 0.0), "initial"
    common = a.symbols & b.symbols
    if common:
        if all(s.startswith("NICK:") for s in common):
            return SIM_NICK, "nickname"
        return SIM_VARIANT, "variant"
    if a.prefix and len(a.text) >= 2 and b.text.startswith(a.text):
        return SIM_PREFIX, "prefix"
    if b.prefix and len(b.text) >= 2 and a.text.startswith(b.text):
        return SIM_PREFIX, "prefix"
    return _spelling(a.text, b.text), "spelling"


# --- alignment -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """Parts of the query (indexes) paired with parts of the candidate, their similarity and why.

    A `partial` link pairs a part with the start or end of a longer part (`JOHNPAUL` / `John`): `rest`
    is what is left of the longer part (`paul`), on the side `rest_side` ("q" or "c").
    """

    query: tuple[int, ...]
    candidate: tuple[int, ...]
    score: float
    how: str
    rest: str = ""
    rest_side: str = ""


@dataclass(frozen=True, slots=True)
class Alignment:
    links: tuple[Link, ...]
    query_left: tuple[int, ...]  # parts of the query paired with nothing
    candidate_left: tuple[int, ...]
    query_duplicates: tuple[int, ...]  # parts repeated in the same name ("Sergey Sergey Shoigu")
    candidate_duplicates: tuple[int, ...]


#: Endings that make a new name of a name (Peter-son, Ivan-ov): never split off as a glued second name.
_SUFFIXES = frozenset(
    {"son", "sen", "sson", "ova", "eva", "ich", "vic", "ski", "sky", "ska", "ian", "yan", "ini"}
)


def _glued(long: Token, short: Token) -> str | None:
    """What is left of `long` when it is `short` glued to another given name (`johnpaul` - `john`)."""
    if long.role is Role.FAMILY or short.role is Role.FAMILY:
        return None
    return _rest(long.text, short.text)


def _rest(long: str, short: str) -> str | None:
    if len(short) < 3 or len(long) < len(short) + 3:
        return None
    if long.startswith(short):
        rest = long[len(short) :]
    elif long.endswith(short):
        rest = long[: -len(short)]
    else:
        return None
    return rest if rest not in _SUFFIXES and is_known_name(rest) else None


def _joined_links(
    joins: tuple[tuple[tuple[int, ...], str], ...], singles: tuple[Token, ...], joins_are_query: bool
) -> list[tuple[float, int, Link]]:
    """Links between joined runs of one name and single parts of the other."""
    out = []
    for j, b in enumerate(singles):
        single = b.text
        size = len(single)
        if b.kind is not Kind.NAME or size < 4:
            continue
        for indexes, text in joins:
            length = len(text)
            if text == single:
                score = 1.0
            elif b.prefix and text.startswith(single):
                score = SIM_PREFIX
            elif abs(length - size) <= 0.2 * max(length, size):
                score = _spelling(text, single)
            elif size >= length + 3 and b.role is not Role.FAMILY:
                rest = _rest(single, text)
                if rest is not None:  # "JOHNPAULPETER" / "John Paul": "peter" left over
                    side = "c" if joins_are_query else "q"
                    if joins_are_query:
                        link = Link(indexes, (j,), 1.0, "partial", rest, side)
                    else:
                        link = Link((j,), indexes, 1.0, "partial", rest, side)
                    out.append((0.95, len(indexes), link))
                continue
            else:
                continue
            if score >= 0.8:
                link = (
                    Link(indexes, (j,), score, "joined")
                    if joins_are_query
                    else Link((j,), indexes, score, "joined")
                )
                out.append((score, len(indexes), link))
    return out


def align(query: ParsedName, candidate: ParsedName) -> Alignment:
    """Pair the parts of two names, best pairs first; joined adjacent parts may meet one part."""
    q, c = query.tokens, candidate.tokens
    links: list[tuple[float, int, Link]] = []
    for i, a in enumerate(q):
        for j, b in enumerate(c):
            score, how = _part_similarity(a, b)
            if score >= MIN_LINK:
                links.append((score, 1, Link((i,), (j,), score, how)))
            if (
                score < 0.95
                and a.kind is Kind.NAME
                and b.kind is Kind.NAME
                and abs(len(a.text) - len(b.text)) >= 3
                and (a.text[:3] == b.text[:3] or a.text[-3:] == b.text[-3:])
            ):
                rest = _glued(a, b) if len(a.text) > len(b.text) else _glued(b, a)
                if rest is not None:
                    side = "q" if len(a.text) > len(b.text) else "c"
                    # ranked below every whole pairing of the same score
                    links.append((0.95, 0, Link((i,), (j,), 1.0, "partial", rest, side)))
    query_joins, candidate_joins = joins(query.original), joins(candidate.original)
    if query_joins:
        links += _joined_links(query_joins, c, True)
    if candidate_joins:
        links += _joined_links(candidate_joins, q, False)
    links.sort(key=lambda item: (-item[0], -item[1]))
    used_q: set[int] = set()
    used_c: set[int] = set()
    chosen = []
    for _, _, link in links:
        if used_q.isdisjoint(link.query) and used_c.isdisjoint(link.candidate):
            chosen.append(link)
            used_q.update(link.query)
            used_c.update(link.candidate)
    # the rest of a glued part may be another part of the other name: "JOHNPAUL" / "John Peter Paul"
    for k, link in enumerate(chosen):
        if link.rest:
            tokens, used = (c, used_c) if link.rest_side == "q" else (q, used_q)
            for index, token in enumerate(tokens):
                if index not in used and token.text == link.rest:
                    used.add(index)
                    chosen[k] = Link(
                        link.query + ((index,) if link.rest_side == "c" else ()),
                        link.candidate + ((index,) if link.rest_side == "q" else ()),
                        1.0,
                        "joined",
                    )
                    break
    q_left = [i for i in range(len(q)) if i not in used_q]
    c_left = [j for j in range(len(c)) if j not in used_c]
    # A part repeated in one name ("Sergey Sergey Shoigu") is free when the other name has nothing left.
    q_dup: tuple[int, ...] = ()
    c_dup: tuple[int, ...] = ()
    if not any(c[j].kind is Kind.NAME for j in c_left):
        q_dup = tuple(i for i in q_left if any(q[i].text == q[k].text for k in used_q))
    if not any(q[i].kind is Kind.NAME for i in q_left):
        c_dup = tuple(j for j in c_left if any(c[j].text == c[k].text for k in used_c))
    chosen.sort(key=lambda link: link.query)
    return Alignment(
        tuple(chosen),
        tuple(i for i in q_left if i not in q_dup),
        tuple(j for j in c_left if j not in c_dup),
        q_dup,
        c_dup,
    )


# --- name score ------------------------------------------------------------------------------------


def name_features(query: ParsedName, candidate: ParsedName, alignment: Alignment) -> dict[str, float]:
    """What the alignment shows, as the numbers the name score weighs (`_NAME_WEIGHTS`).

    - `weakest`: the lowest similarity of a paired name part (1 when all agree), and `weak_gap` how far
      it is below 0.85 (a steep penalty for a part that is only somewhat alike: Castro / Castillo);
    - `conflict`: the weight left over on both sides at once (a part of each name that found no
      counterpart: Tusk Donald / Tusk Daniel, a different nisbah), the smaller of the two;
    - `left_q`, `left_c`: the weight left over on each side (missing middle names, a title-like word);
    - `one_part`: only one name part paired while more were written (Walijan / Walijan Abdul Ghafoor);
    - `crossings`: paired parts out of order, when neither name says which part is the family name;
    - `exact`: every part paired exactly and in order (a fixed bonus: a name scores 0.974 against itself).
    """
    q, c = query.tokens, candidate.tokens
    weakest = 1.0
    names_matched = 0
    exact = True
    # Parts that make a name: name parts, or anything when the query has none ("J. K.").
    if any(t.kind is Kind.NAME for t in q):
        significant: frozenset[Kind] = frozenset({Kind.NAME})
    else:
        significant = frozenset(Kind)
    for link in alignment.links:
        if link.score < 1.0:
            exact = False
        if any(q[i].kind in significant for i in link.query):
            weakest = min(weakest, link.score)
            names_matched += 1
    left_q = sum(_token_weight(q[i]) for i in alignment.query_left)
    left_c = sum(_token_weight(c[j]) for j in alignment.candidate_left)
    for link in alignment.links:  # what is left of a glued part counts as a part left over
        if link.rest_side == "q":
            left_q += _token_weight(q[link.query[0]])
        elif link.rest_side == "c":
            left_c += _token_weight(c[link.candidate[0]])
    crossings = 0
    if not (query.structured or candidate.structured):
        order = [link.candidate[0] for link in alignment.links]
        crossings = sum(1 for k in range(1, len(order)) if order[k] < order[k - 1])
    matched = names_matched > 0
    return {
        "weakest": weakest if matched else 0.0,
        "weak_gap": max(0.0, 0.85 - weakest) if matched else 0.0,
        "conflict": min(left_q, left_c),
        "left_q": left_q,
        "left_c": left_c,
        "one_part": 1.0 if names_matched == 1 and (left_q >= 1 or left_c >= 1) else 0.0,
        "crossings": float(crossings),
        "exact": 1.0 if matched and exact and not left_q and not left_c and not crossings else 0.0,
    }


def compare_parsed(query: ParsedName, candidate: ParsedName) -> tuple[float, Alignment, dict[str, float]]:
    """`compare_names` on parsed names, with the alignment and the features it was scored on."""
    alignment = align(query, candidate)
    features = name_features(query, candidate, alignment)
    z = _NAME_BIAS + sum(_NAME_WEIGHTS[k] * v for k, v in features.items())
    return _sigmoid(z), alignment, features


# The name model: logistic regression of the features above, fitted (IRLS, L2 0.1) on the 548 labelled
# Person pairs of nomenklatura's name_bench (`bench/screening_pairs.py --fit`: F1 at 0.5 in-sample
# 0.886, 5 x 5-fold cross-validated 0.879). `exact` is not fitted (NAME_FIXED): a fixed bonus so that a
# name scores at least 0.95 against itself (0.974).
NAME_FIXED = frozenset({"exact"})
_NAME_BIAS = 0.459
_NAME_WEIGHTS: dict[str, float] = {
    "weakest": 2.143,
    "weak_gap": -9.237,
    "conflict": -3.928,
    "left_q": -0.604,
    "left_c": -0.676,
    "one_part": -0.300,
    "crossings": -1.429,
    "exact": 1.000,
}


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def compare_names(query: str, candidate: str) -> tuple[float, tuple[Feature, ...]]:
    """Compare two names: a score in 0..1 and one `Feature` per pair of parts (and per part left over)."""
    pq, pc = parse_name(query), parse_name(candidate)
    score, alignment, _ = compare_parsed(pq, pc)
    return score, _explain(pq, pc, alignment)


def _explain(query: ParsedName, candidate: ParsedName, alignment: Alignment) -> tuple[Feature, ...]:
    out = []
    for link in alignment.links:
        out.append(
            Feature(
                f"name_part:{link.how}",
                " ".join(query.tokens[i].text for i in link.query),
                " ".join(candidate.tokens[j].text for j in link.candidate),
                round(link.score, 4),
                0.0,
            )
        )
        if link.rest_side == "q":
            out.append(Feature("name_part:unmatched", link.rest, None, 0.0, 0.0))
        elif link.rest_side == "c":
            out.append(Feature("name_part:unmatched", None, link.rest, 0.0, 0.0))
    for i in alignment.query_left:
        out.append(Feature("name_part:unmatched", query.tokens[i].text, None, 0.0, 0.0))
    for j in alignment.candidate_left:
        out.append(Feature("name_part:unmatched", None, candidate.tokens[j].text, 0.0, 0.0))
    return tuple(out)


# --- evidence beside the name -----------------------------------------------------------------------


class Dob(StrEnum):
    """How two dates of birth relate."""

    EXACT = "exact"
    SWAPPED = "swapped"  # day and month swapped (04/05 vs 05/04)
    MONTH = "month"  # same year and month, a day unknown
    YEAR = "year"  # same year, month or day unknown on one side
    YEAR_OFF = "year_off"  # one year apart, the rest equal or unknown
    SAME_YEAR = "same_year"  # same year, month or day contradict
    CONTRADICTING = "contradicting"


DOB_AGREEMENT = {
    Dob.EXACT: 1.0,
    Dob.SWAPPED: 0.8,
    Dob.MONTH: 0.8,
    Dob.YEAR: 0.6,
    Dob.YEAR_OFF: 0.4,
    Dob.SAME_YEAR: 0.2,
    Dob.CONTRADICTING: -1.0,
}


def date_of_birth_evidence(query: PartialDate | None, candidate: PartialDate | None) -> Dob | None:
    """How the dates relate, with their precision; None when either is unknown."""
    if query is None or candidate is None:
        return None
    qm, qd, cm, cd = query.month, query.day, candidate.month, candidate.day
    if query.year == candidate.year:
        if qm is None or cm is None:
            return Dob.YEAR
        if qm == cm:
            if qd is None or cd is None:
                return Dob.MONTH
            return Dob.EXACT if qd == cd else Dob.SAME_YEAR
        if qd is not None and cd is not None and qd == cm and qm == cd:
            return Dob.SWAPPED
        return Dob.SAME_YEAR
    close = qm is None or cm is None or (qm == cm and (qd is None or cd is None or qd == cd))
    if abs(query.year - candidate.year) == 1 and close:
        return Dob.YEAR_OFF
    return Dob.CONTRADICTING


class Doc(StrEnum):
    """How the document numbers of the two sides relate."""

    EXACT = "exact"
    OCR = "ocr"  # equal but for characters OCR and typists confuse (O/0, I/1, S/5, B/8 ...)
    NEAR = "near"  # one character off (typo, transposition)
    DIFFERENT = "different"  # both have documents, none alike (a new passport is common)


DOC_AGREEMENT = {Doc.EXACT: 1.0, Doc.OCR: 0.9, Doc.NEAR: 0.6, Doc.DIFFERENT: 0.0}
_OCR = str.maketrans("OQDILZSBG", "000112586")
MIN_DOCUMENT_LENGTH = 5  # shorter numbers match too much by chance


def _document(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def document_evidence(
    query: tuple[str, ...], candidate: tuple[str, ...]
) -> tuple[Doc | None, str | None, str | None]:
    """The best relation between any two document numbers, with the two numbers; None when a side has none."""
    qs = [d for d in (_document(x) for x in query) if len(d) >= MIN_DOCUMENT_LENGTH]
    cs = [d for d in (_document(x) for x in candidate) if len(d) >= MIN_DOCUMENT_LENGTH]
    if not qs or not cs:
        return None, None, None
    best: tuple[Doc, str, str] = (Doc.DIFFERENT, qs[0], cs[0])
    rank = {Doc.EXACT: 3, Doc.OCR: 2, Doc.NEAR: 1, Doc.DIFFERENT: 0}
    for q in qs:
        for c in cs:
            if q == c:
                return Doc.EXACT, q, c
            fq, fc = q.translate(_OCR), c.translate(_OCR)
            if fq == fc:
                kind = Doc.OCR
            elif len(fq) >= 6 and OSA.distance(fq, fc, score_cutoff=1) <= 1:
                kind = Doc.NEAR
            else:
                continue
            if rank[kind] > rank[best[0]]:
                best = (kind, q, c)
    return best


# Codes of machine-readable documents that are not ISO 3166-1 alpha-3.
_MRZ_COUNTRIES = {
    "D": "DE",
    "GBD": "GB",
    "GBN": "GB",
    "GBO": "GB",
    "GBP": "GB",
    "GBS": "GB",
    "RKS": "XK",
    "UNK": "XK",
}


@lru_cache(maxsize=1024)
def country(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from alpha-2, alpha-3 or an MRZ code; None when unknown."""
    if not code:
        return None
    code = code.strip().upper()
    if code in _MRZ_COUNTRIES:
        return _MRZ_COUNTRIES[code]
    if len(code) == 2 and code.isalpha():
        return code
    if len(code) == 3 and code.isalpha():
        found = pycountry.countries.get(alpha_3=code)
        return str(found.alpha_2) if found is not None else None
    return None


def _gender(value: Gender | None) -> str | None:
    return value.value if value in (Gender.MALE, Gender.FEMALE) else None


# --- the entry score ------------------------------------------------------------------------------


def airline_name(person: ScreenedPerson) -> str:
    """The person's name in airline form, `SURNAME/GIVEN NAMES`."""
    return f"{person.surname}/{person.given_names}" if person.given_names else person.surname


def _logit(p: float) -> float:
    p = min(max(p, NAME_CLIP), 1.0 - NAME_CLIP)
    return math.log(p / (1.0 - p))


NAME_CLIP = 0.005  # the name score enters the entry score as its logit, clipped to this much from 0 and 1


@dataclass(frozen=True, slots=True)
class Term:
    """One input of the entry score: its column in `EVIDENCE_WEIGHTS`, its value, and its feature."""

    column: str
    value: float
    feature: Feature


def evidence(person: ScreenedPerson, entry: WatchlistEntry) -> tuple[tuple[Term, ...], tuple[Feature, ...]]:
    """The terms of the entry score, and the name-part features that explain the name.

    The name term's value is the logit of the best name score over the entry's names. Date of birth,
    nationality and gender count in proportion to that name score (their value is the name score, or
    1 without a name to compare): they confirm or refute a name, they do not make a match of a
    different name. A document counts on its own (value 1): a listed document alerts whoever carries it.
    """
    terms: list[Term] = []
    parts: tuple[Feature, ...] = ()
    gate = 1.0
    query_name = airline_name(person)
    if entry.names and person.surname.strip():
        pq = parse_name(query_name)
        best_score, best_name, best_alignment, best_parsed = -1.0, "", None, pq
        for name in entry.names:
            pc = parse_name(name)
            score, alignment, _ = compare_parsed(pq, pc)
            if score > best_score:
                best_score, best_name, best_alignment, best_parsed = score, name, alignment, pc
        if best_alignment is not None:
            parts = _explain(pq, best_parsed, best_alignment)
            gate = best_score
            feature = Feature("name", query_name, best_name, round(best_score, 4), 0.0)
            terms.append(Term("name", _logit(best_score), feature))
    dob = date_of_birth_evidence(person.date_of_birth, entry.date_of_birth)
    if dob is not None:
        feature = Feature(
            f"date_of_birth:{dob.value}",
            str(person.date_of_birth),
            str(entry.date_of_birth),
            DOB_AGREEMENT[dob],
            0.0,
        )
        terms.append(Term(f"dob:{dob.value}", gate, feature))
    doc, doc_q, doc_c = document_evidence(person.documents, entry.documents)
    if doc is not None:
        terms.append(
            Term(
                f"document:{doc.value}",
                1.0,
                Feature(f"document:{doc.value}", doc_q, doc_c, DOC_AGREEMENT[doc], 0.0),
            )
        )
    nationality = country(person.nationality)
    nationalities = [c for c in (country(n) for n in entry.nationalities) if c]
    if nationality and nationalities:
        same = "same" if nationality in nationalities else "different"
        feature = Feature(
            f"nationality:{same}", nationality, ";".join(nationalities), float(same == "same"), 0.0
        )
        terms.append(Term(f"nationality:{same}", gate, feature))
    gq, gc = _gender(person.gender), _gender(entry.gender)
    if gq and gc:
        same = "same" if gq == gc else "different"
        terms.append(
            Term(f"gender:{same}", gate, Feature(f"gender:{same}", gq, gc, float(same == "same"), 0.0))
        )
    return tuple(terms), parts


def score_entry(person: ScreenedPerson, entry: WatchlistEntry) -> tuple[float, tuple[Feature, ...]]:
    """How likely `entry` is `person`: a calibrated score in 0..1 and the features that made it.

    The score is `sigmoid(BIAS + sum of weight x value)` over the terms of `evidence` (weights in
    `EVIDENCE_WEIGHTS`). Contributions are marginal, in the order name, date of birth, document,
    nationality, gender: the first feature's is the score it gives alone (with the bias), each next one's
    how much it moved the score, so they add up to the score. The name-part features follow, with
    contribution 0: they explain the name feature.
    """
    terms, parts = evidence(person, entry)
    if not terms:
        return 0.0, ()
    z = BIAS
    before = 0.0
    out = []
    for term in terms:
        z += EVIDENCE_WEIGHTS[term.column] * term.value
        now = _sigmoid(z)
        f = term.feature
        out.append(Feature(f.feature, f.query, f.candidate, f.score, round(now - before, 4)))
        before = now
    return before, (*out, *parts)


#: The columns of the evidence model, in the order of `EVIDENCE_WEIGHTS`.
EVIDENCE_COLUMNS = (
    "name",
    *(f"dob:{d.value}" for d in Dob),
    *(f"document:{d.value}" for d in Doc),
    "nationality:same",
    "nationality:different",
    "gender:same",
    "gender:different",
)

# The evidence model: logistic regression (IRLS, L2 1.0, both classes weighted equally, i.e. a 50 %
# prior) on 29,990 seeded synthetic pairs (6,056 positive), `bench/screening_pairs.py --fit --seed 0`
# (see `synthetic_pairs` there: listed persons travelling under airline renderings and date, document,
# nationality and gender slips; innocents paired with the entries an index would return; namesakes;
# stolen documents); each date-of-birth weight is then floored by the weaker relation's. Logit units.
# On those pairs, 96.1 % of positives and 0.31 % of negatives score at least 0.75.
BIAS = 0.293
EVIDENCE_WEIGHTS: dict[str, float] = {
    "name": 0.919,
    "dob:exact": 7.366,
    "dob:swapped": 3.242,
    "dob:month": 3.242,
    "dob:year": 3.242,
    "dob:year_off": 2.034,
    "dob:same_year": 1.296,
    "dob:contradicting": -9.322,
    "document:exact": 6.694,
    "document:ocr": 2.232,
    "document:near": -0.196,
    "document:different": -0.846,
    "nationality:same": 3.573,
    "nationality:different": -3.584,
    "gender:same": 1.420,
    "gender:different": -1.820,
}
