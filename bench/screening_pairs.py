"""Name-pair benchmark: openpiu's `compare_names` on nomenklatura's labelled Person pairs, beside logic-v2's
frozen scores and an OFAC-style Jaro-Winkler scorer.

    uv run python bench/screening_pairs.py [--threshold 0.5]
    uv run python bench/screening_pairs.py --fit [--seed 0]

Workload: the Person rows of `namedata/opensanctions/nomenklatura_name_bench_cases.csv` (548 pairs,
labels of that file), each scored by
- openpiu: `openpiu.screening.scoring.compare_names(name1, name2)`, alert at `--threshold` (0.5);
- logic-v2: OpenSanctions' frozen scores (`nomenklatura_name_bench_logicv2_frozen_scores.csv`), joined on
  (schema, name1, name2), at its own threshold 0.7; reported twice: on its 541 Person rows with the labels
  of its own file (the published F1 0.74), and on the joined rows with the labels of `cases.csv`, where
  openpiu is also reported on exactly those rows;
- OFAC-style: rapidfuzz Jaro-Winkler of the two whole names, ASCII-folded, lower-cased, punctuation
  removed (as OFAC's Sanctions List Search scores the whole string), at the threshold that gives it its
  best F1 on these pairs (an optimistic baseline), measured in the same run.
Figures: precision, recall and F1 at the threshold; recall at 1 %, 5 % and 10 % false-positive rate;
name pairs per CPU second (openpiu with every name new, i.e. parsed and looked up in rigour's name
tables for the first time, and again with the names parsed before, as a list's names are; logic-v2's
published 43 us per name pair for comparison, not measured here).

`--fit` refits the frozen weights of `openpiu/screening/scoring.py` and prints them:
- the name model (`_NAME_BIAS`, `_NAME_WEIGHTS`): logistic regression (IRLS, L2 0.1) of the alignment
  features on the same 548 labelled pairs, with 5 x 5-fold cross-validated F1 so the in-sample figure can
  be judged;
- the evidence model (`BIAS`, `EVIDENCE_WEIGHTS`): logistic regression (IRLS, L2 1.0, classes weighted
  equally, i.e. a 50 % prior) on seeded synthetic pairs made from `yente_negatives_global_50k.csv.gz`
  (see `synthetic_pairs`), then each date-of-birth weight floored by the weaker relation's (`DOB_ORDER`).
The evidence model sees name scores of the name model in the code: after pasting new name weights, run
`--fit` again until its output stops changing (one more round).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import math
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pycountry
from anyascii import anyascii
from rapidfuzz.distance import JaroWinkler

from openpiu.model import Gender, PartialDate
from openpiu.model.screening import ScreenedPerson, WatchlistEntry
from openpiu.screening import scoring
from openpiu.screening.names import _ascii, _token_symbols, joins, name_keys, parse_name

HERE = Path(__file__).resolve().parent
TARGET_F1 = 0.80
LOGIC_V2_THRESHOLD = 0.7


def shared_dir() -> Path:
    override = os.environ.get("OPENPIU_SHARED_DIR", "").strip()
    return Path(override).expanduser().resolve() if override else HERE.parent.parent / "shared"


def namedata() -> Path:
    return shared_dir() / "namedata" / "opensanctions"


# --- data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    name1: str
    name2: str
    is_match: bool
    quality: str
    group: str


def load_pairs(folder: Path | None = None) -> list[Pair]:
    """The Person rows of nomenklatura's name_bench cases, with their labels."""
    path = (folder or namedata()) / "nomenklatura_name_bench_cases.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Pair(r["name1"], r["name2"], r["is_match"] == "true", r["quality"], r["case_group"])
            for r in csv.DictReader(fh)
            if r["schema"] == "Person"
        ]


def load_logic_v2(folder: Path | None = None) -> list[tuple[str, str, float, bool]]:
    """logic-v2's Person rows: (name1, name2, frozen score, the label of its own file)."""
    path = (folder or namedata()) / "nomenklatura_name_bench_logicv2_frozen_scores.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            (r["name1"], r["name2"], float(r["score"]), r["is_match"] == "true")
            for r in csv.DictReader(fh)
            if r["schema"] == "Person"
        ]


# --- metrics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    n: int
    precision: float
    recall: float
    f1: float
    recall_at_fpr: dict[float, float]


