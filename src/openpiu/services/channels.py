"""How an approved transmission reaches its authority: a webhook, an e-mail or a file drop.

Each channel sends one document built from the transmission's content and nothing else
(:func:`payload`, :func:`plain_text`), and answers with a reference of the delivery or raises
:class:`DeliveryError`, whose message is recorded and shown (it names hosts, codes and files, never
the content). Every delivery carries the transmission's id (a header, the e-mail's Message-ID, the
file's name), so an authority can recognise the same transmission sent again after a retry.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from openpiu.model import ScheduledTime, Transmission
from openpiu.services.authorities import Authority, EmailTarget, FileTarget, WebhookTarget
from openpiu.settings import Settings

__all__ = [
    "FORMAT",
    "Channel",
    "ChannelFactory",
    "DeliveryError",
    "EmailChannel",
    "FileChannel",
    "SmtpRelay",
    "WebhookChannel",
    "default_channels",
    "payload",
    "plain_text",
]

#: The version of the document a transmission sends; an authority's receiver can check it.
FORMAT = "openpiu-transmission/1"
#: At most this much of a webhook's answer is read (for its reference).
MAX_ANSWER = 65536


class DeliveryError(Exception):
    """The channel did not deliver; the message says why without any of the content."""


class Channel(Protocol):
    """One way to one authority."""

    def send(self, transmission: Transmission) -> str:
        """Deliver ``transmission``; return the delivery's reference (raise DeliveryError when not)."""
        ...


#: The channel of an authority on the allow-list.
ChannelFactory = Callable[[Authority], Channel]


def _schedule(time: ScheduledTime | None) -> dict[str, Any] | None:
    if time is None:
        return None
    return {
        "local": time.local_iso(),
        "airport": time.airport,
        "utc": None if time.utc is None else time.utc.isoformat(),
    }


def payload(transmission: Transmission) -> dict[str, Any]:
    """The JSON document that leaves: the person, the flight, the booking's locator, the grounds, what is
    asked and the note; the PIU's reference and the time of approval."""
    c = transmission.content
    flight = None
    if c.flight is not None:
        f = c.flight
        flight = {
            "carrier": f.carrier,
            "number": f.number,
            "date": f.flight_date.isoformat(),
            "origin": f.origin,
            "destination": f.destination,
            "departure": _schedule(f.departure),
            "arrival": _schedule(f.arrival),
        }
    return {
        "format": FORMAT,
        "transmission": transmission.id,
        "authority": transmission.authority_id,
        "action": transmission.action,
        "purpose": transmission.purpose,
        "approved_at": None if transmission.decided_at is None else transmission.decided_at.isoformat(),
        "person": {
            "surname": c.surname,
            "given_names": c.given_names,
            "date_of_birth": None if c.date_of_birth is None else c.date_of_birth.isoformat(),
            "nationality": c.nationality,
            "documents": [
                {"number": d.number, "type": d.document_type, "issuing_state": d.issuing_state}
                for d in c.documents
            ],
        },
        "flight": flight,
        "booking": {"locator": c.locator},
        "grounds": {"kind": c.grounds_kind.value, "name": c.grounds, "category": c.category},
        "note": c.note,
    }


def plain_text(transmission: Transmission) -> str:
    """The same content as :func:`payload`, as a text a person reads."""
    document = payload(transmission)
    person, flight, grounds = document["person"], document["flight"], document["grounds"]

    def line(label: str, value: object) -> str:
        return f"{label + ':':<20} {value if value not in (None, '') else '-'}"

    lines = [
        f"Transmission {transmission.id} from the Passenger Information Unit",
        "",
        line("Requested action", transmission.action),
        line("Purpose", transmission.purpose),
        line("Approved at", document["approved_at"]),
        "",
        line("Surname", person["surname"]),
        line("Given names", person["given_names"]),
        line("Date of birth", person["date_of_birth"]),
        line("Nationality", person["nationality"]),
    ]
    for doc in person["documents"]:
        kind = doc["type"] or "document"
        issued = f" issued by {doc['issuing_state']}" if doc["issuing_state"] else ""
        lines.append(line("Travel document", f"{kind} {doc['number']}{issued}"))
    lines.append("")
    if flight is None:
        lines.append(line("Flight", None))
    else:
        lines.append(line("Flight", f"{flight['carrier']} {flight['number']} on {flight['date']}"))
        lines.append(line("From", flight["origin"]))
        lines.append(line("To", flight["destination"]))
        for label, time in (
            ("Departure (local)", flight["departure"]),
            ("Arrival (local)", flight["arrival"]),
        ):
            lines.append(
                line(label, None if time is None else f"{time['local']} {time['airport'] or ''}".strip())
            )
    lines.append(line("Booking locator", document["booking"]["locator"]))
    lines.append("")
    lines.append(line("Grounds", f"{grounds['kind']}: {grounds['name']}"))
    lines.append(line("Category", grounds["category"]))
    lines.append(line("Note", document["note"]))
    lines.append("")
    lines.append(f"Quote PIU reference {transmission.id} in any answer.")
    return "\n".join(lines) + "\n"


