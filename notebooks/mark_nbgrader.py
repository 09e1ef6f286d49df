"""Mark the complete notebooks in notebooks/ as nbgrader source notebooks (issue 19).

The tags say what a cell is; this script writes the nbgrader cell metadata that follows from them, so that
`nbgrader generate_assignment` can release a notebook and `nbgrader autograde` can grade it:

    code cell tagged "solution"     answer: solution, not graded, editable  grade_id NAME
    code cell tagged "check"        autograded test worth POINTS, locked    grade_id check_NAME
    markdown cell                   read-only                               grade_id the cell's id
    the first code cell (set-up)    read-only                               grade_id the cell's id
    any other code cell             ordinary: a student may change it       no nbgrader metadata

NAME is the exercise's, read from the check cell's last line: `check_phone_frames(phone_frames)` gives
phone_frames. The check passes or fails as a whole: under nbgrader a failed `check_*` raises (see
regen_lite/exercises/checking.py), so its cell scores 0 or POINTS. Only the metadata of a cell changes;
sources and outputs stay as they are, so the stored outputs still match under nbval.

    python notebooks/mark_nbgrader.py           # write the metadata (idempotent)
    python notebooks/mark_nbgrader.py --check   # exit 1 if a notebook's metadata is out of date
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
POINTS = 1              # each exercise's check cell
SCHEMA_VERSION = 3      # nbgrader's cell metadata schema (nbgrader 0.9)


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def exercise_name(check_source: str) -> str:
    """The exercise a check cell checks: its last line calls check_NAME(...)."""
    last = ast.parse(check_source).body[-1]
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name) and last.value.func.id.startswith("check_")):
        raise ValueError(f"a check cell must end with a check_*(...) call:\n{check_source[:200]}")
    return last.value.func.id.removeprefix("check_")


def _meta(grade_id: str, *, grade=False, solution=False, locked=False) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution}
    if grade:
        meta["points"] = POINTS
    return meta


def cell_metadata(nb) -> list[dict | None]:
    """The nbgrader metadata of each cell of the complete notebook `nb` (None: an ordinary cell)."""
    out: list[dict | None] = []
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    for i, cell in enumerate(nb.cells):
        if "solution" in tags(cell):
            check = next((c for c in nb.cells[i + 1:] if c.cell_type == "code"), None)
            if check is None or "check" not in tags(check):
                raise ValueError(f"a solution cell must be followed by a check cell:\n{cell.source[:200]}")
            out.append(_meta(exercise_name(check.source), solution=True))
        elif "check" in tags(cell):
            out.append(_meta("check_" + exercise_name(cell.source), grade=True, locked=True))
        elif cell.cell_type == "markdown" or i == first_code:
            out.append(_meta(cell.id, locked=True))
        else:
            out.append(None)
    ids = [m["grade_id"] for m in out if m]
    if len(ids) != len(set(ids)):
        raise ValueError(f"grade ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    return out


def mark(nb):
    """A copy of `nb` with each cell's nbgrader metadata set (and removed from ordinary cells)."""
    nb = nbformat.from_dict(nb)      # a deep copy
    for cell, meta in zip(nb.cells, cell_metadata(nb)):
        if meta is None:
            cell.metadata.pop("nbgrader", None)
        else:
            cell.metadata["nbgrader"] = meta
    return nb


def complete_notebooks() -> list[Path]:
    return sorted(p for p in HERE.glob("*.ipynb") if re.match(r"\d\d_", p.name))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check that the metadata is up to date")
    args = p.parse_args(argv)
    stale = []
    for path in complete_notebooks():
        text = nbformat.writes(mark(nbformat.read(path, as_version=4))) + "\n"
        if path.read_text() == text:
            continue
        if args.check:
            stale.append(path.name)
        else:
            path.write_text(text)
            print(f"marked {path.relative_to(HERE.parent)}")
    if stale:
        print("nbgrader metadata out of date (run `python notebooks/mark_nbgrader.py`): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
