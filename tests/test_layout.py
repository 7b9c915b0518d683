"""The package has the shape of its flow: no import runs back up it, and the CLI starts light.

plan → store → rules → notices (→ channels, a seam below them) ; reports, service, web, cli on
top.  A lower stage never imports a higher one, not even inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "workplan"

# Each stage and the stages it may import (besides itself and workplan.errors).
ALLOWED: dict[str, set[str]] = {
    "plan": set(),
    "store": {"plan"},
    "rules": {"plan", "store"},
    "channels": {"plan", "store"},
    "notices": {"plan", "store", "rules", "channels"},
    "reports": {"plan", "store", "rules", "channels", "notices"},
    "service": {"plan", "store", "rules", "channels", "notices", "reports"},
    "web": {"plan", "store", "rules", "channels", "notices", "reports"},
    "cli": {"plan", "store", "rules", "channels", "notices", "reports", "service", "web"},
}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "workplan" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from workplan import store` names a subpackage
            if node.module == "workplan":
                found += [(node.lineno, f"workplan.{alias.name}") for alias in node.names]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_stage() -> None:
    loose = [
        p.relative_to(PACKAGE).as_posix()
        for p in _modules()
        if p.parent == PACKAGE
        and p.stem not in ("__init__", "__main__", "errors")
        and p.stem not in ALLOWED
    ]
    assert loose == [], "every module lives in the folder of its stage"


def test_no_import_runs_back_up_the_flow() -> None:
    upward = []
    for path in _modules():
        relative = path.relative_to(PACKAGE)
        stage = relative.parts[0].removesuffix(".py") if relative.parts else ""
        if stage not in ALLOWED:
            continue  # workplan/__init__, __main__, errors: the base every stage may use
        for line, module in _imports(path):
            target = _stage(module)
            if target is None or target in ("errors", stage, "__version__"):
                continue
            if target not in ALLOWED[stage]:
                upward.append(f"workplan/{relative.as_posix()}:{line}: {stage} imports {module}")
    assert upward == []


@pytest.mark.parametrize(
    "heavy", ["sqlalchemy", "pydantic", "jinja2", "rich", "openpyxl", "holidays", "yaml"]
)
def test_help_imports_nothing_heavy(heavy: str) -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from workplan.cli import cli\n"
        "CliRunner().invoke(cli, ['--help'])\n"
        "CliRunner().invoke(cli, ['status', '--help'])\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert heavy not in loaded, f"`workplan --help` imports {heavy}: import it inside the command"


def test_status_loads_no_plan_models() -> None:
    """Reading the database needs neither pydantic (the plan file's models) nor Jinja2."""
    probe = (
        "import sys\n"
        "import workplan.cli.tables, workplan.rules.status, workplan.store.facts\n"
        "import workplan.store.refs, workplan.notices.record, workplan.store.snapshot\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "pydantic" not in loaded
    assert "jinja2" not in loaded


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Each workplan module and the workplan modules it imports (inside functions too)."""
    modules = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    inner = f"{node.module}.{alias.name}"
                    found.add(inner if inner in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


UNTIED = ("channels", "notices")
"""the stages whose modules import each other in one direction only (a seam is an interface
and its errors in a base module, one module per implementation); the others join as they are
untied"""


def test_no_import_cycle_in_the_untied_stages() -> None:
    tangled = [
        group for group in _cycles(_graph()) if any(_stage(module) in UNTIED for module in group)
    ]
    assert tangled == [], "modules that import each other, directly or round a loop"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_database_constants_agree() -> None:
    """The CLI's help names the database defaults without importing the store."""
    from workplan.cli import options
    from workplan.store import db

    assert (options.ENV_URL, options.DEFAULT_DB) == (db.ENV_URL, db.DEFAULT_DB)
