"""`timeline import --format gdelt` on a small tab-separated GDELT 2.0 export (no header, 61 columns)."""

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.importers import gdelt
from timeline.storage import store

from conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "import" / "gdelt_events_messy.tsv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["import", "--format", "gdelt", *args])


@pytest.fixture
def imported(tmp_path: Path):
    out = tmp_path / "gdelt.parquet"
    result = run(str(FIXTURE), "--out", str(out))
    assert result.exit_code == 0, result.output
    return store.load(out).set_index(str(Col.EVENT_ID)), result, tmp_path


def test_fixture_has_61_tab_separated_columns():
    assert len(gdelt.COLUMNS) == 61
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        assert len(line.split("\t")) == 61


def test_cameo_codes_stay_strings_and_map_through_the_taxonomy(imported):
    df, _, _ = imported
    assert df.loc["gdelt-1200000003", Col.EVENT_TYPE] == "statement"  # "010", not 10
    assert "CAMEO code 010" in df.loc["gdelt-1200000003", Col.SUMMARY]
    assert df.loc["gdelt-1200000002", Col.EVENT_TYPE] == "call"  # 041
    assert df.loc["gdelt-1200000007", Col.EVENT_TYPE] == "visit"  # 042
    assert df.loc["gdelt-1200000001", Col.EVENT_TYPE] == "drone_attack"  # 1952


def test_skips_unmapped_codes_and_rejects_bad_dates_and_bad_coordinates(imported):
    _, result, folder = imported
    # CAMEO 080 (yield) is outside the conflict taxonomy: skipped by design, counted, not a reject
    assert result.stdout.splitlines()[0] == (
        "4 imported, 3 rejected: 1 bad date, 1 latitude must be between -90 and 90, 1 repeated row "
        "(1 row with a CAMEO code outside the conflict taxonomy)"
    )
    with (folder / "gdelt_events_messy.rejected.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["row"]: r["reason"] for r in rows} == {
        "5": "bad date: SQLDATE '2024-11-25' (expected YYYYMMDD)",
        "6": "latitude = '91.5': latitude must be between -90 and 90",
        "8": "repeated row: repeats row 1 (gdelt-1200000001) exactly",
    }
    assert rows[0]["SQLDATE"] == "2024-11-25"  # original columns, named, values as written


def test_countries_actors_places_and_sources(imported):
    df, _, _ = imported
    strike = df.loc["gdelt-1200000001"]
    assert list(strike[Col.COUNTRIES]) == ["RUS", "UKR"]  # CAMEO RUS, FIPS UP -> UKR
    assert list(strike[Col.ACTORS]) == ["Russia", "Ukraine"]
    assert (strike[Col.LATITUDE], strike[Col.LONGITUDE]) == (50.4333, 30.5167)
    assert str(strike[Col.DATE_START].date()) == "2024-11-25" and strike[Col.DATE_PRECISION] == "day"
    assert strike[Col.SOURCE_OUTLET] == "GDELT 2.0"  # one outlet; the article's site is in the summary
    assert "Source: example-news.com." in strike[Col.SUMMARY]
    assert strike[Col.SOURCE_URL] == "https://www.example-news.com/2024/11/26/drones-kyiv"
    call = df.loc["gdelt-1200000002"]
    assert list(call[Col.COUNTRIES]) == ["RUS", "PRK"] and list(call[Col.ACTORS]) == [
        "Vladimir Putin",
        "Kim Jong Un",
    ]
    assert "Source: BBC Monitoring." in call[Col.SUMMARY] and pd.isna(call[Col.SOURCE_URL])  # not a URL
    assert (df[Col.DATASET] == "gdelt").all()


def test_select_by_cameo_root_and_country(tmp_path: Path):
    out = tmp_path / "gdelt.parquet"
    result = run(str(FIXTURE), "--out", str(out), "--cameo-root", "04", "--country", "prk")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "1 imported, 0 rejected (7 rows not selected)"
    assert store.load(out)[Col.EVENT_ID].tolist() == ["gdelt-1200000002"]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--cameo-root", "abc", "a CAMEO root code is one or two digits"),
        ("--country", "UP", "not an ISO 3166-1 alpha-3"),
    ],
)
def test_bad_selection_flags(tmp_path: Path, flag, value, message):
    result = run(str(FIXTURE), "--out", str(tmp_path / "g.parquet"), flag, value)
    assert result.exit_code == 2 and message in result.stderr


def test_a_file_with_the_wrong_number_of_columns_is_refused(tmp_path: Path):
    old = tmp_path / "gdelt1.tsv"
    old.write_text("\t".join(["x"] * 57) + "\n")
    result = run(str(old), "--out", str(tmp_path / "g.parquet"))
    assert result.exit_code == 1
    assert "line 1 has 57 fields, expected 61; nothing was written" in result.stderr
    assert not (tmp_path / "g.parquet").exists()
