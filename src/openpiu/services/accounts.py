"""Use cases of accounts: users, signing in and out, sessions, and the audit of reads of personal data.

What the web application and ``openpiu user`` call. The rules:

- **Passwords** are hashed with argon2id (argon2-cffi); a hash made with older parameters is replaced at the
  next successful sign-in. A password has at least 12 characters and is not the user name; there is no
  default password anywhere: the first administrator is made with ``openpiu user add``.
- **Signing in** takes about as long whether the user exists or not: an unknown name is checked against a
  dummy hash. A disabled user, a wrong password and an unknown name get the same answer.
- **Throttling:** ``OPENPIU_LOGIN_MAX_FAILURES`` failures for one name within ``OPENPIU_LOGIN_WINDOW`` lock
  the name for that long (names that do not exist too, so the lock tells nothing about who exists);
  ``OPENPIU_LOGIN_MAX_FAILURES_PER_ADDRESS`` failures from one client address lock the address. The
  counts are kept under a SHA-256 of the name or address, so a password typed into the name field is not
  kept in clear.
- **Sessions:** a new random token (32 bytes from :mod:`secrets`) at every sign-in; only its SHA-256 is
  stored; a session presented at sign-in is ended (session fixation is impossible). A session ends after
  ``OPENPIU_SESSION_IDLE_TIMEOUT`` without a request, ``OPENPIU_SESSION_MAX_AGE`` after sign-in, at
  sign-out, and when its user is disabled or changes role. Each session has its own CSRF token.
- **Audit:** every sign-in, failed sign-in, sign-out, new user, role change and disabling is an audit event
  (never a password or token); :meth:`AccountService.record_read` records a read of personal data.

Logs name user ids and counts only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Final, Protocol

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from openpiu.clock import Clock
from openpiu.model.access import Actor, Role
from openpiu.settings import Settings
from openpiu.store import (
    Accounts,
    AlreadyExists,
    Audit,
    Reads,
    StoredUser,
    open_store,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ROLE_NAMES",
    "AccountError",
    "AccountService",
    "HashParameters",
    "InvalidUsername",
    "LoginRefused",
    "LoginThrottled",
    "Session",
    "SignedIn",
    "UnknownUser",
    "UserExists",
    "UserInfo",
    "WeakPassword",
    "normalise_username",
]

_log = logging.getLogger(__name__)

#: The roles by name, for callers that do not import the model (the CLI).
ROLE_NAMES: Final = tuple(role.value for role in Role)
MIN_PASSWORD_LENGTH: Final = 12
#: Longer passwords are refused: hashing megabytes on request would be a way to tie up the server.
MAX_PASSWORD_LENGTH: Final = 1024
TOKEN_BYTES: Final = 32
#: A session's last activity is written at most this often (every request would be a write).
_TOUCH_EVERY: Final = timedelta(seconds=60)
#: Tokens longer than this are not looked up at all.
_MAX_TOKEN_LENGTH: Final = 128
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class AccountError(Exception):
    """Base of the account errors; messages may be shown to the person at the keyboard."""


class InvalidUsername(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class UserExists(AccountError):
    pass


class UnknownUser(AccountError, LookupError):
    pass


class LoginRefused(AccountError):
    """Wrong name or password, or a disabled user: one answer for all, so it tells nothing more."""

    def __init__(self, message: str = "wrong user name or password") -> None:
        super().__init__(message)


class LoginThrottled(LoginRefused):
    """Too many failed sign-ins for this name or from this address: refused until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failed sign-ins: try again later")
        self.until = until


@dataclass(frozen=True, slots=True)
class HashParameters:
    """argon2id cost; the defaults are RFC 9106's second recommendation (64 MiB, 3 passes)."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            type=Type.ID,
        )


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as shown to administrators: no password hash."""

    id: int
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None
    locked_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "username": self.username,
            "role": self.role.value,
            "disabled": self.disabled,
            "created_at": instant(self.created_at),
            "last_login_at": instant(self.last_login_at),
            "disabled_at": instant(self.disabled_at),
            "locked_until": instant(self.locked_until),
        }


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the token goes into the cookie and is never kept on the server."""

    token: str = field(repr=False)
    actor: Actor
    csrf_token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """A valid session, found by its token."""

    actor: Actor
    csrf_token: str = field(repr=False)
    expires_at: datetime  # the earlier of the idle and the absolute end, as of now

    def csrf_matches(self, supplied: str | None) -> bool:
        """Whether ``supplied`` is this session's CSRF token (compared in constant time)."""
        return bool(supplied) and secrets.compare_digest(
            (supplied or "").encode("utf-8", "replace"), self.csrf_token.encode("utf-8")
        )


class AccountStore(Accounts, Audit, Reads, Protocol):
    """What this service needs of the store."""


