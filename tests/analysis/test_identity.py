"""Traveller identity: evidence keys, the scored and explained link between two occurrences, the merge rule,
and resolution of batches (openpiu.analysis.identity). Pure: records in, keys and plans out."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.analysis.identity import (
    FIRST_OCCURRENCE,
    MERGE_THRESHOLD,
    Evidence,
    births_agree,
    combined_score,
    evidence_secret,
    link,
    list_evidence,
    merges,
    push_evidence,
    reason_text,
    resolve,
    shared_kinds,
)
from openpiu.model import (
    ApiPerson,
    Booking,
    Contact,
    ContactKind,
    FrequentFlyer,
    PartialDate,
    PersonRole,
    TravelDocument,
    Traveller,
    TravellerType,
)
from openpiu.model.identity import (
    EvidenceKey,
    EvidenceKind,
    Holder,
    IdentityLink,
    ResolutionInput,
)
from openpiu.synth.corpus import demo_push, passenger_list_for

SECRET = evidence_secret(bytes(32))
EVIDENCE = Evidence(SECRET)


def doc(number: str, born: str | None, state: str = "DEU") -> TravelDocument:
    return TravelDocument(
        source="DOCS",
        document_type="P",
        number=number,
        issuing_state=state,
        date_of_birth=None if born is None else PartialDate.from_iso(born),
    )


def person(
    surname: str,
    given_names: str | None,
    born: str | None = None,
    *,
    documents: tuple[TravelDocument, ...] = (),
    ref: str = "1",
    ff: tuple[FrequentFlyer, ...] = (),
    kind: TravellerType = TravellerType.ADULT,
    placeholder: bool = False,
) -> Traveller:
    return Traveller(
        surname=surname,
        given_names=given_names,
        ref=ref,
        type=kind,
        date_of_birth=None if born is None else PartialDate.from_iso(born),
        documents=documents,
        frequent_flyers=ff,
        placeholder=placeholder,
    )


def booking(
    locator: str, *travellers: Traveller, phone: str | None = None, email: str | None = None
) -> Booking:
    contacts = []
    if phone:
        contacts.append(Contact(ContactKind.MOBILE, phone))
    if email:
        contacts.append(Contact(ContactKind.EMAIL, email))
    return Booking(locator=locator, travellers=travellers, contacts=tuple(contacts))


def keys_of(traveller: Traveller, in_booking: Booking | None = None) -> tuple[EvidenceKey, ...]:
    found = EVIDENCE.booking(in_booking or booking("AAAAAA", traveller), 0)
    position = (in_booking.travellers.index(traveller)) if in_booking else 0
    [evidence] = [t for t in found.travellers if t.position == position]
    return evidence.keys


# --- the link between two occurrences --------------------------------------------------------------

PASSPORT = doc("C01X00T47", "1980-05-17")

LINKS = [
    pytest.param(
        person("MUELLER", "THOMAS", documents=(PASSPORT,)),
        person("MULLER", "THOMAS", documents=(PASSPORT,)),
        EvidenceKind.DOCUMENT,
        id="same passport, the surname spelt by another carrier",
    ),
    pytest.param(
        person("OKAFOR", "CHIDI EMEKA", "1975-02-03", documents=(doc("A1234567", "1975-02-03", "NGA"),)),
        person("OKAFOR", "CHIDI EMEKA", "1975-02-03", documents=(doc("B7654321", "1975-02-03", "NGA"),)),
        EvidenceKind.NAME_DOB,
        id="a new passport: the same name and date of birth",
    ),
    pytest.param(
        person("NGUYEN", "VAN AN", "1990-12-01"),
        person("VAN AN", "NGUYEN", "1990-12-01"),
        EvidenceKind.NAME_DOB,
        id="surname and given names swapped",
    ),
    pytest.param(
        person("GARCIA LOPEZ", "MARIA JOSE", "1968-07-21"),
        person("GARCIA", "MARIA", "1968-07-21"),
        EvidenceKind.SIMILAR_NAME_DOB,
        id="second surname and middle name left out",
    ),
    pytest.param(
        person("ALRASHID", "MOHAMMED", "1984-01-09"),
        person("ALRASHID", "MUHAMMAD", "1984-01-09"),
        EvidenceKind.SIMILAR_NAME_DOB,
        id="another romanisation of the given name",
    ),
    pytest.param(
        person("SMITH", "JOHN", ff=(FrequentFlyer("LH", "992001234567"),)),
        person("SMITH", "JOHN", "1970-01-01", ff=(FrequentFlyer("LH", "992001234567"),)),
        EvidenceKind.FREQUENT_FLYER,
        id="the same frequent-flyer number, one date of birth unknown",
    ),
]


@pytest.mark.parametrize(("first", "second", "kind"), LINKS)
def test_evidence_that_merges(first: Traveller, second: Traveller, kind: EvidenceKind) -> None:
    found = link(keys_of(first), keys_of(second))
    assert kind in found.kinds
    assert merges(found)
    assert found.score >= MERGE_THRESHOLD
    assert reason_text(kind) in found.explanation


def test_the_same_name_with_a_shared_e_mail_merges_when_one_date_of_birth_is_unknown() -> None:
    first = person("DUPONT", "CLAIRE")
    second = person("DUPONT", "CLAIRE", "1991-03-04", documents=(doc("12AB34567", "1991-03-04", "FRA"),))
    found = link(
        keys_of(first, booking("XYZ123", first, email="c.dupont@example.org")),
        keys_of(second, booking("QWE456", second, email="C.Dupont@Example.org ")),
    )
    assert EvidenceKind.NAME_CONTACT in found.kinds
    assert merges(found)


def test_a_family_sharing_phone_and_e_mail_stays_apart() -> None:
    mother = person("KOWALSKA", "ANNA", "1980-01-01", ref="1")
    son = person("KOWALSKI", "JAN", "2010-06-06", ref="2")
    family = booking("FAM001", mother, son, phone="+48 601 234 567", email="kowalscy@example.pl")
    found = link(keys_of(mother, family), keys_of(son, family))
    assert not merges(found)
    assert found.score < MERGE_THRESHOLD
    assert set(found.kinds) <= {EvidenceKind.PHONE, EvidenceKind.EMAIL}


def test_a_father_and_son_of_one_name_sharing_the_phone_stay_apart() -> None:
    father = person("BAKER", "JAMES", "1960-04-04", ref="1")
    son = person("BAKER", "JAMES", "1992-08-08", ref="2")
    found = link(
        keys_of(father, booking("BKR001", father, phone="07700 900123")),
        keys_of(son, booking("BKR777", son, phone="+44 7700 900123")),
    )
    assert not merges(found)
    assert EvidenceKind.NAME_CONTACT in found.contradicted
    assert "dates of birth differ" in " ".join(found.explanation)


def test_a_parents_passport_number_typed_for_a_child_does_not_merge_them() -> None:
    parent = person("ROSSI", "MARCO", "1979-09-09", documents=(doc("YA1234567", "1979-09-09", "ITA"),))
    child = person("ROSSI", "LUCA", "2015-02-02", documents=(doc("YA1234567", "2015-02-02", "ITA"),))
    found = link(keys_of(parent), keys_of(child))
    assert not merges(found)
    assert found.contradicted == (EvidenceKind.DOCUMENT,)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(person("SCHMIDT", "PETER"), person("SCHMIDT", "PETER"), id="a name alone"),
        pytest.param(
            person("SCHMIDT", "PETER", "1970-01-01"),
            person("SCHMIDT", "PETER", "1971-01-01"),
            id="the same name, other dates of birth",
        ),
        pytest.param(
            person("SCHMIDT", "PETER", "1970-01-01"),
            person("SCHMIDT", "PAULA", "1970-01-01"),
            id="the same surname and date of birth, another given name",
        ),
    ],
)
def test_a_name_is_not_enough(first: Traveller, second: Traveller) -> None:
    found = link(
        keys_of(first, booking("AAA111", first)),
        keys_of(second, booking("BBB222", second)),
    )
    assert not merges(found)


def test_a_booking_s_traveller_is_the_same_in_every_version() -> None:
    before = person("NOWAK", "EWA", ref="2")
    corrected = person("NOWAK", "EWA MARIA", ref="2")  # a middle name added at the next push
    other = person("NOWAK", "ADAM", ref="3")
    first = keys_of(before, booking("NWK001", person("NOWAK", "JAN"), before))
    later = booking("NWK001", person("NOWAK", "JAN"), corrected, other)
    found = link(first, keys_of(corrected, later))
    assert found.kinds[0] is EvidenceKind.BOOKING
    assert found.score == pytest.approx(0.99)
    assert not merges(link(first, keys_of(other, later)))  # the next traveller of the booking


def test_a_placeholder_has_no_evidence() -> None:
    group = booking("GRP001", person("TBA", "TBA", placeholder=True), person("LEE", "MIN", ref="2"))
    found = EVIDENCE.booking(group, 0)
    assert [t.position for t in found.travellers] == [1]


def test_keys_are_digests_not_values() -> None:
    traveller = person("MUSTERMANN", "ERIKA", "1964-08-12", documents=(doc("C01X00T47", "1964-08-12"),))
    keys = keys_of(traveller, booking("MSTR01", traveller, phone="+49 170 1234567", email="erika@example.de"))
    text = " ".join(f"{kind} {digest} {birth}" for kind, digest, birth in keys)
    for value in ("MUSTERMANN", "ERIKA", "1964", "C01X00T47", "1234567", "erika"):
        assert value.lower() not in text.lower()
    assert all(len(digest) == 32 for _, digest, _ in keys)
    other = Evidence(evidence_secret(b"another deployment's key!!")).booking(
        booking("MSTR01", traveller, phone="+49 170 1234567"), 0
    )
    assert not {k[1] for k in keys} & {k[1] for k in other.travellers[0].keys}


def test_booking_evidence_names_contacts_card_and_agency() -> None:
    push = demo_push(seed=3, bookings=20)
    evidence = push_evidence(push, SECRET)
    assert [b.position for b in evidence] == list(range(len(push.bookings)))
    booking_kinds = {k[0] for b in evidence for k in b.keys}
    assert {EvidenceKind.PHONE, EvidenceKind.AGENCY} <= booking_kinds
    assert not booking_kinds & {EvidenceKind.DOCUMENT, EvidenceKind.NAME_DOB, EvidenceKind.BOOKING}
    # contacts given for one traveller are that traveller's keys, beside its name with them
    traveller_kinds = {k[0] for b in evidence for t in b.travellers for k in t.keys}
    assert {EvidenceKind.EMAIL, EvidenceKind.PHONE, EvidenceKind.NAME_CONTACT, EvidenceKind.BOOKING} <= (
        traveller_kinds
    )


def test_api_persons_meet_their_travellers_by_document() -> None:
    push = demo_push(seed=5, bookings=10)
    plist = passenger_list_for(push)
    persons = list_evidence(plist, SECRET)
    travellers = [t.keys for b in push_evidence(push, SECRET) for t in b.travellers]
    for found in persons:
        assert any(merges(link(found.keys, keys)) for keys in travellers)
    crew = ApiPerson(role=PersonRole.CREW, qualifier="FM", surname="", documents=(doc("X99999999", None),))
    assert [k[0] for k in EVIDENCE.person(crew, 0).keys] == [EvidenceKind.DOCUMENT]


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        (None, None, True),
        ("aaaa", None, True),
        ("aaaa.bbbb", "aaaa", True),
        ("aaaa.bbbb", "aaaa.bbbb", True),
        ("aaaa.bbbb", "aaaa.cccc", False),
        ("aaaa", "dddd", False),
    ],
)
def test_dates_of_birth_agree_at_the_precision_both_know(
    first: str | None, second: str | None, agree: bool
) -> None:
    assert births_agree(first, second) is agree
    assert births_agree(second, first) is agree


def test_a_year_of_birth_agrees_with_a_full_date_of_that_year() -> None:
    year_only = person("IVANOVA", "OLGA", "1985")
    full = person("IVANOVA", "OLGA", "1985-03-03")
    other_year = person("IVANOVA", "OLGA", "1986-03-03")
    shared = booking("IVA001", year_only, email="olga@example.ru")
    assert merges(
        link(keys_of(year_only, shared), keys_of(full, booking("IVA002", full, email="olga@example.ru")))
    )
    assert not merges(
        link(
            keys_of(year_only, shared),
            keys_of(other_year, booking("IVA003", other_year, email="olga@example.ru")),
        )
    )


def test_scores_combine_as_independent_evidence() -> None:
    assert combined_score([]) == 0.0
    assert combined_score([0.9]) == pytest.approx(0.9)
    assert combined_score([0.9, 0.9]) == pytest.approx(0.99)
    assert combined_score([1.5, -1]) == 1.0


# --- resolving a batch -------------------------------------------------------------------------------


def key(kind: EvidenceKind, digest: str, birth: str | None = None) -> EvidenceKey:
    return (kind.value, digest, birth)


def test_occurrences_join_the_identity_holding_their_key_and_each_other() -> None:
    batch = ResolutionInput(
        occurrences=(
            (key(EvidenceKind.DOCUMENT, "d1"),),
            (key(EvidenceKind.DOCUMENT, "d1"), key(EvidenceKind.NAME_DOB, "n1")),
            (key(EvidenceKind.NAME_DOB, "n2"),),
            (key(EvidenceKind.PHONE, "p1"),),  # a contact alone links nothing
            (key(EvidenceKind.PHONE, "p1"),),
        ),
        holders={"n1": (Holder(7),), "p1": (Holder(9),)},
    )
    plan = resolve(batch)
    groups = {g.identities: [j.occurrence for j in g.occurrences] for g in plan.groups}
    assert groups[(7,)] == [0, 1]
    assert [j.occurrence for g in plan.groups if not g.identities for j in g.occurrences] == [2, 3, 4]
    joined = {j.occurrence: j for g in plan.groups for j in g.occurrences}
    assert joined[1].reasons == ("document", "name_dob")
    assert joined[1].score == pytest.approx(combined_score([0.98, 0.95]))
    assert joined[2].reasons == (FIRST_OCCURRENCE,)
    assert joined[2].score is None


def test_an_occurrence_linking_two_identities_merges_them_into_the_oldest() -> None:
    batch = ResolutionInput(
        occurrences=((key(EvidenceKind.DOCUMENT, "d1"), key(EvidenceKind.NAME_DOB, "n1")),),
        holders={"d1": (Holder(12),), "n1": (Holder(5),)},
    )
    [group] = resolve(batch).groups
    assert group.identities == (5, 12)


def test_conditional_keys_need_agreeing_dates_of_birth() -> None:
    batch = ResolutionInput(
        occurrences=((key(EvidenceKind.NAME_CONTACT, "c1", "y1.d1"),),),
        holders={"c1": (Holder(3, "y1.d2"), Holder(4, "y1"))},
    )
    [group] = resolve(batch).groups
    assert group.identities == (4,)


def test_links_between_identities_merge_them_with_their_reason() -> None:
    plan = resolve(ResolutionInput(links=(IdentityLink(8, 3, 0.95, "api:document"),)))
    [group] = plan.groups
    assert group.identities == (3, 8)
    assert group.reasons == ("api:document",)
    assert reason_text("api:document") == "API data merged with the booking's traveller (document)"
    weak = resolve(ResolutionInput(links=(IdentityLink(8, 3, 0.5, "api:name"),)))
    assert weak.groups == ()


def test_an_analysts_split_is_not_undone() -> None:
    batch = ResolutionInput(
        occurrences=((key(EvidenceKind.DOCUMENT, "d1"), key(EvidenceKind.NAME_DOB, "n1")),),
        holders={"d1": (Holder(1),), "n1": (Holder(2),)},
        apart=frozenset({frozenset((1, 2))}),
    )
    plan = resolve(batch)
    assert plan.refused == 1
    [group] = plan.groups
    assert group.identities == (1,)  # the stronger link (the document) was followed
    assert group.occurrences[0].reasons == ("document",)


def test_explanations_name_what_each_member_shares() -> None:
    shared = shared_kinds(
        {
            "a": (key(EvidenceKind.DOCUMENT, "d1", "y.x"), key(EvidenceKind.PHONE, "p1")),
            "b": (key(EvidenceKind.DOCUMENT, "d1", "y.x"), key(EvidenceKind.NAME_DOB, "n1")),
            "c": (key(EvidenceKind.NAME_DOB, "n1"), key(EvidenceKind.DOCUMENT, "d1", "y.z")),
        }
    )
    assert shared == {
        "a": (EvidenceKind.DOCUMENT,),
        "b": (EvidenceKind.DOCUMENT, EvidenceKind.NAME_DOB),
        "c": (EvidenceKind.NAME_DOB,),
    }


# --- order does not matter --------------------------------------------------------------------------


@dataclass
class _Index:
    """What the store keeps, in memory: each digest's holders, and each occurrence's identity."""

    holders: dict[str, set[Holder]]
    identity: dict[int, int]
    next_id: int = 1

    def feed(self, batch: list[tuple[int, tuple[EvidenceKey, ...]]]) -> None:
        found = {
            k[1]: tuple(sorted(self.holders.get(k[1], ()), key=lambda h: (h.identity, h.birth or "")))
            for _, keys in batch
            for k in keys
        }
        plan = resolve(ResolutionInput(occurrences=tuple(keys for _, keys in batch), holders=found))
        for group in plan.groups:
            if group.identities:
                target, *absorbed = group.identities
            else:
                target, absorbed = self.next_id, []
                self.next_id += 1
            for old in absorbed:
                for occurrence, identity in self.identity.items():
                    if identity == old:
                        self.identity[occurrence] = target
                for holders in self.holders.values():
                    for holder in [h for h in holders if h.identity == old]:
                        holders.discard(holder)
                        holders.add(replace(holder, identity=target))
            for joined in group.occurrences:
                occurrence, keys = batch[joined.occurrence]
                self.identity[occurrence] = target
                for k in keys:
                    self.holders.setdefault(k[1], set()).add(Holder(target, k[2]))

    def partition(self) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = defaultdict(set)
        for occurrence, identity in self.identity.items():
            groups[identity].add(occurrence)
        return {frozenset(g) for g in groups.values()}


def _population() -> list[tuple[EvidenceKey, ...]]:
    """Occurrences of a few people: variants of names, documents, dates of birth and contacts."""
    people = [
        ("MUELLER", "THOMAS", "1980-05-17", "C01X00T47", "+491701111111"),
        ("MULLER", "THOMAS", "1980-05-17", "C01X00T47", "+491702222222"),
        ("MUELLER", "THOMAS", "1980-05-17", "C99X99T99", "+491701111111"),
        ("MUELLER", "THOMAS", None, None, "+491701111111"),
        ("MUELLER", "THOMAS", "1955-01-01", None, "+491703333333"),  # his father: another person
        ("MUELLER", "ANNA", "1982-02-02", "C22X22T22", "+491701111111"),
        ("MUELLER", "ANNA", None, None, "+491701111111"),
        ("OKAFOR", "CHIDI", "1975-02-03", "A1234567", "+2348011111111"),
        ("OKAFOR", "CHIDI EMEKA", "1975-02-03", "B7654321", "+2348022222222"),
        ("ROSSI", "LUCA", "2015-02-02", "C01X00T47", "+393331111111"),  # a passport number typed wrong
    ]
    out = []
    for index, (surname, given_names, born, number, phone) in enumerate(people):
        documents = (doc(number, born),) if number else ()
        traveller = person(surname, given_names, born, documents=documents)
        out.append(keys_of(traveller, booking(f"LOC{index:03d}", traveller, phone=phone)))
    return out


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=4))
def test_identities_do_not_depend_on_the_order_of_arrival(rng: random.Random, batch_size: int) -> None:
    occurrences = list(enumerate(_population()))
    reference = _Index({}, {})
    for item in occurrences:
        reference.feed([item])
    shuffled = list(occurrences)
    rng.shuffle(shuffled)
    index = _Index({}, {})
    for start in range(0, len(shuffled), batch_size):
        index.feed(shuffled[start : start + batch_size])
    assert index.partition() == reference.partition()


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_an_occurrence_without_a_date_of_birth_never_bridges_two_people(order: tuple[int, ...]) -> None:
    """A son and his father of one name share the booking phone; an occurrence of that name and phone
    without a date of birth may be either. Whatever the order, father and son stay apart (the occurrence
    joins the one met first: the only thing that depends on the order of arrival)."""
    son = person("MUELLER", "THOMAS", "1980-05-17")
    father = person("MUELLER", "THOMAS", "1955-01-01")
    unknown = person("MUELLER", "THOMAS")
    occurrences = [
        keys_of(t, booking(f"LOC00{i}", t, phone="+491701111111"))
        for i, t in enumerate((son, father, unknown))
    ]
    index = _Index({}, {})
    for i in order:
        index.feed([(i, occurrences[i])])
    assert index.identity[0] != index.identity[1]
    assert index.identity[2] in {index.identity[0], index.identity[1]}


def test_the_population_resolves_into_the_expected_people() -> None:
    index = _Index({}, {})
    for item in enumerate(_population()):
        index.feed([item])
    assert index.partition() == {
        frozenset({0, 1, 2, 3}),  # Thomas: a spelling, a new passport, no document nor date of birth
        frozenset({4}),  # his father: the same name, another date of birth
        frozenset({5, 6}),  # Anna
        frozenset({7, 8}),  # Chidi, with a new passport and his middle name
        frozenset({9}),  # Luca: Thomas's passport number, another name and date of birth
    }
