"""Use cases of traveller identities (issue 7): read an identity with why each occurrence belongs to it, link
two identities or split one (an analyst's judgement), export every occurrence with its identity.

Reading an identity shows personal data (names, dates of birth, bookings), so every read is recorded in the
audit log before anything is returned, with who and why; so is an export (it names bookings). Judgements are
appended with their audit event in one transaction by the store, and later resolution respects them.

`openpiu identity show|link|split|export` call these; see docs/identities.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpiu.analysis.identity import STRENGTH, reason_text, shared_kinds
from openpiu.clock import Clock
from openpiu.model.identity import EvidenceKey, EvidenceKind
from openpiu.store import (
    IdentityExportRow,
    IdentityJudgement,
    IdentityMember,
    InvalidTransition,
    NotFound,
    Occurrence,
    Store,
    StoredIdentity,
    StoreError,
    open_store,
)

__all__ = [
    "DEFAULT_READ_REASON",
    "EvidenceSummary",
    "IdentityDesk",
    "IdentityView",
    "JudgementRefused",
    "MemberView",
    "NoSuchIdentity",
    "export_identities",
    "export_line",
    "judgement_json",
    "link_identities",
    "show_identity",
    "split_identity",
]

#: The reason recorded for a read when the caller gives none.
DEFAULT_READ_REASON = "review of a traveller identity"
#: The channels whose messages arrived as files: their source is a file's name.
_FILE_CHANNELS = frozenset({"file", "folder"})


class NoSuchIdentity(NotFound):
    """No identity with that id (it may have been merged into another), or an occurrence not part of it."""


class JudgementRefused(StoreError):
    """A judgement that cannot be made (linking an identity with itself, splitting off everything)."""


@dataclass(frozen=True, slots=True)
class MemberView:
    """An occurrence of the identity, and why it belongs: the kinds of evidence it shares with the
    identity's other occurrences (whatever the order they arrived in), and the links it made on arrival."""

    member: IdentityMember
    shared: tuple[EvidenceKind, ...]

    @property
    def explanation(self) -> tuple[str, ...]:
        return tuple(reason_text(kind) for kind in self.shared)


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """A kind of evidence shared inside the identity: how many of its occurrences (or bookings) share it."""

    kind: EvidenceKind
    values: int  # distinct keys of this kind shared by two or more
    holders: int  # occurrences (traveller chains and API persons) or bookings holding them


