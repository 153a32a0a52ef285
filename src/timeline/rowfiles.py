"""Read a maintainer's CSV or JSON file of rows into a raw frame for `validation.check`.

Only the file format is handled here (encoding, CSV shape, JSON structure); values stay
as text or JSON values so that every bad value is reported by the validator with its row.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

CSV_SUFFIXES = (".csv",)
JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


class InputError(Exception):
    """The file cannot be read as rows at all (as opposed to rows with bad values)."""


def _decode(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a CSV or JSON file")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if b"\x00" in data[:4096]:
        raise InputError(f"{path}: binary data, not a CSV or JSON file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); expected CSV or JSON"
        ) from err


def _records_frame(records: list[object], path: Path) -> pd.DataFrame:
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(f"{path}: row {i} is {type(record).__name__}, expected a JSON object")
    if not records:
        raise InputError(f"{path}: no rows")
    return pd.DataFrame(records, dtype=object)  # object keeps 200 as 200, not 200.0


def read_json(text: str, path: Path) -> pd.DataFrame:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        ) from err
    if isinstance(data, dict):
        data = data.get("events", [data])
    if not isinstance(data, list):
        raise InputError(f'{path}: JSON must be a list of row objects or {{"events": [...]}}')
    return _records_frame(data, path)


def read_jsonl(text: str, path: Path) -> pd.DataFrame:
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise InputError(f"{path}: line {lineno} is not valid JSON ({err.msg})") from err
    return _records_frame(records, path)


def _strip_comment_header(text: str) -> str:
    """Drop leading `# ...` lines: `timeline export` states its filters there."""
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return "".join(lines[start:])


def read_csv(text: str, path: Path) -> pd.DataFrame:
    text = _strip_comment_header(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as err:
        raise InputError(f"{path}: not valid CSV ({err})") from err
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InputError(f"{path}: file is empty")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if len(set(header)) != len(header):
        raise InputError(f"{path}: header repeats a column name")
    if not body:
        raise InputError(f"{path}: header only, no rows")
    for i, row in enumerate(body, start=1):
        if len(row) != len(header):
            raise InputError(f"{path}: row {i} has {len(row)} fields, the header has {len(header)}")
    return pd.DataFrame(body, columns=header, dtype=object)


def read_rows(path: Path) -> pd.DataFrame:
    """Rows of a .csv, .json (list of objects) or .jsonl file, values unparsed."""
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + JSON_SUFFIXES + JSONL_SUFFIXES:
        raise InputError(f"{path}: not a CSV or JSON file (expected .csv, .json or .jsonl)")
    text = _decode(path)
    if suffix in CSV_SUFFIXES:
        return read_csv(text, path)
    if suffix in JSONL_SUFFIXES:
        return read_jsonl(text, path)
    return read_json(text, path)
