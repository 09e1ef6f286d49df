"""The house rules of regen_lite, read from the source (issue 12).

- The import graph of regen_lite, with top-level and function-level imports, relative and absolute, is
  acyclic.
- Imports point one way: core, checkpoints, train and nn/ reach no modality package (image, speech, text,
  music, toy), not even through another module; registry is imported only by the CLI (the app and the
  notebooks use it from outside the package); nothing in regen_lite imports app/ or notebooks/
  (`regen-lite app` runs app/main.py as a script, it does not import it).
- Importing the image package, or asking the registry about image extractors, loads no other modality.
- Every .py file in regen_lite/ and app/ is at most 400 lines: one concept per file.

The graph is built with ast, so it sees imports inside functions that a run would only meet on some paths.
An edge goes to the module an import names: `from .image import data` is an edge to regen_lite.image.data,
`from . import __version__` one to the regen_lite package itself.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "regen_lite"
MODALITIES = ("image", "speech", "text", "music", "face", "toy")
NEUTRAL = ("core", "checkpoints", "train", "nn")  # nn with all its submodules
REGISTRY_USERS = {"regen_lite.cli"}  # `regen-lite train/sample` look recipes up by name
MAX_LINES = 400


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every .py file in regen_lite/ (a package is its __init__.py)."""
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def imported_names(module: str, path: Path, mods) -> list[tuple[str, int]]:
    """Every (absolute module name, line) that the file imports, at any depth of its code.
    `from pkg import name` counts as importing pkg.name when that is a module, else as importing pkg."""
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in mods else target, node.lineno))
    return out


def build_graph() -> tuple[dict[str, dict[str, int]], dict[str, list[tuple[str, int]]]]:
    """(graph: module -> {imported regen_lite module: first line}, every import of each module with its line)."""
    mods = module_files()
    graph, raw = {}, {}
    for mod, path in mods.items():
        raw[mod] = imported_names(mod, path, mods)
        graph[mod] = {}
        for name, line in raw[mod]:
            if name in mods and name != mod:
                graph[mod].setdefault(name, line)
    return graph, raw


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    color, stack = {}, []

    def visit(u):
        color[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if color.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if not color.get(v):
                found = visit(v)
                if found:
                    return found
        stack.pop()
        color[u] = 2
        return None

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for m in sorted(graph):
        if not color.get(m):
            found = visit(m)
            if found:
                return found
    return None


def path_to(graph, start: str, goal) -> list[str] | None:
    """The shortest import chain from start to a module for which goal(module) holds, or None."""
    seen, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for u in frontier:
            for v in sorted(graph[u]):
                if v in seen:
                    continue
                seen[v] = u
                if goal(v):
                    chain = [v]
                    while seen[chain[-1]] is not None:
                        chain.append(seen[chain[-1]])
                    return chain[::-1]
                nxt.append(v)
        frontier = nxt
    return None


def _in_modality(mod: str) -> bool:
    parts = mod.split(".")
    return len(parts) > 1 and parts[1] in MODALITIES


def _show(graph, chain) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(chain, chain[1:])) + f" -> {chain[-1]}"


@pytest.fixture(scope="module")
def graph():
    return build_graph()[0]


def test_graph_sees_function_level_and_relative_imports(graph):
    # the CLI imports the registry inside a function, with a relative import: the graph must see it
    assert "regen_lite.registry" in graph["regen_lite.cli"]
    assert "regen_lite.checkpoints" in graph["regen_lite.registry"]


def test_import_graph_is_acyclic(graph):
    cycle = find_cycle(graph)
    assert cycle is None, "import circle in regen_lite: " + _show(graph, cycle)


@pytest.mark.parametrize("neutral", NEUTRAL)
def test_neutral_modules_reach_no_modality(graph, neutral):
    starts = [m for m in graph if m == f"regen_lite.{neutral}" or m.startswith(f"regen_lite.{neutral}.")]
    assert starts, f"regen_lite.{neutral} not found"
    bad = [_show(graph, chain) for m in starts if (chain := path_to(graph, m, _in_modality))]
    assert not bad, f"regen_lite.{neutral} reaches a modality package:\n" + "\n".join(bad)


def test_only_the_cli_imports_the_registry(graph):
    users = {m for m, edges in graph.items() if "regen_lite.registry" in edges}
    assert users <= REGISTRY_USERS, f"modules that import regen_lite.registry: {sorted(users - REGISTRY_USERS)}"


def test_nothing_in_regen_lite_imports_app_or_notebooks():
    _, raw = build_graph()
    bad = [f"{m} line {line}: {name}" for m, imports in raw.items() for name, line in imports
           if name.split(".")[0] in ("app", "notebooks")]
    assert not bad, "regen_lite imports the app or the notebooks:\n" + "\n".join(bad)


# one subprocess: after each step, which modules of the other modalities are loaded
_PROBE = r"""
import importlib, json, pkgutil, sys
others = {others!r}
steps = {{}}
def foreign():
    return sorted(m for m in sys.modules if m.split(".")[:2][-1] in others and m.startswith("regen_lite."))
if {registry!r}:
    from regen_lite import registry
    registry.list_extractors("image")
    registry.extractor_summary(registry.list_extractors("image")[0], "image")
    steps['registry.list_extractors("image")'] = foreign()
else:
    import regen_lite.image as pkg
    steps["regen_lite.image"] = foreign()
    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module("regen_lite.image." + info.name)
        steps["regen_lite.image." + info.name] = foreign()
print(json.dumps(steps))
"""


@pytest.mark.parametrize("registry", [False, True], ids=["import-image", "registry-image"])
def test_image_loads_no_other_modality(registry):
    others = [m for m in MODALITIES if m != "image"]
    code = _PROBE.format(others=others, registry=registry)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    steps = json.loads(run.stdout.strip().splitlines()[-1])
    assert "regen_lite.image.extractors" in steps or registry, "the probe did not import the image submodules"
    loaded = {step: mods for step, mods in steps.items() if mods}
    first = next(iter(loaded.items()), None)
    assert not loaded, f"{first[0]} loads {first[1]}"


def test_every_file_is_at_most_400_lines():
    files = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "app").rglob("*.py"))
    assert len(files) > 30
    long = {str(f.relative_to(ROOT)): n for f in files if (n := len(f.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines (one concept per file): {long}"
