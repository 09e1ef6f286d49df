"""benchmarks/report.py, the one writer of benchmarks/results/: the .md ends with exactly one Regenerate line,
the .csv reads back as the rows, and every benchmark script writes through it (checked on the sources)."""

import csv
import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# The scripts import it as `report` (benchmarks/ is sys.path[0] when run); load it from its file here.
_spec = importlib.util.spec_from_file_location("report", BENCHMARKS / "report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

ROWS = [{"pipeline": "direct", "FD": 12.5, "accuracy": "80.0%"}, {"pipeline": "latent", "FD": 3.25, "accuracy": ""}]
REGENERATE = "Regenerate: `python benchmarks/demo.py`"


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_write_results_writes_the_md_with_one_regenerate_line_and_the_csv(tmp_path):
    md = report.write_results("demo", "Some words.\n\n| a |\n|---|\n| 1 |", ROWS, out_dir=tmp_path / "results")
    assert md == tmp_path / "results" / "demo.md"
    assert md.read_text() == f"Some words.\n\n| a |\n|---|\n| 1 |\n\n{REGENERATE}\n"
    assert _read_csv(tmp_path / "results" / "demo.csv") == [{k: str(v) for k, v in r.items()} for r in ROWS]


def test_a_text_that_already_ends_with_the_regenerate_line_keeps_just_one(tmp_path):
    for text in (f"Table.\n\n{REGENERATE}", f"Table.\n\n{REGENERATE}\n", f"Table.\n{REGENERATE}\n\n"):
        md = report.write_results("demo", text, out_dir=tmp_path).read_text()
        assert md == f"Table.\n\n{REGENERATE}\n"
        assert md.count("Regenerate") == 1
    assert not (tmp_path / "demo.csv").exists()             # no rows, no csv


def test_the_command_and_the_csv_columns_can_be_given(tmp_path):
    md = report.write_results("demo", "Text.", ROWS, cols=["FD", "pipeline", "accuracy"], out_dir=tmp_path,
                              command="python benchmarks/demo.py --threads 1")
    assert md.read_text().endswith("\n\nRegenerate: `python benchmarks/demo.py --threads 1`\n")
    with open(tmp_path / "demo.csv", newline="") as f:
        assert next(csv.reader(f)) == ["FD", "pipeline", "accuracy"]
    # a row without a column leaves it empty
    report.write_results("demo", "Text.", [{"a": 1}, {"b": 2}], cols=["a", "b"], out_dir=tmp_path)
    assert _read_csv(tmp_path / "demo.csv") == [{"a": "1", "b": ""}, {"a": "", "b": "2"}]


def test_markdown_table():
    assert report.markdown_table(ROWS) == (
        "| pipeline | FD | accuracy |\n|---|---|---|\n| direct | 12.5 | 80.0% |\n| latent | 3.25 |  |")
    assert report.markdown_table(ROWS, ["FD"]) == "| FD |\n|---|\n| 12.5 |\n| 3.25 |"


def test_every_benchmark_script_writes_through_report():
    scripts = sorted(p for p in BENCHMARKS.glob("*.py") if p.name != "report.py")
    assert len(scripts) >= 8
    for path in scripts:
        src = path.read_text()
        assert "from report import" in src and "write_results(" in src, f"{path.name}: use report.write_results"
        for own in (".write_text(", "csv.DictWriter", "Regenerate"):
            assert own not in src, f"{path.name} has its own {own!r}: leave writing results to report.py"
