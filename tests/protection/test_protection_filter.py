"""`protect_push`: sensitive SSR/OSI items and non-Annex I free text leave the record, counted by code."""

from __future__ import annotations

import dataclasses

import pytest

from openpiu.model import (
    Booking,
    Flight,
    HistoryEntry,
    MessageFormat,
    MessageHeader,
    PnrPush,
    Remark,
    Segment,
    ServiceItem,
    Traveller,
)
from openpiu.protection import (
    DEFAULT_CODES,
    SensitivePolicy,
    merge_removals,
    protect_push,
)

POLICY = SensitivePolicy()
FLIGHT = Flight("LH", "400", "FRA", "JFK")


def ssr(code: str, text: str | None = None, ref: str | None = "1") -> ServiceItem:
    return ServiceItem("SSR", code, "HK", 1, "LH", text=text, traveller_ref=ref)


def push(
    *,
    booking_services: tuple[ServiceItem, ...] = (),
    traveller_services: tuple[ServiceItem, ...] = (),
    segment_services: tuple[ServiceItem, ...] = (),
    remarks: tuple[Remark, ...] = (),
    traveller_remarks: tuple[Remark, ...] = (),
    segment_remarks: tuple[Remark, ...] = (),
    history: tuple[HistoryEntry, ...] = (),
    group_name: str | None = None,
) -> PnrPush:
    traveller = Traveller(
        "KOSHERSKI", "ANNA", "MRS", ref="1", services=traveller_services, remarks=traveller_remarks
    )
    other = Traveller(
        "BLIND",
        "PETER",
        "MR",
        ref="2",
        services=(ssr("DOCS", "/P/DEU/X1/DEU/01JAN80/M/01JAN30/BLIND/PETER", "2"),),
    )
    segment = Segment(FLIGHT, "Y", "HK", 2, services=segment_services, remarks=segment_remarks)
    booking = Booking(
        "ABC123",
        group_name=group_name,
        travellers=(traveller, other),
        segments=(segment,),
        services=booking_services,
        remarks=remarks,
        history=history,
    )
    return PnrPush(MessageHeader(MessageFormat.PNRGOV), "22", FLIGHT, (booking,))


def everything(p: PnrPush) -> list[object]:
    """Every record inside the push, walked."""
    out: list[object] = []

    def walk(value: object) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.append(value)
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple):
            for v in value:
                walk(v)

    walk(p)
    return out


def codes_left(p: PnrPush) -> set[str]:
    return {r.code for r in everything(p) if isinstance(r, ServiceItem) and r.code}


@pytest.mark.parametrize("code", sorted(DEFAULT_CODES))
@pytest.mark.parametrize("level", ["booking", "traveller", "segment"])
def test_each_sensitive_code_goes_at_each_level(code: str, level: str) -> None:
    item = ssr(code, "ANY TEXT")
    original = push(**{f"{level}_services": (item, ssr("DOCS", "/P/DEU/X/DEU/01JAN80/F/01JAN30/A/B"))})
    protected, removals = protect_push(original, POLICY)
    assert removals == {f"SSR {code}": 1}
    assert code not in codes_left(protected)
    assert "DOCS" in codes_left(protected)


def test_an_osi_item_goes_by_code_and_by_leading_code() -> None:
    original = push(
        booking_services=(
            ServiceItem("OSI", "KSML", text="PAX REQUESTS"),
            ServiceItem("OSI", None, carrier="LH", text="WCHR PAX NEEDS HELP TO GATE"),
            ServiceItem("OSI", None, carrier="LH", text="VIP CEO OF ACME"),
        )
    )
    protected, removals = protect_push(original, POLICY)
    assert removals == {"OSI KSML": 1, "OSI WCHR": 1}
    assert [s.text for s in protected.bookings[0].services] == ["VIP CEO OF ACME"]


@pytest.mark.parametrize(
    "item",
    [
        ssr("DOCS", "/P/DEU/X1/DEU/01JAN80/M/01JAN30/BLIND/PETER"),  # a surname that is a term
        ssr("DOCA", "R/DEU/HALAL STREET 1/BERLIN//10115"),  # a street that is a term
        ssr("CTCE", "ANNA.KOSHERSKI//EXAMPLE.COM"),
        ssr("CTCM", "4917012345"),
        ssr("FQTV", "LH 992003498171779"),
        ssr("SEAT", None),
        ssr("INFT", "KOSHERSKI/MIA 01JAN25"),
        ssr("TKNE", "2201234567890C1"),
        ssr("UMNR", "UM10 ACCOMPANIED TO GATE BY AUNT"),
        ssr("VGML", "VEGETARIAN"),
        ssr("CHML", "CHILD MEAL"),
        ssr("PETC", "CAT IN CABIN"),
    ],
    ids=lambda i: i.code,
)
def test_non_sensitive_ssrs_are_kept(item: ServiceItem) -> None:
    original = push(traveller_services=(item,), booking_services=(item,), segment_services=(item,))
    protected, removals = protect_push(original, POLICY)
    assert removals == {}
    assert protected is original


@pytest.mark.parametrize(
    "item",
    [
        ssr("SPML", "KOSHER STYLE NO PORK"),
        ssr("OTHS", "PAX IS PREGNANT 32 WEEKS"),
        ssr("OTHS", "hiv medication in cabin"),
        ssr("PETC", "GUIDE DOG FOR BLIND PAX"),
        ssr("XBAG", "WHEELCHAIR BATTERY"),
    ],
    ids=lambda i: i.text,
)
def test_a_term_in_ssr_free_text_removes_the_item(item: ServiceItem) -> None:
    protected, removals = protect_push(push(traveller_services=(item,)), POLICY)
    assert removals == {"TEXT": 1}
    assert protected.bookings[0].travellers[0].services == ()


