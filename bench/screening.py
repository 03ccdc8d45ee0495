"""End-to-end screening benchmark: listed persons as airlines write them, innocents, and naive baselines.

    uv run python bench/screening.py [--sizes 10000,100000] [--large] [--json] [--workers 2]

Workload (seeded, the same every run):
- The list: the OFAC SDN and consolidated individuals of `../shared/namedata/ofac_sdn` (4,699 persons,
  12,800 names), padded with synthetic persons (`openpiu.synth.people`, recombined within each naming
  culture, written as `openpiu generate`'s watchlist filler: mixed name forms, aliases, full, partial or
  missing dates of birth) to each size; `--large` adds 1,000,000.
- Listed travellers (`--positives`, default 5,000; 70 % OFAC, 30 % filler): a listed person rendered as
  an airline writes the name (`SURNAME/GIVEN`, upper-case ASCII, cut at 30 characters) with one error
  class each: exact, alias, spelling (transliteration), typo, order swap, missing middle name, title,
  title glued, truncation, no spaces, date of birth with day and month swapped, the list knowing only
  the year, or a combination. Travellers carry a full date of birth (API data) and no document.
- Innocent travellers: the 50,000 synthetic persons of yente (`../shared/namedata/opensanctions`),
  romanised and rendered the same way (titles spaced or glued, spaces dropped now and then).

Figures, per list size: recall at 0.1/0.5/1/2 % of innocents alerting (the threshold set from the
innocents' best scores), recall and alert rate at the list's alert threshold (0.75), rank-1, retrieval
recall and candidates per query, travellers/s over `--workers` processes, p50/p99 latency, index build
time and memory, recall per error class, and the floor: the share of innocents whose name is exactly a
listed name whose date of birth cannot tell them apart.

Baselines, measured in the same run on the same travellers:
- OFAC-style Jaro-Winkler (OFAC Sanctions List Search as nomenklatura emulates it: tokens of two
  letters or fewer dropped, whole-string Jaro-Winkler gated on the first letter, the name as written and
  with its words sorted, the best name of each entry), brute force over the whole list on a sample of
  travellers; and the same with the naive date-of-birth adjustments of reference/name-screening.md 5.3.
- GTAS-style rule (QuickMatch's 0.9 clause): metaphone codes of the name words equal (rigour's
  metaphone: no double metaphone package is installed), Jaro-Winkler >= 0.95, year of birth within 3.
Ratios compare openpiu with the baseline on the same travellers.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import gzip
import json
import multiprocessing
import os
import pickle
import platform
import random
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cdist
from rigour.text.phonetics import metaphone

from openpiu.model import Gender, PartialDate
from openpiu.model.screening import ScreenedPerson, Watchlist, WatchlistEntry
from openpiu.screening.screen import DEFAULT_CANDIDATES, DEFAULT_MIN_RATIO, Screener
from openpiu.screening.watchlists import country_code, read_ofac
from openpiu.synth import people, planted
from openpiu.synth.types import Person
from openpiu.synth.watchlists import filler_entries

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("OPENPIU_SHARED_DIR") or HERE.parent.parent / "shared")
DAY = date(2026, 11, 30)
THRESHOLD = 0.75
RATES = (0.001, 0.005, 0.01, 0.02)
TARGETS: dict[int, dict[str, Any]] = {
    100_000: {"recall": 0.98, "rate": 0.01, "speed": 1_500},
    1_000_000: {"recall": 0.95, "rate": 0.02, "speed": 300, "p99": 100, "build": 120, "mb": 4_000},
}
CLASSES = (
    "exact",
    "alias",
    "spelling",
    "typo",
    "order_swap",
    "missing_middle",
    "title",
    "title_glued",
    "truncation",
    "no_spaces",
    "dob_swapped",
    "dob_year_only",
    "combined",
)
_NAME_ERRORS = ("spelling", "typo", "order_swap", "missing_middle", "title_glued", "no_spaces")
_TITLES = frozenset({"MR", "MRS", "MS", "MSTR", "MISS", "DR", "PROF"})
_KEYBOARD = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
AIRLINE_LIMIT = 30
ASSIGNED: Counter[str] = Counter()  # error classes given out so far


@dataclasses.dataclass(slots=True)
class BenchTraveller:
    person: ScreenedPerson
    kind: str  # an error class, or "innocent"
    truth: str | None = None  # the listed entry's id
    source: str = "yente"  # "ofac", "filler" or "yente"
    clean: str = ""  # the name without errors, sorted words (for the floor)


# --- the list ----------------------------------------------------------------------------------------


def base_population(seed: int, count: int) -> list[Person]:
    """Synthetic persons to recombine into filler; cached in bench/out (they take ~1 ms each)."""
    cache = HERE / "out" / f"screening-population-{seed}-{count}.pickle"
    if cache.exists():
        persons: list[Person] = pickle.loads(cache.read_bytes())
        return persons
    started = time.perf_counter()
    persons = people.make_population(seed, count)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(persons))
    print(
        f"# made {count:,} base persons in {time.perf_counter() - started:.0f} s -> {cache}", file=sys.stderr
    )
    return persons


def filler(count: int, seed: int, base: Sequence[Person]) -> tuple[list[WatchlistEntry], list[Person]]:
    """`count` filler entries: the base persons, then recombinations (surname of another person of the
    same naming culture, a new date of birth, no documents), written as the synthetic world writes them."""
    rng = random.Random(seed)
    by_origin: dict[str, list[Person]] = defaultdict(list)
    for person in base:
        by_origin[person.origin].append(person)
    persons: list[Person] = list(base[:count])
    while len(persons) < count:
        a = base[rng.randrange(len(base))]
        group = by_origin[a.origin]
        b = group[rng.randrange(len(group))]
        born = date(rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28))
        persons.append(
            dataclasses.replace(
                a,
                person_id=f"F{len(persons):07d}",
                surname=b.surname,
                date_of_birth=born,
                documents=(),
                spellings=(),
                native_name=None,
            )
        )
    entries = []
    for synth in filler_entries(persons, 1, rng):
        nationality = country_code(synth.nationality) if synth.nationality else None
        entries.append(
            WatchlistEntry(
                entry_id=synth.entry_id,
                names=(synth.name, *synth.aliases),
                date_of_birth=PartialDate.from_iso(synth.date_of_birth) if synth.date_of_birth else None,
                nationalities=(nationality,) if nationality else (),
                documents=synth.document_numbers,
                category=synth.category,
            )
        )
    return entries, persons


# --- rendering travellers as airlines write them ---------------------------------------------------


def words(text: str) -> list[str]:
    return [w for w in people.airline_form(text).split() if w not in _TITLES]


def split_listed(name: str) -> tuple[str, str]:
    """(surname, given names) of an OFAC-style name ("SURNAME, Given"); the last word otherwise."""
    if "," in name:
        surname, given = name.split(",", 1)
        return " ".join(words(surname)), " ".join(words(given))
    parts = words(name)
    return (parts[-1], " ".join(parts[:-1])) if parts else ("", "")


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a neighbouring key, a letter dropped, doubled or two letters exchanged."""
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(1, len(word))
    roll = rng.random()
    if roll < 0.4:
        row = next((r for r in _KEYBOARD if word[i] in r), None)
        if row:
            j = row.index(word[i])
            near = [row[k] for k in (j - 1, j + 1) if 0 <= k < len(row)]
            return word[:i] + rng.choice(near) + word[i + 1 :]
    if roll < 0.65:
        return word[:i] + word[i + 1 :]
    if roll < 0.8:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def cut(surname: str, given: str) -> tuple[str, str]:
    """The name element cut at 30 characters (`SURNAME/GIVEN`), as reservation systems cut it."""
    if len(surname) + 1 + len(given) <= AIRLINE_LIMIT:
        return surname, given
    if len(surname) >= AIRLINE_LIMIT - 2:
        return surname[: AIRLINE_LIMIT - 2], given[:1]
    return surname, given[: AIRLINE_LIMIT - 1 - len(surname)].rstrip()


