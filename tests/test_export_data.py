"""CSV, Excel and Parquet exports, checked by reading them back."""

import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from timeline.domain import rowfiles
from timeline.domain.schema import Col
from timeline.domain.validation import check
from timeline.export import data as export_data, downloads as exports
from timeline.storage import diff, store

import reference
from conftest import AIR_FORCE_TALLY, CURATED, engine_on, frame, make_row, matched_night, view_of


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return store.load(CURATED)


NOVEMBER_DRONES = {"type": "drone_attack", "from_": "2024-11-01", "to": "2024-11-30"}


def expected(events: pd.DataFrame) -> pd.DataFrame:
    return events[reference.mask(events, view_of(**NOVEMBER_DRONES))]


def test_csv_states_filters_and_round_trips_through_append(curated_engine, events, tmp_path: Path):
    data = exports.data_file("csv", curated_engine, view_of(**NOVEMBER_DRONES))
    text = data.decode("utf-8")
    assert text.startswith("# filters: from=2024-11-01; to=2024-11-30; type=drone_attack\n")
    assert "# data as of: 2024-12-27\n" in text and "# rows: 3\n" in text
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    back = tmp_path / "back.parquet"
    store.append(back, rowfiles.read_rows(path), warn_duplicates=False)
    result = diff.compare(expected(events), store.load(back), ignore=("added_at",))
    assert result.empty, diff.format_text(result)


def test_parquet_round_trips_exactly_with_metadata(curated_engine, events):
    table = pq.read_table(
        io.BytesIO(exports.data_file("parquet", curated_engine, view_of(**NOVEMBER_DRONES)))
    )
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert meta["timeline.data_as_of"] == "2024-12-27"
    assert meta["timeline.rows"] == "3"
    assert meta["timeline.dashboard_query"] == "?from=2024-11-01&to=2024-11-30&type=drone_attack"
    assert table.num_rows == 3
    back, problems = check(table.to_pandas())
    assert problems == []
    assert diff.compare(expected(events), back).empty


def test_xlsx_opens_with_rows_and_an_about_sheet(curated_engine, events):
    book = load_workbook(io.BytesIO(exports.data_file("xlsx", curated_engine, view_of(**NOVEMBER_DRONES))))
    assert book.sheetnames == ["events", "about"]
    rows = list(book["events"].values)
    assert rows[0][:3] == ("event_id", "date_start", "date_end")
    assert {r[0] for r in rows[1:]} == set(expected(events)[Col.EVENT_ID])
    counts = {r[0]: r[list(rows[0]).index("count")] for r in rows[1:]}
    assert counts["2024-11-25-ru-drone-attack-ua"] == 188  # a number, not text
    about = dict(list(book["about"].values)[1:])
    assert about["data as of"] == "2024-12-27" and about["filters"].startswith("from=2024-11-01")


def test_formula_injection_is_neutralised(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(
        path,
        frame(
            make_row(
                title='=HYPERLINK("http://evil","click")',
                summary="+1+1",
                location="@SUM(A1)",
                weapon="-2",
                actors=["-x", "y"],
            ),
        ),
    )
    rows = store.load(path)
    info = export_data.ExportInfo(query="", as_of=None, rows=1)
    csv_text = export_data.to_csv(rows, info).decode()
    body = pd.read_csv(
        io.StringIO(csv_text), comment=None, skiprows=len(info.items()), dtype=str, keep_default_na=False
    )
    assert body.loc[0, "title"] == '\'=HYPERLINK("http://evil","click")'
    assert body.loc[0, "summary"] == "'+1+1" and body.loc[0, "location"] == "'@SUM(A1)"
    assert body.loc[0, "weapon"] == "'-2" and body.loc[0, "actors"] == "'-x; y"
    sheet = load_workbook(io.BytesIO(export_data.to_xlsx(rows, info)))["events"]
    header = [c.value for c in sheet[1]]
    title = sheet.cell(row=2, column=header.index("title") + 1)
    assert title.value.startswith("'=") and title.data_type == "s"
    assert all(
        not (isinstance(c.value, str) and c.value.startswith("=")) for row in sheet.iter_rows() for c in row
    )


def test_neutralise_leaves_ordinary_text_alone():
    assert export_data.neutralise("Kyiv") == "Kyiv"
    assert export_data.neutralise("") == ""
    assert export_data.neutralise("=1") == "'=1"
    assert export_data.neutralise("\tcmd") == "'\tcmd" and export_data.neutralise("\rcmd") == "'\rcmd"


def test_export_info_of_an_unfiltered_view(curated_engine, events):
    info = exports.export_info(curated_engine, view_of(), len(events))
    assert dict(info.items())["filters"] == "none (all events)" and info.rows == len(events)


def csv_header(data: bytes) -> dict[str, str]:
    """The `# key: value` lines a CSV export starts with."""
    lines = data.decode("utf-8").splitlines()
    return dict(line[2:].split(": ", 1) for line in lines if line.startswith("# "))


def test_every_data_file_says_how_it_counts(tmp_path: Path):
    """With the Air Force tally of the 188-drone night matched to the curated report, the
    default export holds the incident once and says so; `reports=all` holds both reports."""
    engine = engine_on(matched_night(tmp_path))
    for params, words, has_tally in (
        ({}, "incidents (each counted once)", False),
        ({"reports": "all"}, "every report", True),
    ):
        v = view_of(engine, type="drone_attack", from_="2024-11-25", to="2024-11-25", **params)
        data = exports.data_file("csv", engine, v)
        assert csv_header(data)["counting"] == words
        body = pd.read_csv(io.BytesIO(data), comment=None, skiprows=len(csv_header(data)), dtype=str)
        assert (AIR_FORCE_TALLY in set(body[str(Col.EVENT_ID)])) is has_tally
        table = pq.read_table(io.BytesIO(exports.data_file("parquet", engine, v)))
        assert table.schema.metadata[b"timeline.counting"].decode() == words
        assert (AIR_FORCE_TALLY in table.column(str(Col.EVENT_ID)).to_pylist()) is has_tally
        about = load_workbook(io.BytesIO(exports.data_file("xlsx", engine, v)))["about"]
        assert {row[0]: row[1] for row in about.iter_rows(values_only=True)}["counting"] == words


def test_a_dataset_without_incidents_counts_every_report(curated_engine):
    data = exports.data_file("csv", curated_engine, view_of(**NOVEMBER_DRONES))
    assert csv_header(data)["counting"] == "every report"
