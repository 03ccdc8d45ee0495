"""The candidate index of a watchlist: which entries may be the person screened, found in milliseconds.

`WatchlistIndex.build(entries, key_function)` turns each entry into retrieval keys and keeps them in
compact numpy arrays (an inverted index in CSR form):

- `keys`: the sorted, distinct 64-bit hashes of every key (blake2b, so the same in every process);
- `offsets` / `postings`: the entry numbers (int32) holding each key, `postings[offsets[i]:offsets[i+1]]`;
- `weights`: each key's weight, log(1 + N / df), so a rare key counts more than a common one; a key held
  by more than `max_share` of the list (and more than `min_cap` entries) weighs 0: it is not used for
  retrieval, only the scorer looks at it;
- `valid_from` / `valid_until`: each entry's validity as day ordinals, checked at query time.

Three kinds of keys share the hash space: the name keys of every name and alias (from `key_function`,
e.g. tokens, phonetic codes and symbols of a name), the same keys joined with the entry's year of
birth (so "MOHAMMED" born 1975 is a rare key even where "MOHAMMED" is common), and the normalised
document numbers (letters and digits, upper case), which weigh more than any name key.

`candidates(person, limit, on=day, min_ratio=r)` hashes the person's keys the same way, adds up the
weights of the keys each entry shares with the person, drops entries not active on `day` and entries
sharing less than `r` of the best entry's weight, and returns the `limit` best entry numbers, best first.
A person whose every key is too common still gets the entries of the rarest one (up to the cap), so a
query is never answered with nothing just because its name is frequent.

Building costs the key function's time per name (in `workers` forked processes if asked) and a sort of
all (key, entry) pairs; the arrays take about 12 bytes per pair. A query costs one binary search per key
and a sort of the postings it touches, well under a millisecond on a 100,000-entry list.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from openpiu.model.screening import ScreenedPerson, WatchlistEntry

__all__ = ["KeyFunction", "WatchlistIndex", "document_key", "person_query_names"]

KeyFunction = Callable[[str], Iterable[str]]

_NO_DAY = 0
_FOREVER = np.iinfo(np.int32).max
_DOCUMENT_BOOST = 8.0  # a shared document outweighs any name: log(1 + N/1) is about 14 at 1M entries
_YEAR_MIX = 0x9E3779B97F4A7C15  # the 64-bit golden ratio, to spread years over the hash space

U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _with_year(hashes: U64, year: int) -> U64:
    """The keys of a name joined with a year of birth: a second hash of each key (stable, vectorised)."""
    salt = np.uint64((year * _YEAR_MIX) & 0xFFFF_FFFF_FFFF_FFFF)
    mixed: U64 = (hashes ^ salt) * np.uint64(0xBF58476D1CE4E5B9)
    return mixed ^ (mixed >> np.uint64(31))


def document_key(number: str) -> str:
    """A document number as compared: letters and digits only, upper case ("ab-12 345" -> "AB12345")."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def person_query_names(person: ScreenedPerson) -> list[str]:
    """The name of a screened person as the key function reads it: airline form, `SURNAME/GIVEN NAMES`.

    The slash tells the family name from the given names, and lets a title glued to the last given
    name (`JOHNMR`) be recognised.
    """
    surname = (person.surname or "").strip()
    given = (person.given_names or "").strip()
    if not surname and not given:
        return []
    return [f"{surname}/{given}" if given else surname]


class _KeyHasher:
    """Hashes of a key function's keys, remembered (names share most of their keys)."""

    def __init__(self, key_function: KeyFunction) -> None:
        self.key_function = key_function
        self.known: dict[str, int] = {}

    def name_hashes(self, names: Iterable[str]) -> U64:
        found: set[int] = set()
        known = self.known
        for name in names:
            for key in self.key_function(name):
                value = known.get(key)
                if value is None:
                    value = known[key] = _hash("n:" + key)
                found.add(value)
        return np.fromiter(found, dtype=np.uint64, count=len(found))

    @staticmethod
    def document_hashes(numbers: Iterable[str]) -> U64:
        keys = {document_key(n) for n in numbers}
        keys.discard("")
        return np.fromiter((_hash("d:" + k) for k in keys), dtype=np.uint64, count=len(keys))


def _entry_keys(hasher: _KeyHasher, entry: WatchlistEntry) -> tuple[U64, U64]:
    names = hasher.name_hashes(entry.names)
    dob = entry.date_of_birth
    years = _with_year(names, dob.year) if dob is not None and names.size else np.empty(0, np.uint64)
    return np.concatenate((names, years)), hasher.document_hashes(entry.documents)


