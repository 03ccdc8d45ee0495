"""Identity resolution compared with a generated world's ground truth: pairwise precision and recall.

The truth names the person behind every traveller occurrence (``truth/travellers.jsonl``: ``file``,
``locator``, ``reference``, ``person_id``) and every API person (``truth/api_persons.jsonl``: ``file``,
``index``, ``person_id``); `openpiu identity export --json` writes the same keys with ``identity``.

**Pairwise precision and recall** are counted over pairs of occurrences that have a person in the truth (a
``TBA`` placeholder has none) and an identity in the export: a pair is *found* when both occurrences have the
same identity, *true* when both have the same person. Precision = true pairs found / pairs found; recall =
true pairs found / true pairs. A person seen ten times makes 45 pairs, so frequent travellers weigh more, as
they do for an analyst following them. Occurrences the export does not resolve count against recall (each
is alone).

The same bytes delivered under two names (a duplicate delivery) are one message in the store, kept under
the first name: the truth's lines of the second name are read as the first's.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PairScores", "canonical_names", "export_key", "pairwise", "read_truth"]

#: An occurrence: ("traveller", file, locator, reference) or ("api", file, index).
Key = tuple[Any, ...]


def canonical_names(messages: Path) -> dict[str, str]:
    """Each message file's name, mapped to the first (in name order) of the files with the same bytes."""
    first: dict[str, str] = {}
    names: dict[str, str] = {}
    for path in sorted(messages.iterdir()):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            names[path.name] = first.setdefault(digest, path.name)
    return names


def read_truth(world: Path) -> dict[Key, str | None]:
    """Every occurrence of the world's truth and its person (None for a placeholder)."""
    names = canonical_names(world / "messages")
    truth: dict[Key, str | None] = {}
    for line in (world / "truth" / "travellers.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        name = names.get(row["file"], row["file"])
        truth[("traveller", name, row["locator"], row["reference"])] = row["person_id"]
    api = world / "truth" / "api_persons.jsonl"
    if api.exists():
        for line in api.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            truth[("api", names.get(row["file"], row["file"]), row["index"])] = row["person_id"]
    return truth


def export_key(line: Mapping[str, Any]) -> Key:
    """The occurrence an export line names."""
    if "index" in line:
        return ("api", line["file"], line["index"])
    return ("traveller", line["file"], line["locator"], line["reference"])


@dataclass(frozen=True, slots=True)
class PairScores:
    occurrences: int  # with a person in the truth
    resolved: int  # of those, with an identity in the export
    persons: int
    identities: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs(counts: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def pairwise(truth: Mapping[Key, str | None], found: Mapping[Key, Any]) -> PairScores:
    """Pairwise precision and recall of ``found`` (occurrence -> cluster, None when unresolved)."""
    people = {key: person for key, person in truth.items() if person is not None}
    clusters = {key: found.get(key) for key in people}
    resolved = {key: cluster for key, cluster in clusters.items() if cluster is not None}
    by_person = Counter(people.values())
    by_cluster = Counter(resolved.values())
    both = Counter((people[key], cluster) for key, cluster in resolved.items())
    return PairScores(
        occurrences=len(people),
        resolved=len(resolved),
        persons=len(by_person),
        identities=len(by_cluster),
        true_pairs=_pairs(by_person.values()),
        found_pairs=_pairs(by_cluster.values()),
        correct_pairs=_pairs(both.values()),
    )
