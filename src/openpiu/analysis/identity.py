"""Traveller identity across bookings, pushes and API data: evidence keys, explained links, the merge rule.

Every traveller of every booking version and every PAXLST person is an *occurrence*. Its evidence is a set
of keys (`openpiu.model.identity`), each a keyed digest (BLAKE2b, 128 bits) of one normalised identifying
value, so the index of keys holds no clear text and can be masked apart from the data:

========================  ==============================================================  ===========
kind                      value                                                           link score
========================  ==============================================================  ===========
``booking``               locator, traveller reference, infant or not, name as pronounced  0.99
``document``              document number (letters and digits) and issuing state           0.98 (†)
``name_dob``              whole name (surname and given names in either order, spaces      0.95
                          ignored) and the full date of birth
``similar_name_dob``      first surname and first given name as pronounced (consonant      0.90
                          skeleton: spellings and romanisations, order, middle names and
                          second surnames left out) and the full date of birth
``ff``                    frequent-flyer programme, number, surname as pronounced          0.90 (†)
``name_contact``          whole name and one phone or e-mail of the booking                0.85 (†)
``phone`` ``email``       contacts, ``address``, payment ``card``, travel ``agency``:       never links
``address`` ``card``      shared by families, colleagues and networks; kept to describe
``agency``                bookings (and networks), never enough to merge people
========================  ==============================================================  ===========

(†) only when the two dates of birth do not contradict: both are kept with the key as digests of the year
and of the full date (a parent's passport number typed for a child, a father and son of one name sharing the
booking's phone stay apart).

**The rule.** Two occurrences are linked when they share a key of a linking kind (and, for the kinds marked
†, their dates of birth agree or one is unknown); the link's score is the strongest of the scores of the
kinds they share, and any link at or above `MERGE_THRESHOLD` merges (every linking kind is). An identity is
what links connect. Because a link is a property of a pair, the identities found do not depend on the order
in which the occurrences arrive; an occurrence's stored reasons do (they name the links it made with what
was there when it arrived). One more rule keeps precision where "agree or one is unknown" is not
transitive: a conditional link is not followed between two groups whose dates of birth all differ, so an
occurrence without a date of birth, linked by name and phone to a father and to his son of the same name,
joins the one it meets first and never makes them one (counted as ambiguous; which one it joins is the only
identity that depends on the order of arrival). An analyst's split is respected: identities split apart are
never merged again by a link (the strongest links are followed first; one that would undo a split is
refused and counted).

The version chain of a booking is covered by the ``booking`` key (the same reference and name in a later
version of the same booking, and in the same booking pushed for a connecting flight). API persons are merged
with their traveller by the reconciliation of API and PNR data (`ApiMatch`), which resolution follows as a
link between identities with that match's confidence.

Pure: no database, no clock. The store runs `resolve` inside the transaction that writes its plan.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from anyascii import anyascii

from openpiu.model import (
    Address,
    ApiPerson,
    Booking,
    ContactKind,
    PartialDate,
    PassengerList,
    Payment,
    PnrPush,
    TravelDocument,
    Traveller,
    TravellerType,
)
from openpiu.model.identity import (
    ANALYST_REASON,
    API_REASON,
    CONDITIONAL_KINDS,
    LINKING_KINDS,
    BookingEvidence,
    EvidenceKey,
    EvidenceKind,
    IdentityLink,
    Joined,
    PersonEvidence,
    ResolutionInput,
    ResolutionPlan,
    ResolvedGroup,
    TravellerEvidence,
)
from openpiu.model.names import skeleton

__all__ = [
    "FIRST_OCCURRENCE",
    "MERGE_THRESHOLD",
    "STRENGTH",
    "Evidence",
    "Link",
    "api_evidence",
    "births_agree",
    "combined_score",
    "evidence_secret",
    "identity_links",
    "link",
    "list_evidence",
    "merges",
    "push_evidence",
    "reason_text",
    "resolve",
    "shared_kinds",
]

#: A link this strong or stronger merges two occurrences into one identity.
MERGE_THRESHOLD = 0.8

#: How strongly a shared key of each kind says "the same person" (0..1). Kinds below the threshold are
#: kept to describe bookings and never merge alone.
STRENGTH: Mapping[EvidenceKind, float] = {
    EvidenceKind.BOOKING: 0.99,
    EvidenceKind.DOCUMENT: 0.98,
    EvidenceKind.NAME_DOB: 0.95,
    EvidenceKind.SIMILAR_NAME_DOB: 0.90,
    EvidenceKind.FREQUENT_FLYER: 0.90,
    EvidenceKind.NAME_CONTACT: 0.85,
    EvidenceKind.PHONE: 0.3,
    EvidenceKind.EMAIL: 0.3,
    EvidenceKind.ADDRESS: 0.2,
    EvidenceKind.CARD: 0.3,
    EvidenceKind.AGENCY: 0.05,
}

#: The reasons, as an analyst reads them.
_REASONS: Mapping[str, str] = {
    EvidenceKind.BOOKING: "same booking locator, traveller reference and name",
    EvidenceKind.DOCUMENT: "same travel document (number and issuing state), dates of birth agree",
    EvidenceKind.NAME_DOB: "same name and date of birth",
    EvidenceKind.SIMILAR_NAME_DOB: "similar name (spelling, order, middle names) and same date of birth",
    EvidenceKind.FREQUENT_FLYER: "same frequent-flyer number, dates of birth agree",
    EvidenceKind.NAME_CONTACT: "same name and a shared phone or e-mail, dates of birth agree",
    EvidenceKind.PHONE: "shared phone",
    EvidenceKind.EMAIL: "shared e-mail",
    EvidenceKind.ADDRESS: "shared address",
    EvidenceKind.CARD: "shared payment card",
    EvidenceKind.AGENCY: "same travel agency",
}
#: The reason of an occurrence that was linked to nothing when it arrived.
FIRST_OCCURRENCE = "first occurrence"

_DIGEST_BYTES = 16
_BIRTH_HEX = 8  # digits of each date-of-birth digest: compared only between occurrences sharing a key

_NOT_LETTERS = re.compile(r"[^A-Z]+")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_NOT_DIGITS = re.compile(r"\D+")
_TITLES = frozenset(
    {"MR", "MRS", "MS", "MSTR", "MISS", "MX", "MST", "DR", "PROF", "CHD", "INF", "SIR", "REV"}
)
_PARTICLES = frozenset(
    {
        "AL", "EL", "UL", "BIN", "IBN", "BEN", "BINT", "VAN", "VON", "DER", "DEN", "DE", "DEL", "DELLA",
        "DELA", "DI", "DA", "DAS", "DOS", "DO", "DU", "LA", "LE", "ST", "TER", "TEN", "Y", "ZU",
    }
)  # fmt: skip
_PHONES = frozenset({ContactKind.PHONE, ContactKind.MOBILE})


def evidence_secret(card_key: bytes | None) -> bytes:
    """The key of the evidence digests, derived from the deployment's card-hash key (one secret to keep);
    without one (tests, demos) a fixed key, which makes the digests guessable."""
    base = card_key or b"openpiu: no deployment key"
    return hmac.new(base, b"openpiu identity evidence v1", hashlib.sha256).digest()


def reason_text(reason: str) -> str:
    """A stored reason as a sentence (reasons are kinds, ``api:<method>`` or ``analyst``)."""
    kind, _, detail = reason.partition(":")
    if kind == API_REASON:
        return f"API data merged with the booking's traveller ({detail or 'match'})"
    if reason == ANALYST_REASON:
        return "linked by an analyst"
    return _REASONS.get(reason, reason)


# --- normalisation ------------------------------------------------------------------------------------


def _words(text: str | None) -> list[str]:
    """Upper-case ASCII letter words, titles left out (`O'Neill` -> `ONEILL`, `Müller-Lüdenscheidt` ->
    `MULLER LUDENSCHEIDT`)."""
    if not text:
        return []
    if not text.isascii():
        text = anyascii(text)
    text = text.upper().replace("'", "").replace("`", "")
    return [w for w in _NOT_LETTERS.sub(" ", text).split() if w not in _TITLES]


def _sound(word: str) -> str:
    """A name part as pronounced: its consonant skeleton (`MOHAMMED`, `MUHAMMAD` -> `mmd`; `MUELLER`,
    `MULLER` -> `mlr`), or the part itself when the skeleton is too short to tell names apart (`LI`)."""
    lower = word.lower()
    sound = skeleton(lower)
    return sound if len(sound) >= 2 else lower


@dataclass(frozen=True)
class _Name:
    surname: tuple[str, ...]
    given: tuple[str, ...]

    @classmethod
    def of(cls, surname: str | None, given: str | None) -> _Name:
        return cls(tuple(_words(surname)), tuple(_words(given)))

    @property
    def whole(self) -> str:
        """Surname and given names, each without spaces, in either order."""
        return "|".join(sorted(("".join(self.surname), "".join(self.given))))

    @property
    def first_surname(self) -> str:
        return next((w for w in self.surname if w not in _PARTICLES), self.surname[0] if self.surname else "")

    @property
    def first_given(self) -> str:
        return self.given[0] if self.given else ""

    @property
    def similar(self) -> str:
        return "|".join(sorted((_sound(self.first_surname), _sound(self.first_given))))

    @cached_property
    def guard(self) -> str:
        """Enough of the name to tell the travellers of one booking apart, robust to a corrected typo."""
        return f"{_sound(''.join(self.surname))}/{_sound(self.first_given)}"


def _best_birth(dates: Iterable[PartialDate | None]) -> PartialDate | None:
    """The most precise of the dates given (the first of equally precise ones)."""
    best: PartialDate | None = None
    for found in dates:
        if found is None:
            continue
        if best is None or (found.month is not None, found.day is not None) > (
            best.month is not None,
            best.day is not None,
        ):
            best = found
    return best


def _phone(value: str) -> str | None:
    """The last nine digits (country and trunk prefixes written or not), if there are seven or more."""
    digits = _NOT_DIGITS.sub("", value)
    if digits.startswith("00"):
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits[-9:] if len(digits) >= 7 else None


def _email(value: str) -> str | None:
    text = value.strip().lower()
    return text if "@" in text and not text.startswith("@") and not text.endswith("@") else None


def _compact(text: str | None) -> str:
    if not text:
        return ""
    if not text.isascii():
        text = anyascii(text)
    return _NOT_ALNUM.sub("", text.upper())


def births_agree(a: str | None, b: str | None) -> bool:
    """Whether two dates of birth (as kept with a key) do not contradict: one unknown, or the same year and,
    where both are known to the day, the same day."""
    if a is None or b is None:
        return True
    year_a, _, day_a = a.partition(".")
    year_b, _, day_b = b.partition(".")
    if year_a != year_b:
        return False
    return not (day_a and day_b and day_a != day_b)


def _card_value(payment: Payment) -> str | None:
    """What a card is compared on: its keyed hash when the reader saw the whole number; else (most pushes
    mask it) its last four digits and expiry, a weaker value that unrelated cards share by chance (so
    such a card is never a linking key, and one shared widely is a hub of the network)."""
    if payment.card_hash:
        return payment.card_hash
    last4 = _compact(payment.card_last4)
    if len(last4) == 4 and payment.card_expiry:
        return f"last4|{last4}|{_compact(payment.card_expiry)}"
    return None


# --- evidence -----------------------------------------------------------------------------------------


class Evidence:
    """Evidence keys of bookings, travellers and API persons, digested with one secret."""

    def __init__(self, secret: bytes) -> None:
        # A keyed hash copied for each value: the key is set up once.
        self._keyed = hashlib.blake2b(key=secret, digest_size=_DIGEST_BYTES)

    def _digest(self, kind: str, value: str) -> str:
        keyed = self._keyed.copy()
        keyed.update(f"{kind}\x1f{value}".encode())
        return keyed.hexdigest()

    def _key(self, kind: EvidenceKind, value: str, birth: str | None = None) -> EvidenceKey:
        name = kind.value
        return (name, self._digest(name, value), birth if kind in CONDITIONAL_KINDS else None)

    @staticmethod
    def _signature(keys: Iterable[EvidenceKey]) -> str:
        """A short digest of a set of keys (their digests and dates of birth), to tell a set seen before."""
        text = "\x1e".join(sorted(f"{digest}\x1f{birth or ''}" for _, digest, birth in keys))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def _birth(self, birth: PartialDate | None) -> str | None:
        if birth is None:
            return None
        year = self._digest("birth-year", str(birth.year))[:_BIRTH_HEX]
        if birth.as_date() is None:
            return year
        return f"{year}.{self._digest('birth', birth.isoformat())[:_BIRTH_HEX]}"

    # -- bookings ------------------------------------------------------------------------------------

    def booking(self, booking: Booking, position: int) -> BookingEvidence:
        """The booking's own keys and each traveller's (placeholders have none)."""
        shared = [c for c in booking.contacts if c.traveller_ref is None]
        keys: dict[str, EvidenceKey] = {}
        for contact in shared:
            self._contact(contact.kind, contact.value, keys)
        for address in booking.addresses:
            if address.traveller_ref is None:
                self._address(address, keys)
        # XML pushes carry payments only under a traveller's ticket: those say the same about the booking.
        payments = [
            *booking.payments,
            *(p for t in booking.travellers for ticket in t.tickets for p in ticket.payments),
        ]
        for payment in payments:
            card = _card_value(payment)
            if card is not None:
                key = self._key(EvidenceKind.CARD, card)
                keys[key[1]] = key
            if payment.payer_phone:
                self._contact(ContactKind.PHONE, payment.payer_phone, keys)
        office = booking.office
        if office is not None:
            if office.iata_number:
                key = self._key(EvidenceKind.AGENCY, f"iata|{_compact(office.iata_number)}")
                keys[key[1]] = key
            elif office.agent_type == "T" and office.office_id:
                key = self._key(EvidenceKind.AGENCY, f"office|{office.system or ''}|{office.office_id}")
                keys[key[1]] = key
        booking_contacts = [(c.kind, c.value) for c in shared]
        travellers = tuple(
            found
            for index, traveller in enumerate(booking.travellers)
            if (found := self.traveller(traveller, index, booking, booking_contacts)) is not None
        )
        return BookingEvidence(position, tuple(keys.values()), travellers, self._signature(keys.values()))

    def traveller(
        self,
        traveller: Traveller,
        position: int,
        booking: Booking,
        booking_contacts: Sequence[tuple[ContactKind, str]] = (),
    ) -> TravellerEvidence | None:
        """A traveller's keys: its documents, name and date of birth, frequent-flyer numbers, the booking's
        locator with its reference, its name with the booking's phones and e-mails, and the contacts and
        addresses given for it alone. None for a placeholder (a TBA name of a group booking)."""
        name = _Name.of(traveller.surname, traveller.given_names)
        if traveller.placeholder or not name.surname:
            return None
        birth = _best_birth([traveller.date_of_birth, *(d.date_of_birth for d in traveller.documents)])
        profile = self._birth(birth)
        infant = "I" if traveller.type is TravellerType.INFANT else "A"
        ref = traveller.ref or ""
        keys: dict[str, EvidenceKey] = {}
        if booking.locator:
            key = self._key(EvidenceKind.BOOKING, f"{booking.locator}|{ref}|{infant}|{name.guard}")
            keys[key[1]] = key
        self._person_keys(name, birth, profile, traveller.documents, keys)
        for ff in traveller.frequent_flyers:
            number = _compact(ff.number)
            if len(number) >= 4:
                value = f"{_compact(ff.carrier)}|{number}|{_sound(name.first_surname)}"
                key = self._key(EvidenceKind.FREQUENT_FLYER, value, profile)
                keys[key[1]] = key
        own = [
            (c.kind, c.value)
            for c in booking.contacts
            if c.traveller_ref is not None and c.traveller_ref == ref
        ]
        own += [(c.kind, c.value) for c in traveller.contacts]
        for kind, value in own:
            self._contact(kind, value, keys)
        for address in (
            *traveller.addresses,
            *(a for a in booking.addresses if a.traveller_ref == ref and ref),
        ):
            self._address(address, keys)
        if name.given:
            for kind, value in (*own, *booking_contacts):
                contact = self._contact_value(kind, value)
                if contact is not None:
                    key = self._key(EvidenceKind.NAME_CONTACT, f"{name.whole}|{contact}", profile)
                    keys[key[1]] = key
        chain = self._digest("chain", f"{ref}|{infant}|{name.guard}")
        return TravellerEvidence(position, chain, tuple(keys.values()), self._signature(keys.values()))

    # -- API persons ---------------------------------------------------------------------------------

    def person(self, person: ApiPerson, position: int) -> PersonEvidence:
        """An API person's keys: documents, name and date of birth, contacts and address."""
        name = _Name.of(person.surname, person.given_names)
        birth = _best_birth([person.date_of_birth, *(d.date_of_birth for d in person.documents)])
        keys: dict[str, EvidenceKey] = {}
        self._person_keys(name, birth, self._birth(birth), person.documents, keys)
        for contact in person.contacts:
            self._contact(contact.kind, contact.value, keys)
        if person.address is not None:
            self._address(person.address, keys)
        return PersonEvidence(position, tuple(keys.values()))

    # -- pieces --------------------------------------------------------------------------------------

    def _person_keys(
        self,
        name: _Name,
        birth: PartialDate | None,
        profile: str | None,
        documents: Iterable[TravelDocument],
        keys: dict[str, EvidenceKey],
    ) -> None:
        """Documents, and name with date of birth (when known to the day)."""
        for document in documents:
            number = _compact(document.number)
            if len(number) >= 5:
                state = _compact(document.issuing_state)
                key = self._key(EvidenceKind.DOCUMENT, f"{number}|{state}", profile)
                keys[key[1]] = key
        full = birth.isoformat() if birth is not None and birth.as_date() is not None else None
        if full is not None and name.surname and name.given:
            for kind, value in (
                (EvidenceKind.NAME_DOB, name.whole),
                (EvidenceKind.SIMILAR_NAME_DOB, name.similar),
            ):
                key = self._key(kind, f"{value}|{full}")
                keys[key[1]] = key

    @staticmethod
    def _contact_value(kind: ContactKind, value: str) -> str | None:
        if kind is ContactKind.EMAIL or (kind is ContactKind.OTHER and "@" in value):
            email = _email(value)
            return None if email is None else f"e:{email}"
        if kind in _PHONES or kind is ContactKind.OTHER:
            phone = _phone(value)
            return None if phone is None else f"p:{phone}"
        return None

    def _contact(self, kind: ContactKind, value: str, keys: dict[str, EvidenceKey]) -> None:
        contact = self._contact_value(kind, value)
        if contact is None:
            return
        found = self._key(EvidenceKind.EMAIL if contact[0] == "e" else EvidenceKind.PHONE, contact[2:])
        keys[found[1]] = found

    def _address(self, address: Address, keys: dict[str, EvidenceKey]) -> None:
        street = _compact(address.street)
        if len(street) >= 4:
            value = (
                f"{_compact(address.postcode)}|{street}|{_compact(address.city)}|{_compact(address.country)}"
            )
            key = self._key(EvidenceKind.ADDRESS, value)
            keys[key[1]] = key
        if address.phone:
            self._contact(ContactKind.PHONE, address.phone, keys)


