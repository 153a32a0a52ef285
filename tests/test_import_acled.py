"""`timeline import --format acled` on a small messy export written in ACLED's real layout."""

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.importers import acled
from timeline.storage import store

from conftest import ROOT, rejected_reasons

FIXTURE = ROOT / "tests" / "fixtures" / "import" / "acled_messy.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["import", *args])


@pytest.fixture
def imported(tmp_path: Path) -> tuple[pd.DataFrame, object, Path]:
    out = tmp_path / "acled.parquet"
    result = run("--format", "acled", str(FIXTURE), "--out", str(out))
    assert result.exit_code == 0, result.output
    return store.load(out).set_index(str(Col.EVENT_ID)), result, tmp_path


def rejects(folder: Path) -> dict[str, str]:
    return rejected_reasons(folder / "acled_messy.rejected.csv")


def test_summary_counts_every_row_and_names_the_reasons(imported):
    _, result, folder = imported
    assert result.stdout.splitlines()[0] == (
        "5 imported, 6 rejected: 1 unknown ACLED sub-event type, 1 latitude must be between -90 and 90, "
        "1 duplicate event_id, 1 ambiguous date, 1 unknown ACLED inter code, 1 fatalities is not a whole number"
    )
    assert f"rejected rows: {folder / 'acled_messy.rejected.csv'}" in result.stdout
    assert "acled_messy.csv: read as UTF-8" in result.stderr  # the encoding used is named
    assert "rows read" not in result.stderr  # no progress bar when stderr is not a terminal


