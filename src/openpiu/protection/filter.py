"""Protection at the door, on parsed records: sensitive items out, free text outside Annex I out.

`protect_push` returns the push without what the PIU may not hold, and `Removals`: how many items went,
by code ("SSR MOML", "OSI KSML"), or by kind for free text ("TEXT" for a term hit, "REMARK" for a general
remark outside Annex I, "GROUP" for a group name with a term). Never content: the counts go to the log.

Everything else the model carries is Annex I (the model was built from it): locators, dates, names,
contacts, payment, itinerary, frequent flyer, agency, status, split, tickets, seats, codeshare, baggage,
API data and history. The one exception the model can show is item 12, which the CJEU (C-817/19) read
as the information on unaccompanied minors only, not open free text.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TypeVar

from openpiu.model import Booking, HistoryEntry, PnrPush, Remark, Segment, ServiceItem, Traveller
from openpiu.protection.policy import SensitivePolicy

__all__ = [
    "DEFAULT_POLICY",
    "Removals",
    "history_removal",
    "merge_removals",
    "protect_push",
    "remark_removal",
    "service_removal",
]

#: Counts of removed items by code or kind, sorted by key, e.g. ``{"REMARK": 2, "SSR MOML": 3, "TEXT": 1}``.
Removals = dict[str, int]

DEFAULT_POLICY = SensitivePolicy()

_T = TypeVar("_T")

# A remark the reader takes contact data from (`CTCE ...`, `CTCM ...`) carries Annex I item 5.
_CONTACT = re.compile(r"(?<![A-Za-z0-9])CTC[A-Z](?![A-Za-z0-9])")


def service_removal(item: ServiceItem, policy: SensitivePolicy) -> str | None:
    """Why the SSR/OSI `item` must go (its removal key), or None to keep it."""
    code = (item.code or "").strip().upper()
    kind = (item.kind or "SSR").upper()
    if code in policy.codes:
        return f"{kind} {code}"
    if kind == "OSI":
        mentioned = policy.code_mentioned(item.text, leading=True)
        if mentioned is not None:
            return mentioned
    if code not in policy.structured_codes and policy.term_in(item.text):
        return "TEXT"
    return None


def remark_removal(text: str | None, kind: str | None, policy: SensitivePolicy) -> str | None:
    """Why a free-text remark (IFT type `kind`) must go, or None to keep it.

    Sensitive first (a term, or a sensitive code in an OSI remark), then Annex I: a remark is kept only
    when general remarks are kept, or its type carries another Annex I item, or it is about an
    unaccompanied minor, or it is contact data.
    """
    if not text:
        return None
    if policy.term_in(text):
        return "TEXT"
    mentioned = policy.code_mentioned(text, leading=kind == "28")
    if mentioned is not None:
        return mentioned
    if (
        policy.keep_general_remarks
        or (kind is not None and kind in policy.annex_remark_kinds)
        or policy.about_minor(text)
        or _CONTACT.search(text)
    ):
        return None
    return "REMARK"


def history_removal(entry: HistoryEntry, policy: SensitivePolicy) -> str | None:
    """Why a history entry must go: it records a sensitive SSR, or its text holds a term or code."""
    item = (entry.item or "").strip().upper()
    tag, _, code = item.partition(" ")
    code = code.strip()
    if tag in {"SSR", "OSI"} and code in policy.codes:
        return f"{tag} {code}"
    if tag == "SSR" and code in policy.structured_codes:
        return None  # a change to a document, contact or loyalty item: structured Annex I data
    for text in (entry.text, entry.item):
        if policy.term_in(text):
            return "TEXT"
        mentioned = policy.code_mentioned(text)
        if mentioned is not None:
            return mentioned
    return None


def protect_push(push: PnrPush, policy: SensitivePolicy = DEFAULT_POLICY) -> tuple[PnrPush, Removals]:
    """The push without sensitive items and non-Annex I free text, and what was removed, counted."""
    counts: Counter[str] = Counter()
    bookings = tuple(_booking(b, policy, counts) for b in push.bookings)
    if not counts:
        return push, {}
    return dataclasses.replace(push, bookings=bookings), dict(sorted(counts.items()))


def merge_removals(many: Iterable[Mapping[str, int]]) -> Removals:
    """Several `Removals` added up (for a message, a file, a day)."""
    total: Counter[str] = Counter()
    for one in many:
        total.update(one)
    return dict(sorted(total.items()))


# ---------------------------------------------------------------------------------------------------


def _kept(items: tuple[_T, ...], why: Iterable[str | None], counts: Counter[str]) -> tuple[_T, ...]:
    reasons = list(why)
    if not any(reasons):
        return items
    kept = []
    for item, reason in zip(items, reasons, strict=True):
        if reason is None:
            kept.append(item)
        else:
            counts[reason] += 1
    return tuple(kept)


def _services(
    items: tuple[ServiceItem, ...], policy: SensitivePolicy, counts: Counter[str]
) -> tuple[ServiceItem, ...]:
    return _kept(items, (service_removal(i, policy) for i in items), counts) if items else items


def _remarks(items: tuple[Remark, ...], policy: SensitivePolicy, counts: Counter[str]) -> tuple[Remark, ...]:
    return _kept(items, (remark_removal(r.text, r.kind, policy) for r in items), counts) if items else items


def _traveller(t: Traveller, policy: SensitivePolicy, counts: Counter[str]) -> Traveller:
    services = _services(t.services, policy, counts)
    remarks = _remarks(t.remarks, policy, counts)
    if services is t.services and remarks is t.remarks:
        return t
    return dataclasses.replace(t, services=services, remarks=remarks)


def _segment(s: Segment, policy: SensitivePolicy, counts: Counter[str]) -> Segment:
    services = _services(s.services, policy, counts)
    remarks = _remarks(s.remarks, policy, counts)
    if services is s.services and remarks is s.remarks:
        return s
    return dataclasses.replace(s, services=services, remarks=remarks)


def _booking(b: Booking, policy: SensitivePolicy, counts: Counter[str]) -> Booking:
    before = sum(counts.values())
    travellers = tuple(_traveller(t, policy, counts) for t in b.travellers)
    segments = tuple(_segment(s, policy, counts) for s in b.segments)
    services = _services(b.services, policy, counts)
    remarks = _remarks(b.remarks, policy, counts)
    history = (
        _kept(b.history, (history_removal(h, policy) for h in b.history), counts) if b.history else b.history
    )
    group_name = b.group_name
    if policy.term_in(group_name):
        counts["GROUP"] += 1
        group_name = None
    if sum(counts.values()) == before:
        return b
    return dataclasses.replace(
        b,
        travellers=travellers,
        segments=segments,
        services=services,
        remarks=remarks,
        history=history,
        group_name=group_name,
    )
