"""`timeline import --format missile-attacks`: the Air Force tallies, messy fixture and real file."""

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.importers import missile_attacks
from timeline.storage import store

from conftest import ROOT, SHARED, rejected_reasons

FIXTURE = ROOT / "tests" / "fixtures" / "import" / "missile_attacks_messy.csv"
REAL = SHARED / "external" / "missile_attacks_daily.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["import", "--format", "missile-attacks", *args])


def load(path: Path) -> pd.DataFrame:
    return store.load(path).set_index(str(Col.EVENT_ID))


@pytest.fixture
def imported(tmp_path: Path):
    out = tmp_path / "airforce.parquet"
    result = run(str(FIXTURE), "--out", str(out))
    assert result.exit_code == 0, result.output
    return load(out), result, tmp_path


def test_the_fixture_has_the_air_force_files_columns():
    with FIXTURE.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == missile_attacks.COLUMNS
    assert len(missile_attacks.COLUMNS) == 22 and set(missile_attacks.REQUIRED) <= set(
        missile_attacks.COLUMNS
    )


def test_summary_and_rejects(imported):
    _, result, folder = imported
    assert result.stdout.splitlines()[0] == (
        "7 imported, 5 rejected: 1 unknown model, 1 repeated row, 1 launched is not a whole number, "
        "1 bad date, 1 date_end is before date_start"
    )
    reasons = rejected_reasons(folder / "missile_attacks_messy.rejected.csv")
    assert reasons["6"] == "unknown model: 'Shahd-136'"
    assert reasons["9"] == "repeated row: repeats row 8 (af-2024-05-19-supercam-e53ab1) exactly"
    assert reasons["10"] == "launched is not a whole number: '12.5'"
    assert reasons["11"] == "bad date: time_start '2024-05-21 25:00'"
    assert reasons["12"] == "date_end = '2024-05-21': date_end is before date_start"


def test_counts_types_and_figures_in_the_summary(imported):
    df, _, _ = imported
    shahed = df.loc["af-2024-11-25-1930-shahed-136-131-c87524"]
    assert (shahed[Col.COUNT], shahed[Col.INTERCEPTED], shahed[Col.COUNT_UNIT]) == (188, 76, "drones")
    assert shahed[Col.EVENT_TYPE] == "drone_attack" and shahed[Col.WEAPON] == "Shahed-136/131"
    assert "95 did not reach their targets" in shahed[Col.SUMMARY]
    assert "5 flew into Belarus" in shahed[Col.SUMMARY]
    iskander = df.loc["af-2024-11-25-1930-iskander-m-9218c3"]
    assert (iskander[Col.COUNT], iskander[Col.INTERCEPTED], iskander[Col.EVENT_TYPE]) == (
        4,
        0,
        "missile_strike",
    )
    orlan = df.loc["af-2024-05-16-orlan-10-2c609a"]  # launched blank: missing, not zero
    # 2 destroyed of an unknown number launched: said in the title and summary, not stored as
    # an intercept count (a share of an unknown total, which validation refuses)
    assert pd.isna(orlan[Col.COUNT]) and pd.isna(orlan[Col.INTERCEPTED]) and orlan[Col.COUNT_UNIT] == "drones"
    assert "2 destroyed" in orlan[Col.TITLE] and "number launched not given" in orlan[Col.SUMMARY]
    molniia = df.loc["af-2024-05-17-molniia-2b6349"]  # Cyrillic model, destroyed blank
    assert molniia[Col.COUNT] == 3 and pd.isna(molniia[Col.INTERCEPTED]) and molniia[Col.WEAPON] == "Молнія"
    assert "Launched from MiG-31K" in df.loc["af-2023-05-16-0330-x-47-kinzhal-fcb4ff", Col.SUMMARY]
    assert (df[Col.CONFIDENCE] == "claimed").all() and (df[Col.DATASET] == "missile-attacks").all()


def test_windows_dates_and_text(imported):
    df, _, _ = imported
    night = df.loc["af-2024-11-25-1930-shahed-136-131-c87524"]
    assert (str(night[Col.DATE_START].date()), str(night[Col.DATE_END].date())) == (
        "2024-11-25",
        "2024-11-26",
    )
    assert night[Col.DATE_PRECISION] == "day"
    assert night[Col.DATE_TEXT] == "2024-11-25 19:30 to 2024-11-26 09:00"
    assert (
        df.loc["af-2023-05-16-0330-x-47-kinzhal-fcb4ff", Col.DATE_TEXT]
        == "2023-05-16 3:30 to 2023-05-16 05:00"
    )
    assert df.loc["af-2024-05-16-orlan-10-2c609a", Col.DATE_TEXT] == "2024-05-16"  # stray spaces gone