def full_birth(dob: PartialDate | None, rng: random.Random) -> PartialDate:
    """The traveller's full date of birth, consistent with what the list knows."""
    if dob is None:
        return PartialDate(rng.randint(1945, 2000), rng.randint(1, 12), rng.randint(1, 28))
    return PartialDate(dob.year, dob.month or rng.randint(1, 12), dob.day or rng.randint(1, 28))


def eligible(
    kind: str, surname: str, given: str, dob: PartialDate | None, aliases: list[tuple[str, str]]
) -> bool:
    if kind == "alias":
        return bool(aliases)
    if kind == "missing_middle":
        return len(given.split()) >= 2
    if kind == "order_swap":
        return bool(given) and given.split(maxsplit=1)[0] != surname
    if kind == "truncation":
        return len(surname) + 1 + len(given) > AIRLINE_LIMIT
    if kind == "no_spaces":
        return " " in surname or " " in given
    if kind == "dob_swapped":
        return dob is not None and dob.day is not None and dob.day <= 12 and dob.day != dob.month
    if kind == "dob_year_only":
        return dob is not None and dob.month is not None
    if kind in ("spelling", "typo"):
        return len(surname.replace(" ", "")) >= 3
    return bool(surname)


def apply_name_error(
    kind: str, surname: str, given: str, gender: Gender | None, rng: random.Random
) -> tuple[str, str]:
    if kind == "spelling":
        if given and rng.random() < 0.35 and len(given.split(maxsplit=1)[0]) >= 3:
            first, *rest = given.split()
            return surname, " ".join([planted.spelling_slip(first, rng), *rest])
        return planted.spelling_slip(surname, rng), given
    if kind == "typo":
        if given and rng.random() < 0.3:
            first, *rest = given.split()
            return surname, " ".join([typo(first, rng), *rest])
        parts = surname.split()
        k = max(range(len(parts)), key=lambda n: len(parts[n]))
        parts[k] = typo(parts[k], rng)
        return " ".join(parts), given
    if kind == "order_swap":
        first, *rest = given.split()
        return first, " ".join([surname, *rest])
    if kind == "missing_middle":
        return surname, given.split(maxsplit=1)[0]
    if kind in ("title", "title_glued"):
        title = "MRS" if gender is Gender.FEMALE else "MR"
        return surname, (given + (" " if kind == "title" else "") + title) if given else title
    if kind == "no_spaces":
        return surname.replace(" ", ""), given.replace(" ", "")
    return surname, given


