"""Reading a source file: rows with too many fields are rejected one by one, not fatal."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.errors import InputError
from timeline.domain.schema import Col
from timeline.importers import base, encodings, reading
from timeline.storage import store

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "import"
runner = CliRunner()
PLAIN = base.Format(name="plain", title="a test CSV", map=lambda chunk, options: None, required=("a",))

# BOM, CRLF, a quoted comma, a quoted line break, a blank line, a short row, no final newline
MESSY = (
    "\ufeffa,b,c\r\n"
    '1,"x,y",3,EXTRA\r\n'  # row 1, line 2: four fields
    '2,"multi\r\nline",3\r\n'  # row 2, lines 3-4
    "\r\n"  # line 5: blank, not a row
    "3,q,r\r\n"  # row 3, line 6
    "4,s,t,u,v\r\n"  # row 4, line 7: five fields
    "5,w\r\n"  # row 5, line 8: short, padded as pandas pads it
    "6,z,9"  # row 6, line 9
)


def read(
    path: Path, chunk_rows: int, fmt: base.Format = PLAIN
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    encoding = encodings.detect_encoding(path)
    pieces = list(reading.chunks(fmt, path, chunk_rows, lambda _rows, _share: None, encoding))
    rows = pd.concat([p.rows for p in pieces])
    bad = [p for p in pieces if p.malformed is not None and len(p.malformed)]
    malformed = pd.concat([p.malformed for p in bad]) if bad else pd.DataFrame()
    reasons = pd.concat([p.reasons for p in bad]) if bad else pd.Series(dtype=str)
    return rows, malformed, reasons


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_too_long_rows_come_apart_with_their_line_and_the_rest_reads_as_pandas_reads_it(
    tmp_path: Path, chunk_rows: int
):
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    rows, malformed, reasons = read(path, chunk_rows)
    assert rows.to_dict("index") == {
        2: {"a": "2", "b": "multi\r\nline", "c": "3"},
        3: {"a": "3", "b": "q", "c": "r"},
        5: {"a": "5", "b": "w", "c": ""},
        6: {"a": "6", "b": "z", "c": "9"},
    }
    assert malformed.to_dict("index") == {
        1: {"a": "1", "b": "x,y", "c": "3"},
        4: {"a": "4", "b": "s", "c": "t"},
    }
    assert reasons.to_dict() == {
        1: "too many fields: line 2 has 4 fields, the header 3 (extra: 'EXTRA')",
        4: "too many fields: line 7 has 5 fields, the header 3 (extra: 'u', 'v')",
    }
    # the good rows are exactly what pandas reads from the file without the two long rows
    clean = tmp_path / "clean.csv"
    lines = MESSY.split("\r\n")
    clean.write_bytes("\r\n".join(line for i, line in enumerate(lines) if i not in (1, 6)).encode("utf-8"))
    expected, none, _ = read(clean, chunk_rows)
    assert none.empty
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), expected.reset_index(drop=True))
    assert rows.dtypes.equals(expected.dtypes)


def _acled_without(rows: set[int], tmp_path: Path, name: str, extra_at: int | None = None) -> Path:
    lines = (FIXTURES / "acled_messy.csv").read_text(encoding="utf-8").splitlines()
    out = [
        line + ",EXTRA" if i == extra_at else line for i, line in enumerate(lines) if i == 0 or i not in rows
    ]
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("row", [1, 4])
@pytest.mark.parametrize("chunk_rows", ["2", "100000"])
def test_an_acled_row_with_an_extra_field_is_rejected_alone(tmp_path: Path, row: int, chunk_rows: str):
    messy = _acled_without(set(), tmp_path, "extra.csv", extra_at=row)
    out = tmp_path / "extra.parquet"
    result = runner.invoke(
        app, ["import", "--format", "acled", str(messy), "--out", str(out), "--chunk-rows", chunk_rows]
    )
    assert result.exit_code == 0, result.output
    assert "1 too many fields" in result.stdout.splitlines()[0]
    rejected = pd.read_csv(tmp_path / "extra.rejected.csv", dtype=str).set_index("row")
    assert rejected.loc[str(row), "reason"] == (
        f"too many fields: line {row + 1} has 32 fields, the header 31 (extra: 'EXTRA')"
    )
    # the other rows import exactly as from the file without that row (before, a long first
    # row made pandas take the first column as the index and shift every row)
    dropped = _acled_without({row}, tmp_path, "dropped.csv")
    expected = tmp_path / "dropped.parquet"
    assert (
        runner.invoke(app, ["import", "--format", "acled", str(dropped), "--out", str(expected)]).exit_code
        == 0
    )
    pd.testing.assert_frame_equal(
        store.load(out).drop(columns=str(Col.ADDED_AT)), store.load(expected).drop(columns=str(Col.ADDED_AT))
    )


def test_a_gdelt_line_with_an_extra_field_is_rejected_alone(tmp_path: Path):
    lines = (FIXTURES / "gdelt_events_messy.tsv").read_text(encoding="utf-8").splitlines()
    lines[2] += "\tEXTRA"
    source = tmp_path / "extra.tsv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "gdelt.parquet"
    result = runner.invoke(app, ["import", "--format", "gdelt", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 too many fields" in result.stdout
    rejected = pd.read_csv(tmp_path / "extra.rejected.csv", dtype=str).set_index("row")
    assert (
        rejected.loc["3", "reason"] == "too many fields: line 3 has 62 fields, expected 61 (extra: 'EXTRA')"
    )
    assert rejected.loc["3", "GLOBALEVENTID"] == lines[2].split("\t")[0]


def test_an_air_force_row_with_an_extra_field_is_rejected_alone(tmp_path: Path):
    lines = (FIXTURES / "missile_attacks_messy.csv").read_text(encoding="utf-8").splitlines()
    lines[3] += ",EXTRA"  # row 3, the Kinzhal
    source = tmp_path / "extra.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "airforce.parquet"
    result = runner.invoke(app, ["import", "--format", "missile-attacks", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("6 imported, 6 rejected: ")
    assert "1 too many fields" in result.stdout
    assert "X-47 Kinzhal" not in set(store.load(out)[Col.WEAPON])


@pytest.mark.parametrize("chunk_rows", ["1", "100000"])
def test_an_unclosed_quote_stops_the_import_with_its_row_and_line(tmp_path: Path, chunk_rows: str):
    lines = (FIXTURES / "acled_messy.csv").read_text(encoding="utf-8").splitlines()
    lines[4] += ",EXTRA"  # a long row first, so the careful reader meets the quote too
    lines[11] = lines[11].replace(",Vovchansk,", ',"Vovchansk,')
    source = tmp_path / "quote.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "acled.parquet"
    result = runner.invoke(
        app, ["import", "--format", "acled", str(source), "--out", str(out), "--chunk-rows", chunk_rows]
    )
    assert result.exit_code == 1, result.output
    assert (
        f"{source}: a quoted field opened in data row 11 (line 12) is never closed (the file ends inside it); "
        "nothing was written"
    ) in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quote.csv"]


def test_an_unreadable_header_is_a_clean_error(tmp_path: Path):
    source = tmp_path / "header.csv"
    source.write_text('event_id_cnty,"event_date\n', encoding="utf-8")
    result = runner.invoke(
        app, ["import", "--format", "acled", str(source), "--out", str(tmp_path / "a.parquet")]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "nothing was written" in result.stderr


NUMBERED = base.Format(name="plain", title="a test CSV", map=lambda chunk, options: None, required=("id",))


@pytest.mark.parametrize("broken", ["nothing", "too long", "too short", "unclosed quote", "not utf-8"])
def test_the_fast_reader_reads_what_pandas_reads_and_hands_over_at_a_row_it_refuses(
    tmp_path: Path, broken: str
):
    """pyarrow's reader gives the first chunks; a row it refuses (row 30 of 40, chunks of 7)
    makes pandas read from the first chunk not yet given: the same rows, the same rejects and
    the same messages as pandas alone."""
    lines = ["id,text,n"] + [f'{i},"t, {i}",{i:03d}' for i in range(1, 41)]
    lines[30] = {
        "nothing": lines[30],
        "too long": lines[30] + ",EXTRA",
        "too short": "30",
        "unclosed quote": '30,"never closed,030',
        "not utf-8": "30,K\xf6ln,030",
    }[broken]
    path = tmp_path / "numbered.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252" if broken == "not utf-8" else "utf-8"))
    encoding = encodings.Encoding("utf-8")
    assert reading._arrow_can_read(NUMBERED, encoding)  # this file is pyarrow's to read first
    seen: list[int] = []

    def pieces(read_with, told):  # the rows, the rejected rows and their reasons; or the message
        try:
            got = list(read_with(NUMBERED, path, 7, lambda rows, _share: told.append(rows), encoding))
        except InputError as err:
            return str(err)
        return [(p.rows, p.malformed, p.reasons) for p in got]

    fast, slow = pieces(reading.chunks, seen), pieces(reading._pandas_chunks, [])
    if isinstance(slow, str):
        assert fast == slow
        return
    assert len(fast) == len(slow)
    for (rows, malformed, reasons), (rows2, malformed2, reasons2) in zip(fast, slow, strict=True):
        pd.testing.assert_frame_equal(rows, rows2)
        if malformed2 is not None:
            pd.testing.assert_frame_equal(malformed, malformed2)
            pd.testing.assert_series_equal(reasons, reasons2)
    everything = pd.concat([rows for rows, _, _ in fast])
    assert everything.loc[12, "n"] == "012" and everything.loc[12, "text"] == "t, 12"  # text as written
    assert seen == sorted(seen) and seen[-1] == everything.index[-1]  # counts up, no row twice


def _logged(path: Path, chunk_rows: int, ahead: bool) -> list[tuple]:
    """What the pipeline sees: progress reports and pieces (their rows and malformed rows), in order."""
    encoding = encodings.detect_encoding(path)
    log: list[tuple] = []

    def told(rows: int, share: float) -> None:
        log.append(("progress", rows, share))

    def read(progress: reading.Progress):
        return reading.chunks(PLAIN, path, chunk_rows, progress, encoding)

    pieces = reading.read_ahead(read, told) if ahead else read(told)
    for p in pieces:
        bad = {} if p.malformed is None else p.malformed.to_dict("index")
        log.append(("piece", p.rows.to_dict("index"), bad))
    return log


@pytest.mark.parametrize("chunk_rows", [1, 2, 100])
def test_reading_ahead_gives_the_same_pieces_and_progress_in_the_same_order(tmp_path: Path, chunk_rows: int):
    path = tmp_path / "messy.csv"  # the pandas path, with rows set apart
    path.write_bytes(MESSY.encode("utf-8"))
    plain = tmp_path / "plain.csv"  # pyarrow's path
    plain.write_text("a,b,c\n" + "".join(f"{i},x{i},y\n" for i in range(7)))
    for source in (path, plain):
        log = _logged(source, chunk_rows, ahead=True)
        assert log == _logged(source, chunk_rows, ahead=False)
        assert log[0][0] == "progress" and log[-1][0] == "piece"  # each report before its piece


def test_reading_ahead_reads_one_piece_ahead_and_raises_the_readers_error_in_its_place():
    made: list[int] = []

    def read(progress: reading.Progress):
        for i in range(3):
            made.append(i)
            progress(i, 0.0)
            yield i
        raise InputError("row 4: cannot be read")

    pieces = reading.read_ahead(read, lambda _rows, _share: None)
    got = [next(pieces)]
    # the second piece may be read while the first is used, never a third
    assert made in ([0], [0, 1])
    got += [next(pieces), next(pieces)]
    assert got == [0, 1, 2]
    with pytest.raises(InputError, match="row 4: cannot be read"):
        next(pieces)


def test_an_import_stopped_early_closes_the_reader(tmp_path: Path):
    closed: list[bool] = []

    def read(progress: reading.Progress):
        try:
            yield from range(10)
        finally:
            closed.append(True)  # where `chunks` closes its file

    pieces = reading.read_ahead(read, lambda _rows, _share: None)
    assert next(pieces) == 0
    pieces.close()
    assert closed == [True]