def test_sources_name_the_page_and_link_the_post(imported):
    df, _, _ = imported
    night = df.loc["af-2024-11-25-1930-shahed-136-131-c87524"]
    assert night[Col.SOURCE_OUTLET] == "Ukrainian Air Force (kpszsu)"
    assert night[Col.SOURCE_URL] == "https://www.facebook.com/kpszsu/posts/pfbidAAA"
    assert (
        df.loc["af-2024-05-16-orlan-10-2c609a", Col.SOURCE_OUTLET]
        == "Ukrainian Air Force, Air Command South (PvKPivden)"
    )
    assert df.loc["af-2024-05-17-molniia-2b6349", Col.SOURCE_OUTLET] == "war_monitor on Telegram"
    assert df.loc["af-2024-05-17-molniia-2b6349", Col.SOURCE_URL] == "https://t.me/war_monitor/123"


def test_same_model_same_window_in_two_reports_get_distinct_stable_ids(imported, tmp_path: Path):
    df, _, _ = imported
    supercams = sorted(i for i in df.index if i.startswith("af-2024-05-19-supercam-"))
    assert len(supercams) == 2
    again = tmp_path / "again.parquet"
    assert run(str(FIXTURE), "--out", str(again)).exit_code == 0
    assert sorted(i for i in load(again).index if i.startswith("af-2024-05-19-supercam-")) == supercams


def test_combine_merges_one_windows_models(tmp_path: Path):
    out = tmp_path / "combined.parquet"
    result = run(str(FIXTURE), "--out", str(out), "--combine")
    assert result.exit_code == 0, result.output
    assert "rows merged into the same window's event" in result.stdout
    night = load(out).loc["af-2024-11-25-1930-combined-7e0c0d"]
    assert night[Col.EVENT_TYPE] == "combined_strike" and night[Col.COUNT_UNIT] == "drones+missiles"
    assert (night[Col.COUNT], night[Col.INTERCEPTED]) == (192, 76)
    assert night[Col.WEAPON] == "Shahed-136/131; Iskander-M"
    assert "188 Shahed-136/131, 76 destroyed, 95 did not reach their targets" in night[Col.SUMMARY]
    assert "4 Iskander-M, 0 destroyed" in night[Col.SUMMARY]
    # row 9 repeats row 8: rejected on its own, not added to the window's Supercams a second time
    assert "1 duplicate row" in result.stdout and "(2 rows merged" in result.stdout
    supercams = load(out).loc["af-2024-05-19-combined-9ab6f5"]
    assert (supercams[Col.COUNT], supercams[Col.INTERCEPTED]) == (3, 3)
    reasons = rejected_reasons(tmp_path / "missile_attacks_messy.rejected.csv")
    assert reasons["9"] == "duplicate row: same model, window, route and post as row 8"