def render_positive(
    *,
    entry: WatchlistEntry,
    number: int,
    primary: tuple[str, str],
    aliases: list[tuple[str, str]],
    source: str,
    rng: random.Random,
    entries: list[WatchlistEntry],
) -> BenchTraveller:
    """A listed person as a traveller with one error class (the list entry changes for dob_year_only)."""
    surname, given = primary
    dob = entry.date_of_birth
    kinds = [k for k in CLASSES if eligible(k, surname, given, dob, aliases)]
    fewest = min(ASSIGNED[k] for k in kinds)  # the rarer a class's persons, the more often it is chosen
    kind = rng.choice([k for k in kinds if ASSIGNED[k] == fewest])
    ASSIGNED[kind] += 1
    born = full_birth(dob, rng)
    clean = " ".join(sorted((surname + " " + given).split()))
    if kind == "alias":
        surname, given = rng.choice(aliases)
    elif kind == "dob_swapped":
        assert born.month is not None
        assert born.day is not None
        born = PartialDate(born.year, born.day, born.month)
    elif kind == "dob_year_only":
        entries[number] = dataclasses.replace(entry, date_of_birth=PartialDate(born.year))
    elif kind == "combined":
        name_kinds = [k for k in _NAME_ERRORS if eligible(k, surname, given, dob, aliases)]
        for one in rng.sample(name_kinds, min(2, len(name_kinds))):
            if eligible(one, surname, given, dob, aliases):
                surname, given = apply_name_error(one, surname, given, entry.gender, rng)
        if eligible("dob_swapped", surname, given, dob, aliases) and rng.random() < 0.5:
            assert born.month is not None
            assert born.day is not None
            born = PartialDate(born.year, born.day, born.month)
    else:
        surname, given = apply_name_error(kind, surname, given, entry.gender, rng)
    surname, given = cut(surname, given)
    person = ScreenedPerson(
        ref=f"P-{entry.entry_id}",
        surname=surname,
        given_names=given or None,
        date_of_birth=born,
        nationality=entry.nationalities[0] if entry.nationalities else None,
        gender=entry.gender,
    )
    return BenchTraveller(person, kind, entry.entry_id, source, clean)


def innocents(count: int, rng: random.Random) -> list[BenchTraveller]:
    path = SHARED / "namedata" / "opensanctions" / "yente_negatives_global_50k.csv.gz"
    import csv

    out: list[BenchTraveller] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if len(out) >= count:
                break
            surname = " ".join(words(row["last_name"]))
            given = " ".join(words(f"{row['first_name']} {row['middle_name']}"))
            if not surname:
                surname, given = given, ""
            if not surname:
                continue
            clean = " ".join(sorted((surname + " " + given).split()))
            gender = {"male": Gender.MALE, "female": Gender.FEMALE}.get(row["gender"])
            roll = rng.random()
            if roll < 0.3 and given:
                given += " MRS" if gender is Gender.FEMALE else " MR"
            elif roll < 0.5 and given:
                given += "MRS" if gender is Gender.FEMALE else "MR"
            elif roll < 0.55:
                surname, given = surname.replace(" ", ""), given.replace(" ", "")
            surname, given = cut(surname, given)
            person = ScreenedPerson(
                ref=f"N{i}",
                surname=surname,
                given_names=given or None,
                date_of_birth=PartialDate.from_iso(row["date_of_birth"]),
                nationality=country_code(row["nationality"]),
                gender=gender,
            )
            out.append(BenchTraveller(person, "innocent", None, "yente", clean))
    return out


# --- measuring ------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _screen_chunk(task: tuple[int, int]) -> list[tuple[int, float, float, int, float, float]]:
    """(traveller, best score, the true entry's score or -1, its rank, seconds, CPU seconds)."""
    screener: Screener = _STATE["screener"]
    travellers: list[BenchTraveller] = _STATE["travellers"]
    top: int = _STATE["top"]
    out = []
    for i in range(*task):
        t = travellers[i]
        started, cpu = time.perf_counter(), time.process_time()
        found = screener.screen(t.person, on=DAY, top=top)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        true_score, rank = -1.0, -1
        for r, candidate in enumerate(found):
            if candidate.entry_id == t.truth:
                true_score, rank = candidate.score, r
                break
        out.append((i, found[0].score if found else 0.0, true_score, rank, elapsed, cpu))
    return out


