import codecs
import csv
import io
import json
import os
from pathlib import Path

import pytest

from timeline.domain.rowfiles import InputError, read_rows
from timeline.domain.validation import check
from timeline.storage import store

from conftest import make_row


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()}
        )
    return out.getvalue()


def test_csv_keeps_text_for_the_validator(tmp_path: Path):
    path = tmp_path / "rows.csv"
    path.write_text("event_id,count,actors\na,188,X;Y\nb,,\n", encoding="utf-8")
    df = read_rows(path)
    assert df["count"].tolist() == ["188", ""]
    assert df["actors"].tolist() == ["X;Y", ""]


def test_json_list_and_jsonl(tmp_path: Path):
    rows = [make_row(), make_row(event_id="b")]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    assert read_rows(tmp_path / "rows.json")["event_id"].tolist() == ["2024-11-25-ru-drone-attack-test", "b"]
    assert len(read_rows(tmp_path / "rows.jsonl")) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "file is empty"),
        ("blank.json", b"  \n", "file is empty"),
        ("header.csv", b"event_id,title\n", "no rows"),
        ("ragged.csv", b"a,b\n1,2,3\n", "row 1 has 3 fields, the header has 2"),
        ("bad.json", b"{not json", "not valid JSON"),
        ("scalar.json", b"[1, 2]", "row 1 is int"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
        ("latin.csv", "event_id\nKyïv\n".encode("latin-1"), "not UTF-8"),
        ("rows.xlsx", b"PK\x03\x04", "not a CSV or JSON file"),
    ],
)
def test_unreadable_files_get_one_clear_message(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_rows(path)


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        read_rows(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("le.csv", "event_id,title\na,b\n".encode("utf-16"), "UTF-16 text; save it as UTF-8"),
        ("be.csv", codecs.BOM_UTF16_BE + "event_id\na\n".encode("utf-16-be"), "UTF-16 text"),
        ("nobom.csv", "event_id,title\na,b\n".encode("utf-16-le"), "UTF-16 text"),
        ("wide.json", '[{"event_id": "a"}]'.encode("utf-32"), "UTF-32 text"),
        ("deep.json", b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        ("deeper.json", b'[{"actors": ' + b"[" * 30 + b"]" * 30 + b"}]", "nested too deeply"),
        (
            "deep.jsonl",
            b'{"a": 1}\n' + b"[" * 50_000 + b"]" * 50_000 + b"\n",
            "line 2: JSON nested too deeply",
        ),
        (
            "huge.csv",
            b"event_id,summary\na," + b"x" * 200_000 + b"\n",
            "line 2 has a field longer than 131,072",
        ),
    ],
)
def test_hostile_files_get_one_clear_message(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_rows(path)


def test_non_regular_files_are_refused_without_reading(tmp_path: Path):
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)  # reading it would block forever
    with pytest.raises(InputError, match="not a regular file"):
        read_rows(fifo)
    with pytest.raises(InputError, match="a part of the path is a file"):
        read_rows(tmp_path / "rows.csv" / "x.csv")


def test_json_nan_infinity_and_huge_integers_stay_visible_to_the_validator(tmp_path: Path):
    path = tmp_path / "rows.json"
    path.write_text(
        '[{"count": NaN, "latitude": Infinity, "longitude": -Infinity, "intercepted": ' + "9" * 5000 + "}]"
    )
    df = read_rows(path)
    assert df.loc[0, "count"] == "NaN" and df.loc[0, "latitude"] == "Infinity"
    assert df.loc[0, "intercepted"] == "9" * 5000  # more digits than Python converts: kept as text


def test_nul_far_into_a_csv_reaches_the_validator_with_its_row(tmp_path: Path):
    path = tmp_path / "rows.csv"
    rows = [make_row(event_id=f"r{i}", summary="padding " * 20) for i in range(40)]
    rows[-1]["title"] = "late\x00nul"
    path.write_text(to_csv(rows), encoding="utf-8")
    assert path.read_bytes().index(b"\x00") > 4096
    df = read_rows(path)
    _, problems = check(store.with_append_defaults(df)[0])
    assert [(p.row, p.column) for p in problems] == [(40, "title")]
    assert "control character U+0000" in problems[0].reason


def test_csv_columns_are_arrow_text_and_lists_split_like_before(tmp_path: Path):
    path = tmp_path / "rows.csv"
    path.write_text(to_csv([make_row(actors=[" A ", "", "B"])]), encoding="utf-8")
    df, problems = check(store.with_append_defaults(read_rows(path))[0])
    assert problems == []
    assert list(df.loc[0, "actors"]) == ["A", "B"]
