"""Real-shaped files, generated here: a 100,000-row ACLED export passed through a spreadsheet
(byte-order mark, day-first dates with a time, 'NA' and '-' for unknown), a UCDP GED file
re-saved by Excel (cp1252, month-first dates with AM/PM, an HXL hashtag row, 1753-01-01 for an
unknown source date) and a GDELT 2.0 daily export (most codes outside the conflict taxonomy).
Every row's fate (imported under which id, rejected for what, skipped why) is worked out
while the file is written and checked against what the import did."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.importers import acled, gdelt, ucdp
from timeline.importers.reading import HXL_SKIP
from timeline.storage import store

runner = CliRunner()

ACLED_ROWS = 100_000
UCDP_ROWS = 20_000
GDELT_ROWS = 20_000


@dataclass
class Generated:
    path: Path
    fates: pd.Series
    """By 1-based data row: 'imported <event_id>', 'rejected <category>' or 'skipped <why>'."""
    days: pd.Series
    """By event id: the day each imported event must start on."""


def _days(rng: np.random.Generator, n: int) -> pd.DatetimeIndex:
    return pd.to_datetime(np.datetime64("2022-02-24") + rng.integers(0, 1000, n).astype("timedelta64[D]"))


def _fates(n: int, ids: np.ndarray, bad: dict[int, str], repeats: set[int], shared: set[int]) -> pd.Series:
    """Each row's fate from its planned quirk: a mapping rejection (`bad`, by row), an exact copy
    of the row before (`repeats`), or the id of the row before on a different event (`shared`).
    A copy of a rejected row is rejected the same way; an id whose row was rejected passes on."""
    fates: list[str] = []
    accepted: set[str] = set()
    for row in range(1, n + 1):
        i = row - 1
        if row in bad:
            fates.append(f"rejected {bad[row]}")
        elif row in repeats and fates[-1].startswith("imported"):
            fates.append("rejected repeated row")
        elif row in repeats:
            fates.append(fates[-1])
        elif ids[i] in accepted:
            fates.append("rejected duplicate event_id")
        else:
            fates.append(f"imported {ids[i]}")
            accepted.add(ids[i])
    assert not (repeats & shared)
    return pd.Series(fates, index=pd.RangeIndex(1, n + 1))


def acled_file(folder: Path, n: int = ACLED_ROWS) -> Generated:
    rng = np.random.default_rng(7)
    days = _days(rng, n)
    places = [("Kyiv", "Kyiv City", 50.45, 30.52), ("Kharkiv", "Kharkiv", 49.99, 36.23),
              ("Odesa", "Odesa", 46.48, 30.72), ("Pokrovsk", "Donetsk", 48.28, 37.18)]  # fmt: skip
    subs = np.array(["Shelling/artillery/missile attack", "Air/drone strike", "Armed clash"], dtype=object)
    kinds = np.array(["Explosions/Remote violence", "Explosions/Remote violence", "Battles"], dtype=object)
    pick, place = rng.integers(0, 3, n), rng.integers(0, len(places), n)
    frame = pd.DataFrame({c: [""] * n for c in acled.COLUMNS})
    frame["event_id_cnty"] = np.char.add("UKR", (200_000 + np.arange(n)).astype(str))
    frame["event_date"] = days.strftime("%d/%m/%Y 00:00:00")  # as a spreadsheet writes it back
    frame["year"] = days.year.astype(str)
    frame["time_precision"] = "1"
    frame["disorder_type"] = "Political violence"
    frame["event_type"], frame["sub_event_type"] = kinds[pick], subs[pick]
    frame["actor1"], frame["inter1"] = "Military Forces of Russia (2000-)", "8"
    frame["actor2"], frame["inter2"] = "Civilians (Ukraine)", "7"
    frame["iso"], frame["region"], frame["country"] = "804", "Europe", "Ukraine"
    frame["location"] = np.array([p[0] for p in places], dtype=object)[place]
    frame["admin1"] = np.array([p[1] for p in places], dtype=object)[place]
    frame["latitude"] = np.array([p[2] for p in places])[place].astype(str)
    frame["longitude"] = np.array([p[3] for p in places])[place].astype(str)
    frame["geo_precision"], frame["source"], frame["source_scale"] = "1", "Ukrinform; Suspilne", "National"
    frame["notes"] = "Russian forces launched Shahed drones; air defence was active."
    frame["fatalities"] = rng.poisson(1.0, n).astype(str)
    frame["timestamp"] = "1733000000"
    rows = np.arange(1, n + 1)
    bad: dict[int, str] = {}

    def plant(every: int, offset: int, column: str, value: str, fate: str | None) -> None:
        for row in rows[(rows % every == offset) & (rows > 2)]:
            if row not in bad:
                frame.at[row - 1, column] = value
                if fate:
                    bad[int(row)] = fate

    plant(997, 11, "event_date", "", "missing date")
    plant(991, 13, "event_date", "NA", "missing date")
    plant(1009, 17, "sub_event_type", "Air/drone strkie", "unknown ACLED sub-event type")
    plant(1013, 19, "event_date", "31/02/2023 00:00:00", "bad date")
    plant(97, 5, "fatalities", "NA", None)  # unknown: imported without a count
    plant(101, 7, "admin1", "-", None)  # unknown region: imported, the place alone
    repeats = {int(r) for r in rows[(rows % 1019 == 23) & (rows > 2)] if r not in bad}
    shared = {int(r) for r in rows[(rows % 1021 == 29) & (rows > 2)] if r not in bad and r not in repeats}
    for row in sorted(repeats | shared):
        if row in repeats:
            frame.iloc[row - 1] = frame.iloc[row - 2]
        else:  # the row before's id on another event (another day and place)
            frame.at[row - 1, "event_id_cnty"] = frame.at[row - 2, "event_id_cnty"]
    repeated_bad = {r: bad[r - 1] for r in repeats if r - 1 in bad}
    ids = ("acled-" + frame["event_id_cnty"].str.lower()).to_numpy()
    fates = _fates(n, ids, bad | repeated_bad, repeats, shared)
    path = folder / "acled_ukraine_resaved.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    expected_days = pd.Series(days.normalize(), index=ids)
    return Generated(path, fates, expected_days[~expected_days.index.duplicated()])


def ucdp_file(folder: Path, n: int = UCDP_ROWS) -> Generated:
    rng = np.random.default_rng(11)
    days = _days(rng, n)
    frame = pd.DataFrame({c: [""] * n for c in ucdp.COLUMNS})
    frame["id"] = (400_000 + np.arange(n)).astype(str)
    frame["type_of_violence"] = rng.choice(["1", "3"], n)
    frame["conflict_name"] = "Russia - Ukraine"
    frame["side_a"], frame["side_b"] = "Government of Russia (Soviet Union)", "Government of Ukraine"
    frame["source_office"] = rng.choice(["Reuters", "Kyiv Post;Ukrinform", "BBC"], n)
    frame["source_date"] = "1753-01-01 00:00:00.000"  # UCDP's "the source's date is unknown"
    frame["where_coordinates"] = rng.choice(
        ["Donets\u2019k town", "Kharkiv city", "Kyiv caf\u00e9 district"], n
    )
    frame["adm_1"], frame["country"], frame["where_prec"] = "Donets\u2019k oblast", "Ukraine", "1"
    frame["latitude"], frame["longitude"] = "48.0", "37.8"
    frame["date_prec"] = "1"
    # Excel's US re-save: month first, a time of day, AM/PM
    frame["date_start"] = [f"{d.month}/{d.day}/{d.year} 12:00:00 AM" for d in days]
    frame["date_end"] = frame["date_start"]
    frame["best"] = rng.poisson(2.0, n).astype(str)
    frame["low"], frame["high"] = frame["best"], frame["best"]
    rows = np.arange(1, n + 1)
    bad: dict[int, str] = {}
    for row in rows[(rows % 211 == 3) & (rows > 2)]:
        frame.at[row - 1, "date_prec"] = "6"
        bad[int(row)] = "unknown date_prec"
    for row in rows[(rows % 223 == 5) & (rows > 2)]:
        if row not in bad:
            frame.at[row - 1, "best"] = "NA"  # unknown: imported without a count
    repeats = {int(r) for r in rows[(rows % 307 == 9) & (rows > 2)] if r not in bad}
    for row in sorted(repeats):
        frame.iloc[row - 1] = frame.iloc[row - 2]
    ids = ("ucdp-" + frame["id"]).to_numpy()
    fates = _fates(n, ids, bad | {r: bad[r - 1] for r in repeats if r - 1 in bad}, repeats, set())
    hxl = pd.DataFrame(
        [{c: ("#" + c.replace("_", "+")) if i % 3 == 0 else "" for i, c in enumerate(ucdp.COLUMNS)}]
    )
    fates = pd.concat([pd.Series([f"skipped {HXL_SKIP}"]), fates], ignore_index=True)
    fates.index = pd.RangeIndex(1, n + 2)
    path = folder / "ged_ukraine_excel.csv"
    pd.concat([hxl, frame]).to_csv(path, index=False, encoding="cp1252", lineterminator="\r\n")
    expected_days = pd.Series(days.normalize(), index=ids)
    return Generated(path, fates, expected_days[~expected_days.index.duplicated()])


def gdelt_file(folder: Path, n: int = GDELT_ROWS) -> Generated:
    rng = np.random.default_rng(13)
    days = _days(rng, n)
    frame = pd.DataFrame({c: [""] * n for c in gdelt.COLUMNS})
    frame["GLOBALEVENTID"] = (1_200_000_000 + np.arange(n)).astype(str)
    frame["SQLDATE"] = days.strftime("%Y%m%d")
    codes = rng.choice(["190", "1952", "042", "036", "051", "080", "0874", "112", "130"], n)
    frame["EventCode"], frame["EventRootCode"] = codes, pd.Series(codes).str.slice(0, 2)
    frame["Actor1Name"], frame["Actor1CountryCode"] = "RUSSIA", "RUS"
    frame["Actor2Name"], frame["Actor2CountryCode"] = "UKRAINE", "UKR"
    frame["ActionGeo_Type"], frame["ActionGeo_FullName"] = "4", "Kyiv, Kyyiv, Misto, Ukraine"
    frame["ActionGeo_CountryCode"], frame["ActionGeo_Lat"], frame["ActionGeo_Long"] = "UP", "50.43", "30.52"
    frame["DATEADDED"] = days.strftime("%Y%m%d063000")
    frame["SOURCEURL"] = "https://www.example-news.com/story"
    outside = pd.Series(codes).isin(["051", "080", "0874", "112", "130"]).to_numpy().copy()
    rows = np.arange(1, n + 1)
    bad: dict[int, str] = {}
    for row in rows[(rows % 331 == 7) & ~outside]:
        frame.at[row - 1, "SQLDATE"] = "2024-11-25"
        bad[int(row)] = "bad date"
    repeats = {int(r) for r in rows[(rows % 401 == 11) & (rows > 2)] if r not in bad and r - 1 not in bad}
    repeats = {r for r in repeats if not outside[r - 2]}
    for row in sorted(repeats):
        frame.iloc[row - 1] = frame.iloc[row - 2]
        outside[row - 1] = outside[row - 2]
    ids = ("gdelt-" + frame["GLOBALEVENTID"]).to_numpy()
    fates = _fates(n, ids, bad, repeats, set())
    fates[pd.Series(outside, index=fates.index)] = f"skipped {gdelt.OUTSIDE}"
    path = folder / "20241126.export.CSV"
    frame.to_csv(path, sep="\t", header=False, index=False, quoting=csv.QUOTE_NONE)
    expected_days = pd.Series(days.normalize(), index=ids)
    return Generated(path, fates, expected_days[~expected_days.index.duplicated()])


def import_and_check(
    fmt: str, generated: Generated, tmp_path: Path, *extra: str
) -> tuple[pd.DataFrame, object]:
    """Import the file and check that every row met its planned fate."""
    out = tmp_path / f"{fmt}.parquet"
    result = runner.invoke(app, ["import", "--format", fmt, str(generated.path), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    fates = generated.fates
    rejects_path = tmp_path / f"{generated.path.stem}.rejected.csv"
    rejected = pd.Series(dtype=str)
    if rejects_path.exists():
        rejected = pd.read_csv(rejects_path, dtype=str, keep_default_na=False).set_index("row")["reason"]
        rejected.index = rejected.index.astype(int)
    want_rejected = fates[fates.str.startswith("rejected ")].str.removeprefix("rejected ")
    assert sorted(rejected.index) == sorted(want_rejected.index)
    got_category = rejected.str.split(":").str[0]
    assert (got_category.sort_index() == want_rejected.sort_index()).all(), (
        pd.DataFrame({"got": got_category.sort_index(), "want": want_rejected.sort_index()})
        .query("got != want")
        .head()
    )
    df = store.load(out)
    want_ids = fates[fates.str.startswith("imported ")].str.removeprefix("imported ")
    assert sorted(df[Col.EVENT_ID]) == sorted(want_ids)
    # every imported row starts on the day its source row gave, read in the file's order
    starts = df.set_index(str(Col.EVENT_ID))[Col.DATE_START]
    pd.testing.assert_series_equal(
        starts.sort_index(), generated.days[starts.index].sort_index().astype(starts.dtype), check_names=False
    )
    # the summary accounts for every row
    skipped = fates[fates.str.startswith("skipped ")].str.removeprefix("skipped ").value_counts()
    summary = result.stdout.splitlines()[0]
    assert summary.startswith(f"{len(want_ids):,} imported, {len(want_rejected):,} rejected")
    for why, count in skipped.items():
        assert f"{count:,} row{'' if count == 1 else 's'} {why}" in summary
    assert len(want_ids) + len(want_rejected) + skipped.sum() == len(fates)
    return df.set_index(str(Col.EVENT_ID)), result


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("realistic")


@pytest.mark.slow  # a realistic export of thousands of rows
def test_acled_export_through_a_spreadsheet(folder: Path, tmp_path: Path):
    generated = acled_file(folder)
    df, result = import_and_check("acled", generated, tmp_path)
    assert "read as UTF-8 (its byte-order mark says so)" in result.stderr
    assert "all-digit dates read day-first" in result.stderr
    fates = generated.fates
    assert (fates == "rejected duplicate event_id").sum() > 50  # the quirks are really there
    # 'NA' fatalities and a '-' region are unknowns: the row is imported without them
    frame = pd.read_csv(generated.path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    na_rows = [r for r in frame.index[frame["fatalities"].eq("NA")] + 1 if fates[r].startswith("imported")]
    na_ids = [fates[r].removeprefix("imported ") for r in na_rows]
    assert len(na_ids) > 500 and df.loc[na_ids, Col.COUNT].isna().all()
    dash_rows = [r for r in frame.index[frame["admin1"].eq("-")] + 1 if fates[r].startswith("imported")]
    dash_ids = [fates[r].removeprefix("imported ") for r in dash_rows]
    assert len(dash_ids) > 500
    assert (
        df.loc[dash_ids, Col.LOCATION].tolist() == frame.loc[[r - 1 for r in dash_rows], "location"].tolist()
    )


def test_acled_different_events_sharing_an_id_are_kept_with_suffix(folder: Path, tmp_path: Path):
    generated = acled_file(folder, 20_000)
    shared = generated.fates == "rejected duplicate event_id"
    out = tmp_path / "suffix.parquet"
    result = runner.invoke(
        app,
        [
            "import",
            "--format",
            "acled",
            str(generated.path),
            "--out",
            str(out),
            "--on-duplicate-id",
            "suffix",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"{shared.sum():,} kept under a derived id" in result.stdout
    ids = set(store.load(out)[Col.EVENT_ID])
    kept = [
        line.split(": ", 1)[1].split(" (")[0]
        for line in result.stderr.splitlines()
        if line.startswith("  row ")
    ]
    assert len(kept) == shared.sum()
    for line in kept:  # 'acled-ukr200029 -> acled-ukr200029-1a2b3c': both are in the dataset
        old, new = line.split(" -> ")
        assert old in ids and new in ids and new.startswith(old + "-") and len(new) == len(old) + 7
    again = runner.invoke(
        app,
        [
            "import",
            "--format",
            "acled",
            str(generated.path),
            "--into",
            str(out),
            "--on-duplicate-id",
            "suffix",
        ],
    )
    assert f"{out}: 0 added, 0 changed" in again.stdout  # derived ids are stable


def test_ucdp_resaved_by_excel(folder: Path, tmp_path: Path):
    generated = ucdp_file(folder)
    df, result = import_and_check("ucdp", generated, tmp_path)
    assert "read as cp1252 (detected by charset-normalizer)" in result.stderr
    assert "all-digit dates read month-first" in result.stderr
    assert "row 1 holds HXL hashtags" in result.stderr
    assert df[Col.SOURCE_PUBLISHED].isna().all()  # 1753-01-01 is "unknown", never a date
    assert df[Col.LOCATION].str.contains("\u2019").any()  # Donets’k, decoded from cp1252
    assert (df[Col.SOURCE_OUTLET] == "UCDP GED").all()


def test_gdelt_daily_export(folder: Path, tmp_path: Path):
    generated = gdelt_file(folder)
    df, result = import_and_check("gdelt", generated, tmp_path)
    skipped = (generated.fates == f"skipped {gdelt.OUTSIDE}").sum()
    assert skipped > GDELT_ROWS * 0.4  # most of a daily file is outside the conflict taxonomy
    assert "CAMEO" not in (tmp_path / f"{generated.path.stem}.rejected.csv").read_text(encoding="utf-8")
    assert set(df[Col.EVENT_TYPE]) == {"armed_clash", "drone_attack", "visit", "meeting"}
    assert (df[Col.SOURCE_OUTLET] == "GDELT 2.0").all()  # one outlet, not one per news site
    assert "read as UTF-8" in result.stderr
