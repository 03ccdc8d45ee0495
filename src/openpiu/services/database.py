"""Use case: bring the database schema up to date (`openpiu db upgrade`)."""

from __future__ import annotations

from openpiu.store import upgrade


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages to people."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def upgrade_database(url: str) -> str:
    """Apply every migration the database at `url` lacks; returns the URL as it may be shown."""
    upgrade(url)
    return redact_url(url)
