"""The docs are tested too: every setting and every command is documented where people look."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from openpiu.cli import _parser
from openpiu.settings import ENVIRONMENT_VARIABLES

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_for_operators() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    missing = [name for name in ENVIRONMENT_VARIABLES if f"`{name}`" not in text]
    assert not missing, f"document these settings in docs/operations.md: {missing}"


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in sub.choices if f"openpiu {name}" not in readme]
    assert not missing, f"document these commands in README.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:40])
    assert "make demo" in head
    assert "make test" in head


def test_docs_links_resolve() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
