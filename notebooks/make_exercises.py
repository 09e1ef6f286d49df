"""Make the student notebooks in notebooks/exercises/ with nbgrader, from the complete ones in notebooks/.

The complete notebooks are the source of truth, and nbgrader source notebooks (mark_nbgrader.py writes
their cell metadata). In each, a code cell tagged "solution" holds the reference answer between two
marker lines:

    def reparameterize(mu, logvar, generator=None):
        ### BEGIN SOLUTION
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn(mu.shape, generator=generator)
        ### END SOLUTION

The student version is what `nbgrader generate_assignment` releases with the kit's nbgrader_config.py,
the same command a teacher runs (TEACHING.md): everything else in the cell stays (signature, docstring,
comments) and the lines between the markers, markers included, become one stub line at the same
indentation,

        raise NotImplementedError("Exercise: write this part")

every output is cleared, prose, set-up and check cells are read-only, and each graded cell carries
nbgrader's checksum. The cell after a solution, tagged "check", calls a regen_lite.exercises.check_*
helper; in the student version it reports "not yet".

    python notebooks/make_exercises.py           # mark the notebooks, write notebooks/exercises/*.ipynb
    python notebooks/make_exercises.py --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

import mark_nbgrader
from mark_nbgrader import complete_notebooks

HERE = Path(__file__).resolve().parent
OUT = HERE / "exercises"
CONFIG = HERE / "nbgrader_config.py"


def course_config(root: Path):
    """The kit's nbgrader settings (nbgrader_config.py) for a course directory at `root`."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def nbgrader_api(root: Path):
    """nbgrader's Python API for the course directory `root` (its gradebook is root/gradebook.db)."""
    from nbgrader.apps import NbGraderAPI

    # nbgrader sets up its gradebook by running the `alembic` command: use the one installed beside this Python
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return NbGraderAPI(config=course_config(root))


def generate_assignment(api, assignment: str) -> None:
    """`nbgrader generate_assignment ASSIGNMENT`: source/ASSIGNMENT/*.ipynb -> release/ASSIGNMENT/."""
    result = api.generate_assignment(assignment)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('log', '')}")


def release(paths: list[Path]) -> dict[str, str]:
    """nbgrader's student release of the notebooks at `paths`, as one assignment in a temporary course
    directory: {file name: the notebook's text}."""
    with tempfile.TemporaryDirectory(prefix="regen_lite_release_") as tmp:
        root = Path(tmp)
        source = root / "source" / "exercises"
        source.mkdir(parents=True)
        for path in paths:
            shutil.copy(path, source / path.name)
        generate_assignment(nbgrader_api(root), "exercises")
        return {path.name: nbformat.writes(nbformat.read(root / "release" / "exercises" / path.name,
                                                         as_version=4)) + "\n" for path in paths}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check that the notebooks are up to date")
    args = p.parse_args(argv)
    if mark_nbgrader.main(["--check"] if args.check else []):
        return 1
    OUT.mkdir(exist_ok=True)
    stale = []
    for name, text in release(complete_notebooks()).items():
        target = OUT / name
        if target.exists() and target.read_text() == text:
            continue
        if args.check:
            stale.append(name)
        else:
            target.write_text(text)
            print(f"wrote {target.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run `python notebooks/make_exercises.py`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
