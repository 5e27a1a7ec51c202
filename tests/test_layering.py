"""Dependencies run one way, read from the source (every `import`, relative imports and the module names a
package hands to `importlib`):

- between packages: tutor <- student_sim <- evals, with ui/, app.py and socratic_cli.py on top and bench/ beside
  them; nothing imports bench/ or the tests;
- inside tutor: models, sandbox and problems at the bottom, the pedagogy core above them, storage above the core
  and the service above storage;
- no import cycle between modules anywhere, nor between tutor's subpackages.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tutor", "student_sim", "evals", "ui", "bench")
TOP_MODULES = ("app", "socratic_cli")

# What each top-level package or module may import from the project (itself included).
ALLOWED = {
    "tutor": {"tutor"},
    "student_sim": {"tutor", "student_sim"},
    "evals": {"tutor", "student_sim", "evals"},
    # The web app's tabs import nothing from the evals; student_sim's background runs are started by the
    # Research tab.
    "ui": {"tutor", "student_sim", "ui"},
    "app": {"tutor", "student_sim", "ui"},
    "socratic_cli": {"tutor", "student_sim", "evals", "app"},
    # Benchmarks measure every layer, the web app included (the load test serves it); nothing imports them.
    "bench": {"tutor", "student_sim", "evals", "bench", "app", "ui"},
}

# Layers inside tutor, bottom first: a unit (a subpackage or a top-level module of tutor) imports only from
# its own layer or below. Every unit must be listed, so a new one has to be placed.
TUTOR_LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors"}),
    frozenset({"settings", "files"}),
    frozenset({"models", "sandbox", "problems"}),
    frozenset(
        {
            "planning",
            "soliloquy",
            "guard",
            "record",
            "assess",
            "policy",
            "acknowledge",
            "fewshot",
            "compose",
            "thinking",
            "agent",
            "turn_config",
            "practice",
            "hint_budget",
            "preempt",
        }
    ),
    frozenset({"storage"}),
    frozenset({"service", "service_config", "service_limits", "service_queue", "service_views", "cli_tutor"}),
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def top(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


@cache
def project_modules() -> dict[str, Module]:
    """Every first-party module by dotted name."""
    found: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = Module(".".join(parts), path)
    for name in TOP_MODULES:
        found[name] = Module(name, ROOT / f"{name}.py")
    return found


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """The dotted module an `from ... import` names, relative imports resolved against `module`."""
    if node.level == 0:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def imported_names(module: Module) -> Iterator[str]:
    """Every dotted name `module` imports: statements anywhere in the file (lazy ones too, since a lazy import
    is still a dependency), and for a file that imports by a computed name, every string in it that names a
    project module (the lazy export tables)."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"))
    computed = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value
            else:
                computed = True
    if computed:
        known = project_modules()
        yield from (
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known
        )


def _resolve(name: str) -> str | None:
    """The project module a dotted name lands in (`tutor.record.TutorTurn` -> `tutor.record`), or None."""
    known = project_modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _with_parents(name: str) -> list[str]:
    """A module and the packages Python imports before it (`a.b.c` -> `a`, `a.b`, `a.b.c`)."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@cache
def module_graph() -> dict[str, frozenset[str]]:
    """Module -> the project modules it imports (with the packages an import runs first)."""
    graph: dict[str, frozenset[str]] = {}
    for name, module in project_modules().items():
        own = set(_with_parents(name))
        deps: set[str] = set()
        for target in filter(None, map(_resolve, imported_names(module))):
            deps |= {m for m in _with_parents(target) if m in project_modules() and m not in own}
        graph[name] = frozenset(deps)
    return graph


def _tutor_unit(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "tutor" and len(parts) > 1 else None


def tutor_unit_graph() -> dict[str, set[str]]:
    """Tutor's subpackages and top-level modules -> those they import."""
    graph: dict[str, set[str]] = {}
    for name, deps in module_graph().items():
        unit = _tutor_unit(name)
        if unit is None:
            continue
        graph.setdefault(unit, set()).update(u for u in map(_tutor_unit, deps) if u is not None and u != unit)
    return graph


def _cycle(graph: dict[str, set[str]] | dict[str, frozenset[str]]) -> list[str]:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_downwards(package):
    offenders = [
        f"{name} imports {sorted(bad)}"
        for name, deps in module_graph().items()
        if project_modules()[name].top == package
        and (bad := {d for d in deps if project_modules()[d].top not in ALLOWED[package]})
    ]
    assert offenders == []


def test_every_tutor_unit_has_a_layer():
    unplaced = set(tutor_unit_graph()) - frozenset().union(*TUTOR_LAYERS)
    assert unplaced == set(), "place each unit of tutor in a layer of TUTOR_LAYERS"


def test_tutor_subpackages_import_only_their_layer_or_below():
    layer_of = {unit: i for i, layer in enumerate(TUTOR_LAYERS) for unit in layer}
    offenders = [
        f"tutor.{unit} imports tutor.{dep}"
        for unit, deps in tutor_unit_graph().items()
        for dep in deps
        if layer_of.get(dep, 0) > layer_of.get(unit, 0)
    ]
    assert offenders == []


def test_no_import_cycle_between_modules():
    assert _cycle(module_graph()) == []


def test_no_import_cycle_between_tutor_subpackages():
    assert _cycle(tutor_unit_graph()) == []


@pytest.mark.parametrize("leaf", ["tests", "scripts"])
def test_no_package_imports_the_tests_or_the_scripts(leaf):
    offenders = sorted(
        f"{name} imports {target}"
        for name, module in project_modules().items()
        for target in imported_names(module)
        if target == leaf or target.startswith(f"{leaf}.")
    )
    assert offenders == []


def test_dynamic_imports_are_seen():
    # The checks above rely on this: student_sim's lazy export table names its modules only as strings.
    assert "student_sim.runner" in module_graph()["student_sim"]


def test_datasets_folder_holds_no_python():
    # A datasets/__init__.py would shadow Hugging Face `datasets`.
    assert list((ROOT / "datasets").rglob("*.py")) == []