def _body(transmission: Transmission) -> bytes:
    return json.dumps(payload(transmission), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Personal data goes to the URL on the allow-list and nowhere else: a redirect is a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookChannel:
    """A JSON POST; a 2xx answer is a delivery, anything else (or no answer in time) a failure."""

    def __init__(self, target: WebhookTarget) -> None:
        self.target = target

    def send(self, transmission: Transmission) -> str:
        url = self.target.url
        host = urlsplit(url).hostname or url
        request = urllib.request.Request(
            url,
            data=_body(transmission),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "openpiu",
                # the same transmission sent again (a retry) carries the same key
                "Idempotency-Key": f"openpiu-transmission-{transmission.id}",
            },
        )
        opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=ssl.create_default_context())
        )
        try:
            with opener.open(request, timeout=self.target.timeout) as response:
                status = int(response.status)
                answer = response.read(MAX_ANSWER)
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"{host} answered HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise DeliveryError(f"cannot reach {host}: {error.reason}") from None
        except (OSError, ValueError) as error:  # timeouts, resets, malformed answers
            raise DeliveryError(f"cannot deliver to {host}: {type(error).__name__}: {error}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"{host} answered HTTP {status}")
        return _reference(answer) or f"HTTP {status} from {host}"


def _reference(answer: bytes) -> str | None:
    """The receiver's own reference, when it answered with JSON carrying one."""
    try:
        document = json.loads(answer)
    except ValueError:
        return None
    if isinstance(document, dict):
        for key in ("reference", "id"):
            value = document.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()[:200]
    return None


class SmtpRelay:
    """Where e-mail goes: the PIU's relay (from the settings), with or without STARTTLS."""

    def __init__(
        self, host: str, port: int, sender: str, *, starttls: bool = False, timeout: float = 30
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.timeout = timeout


class EmailChannel:
    """A plain-text e-mail listing the content; delivered once the relay accepted it for the address."""

    def __init__(self, target: EmailTarget, relay: SmtpRelay) -> None:
        self.target = target
        self.relay = relay

    def message(self, transmission: Transmission) -> EmailMessage:
        relay = self.relay
        message = EmailMessage()
        message["From"] = relay.sender
        message["To"] = self.target.address
        # the subject shows in mail logs and lists: ids and the action only
        message["Subject"] = f"PIU transmission {transmission.id}: {transmission.action}"
        if transmission.decided_at is not None:
            message["Date"] = format_datetime(transmission.decided_at)
        domain = relay.sender.rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(idstring=f"openpiu-transmission-{transmission.id}", domain=domain)
        message.set_content(plain_text(transmission))
        return message

    def send(self, transmission: Transmission) -> str:
        relay = self.relay
        message = self.message(transmission)
        try:
            # gethostname, not getfqdn: no DNS lookup that could hang before the greeting
            with smtplib.SMTP(
                relay.host, relay.port, timeout=relay.timeout, local_hostname=socket.gethostname()
            ) as smtp:
                if relay.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                refused = smtp.send_message(message)
        except smtplib.SMTPException as error:
            raise DeliveryError(f"the mail relay {relay.host}:{relay.port} refused: {error}") from None
        except OSError as error:
            raise DeliveryError(f"cannot reach the mail relay {relay.host}:{relay.port}: {error}") from None
        if refused:
            raise DeliveryError(f"the mail relay refused the address {self.target.address}")
        return str(message["Message-ID"])


class FileChannel:
    """A JSON file in the authority's folder, written whole under a temporary name then renamed, so the
    authority's collector never sees half a file; the folder must exist (a missing mount is a failure,
    not a local folder that nobody collects)."""

    def __init__(self, target: FileTarget) -> None:
        self.target = target

    def send(self, transmission: Transmission) -> str:
        folder = self.target.folder
        name = f"openpiu-transmission-{transmission.id}.json"
        if not folder.is_dir():
            raise DeliveryError(f"the drop folder {folder} does not exist")
        temporary: Path | None = None
        try:
            descriptor, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            temporary = Path(temp_name)
            with os.fdopen(descriptor, "wb") as out:
                os.fchmod(out.fileno(), 0o640)  # the collector may read it as a member of the group
                out.write(_body(transmission))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, folder / name)
            temporary = None
            _sync_folder(folder)
        except OSError as error:
            raise DeliveryError(
                f"cannot write into the drop folder {folder}: {error.strerror or error}"
            ) from None
        finally:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
        return name


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); where a folder cannot be opened, the rename stands as it is."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def default_channels(settings: Settings) -> ChannelFactory:
    """The channel of each authority, e-mail through the relay the settings name."""
    sender = settings.smtp_from

    def channel(authority: Authority) -> Channel:
        target = authority.channel
        if isinstance(target, WebhookTarget):
            return WebhookChannel(target)
        if isinstance(target, FileTarget):
            return FileChannel(target)
        if sender is None:
            raise DeliveryError("set OPENPIU_SMTP_FROM to send e-mail transmissions")
        relay = SmtpRelay(settings.smtp_host, settings.smtp_port, sender, starttls=settings.smtp_starttls)
        return EmailChannel(target, relay)

    return channel
