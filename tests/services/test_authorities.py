"""The allow-list of competent authorities: a valid file is read whole; a bad one is refused with the line
to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpiu.services.authorities import (
    AuthoritiesError,
    EmailTarget,
    FileTarget,
    WebhookTarget,
    load_authorities,
    parse_authorities,
)

GOOD = """\
authorities:
  - id: bpol
    name: Federal Police, border
    legal_basis: Art 6(6) Directive (EU) 2016/681
    channel: {type: webhook, url: "https://bpol.example/piu", timeout: 3}
    actions: [border_check, discreet_check]
  - id: lka-be
    name: State Criminal Police
    legal_basis: Art 6(6) Directive (EU) 2016/681
    channel: {type: email, address: piu-desk@lka.example}
    actions: [information]
  - id: customs
    name: Customs
    legal_basis: Art 6(6) Directive (EU) 2016/681
    channel: {type: file, folder: drops/customs}
    actions: [information]
"""


def test_a_valid_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "authorities.yaml"
    path.write_text(GOOD)
    listed = load_authorities(path)
    assert [a.id for a in listed] == ["bpol", "lka-be", "customs"]
    bpol, lka, customs = listed
    assert bpol.channel == WebhookTarget("https://bpol.example/piu", 3.0)
    assert bpol.actions == ("border_check", "discreet_check")
    assert lka.channel == EmailTarget("piu-desk@lka.example")
    assert customs.channel == FileTarget(tmp_path / "drops" / "customs")  # relative to the file
    assert [a.channel_kind for a in listed] == ["webhook", "email", "file"]
    assert listed.get("nobody") is None
    assert len(listed) == 3


def one(**fields: str) -> str:
    """An allow-list of one authority; each field is the YAML text of its value."""
    base = {
        "id": "bpol",
        "name": "Federal Police",
        "legal_basis": "Art 6(6)",
        "channel": "{type: webhook, url: 'https://bpol.example/piu'}",
        "actions": "[border_check]",
    }
    base.update(fields)
    lines = ["authorities:"]
    for n, (key, value) in enumerate((k, v) for k, v in base.items() if v != "-"):
        lines.append(f"  {'- ' if n == 0 else '  '}{key}: {value}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", None, "empty"),
        ("authorities: [\n", 2, "not valid YAML"),
        ("others: []\n", 1, "unknown key 'others'"),
        ("authorities: {}\n", 1, "must be a list"),
        (one(id="-"), 2, "needs `id`"),
        (one(id="'bad id!'"), 2, "use letters"),
        (one(name="''"), 3, "`name` of authority 'bpol' must be a non-empty text"),
        (one(legal_basis="-"), 2, "needs `legal_basis`"),
        (one(channel="-"), 2, "needs `channel`"),
        (one(channel="{type: fax, number: '1'}"), 5, "webhook, email or file"),
        (one(channel="{type: webhook, url: 'http://bpol.example/piu'}"), 5, "must be https://"),
        (one(channel="{type: webhook, url: 'https://user:pw@bpol.example/piu'}"), 5, "credentials"),
        (one(channel="{type: webhook, url: 'https:///piu'}"), 5, "names no host"),
        (one(channel="{type: webhook, url: 'https://bpol.example', timeout: 0}"), 5, "timeout"),
        (one(channel="{type: webhook, url: 'https://bpol.example', folder: x}"), 5, "unknown key 'folder'"),
        (one(channel="{type: email, address: 'not an address'}"), 5, "not an e-mail address"),
        (one(channel="{type: file}"), 5, "needs `folder`"),
        (one(actions="[]"), 6, "non-empty list"),
        (one(actions="[Border Check]"), 6, "must be a word"),
        (one(actions="[info, info]"), 6, "listed twice"),
        (one(actions="-"), 2, "needs `actions`"),
        (one(phone="'110'"), 7, "unknown key 'phone'"),
        (one() + one().replace("authorities:\n", ""), 7, "'bpol' is listed twice"),
    ],
)
def test_a_bad_file_names_the_line(text: str, line: int | None, problem: str) -> None:
    with pytest.raises(AuthoritiesError, match=r"authorities\.yaml") as raised:
        parse_authorities(text, source="authorities.yaml")
    message = str(raised.value)
    assert problem in message
    if line is not None:
        assert message.startswith(f"authorities.yaml:{line}:")


@pytest.mark.parametrize("url", ["http://localhost:8081/x", "http://127.0.0.1:9/x", "http://[::1]/x"])
def test_plain_http_only_on_this_machine(url: str) -> None:
    [authority] = parse_authorities(one(channel=f"{{type: webhook, url: '{url}'}}"))
    assert authority.channel == WebhookTarget(url)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(AuthoritiesError, match="OPENPIU_AUTHORITIES_FILE"):
        load_authorities(tmp_path / "missing.yaml")