def normalise_username(username: str) -> str:
    """The name as kept: trimmed and lower case; raises :class:`InvalidUsername` when not allowed."""
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidUsername(
            "a user name has 2 to 64 characters: letters a-z, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str, username: str) -> None:
    """Raise :class:`WeakPassword` when ``password`` does not meet the policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        raise WeakPassword("the password cannot be the user name")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _throttle_key(kind: str, value: str) -> str:
    return _sha256(f"{kind}:{value}")


class AccountService:
    """Accounts and sessions on one store. Thread-safe (the store is; the hasher has no state)."""

    def __init__(
        self,
        store: AccountStore,
        settings: Settings,
        clock: Clock,
        *,
        hashing: HashParameters | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._close = close
        self._hasher = (hashing or HashParameters()).hasher()
        # Unknown names are checked against this, so that they take as long as known ones.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._idle = timedelta(seconds=settings.session_idle_seconds)
        self._max_age = timedelta(seconds=settings.session_max_age_seconds)
        self._window = timedelta(seconds=settings.login_window_seconds)
        self._max_failures = settings.login_max_failures
        self._max_failures_per_address = settings.login_max_failures_per_address

    @classmethod
    def open(
        cls,
        settings: Settings,
        clock: Clock,
        *,
        url: str | None = None,
        hashing: HashParameters | None = None,
    ) -> AccountService:
        """A service on its own store at ``url`` (default: the settings' database), until :meth:`close`."""
        store = open_store(url or settings.database_url, clock=clock)
        try:
            return cls(store, settings, clock, hashing=hashing, close=store.close)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        """Close the store when this service opened it (:meth:`open`)."""
        if self._close is not None:
            self._close()

    def __enter__(self) -> AccountService:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def session_max_age(self) -> timedelta:
        return self._max_age

    # --- users -----------------------------------------------------------------------------------

    def add_user(self, username: str, role: Role | str, password: str, *, actor: str) -> UserInfo:
        """Add a user with ``role``; ``actor`` (who does it) is named in the audit log."""
        name = normalise_username(username)
        role = _role(role)
        check_password(password, name)
        try:
            user = self._store.add_user(name, role, self._hasher.hash(password))
        except AlreadyExists:
            raise UserExists(f"there is a user {name} already") from None
        self._store.record(actor=actor, action="user.added", subject=f"user {name}", details={"role": role})
        _log.info("user %d added", user.id)
        return self._info(user)

    def users(self) -> list[UserInfo]:
        return [self._info(user) for user in self._store.users()]

    def user(self, username: str) -> UserInfo:
        return self._info(self._existing(username))

    def set_role(self, username: str, role: Role | str, *, actor: str) -> UserInfo:
        """Give the user another role; their sessions end (they sign in again with the new role)."""
        user = self._existing(username)
        role = _role(role)
        updated = self._store.set_role(user.id, role)
        ended = self._store.delete_user_sessions(user.id)
        self._store.record(
            actor=actor,
            action="user.role_changed",
            subject=f"user {user.username}",
            details={"from": user.role.value, "to": role.value, "sessions_ended": ended},
        )
        return self._info(updated)

    def disable(self, username: str, *, actor: str) -> UserInfo:
        """Refuse the user from now on; their sessions end at once."""
        user = self._existing(username)
        updated = self._store.disable_user(user.id)
        self._store.record(actor=actor, action="user.disabled", subject=f"user {user.username}")
        return self._info(updated)

    def _existing(self, username: str) -> StoredUser:
        try:
            name = normalise_username(username)
        except InvalidUsername:
            raise UnknownUser(f"no user {username.strip()!r}") from None
        user = self._store.user_named(name)
        if user is None:
            raise UnknownUser(f"no user {name}")
        return user

    def _info(self, user: StoredUser) -> UserInfo:
        throttle = self._store.login_throttle(_throttle_key("user", user.username))
        now = self._clock.now()
        locked = None
        if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
            locked = throttle.locked_until
        return UserInfo(
            id=user.id,
            username=user.username,
            role=user.role,
            disabled=user.disabled,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            disabled_at=user.disabled_at,
            locked_until=locked,
        )

    # --- signing in and out ----------------------------------------------------------------------

    def login(
        self, username: str, password: str, *, client: str | None = None, replaces: str | None = None
    ) -> SignedIn:
        """A new session for the user, or :class:`LoginRefused` (:class:`LoginThrottled`).

        ``client`` is the client's address (throttled too, and named in the audit log); ``replaces`` is a
        session token the client presented: that session ends, whoever it belonged to.
        """
        now = self._clock.now()
        try:
            name: str | None = normalise_username(username)
        except InvalidUsername:
            name = None
        # A name that cannot exist is counted under one shared key: it still costs the caller attempts.
        keys = [(_throttle_key("user", name or "\x00invalid"), self._max_failures)]
        if client:
            keys.append((_throttle_key("address", client), self._max_failures_per_address))
        audit_actor = f"user:{name}" if name else "anonymous"
        details: dict[str, Any] = {"client": client}

        for key, _limit in keys:
            throttle = self._store.login_throttle(key)
            if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
                self._store.record(
                    actor=audit_actor,
                    action="user.login_failed",
                    subject=f"user {name}" if name else "user (not a valid name)",
                    reason="too many failed sign-ins: locked",
                    details=details,
                )
                raise LoginThrottled(throttle.locked_until)

        user = self._store.user_named(name) if name else None
        password_ok = self._verify(user.password_hash if user else self._dummy_hash, password)
        if user is None or user.disabled or not password_ok:
            cause = "unknown user" if user is None else "disabled user" if user.disabled else "wrong password"
            locked_until = None
            for key, limit in keys:
                counted = self._store.record_login_failure(
                    key, limit=limit, window=self._window, lockout=self._window
                )
                if counted.locked_until is not None and counted.locked_until > now:
                    locked_until = counted.locked_until
            if user is None:
                audit_actor = "anonymous"  # what was typed is not kept: it may be a password
            self._store.record(
                actor=audit_actor,
                action="user.login_failed",
                subject=f"user {user.username}" if user else "user (unknown)",
                reason=cause,
                details={**details, "locked": locked_until is not None},
            )
            _log.info("sign-in refused (%s)", cause)
            raise LoginRefused()

        self._store.clear_login_failures(keys[0][0])  # not the address: one good account must not reset it
        if self._hasher.check_needs_rehash(user.password_hash):
            self._store.set_password_hash(user.id, self._hasher.hash(password))
        if replaces:
            self._store.delete_session(_sha256(replaces[:_MAX_TOKEN_LENGTH]))
        self._store.purge_sessions(idle_since=now - self._idle)

        token = secrets.token_urlsafe(TOKEN_BYTES)
        csrf_token = secrets.token_urlsafe(TOKEN_BYTES)
        stored = self._store.create_session(
            _sha256(token), user.id, csrf_token=csrf_token, expires_at=now + self._max_age
        )
        self._store.mark_login(user.id)
        actor = Actor(user_id=user.id, username=user.username, role=user.role)
        self._store.record(
            actor=actor.audit_name,
            action="user.login",
            subject=f"user {user.username}",
            details={**details, "role": user.role.value},
        )
        _log.info("user %d signed in", user.id)
        return SignedIn(token=token, actor=actor, csrf_token=csrf_token, expires_at=stored.expires_at)

    def _verify(self, password_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def session(self, token: str | None) -> Session | None:
        """The session of ``token`` when it is valid now (its activity noted), else ``None``."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        token_hash = _sha256(token)
        with self._store.reading():  # every request asks: one connection for both reads
            stored = self._store.session(token_hash)
            user = None if stored is None else self._store.user(stored.user_id)
        if stored is None:
            return None
        now = self._clock.now()
        if now >= stored.expires_at or now >= stored.last_seen_at + self._idle:
            self._store.delete_session(token_hash)
            return None
        if user is None or user.disabled:
            self._store.delete_session(token_hash)
            return None
        if now - stored.last_seen_at >= _TOUCH_EVERY:
            self._store.touch_session(token_hash)
            last_seen = now
        else:
            last_seen = stored.last_seen_at
        return Session(
            actor=Actor(user_id=user.id, username=user.username, role=user.role),
            csrf_token=stored.csrf_token,
            expires_at=min(stored.expires_at, last_seen + self._idle),
        )

    def logout(self, token: str | None, *, client: str | None = None) -> bool:
        """End the session of ``token``; whether there was one (the sign-out is audited)."""
        session = self.session(token)
        if session is None or token is None:
            return False
        self._store.delete_session(_sha256(token))
        self._store.record(
            actor=session.actor.audit_name,
            action="user.logout",
            subject=f"user {session.actor.username}",
            details={"client": client},
        )
        return True

    # --- audit of reads ----------------------------------------------------------------------------

    def record_read(
        self,
        actor: Actor,
        subject: str,
        purpose: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Record that ``actor`` read the personal data of ``subject`` (e.g. ``"hit 12"``) and why."""
        if not purpose.strip():
            raise ValueError("a read of personal data needs a purpose")
        self._store.record(
            actor=actor.audit_name,
            action="data.read",
            subject=subject,
            reason=purpose,
            details={"role": actor.role.value, **(details or {})},
        )


def _role(role: Role | str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        raise AccountError(f"unknown role {str(role)!r}: one of {', '.join(r.value for r in Role)}") from None