@dataclass(frozen=True, slots=True)
class IdentityView:
    identity: StoredIdentity
    members: tuple[MemberView, ...]
    evidence: tuple[EvidenceSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        identity = self.identity
        return {
            "identity": identity.id,
            "occurrences": identity.occurrences,
            "created_at": identity.created_at.isoformat(),
            "members": [
                {
                    "occurrence": str(view.member.occurrence),
                    "flight": view.member.flight,
                    "flight_date": view.member.flight_date.isoformat(),
                    "route": view.member.route,
                    "message": view.member.message_id,
                    "locator": view.member.locator,
                    "reference": view.member.reference,
                    "name": view.member.name,
                    "date_of_birth": view.member.date_of_birth,
                    "shared": [kind.value for kind in view.shared],
                    "joined": {"reasons": list(view.member.reasons), "score": view.member.score},
                }
                for view in self.members
            ],
            "evidence": [
                {"kind": e.kind.value, "values": e.values, "holders": e.holders} for e in self.evidence
            ],
            "judgements": [judgement_json(j) for j in identity.judgements],
        }


def judgement_json(judgement: IdentityJudgement) -> dict[str, Any]:
    return {
        "judgement": judgement.id,
        "kind": judgement.kind,
        "identity": judgement.identity_id,
        "other": judgement.other_id,
        "first": str(judgement.first),
        "second": str(judgement.second),
        "occurrences": list(judgement.occurrences),
        "reason": judgement.reason,
        "decided_by": judgement.decided_by,
        "decided_at": judgement.decided_at.isoformat(),
    }


def _explain(identity: StoredIdentity) -> tuple[tuple[MemberView, ...], tuple[EvidenceSummary, ...]]:
    """Each member's shared evidence, and what the identity's occurrences share, from the evidence index."""
    keys: dict[object, list[EvidenceKey]] = defaultdict(list)
    booking_keys: dict[str, set[int]] = defaultdict(set)
    kinds: dict[str, EvidenceKind] = {}
    for row in identity.evidence:
        kinds[row.digest] = row.kind
        if row.identity_id is None:  # a booking's own key (contacts, card, agency)
            if row.booking_id is not None:
                booking_keys[row.digest].add(row.booking_id)
            continue
        holder: object = (
            ("api", row.api_person_id) if row.api_person_id is not None else (row.booking_id, row.chain)
        )
        keys[holder].append((row.kind.value, row.digest, row.birth))
    shared = shared_kinds(keys)

    def holder_of(member: IdentityMember) -> object:
        if member.occurrence.api_person_id is not None:
            return ("api", member.occurrence.api_person_id)
        return (member.booking_id, member.chain)

    versions: dict[object, int] = defaultdict(int)
    for member in identity.members:
        versions[holder_of(member)] += 1

    def shares(member: IdentityMember) -> tuple[EvidenceKind, ...]:
        found = shared.get(holder_of(member), ())
        if versions[holder_of(member)] > 1 and EvidenceKind.BOOKING not in found:
            found = (EvidenceKind.BOOKING, *found)  # other versions of the same booking's traveller
        return found

    members = tuple(MemberView(m, shares(m)) for m in identity.members)
    holders_by_digest: dict[str, set[object]] = defaultdict(set)
    for holder, found in keys.items():
        for key in found:
            holders_by_digest[key[1]].add(holder)
    summary: dict[EvidenceKind, list[int]] = {}
    for digest, holders in holders_by_digest.items():
        if len(holders) > 1:
            entry = summary.setdefault(kinds[digest], [0, 0])
            entry[0] += 1
            entry[1] = max(entry[1], len(holders))
    for digest, bookings in booking_keys.items():
        if len(bookings) > 1:
            entry = summary.setdefault(kinds[digest], [0, 0])
            entry[0] += 1
            entry[1] = max(entry[1], len(bookings))
    evidence = tuple(
        EvidenceSummary(kind, values, holders)
        for kind, (values, holders) in sorted(summary.items(), key=lambda item: (-STRENGTH[item[0]], item[0]))
    )
    return members, evidence


class IdentityDesk:
    """The identity use cases on one store, for one actor at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def show(self, actor: str, identity_id: int, *, reason: str = DEFAULT_READ_REASON) -> IdentityView:
        """The identity with its occurrences and why each belongs (a read of personal data: audited)."""
        store = self.store
        found = store.identity(identity_id)
        if found is None:
            raise NoSuchIdentity(f"no identity {identity_id} (it may have been merged into another)")
        store.record(
            actor=actor,
            action="identity.read",
            subject=f"identity {identity_id}",
            reason=reason,
            details={"occurrences": found.occurrences},
        )
        members, evidence = _explain(found)
        return IdentityView(found, members, evidence)

    def link(self, actor: str, first: int, second: int, *, reason: str) -> IdentityJudgement:
        """Judge two identities one person: ``second`` is merged into ``first``."""
        if not reason.strip():
            raise ValueError("say why the two identities are one person (--reason)")
        try:
            return self.store.link_identities(first, second, actor=actor, reason=reason.strip())
        except NotFound as error:
            raise NoSuchIdentity(str(error)) from error
        except InvalidTransition as error:
            raise JudgementRefused(str(error)) from error

    def split(
        self, actor: str, identity_id: int, occurrences: Sequence[Occurrence], *, reason: str
    ) -> IdentityJudgement:
        """Judge occurrences someone else: they (and the other versions of the same booking's traveller, and
        the API data merged with them) become a new identity, kept apart from the rest from then on."""
        if not reason.strip():
            raise ValueError("say why these occurrences are someone else (--reason)")
        if not occurrences:
            raise ValueError("name the occurrences to split off (--occurrence traveller:ID or api:ID)")
        try:
            return self.store.split_identity(identity_id, occurrences, actor=actor, reason=reason.strip())
        except NotFound as error:
            raise NoSuchIdentity(str(error)) from error
        except InvalidTransition as error:
            raise JudgementRefused(str(error)) from error

    def export(
        self, actor: str, *, reason: str = "comparison of identities with a reference"
    ) -> Iterator[dict[str, Any]]:
        """Every occurrence with its identity, as export lines (the export is recorded first)."""
        self.store.record(actor=actor, action="identity.export", subject="identities", reason=reason)
        for row in self.store.identity_export():
            yield export_line(row)


def export_line(row: IdentityExportRow) -> dict[str, Any]:
    """One occurrence as `identity export --json` writes it: the keys of the synthetic world's truth
    (``file``, ``locator``, ``reference`` for a booking's traveller; ``file``, ``index`` for an API person),
    ``identity``, and the inbox ``message``."""
    source = row.source if row.channel in _FILE_CHANNELS else None
    if row.index is None:
        return {
            "file": source,
            "locator": row.locator,
            "reference": row.reference,
            "identity": row.identity,
            "message": row.message_id,
        }
    return {"file": source, "index": row.index, "identity": row.identity, "message": row.message_id}


# --- by database URL, for the command line -------------------------------------------------------------


def show_identity(
    url: str, identity_id: int, *, clock: Clock, actor: str, reason: str = DEFAULT_READ_REASON
) -> IdentityView:
    store = open_store(url, clock=clock)
    try:
        return IdentityDesk(store).show(actor, identity_id, reason=reason)
    finally:
        store.close()


def link_identities(
    url: str, first: int, second: int, *, clock: Clock, actor: str, reason: str
) -> IdentityJudgement:
    store = open_store(url, clock=clock)
    try:
        return IdentityDesk(store).link(actor, first, second, reason=reason)
    finally:
        store.close()


def split_identity(
    url: str, identity_id: int, occurrences: Sequence[str], *, clock: Clock, actor: str, reason: str
) -> IdentityJudgement:
    """``occurrences`` as written: ``traveller:ID`` or ``api:ID`` (ValueError otherwise)."""
    parsed = [Occurrence.parse(text) for text in occurrences]
    store = open_store(url, clock=clock)
    try:
        return IdentityDesk(store).split(actor, identity_id, parsed, reason=reason)
    finally:
        store.close()


def export_identities(url: str, *, clock: Clock, actor: str) -> Iterator[dict[str, Any]]:
    """Every occurrence with its identity (the store is closed when the lines are all read)."""
    store = open_store(url, clock=clock)
    try:
        yield from IdentityDesk(store).export(actor)
    finally:
        store.close()