def _chunk_keys(
    hasher: _KeyHasher, entries: Sequence[WatchlistEntry], start: int
) -> tuple[U64, I32, U64, I32]:
    """(name hashes, their entry numbers, document hashes, their entry numbers) of a run of entries."""
    name_parts: list[U64] = []
    name_owner: list[I32] = []
    doc_parts: list[U64] = []
    doc_owner: list[I32] = []
    for offset, entry in enumerate(entries):
        names, documents = _entry_keys(hasher, entry)
        number = start + offset
        name_parts.append(names)
        name_owner.append(np.full(names.size, number, dtype=np.int32))
        doc_parts.append(documents)
        doc_owner.append(np.full(documents.size, number, dtype=np.int32))
    empty_u, empty_i = np.empty(0, np.uint64), np.empty(0, np.int32)
    return (
        np.concatenate(name_parts) if name_parts else empty_u,
        np.concatenate(name_owner) if name_owner else empty_i,
        np.concatenate(doc_parts) if doc_parts else empty_u,
        np.concatenate(doc_owner) if doc_owner else empty_i,
    )


_WORKER: dict[str, object] = {}


def _worker_chunk(task: tuple[int, int]) -> tuple[U64, I32, U64, I32]:
    hasher = _WORKER["hasher"]
    entries = _WORKER["entries"]
    assert isinstance(hasher, _KeyHasher)
    assert isinstance(entries, list)
    start, stop = task
    return _chunk_keys(hasher, entries[start:stop], start)


def _day_number(day: date | None, default: int) -> int:
    return day.toordinal() if day is not None else default


