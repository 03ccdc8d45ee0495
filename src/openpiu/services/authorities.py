"""The allow-list of competent authorities (Directive 2016/681 Art 7) results may be transmitted to.

The list is a YAML file named by ``OPENPIU_AUTHORITIES_FILE`` (format in docs/transmission.md): each
authority with its id, name, the legal basis it receives results under, the channel that reaches it
(a webhook over HTTPS, an e-mail address, or a drop folder) and the actions it may be asked for. Nothing
is transmitted to an authority that is not on it, nor asked of it what it does not accept.

The file is read node by node so that every error names the line to fix; unknown keys are errors, so a
typo cannot silently drop a setting. The file holds no credentials: a webhook URL with a user or password
in it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

__all__ = [
    "AuthoritiesError",
    "Authority",
    "AuthorityList",
    "EmailTarget",
    "FileTarget",
    "Target",
    "WebhookTarget",
    "load_authorities",
    "parse_authorities",
]

#: Hosts a plain http:// webhook may name: this machine only (a local receiver, e.g. in tests).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_TIMEOUT = 10.0

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ACTION = re.compile(r"[a-z][a-z0-9_]*")
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+|[^@\s<>,;]+@localhost")


class AuthoritiesError(ValueError):
    """The allow-list file cannot be used; the message names the file and, where it can, the line."""


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A JSON POST to an https:// URL (http:// only on this machine)."""

    url: str
    timeout: float = DEFAULT_TIMEOUT  # seconds to connect and to wait for the answer


@dataclass(frozen=True, slots=True)
class EmailTarget:
    """A plain-text e-mail through the PIU's SMTP relay."""

    address: str


@dataclass(frozen=True, slots=True)
class FileTarget:
    """A JSON file dropped into a folder the authority collects from."""

    folder: Path


Target = WebhookTarget | EmailTarget | FileTarget


@dataclass(frozen=True, slots=True)
class Authority:
    id: str
    name: str
    legal_basis: str  # the law under which it receives results, stated in every transmission
    channel: Target
    actions: tuple[str, ...]  # what it may be asked for, e.g. border_check

    @property
    def channel_kind(self) -> str:
        if isinstance(self.channel, WebhookTarget):
            return "webhook"
        return "email" if isinstance(self.channel, EmailTarget) else "file"


@dataclass(frozen=True, slots=True)
class AuthorityList:
    authorities: Mapping[str, Authority]
    source: str = ""  # the file it was read from

    def get(self, authority_id: str) -> Authority | None:
        return self.authorities.get(authority_id)

    def __iter__(self) -> Iterator[Authority]:
        return iter(self.authorities.values())

    def __len__(self) -> int:
        return len(self.authorities)


