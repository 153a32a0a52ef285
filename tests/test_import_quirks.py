"""The files analysts really have: unknown placeholders, encodings other than UTF-8, dates as
spreadsheets write them, ids shared by different events, HXL rows, skipped GDELT codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.importers import acled, pipeline, ucdp
from timeline.importers.base import PLACEHOLDERS
from timeline.storage import store

from conftest import ROOT, rejected_reasons

FIXTURES = ROOT / "tests" / "fixtures" / "import"
runner = CliRunner()


def acled_row(**values: str) -> dict[str, str]:
    """The fixture's first (valid) ACLED row with some fields replaced."""
    with (FIXTURES / "acled_messy.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    return {**row, **values}


def ucdp_row(**values: str) -> dict[str, str]:
    with (FIXTURES / "ucdp_ged_messy.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    return {**row, **values}


def write(path: Path, columns: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(fmt: str, source: Path, out: Path, *extra: str):
    return runner.invoke(app, ["import", "--format", fmt, str(source), "--out", str(out), *extra])


def load(out: Path) -> pd.DataFrame:
    return store.load(out).set_index("event_id")


# --- 1. placeholders are missing values; an optional field never sinks a row ---------------


def test_ucdp_unknown_source_date_and_na_counts_do_not_sink_the_event(tmp_path: Path):
    source = write(tmp_path / "ged.csv", ucdp.COLUMNS, [
        ucdp_row(id="1", source_date="1753-01-01 00:00:00.000"),
        ucdp_row(id="2", source_date="1753-01-01", best="NA", low="NA", high="NA"),
        ucdp_row(id="3", source_date="1850-06-01"),  # before the schema's first date: left out
        ucdp_row(id="4", date_start="NA"),  # a required date that says unknown: rejected, saying so
    ])  # fmt: skip
    result = run("ucdp", source, tmp_path / "u.parquet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 imported, 1 rejected: 1 missing date")
    df = load(tmp_path / "u.parquet")
    assert df["source_published"].isna().all()
    assert pd.isna(df.loc["ucdp-2", "count"]) and "Best estimate" not in df.loc["ucdp-2", "summary"]
    assert rejected_reasons(tmp_path / "ged.rejected.csv") == {
        "4": "missing date: date_start is blank or says unknown"
    }


def test_acled_placeholders_read_as_unknown(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [
        acled_row(event_id_cnty="UKR1", fatalities="NA", admin1="-"),
        acled_row(event_id_cnty="UKR2", fatalities="#N/A", actor2="N/A", inter2=""),
        acled_row(event_id_cnty="UKR3", event_date=" - "),
    ])  # fmt: skip
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.exit_code == 0, result.output
    df = load(tmp_path / "a.parquet")
    assert df["count"].isna().all()  # unknown, never 0 and never a rejection
    assert df.loc["acled-ukr1", "location"] == "Kyiv"  # no "Kyiv, -"
    assert list(df.loc["acled-ukr2", "actors"]) == ["Military Forces of Russia (2000-)"]
    assert rejected_reasons(tmp_path / "a.rejected.csv") == {
        "3": "missing date: event_date is blank or says unknown"
    }


def test_placeholders_padded_with_any_whitespace_are_blank_and_nothing_else_is():
    """The placeholder check trims and looks up only values that could be one; every value
    is blanked exactly where trimming and looking up all of them would (padding of Unicode
    spaces, tabs and line breaks, placeholders inside longer text, long values, short values
    with a placeholder's size and first letter)."""
    pads = ["", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\u0085", "\x0b"]
    cores = [*sorted(PLACEHOLDERS), "NAN", "na", "N/A2", "-1", "NA NA", "Kyiv", "x" * 40, "é", "—", "NULLS",
             "NB", "-x", "nul", "#", "#NA", "N", "2023", "8"]  # fmt: skip
    values = [f"{a}{core}{b}" for core in cores for a in pads for b in pads[:4]] + ["", "  NA" + " " * 30]
    chunk = pd.DataFrame(
        {"notes": pd.Series(values, dtype="str"), "iso": pd.Series(values[::-1], dtype="str")}
    )
    got = pipeline._blank_placeholders(acled.FORMAT, chunk)
    for name in chunk.columns:
        trimmed = chunk[name].str.strip()
        expected = chunk[name].where(~trimmed.isin(PLACEHOLDERS - {""}), "")
        assert got[name].tolist() == expected.tolist()
        assert (got[name] == "").sum() > len(values) // 4  # the padded placeholders were found


def test_a_count_too_large_for_any_number_is_rejected_not_a_crash(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [
        acled_row(event_id_cnty="UKR1", fatalities="99999999999999999999"),
        acled_row(event_id_cnty="UKR2", time_precision="1e30"),
        acled_row(event_id_cnty="UKR3"),
    ])  # fmt: skip
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.exit_code == 0, result.output
    assert list(load(tmp_path / "a.parquet").index) == ["acled-ukr3"]
    assert rejected_reasons(tmp_path / "a.rejected.csv") == {
        "1": "fatalities is not a whole number: '99999999999999999999'",
        "2": "unknown time_precision: '1e30' (expected 1, 2 or 3)",
    }


# --- 2. encodings -------------------------------------------------------------------------


def test_a_cp1252_file_is_detected_and_named(tmp_path: Path):
    source = write(tmp_path / "ged.csv", ucdp.COLUMNS,
                   [ucdp_row(id=str(i), where_coordinates="Donets\u2019k caf\u00e9") for i in range(1, 4)],
                   encoding="cp1252")  # fmt: skip
    result = run("ucdp", source, tmp_path / "u.parquet")
    assert result.exit_code == 0, result.output
    assert "ged.csv: read as cp1252 (detected by charset-normalizer)" in result.stderr
    assert set(load(tmp_path / "u.parquet")["location"]) == {"Donets\u2019k caf\u00e9"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-be"])
def test_utf16_and_byte_order_marks_are_read(tmp_path: Path, encoding: str):
    source = write(
        tmp_path / "a.csv", acled.COLUMNS, [acled_row(location="Kyiv \u2013 Obolon")], encoding=encoding
    )
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.exit_code == 0, result.output
    assert "read as UTF-" in result.stderr
    assert load(tmp_path / "a.parquet").loc["acled-ukr1001", "location"] == "Kyiv \u2013 Obolon, Kyiv City"


def test_encoding_override_and_a_bad_one(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [acled_row(location="K\u00f6ln")], encoding="latin-1")
    result = run("acled", source, tmp_path / "a.parquet", "--encoding", "latin-1")
    assert result.exit_code == 0, result.output
    assert "read as iso8859-1 (given with --encoding)" in result.stderr
    assert load(tmp_path / "a.parquet").loc["acled-ukr1001", "location"].startswith("K\u00f6ln")
    bad = run("acled", source, tmp_path / "b.parquet", "--encoding", "klingon")
    assert bad.exit_code == 2 and "--encoding 'klingon': not a text encoding" in bad.stderr


def test_utf8_that_turns_into_cp1252_late_stops_with_advice(tmp_path: Path):
    rows = [acled_row(event_id_cnty=f"UKR{i}", notes="x" * 400) for i in range(3000)]  # > 1 MiB of UTF-8
    rows.append(acled_row(event_id_cnty="UKR9999", location="Donets\u2019k"))
    head = write(tmp_path / "h.csv", acled.COLUMNS, rows[:-1]).read_bytes()
    tail = (
        write(tmp_path / "t.csv", acled.COLUMNS, rows[-1:], encoding="cp1252")
        .read_bytes()
        .split(b"\r\n", 1)[1]
    )
    source = tmp_path / "a.csv"
    source.write_bytes(head + tail)
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.exit_code == 1
    assert "not UTF-8 text" in result.stderr and "--encoding cp1252" in result.stderr
    assert not (tmp_path / "a.parquet").exists()


# --- 3. dates as people export them -------------------------------------------------------


def test_day_first_dates_with_a_time_are_read_day_first(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [
        acled_row(event_id_cnty="UKR1", event_date="05/03/2023 00:00:00"),  # ambiguous alone
        acled_row(event_id_cnty="UKR2", event_date="16/03/2023 00:00:00"),  # 16 > 12: day first
        acled_row(event_id_cnty="UKR3", event_date="16 March 2023"),  # ACLED's own spelling
    ])  # fmt: skip
    result = run("acled", source, tmp_path / "a.parquet", "--chunk-rows", "1")  # the deciding row comes later
    assert result.exit_code == 0, result.output
    assert "all-digit dates read day-first (event_date '16/03/2023 00:00:00' at row 2)" in result.stderr
    starts = load(tmp_path / "a.parquet")["date_start"].dt.strftime("%Y-%m-%d")
    assert starts.to_dict() == {
        "acled-ukr1": "2023-03-05",
        "acled-ukr2": "2023-03-16",
        "acled-ukr3": "2023-03-16",
    }


def test_excel_month_first_dates(tmp_path: Path):
    source = write(tmp_path / "ged.csv", ucdp.COLUMNS, [
        ucdp_row(id="1", date_start="8/29/2014 12:00:00 AM", date_end="8/29/2014 12:00:00 AM"),
        ucdp_row(id="2", date_start="3/5/2014 12:00:00 AM", date_end="3/5/2014 12:00:00 AM"),
    ])  # fmt: skip
    result = run("ucdp", source, tmp_path / "u.parquet")
    assert result.exit_code == 0, result.output
    assert "month-first" in result.stderr
    df = load(tmp_path / "u.parquet")
    assert df.loc["ucdp-2", "date_start"].strftime("%Y-%m-%d") == "2014-03-05"
    assert df.loc["ucdp-1", "date_text"].startswith("2014-08-29 (UCDP date_prec 1)")


def test_a_file_mixing_day_first_and_month_first_is_refused(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [
        acled_row(event_id_cnty="UKR1", event_date="16/03/2023"),
        acled_row(event_id_cnty="UKR2", event_date="03/17/2023"),
    ])  # fmt: skip
    for chunk in ("100", "1"):
        result = run("acled", source, tmp_path / "a.parquet", "--chunk-rows", chunk)
        assert result.exit_code == 1
        assert "day-first (event_date '16/03/2023' at row 1)" in result.stderr
        assert "month-first (event_date '03/17/2023' at row 2)" in result.stderr
        assert not (tmp_path / "a.parquet").exists() and not (tmp_path / "a.rejected.csv").exists()


def test_ambiguous_dates_are_rejected_unless_a_date_format_says(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [
        acled_row(event_id_cnty="UKR1", event_date="05/03/2023"),
        acled_row(event_id_cnty="UKR2", event_date="2023-03-07"),
    ])  # fmt: skip
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 imported, 1 rejected: 1 ambiguous date")
    assert "could be day-first or month-first" in rejected_reasons(tmp_path / "a.rejected.csv")["1"]
    told = run("acled", source, tmp_path / "b.parquet", "--date-format", "%m/%d/%Y")
    assert told.exit_code == 0, told.output
    assert "dates read with --date-format %m/%d/%Y" in told.stderr
    assert load(tmp_path / "b.parquet").loc["acled-ukr1", "date_start"].strftime("%Y-%m-%d") == "2023-05-03"


@pytest.mark.parametrize(
    ("fmt", "value", "message"),
    [
        ("gdelt", "%d/%m/%Y", "--date-format is for --format acled or ucdp"),
        ("acled", "dd/mm/yyyy", "has no strptime code"),
    ],
)
def test_bad_date_format_flags(tmp_path: Path, fmt: str, value: str, message: str):
    result = run(fmt, FIXTURES / "acled_messy.csv", tmp_path / "x.parquet", "--date-format", value)
    assert result.exit_code == 2 and message in result.stderr


# --- 4. rejects that explain themselves ---------------------------------------------------


def test_repeats_and_different_events_sharing_an_id(tmp_path: Path):
    rows = [
        acled_row(event_id_cnty="UKR1"),
        acled_row(event_id_cnty="UKR1"),  # the same row again
        acled_row(event_id_cnty="UKR1", location="Odesa", fatalities="5"),  # another incident
    ]
    source = write(tmp_path / "a.csv", acled.COLUMNS, rows)
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.stdout.startswith("1 imported, 2 rejected: 1 repeated row, 1 duplicate event_id")
    assert rejected_reasons(tmp_path / "a.rejected.csv") == {
        "2": "repeated row: repeats row 1 (acled-ukr1) exactly",
        "3": "duplicate event_id: acled-ukr1 is also row 1's, a different event (differs from row 1 in "
        "location, fatalities); --on-duplicate-id suffix keeps both",
    }
    kept = run("acled", source, tmp_path / "b.parquet", "--on-duplicate-id", "suffix")
    assert kept.exit_code == 0, kept.output
    assert kept.stdout.startswith("2 imported, 1 rejected: 1 repeated row")
    df = load(tmp_path / "b.parquet")
    derived = next(i for i in df.index if i != "acled-ukr1")
    assert derived.startswith("acled-ukr1-") and df.loc[derived, "count"] == 5
    assert f"row 3: acled-ukr1 -> {derived} (differs from row 1 in location, fatalities)" in kept.stderr
    again = run("acled", source, tmp_path / "b.parquet", "--on-duplicate-id", "suffix")
    assert "0 added, 0 changed, 2 unchanged" in again.stdout  # the derived id is stable
    bad = run("acled", source, tmp_path / "c.parquet", "--on-duplicate-id", "merge")
    assert bad.exit_code == 2 and "choose reject or suffix" in bad.stderr


def test_hxl_hashtag_row_is_skipped_and_counted(tmp_path: Path):
    tags = {c: "" for c in ucdp.COLUMNS} | {
        "id": "#event+id",
        "date_start": "#date+start",
        "country": "#country+name",
    }
    source = write(tmp_path / "hdx.csv", ucdp.COLUMNS, [tags, ucdp_row(id="7")])
    result = run("ucdp", source, tmp_path / "u.parquet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 imported, 0 rejected (1 row HXL hashtag row")
    assert "row 1 holds HXL hashtags" in result.stderr
    assert not (tmp_path / "hdx.rejected.csv").exists()


def test_a_date_in_no_known_shape_says_how_to_read_it(tmp_path: Path):
    source = write(tmp_path / "a.csv", acled.COLUMNS, [acled_row(event_date="16-Mar-23")])  # two-digit year
    result = run("acled", source, tmp_path / "a.parquet")
    assert result.stdout.startswith("0 imported, 1 rejected: 1 bad date")
    assert rejected_reasons(tmp_path / "a.rejected.csv") == {
        "1": "bad date: event_date '16-Mar-23' (expected YYYY-MM-DD, '16 May 2025'; --date-format reads other shapes)"
    }
    told = run("acled", source, tmp_path / "a.parquet", "--date-format", "%d-%b-%y")
    assert told.exit_code == 0, told.output
    assert (
        load(tmp_path / "a.parquet").loc["acled-ukr1001", "date_start"].strftime("%Y-%m-%d") == "2023-03-16"
    )
