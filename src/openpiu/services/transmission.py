"""Use cases of transmissions: a confirmed hit sent to a competent authority with a second person's approval.

Directive 2016/681 lets the PIU transmit a result only after individual review by a person (Art 6(5)-(6)),
only to a competent authority (Art 7), only what is needed, and logs every transmission (Art 13). Here:

- ``request``: an analyst asks for a hit whose latest decision is *confirmed* to be sent to an authority on
  the allow-list (``OPENPIU_AUTHORITIES_FILE``), for an action it accepts. The content is built from the
  store at that moment and is all that will leave: the person's name, date of birth, nationality and
  documents, the flight, the booking's locator, the grounds (list name and category, or criterion title)
  and the action and note; never the score, the features compared nor the other travellers.
- ``approve``: a *different* person approves (four eyes); it is sent at once through the authority's
  channel and marked sent (with the delivery's reference) or failed (with the error). ``reject`` refuses
  it; ``retry`` sends a failed one again. Nothing leaves before an approval.
- ``detail`` and ``list`` show transmissions with their content to a person: audited reads.

Each state change is written by the store with its history row and audit event in one transaction. The web
layer checks roles (a supervisor approves) before calling; ``actor`` is the user's name. Logs name ids
and authorities, never the content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpiu.clock import Clock
from openpiu.model import (
    DecisionOutcome,
    HitKind,
    Transmission,
    TransmissionContent,
    TransmissionEvent,
    TransmissionState,
    TransmittedDocument,
    TransmittedFlight,
    TravelDocument,
)
from openpiu.services.authorities import Authority, AuthorityList, EmailTarget, load_authorities
from openpiu.services.channels import ChannelFactory, DeliveryError, default_channels
from openpiu.services.review import NoSuchHit
from openpiu.settings import Settings, SettingsError
from openpiu.store import (
    InvalidTransition,
    NotFound,
    Store,
    StoredHit,
    TransmissionQuery,
    open_store,
)

__all__ = [
    "STATES",
    "ActionNotAccepted",
    "FourEyes",
    "NoSuchTransmission",
    "NotConfirmed",
    "NotInThatState",
    "TransmissionDetail",
    "TransmissionError",
    "TransmissionQuery",
    "Transmitter",
    "UnknownAuthority",
    "authorities_summary",
    "list_transmissions",
]

_log = logging.getLogger(__name__)

#: What a list shows at most.
MAX_PAGE = 500
#: The states a transmission can be in, by name (for the CLI's choices).
STATES = tuple(state.value for state in TransmissionState)
#: Document kinds that identify the traveller (a visa, DOCO, says where they may go, not who they are).
_NOT_IDENTITY_SOURCES = frozenset({"DOCO"})


class TransmissionError(Exception):
    """A transmission cannot be asked for, approved or sent as asked; the message says why."""


class NotConfirmed(TransmissionError):
    """The hit's latest decision is not *confirmed* (open, or dismissed)."""


class UnknownAuthority(TransmissionError):
    """The authority is not on the allow-list."""


class ActionNotAccepted(TransmissionError):
    """The authority does not accept that action."""


class FourEyes(TransmissionError):
    """The person who asked for a transmission cannot approve it."""


class NotInThatState(TransmissionError):
    """The transmission is not in a state that allows this (e.g. approving one already sent)."""


class NoSuchTransmission(NotFound):
    """The transmission asked for does not exist."""


@dataclass(frozen=True, slots=True)
class TransmissionDetail:
    transmission: Transmission
    history: list[TransmissionEvent]  # oldest first
    authority: Authority | None  # None when it has left the allow-list since