def metrics(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> Metrics:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    predicted = s >= threshold
    tp = int((predicted & y).sum())
    fp = int((predicted & ~y).sum())
    fn = int((~predicted & y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    negatives = np.sort(s[~y])[::-1]
    at: dict[float, float] = {}
    for rate in (0.01, 0.05, 0.10):
        allowed = math.floor(rate * len(negatives))
        # the lowest threshold that lets at most `allowed` negatives through: above the next negative
        cut = negatives[allowed] if allowed < len(negatives) else -math.inf
        at[rate] = float((s[y] > cut).mean()) if y.any() else 0.0
    return Metrics(len(s), precision, recall, f1, at)


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> float:
    candidates = sorted({round(x, 4) for x in scores})
    return max(candidates, key=lambda t: metrics(scores, labels, t).f1)


# --- scorers ---------------------------------------------------------------------------------------


def ofac_normalise(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in anyascii(text).lower()).split())


def jaro_winkler(name1: str, name2: str) -> float:
    """OFAC-style baseline: Jaro-Winkler of the two whole normalised names."""
    return float(JaroWinkler.similarity(ofac_normalise(name1), ofac_normalise(name2)))


def openpiu_score(name1: str, name2: str) -> float:
    return scoring.compare_names(name1, name2)[0]


def timed(scorer: Callable[[str, str], float], pairs: Sequence[Pair]) -> tuple[list[float], float]:
    """Scores and the CPU seconds they took (CPU time: the machine is shared)."""
    started = time.process_time()
    out = [scorer(p.name1, p.name2) for p in pairs]
    return out, time.process_time() - started


# --- evaluation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    threshold: float
    ours: Metrics
    ours_on_joined: Metrics
    logic_v2_own_labels: Metrics
    logic_v2_on_joined: Metrics
    jaro_winkler: Metrics
    jw_threshold: float
    joined: int
    relabelled: int
    missing: int
    ours_pairs_per_s: float  # cold: every name parsed for the first time
    ours_warm_pairs_per_s: float  # names parsed before (as a list's are)
    jw_pairs_per_s: float


def cold_caches() -> None:
    """Load rigour's name data (seconds, once per process), then empty openpiu's caches."""
    parse_name("WARM/UP")
    for cache in (parse_name, joins, _ascii, _token_symbols, scoring._metaphone):
        cache.cache_clear()


def evaluate(pairs: list[Pair], logic_v2: list[tuple[str, str, float, bool]], threshold: float) -> Evaluation:
    cold_caches()
    ours, ours_s = timed(openpiu_score, pairs)
    _, warm_s = timed(openpiu_score, pairs)
    jw, jw_s = timed(jaro_winkler, pairs)
    labels = [p.is_match for p in pairs]
    jw_threshold = best_threshold(jw, labels)
    frozen = {(n1, n2): (score, own) for n1, n2, score, own in logic_v2}
    joined = [(i, frozen[(p.name1, p.name2)]) for i, p in enumerate(pairs) if (p.name1, p.name2) in frozen]
    relabelled = sum(1 for i, (_, own) in joined if own != pairs[i].is_match)
    return Evaluation(
        threshold=threshold,
        ours=metrics(ours, labels, threshold),
        ours_on_joined=metrics([ours[i] for i, _ in joined], [labels[i] for i, _ in joined], threshold),
        logic_v2_own_labels=metrics(
            [score for _, _, score, _ in logic_v2], [own for _, _, _, own in logic_v2], LOGIC_V2_THRESHOLD
        ),
        logic_v2_on_joined=metrics(
            [s for _, (s, _) in joined], [labels[i] for i, _ in joined], LOGIC_V2_THRESHOLD
        ),
        jaro_winkler=metrics(jw, labels, jw_threshold),
        jw_threshold=jw_threshold,
        joined=len(joined),
        relabelled=relabelled,
        missing=len(pairs) - len(joined),
        ours_pairs_per_s=len(pairs) / ours_s,
        ours_warm_pairs_per_s=len(pairs) / warm_s,
        jw_pairs_per_s=len(pairs) / jw_s,
    )


def report(ev: Evaluation) -> None:
    print("# openpiu name-pair benchmark: nomenklatura name_bench, Person pairs")
    print(
        f"# {ev.ours.n} pairs (labels of cases.csv); logic-v2 frozen scores joined on (schema, name1, "
        f"name2): {ev.joined} pairs, {ev.missing} without a frozen score, {ev.relabelled} whose label "
        "changed since"
    )
    print(
        f"# thresholds: openpiu {ev.threshold:g}, logic-v2 {LOGIC_V2_THRESHOLD:g}, "
        f"Jaro-Winkler {ev.jw_threshold:g} (its best F1 here)"
    )
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared), timings in CPU time on one core"
    )
    print()

    def row(name: str, ours: float, base: float, base_name: str, fmt: str = ".3f") -> None:
        ratio = f"{ours / base:.2f}x" if base else "-"
        print(f"| {name:<44} | {ours:>9{fmt}} | {base:>9{fmt}} | {base_name:<36} | {ratio:>6} |")

    print(f"| {'metric':<44} | {'openpiu':>9} | {'baseline':>9} | {'baseline is':<36} | {'ratio':>6} |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 11}|{'-' * 38}|{'-' * 8}|")
    o, j, lo, lj = ev.ours, ev.ours_on_joined, ev.logic_v2_own_labels, ev.logic_v2_on_joined
    row("F1, all 548 pairs (target 0.80)", o.f1, lo.f1, f"logic-v2, its {lo.n} rows, own labels")
    row("F1, joined pairs, cases.csv labels", j.f1, lj.f1, f"logic-v2, same {lj.n} pairs")
    row("precision, joined pairs", j.precision, lj.precision, "logic-v2, same pairs")
    row("recall, joined pairs", j.recall, lj.recall, "logic-v2, same pairs")
    for rate in (0.01, 0.05, 0.10):
        row(
            f"recall at {rate:.0%} FPR, joined pairs",
            j.recall_at_fpr[rate],
            lj.recall_at_fpr[rate],
            "logic-v2, same pairs",
        )
    row("F1, all pairs", o.f1, ev.jaro_winkler.f1, "Jaro-Winkler whole string")
    row("precision, all pairs", o.precision, ev.jaro_winkler.precision, "Jaro-Winkler whole string")
    row("recall, all pairs", o.recall, ev.jaro_winkler.recall, "Jaro-Winkler whole string")
    for rate in (0.01, 0.05, 0.10):
        row(
            f"recall at {rate:.0%} FPR, all pairs",
            o.recall_at_fpr[rate],
            ev.jaro_winkler.recall_at_fpr[rate],
            "Jaro-Winkler whole string",
        )
    row(
        "pairs/s, one core, names new",
        ev.ours_pairs_per_s,
        ev.jw_pairs_per_s,
        "Jaro-Winkler whole string",
        ",.0f",
    )
    row(
        "pairs/s, one core, names parsed before",
        ev.ours_warm_pairs_per_s,
        ev.jw_pairs_per_s,
        "Jaro-Winkler whole string",
        ",.0f",
    )
    row(
        "pairs/s, one core, names parsed before",
        ev.ours_warm_pairs_per_s,
        1e6 / 43,
        "logic-v2, 43 us/pair (published)",
        ",.0f",
    )


