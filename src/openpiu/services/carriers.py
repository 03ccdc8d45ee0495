"""Carrier credentials for the HTTP push endpoint (`openpiu carrier add|list|disable`).

Each carrier (an airline code such as ``LH``, or the name of a router such as ``SITA-PNRGOV``) has one
random token. The credentials file (``Settings.carriers_path``, default ``<data dir>/carriers.json``) keeps
only the SHA-256 of each token, never the token; it is written atomically (a temporary file in the same
folder, then ``os.replace``) with mode 0600, under an exclusive lock so two `openpiu carrier` commands
never lose each other's change.

A name is never reused for somebody else silently: ``add_carrier`` refuses a name that is active. A
disabled carrier can be added again: it gets a new token and is enabled, and its old token never works
again (that is how a token is rotated: ``disable``, then ``add``). The entry's ``created_at`` is the time
of its current token.

The file looks like this (``version`` allows the format to change)::

    {"version": 1, "carriers": {"LH": {"token_sha256": "<hex>", "created_at": "2026-11-29T06:00:00+00:00",
                                      "disabled": false, "disabled_at": null}}}

:class:`CarrierRegistry` is what the web application asks: it re-reads the file whenever it changes, so a
carrier added or disabled with the command line takes effect without restarting the server.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from openpiu.clock import Clock, SystemClock

__all__ = [
    "CarrierError",
    "CarrierExists",
    "CarrierFileError",
    "CarrierInfo",
    "CarrierRegistry",
    "InvalidCarrierName",
    "UnknownCarrier",
    "add_carrier",
    "disable_carrier",
    "list_carriers",
    "normalise_name",
]

_log = logging.getLogger(__name__)

FILE_VERSION: Final = 1
#: 2 to 35 characters: an airline's two- or three-character code, or a router's name.
_NAME = re.compile(r"[A-Z0-9_-]{2,35}")
#: Bytes of randomness in a token (256 bits); ``token_urlsafe`` gives 43 characters.
TOKEN_BYTES: Final = 32


class CarrierError(Exception):
    """Base of the carrier-credential errors; the message says what to do and never holds a token."""


class InvalidCarrierName(CarrierError):
    """The name is not 2 to 35 characters of A-Z, 0-9, ``_`` and ``-``."""


class UnknownCarrier(CarrierError):
    """No carrier of that name is in the credentials file."""


class CarrierExists(CarrierError):
    """An active carrier of that name is already in the credentials file."""


class CarrierFileError(CarrierError):
    """The credentials file cannot be read, parsed or written."""


@dataclass(frozen=True, slots=True)
class CarrierInfo:
    """What may be shown about a carrier: never its token or the token's hash."""

    name: str
    created_at: datetime
    disabled: bool
    disabled_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled,
            "disabled_at": None if self.disabled_at is None else self.disabled_at.isoformat(),
        }


def normalise_name(name: str) -> str:
    """The carrier's name upper-cased; raises :class:`InvalidCarrierName` when it is not a valid name."""
    upper = name.strip().upper()
    if not _NAME.fullmatch(upper):
        raise InvalidCarrierName(
            f"a carrier name is 2 to 35 characters of A-Z, 0-9, '_' and '-' (an airline code such as LH, "
            f"or a router's name), got {name!r}"
        )
    return upper


def _token_hash(token: str) -> str:
    # A fast, unsalted hash is enough here: a token is 256 random bits from `secrets`, not a password a
    # person chose. Nobody can guess it or look it up in a table, so there is nothing for a slow, salted
    # password hash (bcrypt, scrypt, Argon2) to slow down; SHA-256 only keeps a stolen file from being a
    # list of working tokens.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_carrier(path: Path, name: str, *, clock: Clock | None = None) -> str:
    """Add carrier ``name`` (or give a disabled one a new token and enable it); returns the new token.

    The token is returned once and cannot be recovered: only its SHA-256 is kept.
    """
    carrier = normalise_name(name)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    at = (clock or SystemClock()).now()
    with _locked(path):
        carriers = _read(path, missing_ok=True)
        known = carriers.get(carrier)
        if known is not None and not known.get("disabled", False):
            raise CarrierExists(
                f"carrier {carrier} already exists and is active; to give it a new token, disable it "
                f"(`openpiu carrier disable {carrier}`) and add it again"
            )
        carriers[carrier] = {
            "token_sha256": _token_hash(token),
            "created_at": at.isoformat(),
            "disabled": False,
            "disabled_at": None,
        }
        _write(path, carriers)
    _log.info("carrier %s %s", carrier, "re-enabled with a new token" if known else "added")
    return token


def disable_carrier(path: Path, name: str, *, clock: Clock | None = None) -> None:
    """Refuse every push of carrier ``name`` from now on; disabling a disabled carrier does nothing."""
    carrier = normalise_name(name)
    at = (clock or SystemClock()).now()
    with _locked(path):
        carriers = _read(path, missing_ok=True)
        entry = carriers.get(carrier)
        if entry is None:
            raise UnknownCarrier(f"no carrier {carrier} in {path}; `openpiu carrier list` shows them")
        if entry.get("disabled", False):
            return
        carriers[carrier] = {**entry, "disabled": True, "disabled_at": at.isoformat()}
        _write(path, carriers)
    _log.info("carrier %s disabled", carrier)