class Transmitter:
    """Transmissions on one store, to the authorities of one allow-list, through their channels."""

    def __init__(self, store: Store, authorities: AuthorityList, channels: ChannelFactory) -> None:
        self.store = store
        self.authorities = authorities
        self.channels = channels

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> Transmitter:
        """The allow-list of ``OPENPIU_AUTHORITIES_FILE`` (none: nothing may be transmitted), channels
        from the SMTP settings. Raises SettingsError for an e-mail authority without a sender address."""
        if settings.authorities_file is None:
            authorities = AuthorityList({}, "")
        else:
            authorities = load_authorities(settings.authorities_file)
        by_mail = [a.id for a in authorities if isinstance(a.channel, EmailTarget)]
        if by_mail and settings.smtp_from is None:
            raise SettingsError(f"set OPENPIU_SMTP_FROM: authorities {', '.join(by_mail)} receive e-mail")
        return cls(store, authorities, default_channels(settings))

    # --- asking --------------------------------------------------------------------------------------

    def request(self, actor: str, hit_id: int, authority_id: str, action: str, note: str) -> Transmission:
        """Ask for a confirmed hit to be sent to an authority; it waits for a second person's approval."""
        actor = actor.strip()
        if not actor:
            raise ValueError("a transmission is asked for by a named person")
        hit = self.store.hit(hit_id)
        if hit is None:
            raise NoSuchHit(f"no hit {hit_id}")
        if hit.outcome is not DecisionOutcome.CONFIRMED:
            raise NotConfirmed(
                f"hit {hit_id} is {hit.outcome.value if hit.outcome else 'not decided yet'}: "
                "only a hit an analyst confirmed may be transmitted"
            )
        authority = self._allowed(authority_id, action)
        content, grounds_basis = self._content(hit, action, note.strip())
        purpose = authority.legal_basis if not grounds_basis else f"{authority.legal_basis}; {grounds_basis}"
        try:
            requested = self.store.request_transmission(
                hit_id=hit_id,
                authority_id=authority.id,
                action=action,
                purpose=purpose,
                content=content,
                requested_by=actor,
            )
        except InvalidTransition as error:  # the hit was dismissed meanwhile
            raise NotConfirmed(str(error)) from None
        _log.info("transmission %d requested: hit %d to %s (%s)", requested.id, hit_id, authority.id, action)
        return requested

    def _allowed(self, authority_id: str, action: str) -> Authority:
        authority = self.authorities.get(authority_id)
        if authority is None:
            if not len(self.authorities):
                raise UnknownAuthority(
                    "no authority may receive transmissions: set OPENPIU_AUTHORITIES_FILE to the allow-list"
                )
            raise UnknownAuthority(f"authority {authority_id!r} is not on the allow-list")
        if action not in authority.actions:
            raise ActionNotAccepted(
                f"authority {authority.id!r} does not accept {action!r}; "
                f"it accepts: {', '.join(authority.actions)}"
            )
        return authority

    def _content(self, stored: StoredHit, action: str, note: str) -> tuple[TransmissionContent, str]:
        """The minimum that leaves, from the store; and the legal basis of the grounds, for the purpose."""
        store, hit = self.store, stored.hit
        traveller = None if hit.traveller_id is None else store.traveller(hit.traveller_id)
        api = None if hit.api_person_id is None else store.api_person(hit.api_person_id)
        pnr = None if traveller is None else traveller.traveller
        person = None if api is None else api.person
        if pnr is None and person is None:
            raise TransmissionError(f"hit {stored.id} names no traveller any more (masked or deleted)")

        # The passport's data (API) where it was given, the booking's (PNR) otherwise.
        documents: list[TravelDocument] = [
            *(() if person is None else person.documents),
            *(() if pnr is None else pnr.documents),
        ]
        identity_documents = [d for d in documents if d.source not in _NOT_IDENTITY_SOURCES]
        surname = person.surname if person is not None and person.surname else (pnr.surname if pnr else "")
        given_names = person.given_names if person is not None and person.surname else None
        if given_names is None and pnr is not None:
            given_names = pnr.given_names
        date_of_birth = (person.date_of_birth if person else None) or (pnr.date_of_birth if pnr else None)
        date_of_birth = date_of_birth or next(
            (d.date_of_birth for d in identity_documents if d.date_of_birth), None
        )
        nationality = (person.nationality if person else None) or next(
            (d.nationality for d in identity_documents if d.nationality), None
        )
        seen: set[str] = set()
        sent_documents: list[TransmittedDocument] = []
        for document in identity_documents:
            number = (document.number or "").strip()
            if number and number.upper() not in seen:
                seen.add(number.upper())
                sent_documents.append(
                    TransmittedDocument(number, document.document_type, document.issuing_state)
                )

        flight = None
        stored_flight = None if hit.flight_id is None else store.flight(hit.flight_id)
        if stored_flight is not None:
            f = stored_flight.flight
            flight = TransmittedFlight(
                carrier=f.carrier,
                number=f.number,
                flight_date=stored_flight.flight_date,
                origin=f.origin,
                destination=f.destination,
                departure=f.departure,
                arrival=f.arrival,
            )
        elif api is not None and api.flight[0]:
            carrier, number, origin = api.flight  # a flight only its passenger list made known
            flight = TransmittedFlight(carrier, number, stored.flight_date, origin=origin or None)

        locator = None
        if hit.booking_id is not None:
            booking = store.booking(hit.booking_id)
            locator = None if booking is None else booking.locator
        if locator is None and person is not None:
            locator = person.locator

        if hit.kind is HitKind.WATCHLIST and hit.list_id is not None:
            watchlist = next(
                (
                    w.watchlist
                    for w in store.watchlists()
                    if w.watchlist.list_id == hit.list_id and w.watchlist.version == hit.source_version
                ),
                None,
            )
            entry = store.watchlist_entry(hit.list_id, hit.source_version, hit.source_id)
            grounds = watchlist.name if watchlist is not None else hit.list_id
            category = (entry.category if entry is not None else None) or (
                watchlist.category if watchlist is not None else None
            )
            basis = f"list {hit.list_id}: {watchlist.legal_basis}" if watchlist is not None else ""
        elif hit.kind is HitKind.FOLLOW:
            # the follow's own legal basis: what an analyst recorded when they started following
            follow_id = hit.source_id.partition(":")[2]
            follow = store.follow(int(follow_id)) if follow_id.isdigit() else None
            grounds = f"follow of a confirmed traveller identity ({hit.source_id})"
            category = None
            basis = follow.legal_basis if follow is not None else hit.source_id
        else:
            criterion = store.criterion(hit.source_id, hit.source_version)
            grounds = criterion.title if criterion is not None else hit.source_id
            category = criterion.purpose if criterion is not None else None
            basis = f"criterion {hit.source_id} version {hit.source_version}"

        content = TransmissionContent(
            surname=surname,
            given_names=given_names,
            date_of_birth=date_of_birth,
            nationality=nationality,
            documents=tuple(sent_documents),
            flight=flight,
            locator=locator,
            grounds_kind=hit.kind,
            grounds=grounds,
            category=category,
            action=action,
            note=note,
        )
        return content, basis

    # --- deciding and sending -----------------------------------------------------------------------

    def approve(self, actor: str, transmission_id: int, reason: str) -> Transmission:
        """A second person approves; the transmission is sent at once. Returns it sent or failed."""
        actor, reason = actor.strip(), reason.strip()
        if not reason:
            raise ValueError("an approval needs a reason a person can read")
        found = self._get(transmission_id)
        if found.requested_by.casefold() == actor.casefold():
            raise FourEyes(
                f"transmission {transmission_id} was asked for by {actor}: another person approves it"
            )
        authority = self._allowed(found.authority_id, found.action)  # still on the allow-list?
        try:
            approved = self.store.approve_transmission(transmission_id, actor=actor, reason=reason)
        except InvalidTransition as error:
            raise self._refusal(error) from None
        except ValueError as error:  # the store's own four-eyes check
            raise FourEyes(str(error)) from None
        return self._deliver(approved, authority, actor)

    def reject(self, actor: str, transmission_id: int, reason: str) -> Transmission:
        """Refuse a requested transmission (or give up a failed one): it is never sent."""
        reason = reason.strip()
        if not reason:
            raise ValueError("a rejection needs a reason a person can read")
        self._get(transmission_id)
        try:
            rejected = self.store.reject_transmission(transmission_id, actor=actor.strip(), reason=reason)
        except InvalidTransition as error:
            raise NotInThatState(str(error)) from None
        _log.info("transmission %d rejected", transmission_id)
        return rejected

    def retry(self, actor: str, transmission_id: int) -> Transmission:
        """Send a failed transmission again (or one whose sending was interrupted, still approved)."""
        actor = actor.strip()
        found = self._get(transmission_id)
        authority = self._allowed(found.authority_id, found.action)
        hit = self.store.hit(found.hit_id)
        if found.state in {TransmissionState.FAILED, TransmissionState.APPROVED} and (
            hit is None or hit.outcome is not DecisionOutcome.CONFIRMED
        ):
            raise NotConfirmed(
                f"hit {found.hit_id} is no longer confirmed: transmission {transmission_id} stays"
            )
        if found.state is TransmissionState.FAILED:
            try:
                found = self.store.retry_transmission(transmission_id, actor=actor)
            except InvalidTransition as error:  # another retry won, or the hit was dismissed
                raise self._refusal(error) from None
        elif found.state is not TransmissionState.APPROVED:
            raise NotInThatState(f"transmission {transmission_id} is {found.state.value}: nothing to retry")
        else:
            self.store.record(
                actor=actor,
                action="transmission.resumed",
                subject=f"transmission:{transmission_id}",
                reason="send an approved transmission whose sending was interrupted",
                details={"transmission": transmission_id, "authority": found.authority_id},
            )
        return self._deliver(found, authority, actor)

    def _refusal(self, error: InvalidTransition) -> TransmissionError:
        message = str(error)
        return NotConfirmed(message) if "not confirmed" in message else NotInThatState(message)

    def _deliver(self, approved: Transmission, authority: Authority, actor: str) -> Transmission:
        """Send through the authority's channel and record how it went."""
        try:
            reference = self.channels(authority).send(approved)
        except DeliveryError as error:
            failed = self.store.mark_failed(approved.id, actor=actor, error=str(error))
            _log.warning(
                "transmission %d to %s failed (attempt %d)", approved.id, authority.id, failed.attempts
            )
            return failed
        except Exception as error:  # a fault of ours: still recorded, and the traceback kept out of logs
            failed = self.store.mark_failed(
                approved.id,
                actor=actor,
                error=f"unexpected error in the {authority.channel_kind} channel: {type(error).__name__}",
            )
            _log.error(
                "transmission %d to %s: unexpected %s", approved.id, authority.id, type(error).__name__
            )
            return failed
        sent = self.store.mark_sent(approved.id, actor=actor, reference=reference)
        _log.info("transmission %d sent to %s (attempt %d)", sent.id, authority.id, sent.attempts)
        return sent

    # --- reading -------------------------------------------------------------------------------------

    def _get(self, transmission_id: int) -> Transmission:
        found = self.store.transmission(transmission_id)
        if found is None:
            raise NoSuchTransmission(f"no transmission {transmission_id}")
        return found

    def detail(self, actor: str, transmission_id: int) -> TransmissionDetail:
        """One transmission with its content and history: an audited read."""
        found = self._get(transmission_id)
        self.store.record(
            actor=actor,
            action="transmission.read",
            subject=f"transmission:{transmission_id}",
            reason="review the transmission",
            details={"transmission": transmission_id, "hit": found.hit_id},
        )
        return TransmissionDetail(
            found, self.store.transmission_history(transmission_id), self.authorities.get(found.authority_id)
        )

    def for_hit(self, hit_id: int) -> list[Transmission]:
        """The hit's transmissions, newest first, for the page of the hit (whose read is audited)."""
        return self.store.transmissions(TransmissionQuery(hit_id=hit_id, limit=MAX_PAGE))

    def list(self, actor: str, query: TransmissionQuery | None = None) -> list[Transmission]:
        """Transmissions (with their content), newest first: an audited read."""
        query = query or TransmissionQuery()
        if not 0 < query.limit <= MAX_PAGE:
            raise ValueError(f"a page shows 1 to {MAX_PAGE} transmissions")
        self.store.record(
            actor=actor,
            action="transmissions.read",
            subject="transmissions",
            reason="work the transmissions",
            details={
                "state": None if query.state is None else TransmissionState(query.state).value,
                "hit": query.hit_id,
                "authority": query.authority_id,
                "offset": query.offset,
                "limit": query.limit,
            },
        )
        return self.store.transmissions(query)


