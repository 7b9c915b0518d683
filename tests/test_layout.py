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
        and p.stem not in ("__init__", "__main__", "errors", "i18n")
        and p.stem not in ALLOWED
    ]
    assert loose == [], "every module lives in the folder of its stage"


def test_no_import_runs_back_up_the_flow() -> None:
    upward = []
    for path in _modules():
        relative = path.relative_to(PACKAGE)
        stage = relative.parts[0].removesuffix(".py") if relative.parts else ""
        if stage not in ALLOWED:
            continue  # workplan/__init__, __main__, errors, i18n: the base every stage may use
        for line, module in _imports(path):
            target = _stage(module)
            if target is None or target in ("errors", "i18n", stage, "__version__"):
                continue
            if target not in ALLOWED[stage]:
                upward.append(f"workplan/{relative.as_posix()}:{line}: {stage} imports {module}")
    assert upward == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Each workplan module and the workplan modules it imports, wherever the import is: at
    the top, inside a function, or for type checking only."""
    modules = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from workplan.store import refs` names a module
                    named = f"{node.module}.{alias.name}"
                    targets.add(named if named in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the groups of modules that import one another, in a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(out)


def test_no_module_imports_itself_in_a_circle() -> None:
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_finds_a_circle_through_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert "workplan.store.rows" in _import_graph()["workplan.store.events"]


LONGEST = 600
"""lines a module may have before it holds two ideas (split it)"""
DECLARATIVE = {"store/tables.py", "plan/model.py"}
"""long because they declare: every table, every key of the plan file"""
# being split by the delivery and web work of issue 21 (items 1 and 3); drop each when done
KNOWN_LONG: set[str] = set()


def test_no_module_grows_past_two_ideas() -> None:
    long = {
        p.relative_to(PACKAGE).as_posix(): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    assert {k: n for k, n in long.items() if k not in DECLARATIVE | KNOWN_LONG} == {}


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
        "import workplan.cli.render, workplan.rules.status, workplan.store.facts\n"
        "import workplan.store.refs, workplan.notices.record, workplan.store.snapshot\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "pydantic" not in loaded
    assert "jinja2" not in loaded


@pytest.mark.parametrize("module", ["workplan.rules.evaluate", "workplan.rules.status"])
def test_the_pure_core_loads_no_database(module: str) -> None:
    """The rules are functions of plain facts: importing them loads no SQLAlchemy (the fact
    records live apart from the queries that read them)."""
    probe = (
        f"import sys, {module}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "workplan" in loaded
    assert "sqlalchemy" not in loaded, f"importing {module} loads SQLAlchemy"


def test_status_on_sqlite_reads_with_what_it_needs(tmp_path: Path) -> None:
    """`workplan status` on a SQLite file imports neither the PostgreSQL dialect nor the
    delivery code (dispatch, the channels), and of the holidays package's 250 countries only
    China."""
    db = str(tmp_path / "w.db")
    plan = str(PACKAGE.parent / "plans" / "banan-2023.yaml")
    subprocess.run(
        [sys.executable, "-m", "workplan", "load", plan, "--db", db],
        capture_output=True,
        check=True,
    )
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from workplan.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['status', '--as-of', '2023-07-03', '--db', {db!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "workplan.rules.status" in loaded  # the probe did run the command
    assert [m for m in loaded if "postgresql" in m or "psycopg" in m] == []
    # the registry of channels is a table of names (the CLI's --channel choices); it imports
    # no channel
    names = {"workplan.channels", "workplan.channels.registry"}
    delivery = ("workplan.channels", "workplan.notices.d", "workplan.notices.lease")
    assert [m for m in loaded if m.startswith(delivery) and m not in names] == []
    assert [m for m in loaded if m.startswith("holidays.countries")] == ["holidays.countries.china"]


def test_database_constants_agree() -> None:
    """The CLI's help names the database defaults without importing the store."""
    from workplan.cli import options
    from workplan.store import db

    assert (options.ENV_URL, options.DEFAULT_DB) == (db.ENV_URL, db.DEFAULT_DB)
