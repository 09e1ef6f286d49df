"""The notebooks as nbgrader assignments (issue 19): every complete notebook is a valid nbgrader source
notebook, and a real course directory releases, autogrades and gives feedback on one of them.

The course test runs nbgrader's own command line, as notebooks/TEACHING.md tells a teacher to, in a course
directory under tmp_path with the kit's nbgrader_config.py. It releases notebook 1 (four exercises, about
12 s) and autogrades three submissions of it: the reference solutions (full points), the release as it is,
with the stubs (zero), and the solutions with one wrong-but-plausible answer, a DCT matrix that forgets row
0's scale (zero on exactly that exercise's check cell, full points on the other three). The scores are read
from the gradebook with nbgrader's API. Autograde runs the whole notebook once per submission.

Not notebook 12, the fastest with two exercises: nbconvert, which nbgrader runs notebooks with, now and then
stalls on its widget cell, which plays audio (jupyter/nbconvert#2029), until the cell's time limit (600 s).
Notebook 1's widget draws images only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import make_exercises  # noqa: E402
import mark_nbgrader  # noqa: E402

NOTEBOOKS = mark_nbgrader.complete_notebooks()
NOTEBOOK = ROOT / "notebooks" / "01_explicit_representations.ipynb"
ASSIGNMENT = "explicit"
# the wrong-but-plausible answer: the DCT matrix without row 0's own scale (tests/test_exercises_nb01.py)
RIGHT = "    D[0] = D[0] / math.sqrt(2.0)"
EXERCISES = ["avg_pool", "dct_matrix", "dct_lowpass", "psnr"]


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def test_the_metadata_is_up_to_date():
    assert mark_nbgrader.main(["--check"]) == 0, "run `python notebooks/mark_nbgrader.py` and commit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_is_a_valid_nbgrader_source(path):
    from nbgrader.nbgraderformat import MetadataValidator

    nb = nbformat.read(path, as_version=4)
    MetadataValidator().validate_nb(nb)          # nbgrader's own check: schema, grade ids, points
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    ids = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if "solution" in tags(cell):
            assert meta["solution"] and not meta["grade"] and not meta["locked"], cell.id
        elif "check" in tags(cell):
            assert meta["grade"] and meta["locked"] and not meta["solution"] and meta["points"] > 0, cell.id
            assert meta["grade_id"] == "check_" + mark_nbgrader.exercise_name(cell.source)
        elif cell.cell_type == "markdown" or cell is first_code:
            assert meta["locked"] and not meta["grade"] and not meta["solution"], cell.id   # read-only
        else:
            assert not meta, f"{cell.id}: an ordinary code cell stays editable"
        ids += [meta["grade_id"]] if meta else []
    assert len(ids) == len(set(ids))
    checks = [c for c in nb.cells if "check" in tags(c)]
    assert sum(nbgrader_meta(c)["points"] for c in checks) == len(checks) * mark_nbgrader.POINTS


def test_marking_is_idempotent_and_changes_only_metadata():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    once = mark_nbgrader.mark(nb)
    assert mark_nbgrader.mark(once) == once == nbformat.read(NOTEBOOK, as_version=4)
    assert [(c.source, c.get("outputs")) for c in once.cells] == [(c.source, c.get("outputs")) for c in nb.cells]


# ------------------------------------------------------------------ a real course directory


def nbgrader(root: Path, *args: str) -> str:
    """Run `nbgrader ARGS` in the course directory `root`, as a teacher would; return its log."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout + run.stderr


def submit(root: Path, student: str, nb) -> None:
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK.name)


def forget_row_zero_scale(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not line.startswith(RIGHT))


def answered(release, complete, edit=lambda source: source):
    """The release with each solution cell answered by the complete notebook's solution, passed through edit."""
    nb = nbformat.from_dict(release)
    answers = {c.id: c.source for c in complete.cells if "solution" in tags(c)}
    for cell in nb.cells:
        if cell.id in answers:
            cell.source = edit(answers[cell.id])
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course directory with notebook 1 released, three submissions autograded and feedback generated."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(make_exercises.CONFIG, root / "nbgrader_config.py")
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / "source" / ASSIGNMENT / NOTEBOOK.name)
    nbgrader(root, "generate_assignment", ASSIGNMENT)
    release = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK.name, as_version=4)
    complete = nbformat.read(NOTEBOOK, as_version=4)
    assert sum(RIGHT in c.source for c in complete.cells if "solution" in tags(c)) == 1
    submit(root, "solutions", answered(release, complete))
    submit(root, "stubs", release)
    submit(root, "plausible", answered(release, complete, forget_row_zero_scale))
    nbgrader(root, "autograde", ASSIGNMENT)
    nbgrader(root, "generate_feedback", ASSIGNMENT)
    return root


def scores(root: Path, student: str) -> tuple[float, float, dict[str, float]]:
    """(score, max score, {grade id: score}) of a student's notebook, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(NOTEBOOK.stem, ASSIGNMENT, student)
        return nb.score, nb.max_score, {g.name: g.score for g in nb.grades}


@pytest.mark.slow
def test_the_release_is_the_student_notebook(course):
    """What the teacher's `nbgrader generate_assignment` releases is notebooks/exercises/ byte for byte."""
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK.name, as_version=4)
    assert nbformat.writes(released) + "\n" == (ROOT / "notebooks" / "exercises" / NOTEBOOK.name).read_text()


def points(**scores) -> dict[str, float]:
    return {f"check_{name}": float(scores.get(name, 1.0)) for name in EXERCISES}


@pytest.mark.slow
def test_the_solutions_score_full_points(course):
    assert scores(course, "solutions") == (4.0, 4.0, points())
    graded = nbformat.read(course / "autograded" / "solutions" / ASSIGNMENT / NOTEBOOK.name, as_version=4)
    # the whole notebook ran, not only the graded cells; a widget cell may have hit nbconvert's stall (see
    # notebooks/nbgrader_config.py), which ends in a CellTimeoutError there and changes no score
    errors = [(c.id, o.ename) for c in graded.cells for o in c.get("outputs", []) if o.output_type == "error"
              and not (o.ename == "CellTimeoutError" and "interact(" in c.source)]
    assert not errors, errors


@pytest.mark.slow
def test_the_stubs_score_zero(course):
    assert scores(course, "stubs") == (0.0, 4.0, points(**{name: 0.0 for name in EXERCISES}))


@pytest.mark.slow
def test_a_plausible_mistake_loses_exactly_its_exercise(course):
    assert scores(course, "plausible") == (3.0, 4.0, points(dct_matrix=0.0))
    feedback = (course / "feedback" / "plausible" / ASSIGNMENT / f"{NOTEBOOK.stem}.html").read_text()
    assert "row 0 (the constant) needs the scale sqrt(1/n)" in feedback     # the check's hint reaches the student
