"""The SQL side of :class:`~openpiu.store.protocols.Accounts`: users, sessions, failed sign-ins.

A mixin of :class:`~openpiu.store.sql.SqlStore` (it uses the store's connections and clock), kept in a
module of its own. Sessions are known only by the SHA-256 of their token; passwords only by their argon2id
hash, computed by the caller. Failure counts are updated under a row lock (PostgreSQL) or SQLite's single
writer, so two failed sign-ins at the same moment are both counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from openpiu.model.access import Role
from openpiu.store import schema as t
from openpiu.store.protocols import (
    AlreadyExists,
    LoginThrottle,
    NotFound,
    StoredSession,
    StoredUser,
)
from openpiu.store.sql_base import SqlBase

__all__ = ["SqlAccounts"]


class SqlAccounts(SqlBase):
    """Accounts on the store's engine; mixed into :class:`~openpiu.store.sql.SqlStore`."""

    # --- users -----------------------------------------------------------------------------------

    def add_user(self, username: str, role: Role, password_hash: str) -> StoredUser:
        now = self._now()
        try:
            with self._write() as connection:
                user_id = connection.execute(
                    sa.insert(t.users)
                    .values(
                        username=username,
                        role=Role(role).value,
                        password_hash=password_hash,
                        disabled=False,
                        created_at=now,
                        password_changed_at=now,
                    )
                    .returning(t.users.c.id)
                ).scalar_one()
                return self._user(connection, user_id)
        except IntegrityError:
            raise AlreadyExists("a user with this name exists already") from None

    def user(self, user_id: int) -> StoredUser | None:
        with self._read() as connection:
            row = connection.execute(sa.select(t.users).where(t.users.c.id == user_id)).one_or_none()
        return None if row is None else _stored_user(row)

    def user_named(self, username: str) -> StoredUser | None:
        with self._read() as connection:
            row = connection.execute(sa.select(t.users).where(t.users.c.username == username)).one_or_none()
        return None if row is None else _stored_user(row)

    def users(self) -> list[StoredUser]:
        with self._read() as connection:
            return [
                _stored_user(r) for r in connection.execute(sa.select(t.users).order_by(t.users.c.username))
            ]

    def set_role(self, user_id: int, role: Role) -> StoredUser:
        with self._write() as connection:
            self._update_user(connection, user_id, role=Role(role).value)
            return self._user(connection, user_id)

    def disable_user(self, user_id: int) -> StoredUser:
        with self._write() as connection:
            user = self._user(connection, user_id)
            if not user.disabled:
                self._update_user(connection, user_id, disabled=True, disabled_at=self._now())
            connection.execute(sa.delete(t.user_sessions).where(t.user_sessions.c.user_id == user_id))
            return self._user(connection, user_id)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._write() as connection:
            self._update_user(
                connection, user_id, password_hash=password_hash, password_changed_at=self._now()
            )

    def mark_login(self, user_id: int) -> None:
        with self._write() as connection:
            self._update_user(connection, user_id, last_login_at=self._now())

    def _update_user(self, connection: Connection, user_id: int, **values: Any) -> None:
        done = connection.execute(sa.update(t.users).where(t.users.c.id == user_id).values(**values))
        if done.rowcount != 1:
            raise NotFound(f"no user {user_id}")

    def _user(self, connection: Connection, user_id: int) -> StoredUser:
        row = connection.execute(sa.select(t.users).where(t.users.c.id == user_id)).one_or_none()
        if row is None:
            raise NotFound(f"no user {user_id}")
        return _stored_user(row)

    # --- failed sign-ins -------------------------------------------------------------------------

    def record_login_failure(
        self, key: str, *, limit: int, window: timedelta, lockout: timedelta
    ) -> LoginThrottle:
        now = self._now()
        x = t.login_throttles
        with self._write() as connection:
            # Make sure the row exists, then lock it: concurrent failures are counted one after another.
            connection.execute(
                _insert(connection, x)
                .values(key=key, failures=0, window_started_at=now, locked_until=None)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = connection.execute(sa.select(x).where(x.c.key == key).with_for_update()).one()
            failures, started, locked = row.failures, row.window_started_at, row.locked_until
            if started <= now - window:
                failures, started = 0, now  # the old window is over: count afresh
            failures += 1
            if failures >= limit:
                locked, failures, started = now + lockout, 0, now
            connection.execute(
                sa.update(x)
                .where(x.c.key == key)
                .values(failures=failures, window_started_at=started, locked_until=locked)
            )
        return LoginThrottle(key=key, failures=failures, window_started_at=started, locked_until=locked)

    def login_throttle(self, key: str) -> LoginThrottle | None:
        x = t.login_throttles
        with self._read() as connection:
            row = connection.execute(sa.select(x).where(x.c.key == key)).one_or_none()
        if row is None:
            return None
        return LoginThrottle(
            key=row.key,
            failures=row.failures,
            window_started_at=row.window_started_at,
            locked_until=row.locked_until,
        )

    def clear_login_failures(self, key: str) -> None:
        with self._write() as connection:
            connection.execute(sa.delete(t.login_throttles).where(t.login_throttles.c.key == key))

    # --- sessions --------------------------------------------------------------------------------

    def create_session(
        self, token_hash: str, user_id: int, *, csrf_token: str, expires_at: datetime
    ) -> StoredSession:
        now = self._now()
        session = StoredSession(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
        try:
            with self._write() as connection:
                connection.execute(
                    sa.insert(t.user_sessions).values(
                        token_hash=token_hash,
                        user_id=user_id,
                        csrf_token=csrf_token,
                        created_at=now,
                        last_seen_at=now,
                        expires_at=expires_at,
                    )
                )
        except IntegrityError:
            # A token seen before (impossible with 256 random bits) or a user deleted meanwhile.
            raise AlreadyExists("the session cannot be created") from None
        return session

    def session(self, token_hash: str) -> StoredSession | None:
        s = t.user_sessions
        with self._read() as connection:
            row = connection.execute(sa.select(s).where(s.c.token_hash == token_hash)).one_or_none()
        if row is None:
            return None
        return StoredSession(
            token_hash=row.token_hash,
            user_id=row.user_id,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
        )

    def touch_session(self, token_hash: str) -> None:
        s = t.user_sessions
        with self._write() as connection:
            connection.execute(
                sa.update(s).where(s.c.token_hash == token_hash).values(last_seen_at=self._now())
            )

    def delete_session(self, token_hash: str) -> bool:
        s = t.user_sessions
        with self._write() as connection:
            return connection.execute(sa.delete(s).where(s.c.token_hash == token_hash)).rowcount > 0

    def delete_user_sessions(self, user_id: int) -> int:
        s = t.user_sessions
        with self._write() as connection:
            return int(connection.execute(sa.delete(s).where(s.c.user_id == user_id)).rowcount)

    def purge_sessions(self, *, idle_since: datetime) -> int:
        now = self._now()
        s, x = t.user_sessions, t.login_throttles
        with self._write() as connection:
            deleted = connection.execute(
                sa.delete(s).where(sa.or_(s.c.expires_at <= now, s.c.last_seen_at < idle_since))
            ).rowcount
            # A count whose lockout is over and which saw no failure for a day tells nothing any more.
            stale = now - timedelta(days=1)
            connection.execute(
                sa.delete(x).where(
                    x.c.window_started_at < stale, sa.or_(x.c.locked_until.is_(None), x.c.locked_until < now)
                )
            )
        return int(deleted)


def _insert(connection: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _stored_user(row: Row[Any]) -> StoredUser:
    return StoredUser(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        password_hash=row.password_hash,
        disabled=row.disabled,
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
        disabled_at=row.disabled_at,
        last_login_at=row.last_login_at,
    )