def test_rejected_rows_file_keeps_the_original_row_and_says_why(imported):
    _, _, folder = imported
    reasons = rejects(folder)
    assert reasons == {
        "4": "unknown ACLED sub-event type: 'Air/drone strkie'",
        "5": "latitude = '95.2': latitude must be between -90 and 90",
        "6": "duplicate event_id: acled-ukr1001 is also row 1's, a different event (differs from row 1 in "
        "interaction, civilian_targeting); --on-duplicate-id suffix keeps both",
        "7": "ambiguous date: event_date '05/06/2025' could be day-first or month-first and no date in this "
        "file tells which; give --date-format %d/%m/%Y or %m/%d/%Y",
        "10": "unknown ACLED inter code: inter1 '9'",
        "11": "fatalities is not a whole number: '2.5'",
    }
    with (folder / "acled_messy.rejected.csv").open(encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert first["sub_event_type"] == "Air/drone strkie" and first["notes"] == "Drone strike on Odesa port."


def test_dates_follow_time_precision(imported):
    df, _, _ = imported

    def dates(event_id: str) -> tuple[str, str, str]:
        row = df.loc[event_id]
        return (str(row[Col.DATE_START].date()), str(row[Col.DATE_END].date()), row[Col.DATE_PRECISION])

    assert dates("acled-ukr1001") == ("2024-11-25", "2024-11-25", "day")
    assert dates("acled-ukr1002") == ("2025-05-13", "2025-05-19", "week")  # "16 May 2025", mid-week
    assert dates("acled-ukr1003") == ("2025-03-01", "2025-03-31", "month")
    assert dates("acled-rus2001") == ("2024-09-12", "2024-09-12", "day")  # "  12 Sept 2024 "
    assert df.loc["acled-ukr1002", Col.DATE_TEXT].startswith("16 May 2025")


def test_types_come_from_the_taxonomy_and_notes(imported):
    df, _, _ = imported
    assert df.loc["acled-ukr1001", Col.EVENT_TYPE] == "drone_attack"  # notes name Shahed drones
    assert df.loc["acled-ukr1002", Col.EVENT_TYPE] == "shelling"  # artillery only
    assert df.loc["acled-ukr1008", Col.EVENT_TYPE] == "missile_strike"  # Iskander-M in the notes
    assert df.loc["acled-ukr1003", Col.EVENT_TYPE] == "armed_clash"
    assert df.loc["acled-rus2001", Col.EVENT_TYPE] == "agreement"


def test_fields_actors_countries_counts_and_origin(imported):
    df, _, _ = imported
    assert list(df.loc["acled-rus2001", Col.ACTORS]) == [
        "Government of Russia (2000-)", "Vladimir Putin", "Sergey Lavrov",
        "Government of North Korea (2011-)", "Kim Jong Un",
    ]  # fmt: skip
    # the place's country first (iso 804, or the name when iso is blank), then the countries
    # the actors' names state; "Vladimir Putin" and "Kim Jong Un" state none
    assert list(df.loc["acled-rus2001", Col.COUNTRIES]) == ["RUS", "PRK"]  # Government of North Korea (2011-)
    assert list(df.loc["acled-ukr1001", Col.COUNTRIES]) == [
        "UKR",
        "RUS",
    ]  # Military Forces of Russia, Civilians (Ukraine)
    assert list(df.loc["acled-ukr1002", Col.COUNTRIES]) == [
        "UKR",
        "RUS",
    ]  # ... and Police Forces of Ukraine (2019-)
    assert list(df.loc["acled-ukr1003", Col.COUNTRIES]) == ["UKR", "RUS"]
    assert df.loc["acled-ukr1001", Col.COUNT] == 2 and df.loc["acled-ukr1001", Col.COUNT_UNIT] == "fatalities"
    assert df.loc["acled-ukr1008", Col.COUNT] == 1  # "1.0"
    assert df.loc["acled-ukr1002", Col.COUNT] == 0  # a reported zero stays zero
    assert pd.isna(df.loc["acled-ukr1003", Col.COUNT])  # blank stays missing
    assert pd.isna(df.loc["acled-ukr1003", Col.COUNT_UNIT])
    # one outlet, ACLED, however many sources it names (they are in the summary)
    assert df.loc["acled-ukr1001", Col.SOURCE_OUTLET] == "ACLED"
    assert "ACLED's sources: Ukrinform; Suspilne." in df.loc["acled-ukr1001", Col.SUMMARY]
    assert (df[Col.DATASET] == "acled").all() and (df[Col.CONFIDENCE] == "reported").all()
    # numeric and text inter codes read alike
    assert "[External/Other forces]" in df.loc["acled-ukr1001", Col.SUMMARY]  # inter1 "8"
    assert "[External/Other forces]" in df.loc["acled-ukr1002", Col.SUMMARY]  # inter1 spelled out
    assert "Civilians" in df.loc["acled-ukr1001", Col.SUMMARY]
    assert "Shahed" not in df.loc["acled-ukr1001", Col.SUMMARY]  # ACLED's notes are not copied


def test_reimport_is_idempotent_and_dry_run_writes_nothing(imported):
    _, _, folder = imported
    out = folder / "acled.parquet"
    before = out.read_bytes()
    again = run("--format", "acled", str(FIXTURE), "--out", str(out))
    assert again.exit_code == 0, again.output
    assert f"{out}: 0 added, 0 changed, 5 unchanged" in again.stdout
    assert out.read_bytes() == before

    (folder / "acled_messy.rejected.csv").unlink()
    dry = run("--format", "acled", str(FIXTURE), "--into", str(out), "--dry-run")
    assert dry.exit_code == 0
    assert "0 added, 0 removed, 0 changed" in dry.stdout and "dry run: nothing was written" in dry.stdout
    assert "row 4: unknown ACLED sub-event type: 'Air/drone strkie'" in dry.stderr
    assert not (folder / "acled_messy.rejected.csv").exists()
    assert out.read_bytes() == before


def test_changed_source_row_is_updated_not_duplicated(imported, tmp_path: Path):
    _, _, folder = imported
    out = folder / "acled.parquet"
    edited = tmp_path / "edited.csv"
    edited.write_text(FIXTURE.read_text(encoding="utf-8").replace("Kyiv Independent", "Ukrainska Pravda"))
    dry = run("--format", "acled", str(edited), "--into", str(out), "--dry-run")
    assert "0 added, 0 removed, 1 changed" in dry.stdout
    assert "~ acled-ukr1008" in dry.stdout and "Ukrainska Pravda" in dry.stdout
    result = run("--format", "acled", str(edited), "--into", str(out))
    assert f"{out}: 0 added, 1 changed, 4 unchanged (5 rows" in result.stdout
    assert (
        "ACLED's sources: Ukrainska Pravda."
        in (store.load(out).set_index(str(Col.EVENT_ID)).loc["acled-ukr1008", Col.SUMMARY])
    )


def test_small_chunks_give_the_same_result(tmp_path: Path, imported):
    df, _, _ = imported
    out = tmp_path / "chunked" / "acled.parquet"
    result = run("--format", "acled", str(FIXTURE), "--out", str(out), "--chunk-rows", "2")
    assert result.exit_code == 0, result.output
    assert "duplicate event_id" in result.stdout  # row 6 repeats row 1, three chunks earlier
    chunked = store.load(out).set_index(str(Col.EVENT_ID))
    pd.testing.assert_frame_equal(chunked.drop(columns=str(Col.ADDED_AT)), df.drop(columns=str(Col.ADDED_AT)))


def test_inter_codes_numbers_and_text():
    labels, bad = acled.inter_labels(
        pd.Series(["1", "8.0", "State forces", "rebel group", "", "0", "9"], dtype=str)
    )
    assert labels.tolist()[:4] == ["State forces", "External/Other forces", "State forces", "Rebel groups"]
    assert labels.isna().tolist()[4:] == [True, True, True]
    assert bad.tolist() == [False, False, False, False, False, False, True]


@pytest.mark.parametrize("chunk_rows", ["100", "1"])
def test_a_duplicate_points_at_the_first_accepted_row_not_a_rejected_one(tmp_path: Path, chunk_rows: str):
    header, first = FIXTURE.read_text(encoding="utf-8").splitlines()[:2]
    broken = first.replace("50.4501", "95.2")  # same id, rejected for its latitude
    source = tmp_path / "dups.csv"
    source.write_text("\n".join([header, broken, first, first]) + "\n", encoding="utf-8")
    out = tmp_path / "acled.parquet"
    result = run("--format", "acled", str(source), "--out", str(out), "--chunk-rows", chunk_rows)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "1 imported, 2 rejected: 1 latitude must be between -90 and 90, 1 repeated row"
    )
    reasons = rejected_reasons(tmp_path / "dups.rejected.csv")
    assert reasons == {
        "1": "latitude = '95.2': latitude must be between -90 and 90",
        "3": "repeated row: repeats row 2 (acled-ukr1001) exactly",
    }
    assert store.load(out)[Col.LATITUDE].tolist() == [50.4501]