# --- fitting ---------------------------------------------------------------------------------------


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float, sample_weight: np.ndarray | None = None, iterations: int = 60
) -> np.ndarray:
    """Weights (bias first) of a logistic regression by Newton's method (IRLS) with an L2 penalty."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    sw = np.ones(len(x)) if sample_weight is None else sample_weight
    w = np.zeros(xb.shape[1])
    penalty = l2 * np.diag(np.r_[0.0, np.ones(xb.shape[1] - 1)])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(xb @ w)))
        gradient = xb.T @ (sw * (p - y)) + penalty @ w
        hessian = (xb.T * (sw * p * (1 - p))) @ xb + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(np.hstack([np.ones((len(x), 1)), x]) @ w)))


def fit_names(pairs: list[Pair]) -> None:
    keys = list(scoring._NAME_WEIGHTS)
    fitted = [k for k in keys if k not in scoring.NAME_FIXED]
    rows = []
    for p in pairs:
        q, c = parse_name(p.name1), parse_name(p.name2)
        features = scoring.name_features(q, c, scoring.align(q, c))
        rows.append([features[k] for k in fitted])
    x = np.array(rows)
    y = np.array([p.is_match for p in pairs], dtype=float)
    w = fit_logistic(x, y, l2=0.1)
    inside = metrics(list(predict(w, x)), list(y.astype(bool)), 0.5).f1
    rng = np.random.default_rng(0)
    cross = []
    for _ in range(5):
        folds = np.array_split(rng.permutation(len(y)), 5)
        out = np.zeros(len(y))
        for k, test in enumerate(folds):
            train = np.concatenate([f for i, f in enumerate(folds) if i != k])
            out[test] = predict(fit_logistic(x[train], y[train], l2=0.1), x[test])
        cross.append(metrics(list(out), list(y.astype(bool)), 0.5).f1)
    print(
        f"# name model: {len(y)} Person pairs; F1 at 0.5 in-sample {inside:.3f}, "
        f"5x5-fold CV {np.mean(cross):.3f}"
    )
    print(f"_NAME_BIAS = {w[0]:.3f}")
    print("_NAME_WEIGHTS: dict[str, float] = {")
    for k in keys:
        value = w[1 + fitted.index(k)] if k in fitted else scoring._NAME_WEIGHTS[k]
        print(f'    "{k}": {value:.3f},')
    print("}")


@dataclass(frozen=True)
class Person:
    given: str  # romanised upper case
    middle: str
    surname: str
    full_name: str  # as the source wrote it (any script)
    gender: Gender | None
    born: PartialDate
    nationality: str | None


def load_people(folder: Path | None = None) -> list[Person]:
    path = (folder or namedata()) / "yente_negatives_global_50k.csv.gz"
    out = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            surname = _roman(r["last_name"])
            given = _roman(r["first_name"])
            if not surname or not given:
                continue
            gender = {"male": Gender.MALE, "female": Gender.FEMALE}.get(r["gender"])
            out.append(
                Person(
                    given, _roman(r["middle_name"]), surname, r["full_name"], gender,
                    PartialDate.from_iso(r["date_of_birth"]), _country(r["nationality"]),
                )
            )  # fmt: skip
    return out


def _roman(text: str) -> str:
    return " ".join("".join(ch if ch.isalpha() else " " for ch in anyascii(text).upper()).split())


_COUNTRIES: dict[str, str | None] = {}


def _country(name: str) -> str | None:
    if name not in _COUNTRIES:
        try:
            _COUNTRIES[name] = str(pycountry.countries.lookup(name).alpha_2)
        except LookupError:
            _COUNTRIES[name] = None
    return _COUNTRIES[name]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("AEIOUNRST") + word[i + 1 :]


def airline_rendering(person: Person, rng: random.Random) -> tuple[str, str]:
    """(surname, given names) as a booking might show them: perturbed like the protocol's name classes."""
    surname, given, middle = person.surname, person.given, person.middle
    if middle and rng.random() < 0.6:
        given = f"{given} {middle}"
    if rng.random() < 0.15:
        surname = _typo(surname, rng)
    elif rng.random() < 0.15:
        given = _typo(given, rng)
    if rng.random() < 0.1:
        surname, given = given, surname
    if rng.random() < 0.1:
        given = given.replace(" ", "")
    if rng.random() < 0.1:
        surname = surname.replace(" ", "")
    if rng.random() < 0.5:
        title = {Gender.MALE: "MR", Gender.FEMALE: rng.choice(("MRS", "MS"))}.get(
            person.gender or Gender.OTHER, ""
        )
        if title:
            given = given + rng.choice((" ", "")) + title
    text = f"{surname}/{given}"
    if len(text) > 30:
        text = text[:30]
        surname, _, given = text.partition("/")
    return surname, given