def test_counts_add_up_by_code() -> None:
    original = push(
        booking_services=(ssr("MOML"),),
        traveller_services=(ssr("MOML"), ssr("WCHR"), ssr("DOCS", "/P/DEU/1")),
        segment_services=(ssr("MOML"), ssr("SEAT")),
    )
    _, removals = protect_push(original, POLICY)
    assert removals == {"SSR MOML": 3, "SSR WCHR": 1}
    assert merge_removals([removals, {"TEXT": 2, "SSR MOML": 1}]) == {"SSR MOML": 4, "SSR WCHR": 1, "TEXT": 2}


def test_only_the_removed_items_change() -> None:
    original = push(traveller_services=(ssr("DBML"), ssr("DOCS", "/P/DEU/1")))
    protected, _ = protect_push(original, POLICY)
    before, after = original.bookings[0], protected.bookings[0]
    assert [(t.surname, t.given_names, t.ref) for t in after.travellers] == [
        (t.surname, t.given_names, t.ref) for t in before.travellers
    ]
    assert after.travellers[0].services == (ssr("DOCS", "/P/DEU/1"),)
    assert after.travellers[1] is before.travellers[1]
    assert after.segments == before.segments
    assert protected.header == original.header
    assert protected.flight == original.flight


# --- remarks: sensitive terms, and Annex I item 12 --------------------------------------------------


@pytest.mark.parametrize(
    ("remark", "key"),
    [
        (Remark("PAX TRAVELS FOR DIALYSIS", "4", "3"), "TEXT"),
        (Remark("UMNR BUT DIABETIC", "4", "3"), "TEXT"),  # sensitive wins over the minor rule
        (Remark("KSML PAX REQUESTS", "4", "28"), "OSI KSML"),
        (Remark("THIS PASSENGER IS A VIP", "4", "28"), "REMARK"),
        (Remark("CALL BACK AFTER 5PM", "4", "3"), "REMARK"),
        (Remark("UMNR 9 YEARS PICKED UP BY FATHER", "4", "3"), None),
        (Remark("UNACCOMPANIED MINOR MEET AT ARRIVAL", "4", "28"), None),
        (Remark("FRA LH NYC 450.00 EUR450.00END", "4", "15"), None),  # fare calculation: Annex I item 13
        (Remark("JOHN PAYER 1 MAIN ST", "4", "43"), None),  # payer: Annex I item 6
        (Remark("CTCE JOHN//EXAMPLE.COM", "4", "28"), None),  # contact data: Annex I item 5
        (Remark("KOSHERSKI FAMILY TRAVELS TOGETHER", "4", "3"), "REMARK"),  # not a term hit
    ],
)
@pytest.mark.parametrize("level", ["remarks", "traveller_remarks", "segment_remarks"])
def test_remarks(remark: Remark, key: str | None, level: str) -> None:
    protected, removals = protect_push(push(**{level: (remark,)}), POLICY)
    assert removals == ({key: 1} if key else {})
    left = [r for r in everything(protected) if isinstance(r, Remark)]
    assert left == ([] if key else [remark])


def test_keep_general_remarks_keeps_them_but_not_sensitive_ones() -> None:
    policy = SensitivePolicy(keep_general_remarks=True)
    remarks = (Remark("THIS PASSENGER IS A VIP", "4", "28"), Remark("HALAL PLEASE", "4", "28"))
    protected, removals = protect_push(push(remarks=remarks), policy)
    assert removals == {"TEXT": 1}
    assert protected.bookings[0].remarks == remarks[:1]


# --- history and group names --------------------------------------------------------------------


def test_history_entries_with_sensitive_items_go() -> None:
    history = (
        HistoryEntry("ABI", action="A", item="SSR MOML", text="MOML:HK:1:LH"),
        HistoryEntry(
            "ABI",
            action="A",
            item="SSR DOCS",
            text="DOCS:HK:1:::::/P/DEU/1/DEU/01JAN80/M/01JAN30/BLIND/PETER",
        ),
        HistoryEntry("LTS", text="SSR WCHR LH HK1 FRAJFK"),
        HistoryEntry("LTS", text="RMK PAX IS PREGNANT"),
        HistoryEntry("LTS", text="LANG/PETER MR NAME CHANGE"),
        HistoryEntry("ABI", action="X", item="TIF"),
    )
    protected, removals = protect_push(push(history=history), POLICY)
    assert removals == {"SSR MOML": 1, "SSR WCHR": 1, "TEXT": 1}
    assert protected.bookings[0].history == (history[1], history[4], history[5])


def test_a_group_name_with_a_term_goes() -> None:
    protected, removals = protect_push(push(group_name="HAJJ PILGRIMS 2026"), POLICY)
    assert removals == {"GROUP": 1}
    assert protected.bookings[0].group_name is None
    kept, none = protect_push(push(group_name="SIEMENS SALES"), POLICY)
    assert none == {}
    assert kept.bookings[0].group_name == "SIEMENS SALES"


def test_a_clean_push_comes_back_as_it_was() -> None:
    original = push(traveller_services=(ssr("DOCS", "/P/DEU/1"),), remarks=(Remark("UMNR", "4", "3"),))
    protected, removals = protect_push(original)
    assert protected is original
    assert removals == {}


def test_a_custom_policy_is_honoured() -> None:
    policy = SensitivePolicy.from_dict({"version": "t", "codes": ["VGML"], "terms": ["VEGAN"]})
    original = push(traveller_services=(ssr("VGML"), ssr("MOML"), ssr("SPML", "VEGAN MEAL")))
    protected, removals = protect_push(original, policy)
    assert removals == {"SSR VGML": 1, "TEXT": 1}
    assert codes_left(protected) >= {"MOML"}
