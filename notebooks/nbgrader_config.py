"""The kit's nbgrader settings: copy this file into a course directory (see notebooks/TEACHING.md).

notebooks/make_exercises.py and tests/test_nbgrader.py load it too, so the student copies in
notebooks/exercises/ are exactly what `nbgrader generate_assignment` releases with it.
"""

c = get_config()  # noqa: F821 (traitlets provides get_config when it loads this file)

# A solution region becomes the kit's one stub line, at the region's indentation.
c.ClearSolutions.code_stub = {"python": 'raise NotImplementedError("Exercise: write this part")'}
c.ClearSolutions.begin_solution_delimeter = "### BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "### END SOLUTION"

# nbgrader gives a cell 30 s by default; the slowest cell of a notebook takes about 50 s on 2 cores.
c.Execute.timeout = 600


def cell_time_limit(cell) -> int:
    """Seconds a cell may run under nbgrader. nbconvert now and then stalls on a cell that shows an
    ipywidgets widget (jupyter/nbconvert#2029, jupyter/nbclient#312) until the cell's limit: seen in
    notebooks 1 and 12 under `make test`. Widget cells draw one view and are never graded, so they get
    120 s: a stall then costs two minutes, the cell records a CellTimeoutError, and grading goes on."""
    return 120 if "interact(" in cell.source else 600


c.Execute.timeout_func = cell_time_limit

# The release keeps no trace of the run that made the complete notebook's outputs.
c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution"}