def test_weapon_names_are_stored_as_the_model_table_spells_them(tmp_path: Path):
    header = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    blanks = "," * 14
    source = tmp_path / "cased.csv"
    source.write_text(
        f"{header}\n"
        f"2024-06-01,2024-06-01,shahed-136/131,,Ukraine,,10,9{blanks}kpszsu/posts/a\n"
        f"2024-06-02,2024-06-02,x-101/x-555  and KALIBR,,Ukraine,,5,4{blanks}kpszsu/posts/b\n",
        encoding="utf-8",
    )
    out = tmp_path / "cased.parquet"
    result = run(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    df = store.load(out).set_index(str(Col.WEAPON))
    assert sorted(df.index) == ["Shahed-136/131", "X-101/X-555; Kalibr"]
    assert df.loc["Shahed-136/131", Col.TITLE].startswith("Air Force tally: Shahed-136/131, 10 launched")
    assert "5 X-101/X-555 and Kalibr (cruise missiles)" in df.loc["X-101/X-555; Kalibr", Col.SUMMARY]

    combined = tmp_path / "combined.parquet"
    assert run(str(source), "--out", str(combined), "--combine").exit_code == 0
    assert sorted(store.load(combined)[Col.WEAPON]) == ["Shahed-136/131", "X-101/X-555; Kalibr"]


def _rows(tmp_path: Path, name: str, *lines: str) -> Path:
    """An Air Force file with the fixture's header and these rows (8 leading columns, then source)."""
    header = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / name
    body = "".join(f"{line.rsplit(',', 1)[0]}{',' * 14}{line.rsplit(',', 1)[1]}\n" for line in lines)
    path.write_text(f"{header}\n{body}", encoding="utf-8")
    return path


KHERSON = "2024-05-19 03:00,2024-05-19 06:00,Supercam,,Kherson oblast,,1,1,PvKPivden/posts/pfbidEEE"
MYKOLAIV = "2024-05-19 03:00,2024-05-19 07:00,Supercam,,Mykolaiv oblast,,2,2,PvKPivden/posts/pfbidZZZ"


@pytest.mark.parametrize("combine", [False, True])
def test_a_newer_file_with_a_clashing_report_does_not_rename_existing_rows(tmp_path: Path, combine):
    flags = ["--combine"] if combine else []
    out = tmp_path / "airforce.parquet"
    first = run(str(_rows(tmp_path, "v1.csv", KHERSON)), "--out", str(out), *flags)
    assert first.exit_code == 0, first.output
    (old_id,) = store.load(out)[Col.EVENT_ID]
    newer = run(str(_rows(tmp_path, "v2.csv", KHERSON, MYKOLAIV)), "--out", str(out), *flags)
    assert newer.exit_code == 0, newer.output
    assert f"{out}: 1 added, 0 changed, 1 unchanged" in newer.stdout
    assert old_id in set(store.load(out)[Col.EVENT_ID])


def test_combine_keeps_a_blank_figure_unknown_instead_of_totalling_it_as_zero(tmp_path: Path):
    source = _rows(
        tmp_path,
        "gaps.csv",
        "2024-02-28,2024-02-28 08:00,Shahed-136/131,Primorsko-Akhtarsk,Ukraine,,10,10,kpszsu/posts/a",
        "2024-02-28,2024-02-28 08:00,C-300,Donetsk oblast,Ukraine,,,0,kpszsu/posts/a",
        "2024-03-01,2024-03-01 08:00,Shahed-136/131,,Ukraine,,20,,kpszsu/posts/b",
        "2024-03-01,2024-03-01 08:00,Iskander-M,,Ukraine,,4,0,kpszsu/posts/b",
    )
    out = tmp_path / "combined.parquet"
    result = run(str(source), "--out", str(out), "--combine")
    assert result.exit_code == 0, result.output
    df = store.load(out).set_index(str(Col.DATE_START))
    night = df.loc[pd.Timestamp("2024-02-28")]
    assert pd.isna(night[Col.COUNT]) and pd.isna(
        night[Col.INTERCEPTED]
    )  # not "10 launched"; the title says 10 destroyed
    assert (
        night[Col.TITLE]
        == "Air Force tally, 2024-02-28 to 2024-02-28 08:00: total launched not given, 10 destroyed"
    )
    assert (
        "10 Shahed-136/131, 10 destroyed; C-300 (number launched not given), 0 destroyed"
        in night[Col.SUMMARY]
    )
    assert "No total launched is stored: the report gives no number for C-300." in night[Col.SUMMARY]
    other = df.loc[pd.Timestamp("2024-03-01")]
    assert other[Col.COUNT] == 24 and pd.isna(other[Col.INTERCEPTED])
    assert other[Col.TITLE].endswith(": 24 launched, total destroyed not given")
    assert (
        "No total destroyed is stored: the report gives no number for Shahed-136/131." in other[Col.SUMMARY]
    )


def test_ids_ignore_how_times_and_places_are_spaced_or_cased(tmp_path: Path):
    tidy = run(str(_rows(tmp_path, "tidy.csv", KHERSON)), "--out", str(tmp_path / "tidy.parquet"))
    messy = KHERSON.replace("03:00", "3:00").replace("Kherson oblast", " kherson  Oblast ")
    untidy = run(str(_rows(tmp_path, "untidy.csv", messy)), "--out", str(tmp_path / "untidy.parquet"))
    assert tidy.exit_code == untidy.exit_code == 0
    assert list(store.load(tmp_path / "tidy.parquet")[Col.EVENT_ID]) == list(
        store.load(tmp_path / "untidy.parquet")[Col.EVENT_ID]
    )


def test_model_table_covers_combined_names():
    names, models = missile_attacks.parse_models("X-101/X-555 and Kalibr and Iskander-K")
    assert names == ["X-101/X-555", "Kalibr", "Iskander-K"] and {m.kind for m in models} == {"missile"}
    assert missile_attacks.parse_models("Shahed-136/131 and Mystery") is None
    assert missile_attacks.parse_models(" iskander-m/kn-23 and  x-47   kinzhal")[0] == [
        "Iskander-M/KN-23",
        "X-47 Kinzhal",
    ]


@pytest.mark.external
@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} not present (real Air Force data is not in the repo)")
def test_real_air_force_file(tmp_path: Path):
    out = tmp_path / "airforce.parquet"
    result = run(str(REAL), "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[0]
    imported, rejected = (
        int(n.replace(",", "")) for n in re.findall(r"([\d,]+) (?:imported|rejected)", summary)
    )
    assert imported + rejected == 3585
    assert (
        "duplicate event_id" not in summary and "repeated row" not in summary
    )  # every row's own fields give it a distinct id

    df = store.load(out)  # what the dashboard loads
    assert (df[Col.DATASET] == "missile-attacks").all()
    night = df[df[Col.DATE_TEXT].eq("2024-11-25 19:30 to 2024-11-26 09:00")].set_index(str(Col.WEAPON))
    shahed, iskander = night.loc["Shahed-136/131"], night.loc["Iskander-M"]
    assert (shahed[Col.COUNT], shahed[Col.INTERCEPTED], shahed[Col.COUNT_UNIT]) == (188, 76, "drones")
    assert "95 did not reach their targets" in shahed[Col.SUMMARY]
    assert (iskander[Col.COUNT], iskander[Col.INTERCEPTED], iskander[Col.EVENT_TYPE]) == (
        4,
        0,
        "missile_strike",
    )

    assert shahed[Col.EVENT_ID] == "af-2024-11-25-1930-shahed-136-131-0724da"  # as docs/importing.md says

    before = out.read_bytes()
    again = run(str(REAL), "--into", str(out))
    assert f"{out}: 0 added, 0 changed, {imported:,} unchanged" in again.stdout
    assert out.read_bytes() == before