def load_authorities(path: str | Path) -> AuthorityList:
    """Read and check the allow-list file at ``path``; relative folders are taken from the file's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AuthoritiesError(
            f"cannot read the authorities file {path} (OPENPIU_AUTHORITIES_FILE): {error}"
        ) from None
    return parse_authorities(text, source=str(path), base=path.resolve().parent)


def parse_authorities(text: str, *, source: str = "<authorities>", base: Path | None = None) -> AuthorityList:
    """Check the allow-list ``text``; errors name ``source`` and the line."""
    reader = _Reader(source, base or Path.cwd())
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise AuthoritiesError(f"{source}{line}: not valid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise AuthoritiesError(f"{source}: not valid YAML: {error}") from None
    if root is None:
        raise AuthoritiesError(f"{source}: the file is empty; it needs `authorities:`, a list")
    top = reader.mapping(root, "the file", {"authorities"})
    if "authorities" not in top:
        raise reader.error(root, "missing `authorities:`, the list of competent authorities")
    items = top["authorities"]
    if not isinstance(items, yaml.SequenceNode):
        raise reader.error(items, "`authorities` must be a list of authorities")
    found: dict[str, Authority] = {}
    for node in items.value:
        authority = reader.authority(node)
        if authority.id in found:
            raise reader.error(node, f"authority {authority.id!r} is listed twice")
        found[authority.id] = authority
    return AuthorityList(found, source)


class _Reader:
    """Turns YAML nodes into checked values; every error carries the node's line."""

    def __init__(self, source: str, base: Path) -> None:
        self.source = source
        self.base = base

    def error(self, node: yaml.Node, problem: str) -> AuthoritiesError:
        return AuthoritiesError(f"{self.source}:{node.start_mark.line + 1}: {problem}")

    def mapping(self, node: yaml.Node, what: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping of keys to values")
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in allowed:
                raise self.error(
                    key, f"unknown key {name!r} in {what}; expected: {', '.join(sorted(allowed))}"
                )
            if name in out:
                raise self.error(key, f"{name!r} given twice in {what}")
            out[name] = value
        return out

    def text(self, fields: dict[str, yaml.Node], name: str, owner: yaml.Node, what: str) -> str:
        node = fields.get(name)
        if node is None:
            raise self.error(owner, f"{what} needs `{name}`")
        if (
            not isinstance(node, yaml.ScalarNode)
            or node.tag == "tag:yaml.org,2002:null"
            or not node.value.strip()
        ):
            raise self.error(node, f"`{name}` of {what} must be a non-empty text")
        return str(node.value).strip()

    def authority(self, node: yaml.Node) -> Authority:
        fields = self.mapping(node, "an authority", {"id", "name", "legal_basis", "channel", "actions"})
        authority_id = self.text(fields, "id", node, "an authority")
        if not _ID.fullmatch(authority_id):
            raise self.error(
                fields["id"], f"authority id {authority_id!r}: use letters, digits, '.', '_' or '-'"
            )
        what = f"authority {authority_id!r}"
        name = self.text(fields, "name", node, what)
        legal_basis = self.text(fields, "legal_basis", node, what)
        if "channel" not in fields:
            raise self.error(node, f"{what} needs `channel` (webhook, email or file)")
        channel = self.channel(fields["channel"], what)
        if "actions" not in fields:
            raise self.error(node, f"{what} needs `actions`, the list of what it may be asked for")
        return Authority(authority_id, name, legal_basis, channel, self.actions(fields["actions"], what))

    def actions(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, f"`actions` of {what} must be a non-empty list, e.g. [border_check]")
        actions: list[str] = []
        for item in node.value:
            value = item.value.strip() if isinstance(item, yaml.ScalarNode) else None
            if value is None or not _ACTION.fullmatch(value):
                raise self.error(item, f"action of {what} must be a word like border_check, got {value!r}")
            if value in actions:
                raise self.error(item, f"action {value!r} of {what} is listed twice")
            actions.append(value)
        return tuple(actions)

    def channel(self, node: yaml.Node, what: str) -> Target:
        kinds = {"webhook": {"url", "timeout"}, "email": {"address"}, "file": {"folder"}}
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"`channel` of {what} must be a mapping with `type`")
        kind_node = next((v for k, v in node.value if getattr(k, "value", None) == "type"), None)
        kind = kind_node.value if isinstance(kind_node, yaml.ScalarNode) else None
        if kind not in kinds:
            raise self.error(
                kind_node or node, f"`type` of the channel of {what} must be webhook, email or file"
            )
        fields = self.mapping(node, f"the {kind} channel of {what}", {"type", *kinds[kind]})
        where = f"the {kind} channel of {what}"
        if kind == "webhook":
            url = self.text(fields, "url", node, where)
            self.check_url(fields["url"], url, where)
            timeout = DEFAULT_TIMEOUT
            if "timeout" in fields:
                timeout_node = fields["timeout"]
                try:
                    timeout = float(timeout_node.value)
                except (TypeError, ValueError):
                    timeout = 0.0
                if not 0 < timeout <= 300:
                    raise self.error(
                        timeout_node, f"`timeout` of {where} must be seconds, above 0, at most 300"
                    )
            return WebhookTarget(url, timeout)
        if kind == "email":
            address = self.text(fields, "address", node, where)
            if not _ADDRESS.fullmatch(address):
                raise self.error(
                    fields["address"], f"`address` of {where} is not an e-mail address: {address!r}"
                )
            return EmailTarget(address)
        folder = Path(self.text(fields, "folder", node, where)).expanduser()
        return FileTarget(folder if folder.is_absolute() else self.base / folder)

    def check_url(self, node: yaml.Node, url: str, where: str) -> None:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise self.error(node, f"`url` of {where} is not a URL: {url!r}") from None
        if parts.username is not None or parts.password is not None:
            raise self.error(node, f"`url` of {where} holds credentials: keep them out of this file")
        if not host:
            raise self.error(node, f"`url` of {where} names no host: {url!r}")
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and host in LOCAL_HOSTS:
            return  # a receiver on this machine: nothing crosses a network
        raise self.error(node, f"`url` of {where} must be https:// (http:// only for localhost): {url!r}")
