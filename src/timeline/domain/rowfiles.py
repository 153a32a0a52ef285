"""Read a maintainer's CSV or JSON file of rows into a raw frame for `validation.check`.

Only the file format is handled here (encoding, CSV shape, JSON structure); values stay
as text or JSON values so that every bad value is reported by the validator with its row.
A NUL or other control character anywhere in a value is reported the same way; only a file
that starts with binary data (or is UTF-16/32 text) is refused here as a whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from timeline.domain.errors import InputError, Unreadable, unreadable
from timeline.domain.schema import COLUMNS

CSV_SUFFIXES = (".csv",)
JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
MAX_JSON_DEPTH = 20
"""Rows are objects of values and lists; anything nested deeper is not a row file."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def wide_encoding(head: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the bytes are text in one of those (a byte-order mark, or the
    NUL pattern of ASCII text in them), else None: such a file is text, not binary data."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:64]
    if len(sample) >= 8:
        if sample[1::4].count(0) == sample[2::4].count(0) == sample[3::4].count(0) == len(sample) // 4:
            return "UTF-32"
        if sample[1::2].count(0) == len(sample) // 2 or sample[0::2].count(0) == len(sample) // 2:
            return "UTF-16"
    return None


def check_readable(path: Path) -> None:
    """Raise InputError unless `path` is an existing regular file (not a folder, device or
    pipe, which would block or never end)."""
    why = unreadable(path)
    if why is not None:
        raise InputError(f"{path}: {_UNREADABLE[why]}")


_UNREADABLE = {
    Unreadable.MISSING: "no such file",
    Unreadable.UNDER_A_FILE: "no such file (a part of the path is a file, not a folder)",
    Unreadable.FOLDER: "is a folder, expected a CSV or JSON file",
    Unreadable.SPECIAL: "not a regular file (a device or a pipe?), expected a CSV or JSON file",
    Unreadable.DENIED: "permission denied; you may not read this file",
}


def _decode(path: Path) -> str:
    check_readable(path)
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    wide = wide_encoding(data[:64])
    if wide:
        raise InputError(f"{path}: {wide} text; save it as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet)")
    if b"\x00" in data[:4096]:
        raise InputError(f"{path}: binary data, not a CSV or JSON file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); expected CSV or JSON"
        ) from err


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a JSON value (a flat row is 1)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _records_frame(records: list[object], path: Path) -> pd.DataFrame:
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(f"{path}: row {i} is {type(record).__name__}, expected a JSON object")
    if not records:
        raise InputError(f"{path}: no rows")
    return pd.DataFrame(records, dtype=object)  # object keeps 200 as 200, not 200.0


def _constant(name: str) -> str:
    """JSON's non-standard NaN, Infinity and -Infinity stay the text they were, so the
    validator reports them ('not a whole number') instead of taking NaN for 'missing'."""
    return name


def _integer(text: str) -> int | str:
    """A JSON integer; one too long to be a count stays text (Python refuses to convert
    more than 4,300 digits), so the validator reports it as out of range."""
    return int(text) if len(text) <= 40 else text


def _loads(text: str) -> object:
    return json.loads(text, parse_constant=_constant, parse_int=_integer)


def _nesting_error(path: Path, where: str = "") -> InputError:
    return InputError(
        f"{path}: {where}JSON nested too deeply (more than {MAX_JSON_DEPTH} levels); "
        "a row file is a list of flat objects"
    )


def read_json(text: str, path: Path) -> pd.DataFrame:
    try:
        data = _loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        ) from err
    except RecursionError:
        raise _nesting_error(path) from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise _nesting_error(path)
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
            records.append(_loads(line))
        except json.JSONDecodeError as err:
            raise InputError(f"{path}: line {lineno} is not valid JSON ({err.msg})") from err
        except RecursionError:
            raise _nesting_error(path, f"line {lineno}: ") from None
    return _records_frame(records, path)


def _strip_comment_header(text: str) -> str:
    """Drop leading `# ...` lines: `timeline export` states its filters there."""
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return "".join(lines[start:])


BATCH_ROWS = 50_000
"""CSV rows held as Python strings at once; each batch then becomes Arrow text, so two
million rows cost their bytes, not 48 million string objects."""


class _Columns:
    """A CSV's rows gathered a batch at a time: schema columns as Arrow text (their values are
    validated), any other columns as one block of Python strings (only their names matter: a
    header of 100,000 unknown columns stays cheap)."""

    def __init__(self, header: list[str]):
        self.header = header
        self.known = [i for i, name in enumerate(header) if name in COLUMNS]
        self.other = [i for i, name in enumerate(header) if name not in COLUMNS]
        self.arrays: list[list[pa.Array]] = [[] for _ in self.known]
        self.blocks: list[np.ndarray] = []

    def add(self, batch: list[list[str]]) -> None:
        for slot, i in enumerate(self.known):
            self.arrays[slot].append(pa.array([row[i] for row in batch], pa.string()))
        if self.other:
            block = np.empty((len(batch), len(self.other)), dtype=object)
            block[:] = [[row[i] for i in self.other] for row in batch]
            self.blocks.append(block)

    def frame(self) -> pd.DataFrame:
        dtype = pd.StringDtype(na_value=float("nan"))
        known = pd.DataFrame(
            {
                self.header[i]: pd.Series(pd.array(pa.chunked_array(arrays, pa.string()), dtype=dtype))
                for i, arrays in zip(self.known, self.arrays, strict=True)
            }
        )
        if not self.other:
            return known
        other = pd.DataFrame(
            np.concatenate(self.blocks), columns=[self.header[i] for i in self.other], dtype=object
        )
        return pd.concat([known, other], axis=1) if self.known else other


def read_csv(text: str, path: Path) -> pd.DataFrame:
    """Rows of a CSV file as text columns: a header, then rows with as many fields."""
    text = _strip_comment_header(text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    columns: _Columns | None = None
    batch: list[list[str]] = []
    rows = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                if len(set(header)) != len(header):
                    raise InputError(f"{path}: header repeats a column name")
                columns = _Columns(header)
                continue
            rows += 1
            if len(row) != len(header):
                raise InputError(f"{path}: row {rows} has {len(row)} fields, the header has {len(header)}")
            batch.append(row)
            if len(batch) == BATCH_ROWS:
                columns.add(batch)
                batch = []
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise InputError(
                f"{path}: line {reader.line_num:,} has a field longer than {csv.field_size_limit():,} "
                "characters; no field of a row may be that long (see docs/schema.md for the limits)"
            ) from err
        raise InputError(f"{path}: not valid CSV ({err}, line {reader.line_num:,})") from err
    if header is None or columns is None:
        raise InputError(f"{path}: file is empty")
    if not rows:
        raise InputError(f"{path}: header only, no rows")
    if batch:
        columns.add(batch)
    return columns.frame()


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