def test_ids_repeated_across_chunks_meet_the_same_fate_whatever_the_chunk_size(tmp_path: Path):
    """Each row of an id already accepted, in this chunk or one read long before, is named a
    repeat of that row (or a different event), and the rows kept are the same for any chunk
    size: the ids are kept sorted by hash between chunks (`ids.SeenIds`)."""
    header, first = FIXTURE.read_text(encoding="utf-8").splitlines()[:2]
    lines = [header]
    for n in range(24):  # ids 0-11, then 12-23 interleaved with repeats of earlier ones
        lines.append(first.replace("UKR1001", f"UKR{n}"))
        if n >= 12:
            again = first.replace("UKR1001", f"UKR{(n * 7) % 12}")
            lines.append(again if n % 2 else again.replace("Kyiv City", "Kyiv Oblast"))
    source = tmp_path / "dups.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcomes = []
    for chunk_rows in ("100000", "5", "2"):
        out = tmp_path / f"acled-{chunk_rows}.parquet"
        result = run("--format", "acled", str(source), "--out", str(out), "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.output
        # a row in an earlier chunk is named without the columns that differ (not held)
        reasons = {
            row: why.split(" (")[0] for row, why in rejected_reasons(tmp_path / "dups.rejected.csv").items()
        }
        outcomes.append((result.stdout.splitlines()[0], reasons, store.load(out)[Col.EVENT_ID].tolist()))
    assert outcomes[0][0] == "24 imported, 12 rejected: 6 duplicate event_id, 6 repeated row"
    assert outcomes[0][1]["14"] == "duplicate event_id: acled-ukr0 is also row 1's, a different event"
    assert outcomes[0][1]["16"] == "repeated row: repeats row 8"
    assert outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]