def _retrieval_chunk(task: tuple[int, int]) -> list[tuple[int, int, bool]]:
    """(traveller, entries the index gives to be scored, whether the true entry is among them)."""
    screener: Screener = _STATE["screener"]
    travellers: list[BenchTraveller] = _STATE["travellers"]
    numbers: dict[str, int] = _STATE["numbers"]
    index = screener.lists[0].index
    out = []
    for i in range(*task):
        t = travellers[i]
        found = index.candidates(t.person, screener.candidate_limit, on=DAY, min_ratio=screener.min_ratio)
        out.append((i, len(found), t.truth is not None and numbers[t.truth] in found))
    return out


def _parallel(
    work: Callable[[tuple[int, int]], list[Any]], count: int, workers: int
) -> tuple[list[Any], float]:
    step = 250
    tasks = [(s, min(count, s + step)) for s in range(0, count, step)]
    started = time.perf_counter()
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunks = pool.map(work, tasks, chunksize=1)
    else:
        chunks = [work(task) for task in tasks]
    wall = time.perf_counter() - started
    return sorted(row for chunk in chunks for row in chunk), wall


def screen_all(
    screener: Screener, travellers: list[BenchTraveller], numbers: dict[str, int], workers: int
) -> tuple[dict[str, npt.NDArray[Any]], float]:
    """Screen every traveller in `workers` forked processes (timed), then count what the index gave."""
    _STATE.update(screener=screener, travellers=travellers, numbers=numbers, top=screener.candidate_limit)
    try:
        screened, wall = _parallel(_screen_chunk, len(travellers), workers)
        retrieved, _ = _parallel(_retrieval_chunk, len(travellers), workers)
    finally:
        _STATE.clear()
    columns = list(zip(*screened, strict=True))
    counts = list(zip(*retrieved, strict=True))
    return {
        "best": np.array(columns[1]),
        "true": np.array(columns[2]),
        "rank": np.array(columns[3]),
        "seconds": np.array(columns[4]),
        "cpu": np.array(columns[5]),
        "candidates": np.array(counts[1]),
        "retrieved": np.array(counts[2]),
    }, wall


def recall_at(pos_scores: npt.NDArray[Any], neg_best: npt.NDArray[Any], rate: float) -> tuple[float, float]:
    """(recall, threshold) when at most `rate` of the innocents alert (score at or above the threshold)."""
    ordered = np.sort(neg_best)[::-1]
    allowed = int(np.floor(rate * ordered.size))
    floor_score = ordered[allowed] if allowed < ordered.size else -1.0
    threshold = float(np.nextafter(floor_score, np.inf))
    return float(np.mean(pos_scores >= threshold)) if pos_scores.size else float("nan"), threshold


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- baselines ------------------------------------------------------------------------------------


def _ofac_form(text: str) -> str:
    return " ".join(w for w in people.airline_form(text).split() if len(w) > 2)


def _sorted_form(text: str) -> str:
    return " ".join(sorted(text.split()))