def _passport(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + str(rng.randrange(10**6, 10**7))


def _ocr(number: str, rng: random.Random) -> str:
    swaps = {"0": "O", "1": "I", "5": "S", "8": "B", "O": "0", "I": "1", "S": "5", "B": "8"}
    places = [i for i, ch in enumerate(number) if ch in swaps]
    if not places:
        return number
    i = rng.choice(places)
    return number[:i] + swaps[number[i]] + number[i + 1 :]


def _near(number: str, rng: random.Random) -> str:
    i = rng.randrange(2, len(number))
    return number[:i] + rng.choice([d for d in "0123456789" if d != number[i]]) + number[i + 1 :]


def _with_documents(person: ScreenedPerson, documents: tuple[str, ...]) -> ScreenedPerson:
    return ScreenedPerson(
        person.ref, person.surname, person.given_names, person.date_of_birth, person.nationality, documents,
        person.gender,
    )  # fmt: skip


def _entry(person: Person, number: int, rng: random.Random) -> WatchlistEntry:
    born = person.born
    roll = rng.random()
    if roll < 0.7:
        dob: PartialDate | None = born
    elif roll < 0.75:
        dob = PartialDate(born.year, born.month)
    elif roll < 0.9:
        dob = PartialDate(born.year)
    else:
        dob = None
    return WatchlistEntry(
        entry_id=f"E{number}",
        names=(person.full_name,),
        date_of_birth=dob,
        nationalities=(person.nationality,) if person.nationality and rng.random() < 0.85 else (),
        documents=(_passport(rng),) if rng.random() < 0.4 else (),
        gender=person.gender if rng.random() < 0.6 else None,
    )


def _passenger(person: Person, ref: str, rng: random.Random, documents: tuple[str, ...]) -> ScreenedPerson:
    surname, given = airline_rendering(person, rng)
    return ScreenedPerson(
        ref=ref,
        surname=surname,
        given_names=given or None,
        date_of_birth=person.born,
        nationality=person.nationality,
        documents=documents,
        gender=person.gender,
    )


def synthetic_pairs(
    people: list[Person], rng: random.Random, listed: int = 6000, travellers: int = 8000
) -> list[tuple[ScreenedPerson, WatchlistEntry, bool]]:
    """Labelled (passenger, entry) pairs for the evidence model, seeded.

    A list of `listed` persons (date of birth in full 70 %, to the month 5 %, year only 15 %, none 10 %;
    nationality 85 %;
    a passport number 40 %; gender 60 %), then:
    - positives: each listed person travels once, name rendered as an airline would (typo, order swap,
      missing middle name, no spaces, title, 30-character cut), date of birth exact or (6 % each) day and
      month swapped (when the day is at most 12), a year off, another day; nationality the same 90 %,
      another 5 %, none 5 %; their listed passport 60 % (8 % with an OCR confusion, 5 % one digit off),
      else a new one; gender recorded wrongly 2 %;
    - negatives: `travellers` other persons paired with the 3 best-named entries among those sharing the
      most name keys (what an index returns; 3 % of them hold a passport number one digit off the entry's,
      as sequential issuance gives), and one namesake per 10 listed persons (an innocent with the listed
      name, half of them with a letter changed in the surname, and their own other data);
    - stolen documents: one passenger per 40 listed persons with another name carrying a listed passport.
    """
    sample = rng.sample(people, listed + travellers)
    targets, innocents = sample[:listed], sample[listed:]
    entries = [_entry(p, i, rng) for i, p in enumerate(targets)]
    out: list[tuple[ScreenedPerson, WatchlistEntry, bool]] = []
    for i, (person, entry) in enumerate(zip(targets, entries, strict=True)):
        born = person.born
        roll = rng.random()
        if roll < 0.06 and born.day is not None and born.month is not None and born.day <= 12:
            born = PartialDate(born.year, born.day, born.month)
        elif (
            roll < 0.12
            and born.month is not None
            and born.day is not None
            and not (born.month == 2 and born.day == 29)
        ):
            born = PartialDate(born.year + rng.choice((-1, 1)), born.month, born.day)
        elif roll < 0.18 and born.month is not None:
            born = PartialDate(born.year, born.month, rng.randrange(1, 29))
        nationality = person.nationality
        roll = rng.random()
        if roll < 0.05:
            nationality = rng.choice(targets).nationality
        elif roll < 0.1:
            nationality = None
        if entry.documents and rng.random() < 0.6:
            document = entry.documents[0]
            roll = rng.random()
            if roll < 0.08:
                document = _ocr(document, rng)
            elif roll < 0.13:
                document = _near(document, rng)
        else:
            document = _passport(rng)
        traveller = _passenger(person, f"T{i}", rng, (document,))
        gender = person.gender
        if gender in (Gender.MALE, Gender.FEMALE) and rng.random() < 0.02:  # a data error
            gender = Gender.FEMALE if gender is Gender.MALE else Gender.MALE
        traveller = ScreenedPerson(
            traveller.ref, traveller.surname, traveller.given_names, born, nationality, traveller.documents,
            gender,
        )  # fmt: skip
        out.append((traveller, entry, True))
    # negatives through a small key index
    index: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        for key in sorted(name_keys(entry.names[0])):
            index[key].append(i)
    for k, person in enumerate(innocents):
        passenger = _passenger(person, f"N{k}", rng, (_passport(rng),))
        shared: Counter[int] = Counter()
        for key in sorted(name_keys(scoring.airline_name(passenger))):
            hits = index.get(key, ())
            if len(hits) <= 200:
                shared.update(hits)
        candidates = sorted(shared, key=lambda i: (-shared[i], i))[:20]
        ranked = sorted(
            candidates,
            key=lambda i: (
                -scoring.compare_names(scoring.airline_name(passenger), entries[i].names[0])[0],
                i,
            ),
        )
        for i in ranked[:3]:
            entry = entries[i]
            if entry.documents and rng.random() < 0.03:  # sequential issuance: a number one digit off
                out.append((_with_documents(passenger, (_near(entry.documents[0], rng),)), entry, False))
            else:
                out.append((passenger, entry, False))
    for i in range(0, listed, 10):
        other = rng.choice(innocents)
        target = targets[i]
        surname = target.surname if i % 20 == 0 else _typo(target.surname, rng)
        namesake = Person(
            target.given, target.middle, surname, "", other.gender, other.born, other.nationality
        )
        out.append((_passenger(namesake, f"S{i}", rng, (_passport(rng),)), entries[i], False))
    for i in range(0, listed, 40):
        if entries[i].documents:
            thief = rng.choice(innocents)
            out.append((_passenger(thief, f"D{i}", rng, entries[i].documents), entries[i], True))
    return out


#: Dates of birth from the weakest relation to the strongest.
DOB_ORDER = (
    scoring.Dob.CONTRADICTING,
    scoring.Dob.SAME_YEAR,
    scoring.Dob.YEAR_OFF,
    scoring.Dob.YEAR,
    scoring.Dob.SWAPPED,
    scoring.Dob.MONTH,
    scoring.Dob.EXACT,
)


def evidence_row(person: ScreenedPerson, entry: WatchlistEntry) -> list[float]:
    """The inputs of the evidence model for one pair, in the order of `scoring.EVIDENCE_COLUMNS`."""
    row = [0.0] * len(scoring.EVIDENCE_COLUMNS)
    terms, _ = scoring.evidence(person, entry)
    for term in terms:
        row[scoring.EVIDENCE_COLUMNS.index(term.column)] = term.value
    return row


def fit_evidence(seed: int) -> None:
    rng = random.Random(seed)
    pairs = synthetic_pairs(load_people(), rng)
    x = np.array([evidence_row(p, e) for p, e, _ in pairs])
    y = np.array([label for _, _, label in pairs], dtype=float)
    positives = y.sum()
    weight = np.where(y == 1, 1.0, positives / (len(y) - positives))
    w = fit_logistic(x, y, l2=1.0, sample_weight=weight)
    # A closer date of birth never counts less than a looser one: each weight is floored by the one before.
    columns = list(scoring.EVIDENCE_COLUMNS)
    chain = [f"dob:{d.value}" for d in DOB_ORDER]
    for weaker, stronger in itertools.pairwise(chain):
        i, j = 1 + columns.index(weaker), 1 + columns.index(stronger)
        w[j] = max(w[j], w[i])
    print(f"# evidence model: {len(y)} synthetic pairs ({int(positives)} positive), seed {seed}")
    print(f"BIAS = {w[0]:.3f}")
    print("EVIDENCE_WEIGHTS: dict[str, float] = {")
    for column, coefficient in zip(scoring.EVIDENCE_COLUMNS, w[1:], strict=True):
        print(f'    "{column}": {coefficient:.3f},')
    print("}")
    scores = predict(w, x)
    for label, name in ((1.0, "positives"), (0.0, "negatives")):
        chosen = scores[y == label]
        print(f"# {name}: share at or above 0.75: {(chosen >= 0.75).mean():.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="openpiu's alert threshold (default 0.5)"
    )
    parser.add_argument("--fit", action="store_true", help="refit the frozen weights and print them")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pairs = load_pairs()
    if args.fit:
        fit_names(pairs)
        fit_evidence(args.seed)
        return 0
    evaluation = evaluate(pairs, load_logic_v2(), args.threshold)
    report(evaluation)
    return 0 if evaluation.ours.f1 >= TARGET_F1 else 1


if __name__ == "__main__":
    sys.exit(main())