def list_transmissions(
    url: str, *, clock: Clock, state: str | None = None, limit: int = MAX_PAGE
) -> list[dict[str, Any]]:
    """The operator's listing (`openpiu transmission list`): ids, authority, action, state, attempts and
    times; no content and no names, so it is not a read of personal data."""
    query = TransmissionQuery(state=None if state is None else TransmissionState(state), limit=limit)
    store = open_store(url, clock=clock)
    try:
        found = store.transmissions(query)
    finally:
        store.close()

    def instant(value: Any) -> str | None:
        return None if value is None else value.isoformat()

    return [
        {
            "id": t.id,
            "hit": t.hit_id,
            "authority": t.authority_id,
            "action": t.action,
            "state": t.state.value,
            "flight_date": t.flight_date.isoformat(),
            "requested_at": instant(t.requested_at),
            "decided_at": instant(t.decided_at),
            "sent_at": instant(t.sent_at),
            "attempts": t.attempts,
            "last_attempt_at": instant(t.last_attempt_at),
        }
        for t in found
    ]


def authorities_summary(path: str | Path) -> list[dict[str, Any]]:
    """The allow-list as operators check it (`openpiu transmission authorities`): ids, names, channel
    kinds and actions; raises AuthoritiesError, naming the line, for a bad file."""
    return [
        {"id": a.id, "name": a.name, "channel": a.channel_kind, "actions": list(a.actions)}
        for a in load_authorities(path)
    ]
