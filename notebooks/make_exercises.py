"""Make the student notebooks in notebooks/exercises/ from the complete ones in notebooks/.

The complete notebooks are the source of truth. In each, a code cell tagged "solution" holds the
reference answer between two marker lines:

    def reparameterize(mu, logvar, generator=None):
        ### BEGIN SOLUTION
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn(mu.shape, generator=generator)
        ### END SOLUTION

The student version keeps everything else (signature, docstring, comments) and replaces the lines
between the markers, markers included, with one stub line at the same indentation:

        raise NotImplementedError("Exercise: write this part")

All outputs are cleared, so a student sees no answers. The cell after a solution, tagged "check",
calls a regen_lite.exercises.check_* helper; in the student version it reports "not yet".

    python notebooks/make_exercises.py           # write notebooks/exercises/*.ipynb
    python notebooks/make_exercises.py --check   # exit 1 if any student notebook is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
OUT = HERE / "exercises"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: write this part")'


class MarkerError(ValueError):
    """A solution cell whose markers are missing or unbalanced."""


def stub_source(source: str) -> str:
    """A solution cell's source with every BEGIN..END block replaced by the stub line."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"nested {BEGIN!r}")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif stripped == END:
            if not inside:
                raise MarkerError(f"{END!r} without {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{BEGIN!r} without {END!r}")
    return "\n".join(out)


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and "solution" in cell.get("metadata", {}).get("tags", [])


def student_version(nb):
    """A copy of the complete notebook `nb` with solutions stubbed and every output cleared."""
    nb = nbformat.from_dict(nb)      # a deep copy
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_solution(cell):
            if BEGIN not in cell.source:
                raise MarkerError(f"a cell tagged 'solution' has no {BEGIN!r} line:\n{cell.source[:200]}")
            cell.source = stub_source(cell.source)
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def complete_notebooks() -> list[Path]:
    return sorted(p for p in HERE.glob("*.ipynb") if re.match(r"\d\d_", p.name))


def render(path: Path) -> str:
    return nbformat.writes(student_version(nbformat.read(path, as_version=4))) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check that notebooks/exercises/ is up to date")
    args = p.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    stale = []
    for path in complete_notebooks():
        target = OUT / path.name
        text = render(path)
        if target.exists() and target.read_text() == text:
            continue
        if args.check:
            stale.append(target.name)
        else:
            target.write_text(text)
            print(f"wrote {target.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run `python notebooks/make_exercises.py`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
