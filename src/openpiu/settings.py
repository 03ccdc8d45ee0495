"""Settings, read once from ``OPENPIU_*`` environment variables and passed explicitly.

``Settings.from_env()`` is called once at the edge (the CLI, the web app factory) and the frozen result is
handed to whatever needs it; nothing here reads the environment at import time and nothing keeps global
state. Secrets are never defaults in the repository: the card-hash key comes from ``OPENPIU_CARD_HASH_KEY``
or from a key file that is generated on first use with owner-only permissions.

An empty variable counts as unset (``OPENPIU_LOG_LEVEL=`` means the default), which is what container
tooling produces for an optional value left blank.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = [
    "CARD_HASH_KEY_BYTES",
    "ENVIRONMENT_VARIABLES",
    "MIN_CARD_HASH_KEY_BYTES",
    "Settings",
    "SettingsError",
    "load_card_hash_key",
]

_log = logging.getLogger(__name__)

#: Length of a generated card-hash key (HMAC-SHA-256 key size).
CARD_HASH_KEY_BYTES: Final = 32
#: Shortest card-hash key accepted from the environment or a key file (128 bits).
MIN_CARD_HASH_KEY_BYTES: Final = 16

LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: Every variable this module reads, with what it means (the docs are tested against this).
ENVIRONMENT_VARIABLES: Final[Mapping[str, str]] = {
    "OPENPIU_DATA_DIR": "folder for the embedded database, keys and other local state (default ./data)",
    "OPENPIU_DATABASE_URL": "SQLAlchemy database URL (default sqlite:///<data dir>/openpiu.db)",
    "OPENPIU_CARD_HASH_KEY_FILE": "file holding the payment-card hash key as hex "
    "(default <data dir>/keys/card-hash.key; created with mode 0600 when missing)",
    "OPENPIU_CARD_HASH_KEY": "payment-card hash key as hex, at least 16 bytes; wins over the key file",
    "OPENPIU_LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL (default INFO)",
    "OPENPIU_WATCH_DIR": "folder the worker watches for message files (default <data dir>/incoming); "
    "files are picked up atomically and moved to its done/ or failed/ subfolder",
    "OPENPIU_AMQP_URL": "AMQP URL of the RabbitMQ broker the worker consumes from, e.g. "
    "amqp://user:password@host:5672/%2F (default: no AMQP consumer)",
    "OPENPIU_AMQP_QUEUE": "queue the worker consumes carrier pushes from (default openpiu.pushes)",
    "OPENPIU_AMQP_MAX_ATTEMPTS": "deliveries of one AMQP message that fail before it is quarantined "
    "(default 5)",
    "OPENPIU_CARRIERS_FILE": "file of carrier credentials for the HTTP push endpoint "
    "(default <data dir>/carriers.json; managed with `openpiu carrier`)",
    "OPENPIU_MAX_PUSH_BYTES": "largest push body the HTTP endpoint accepts, in bytes (default 20000000)",
    "OPENPIU_SCOPE_FILE": "the notified scope: JSON file of the intra-EU routes this PIU receives "
    "(default: every flight is in scope)",
    "OPENPIU_SPLIT_TIMEOUT": "seconds to wait for the missing parts of a split push before the series "
    "is quarantined (default 300)",
    "OPENPIU_FOLLOW_MAX_DAYS": "longest term of a follow on a traveller identity before it must be "
    "reviewed, in days (default 90)",
    "OPENPIU_WEB_WORKERS": "server processes `openpiu serve` runs, each answering requests on its own "
    "CPU (default 1; set it to the number of CPUs the server may use)",
    "OPENPIU_SESSION_IDLE_TIMEOUT": "seconds without a request after which a web session ends "
    "(default 1800: 30 minutes)",
    "OPENPIU_SESSION_MAX_AGE": "seconds after sign-in when a web session ends whatever the activity "
    "(default 43200: 12 hours)",
    "OPENPIU_LOGIN_MAX_FAILURES": "failed sign-ins for one user name within OPENPIU_LOGIN_WINDOW after "
    "which it is refused for OPENPIU_LOGIN_WINDOW (default 5)",
    "OPENPIU_LOGIN_MAX_FAILURES_PER_ADDRESS": "the same for one client address, whatever the names tried "
    "(default 20: several people may sign in through one proxy)",
    "OPENPIU_LOGIN_WINDOW": "seconds over which failed sign-ins are counted, and how long a locked name "
    "or address is refused (default 900: 15 minutes)",
    "OPENPIU_ALLOW_PLAIN_HTTP": "true to send the session cookie over plain HTTP (a demo on localhost); "
    "default false: the cookie is Secure, the web application needs HTTPS",
    "OPENPIU_AUTHORITIES_FILE": "the allow-list of competent authorities results may be transmitted to: "
    "YAML file of each authority's id, name, channel and accepted actions (default: none, nothing can be "
    "transmitted; see docs/transmission.md)",
    "OPENPIU_SMTP_HOST": "SMTP relay that delivers e-mail transmissions (default localhost)",
    "OPENPIU_SMTP_PORT": "port of the SMTP relay (default 25)",
    "OPENPIU_SMTP_FROM": "sender address of e-mail transmissions (required when an authority receives "
    "by e-mail)",
    "OPENPIU_SMTP_STARTTLS": "yes to require STARTTLS with a verified certificate before sending mail "
    "(default no: a relay on the PIU's own network)",
}

_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_MAIL_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")
_YES = frozenset({"yes", "true", "1", "on"})
_NO = frozenset({"no", "false", "0", "off"})


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable or file to fix."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The deployment's settings. Build with :meth:`from_env`; pass the instance explicitly."""

    data_dir: Path
    database_url: str
    card_hash_key_file: Path
    log_level: str = "INFO"
    #: Key from ``OPENPIU_CARD_HASH_KEY``, already decoded; ``None`` means "use the key file".
    card_hash_key: bytes | None = field(default=None, repr=False)
    watch_dir: Path | None = None  # None: <data dir>/incoming
    amqp_url: str | None = field(default=None, repr=False)  # may hold a password
    amqp_queue: str = "openpiu.pushes"
    amqp_max_attempts: int = 5
    carriers_file: Path | None = None  # None: <data dir>/carriers.json
    max_push_bytes: int = 20_000_000
    scope_file: Path | None = None  # None: every flight is in scope
    split_timeout_seconds: int = 300
    follow_max_days: int = 90
    web_workers: int = 1
    session_idle_seconds: int = 1800
    session_max_age_seconds: int = 43_200
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    allow_plain_http: bool = False
    authorities_file: Path | None = None  # None: no authority, nothing may be transmitted
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_starttls: bool = False

    @property
    def watch_folder(self) -> Path:
        return self.watch_dir if self.watch_dir is not None else self.data_dir / "incoming"

    @property
    def carriers_path(self) -> Path:
        return self.carriers_file if self.carriers_file is not None else self.data_dir / "carriers.json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (``os.environ`` when ``None``).

        Raises :class:`SettingsError` naming the offending variable.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None or not value.strip():
                return None
            return value.strip()

        data_dir = Path(get("OPENPIU_DATA_DIR") or "data").expanduser()

        database_url = get("OPENPIU_DATABASE_URL") or f"sqlite:///{data_dir.as_posix()}/openpiu.db"
        if not _URL_SCHEME.match(database_url):
            raise SettingsError(
                f"OPENPIU_DATABASE_URL must be a database URL such as sqlite:///data/openpiu.db "
                f"or postgresql+psycopg://user@host/openpiu, got {_redact_url(database_url)!r}"
            )

        key_file_value = get("OPENPIU_CARD_HASH_KEY_FILE")
        card_hash_key_file = (
            Path(key_file_value).expanduser() if key_file_value else data_dir / "keys" / "card-hash.key"
        )

        log_level = (get("OPENPIU_LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(
                f"OPENPIU_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {env['OPENPIU_LOG_LEVEL']!r}"
            )

        key_hex = get("OPENPIU_CARD_HASH_KEY")
        card_hash_key = None if key_hex is None else _decode_key(key_hex, "OPENPIU_CARD_HASH_KEY")

        def path(name: str) -> Path | None:
            value = get(name)
            return None if value is None else Path(value).expanduser()

        def positive(name: str, default: int) -> int:
            value = get(name)
            if value is None:
                return default
            try:
                number = int(value)
            except ValueError:
                number = 0
            if number < 1:
                raise SettingsError(f"{name} must be a whole number above 0, got {value!r}")
            return number

        def boolean(name: str) -> bool:
            value = get(name)
            if value is None:
                return False
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off"}:
                return False
            raise SettingsError(f"{name} must be true or false, got {value!r}")

        amqp_url = get("OPENPIU_AMQP_URL")
        if amqp_url is not None and not amqp_url.startswith(("amqp://", "amqps://")):
            raise SettingsError(
                f"OPENPIU_AMQP_URL must start with amqp:// or amqps://, got {_redact_url(amqp_url)!r}"
            )

        smtp_port = positive("OPENPIU_SMTP_PORT", 25)
        if smtp_port > 65535:
            raise SettingsError(f"OPENPIU_SMTP_PORT must be a port number (1-65535), got {smtp_port}")
        smtp_from = get("OPENPIU_SMTP_FROM")
        if smtp_from is not None and not _MAIL_ADDRESS.fullmatch(smtp_from):
            raise SettingsError(f"OPENPIU_SMTP_FROM must be an e-mail address, got {smtp_from!r}")
        starttls = (get("OPENPIU_SMTP_STARTTLS") or "no").lower()
        if starttls not in _YES | _NO:
            raise SettingsError(f"OPENPIU_SMTP_STARTTLS must be yes or no, got {starttls!r}")

        return cls(
            data_dir=data_dir,
            database_url=database_url,
            card_hash_key_file=card_hash_key_file,
            log_level=log_level,
            card_hash_key=card_hash_key,
            watch_dir=path("OPENPIU_WATCH_DIR"),
            amqp_url=amqp_url,
            amqp_queue=get("OPENPIU_AMQP_QUEUE") or "openpiu.pushes",
            amqp_max_attempts=positive("OPENPIU_AMQP_MAX_ATTEMPTS", 5),
            carriers_file=path("OPENPIU_CARRIERS_FILE"),
            max_push_bytes=positive("OPENPIU_MAX_PUSH_BYTES", 20_000_000),
            scope_file=path("OPENPIU_SCOPE_FILE"),
            split_timeout_seconds=positive("OPENPIU_SPLIT_TIMEOUT", 300),
            follow_max_days=positive("OPENPIU_FOLLOW_MAX_DAYS", 90),
            web_workers=positive("OPENPIU_WEB_WORKERS", 1),
            session_idle_seconds=positive("OPENPIU_SESSION_IDLE_TIMEOUT", 1800),
            session_max_age_seconds=positive("OPENPIU_SESSION_MAX_AGE", 43_200),
            login_max_failures=positive("OPENPIU_LOGIN_MAX_FAILURES", 5),
            login_max_failures_per_address=positive("OPENPIU_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
            login_window_seconds=positive("OPENPIU_LOGIN_WINDOW", 900),
            allow_plain_http=boolean("OPENPIU_ALLOW_PLAIN_HTTP"),
            authorities_file=path("OPENPIU_AUTHORITIES_FILE"),
            smtp_host=get("OPENPIU_SMTP_HOST") or "localhost",
            smtp_port=smtp_port,
            smtp_from=smtp_from,
            smtp_starttls=starttls in _YES,
        )


def load_card_hash_key(settings: Settings) -> bytes:
    """The key used to hash payment-card numbers.

    ``OPENPIU_CARD_HASH_KEY`` wins; otherwise the key file is read; when it does not exist a new random key
    is written to it (mode 0600, its folder created with mode 0700). Creation is atomic, so two processes
    starting together end up with the same key.
    """
    if settings.card_hash_key is not None:
        return settings.card_hash_key
    path = settings.card_hash_key_file
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    return _create_key_file(path)


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise SettingsError(f"{source} must be hexadecimal (e.g. from `openssl rand -hex 32`)") from None
    if len(key) < MIN_CARD_HASH_KEY_BYTES:
        raise SettingsError(
            f"{source} is too short: {len(key)} bytes, at least {MIN_CARD_HASH_KEY_BYTES} are required "
            f"(e.g. from `openssl rand -hex 32`)"
        )
    return key


def _read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"cannot read the card-hash key file {path} (OPENPIU_CARD_HASH_KEY_FILE): {exc}"
        ) from exc
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        _log.warning("card-hash key file %s is accessible to group or others; use mode 0600", path)
    return _decode_key(text, f"the card-hash key file {path} (OPENPIU_CARD_HASH_KEY_FILE)")


def _create_key_file(path: Path) -> bytes:
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            pass  # created concurrently
        else:
            parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    key = secrets.token_bytes(CARD_HASH_KEY_BYTES)
    temporary = parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(key.hex() + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # atomic and exclusive: never overwrites a key
        except FileExistsError:
            return _read_key_file(path)  # another process won the race; use its key
    except OSError as exc:
        raise SettingsError(
            f"cannot create the card-hash key file {path} (OPENPIU_CARD_HASH_KEY_FILE): {exc}"
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)
    _log.info("created a new card-hash key file %s", path)
    return key


def _redact_url(url: str) -> str:
    """The URL without a password, for error messages."""
    return re.sub(r":[^:/@]*@", ":***@", url)