def push_evidence(push: PnrPush, secret: bytes) -> tuple[BookingEvidence, ...]:
    """The evidence of every booking of a push (one message or part), by position."""
    evidence = Evidence(secret)
    return tuple(evidence.booking(booking, position) for position, booking in enumerate(push.bookings))


def list_evidence(plist: PassengerList, secret: bytes) -> tuple[PersonEvidence, ...]:
    """The evidence of every person of a PAXLST list, by position."""
    evidence = Evidence(secret)
    return tuple(evidence.person(person, position) for position, person in enumerate(plist.persons))


def api_evidence(person: ApiPerson, position: int, secret: bytes) -> PersonEvidence:
    return Evidence(secret).person(person, position)


# --- links -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """What two occurrences' evidence says: the kinds of keys they share (the strongest first), the score,
    and the kinds whose key is shared but whose dates of birth contradict (so it does not count)."""

    kinds: tuple[EvidenceKind, ...]
    score: float
    contradicted: tuple[EvidenceKind, ...] = ()

    @property
    def explanation(self) -> tuple[str, ...]:
        found = [reason_text(kind) for kind in self.kinds]
        found += [f"{reason_text(kind)}: but the dates of birth differ" for kind in self.contradicted]
        return tuple(found)


def _strongest(kinds: Iterable[str]) -> tuple[EvidenceKind, ...]:
    return tuple(
        sorted({EvidenceKind(kind) for kind in kinds}, key=lambda kind: (-STRENGTH[kind], kind.value))
    )


def link(first: Sequence[EvidenceKey], second: Sequence[EvidenceKey]) -> Link:
    """The link between two occurrences (or bookings): every kind of key they share, scored by the
    strongest."""
    theirs: dict[str, list[EvidenceKey]] = defaultdict(list)
    for key in second:
        theirs[key[1]].append(key)
    shared: list[str] = []
    contradicted: list[str] = []
    for kind, digest, birth in first:
        for other in theirs.get(digest, ()):
            if kind in CONDITIONAL_KINDS and not births_agree(birth, other[2]):
                contradicted.append(kind)
            else:
                shared.append(kind)
    kinds = _strongest(shared)
    return Link(kinds, max((STRENGTH[k] for k in kinds), default=0.0), _strongest(contradicted))


def merges(found: Link) -> bool:
    """The rule: a link at or above the threshold merges; weak evidence (contacts) never does alone."""
    return found.score >= MERGE_THRESHOLD


def combined_score(scores: Iterable[float]) -> float:
    """Independent pieces of evidence together: 1 - the product of each one's chance of being wrong."""
    wrong = 1.0
    for score in scores:
        wrong *= 1.0 - min(max(score, 0.0), 1.0)
    return round(1.0 - wrong, 6)


