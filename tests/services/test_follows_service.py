"""A follow hit goes the way of every hit: decided by an analyst, then sent to a competent authority under
the follow's own legal basis (never by the machine alone)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from test_transmission import World, smtp, webhook, world  # noqa: F401 (fixtures used by name)

from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import DecisionOutcome, HitKind
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.follows import FollowDesk
from openpiu.services.review import Review
from openpiu.store import Occurrence
from openpiu.synth.corpus import demo_push

BASIS = "Art 6(2)(b) Directive 2016/681; request 2026/117 of the national police"


def test_a_follow_hit_is_decided_and_transmitted_under_the_follows_legal_basis(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    store = world.store
    confirmed = store.hit(world.hit_id)
    assert confirmed is not None
    assert confirmed.hit.traveller_id is not None
    identity = store.identity_of(Occurrence(traveller_id=confirmed.hit.traveller_id))
    assert identity is not None
    follow = FollowDesk(store, world.clock).start(
        "ana", identity, legal_basis=BASIS, reason="courier for the network", days=30
    )

    push = demo_push(seed=5, bookings=20)  # the world's push, sent again six hours later
    assert push.header.prepared_at is not None
    header = dataclasses.replace(
        push.header, message_ref="2", prepared_at=push.header.prepared_at + timedelta(hours=6)
    )
    Ingestor(store, world.clock, screening=ScreeningStage(store, world.clock)).ingest(
        write_pnrgov(dataclasses.replace(push, header=header)), sender="1A", channel="test"
    )
    [hit] = [h for h in store.hits() if h.hit.kind is HitKind.FOLLOW]
    assert hit.hit.source_id == follow.source_id
    assert hit.outcome is None

    Review(store).decide("ana", hit.id, DecisionOutcome.CONFIRMED, "the person followed, on a new flight")
    asked = world.transmitter().request("ana", hit.id, "bpol", "border_check", "please check at arrival")
    assert asked.content.grounds_kind is HitKind.FOLLOW
    assert BASIS in asked.purpose
    assert follow.source_id in asked.content.grounds
