r"""The one place the benchmark scripts write their results: benchmarks/results/NAME.{md,csv}.

    from report import RESULTS, markdown_table, write_results

    text = "Some words about the run.\n\n" + markdown_table(rows)
    print(text)
    write_results("NAME", text, rows)      # NAME.md (+ the Regenerate line) and NAME.csv

The scripts are run as `python benchmarks/NAME.py`, so this folder is on sys.path and `report` imports as is.
"""

from __future__ import annotations

import csv
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def markdown_table(rows: list[dict], cols: list[str] | None = None) -> str:
    """A Markdown table with one column per key (cols, or the first row's keys) and one line per row."""
    cols = list(rows[0]) if cols is None else cols
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def write_results(name: str, text: str, rows: list[dict] | None = None, cols: list[str] | None = None,
                  out_dir: Path = RESULTS, *, command: str | None = None) -> Path:
    """Write out_dir/NAME.md (text, then one "Regenerate: `command`" line) and, given rows, out_dir/NAME.csv.

    command defaults to `python benchmarks/NAME.py`; the csv's columns are cols or the first row's keys
    (a row without some column leaves it empty). Returns the path of the .md file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    regenerate = f"Regenerate: `{command or f'python benchmarks/{name}.py'}`"
    body = text.rstrip()
    if body.endswith(regenerate):   # the text already has it: keep just one
        body = body[: -len(regenerate)].rstrip()
    md = out_dir / f"{name}.md"
    md.write_text(body + "\n\n" + regenerate + "\n")
    if rows:
        with open(out_dir / f"{name}.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if cols is None else cols)
            w.writeheader()
            w.writerows(rows)
    return md
