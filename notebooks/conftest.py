"""Per-notebook wall times for `make test`.

nbval runs each notebook as one test per cell, so pytest's --durations lists cells, not notebooks.
This plugin adds up every cell's setup, call and teardown time (the first setup includes starting the
kernel, the last teardown stopping it) and prints one line per notebook at the end of the run, beside
the CPU budget the notebook states in its first cell. It only reports: timings on a shared machine are
noisy, so they are never asserted.

Under pytest-xdist (`make test` runs two workers) the workers send every report to the controller, whose
pytest_runtest_logreport adds it up here as in a one-process run, and whose terminal summary prints the table.
Each notebook still runs whole in one worker (--dist loadfile), so its time is its own cells' time, but on a
machine shared with the other worker: expect it above the time of a lone run.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

_BUDGET = re.compile(r"CPU budget:\*\*\s*about\s+(\d+(?:\.\d+)?)\s*(s|min)\b")
_seconds: dict[str, float] = defaultdict(float)


def stated_budget(path: Path) -> float | None:
    """The seconds promised by the budget line in the notebook's first cells, or None."""
    try:
        cells = json.loads(path.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    for cell in cells[:3]:
        m = _BUDGET.search("".join(cell.get("source", "")))
        if m:
            return float(m[1]) * (60 if m[2] == "min" else 1)
    return None


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    tr = terminalreporter
    workers = getattr(tr.config.option, "numprocesses", None)
    where = f", {workers} workers sharing the CPU" if workers else ""
    tr.section(f"notebook wall times (all cells, kernel start included{where})")
    tr.write_line(f"{'notebook':<48} {'measured':>9} {'budget':>8}")
    root = Path(str(tr.config.rootpath))
    for path, s in sorted(_seconds.items()):
        budget = stated_budget(root / path)
        over = "  <- over its budget" if budget is not None and s > budget else ""
        shown = f"{budget:.0f} s" if budget is not None else "?"
        tr.write_line(f"{path:<48} {s:>7.1f} s {shown:>8}{over}")