def list_carriers(path: Path) -> list[CarrierInfo]:
    """Every carrier in the file, by name (none when the file does not exist yet)."""
    carriers = _read(path, missing_ok=True)
    return [_info(path, name, entry) for name, entry in sorted(carriers.items())]


class CarrierRegistry:
    """Who may push: checks a carrier's token, re-reading the file when it changed. Thread-safe.

    A missing file means no carrier may push. A file that cannot be read or parsed raises
    :class:`CarrierFileError` on every check until it is fixed: nobody is let in on a stale or broken file.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._hashes: dict[str, str] = {}  # active carriers only
        self._missing_logged = False

    @property
    def path(self) -> Path:
        return self._path

    def authenticate(self, name: str, token: str) -> bool:
        """Whether ``token`` is the current token of the active carrier ``name`` (case-insensitive)."""
        hashes = self._current()
        try:
            carrier = normalise_name(name)
        except InvalidCarrierName:
            carrier = ""
        expected = hashes.get(carrier)
        # Compare even for an unknown name, so the answer takes as long whether or not the name exists.
        matches = hmac.compare_digest(_token_hash(token), expected or _token_hash(""))
        return expected is not None and matches

    def _current(self) -> dict[str, str]:
        with self._lock:
            try:
                st = os.stat(self._path)
            except FileNotFoundError:
                if not self._missing_logged:
                    _log.warning(
                        "no carrier credentials file at %s: every push is refused until a carrier is "
                        "added with `openpiu carrier add NAME`",
                        self._path,
                    )
                    self._missing_logged = True
                self._signature = None
                self._hashes = {}
                return self._hashes
            except OSError as error:
                raise CarrierFileError(
                    f"cannot read the carrier credentials file {self._path}: {error}"
                ) from error
            # os.replace gives the file a new inode, so a change is seen even within the mtime's resolution.
            signature = (st.st_mtime_ns, st.st_ino, st.st_size)
            if signature != self._signature:
                carriers = _read(self._path, missing_ok=True)
                self._hashes = {
                    name: str(entry["token_sha256"])
                    for name, entry in carriers.items()
                    if not entry.get("disabled", False)
                }
                self._signature = signature
                self._missing_logged = False
                _log.info("carrier credentials loaded from %s: %d active", self._path, len(self._hashes))
            return self._hashes


# --- the file -----------------------------------------------------------------------------------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-write of the file (on ``<file>.lock`` beside it)."""
    _make_folder(path.parent)
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise CarrierFileError(f"cannot lock the carrier credentials file {path}: {error}") from error
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _make_folder(folder: Path) -> None:
    if folder.exists():
        return
    try:
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    except OSError as error:
        raise CarrierFileError(
            f"cannot create the folder {folder} for carrier credentials: {error}"
        ) from error


def _read(path: Path, *, missing_ok: bool) -> dict[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise CarrierFileError(f"no carrier credentials file at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CarrierFileError(f"cannot read the carrier credentials file {path}: {error}") from error
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        _log.warning("carrier credentials file %s is accessible to group or others; use mode 0600", path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CarrierFileError(
            f"the carrier credentials file {path} is not valid JSON (line {error.lineno}): "
            "restore it from a backup or move it away and add the carriers again"
        ) from None
    if (
        not isinstance(document, dict)
        or document.get("version") != FILE_VERSION
        or not isinstance(document.get("carriers"), dict)
    ):
        raise CarrierFileError(
            f"the carrier credentials file {path} is not a version {FILE_VERSION} carriers file "
            '({"version": 1, "carriers": {...}})'
        )
    carriers: dict[str, dict[str, Any]] = document["carriers"]
    for name, entry in carriers.items():
        if (
            not isinstance(entry, dict)
            or not _NAME.fullmatch(name)
            or not isinstance(entry.get("token_sha256"), str)
            or not isinstance(entry.get("created_at"), str)
        ):
            raise CarrierFileError(f"the carrier credentials file {path} has a broken entry for {name!r}")
    return carriers


def _write(path: Path, carriers: Mapping[str, Mapping[str, Any]]) -> None:
    document = {"version": FILE_VERSION, "carriers": dict(sorted(carriers.items()))}
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # O_CREAT's mode is filtered by the umask
            json.dump(document, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise CarrierFileError(f"cannot write the carrier credentials file {path}: {error}") from error
    finally:
        temporary.unlink(missing_ok=True)


def _info(path: Path, name: str, entry: Mapping[str, Any]) -> CarrierInfo:
    try:
        disabled_at = entry.get("disabled_at")
        return CarrierInfo(
            name=name,
            created_at=datetime.fromisoformat(entry["created_at"]),
            disabled=bool(entry.get("disabled", False)),
            disabled_at=datetime.fromisoformat(disabled_at) if disabled_at else None,
        )
    except (TypeError, ValueError) as error:
        raise CarrierFileError(
            f"the carrier credentials file {path} has a broken entry for {name!r}"
        ) from error