def ofac_jw(
    entries: Sequence[WatchlistEntry],
    sample: Sequence[BenchTraveller],
    numbers: dict[str, int],
    workers: int,
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    """OFAC-style JW by brute force: per traveller the best score over the list and the true entry's
    score, name only and with the naive date-of-birth adjustments."""
    names: list[str] = []
    owners: list[int] = []
    for number, entry in enumerate(entries):
        for name in entry.names:
            form = _ofac_form(name)
            if form:
                names.append(form)
                owners.append(number)
    sorted_names = [_sorted_form(n) for n in names]
    owner = np.array(owners)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    entry_of_start = owner[starts]
    first = np.array([ord(n[0]) for n in names])
    first_sorted = np.array([ord(n[0]) for n in sorted_names])
    years = np.array([e.date_of_birth.year if e.date_of_birth else -1 for e in entries])
    best = np.zeros(len(sample))
    true = np.zeros(len(sample))
    best_dob = np.zeros(len(sample))
    true_dob = np.zeros(len(sample))
    step = 48
    for lo in range(0, len(sample), step):
        chunk = sample[lo : lo + step]
        queries = [_ofac_form(f"{t.person.surname} {t.person.given_names or ''}") or "?" for t in chunk]
        sorted_queries = [_sorted_form(q) for q in queries]
        plain = cdist(
            queries, names, scorer=JaroWinkler.normalized_similarity, dtype=np.float32, workers=workers
        )
        plain *= np.array([ord(q[0]) for q in queries])[:, None] == first[None, :]
        swapped = cdist(
            sorted_queries,
            sorted_names,
            scorer=JaroWinkler.normalized_similarity,
            dtype=np.float32,
            workers=workers,
        )
        swapped *= np.array([ord(q[0]) for q in sorted_queries])[:, None] == first_sorted[None, :]
        scores = np.maximum.reduceat(np.maximum(plain, swapped), starts, axis=1)  # per entry
        per_entry = np.zeros((len(chunk), len(entries)), dtype=np.float32)
        per_entry[:, entry_of_start] = scores
        for k, t in enumerate(chunk):
            row = per_entry[k]
            best[lo + k] = row.max()
            truth = numbers.get(t.truth, -1) if t.truth else -1
            true[lo + k] = row[truth] if truth >= 0 else -1
            top = np.argpartition(-row, 50)[:50] if row.size > 50 else np.arange(row.size)
            adjusted = [
                row[j] + dob_adjustment(t.person.date_of_birth, entries[j].date_of_birth) for j in top
            ]
            best_dob[lo + k] = max(adjusted)
            if truth >= 0:
                true_dob[lo + k] = row[truth] + dob_adjustment(
                    t.person.date_of_birth, entries[truth].date_of_birth
                )
                best_dob[lo + k] = max(best_dob[lo + k], true_dob[lo + k])
            else:
                true_dob[lo + k] = -1
    del years
    return best, true, best_dob, true_dob


def dob_adjustment(query: PartialDate | None, listed: PartialDate | None) -> float:
    """The naive scorer's date-of-birth adjustments (reference/name-screening.md 5.3)."""
    if query is None or listed is None:
        return 0.0
    if query.year != listed.year:
        return -0.2
    if listed.month is None:
        return 0.05
    swapped = (query.month, query.day) == (listed.day, listed.month)
    if (query.month, query.day) == (listed.month, listed.day) or swapped:
        return 0.1
    if listed.day is None and query.month == listed.month:
        return 0.08
    return -0.05


def gtas_rule(
    entries: Sequence[WatchlistEntry], travellers: Sequence[BenchTraveller]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """GTAS QuickMatch's 0.9 clause: (any hit, true entry hit) per traveller."""
    codes: dict[str, str] = {}

    def key(text: str) -> tuple[tuple[str, ...], str]:
        parts = words(text)
        for w in parts:
            if w not in codes:
                codes[w] = metaphone(w)
        return tuple(sorted(codes[w] for w in parts if len(w) > 1)), " ".join(sorted(parts))

    block: dict[tuple[str, ...], list[tuple[int, str]]] = defaultdict(list)
    for number, entry in enumerate(entries):
        for name in entry.names:
            k, form = key(name)
            if k:
                block[k].append((number, form))
    alert = np.zeros(len(travellers), dtype=bool)
    true_hit = np.zeros(len(travellers), dtype=bool)
    for i, t in enumerate(travellers):
        k, form = key(f"{t.person.surname} {t.person.given_names or ''}")
        year = t.person.date_of_birth.year if t.person.date_of_birth else None
        for number, listed in block.get(k, ()):
            dob = entries[number].date_of_birth
            if year is None or dob is None or abs(dob.year - year) > 3:
                continue
            if JaroWinkler.normalized_similarity(form, listed) >= 0.95:
                alert[i] = True
                if entries[number].entry_id == t.truth:
                    true_hit[i] = True
    return alert, true_hit


def floor_share(entries: Sequence[WatchlistEntry], innocent: Sequence[BenchTraveller]) -> float:
    """Share of innocents whose clean name is a listed name whose date of birth cannot tell them apart."""
    listed: dict[str, list[PartialDate | None]] = defaultdict(list)
    for entry in entries:
        for name in entry.names:
            listed[" ".join(sorted(words(name)))].append(entry.date_of_birth)
    hits = 0
    for t in innocent:
        born = t.person.date_of_birth
        for dob in listed.get(t.clean, ()):
            if (
                dob is None
                or born is None
                or (
                    dob.year == born.year
                    and (
                        dob.month is None
                        or (born.month, born.day) in ((dob.month, dob.day or born.day), (dob.day, dob.month))
                    )
                )
            ):
                hits += 1
                break
    return hits / max(1, len(innocent))


# --- one list size ----------------------------------------------------------------------------------


def run_size(
    *,
    size: int,
    ofac: list[WatchlistEntry],
    padding: list[WatchlistEntry],
    travellers: list[BenchTraveller],
    args: argparse.Namespace,
    key_function: Callable[[str], Any],
) -> dict[str, Any]:
    entries = (ofac + padding)[:size]
    numbers = {e.entry_id: i for i, e in enumerate(entries)}
    watchlist = Watchlist(f"bench-{size}", "bench", "1", "OFAC SDN + synthetic", "-", "terrorism", "bench")
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    screener = Screener(
        [(watchlist, entries)],
        key_function=key_function,
        candidates=args.candidates,
        min_ratio=args.min_ratio,
        workers=args.workers,
    )
    build_s = time.perf_counter() - started
    index = screener.lists[0].index
    rss_after = rss_bytes()
    measured, wall = screen_all(screener, travellers, numbers, args.workers)

    is_pos = np.array([t.truth is not None for t in travellers])
    kinds = np.array([t.kind for t in travellers])
    pos_true = measured["true"][is_pos]
    neg_best = measured["best"][~is_pos]
    result: dict[str, Any] = {
        "size": size,
        "workers": args.workers,
        "positives": int(is_pos.sum()),
        "innocents": int((~is_pos).sum()),
        "build_s": build_s,
        "index_mb": index.nbytes / 1e6,
        "rss_growth_mb": (rss_after - rss_before) / 1e6,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "travellers_per_s": len(travellers) / wall,
        "cpu_travellers_per_s": args.workers * len(travellers) / float(measured["cpu"].sum()),
        "mean_ms": float(measured["seconds"].mean() * 1e3),
        "p50_ms": float(np.percentile(measured["seconds"], 50) * 1e3),
        "p99_ms": float(np.percentile(measured["seconds"], 99) * 1e3),
        "retrieval_recall": float(measured["retrieved"][is_pos].mean()),
        "candidates_per_query": float(measured["candidates"].mean()),
        "rank1": float(np.mean(measured["rank"][is_pos] == 0)),
        "recall_at_threshold": float(np.mean(pos_true >= THRESHOLD)),
        "alert_rate_at_threshold": float(np.mean(neg_best >= THRESHOLD)),
        "floor": floor_share(entries, [t for t in travellers if t.truth is None]),
    }
    for rate in RATES:
        result[f"recall@{rate:g}"], result[f"threshold@{rate:g}"] = recall_at(pos_true, neg_best, rate)
    _, t1 = recall_at(pos_true, neg_best, 0.01)
    result["by_class"] = {
        k: {
            "n": int(np.sum(kinds[is_pos] == k)),
            "recall@0.01": float(np.mean(pos_true[kinds[is_pos] == k] >= t1)),
        }
        for k in CLASSES
        if np.any(kinds[is_pos] == k)
    }
    result["by_source"] = {
        s: float(np.mean(pos_true[np.array([t.source for t in travellers])[is_pos] == s] >= t1))
        for s in ("ofac", "filler")
    }

    # GTAS-style rule on every traveller
    started = time.perf_counter()
    alert, true_hit = gtas_rule(entries, travellers)
    gtas_rate = float(alert[~is_pos].mean())
    result["gtas"] = {
        "alert_rate": gtas_rate,
        "recall": float(true_hit[is_pos].mean()),
        "ours_recall_at_same_rate": recall_at(pos_true, neg_best, gtas_rate)[0],
        "seconds": time.perf_counter() - started,
        "by_class": {k: float(true_hit[is_pos][kinds[is_pos] == k].mean()) for k in result["by_class"]},
    }

    # OFAC-style JW, brute force on a sample
    names = sum(len(e.names) for e in entries)
    budget = max(1, int(args.baseline_pairs / (2 * names)))
    rng = random.Random(args.seed + size)
    pos_idx = [i for i, t in enumerate(travellers) if t.truth is not None]
    neg_idx = [i for i, t in enumerate(travellers) if t.truth is None]
    n_pos = min(len(pos_idx), max(200, budget // 5))
    n_neg = min(len(neg_idx), max(1_000, budget - n_pos))
    sample_idx = sorted(rng.sample(pos_idx, n_pos)) + sorted(rng.sample(neg_idx, n_neg))
    sample = [travellers[i] for i in sample_idx]
    started = time.perf_counter()
    best, true, best_dob, true_dob = ofac_jw(entries, sample, numbers, args.workers)
    jw_s = time.perf_counter() - started
    s_pos = np.array([t.truth is not None for t in sample])
    ours_true = measured["true"][sample_idx][s_pos]
    ours_neg = measured["best"][sample_idx][~s_pos]
    sample_kinds = np.array([t.kind for t in sample])[s_pos]
    result["ofac_jw"] = {"positives": n_pos, "innocents": n_neg, "seconds": jw_s}
    for rate in RATES:
        key = f"recall@{rate:g}"
        result["ofac_jw"][key] = recall_at(true[s_pos], best[~s_pos], rate)[0]
        result["ofac_jw"]["dob_" + key] = recall_at(true_dob[s_pos], best_dob[~s_pos], rate)[0]
        result["ofac_jw"]["ours_" + key] = recall_at(ours_true, ours_neg, rate)[0]
    _, jw_t1 = recall_at(true[s_pos], best[~s_pos], 0.01)
    _, jwd_t1 = recall_at(true_dob[s_pos], best_dob[~s_pos], 0.01)
    _, ours_t1 = recall_at(ours_true, ours_neg, 0.01)
    result["ofac_jw"]["by_class"] = {
        k: {
            "n": int(np.sum(sample_kinds == k)),
            "jw": float(np.mean(true[s_pos][sample_kinds == k] >= jw_t1)),
            "jw_dob": float(np.mean(true_dob[s_pos][sample_kinds == k] >= jwd_t1)),
            "ours": float(np.mean(ours_true[sample_kinds == k] >= ours_t1)),
        }
        for k in result["by_class"]
        if np.any(sample_kinds == k)
    }
    result["ofac_jw"]["seconds_per_query"] = jw_s / len(sample)
    del screener
    gc.collect()
    return result


# --- output ---------------------------------------------------------------------------------------


def ratio(ours: float, base: float) -> str:
    if base <= 0 or not np.isfinite(base) or not np.isfinite(ours):
        return "-"
    return f"{ours / base:.2f}x"


def table(results: list[dict[str, Any]]) -> list[str]:
    head = ("list", "workload", "openpiu", "baseline", "figure", "ratio")
    lines = [
        f"| {head[0]:>9} | {head[1]:<44} | {head[2]:>9} | {head[3]:<28} | {head[4]:>9} | {head[5]:>7} |",
        f"|{'-' * 11}|{'-' * 46}|{'-' * 11}|{'-' * 30}|{'-' * 11}|{'-' * 9}|",
    ]

    def row(size: int, name: str, ours: str, *versus: str) -> None:
        base, figure, r = (*versus, "", "", "")[:3]
        lines.append(f"| {size:>9,} | {name:<44} | {ours:>9} | {base:<28} | {figure:>9} | {r:>7} |")

    for res in results:
        size = res["size"]
        target = TARGETS.get(size, {})
        jw = res["ofac_jw"]
        for rate in RATES:
            key = f"recall@{rate:g}"
            ours = jw["ours_" + key]
            row(size, f"recall @ {rate:.1%} innocents alerting", f"{res[key]:.3f}")
            sample = f"  same, sample of {jw['positives']:,}+{jw['innocents']:,}"
            row(
                size,
                sample,
                f"{ours:.3f}",
                "OFAC-style JW (brute force)",
                f"{jw[key]:.3f}",
                ratio(ours, jw[key]),
            )
            dob = jw["dob_" + key]
            row(size, "", "", "JW + date-of-birth rules", f"{dob:.3f}", ratio(ours, dob))
        if target:
            rate = target["rate"]
            row(
                size,
                f"recall @ {rate:.0%} alerting",
                f"{res[f'recall@{rate:g}']:.3f}",
                "target",
                f">= {target['recall']}",
            )
        gtas = res["gtas"]
        same = gtas["ours_recall_at_same_rate"]
        name = f"recall @ GTAS rule's alert rate {gtas['alert_rate']:.2%}"
        row(
            size, name, f"{same:.3f}", "GTAS-style rule", f"{gtas['recall']:.3f}", ratio(same, gtas["recall"])
        )
        row(
            size,
            f"recall @ threshold {THRESHOLD}",
            f"{res['recall_at_threshold']:.3f}",
            "innocents alerting there",
            f"{res['alert_rate_at_threshold']:.2%}",
        )
        row(size, "rank-1 of the listed person", f"{res['rank1']:.3f}")
        row(size, "retrieval recall (index candidates)", f"{res['retrieval_recall']:.3f}")
        row(size, "candidates scored per query", f"{res['candidates_per_query']:.1f}")
        speed, jw_speed = res["travellers_per_s"], 1 / jw["seconds_per_query"]
        name = f"travellers/s ({res['workers']} processes)"
        row(
            size,
            name,
            f"{speed:,.0f}",
            "OFAC-style JW (brute force)",
            f"{jw_speed:,.0f}",
            ratio(speed, jw_speed),
        )
        cpu_speed = res["cpu_travellers_per_s"]
        row(size, f"  same, from CPU time on {res['workers']} cores", f"{cpu_speed:,.0f}")
        if target:
            row(size, "", "", "target", f">= {target['speed']:,}")
        latency = f"{res['p50_ms']:.1f}/{res['mean_ms']:.1f}/{res['p99_ms']:.0f}"
        row(
            size,
            "latency p50/mean/p99, ms",
            latency,
            *(("target p99", f"<= {target['p99']}") if "p99" in target else ()),
        )
        build = f"{res['build_s']:.1f}"
        row(
            size, "index build, s", build, *(("target", f"<= {target['build']}") if "build" in target else ())
        )
        memory = f"{res['index_mb']:.0f}/{res['rss_growth_mb']:.0f}"
        row(
            size,
            "index arrays / RSS growth, MB",
            memory,
            *(("target", f"<= {target['mb']:,}") if "mb" in target else ()),
        )
        row(size, "floor: innocents = a listed name, no DOB help", f"{res['floor']:.2%}")
        for kind, figures in res["by_class"].items():
            sampled = jw["by_class"].get(kind, {})
            versus = f"{res['gtas']['by_class'][kind]:.2f}/{sampled.get('jw', float('nan')):.2f}"
            row(
                size,
                f"  recall @ 1%: {kind} ({figures['n']})",
                f"{figures['recall@0.01']:.3f}",
                f"GTAS rule / JW (JW n={sampled.get('n', 0)})",
                versus,
                ratio(sampled.get("ours", float("nan")), sampled.get("jw", float("nan"))),
            )
        for source, value in res["by_source"].items():
            row(size, f"  recall @ 1%: {source} persons", f"{value:.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default="10000,100000", help="list sizes, comma-separated (default 10000,100000)"
    )
    parser.add_argument("--large", action="store_true", help="add the 1,000,000-entry list")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--positives", type=int, default=5_000)
    parser.add_argument("--innocents", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2, help="processes screening (default 2)")
    parser.add_argument("--candidates", type=int, default=DEFAULT_CANDIDATES, help="entries scored per query")
    parser.add_argument(
        "--min-ratio", type=float, default=DEFAULT_MIN_RATIO, help="least share of the best key weight scored"
    )
    parser.add_argument(
        "--baseline-pairs", type=float, default=4e8, help="JW pairs the brute-force baseline may compute"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = sorted(
        {int(s) for s in args.sizes.split(",") if s.strip()} | ({1_000_000} if args.large else set())
    )

    started = time.perf_counter()
    ofac_folder = SHARED / "namedata" / "ofac_sdn"
    if not ofac_folder.is_dir():
        print(f"no OFAC data at {ofac_folder}: set OPENPIU_SHARED_DIR", file=sys.stderr)
        return 2
    _, ofac = read_ofac(ofac_folder)
    padding_count = max(0, max(sizes) - len(ofac))
    base = base_population(args.seed + 1, min(20_000, max(2_000, padding_count)))
    padding, padding_persons = filler(padding_count, args.seed + 2, base)
    prepared_s = time.perf_counter() - started

    # listed travellers: 70 % OFAC individuals (with a Latin name), 30 % filler within the smallest list
    rng = random.Random(args.seed)
    n_ofac = min(int(args.positives * 0.7), len(ofac))
    travellers: list[BenchTraveller] = []
    ofac_numbers = [i for i, e in enumerate(ofac) if split_listed(e.names[0])[0]]
    for number in sorted(rng.sample(ofac_numbers, n_ofac)):
        entry = ofac[number]
        aliases = [split_listed(n) for n in entry.names[1:] if "," in n]
        aliases = [a for a in aliases if a[0] and a != split_listed(entry.names[0])]
        primary = split_listed(entry.names[0])
        travellers.append(
            render_positive(
                entry=entry,
                number=number,
                primary=primary,
                aliases=aliases,
                source="ofac",
                rng=rng,
                entries=ofac,
            )
        )
    smallest = max(0, min(sizes) - len(ofac))
    filler_numbers = rng.sample(range(min(smallest, len(padding))), min(args.positives - n_ofac, smallest))
    for number in sorted(filler_numbers):
        entry, person = padding[number], padding_persons[number]
        primary = (" ".join(words(person.surname)), " ".join(words(person.given_names)))
        listed_aliases = {" ".join(sorted(words(n))) for n in entry.names[1:]}
        aliases = [(" ".join(words(s)), " ".join(words(g))) for s, g in person.spellings]
        aliases = [
            a
            for a in aliases
            if a != primary and " ".join(sorted(f"{a[0]} {a[1]}".split())) in listed_aliases
        ]
        travellers.append(
            render_positive(
                entry=entry,
                number=number,
                primary=primary,
                aliases=aliases,
                source="filler",
                rng=rng,
                entries=padding,
            )
        )
    travellers += innocents(args.innocents, rng)

    from openpiu.screening.names import name_keys

    name_keys("WARM/UP")  # load rigour's tables before forking
    results = []
    for size in sizes:
        results.append(
            run_size(
                size=size,
                ofac=ofac,
                padding=padding,
                travellers=travellers,
                args=args,
                key_function=name_keys,
            )
        )
        print(f"# list of {size:,} done at {time.perf_counter() - started:.0f} s", file=sys.stderr)

    if args.json:
        print(
            json.dumps(
                {"results": results, "prepared_s": prepared_s}, indent=1, sort_keys=True, default=float
            )
        )
        return 0
    positives = sum(1 for t in travellers if t.truth)
    print(
        f"# openpiu screening benchmark: lists of {', '.join(f'{s:,}' for s in sizes)} entries "
        f"(OFAC SDN + consolidated individuals {len(ofac):,}, synthetic padding); "
        f"{positives:,} listed travellers ({Counter(t.source for t in travellers if t.truth)}), "
        f"{len(travellers) - positives:,} innocents (yente); {args.candidates} candidates scored per list"
    )
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, {args.workers} screening processes, numpy {np.__version__}; "
        f"preparation {prepared_s:.0f} s, total {time.perf_counter() - started:.0f} s"
    )
    print()
    for line in table(results):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