# --- resolution ---------------------------------------------------------------------------------------


class _Components:
    """Union-find over nodes: new occurrences are 0..n-1, existing identities n, n+1 ... (in the order met).
    Each component knows the identities it holds (to keep apart those an analyst split) and the dates of
    birth its conditional keys were seen with (so that an occurrence without one does not bridge two people
    whose dates differ)."""

    def __init__(self, occurrences: int, apart: frozenset[frozenset[int]]) -> None:
        self.parent = list(range(occurrences))
        self.held: dict[int, set[int]] = {}  # root -> identities in its component (only roots that hold any)
        self.births: dict[int, set[str]] = {}  # root -> dates of birth (digests) seen in its component
        self.identity_of_node: dict[int, int] = {}
        self.node_of: dict[int, int] = {}
        self.apart = apart

    def node(self, identity: int) -> int:
        found = self.node_of.get(identity)
        if found is None:
            found = len(self.parent)
            self.parent.append(found)
            self.node_of[identity] = found
            self.identity_of_node[found] = identity
            self.held[found] = {identity}
        return found

    def born(self, node: int, birth: str | None) -> None:
        if birth is not None:
            self.births.setdefault(node, set()).add(birth)

    def find(self, node: int) -> int:
        parent = self.parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(self, a: int, b: int, *, conditional: bool) -> str | None:
        """Join the components of a and b; None when joined (or one already), else why not: "apart" (an
        analyst split them), "births" (a conditional link between components whose dates of birth differ)."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return None
        held_a, held_b = self.held.get(root_a), self.held.get(root_b)
        if (
            self.apart
            and held_a
            and held_b
            and any(frozenset((x, y)) in self.apart for x in held_a for y in held_b)
        ):
            return "apart"
        births_a, births_b = self.births.get(root_a), self.births.get(root_b)
        if (
            conditional
            and births_a
            and births_b
            and not any(births_agree(x, y) for x in births_a for y in births_b)
        ):
            return "births"
        self.parent[root_b] = root_a
        if held_b is not None:
            if held_a is None:
                self.held[root_a] = held_b
            else:
                held_a |= held_b
            del self.held[root_b]
        if births_b is not None:
            if births_a is None:
                self.births[root_a] = births_b
            else:
                births_a |= births_b
            del self.births[root_b]
        return None


#: A link found in a batch: score, reason, tie-break, its two nodes, and whether it is conditional.
_Edge = tuple[float, str, str, int, int, bool]


def _edges(batch: ResolutionInput, components: _Components) -> list[_Edge]:
    """Every link the batch shows (at or above the threshold: the others never merge)."""
    edges: list[_Edge] = []
    within: dict[str, list[tuple[int, EvidenceKey]]] = defaultdict(list)
    holders = batch.holders
    for index, keys in enumerate(batch.occurrences):
        for key in keys:
            kind, digest, birth = key
            if kind not in LINKING_KINDS:
                continue
            score = STRENGTH[kind]  # type: ignore[index]  # a kind's value finds its member
            if score < MERGE_THRESHOLD:
                continue
            conditional = kind in CONDITIONAL_KINDS
            if conditional:
                components.born(index, birth)
            for holder in holders.get(digest, ()):
                if not conditional:
                    edges.append((score, kind, digest, index, components.node(holder.identity), False))
                    continue
                # Every date the identity holds the key with counts, not only those that agree: it is
                # what keeps the identity from being joined to someone whose date differs.
                node = components.node(holder.identity)
                components.born(node, holder.birth)
                if births_agree(birth, holder.birth):
                    edges.append((score, kind, digest, index, node, True))
            same = within[digest]
            for other, other_key in same:
                if other != index and (not conditional or births_agree(birth, other_key[2])):
                    edges.append((score, kind, digest, other, index, conditional))
            same.append((index, key))
    for found in batch.links:
        if found.score >= MERGE_THRESHOLD:
            tie = f"{min(found.first, found.second)}/{max(found.first, found.second)}"
            edges.append(
                (
                    found.score,
                    found.reason,
                    tie,
                    components.node(found.first),
                    components.node(found.second),
                    False,
                )
            )
    return edges


def resolve(batch: ResolutionInput) -> ResolutionPlan:
    """Decide which new occurrences join which identities, and which identities merge.

    Links are followed strongest first, in an order that depends only on the evidence and the identities'
    ids (so the same batch gives the same plan). One between components holding identities an analyst split
    apart is refused; so is a conditional one (a document, a frequent-flyer number, a name with a contact)
    between components whose dates of birth all differ: an occurrence without a date of birth does not
    bridge two people. Each new occurrence keeps the reasons of the links it made (the kinds, strongest
    first) and their combined score; an occurrence linked to nothing starts a new identity.
    """
    count = len(batch.occurrences)
    components = _Components(count, batch.apart)
    edges = _edges(batch, components)
    identity_of = components.identity_of_node

    def order(edge: _Edge) -> tuple[float, str, str, int, int]:
        a, b = edge[3], edge[4]
        return (-edge[0], edge[1], edge[2], identity_of.get(a, a - count), identity_of.get(b, b - count))

    edges.sort(key=order)
    refused = ambiguous = 0
    union = components.union
    for edge in edges:
        why = union(edge[3], edge[4], conditional=edge[5])
        if why == "apart":
            refused += 1
        elif why == "births":
            ambiguous += 1
    # Reasons: the links of each occurrence (and between identities) inside its final component.
    find = components.find
    reasons: dict[int, dict[str, float]] = defaultdict(dict)
    merged: dict[int, dict[str, float]] = defaultdict(dict)
    for score, reason, _tie, a, b, _conditional in edges:
        root = find(a)
        if root != find(b):
            continue
        for end in (a, b):
            if end < count:
                found = reasons[end]
                if found.get(reason, 0.0) < score:
                    found[reason] = score
        if a >= count and b >= count and merged[root].get(reason, 0.0) < score:
            merged[root][reason] = score
    members: dict[int, list[int]] = defaultdict(list)
    for index in range(count):
        members[find(index)].append(index)
    groups: list[ResolvedGroup] = []
    held = components.held
    roots = sorted(
        set(members) | set(held), key=lambda r: (min(members.get(r, [count])), min(held.get(r, {0})))
    )
    for root in roots:
        identities = tuple(sorted(held.get(root, ())))
        joined = members.get(root, [])
        if not joined and len(identities) < 2:
            continue
        groups.append(
            ResolvedGroup(
                identities=identities,
                occurrences=tuple(_joined(index, reasons.get(index, {})) for index in joined),
                reasons=tuple(sorted(merged.get(root, {}), key=lambda r: (-merged[root][r], r))),
            )
        )
    return ResolutionPlan(tuple(groups), refused, ambiguous)


def _joined(index: int, found: Mapping[str, float]) -> Joined:
    if not found:
        return Joined(index, (FIRST_OCCURRENCE,), None)
    ordered = tuple(sorted(found, key=lambda r: (-found[r], r)))
    return Joined(index, ordered, combined_score(found.values()))


def identity_links(pairs: Iterable[tuple[int, int, float, str]]) -> tuple[IdentityLink, ...]:
    """Links between identities (first, second, score, reason), each pair once, the strongest kept."""
    best: dict[tuple[int, int], IdentityLink] = {}
    for first, second, score, reason in pairs:
        if first == second:
            continue
        pair = (min(first, second), max(first, second))
        if pair not in best or score > best[pair].score:
            best[pair] = IdentityLink(pair[0], pair[1], score, reason)
    return tuple(best[pair] for pair in sorted(best))


def shared_kinds(
    members: Mapping[object, Sequence[EvidenceKey]],
) -> dict[object, tuple[EvidenceKind, ...]]:
    """For each member (of one identity) the kinds of keys it shares with another member, strongest first
    (dates of birth checked for the conditional kinds): why it belongs, whatever the order of arrival."""
    holders: dict[str, list[tuple[object, EvidenceKey]]] = defaultdict(list)
    for member, keys in members.items():
        for key in keys:
            holders[key[1]].append((member, key))
    found: dict[object, set[str]] = defaultdict(set)
    for items in holders.values():
        if len(items) < 2:
            continue
        for member, (kind, _digest, birth) in items:
            for other, other_key in items:
                if other == member:
                    continue
                if kind in CONDITIONAL_KINDS and not births_agree(birth, other_key[2]):
                    continue
                found[member].add(kind)
                break
    return {member: _strongest(found.get(member, ())) for member in members}
