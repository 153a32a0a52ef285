"""Every `timeline` command on good and bad input: output, exit code, file untouched."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.storage import store

from conftest import CURATED, make_row

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def write_csv(path: Path, rows: list[dict]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()}
            )
    return path


def test_validate_bundled_dataset():
    result = run("validate", str(CURATED))
    assert result.exit_code == 0, result.output
    assert "90 rows, all valid" in result.stdout


def test_validate_reports_each_problem_and_exits_1(tmp_path: Path):
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([make_row(latitude=200), make_row(event_id="b", event_type="drone_strike")]))
    result = run("validate", str(rows))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        "error: row 1, event_id 2024-11-25-ru-drone-attack-test, column latitude = '200': latitude must be between -90 and 90"
        in lines
    )
    assert any(
        "row 2, event_id b, column event_type = 'drone_strike': not a known event type" in line
        for line in lines
    )


def test_validate_parquet_with_wrong_types(tmp_path: Path):
    df = store.load(CURATED).astype({str(Col.COUNT): "str"})
    df.loc[0, str(Col.COUNT)] = "lots"
    path = tmp_path / "bad.parquet"
    df.to_parquet(path)
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "column count: stored as large_string, expected int64" in result.stderr
    assert "column count = 'lots': not a whole number" in result.stderr
    assert pq.read_table(path).num_rows == 90  # validate never rewrites


def test_append_csv_then_stats_and_diff(dataset: Path, tmp_path: Path):
    before = tmp_path / "before.parquet"
    before.write_bytes(dataset.read_bytes())
    csv_path = write_csv(tmp_path / "rows.csv", [make_row(event_id="csv-row", actors=["A", "B"])])
    result = run("append", str(csv_path), "--data", str(dataset))
    assert result.exit_code == 0, result.output
    assert "appended 1 event(s)" in result.stdout
    df = store.load(dataset)
    assert list(df[df[Col.EVENT_ID] == "csv-row"][Col.ACTORS].iloc[0]) == ["A", "B"]

    stats = run("stats", str(dataset))
    assert "rows: 4" in stats.stdout and "drone_attack" in stats.stdout

    d = run("diff", str(before), str(dataset))
    assert d.exit_code == 0
    assert "1 added, 0 removed, 0 changed" in d.stdout and "+ csv-row" in d.stdout
    assert run("diff", str(before), str(dataset), "--exit-code").exit_code == 1
    as_json = json.loads(run("diff", str(before), str(dataset), "--format", "json").stdout)
    assert as_json["added"][0]["event_id"] == "csv-row"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "rows.csv", "missing required column event_type"),
        ("", "empty.csv", "file is empty"),
        ("hello", "notes.txt", "not a CSV or JSON file"),
        ("[{]", "rows.json", "not valid JSON"),
    ],
)
def test_bad_append_input_exits_1_and_changes_nothing(dataset: Path, tmp_path: Path, content, name, message):
    before = dataset.read_bytes()
    path = tmp_path / name
    if content is None:
        row = make_row(event_id="x")
        del row["event_type"]
        write_csv(path, [row])
    else:
        path.write_text(content)
    result = run("append", str(path), "--data", str(dataset))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "nothing was written" in result.stderr
    assert dataset.read_bytes() == before


def test_append_duplicate_id_and_inverted_dates(dataset: Path, tmp_path: Path):
    before = dataset.read_bytes()
    path = write_csv(
        tmp_path / "rows.csv",
        [make_row(), make_row(event_id="inverted", date_start="2024-11-27", date_end="2024-11-01")],
    )
    result = run("append", str(path), "--data", str(dataset))
    assert result.exit_code == 1
    assert "row 1, event_id 2024-11-25-ru-drone-attack-test, column event_id" in result.stderr
    assert "event_id already in the dataset" in result.stderr
    assert (
        "row 2, event_id inverted, column date_end = '2024-11-01': date_end is before date_start"
        in result.stderr
    )
    assert dataset.read_bytes() == before


def test_add_resolves_last_week_honestly(dataset: Path):
    result = run(
        "add", "--title", "Officials met last week", "--type", "meeting", "--outlet", "Test Outlet",
        "--confidence", "reported", "--when", "last week", "--published", "2024-11-27",
        "--actor", "A", "--country", "KOR", "--data", str(dataset),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = store.load(dataset).set_index(str(Col.EVENT_ID)).loc["2024-11-18-officials-met-last-week"]
    assert (row[Col.DATE_START].date().isoformat(), row[Col.DATE_END].date().isoformat()) == (
        "2024-11-18",
        "2024-11-24",
    )
    assert row[Col.DATE_PRECISION] == "week"
    assert row[Col.DATE_TEXT] == "last week"


def test_add_stores_the_countries_of_the_place_and_says_so(dataset: Path):
    result = run(
        "add", "--title", "Drones over Kyiv", "--type", "drone_attack", "--outlet", "Test Outlet",
        "--confidence", "reported", "--start", "2024-11-25", "--initiator", "RUS", "--location", "Kyiv",
        "--count", "30", "--unit", "drones", "--data", str(dataset),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = store.load(dataset).set_index(str(Col.EVENT_ID)).loc["2024-11-25-drones-over-kyiv"]
    assert list(row[Col.COUNTRIES]) == ["RUS", "UKR"]
    assert "countries RUS, UKR" in result.stderr


def test_add_bad_flags(dataset: Path):
    before = dataset.read_bytes()
    bad_type = run("add", "--title", "T", "--type", "nope", "--outlet", "O", "--confidence", "confirmed",
                   "--start", "2024-11-01", "--data", str(dataset))  # fmt: skip
    assert bad_type.exit_code == 1 and "not a known event type" in bad_type.stderr
    bad_date = run("add", "--title", "T", "--type", "meeting", "--outlet", "O", "--confidence", "confirmed",
                   "--when", "Monday", "--as-of", "27/11/2024", "--data", str(dataset))  # fmt: skip
    assert bad_date.exit_code == 1 and "--as-of '27/11/2024': not a date" in bad_date.stderr
    not_a_number = run("add", "--title", "T", "--type", "meeting", "--outlet", "O", "--confidence", "confirmed",
                       "--start", "2024-11-01", "--lat", "north", "--data", str(dataset))  # fmt: skip
    assert not_a_number.exit_code == 2
    assert dataset.read_bytes() == before


def test_environment_variable_selects_dataset(dataset: Path):
    result = run("stats", env={store.ENV_VAR: str(dataset)})
    assert result.exit_code == 0 and "rows: 3" in result.stdout


def test_stats_on_missing_file(tmp_path: Path):
    result = run("stats", str(tmp_path / "none.parquet"))
    assert result.exit_code == 1 and "no such dataset file" in result.stderr


def test_synth_writes_valid_marked_rows(tmp_path: Path):
    out = tmp_path / "synth.parquet"
    result = run("synth", "--events", "2000", "--out", str(out))
    assert result.exit_code == 0
    assert run("validate", str(out)).exit_code == 0
    assert (store.load(out)[Col.DATASET] == "synthetic").all()
    assert run("synth", "--events", "0", "--out", str(out)).exit_code == 2


def test_synth_into_a_folder_prints_its_progress_only_on_a_terminal(tmp_path: Path):
    result = run("synth", "--events", "3000", "--out", str(tmp_path / "parts"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # CliRunner's stderr is not a terminal: no per-month lines
    assert result.stdout.startswith("wrote 3,000 synthetic events to")


def test_dump_is_sorted_csv(dataset: Path):
    result = run("dump", str(dataset))
    lines = result.stdout.splitlines()
    assert lines[0].startswith("event_id,date_start")
    assert [line.split(",")[0] for line in lines[1:]] == sorted(line.split(",")[0] for line in lines[1:])


def test_to_parts_copies_a_file_into_a_folder_that_appends_new_rows_only(tmp_path: Path):
    data = tmp_path / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    folder = tmp_path / "events"
    result = run("to-parts", str(data), str(folder))
    assert result.exit_code == 0, result.output
    rows = len(store.load(CURATED))
    assert f"wrote {rows:,} events" in result.output
    assert data.read_bytes() == CURATED.read_bytes()  # the file is left as it is
    copied = store.load(CURATED).sort_values(Col.EVENT_ID).reset_index(drop=True)
    from timeline.storage import datasets, parts

    in_parts = datasets.load(folder).sort_values(Col.EVENT_ID).reset_index(drop=True)
    assert in_parts[copied.columns].equals(copied)
    before = set(parts.files(folder))
    added = run("add", "--title", "A call", "--type", "call", "--outlet", "Test", "--confidence",
                "reported", "--start", "2024-11-20", "--actor", "A", "--country", "UKR",
                "--data", str(folder))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert before < set(parts.files(folder))  # a new part, and every old one kept as it was
    assert len(datasets.load(folder)) == rows + 1
    again = run("to-parts", str(data), str(folder))
    assert again.exit_code == 1 and "not empty" in again.output  # never over an existing folder
    missing = run("to-parts", str(tmp_path / "none.parquet"), str(tmp_path / "x"))
    assert missing.exit_code == 1 and "not a dataset file" in missing.output


def test_console_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "timeline.cli.main", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "validate" in result.stdout


HEAVY = (
    "pandas",
    "pyarrow",
    "pandera",
    "ibis",
    "duckdb",
    "plotly",
    "kaleido",
    "streamlit",
    "openpyxl",
    "pptx",
    "pyspark",
    "pydantic",
    "click",
)
"""What `timeline --help` must not wait for: each of these takes from a tenth of a second to
a second to import (docs/performance.md, "Command start-up"); pydantic, which typer converts
flag values with, about 0.07 s (cli/flags.py converts them); click, which typer vendors, 0.01 s."""
COMMAND_ONLY = ("pandera", "ibis", "duckdb", "plotly", "kaleido", "streamlit", "openpyxl", "pptx", "pyspark",
                "pydantic", "click")  # fmt: skip
"""What `timeline add`, `import` and `validate` do not need: pandera (the rules are checked by
domain/vectorised.py; pandera is only their reference in the tests), the engine, the charts,
the exports, PySpark, and pydantic and click (typer's flag conversion, done by cli/flags.py)."""


def _loaded_after(script: str) -> set[str]:
    """The HEAVY libraries a fresh Python process has imported after running `script`."""
    code = f"import sys\n{script}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split("\n")[-2].split())


def test_starting_the_command_imports_no_heavy_library():
    assert _loaded_after("import timeline.cli.main") == set()
    assert (
        _loaded_after(
            "from timeline.cli.main import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit as exit:\n    assert exit.code == 0"
        )
        == set()
    )


def test_help_is_printed_without_the_rich_renderer():
    """typer's Rich help renderer imports Rich's markdown, syntax and traceback modules (about
    0.1 s of `timeline --help`); plain click help lists every command all the same."""
    code = (
        "import sys\nfrom timeline.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        "print([m for m in ('typer.rich_utils', 'rich.markdown') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    for command in ("validate", "add", "append", "import", "export", "to-parts"):
        assert f"  {command} " in result.stdout, command


@pytest.mark.slow  # a fresh interpreter per command
def test_add_import_and_validate_import_neither_pandera_nor_the_engine_nor_the_charts(tmp_path: Path):
    data = tmp_path / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    acled = Path(__file__).parent / "fixtures" / "import" / "acled_messy.csv"
    for args in (
        ["add", "--title", "A call", "--type", "call", "--outlet", "Test", "--confidence", "reported",
         "--start", "2024-11-20", "--actor", "A", "--country", "UKR", "--data", str(data)],
        ["import", "--format", "acled", str(acled), "--into", str(data), "--rejects", str(tmp_path / "r.csv")],
        ["validate", str(data)],
    ):  # fmt: skip
        loaded = _loaded_after(
            "from timeline.cli.main import app\n"
            f"try:\n    app({args!r})\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code"
        )
        assert "pandas" in loaded, args  # the command ran
        # an ACLED import maps its chunks with DuckDB (importers/onepass.py), nothing else heavy
        allowed = {"duckdb"} if args[0] == "import" else set()
        assert loaded.isdisjoint(set(COMMAND_ONLY) - allowed), (args, loaded & set(COMMAND_ONLY))
    assert len(store.load(data)) > len(store.load(CURATED)) + 1


def test_a_lazily_loaded_command_is_listed_with_its_own_help():
    """Every command is built when it runs (`import` and `export` also load their modules
    then); `timeline --help` lists each with the same first paragraph as its own help."""
    from typer.main import get_command

    from timeline.cli.kit import LazyCommand

    group = get_command(app)
    lazy = {name: c for name, c in group.commands.items() if isinstance(c, LazyCommand)}
    assert {"import", "export", "add", "validate", "history", "match"} <= set(lazy)
    assert set(lazy) == set(group.commands)  # typer builds none of them to start
    for name, placeholder in lazy.items():
        real = placeholder.load()
        assert real.help.split("\n\n")[0] == placeholder.help, name
        listed = run("--help").stdout
        assert " ".join(placeholder.help.split()[:4]) in " ".join(listed.split()), name
