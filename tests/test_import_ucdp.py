"""`timeline import --format ucdp` on a small messy GED file in UCDP's 49-column layout."""

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.importers import ucdp
from timeline.storage import store

from conftest import ROOT, rejected_reasons

FIXTURE = ROOT / "tests" / "fixtures" / "import" / "ucdp_ged_messy.csv"
runner = CliRunner()


@pytest.fixture
def imported(tmp_path: Path):
    out = tmp_path / "ucdp.parquet"
    result = runner.invoke(app, ["import", "--format", "ucdp", str(FIXTURE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return store.load(out).set_index(str(Col.EVENT_ID)), result, tmp_path


def test_the_fixture_has_ged_columns():
    with FIXTURE.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ucdp.COLUMNS
    assert len(ucdp.COLUMNS) == 49


def test_summary_and_rejected_rows(imported):
    _, result, folder = imported
    assert result.stdout.splitlines()[0].startswith("5 imported, 6 rejected: ")
    reasons = rejected_reasons(folder / "ucdp_ged_messy.rejected.csv")
    assert reasons == {
        "6": "unknown date_prec: '6' (expected 1 to 5)",
        "7": "latitude = '-95.5': latitude must be between -90 and 90",
        "8": "repeated row: repeats row 1 (ucdp-400001) exactly",
        "9": "date_precision = 'week': interval is longer than this precision allows "
        "(week <= 7 days, month <= 31, year <= 366)",
        "10": "unknown type_of_violence: '4' (expected 1, 2 or 3)",
        "11": "ambiguous date: date_start '01/03/2022' could be day-first or month-first and no date in "
        "this file tells which; give --date-format %d/%m/%Y or %m/%d/%Y",
    }


def test_date_prec_maps_to_precision_with_the_given_interval(imported):
    df, _, _ = imported

    def dates(event_id: str) -> tuple[str, str, str]:
        row = df.loc[event_id]
        return (str(row[Col.DATE_START].date()), str(row[Col.DATE_END].date()), row[Col.DATE_PRECISION])

    assert dates("ucdp-400001") == ("2022-03-01", "2022-03-01", "day")  # 1, "2022-03-01 00:00:00.000"
    assert dates("ucdp-400002") == ("2022-03-02", "2022-03-05", "week")  # 2: a span of 2-6 days
    assert dates("ucdp-400003") == ("2022-03-07", "2022-03-13", "week")  # 3: a week
    assert dates("ucdp-400004") == ("2022-04-01", "2022-04-30", "month")
    assert dates("ucdp-400005") == ("2022-01-01", "2022-12-31", "year")


def test_types_counts_countries_and_sources(imported):
    df, _, _ = imported
    assert df.loc["ucdp-400001", Col.EVENT_TYPE] == "armed_clash"
    assert df.loc["ucdp-400003", Col.EVENT_TYPE] == "violence_against_civilians"
    assert (
        "one-sided violence against civilians by Government of Russia" in df.loc["ucdp-400003", Col.SUMMARY]
    )
    assert df.loc["ucdp-400001", Col.COUNT] == 12 and df.loc["ucdp-400001", Col.COUNT_UNIT] == "fatalities"
    assert "low 10, high 15" in df.loc["ucdp-400001", Col.SUMMARY]
    assert pd.isna(df.loc["ucdp-400002", Col.COUNT])  # blank best stays missing
    assert df.loc["ucdp-400004", Col.COUNT] == 0
    # the place's country, then the sides' governments: "Russia (Soviet Union)" is Russia
    assert list(df.loc["ucdp-400004", Col.COUNTRIES]) == ["RUS", "UKR"]
    assert list(df.loc["ucdp-400001", Col.COUNTRIES]) == ["UKR", "RUS"]
    assert list(df.loc["ucdp-400003", Col.COUNTRIES]) == ["UKR", "RUS"]  # side b "Civilians" states none
    assert list(df.loc["ucdp-400001", Col.ACTORS]) == [
        "Government of Russia (Soviet Union)",
        "Government of Ukraine",
    ]
    assert (
        df.loc["ucdp-400001", Col.SOURCE_OUTLET] == "UCDP GED"
    )  # one outlet: its sources are in the summary
    assert "UCDP's sources: Reuters." in df.loc["ucdp-400001", Col.SUMMARY]
    assert str(df.loc["ucdp-400001", Col.SOURCE_PUBLISHED].date()) == "2022-03-02"
    assert pd.isna(df.loc["ucdp-400002", Col.SOURCE_PUBLISHED])  # two dates: none chosen
    assert (df[Col.DATASET] == "ucdp").all() and (df[Col.CONFIDENCE] == "reported").all()
