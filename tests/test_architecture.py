"""The import rule of DESIGN.md ("Packages"), enforced.

Every module under ``src/openpiu`` is parsed with ``ast`` and each ``openpiu`` import it makes (absolute,
relative, inside functions, under ``TYPE_CHECKING``, or through ``importlib.import_module("openpiu...")``)
is checked against ``ALLOWED``. This test is the authority; the import-linter contracts in pyproject.toml
say the same thing for ``lint-imports``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
ROOT = "openpiu"

_LEAVES = frozenset({"model", "formats", "protection", "screening", "analysis", "store"})

#: component -> the components it may import (besides itself and EVERYONE_MAY_IMPORT).
ALLOWED: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "formats": frozenset({"model"}),
    "protection": frozenset({"model"}),
    "screening": frozenset({"model"}),
    "analysis": frozenset({"model"}),
    "store": frozenset({"model"}),
    "pipeline": _LEAVES,
    "services": _LEAVES | {"pipeline"},
    "web": frozenset({"services", "model"}),
    "synth": frozenset({"model", "formats"}),
    "cli": frozenset({"services", "synth"}),
    "__main__": frozenset({"cli"}),
    "settings": frozenset({"model"}),
    "clock": frozenset({"model"}),
    "openpiu": frozenset(),  # the root package's __init__: keep it free of imports
}

#: Utilities anyone may import, except ``model``, which imports nothing of the project (settings imports
#: model, so model importing settings would also be a cycle).
EVERYONE_MAY_IMPORT = frozenset({"settings", "clock"})


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    line: int
    module: str
    imported: str
    component: str
    target: str

    def __str__(self) -> str:
        if self.component not in ALLOWED:
            return f"{self.path}: {self.module}: {self.component} is not in the table of DESIGN.md's packages"
        if self.target == "syntax":
            return f"{self.path}:{self.line}: {self.module} does not parse, so its imports cannot be checked"
        allowed = sorted(_allowed(self.component) - {self.component, ROOT})
        return (
            f"{self.path}:{self.line}: {self.module} ({self.component}) imports {self.imported} "
            f"({self.target}); {self.component} may import only: {', '.join(allowed) or 'nothing'}"
        )


def _allowed(component: str) -> frozenset[str]:
    base = ALLOWED[component] | {component, ROOT}
    return base if component == "model" else base | EVERYONE_MAY_IMPORT


def component_of(module: str) -> str:
    """``openpiu.formats.pnrgov`` -> ``formats``; ``openpiu`` -> ``openpiu``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports(module: str, source: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """``(line, imported module)`` for each ``openpiu`` import in ``source``.

    ``from openpiu.x import y`` yields ``openpiu.x``; ``from openpiu import x`` yields ``openpiu.x``;
    relative imports are resolved against ``module`` (a package when ``is_package``).
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > len(package) - 1:
                    raise ValueError(f"{module}:{node.lineno}: relative import beyond the top package")
                base = package[: len(package) - (node.level - 1)]
            else:
                base = []
            imported = ".".join([*base, node.module] if node.module else base)
            if imported == ROOT or not node.module:  # from openpiu import x  /  from .. import x, y
                for alias in node.names:
                    yield node.lineno, f"{imported}.{alias.name}"
            else:
                yield node.lineno, imported
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func) in {"importlib.import_module", "import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def check_source(module: str, source: str, *, path: str = "", is_package: bool = False) -> list[Violation]:
    """The import-rule violations in one module's source."""
    component = component_of(module)
    if component not in ALLOWED:
        return [Violation(path or module, 1, module, "-", component, "not in the table")]
    violations = []
    for line, imported in project_imports(module, source, is_package=is_package):
        if imported != ROOT and not imported.startswith(ROOT + "."):
            continue
        target = component_of(imported)
        if target in ALLOWED and target not in _allowed(component):
            violations.append(Violation(path or module, line, module, imported, component, target))
        elif target not in ALLOWED and imported != f"{ROOT}.{target}":
            # A name imported from the root package (``from openpiu import __version__``) is fine;
            # a submodule of an unknown component is not.
            violations.append(Violation(path or module, line, module, imported, component, target))
    return violations


def check_tree(src: Path = SRC) -> list[Violation]:
    violations: list[Violation] = []
    for path in sorted((src / ROOT).rglob("*.py")):
        module = module_name(path, src)
        shown = str(path.relative_to(src.parent))
        try:
            source = path.read_text(encoding="utf-8")
            violations += check_source(module, source, path=shown, is_package=path.name == "__init__.py")
        except SyntaxError as exc:
            violations.append(Violation(shown, exc.lineno or 0, module, "-", component_of(module), "syntax"))
    return violations


# --- the rule, on the real tree ----------------------------------------------------------------------


def test_every_module_follows_the_import_rule() -> None:
    violations = check_tree()
    assert not violations, "imports that break DESIGN.md's package rule:\n" + "\n".join(
        str(v) for v in violations
    )


def test_the_tree_is_found() -> None:
    modules = {module_name(p) for p in (SRC / ROOT).rglob("*.py")}
    assert {"openpiu", "openpiu.model", "openpiu.settings", "openpiu.clock"} <= modules


def test_every_top_level_module_is_in_the_table() -> None:
    components = {component_of(module_name(p)) for p in (SRC / ROOT).rglob("*.py")}
    assert components <= ALLOWED.keys(), f"add to ALLOWED (and DESIGN.md): {components - ALLOWED.keys()}"


# --- the checker catches what it should (self-tests) -------------------------------------------------


BAD = "  # bad"  # marks the line the checker must report


@pytest.mark.parametrize(
    ("module", "source", "is_package", "bad"),
    [
        # the rule itself
        ("openpiu.formats.pnrgov", f"import openpiu.store{BAD}", False, "openpiu.store"),
        (
            "openpiu.formats.pnrgov",
            f"from openpiu.store.sql import SqlStore{BAD}",
            False,
            "openpiu.store.sql",
        ),
        ("openpiu.formats.pnrgov", f"from openpiu import model, screening{BAD}", False, "openpiu.screening"),
        ("openpiu.model.values", f"from openpiu.settings import Settings{BAD}", False, "openpiu.settings"),
        ("openpiu.model.values", f"from openpiu import clock{BAD}", False, "openpiu.clock"),
        ("openpiu.web.api.routes", f"from openpiu.store import Store{BAD}", False, "openpiu.store"),
        ("openpiu.web.api", f"import openpiu.pipeline.inbox as inbox{BAD}", True, "openpiu.pipeline.inbox"),
        ("openpiu.cli", f"from openpiu.web import app{BAD}", False, "openpiu.web"),
        ("openpiu.cli", f"from openpiu.model import Booking{BAD}", False, "openpiu.model"),
        ("openpiu.services.ingest", f"from openpiu.web import ui{BAD}", False, "openpiu.web"),
        ("openpiu.services.ingest", f"from openpiu.synth import world{BAD}", False, "openpiu.synth"),
        ("openpiu.synth.world", f"from openpiu.store import Store{BAD}", False, "openpiu.store"),
        ("openpiu.settings", f"from openpiu.formats import edifact{BAD}", False, "openpiu.formats"),
        ("openpiu.clock", f"from openpiu.store import Store{BAD}", False, "openpiu.store"),
        ("openpiu.pipeline.worker", f"from openpiu.services import ingest{BAD}", False, "openpiu.services"),
        ("openpiu", f"from openpiu.model import Booking{BAD}", True, "openpiu.model"),
        # relative imports
        ("openpiu.formats.pnrgov", f"from ..store import Store{BAD}", False, "openpiu.store"),
        ("openpiu.formats", f"from ..store import Store{BAD}", True, "openpiu.store"),
        ("openpiu.formats.xml.reader", f"from ...store import sql{BAD}", False, "openpiu.store"),
        ("openpiu.formats.pnrgov", f"from .. import model, store{BAD}", False, "openpiu.store"),
        # imports hidden in functions, conditionals and dynamic imports
        (
            "openpiu.formats.pnrgov",
            f"import os\n\ndef f():\n    import openpiu.store{BAD}",
            False,
            "openpiu.store",
        ),
        (
            "openpiu.formats.pnrgov",
            f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from openpiu.store import Store{BAD}",
            False,
            "openpiu.store",
        ),
        (
            "openpiu.formats.pnrgov",
            f"import importlib\nimportlib.import_module('openpiu.web'){BAD}",
            False,
            "openpiu.web",
        ),
        # a submodule of a component that is not in the table
        ("openpiu.formats.pnrgov", f"import openpiu.nowhere.thing{BAD}", False, "openpiu.nowhere.thing"),
    ],
)
def test_checker_catches_a_bad_import(module: str, source: str, is_package: bool, bad: str) -> None:
    violations = check_source(module, source, path="x.py", is_package=is_package)
    assert [v.imported for v in violations] == [bad]
    line = next(n for n, text in enumerate(source.splitlines(), 1) if text.endswith(BAD))
    assert violations[0].line == line
    assert f"x.py:{line}: {module}" in str(violations[0])
    assert bad in str(violations[0])


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        ("openpiu.model.travel", "from openpiu.model.values import PersonName\n", False),
        ("openpiu.model.travel", "from .values import PersonName\n", False),
        ("openpiu.model", "from .travel import Booking\n", True),
        ("openpiu.model", "from openpiu.model.travel import Booking\n", True),
        ("openpiu.formats.pnrgov", "from openpiu.model import Booking\nfrom . import edifact\n", False),
        ("openpiu.formats.pnrgov", "from openpiu.settings import Settings\n", False),
        ("openpiu.formats.pnrgov", "from ..clock import Clock\n", False),
        ("openpiu.pipeline.worker", "from openpiu import formats, protection, screening, store\n", False),
        ("openpiu.services.ingest", "from openpiu.pipeline.inbox import Inbox\n", False),
        ("openpiu.web.api", "from openpiu.services import ingest\nfrom openpiu.model import Hit\n", True),
        ("openpiu.cli", "from openpiu.services import ingest\nfrom openpiu.synth import world\n", False),
        ("openpiu.cli", "def main():\n    from openpiu.settings import Settings\n", False),
        ("openpiu.synth.world", "from openpiu.formats.pnrgov import write\n", False),
        ("openpiu.settings", "from openpiu.model import values\n", False),
        ("openpiu.formats.pnrgov", "import os\nfrom json import loads\nimport openpiu_extra\n", False),
        ("openpiu.formats.pnrgov", "from openpiu import __version__\n", False),
    ],
)
def test_checker_accepts_an_allowed_import(module: str, source: str, is_package: bool) -> None:
    assert check_source(module, source, is_package=is_package) == []


def test_checker_rejects_a_module_outside_the_table() -> None:
    (violation,) = check_source("openpiu.helpers", "import os\n", path="src/openpiu/helpers.py")
    assert "not in the table" in str(violation)


def test_checker_walks_a_tree(tmp_path: Path) -> None:
    package = tmp_path / "openpiu"
    (package / "formats").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "formats" / "__init__.py").write_text("")
    (package / "formats" / "pnrgov.py").write_text("import os\n\n\ndef f():\n    from ..web import app\n")
    (violation,) = check_tree(tmp_path)
    assert "openpiu/formats/pnrgov.py:5: openpiu.formats.pnrgov (formats) imports" in str(violation)
    assert "openpiu.web" in str(violation)
    assert "formats may import only: clock, model, settings" in str(violation)
