"""The notebooks' exercises, both sides: every reference solution passes its check, every generated
stub fails it, and the student notebooks (nbgrader's release, notebooks/make_exercises.py) are up to date and run up
to their first exercise.

(The complete notebooks themselves run under nbval: `make test` collects notebooks/*.ipynb.)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import make_exercises  # noqa: E402

NOTEBOOKS = make_exercises.complete_notebooks()
# what a solution cell may use without importing it: the first cell of every notebook imports these
PRELUDE = "import math\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\n" \
          "from regen_lite.exercises import *\n"


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def exercises(nb) -> list[tuple[str, str]]:
    """(solution source, check source) for each exercise: a "solution" cell and the "check" cell after it."""
    pairs, code = [], [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        if "solution" in tags(cell):
            follow = code[i + 1] if i + 1 < len(code) else None
            assert follow is not None and "check" in tags(follow), \
                f"the solution cell must be followed by a code cell tagged 'check':\n{cell.source[:200]}"
            pairs.append((cell.source, follow.source))
    return pairs


def run_check(solution: str, check: str):
    """Run a solution cell, then its check cell; return the check cell's last value (a CheckResult)."""
    namespace: dict = {}
    exec(PRELUDE, namespace)
    exec(compile(solution, "<solution>", "exec"), namespace)
    tree = ast.parse(check)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr), "a check cell must end with the check_* call as an expression"
    exec(compile(tree, "<check>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<check>", "eval"), namespace)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 8, [p.name for p in NOTEBOOKS]


def student(path: Path):
    return nbformat.read(ROOT / "notebooks" / "exercises" / path.name, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_solutions_pass_and_stubs_fail(path):
    nb = nbformat.read(path, as_version=4)
    pairs = exercises(nb)
    assert 2 <= len(pairs) <= 4, f"{path.name} has {len(pairs)} exercises; each notebook has 2-4"
    for (solution, check), (stub, _) in zip(pairs, exercises(student(path)), strict=True):
        result = run_check(solution, check)
        assert result.passed, f"the reference solution fails its own check:\n{result!r}"
        stubbed = run_check(stub, check)
        assert not stubbed.passed, f"the stub passes the check, so the check cannot fail:\n{stubbed!r}"
        assert "NotImplementedError" in repr(stubbed)


def test_student_notebooks_are_up_to_date():
    assert make_exercises.main(["--check"]) == 0, "run `python notebooks/make_exercises.py` and commit"


def test_student_notebooks_hide_every_solution_and_output():
    for path in NOTEBOOKS:
        for cell in student(path).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and "BEGIN SOLUTION" not in cell.source


STUB = 'raise NotImplementedError("Exercise: write this part")'   # as notebooks/nbgrader_config.py sets it


def stubbed(source: str) -> str:
    """What the student sees of a solution cell: each BEGIN..END region, markers included, becomes one stub
    line at the region's indentation; every other line stays."""
    out, inside = [], False
    for line in source.split("\n"):
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_cells_are_the_complete_ones_with_each_solution_stubbed(path):
    """nbgrader's release (make_exercises.py) keeps every cell, signature, docstring and comment."""
    complete, released = nbformat.read(path, as_version=4), student(path)
    assert [c.id for c in complete.cells] == [c.id for c in released.cells]
    for a, b in zip(complete.cells, released.cells):
        assert b.source == (stubbed(a.source) if "solution" in tags(a) else a.source), a.id
    assert stubbed('def f(x):\n    """Double x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION') \
        == 'def f(x):\n    """Double x."""\n    raise NotImplementedError("Exercise: write this part")'


def run_in_one_kernel(cells: list[str], cwd: Path) -> list[list[dict]]:
    """Execute code cells in order in one fresh IPython kernel started in `cwd`; return each cell's outputs
    as nbformat-like dicts ({"output_type": "stream" | "execute_result" | "display_data" | "error", ...}).
    An error stays in its cell's outputs and the next cell still runs (as with allow_errors)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        results = []
        for source in cells:
            outputs: list[dict] = []

            def keep(msg, outputs=outputs):
                if msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
                    outputs.append({"output_type": msg["msg_type"], **msg["content"]})

            kc.execute_interactive(source, timeout=600, output_hook=keep, allow_stdin=False)
            results.append(outputs)
        return results
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def student_runs() -> dict[str, list[list[dict]]]:
    """Every student notebook's code cells up to and including its first check cell, run in ONE kernel
    started in notebooks/exercises (where a student opens them), one notebook after the other. Each starts
    with `%reset -f`, so it sees none of the previous notebook's names; only the imported modules stay
    cached, which saves starting a kernel and importing torch, matplotlib and the kit once per notebook.
    Returns {notebook stem: the outputs of each of its code cells}."""
    sources, spans = [], {}
    for path in NOTEBOOKS:
        nb = nbformat.read(ROOT / "notebooks" / "exercises" / path.name, as_version=4)
        first_check = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "check" in tags(c))
        start = len(sources)
        sources += ["%reset -f"] + [c.source for c in nb.cells[: first_check + 1] if c.cell_type == "code"]
        spans[path.stem] = (start + 1, len(sources))
    outputs = run_in_one_kernel(sources, ROOT / "notebooks" / "exercises")
    return {stem: outputs[a:b] for stem, (a, b) in spans.items()}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_runs_up_to_its_first_exercise(path, student_runs):
    """Everything before the first exercise runs, and the first check then says "not yet"."""
    cells = student_runs[path.stem]
    errors = [(o["ename"], o["evalue"]) for outputs in cells for o in outputs if o["output_type"] == "error"]
    assert not errors, errors
    shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cells[-1])
    assert "not yet" in shown and "NotImplementedError" in shown, shown
