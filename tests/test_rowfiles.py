import json
from pathlib import Path

import pytest

from timeline.rowfiles import InputError, read_rows

from conftest import make_row


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
