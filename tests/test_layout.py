"""The code's layout stays easy to see: no folder of ``src/kg`` holds more than 15 modules of its own, no
module is longer than 600 lines, no import cycle joins ``kg``'s modules, and ``tests/`` mirrors the packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "kg"
TESTS = Path(__file__).resolve().parent
MAX_MODULES, MAX_LINES = 15, 600


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The ``kg`` modules that ``name`` imports, at any depth of its code (lazy imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    # a package's own __init__ is imported by its modules implicitly; only explicit edges count
    return found


def test_no_folder_holds_more_than_fifteen_modules():
    crowded = {}
    for folder in sorted({p.parent for p in MODULES.values()}):
        own = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        if len(own) > MAX_MODULES:
            crowded[str(folder.relative_to(SRC.parent))] = len(own)
    assert not crowded, f"folders with more than {MAX_MODULES} modules: {crowded}"


def test_no_module_is_longer_than_six_hundred_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("package", sorted(n for n, p in MODULES.items() if p.name == "__init__.py" and n != "kg"))
def test_tests_mirror_the_packages(package):
    """Every package of ``kg`` with tests of its own has them in the folder of the same name under tests/."""
    folder = TESTS.joinpath(*package.split(".")[1:])
    assert folder.is_dir(), f"{package} has no tests/{folder.relative_to(TESTS)}/"
