"""Traveller identity across bookings, pushes and API data: the records resolution reads and writes.

An *occurrence* is a traveller in one version of a booking, or a person of one PAXLST list. Its evidence is
a set of keys, each a keyed digest of an identifying value (never the value: the index can be kept, and
masked, apart from the data), of one kind. Resolution (`openpiu.analysis.identity`) links occurrences whose
keys meet into *identities*; the store keeps the identities, who belongs to which and why, the index of
keys, and the analysts' judgements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum

from openpiu.model.record import record

__all__ = [
    "ANALYST_REASON",
    "API_REASON",
    "CONDITIONAL_KINDS",
    "LINKING_KINDS",
    "BookingEvidence",
    "EvidenceKey",
    "EvidenceKind",
    "Holder",
    "IdentityLink",
    "Joined",
    "PersonEvidence",
    "ResolutionInput",
    "ResolutionPlan",
    "ResolvedGroup",
    "TravellerEvidence",
]


class EvidenceKind(StrEnum):
    """What a key is a digest of."""

    DOCUMENT = "document"  # travel document number and issuing state
    NAME_DOB = "name_dob"  # the whole name (in any order, spaces ignored) and the full date of birth
    SIMILAR_NAME_DOB = "similar_name_dob"  # first surname and given name as pronounced, full date of birth
    FREQUENT_FLYER = "ff"  # frequent-flyer programme and number (and the surname as pronounced)
    BOOKING = "booking"  # booking locator, traveller reference and name: the same traveller in every push
    NAME_CONTACT = "name_contact"  # the whole name and a phone or e-mail of the booking
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    CARD = "card"  # payment card (its keyed hash, as the message reader made it)
    AGENCY = "agency"  # the travel agency that made the booking


#: Kinds that link two occurrences into one identity; the others only describe bookings (families, networks).
LINKING_KINDS: frozenset[EvidenceKind] = frozenset(
    {
        EvidenceKind.DOCUMENT,
        EvidenceKind.NAME_DOB,
        EvidenceKind.SIMILAR_NAME_DOB,
        EvidenceKind.FREQUENT_FLYER,
        EvidenceKind.BOOKING,
        EvidenceKind.NAME_CONTACT,
    }
)
#: Linking kinds that link only when the two dates of birth do not contradict (a parent's passport number
#: typed for a child, a father and son of the same name sharing the booking's phone).
CONDITIONAL_KINDS: frozenset[EvidenceKind] = frozenset(
    {EvidenceKind.DOCUMENT, EvidenceKind.FREQUENT_FLYER, EvidenceKind.NAME_CONTACT}
)

#: The reason kept with an API person merged with a booking's traveller: ``api:<the match's method>``.
API_REASON = "api"
#: The reason of identities an analyst linked.
ANALYST_REASON = "analyst"


#: One key of an occurrence or a booking: ``(kind, digest, birth)``: the `EvidenceKind` value, the keyed
#: digest (hex), and for the conditional kinds the digests of the year and (when known) the full date of
#: birth, ``"YEARdigest[.DATEdigest]"``, so that two dates can be compared without being kept (else None).
#: A plain tuple: the reader processes send millions of them to the writer, and a tuple is read back ten
#: times faster than a record.
EvidenceKey = tuple[str, str, str | None]


@record
class TravellerEvidence:
    """A traveller of a booking version (placeholders have none): its position in the booking, its
    ``chain`` (the same in every version of this booking's traveller: reference and name) and its keys."""

    position: int
    chain: str
    keys: tuple[EvidenceKey, ...]
    #: A digest of all its keys: a later version showing the same needs nothing looked up.
    signature: str = ""


@record
class BookingEvidence:
    """A booking of a message (by position): its own keys (contacts, payment, agency) and its travellers'."""

    position: int
    keys: tuple[EvidenceKey, ...]
    travellers: tuple[TravellerEvidence, ...]
    signature: str = ""  # a digest of its own keys


@record
class PersonEvidence:
    """A person of a PAXLST list (by position) and its keys."""

    position: int
    keys: tuple[EvidenceKey, ...]


# --- resolution -------------------------------------------------------------------------------------


@record
class Holder:
    """An identity that holds a key already (with the date-of-birth digests it was held with)."""

    identity: int
    birth: str | None = None


@record
class IdentityLink:
    """A link between two existing identities known from elsewhere (API data merged with a traveller, an
    analyst's judgement): ``score`` 0..1 and why."""

    first: int
    second: int
    score: float
    reason: str


@record
class ResolutionInput:
    """What resolving a batch needs: the new occurrences' linking keys (by index), the identities that hold
    any of those keys (by digest), links between identities, and the pairs of identities an analyst split
    apart (never to be merged again by resolution)."""

    occurrences: tuple[tuple[EvidenceKey, ...], ...] = ()
    holders: Mapping[str, tuple[Holder, ...]] = field(default_factory=dict)
    links: tuple[IdentityLink, ...] = ()
    apart: frozenset[frozenset[int]] = frozenset()


@record
class Joined:
    """A new occurrence in its group: why (the kinds of the links it made, strongest first) and how sure
    (None: it is the first occurrence of a new identity, linked to nothing)."""

    occurrence: int
    reasons: tuple[str, ...]
    score: float | None


@record
class ResolvedGroup:
    """One identity after resolution: the existing identities it is made of (the first keeps its id, the
    others are merged into it; none: a new identity), and the new occurrences that join it."""

    identities: tuple[int, ...]
    occurrences: tuple[Joined, ...]
    #: For links between identities: why they were merged (reason texts of the links that merged them).
    reasons: tuple[str, ...] = ()


@record
class ResolutionPlan:
    groups: tuple[ResolvedGroup, ...]
    #: Links not followed because they would have undone an analyst's split.
    refused: int = 0
    #: Conditional links not followed because they would have joined people whose dates of birth differ
    #: (an occurrence without one, linked by name and phone to a father and to his son of the same name).
    ambiguous: int = 0