class WatchlistIndex:
    """An inverted index of one list's entries (see the module's docstring). Build it with `build`."""

    __slots__ = (
        "_dated",
        "key_function",
        "keys",
        "max_postings",
        "offsets",
        "postings",
        "size",
        "valid_from",
        "valid_until",
        "weights",
    )

    def __init__(
        self,
        *,
        key_function: KeyFunction,
        size: int,
        keys: U64,
        offsets: I64,
        postings: I32,
        weights: F32,
        valid_from: I32,
        valid_until: I32,
        max_postings: int,
    ) -> None:
        self.key_function = key_function
        self.size = size
        self.keys = keys
        self.offsets = offsets
        self.postings = postings
        self.weights = weights
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.max_postings = max_postings
        self._dated = bool((valid_from != _NO_DAY).any() or (valid_until != _FOREVER).any())

    @classmethod
    def build(
        cls,
        entries: Sequence[WatchlistEntry],
        key_function: KeyFunction,
        *,
        max_share: float = 0.01,
        min_cap: int = 200,
        workers: int = 1,
    ) -> WatchlistIndex:
        """Index `entries` (numbered 0.. in their order) under the keys `key_function` gives each name.

        A key held by more than `max(min_cap, max_share * len(entries))` entries is not used for
        retrieval. With `workers` > 1 the keys are computed in that many forked processes.
        """
        size = len(entries)
        if size >= np.iinfo(np.int32).max:
            raise ValueError("too many entries for one index")
        chunks: list[tuple[U64, I32, U64, I32]]
        if workers > 1 and size >= 20_000 and "fork" in multiprocessing.get_all_start_methods():
            step = max(5_000, size // (workers * 8))
            tasks = [(start, min(size, start + step)) for start in range(0, size, step)]
            _WORKER.update(hasher=_KeyHasher(key_function), entries=list(entries))
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    chunks = pool.map(_worker_chunk, tasks, chunksize=1)
            finally:
                _WORKER.clear()
        else:
            chunks = [_chunk_keys(_KeyHasher(key_function), entries, 0)]
        name_hashes = np.concatenate([c[0] for c in chunks]) if chunks else np.empty(0, np.uint64)
        name_owner = np.concatenate([c[1] for c in chunks]) if chunks else np.empty(0, np.int32)
        doc_hashes = np.concatenate([c[2] for c in chunks]) if chunks else np.empty(0, np.uint64)
        doc_owner = np.concatenate([c[3] for c in chunks]) if chunks else np.empty(0, np.int32)
        hashes = np.concatenate((name_hashes, doc_hashes))
        owners = np.concatenate((name_owner, doc_owner))
        is_document = np.zeros(hashes.size, dtype=bool)
        is_document[name_hashes.size :] = True
        del name_hashes, name_owner, doc_hashes, doc_owner, chunks

        order = np.argsort(hashes, kind="stable")  # stable: each key's entries stay in entry order
        hashes = hashes[order]
        postings = owners[order].astype(np.int32)
        is_document = is_document[order]
        del order, owners
        keys, starts = np.unique(hashes, return_index=True)
        del hashes
        offsets = np.empty(keys.size + 1, dtype=np.int64)
        offsets[:-1] = starts
        offsets[-1] = postings.size
        df = np.diff(offsets)
        max_postings = max(min_cap, int(max_share * size))
        weights = np.log1p(size / np.maximum(df, 1)).astype(np.float32)
        document_keys = is_document[starts] if starts.size else np.zeros(0, dtype=bool)
        weights[document_keys] += _DOCUMENT_BOOST
        weights[(df > max_postings) & ~document_keys] = 0.0

        valid_from = np.fromiter(
            (_day_number(e.valid_from, _NO_DAY) for e in entries), dtype=np.int32, count=size
        )
        valid_until = np.fromiter(
            (_day_number(e.valid_until, int(_FOREVER)) for e in entries), dtype=np.int32, count=size
        )
        return cls(
            key_function=key_function,
            size=size,
            keys=keys,
            offsets=offsets,
            postings=postings,
            weights=weights,
            valid_from=valid_from,
            valid_until=valid_until,
            max_postings=max_postings,
        )

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        return sum(
            a.nbytes
            for a in (
                self.keys,
                self.offsets,
                self.postings,
                self.weights,
                self.valid_from,
                self.valid_until,
            )
        )

    def query_hashes(self, person: ScreenedPerson) -> U64:
        """The key hashes of a screened person: name keys, the same with the year of birth, documents."""
        hasher = _KeyHasher(self.key_function)
        names = hasher.name_hashes(person_query_names(person))
        parts = [names, hasher.document_hashes(person.documents)]
        if person.date_of_birth is not None and names.size:
            parts.append(_with_year(names, person.date_of_birth.year))
        return np.unique(np.concatenate(parts))

    def scored(self, person: ScreenedPerson, *, on: date | None = None) -> tuple[I32, F32]:
        """Every entry sharing a usable key with `person` (and active `on` the day), with its weight sum."""
        hashes = self.query_hashes(person)
        empty = (np.empty(0, np.int32), np.empty(0, np.float32))
        if not hashes.size or not self.keys.size:
            return empty
        where = np.minimum(np.searchsorted(self.keys, hashes), self.keys.size - 1)
        where = where[self.keys[where] == hashes]
        if not where.size:
            return empty
        weights = self.weights[where]
        usable = weights > 0
        if usable.any():
            where, weights = where[usable], weights[usable]
            starts, stops = self.offsets[where], self.offsets[where + 1]
        else:  # every key is too common: take the rarest one, capped
            rarest = int(np.argmin(self.offsets[where + 1] - self.offsets[where]))
            where = where[rarest : rarest + 1]
            weights = np.ones(1, dtype=np.float32)
            starts = self.offsets[where]
            stops = np.minimum(self.offsets[where + 1], starts + self.max_postings)
        lengths = stops - starts
        total = int(lengths.sum())
        if total == 0:
            return empty
        ends = np.cumsum(lengths)
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        found = self.postings[positions]
        entries, inverse = np.unique(found, return_inverse=True)
        sums = np.bincount(inverse, weights=np.repeat(weights, lengths)).astype(np.float32)
        if on is not None and self._dated:
            day = on.toordinal()
            active = (self.valid_from[entries] <= day) & (self.valid_until[entries] >= day)
            entries, sums = entries[active], sums[active]
        return entries.astype(np.int32), sums

    def candidates(
        self, person: ScreenedPerson, limit: int = 50, *, on: date | None = None, min_ratio: float = 0.0
    ) -> list[int]:
        """The numbers of the `limit` entries sharing the most weight of keys with `person`, best first.

        Entries not active `on` the day (expired, or not yet valid) are left out, and so are entries
        sharing less than `min_ratio` of the best entry's weight; ties go to the earlier entry.
        """
        entries, sums = self.scored(person, on=on)
        if not entries.size or limit <= 0:
            return []
        if min_ratio > 0:
            kept = sums >= min_ratio * sums.max()
            entries, sums = entries[kept], sums[kept]
        if entries.size > limit:
            top = np.argpartition(-sums, limit - 1)[:limit]
            entries, sums = entries[top], sums[top]
        order = np.lexsort((entries, -sums))
        return [int(e) for e in entries[order]]
