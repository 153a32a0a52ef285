"""A hostile-input corpus for the `timeline` command.

Every case builds a folder (a small dataset plus whatever hostile file the case needs), runs
one command in-process, and asserts what a user would see: the exit code, an error line that
names the problem, no Python traceback, and every file in the folder byte-for-byte as it was
(no half-written dataset, rejects file, backup or temp file; only a lock file may appear).
A few cases run through the real entry point, some as an unprivileged user.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.storage import locking, store

from conftest import ROOT, frame, make_row

runner = CliRunner()
FIXTURES = ROOT / "tests" / "fixtures" / "import"
Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One hostile command: args may use {tmp} (the case folder) and {data} (its dataset)."""

    id: str
    args: tuple[str, ...]
    code: int
    message: str
    setup: tuple[Setup, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


# --- building hostile files -------------------------------------------------------------------


def row(**overrides: object) -> dict[str, object]:
    return make_row(**{"event_id": "hostile-row", "actors": ["Someone New"], **overrides})


def json_rows(name: str, *rows: dict[str, object]) -> Setup:
    return lambda tmp: (tmp / name).write_text(json.dumps(list(rows) or [row()], allow_nan=True))


def json_row(name: str = "rows.json", **overrides: object) -> Setup:
    return json_rows(name, row(**overrides))


def json_text(name: str, text: str) -> Setup:
    return lambda tmp: (tmp / name).write_text(text, encoding="utf-8")


def csv_rows(name: str, *rows: dict[str, object]) -> Setup:
    def write(tmp: Path) -> None:
        import csv

        with (tmp / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            for r in rows:
                writer.writerow(
                    {
                        k: ";".join(v) if isinstance(v, list) else ("" if v is None else v)
                        for k, v in r.items()
                    }
                )

    return write


def csv_row(name: str = "rows.csv", **overrides: object) -> Setup:
    return csv_rows(name, row(**overrides))


def raw(name: str, content: bytes) -> Setup:
    def write(tmp: Path) -> None:
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(content)

    return write


def folder(name: str) -> Setup:
    return lambda tmp: (tmp / name).mkdir(parents=True)


def fifo(name: str) -> Setup:
    return lambda tmp: os.mkfifo(tmp / name)


def symlink(name: str, to: str) -> Setup:
    return lambda tmp: (tmp / name).symlink_to(to)


def mode(name: str, bits: int) -> Setup:
    return lambda tmp: (tmp / name).chmod(bits)


def copy_of_data(name: str, cut: int | None = None) -> Setup:
    def write(tmp: Path) -> None:
        data = (tmp / "events.parquet").read_bytes()
        (tmp / name).write_bytes(data if cut is None else data[:cut])

    return write


def hostile_parquet(name: str, column: str, value: object, arrow_type: pa.DataType | None = None) -> Setup:
    """The case's dataset with row 1's `column` set to `value`, written as Parquet directly
    (the store would refuse to write it)."""

    def write(tmp: Path) -> None:
        table = pq.read_table(tmp / "events.parquet")
        i = table.schema.get_field_index(column)
        values = table.column(column).to_pylist()
        values[0] = value
        if arrow_type is not None:  # a column of another type altogether
            values = [value] * len(values)
        typ = arrow_type or table.schema.field(column).type
        table = table.set_column(i, pa.field(column, typ), pa.array(values, typ, from_pandas=False))
        pq.write_table(table, tmp / name)

    return write


def wide_csv(name: str, extra: int) -> Setup:
    """One good row under a header with `extra` unknown columns."""

    def write(tmp: Path) -> None:
        good = {
            k: ";".join(v) if isinstance(v, list) else ("" if v is None else str(v)) for k, v in row().items()
        }
        header = ",".join([*good, *(f"extra_{i}" for i in range(extra))])
        (tmp / name).write_text(header + "\n" + ",".join([*good.values(), *[""] * extra]) + "\n")

    return write


def many_bad_rows(name: str, n: int) -> Setup:
    return json_rows(name, *(row(event_id=f"bad-{i}", count="lots", latitude=500) for i in range(n)))


TEN_MB = "x" * 10_000_000
FAR_NUL_CSV = csv_rows(
    "far.csv",
    *(row(event_id=f"pad-{i}", summary="padding " * 30) for i in range(30)),
    row(title="late\x00nul"),
)
UTF16 = "event_id,title\nx,y\n".encode("utf-16")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
DEEP = "[" * 100_000 + "]" * 100_000

A = ("append",)
D = ("--data", "{data}")
ADD = (
    "add",
    "--title",
    "Hostile test",
    "--type",
    "meeting",
    "--outlet",
    "Test Outlet",
    "--confidence",
    "reported",
)
ADD_DAY = (*ADD, "--start", "2024-11-27")


def append_case(id: str, setup: Setup, file: str, message: str, code: int = 1) -> Case:
    return Case(id, (*A, "{tmp}/" + file, *D), code, message, (setup,))


# fmt: off
CASES: list[Case] = [
    # --- append: numbers ---------------------------------------------------------------------------
    append_case('count-2^63', json_row(count=2 ** 63), 'rows.json', "count = '9223372036854775808': out of range"),
    append_case('count-2^64-csv', csv_row(count='18446744073709551616'), 'rows.csv', 'out of range'),
    append_case('count-5000-digits', json_text('rows.json', json.dumps([row()]).replace('"count": 188', '"count": ' + '9' * 5000)), 'rows.json', "column count = '99999"),
    append_case('count-1e400', json_text('rows.json', json.dumps([row()]).replace('"count": 188', '"count": 1e400')), 'rows.json', "column count = 'inf': not a whole number"),
    append_case('count-nan-json', json_row(count=float('nan')), 'rows.json', "column count = 'NaN': not a whole number"),
    append_case('count-infinity-json', json_row(count=float('inf')), 'rows.json', "column count = 'Infinity': not a whole number"),
    append_case('count--infinity-json', json_row(count=float('-inf')), 'rows.json', "'-Infinity': not a whole number"),
    append_case('count-true', json_row(count=True), 'rows.json', "column count = 'True': not a whole number"),
    append_case('count-false', json_row(count=False, intercepted=None), 'rows.json', "column count = 'False': not a whole number"),
    append_case('count-fraction', json_row(count=2.5), 'rows.json', 'not a whole number'),
    append_case('count-text-csv', csv_row(count='12abc'), 'rows.csv', "column count = '12abc': not a whole number"),
    append_case('count-nan-csv', csv_row(count='nan'), 'rows.csv', "column count = 'nan': not a whole number"),
    append_case('count-negative', json_row(count=-1, intercepted=None), 'rows.json', 'must not be negative'),
    append_case('intercepted-2^64', json_row(intercepted=2 ** 64), 'rows.json', "intercepted = '18446744073709551616': out of range"),
    append_case('intercepted-below-int64', json_row(intercepted=-2 ** 63 - 1), 'rows.json', 'out of range'),
    append_case('intercepted-over-count', json_row(intercepted=300), 'rows.json', 'intercepted is larger than count'),
    append_case('latitude-nan-json', json_row(latitude=float('nan')), 'rows.json', "column latitude = 'NaN': not a finite number"),
    append_case('longitude-infinity-json', json_row(longitude=float('inf')), 'rows.json', "longitude = 'Infinity': not a finite number"),
    append_case('latitude-true', json_row(latitude=True), 'rows.json', "latitude = 'True': not a finite number"),
    append_case('latitude-nan-csv', csv_row(latitude='NaN'), 'rows.csv', 'not a finite number'),
    append_case('latitude-1e400', json_text('rows.json', json.dumps([row()]).replace('"latitude": 50.45', '"latitude": 1e400')), 'rows.json', 'not a finite number'),
    append_case('latitude-91', json_row(latitude=91), 'rows.json', 'latitude must be between -90 and 90'),
    append_case('longitude-text', csv_row(longitude='east'), 'rows.csv', "longitude = 'east': not a finite number"),
    # --- append: text lengths ----------------------------------------------------------------------
    append_case('summary-10MB', json_row(summary=TEN_MB), 'rows.json', "column summary = 'xxx"),
    append_case('summary-5001', json_row(summary='s' * 5001), 'rows.json', 'longer than 5,000 characters'),
    append_case('title-201', json_row(title='t' * 201), 'rows.json', "column title = 'ttt"),
    append_case('location-301', json_row(location='l' * 301), 'rows.json', 'longer than 300 characters'),
    append_case('date-text-101', json_row(date_text='d' * 101), 'rows.json', 'longer than 100 characters'),
    append_case('weapon-201', json_row(weapon='w' * 201), 'rows.json', 'longer than 200 characters'),
    append_case('outlet-501', json_row(source_outlet='o' * 501), 'rows.json', 'longer than 500 characters'),
    append_case('url-2001', json_row(source_url='https://e.org/' + 'u' * 2000), 'rows.json', 'longer than 2,000 characters'),
    append_case('event-id-161', json_row(event_id='e' * 161), 'rows.json', 'longer than 160 characters'),
    append_case('dataset-label-65', json_row(dataset='d' * 65), 'rows.json', 'longer than 64 characters'),
    append_case('actor-201', json_row(actors=['a' * 201]), 'rows.json', 'has an item longer than 200 characters'),
    append_case('actors-51', json_row(actors=[f'A{i}' for i in range(51)]), 'rows.json', 'has more than 50 items'),
    append_case('countries-51', json_row(countries=['UKR'] * 51), 'rows.json', 'countries = '),
    append_case('other-sources-21', json_row(other_sources=[f'https://e.org/{i}' for i in range(21)]), 'rows.json', 'more than 20 items'),
    # --- append: control characters ----------------------------------------------------------------
    append_case('title-nul', json_row(title='a\x00b'), 'rows.json', 'control character U+0000 at character 2'),
    append_case('title-newline', json_row(title='two\nlines'), 'rows.json', 'control character U+000A'),
    append_case('title-tab-csv', csv_row(title='tab\there'), 'rows.csv', 'control character U+0009'),
    append_case('summary-escape', json_row(summary='red \x1b[31m text'), 'rows.json', 'control character U+001B'),
    append_case('summary-nul-far', json_row(summary='s' * 4500 + '\x00'), 'rows.json', 'control character U+0000 at character 4,501'),
    append_case('csv-nul-after-4kB', FAR_NUL_CSV, 'far.csv', 'row 31, event_id hostile-row, column title'),
    append_case('location-c1', json_row(location='Ky\x85iv'), 'rows.json', 'control character U+0085'),
    append_case('actor-bell', json_row(actors=['A', 'B\x07']), 'rows.json', "actors = 'A B\\x07': contains control character U+0007"),
    append_case('other-source-nul', json_row(other_sources=['https://e.org/\x00']), 'rows.json', 'control character U+0000'),
    append_case('date-text-escape', json_row(date_text='\x1bnight'), 'rows.json', 'control character U+001B at character 1'),
    append_case('weapon-del', json_row(weapon='Shahed\x7f'), 'rows.json', 'control character U+007F'),
    append_case('outlet-c1', json_row(source_outlet='Outlet\x9b1m'), 'rows.json', 'control character U+009B'),
    append_case('event-id-nul', json_row(event_id='id\x00x'), 'rows.json', 'not a slug'),
    # --- append: dates -----------------------------------------------------------------------------
    append_case('date-year-1', json_row(date_start='0001-01-01', date_end='0001-01-01'), 'rows.json', "date_start = '0001-01-01': outside the plausible range 1900-01-01 to 2100-12-31"),
    append_case('date-year-9999', json_row(date_end='9999-12-31', date_precision='day'), 'rows.json', "date_end = '9999-12-31': outside the plausible range"),
    append_case('published-2101', json_row(source_published='2101-01-01'), 'rows.json', "source_published = '2101-01-01': outside the plausible range"),
    append_case('date-1899', json_row(date_start='1899-12-31'), 'rows.json', 'outside the plausible range'),
    append_case('date-feb-30', json_row(date_start='2024-02-30'), 'rows.json', 'not a date in YYYY-MM-DD form'),
    append_case('date-word', csv_row(date_start='yesterday'), 'rows.csv', "date_start = 'yesterday': not a date"),
    append_case('date-true', json_row(date_start=True), 'rows.json', 'not a date'),
    append_case('date-order', json_row(date_start='2024-11-27', date_end='2024-11-01'), 'rows.json', 'date_end is before date_start'),
    # --- append: other values ----------------------------------------------------------------------
    append_case('title-list', json_row(title=['a', 'b']), 'rows.json', 'title = "[\'a\', \'b\']": expected text'),
    append_case('actors-object', json_row(actors={'a': 1}), 'rows.json', 'expected a list of text'),
    append_case('nested-30-levels', json_text('rows.json', '[{"actors": ' + '[' * 30 + ']' * 30 + '}]'), 'rows.json', 'nested too deeply'),
    append_case('country-xyz', json_row(countries=['XYZ']), 'rows.json', 'not ISO 3166-1 alpha-3'),
    append_case('type-unknown', json_row(event_type='drone_strike'), 'rows.json', 'not a known event type'),
    append_case('confidence-unknown', json_row(confidence='certain'), 'rows.json', 'not one of confirmed'),
    append_case('url-javascript', json_row(source_url='javascript:alert(1)'), 'rows.json', 'not an http(s) URL'),
    append_case('unit-unknown', json_row(count_unit='balloons'), 'rows.json', 'not a known count unit'),
    append_case('id-already-there', json_row(event_id='2024-11-25-ru-drone-attack-test'), 'rows.json', 'event_id already in the dataset'),
    append_case('id-twice', json_rows('rows.json', row(), row()), 'rows.json', 'duplicate event_id'),
    append_case('missing-column', json_text('rows.json', '[{"event_id": "a"}]'), 'rows.json', 'missing required column date_start'),
    append_case('unknown-column', json_rows('rows.json', {**row(), 'evnt_type': 'x'}), 'rows.json', 'unknown column (did you mean event_type?)'),
    append_case('thousand-bad-rows', many_bad_rows('rows.json', 1000), 'rows.json', "... and 900 more 'count: not a whole number' problems"),
    append_case('100k-columns', wide_csv('wide.csv', 100000), 'wide.csv', "... and 99,900 more 'unknown column' problems"),
    # --- append: the rows file ---------------------------------------------------------------------
    append_case('deep-json', json_text('deep.json', DEEP), 'deep.json', 'deep.json: JSON nested too deeply'),
    append_case('deep-jsonl', json_text('deep.jsonl', DEEP), 'deep.jsonl', 'line 1: JSON nested too deeply'),
    append_case('utf16-le-bom', raw('u.csv', UTF16), 'u.csv', 'u.csv: UTF-16 text; save it as UTF-8'),
    append_case('utf16-be', raw('u.csv', 'event_id\nx\n'.encode('utf-16-be')), 'u.csv', 'UTF-16 text'),
    append_case('utf32-json', raw('u.json', '[{"a": 1}]'.encode('utf-32')), 'u.json', 'UTF-32 text'),
    append_case('png', raw('p.csv', PNG), 'p.csv', 'p.csv: binary data'),
    append_case('latin-1', raw('l.csv', 'event_id\nKyïv\n'.encode('latin-1')), 'l.csv', 'not UTF-8 text'),
    append_case('empty', raw('e.csv', b''), 'e.csv', 'e.csv: file is empty'),
    append_case('blank-json', raw('e.json', b'  \n\n'), 'e.json', 'file is empty'),
    append_case('header-only', raw('h.csv', b'event_id,title\n'), 'h.csv', 'header only, no rows'),
    append_case('ragged', raw('r.csv', b'a,b\n1,2,3\n'), 'r.csv', 'row 1 has 3 fields, the header has 2'),
    append_case('header-twice', raw('r.csv', b'a,a\n1,2\n'), 'r.csv', 'header repeats a column name'),
    append_case('unclosed-quote', raw('q.csv', b'event_id,title\nx,"never closed\n'), 'q.csv', 'not valid CSV'),
    append_case('field-over-limit', raw('big.csv', b'event_id,summary\nx,' + b's' * 140000 + b'\n'), 'big.csv', 'line 2 has a field longer than 131,072 characters'),
    append_case('json-scalars', raw('s.json', b'[1, 2]'), 's.json', 'row 1 is int, expected a JSON object'),
    append_case('json-string', raw('s.json', b'"events"'), 's.json', 'JSON must be a list of row objects'),
    append_case('json-broken', raw('s.json', b'[{]'), 's.json', 'not valid JSON'),
    append_case('jsonl-broken-line', raw('s.jsonl', b'{"a": 1}\n{oops\n'), 's.jsonl', 'line 2 is not valid JSON'),
    append_case('json-no-rows', raw('s.json', b'[]'), 's.json', 'no rows'),
    append_case('xlsx', raw('s.xlsx', b'PK\x03\x04'), 's.xlsx', 'not a CSV or JSON file'),
    append_case('rows-missing', lambda tmp: None, 'nope.csv', 'nope.csv: no such file'),
    append_case('rows-folder', folder('dir.csv'), 'dir.csv', 'dir.csv: is a folder'),
    append_case('rows-fifo', fifo('pipe.csv'), 'pipe.csv', 'pipe.csv: not a regular file'),
    append_case('rows-under-a-file', raw('afile', b''), 'afile/rows.csv', 'a part of the path is a file, not a folder'),
    # --- append: the dataset -----------------------------------------------------------------------
    Case('data-folder', (*A, '{tmp}/rows.json', '--data', '{tmp}/dir'), 1, 'dir: is a folder, not a dataset file', (json_row(), folder('dir'))),
    Case('data-folder-env', (*A, '{tmp}/rows.json'), 1, 'is a folder, not a dataset file', (json_row(),), {store.ENV_VAR: '{tmp}'}),
    Case('data-missing', (*A, '{tmp}/rows.json', '--data', '{tmp}/evnets.parquet'), 1, 'evnets.parquet: no such dataset file. To start a new dataset there, run the command again with --create', (json_row(),)),
    Case('data-under-a-file', (*A, '{tmp}/rows.json', '--data', '{tmp}/afile/e.parquet', '--create'), 1, 'afile is a file, not a folder', (json_row(), raw('afile', b'x'))),
    Case('data-not-parquet', (*A, '{tmp}/rows.json', '--data', '{tmp}/g.parquet'), 1, 'g.parquet: not a readable Parquet file', (json_row(), raw('g.parquet', b"somebody's notes"))),
    Case('data-empty-file', (*A, '{tmp}/rows.json', '--data', '{tmp}/g.parquet'), 1, 'not a readable Parquet file', (json_row(), raw('g.parquet', b''))),
    Case('data-truncated', (*A, '{tmp}/rows.json', '--data', '{tmp}/t.parquet'), 1, 't.parquet: not a readable Parquet file', (json_row(), copy_of_data('t.parquet', cut=2000))),
    Case('data-other-schema', (*A, '{tmp}/rows.json', '--data', '{tmp}/o.parquet'), 1, 'not in the event schema', (json_row(), lambda tmp: pq.write_table(pa.table({'a': [1]}), tmp / 'o.parquet'))),
    Case('data-read-only', (*A, '{tmp}/rows.json', *D), 1, 'read-only (mode 0444)', (json_row(), mode('events.parquet', 292))),
    Case('data-symlink-loop', (*A, '{tmp}/rows.json', '--data', '{tmp}/loop.parquet'), 1, 'loop.parquet: too many levels of symbolic links', (json_row(), symlink('loop.parquet', 'loop.parquet'))),
    Case('data-fifo', (*A, '{tmp}/rows.json', '--data', '{tmp}/p.parquet'), 1, 'p.parquet: not a regular file', (json_row(), fifo('p.parquet'))),
    Case('data-dev-null', (*A, '{tmp}/rows.json', '--data', '/dev/null'), 1, '/dev/null: not a regular file', (json_row(),)),
    Case('data-bad-lock-timeout', (*A, '{tmp}/rows.json', *D), 1, "TIMELINE_LOCK_TIMEOUT='-1': give a number of seconds", (json_row(),), {locking.TIMEOUT_ENV: '-1'}),
    Case('data-nan-lock-timeout', (*A, '{tmp}/rows.json', *D), 1, "TIMELINE_LOCK_TIMEOUT='nan'", (json_row(),), {locking.TIMEOUT_ENV: 'nan'}),
    # --- add ---------------------------------------------------------------------------------------
    Case('add-count-2^63', (*ADD_DAY, '--count', str(2 ** 63), '--unit', 'drones', *D), 1, 'out of range'),
    Case('add-count-25-digits', (*ADD_DAY, '--count', '9' * 25, '--unit', 'drones', *D), 1, 'out of range'),
    Case('add-intercepted-2^63', (*ADD_DAY, '--count', '5', '--intercepted', str(2 ** 63), '--unit', 'drones', *D), 1, "intercepted = '9223372036854775808': out of range"),
    Case('add-count-negative', (*ADD_DAY, '--count', '-1', '--unit', 'drones', *D), 1, 'must not be negative'),
    Case('add-lat-nan', (*ADD_DAY, '--lat', 'nan', '--lon', '30', *D), 2, '--lat nan: not a finite number'),
    Case('add-lon-inf', (*ADD_DAY, '--lat', '50', '--lon', 'inf', *D), 2, '--lon inf: not a finite number'),
    Case('add-lat-text', (*ADD_DAY, '--lat', 'north', *D), 2, "Invalid value for '--lat'"),
    Case('add-lat-91', (*ADD_DAY, '--lat', '91', '--lon', '30', *D), 1, 'latitude must be between -90 and 90'),
    Case('add-title-escape', ('add', '--title', 'red \x1b[31m', '--type', 'meeting', '--outlet', 'O', '--confidence', 'reported', '--start', '2024-11-27', *D), 1, 'control character U+001B'),
    Case('add-title-newline', ('add', '--title', 'two\nlines', '--type', 'meeting', '--outlet', 'O', '--confidence', 'reported', '--start', '2024-11-27', *D), 1, 'control character U+000A'),
    Case('add-title-201', ('add', '--title', 't' * 201, '--type', 'meeting', '--outlet', 'O', '--confidence', 'reported', '--start', '2024-11-27', '--id', 'long-title', *D), 1, 'longer than 200 characters'),
    Case('add-summary-6000', (*ADD_DAY, '--summary', 's' * 6000, *D), 1, 'longer than 5,000 characters'),
    Case('add-start-year-1', (*ADD, '--start', '0001-01-01', *D), 1, 'outside the plausible range'),
    Case('add-start-9999', (*ADD, '--start', '9999-12-31', *D), 1, "date_start = '9999-12-31': outside the plausible range"),
    Case('add-start-month-13', (*ADD, '--start', '2024-13-01', *D), 1, 'not a date in YYYY-MM-DD form'),
    Case('add-published-2200', (*ADD_DAY, '--published', '2200-01-01', *D), 1, "source_published = '2200-01-01': outside the plausible range"),
    Case('add-when-unknown', (*ADD, '--when', 'next blue moon', '--published', '2024-11-27', *D), 1, 'next blue moon'),
    Case('add-when-no-reference', (*ADD, '--when', 'last week', *D), 1, "--when 'last week': a reported phrase needs the date it was published"),
    Case('add-as-of-bad', (*ADD, '--when', 'Monday', '--as-of', '27/11/2024', *D), 1, "--as-of '27/11/2024': not a date in YYYY-MM-DD form"),
    Case('add-no-date', (*ADD, *D), 1, '--start: give a start date, or the date as reported'),
    Case('add-data-missing', (*ADD_DAY, '--data', '{tmp}/typo.parquet'), 1, 'typo.parquet: no such dataset file. To start a new dataset there, run the command again with --create'),
    Case('add-data-folder', (*ADD_DAY, '--data', '{tmp}'), 1, 'is a folder, not a dataset file'),
    Case('add-data-read-only', (*ADD_DAY, *D), 1, 'read-only (mode 0444)', (mode('events.parquet', 292),)),
    Case('add-data-under-a-file', (*ADD_DAY, '--data', '{tmp}/afile/x.parquet', '--create'), 1, 'afile is a file, not a folder', (raw('afile', b''),)),
    Case('add-country-xyz', (*ADD_DAY, '--country', 'XYZ', *D), 1, 'not ISO 3166-1 alpha-3'),
    Case('add-type-nope', ('add', '--title', 'T', '--type', 'nope', '--outlet', 'O', '--confidence', 'reported', '--start', '2024-11-27', *D), 1, 'not a known event type'),
    Case('add-bad-id', (*ADD_DAY, '--id', 'Bad ID', *D), 1, "event_id = 'Bad ID': not a slug"),
    Case('add-url-javascript', (*ADD_DAY, '--url', 'javascript:alert(1)', *D), 1, 'not an http(s) URL'),
    Case('add-other-source-ftp', (*ADD_DAY, '--other-source', 'ftp://x', *D), 1, 'not an http(s) URL'),
    Case('add-intercepted-over-count', (*ADD_DAY, '--count', '200', '--intercepted', '300', '--unit', 'drones', *D), 1, 'intercepted is larger than count'),
    # --- import ------------------------------------------------------------------------------------
    # A UTF-16 export is read since issue #20 (tests/test_import_quirks.py); an unknown encoding is a bad flag
    Case('import-encoding-unknown', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{data}', '--encoding', 'klingon'), 2, "--encoding 'klingon': not a text encoding"),
    Case('import-missing', ('import', '--format', 'acled', '{tmp}/nope.csv', '--into', '{data}'), 1, 'nope.csv: no such file'),
    Case('import-folder', ('import', '--format', 'acled', '{tmp}/d', '--into', '{data}'), 1, 'is a folder, expected an ACLED export', (folder('d'),)),
    Case('import-fifo', ('import', '--format', 'acled', '{tmp}/p.csv', '--into', '{data}'), 1, 'not a regular file', (fifo('p.csv'),)),
    Case('import-empty', ('import', '--format', 'acled', '{tmp}/e.csv', '--into', '{data}'), 1, 'file is empty', (raw('e.csv', b''),)),
    Case('import-png', ('import', '--format', 'acled', '{tmp}/p.csv', '--into', '{data}'), 1, 'p.csv:', (raw('p.csv', PNG),)),
    Case('import-into-missing', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{tmp}/typo.parquet'), 1, 'typo.parquet: no such dataset file (use --out to create a new one)'),
    Case('import-into-folder', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{tmp}'), 1, 'is a folder, not a dataset file'),
    Case('import-into-read-only', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{data}', '--rejects', '{tmp}/rej/r.csv'), 1, 'read-only (mode 0444)', (mode('events.parquet', 292),)),
    Case('import-into-garbage', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{tmp}/g.parquet'), 1, 'g.parquet', (raw('g.parquet', b'not parquet'),)),
    Case('import-into-loop', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{tmp}/loop.parquet'), 1, 'loop.parquet', (symlink('loop.parquet', 'loop.parquet'),)),
    Case('import-out-under-a-file', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--out', '{tmp}/afile/a.parquet'), 1, 'afile is not a folder', (raw('afile', b''),)),
    Case('import-out-folder', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--out', '{tmp}'), 1, 'is a folder; give a dataset file in it'),
    Case('import-rejects-under-a-file', ('import', '--format', 'acled', str(FIXTURES / 'acled_messy.csv'), '--into', '{data}', '--rejects', '{tmp}/afile/r.csv'), 2, 'afile is not a folder', (raw('afile', b''),)),
    Case('import-format-nope', ('import', '--format', 'nope', str(FIXTURES / 'acled_messy.csv'), '--into', '{data}'), 2, "--format 'nope': choose one of"),
    Case('import-csv-no-mapping', ('import', '--format', 'csv', str(FIXTURES / 'sheet.csv'), '--into', '{data}'), 2, '--format csv needs --mapping'),
    Case('import-wrong-format', ('import', '--format', 'ucdp', str(FIXTURES / 'acled_messy.csv'), '--into', '{data}'), 1, 'not a UCDP'),
    # --- export: data and --out paths --------------------------------------------------------------
    Case('export-data-folder', ('export', '--format', 'csv', '--data', '{tmp}', '--out', '{tmp}/x.csv'), 1, 'is a folder, not a dataset file'),
    Case('export-data-missing', ('export', '--format', 'csv', '--data', '{tmp}/none.parquet', '--out', '{tmp}/x.csv'), 1, 'none.parquet: no such dataset file'),
    Case('export-data-under-a-file', ('export', '--format', 'csv', '--data', '{tmp}/afile/e.parquet', '--out', '{tmp}/x.csv'), 1, 'afile is a file, not a folder', (raw('afile', b''),)),
    Case('export-data-garbage', ('export', '--format', 'csv', '--data', '{tmp}/g.parquet', '--out', '{tmp}/x.csv'), 1, 'not a readable Parquet file', (raw('g.parquet', b'PAR1 nonsense'),)),
    Case('export-data-empty', ('export', '--format', 'csv', '--data', '{tmp}/g.parquet', '--out', '{tmp}/x.csv'), 1, 'g.parquet: not a readable Parquet file', (raw('g.parquet', b''),)),
    Case('export-data-fifo', ('export', '--format', 'csv', '--data', '{tmp}/p.parquet', '--out', '{tmp}/x.csv'), 1, 'not a regular file', (fifo('p.parquet'),)),
    Case('export-out-under-a-file', ('export', '--format', 'csv', *D, '--out', '{tmp}/afile/x.csv'), 1, 'afile: is a file, not a folder', (raw('afile', b''),)),
    Case('export-out-under-a-file-parquet', ('export', '--format', 'parquet', *D, '--out', '{tmp}/afile/sub/x.parquet'), 1, 'afile', (raw('afile', b''),)),
    Case('export-out-deep-under-a-file', ('export', '--format', 'csv', '--format', 'parquet', *D, '--out', '{tmp}/afile/dir'), 1, 'is a file, not a folder', (raw('afile', b''),)),
    # --- synth -------------------------------------------------------------------------------------
    Case('synth-events-2^63', ('synth', '--events', str(2 ** 63), '--out', '{tmp}/s.parquet'), 2, "Invalid value for '--events'"),
    Case('synth-events-0', ('synth', '--events', '0', '--out', '{tmp}/s.parquet'), 2, "Invalid value for '--events'"),
    Case('synth-events-negative', ('synth', '--events', '-5', '--out', '{tmp}/s.parquet'), 2, "Invalid value for '--events'"),
    Case('synth-events-text', ('synth', '--events', 'many', '--out', '{tmp}/s.parquet'), 2, "Invalid value for '--events'"),
    Case('synth-seed-negative', ('synth', '--events', '5', '--seed', '-1', '--out', '{tmp}/s.parquet'), 2, "Invalid value for '--seed'"),
    Case('synth-out-under-a-file', ('synth', '--events', '5', '--out', '{tmp}/afile/s.parquet'), 1, 'afile is a file, not a folder', (raw('afile', b''),)),
    Case('synth-out-folder', ('synth', '--events', '5', '--out', '{tmp}'), 1, 'is a folder, not a dataset file'),
    Case('synth-out-read-only', ('synth', '--events', '5', '--out', '{tmp}/s.parquet'), 1, 'read-only (mode 0444)', (raw('s.parquet', b'keep me'), mode('s.parquet', 292))),
    Case('synth-out-fifo', ('synth', '--events', '5', '--out', '{tmp}/p.parquet'), 1, 'not a regular file', (fifo('p.parquet'),)),
    Case('synth-out-loop', ('synth', '--events', '5', '--out', '{tmp}/loop.parquet'), 1, 'too many levels of symbolic links', (symlink('loop.parquet', 'loop.parquet'),)),
    # --- validate ----------------------------------------------------------------------------------
    Case('validate-folder', ('validate', '{tmp}'), 1, 'is a folder, not a dataset file'),
    Case('validate-missing', ('validate', '{tmp}/none.parquet'), 1, 'none.parquet: no such dataset file'),
    Case('validate-garbage', ('validate', '{tmp}/g.parquet'), 1, 'not a readable Parquet file', (raw('g.parquet', b'zzz'),)),
    Case('validate-truncated', ('validate', '{tmp}/t.parquet'), 1, 'not a readable Parquet file', (copy_of_data('t.parquet', cut=3000),)),
    Case('validate-fifo', ('validate', '{tmp}/p.parquet'), 1, 'not a regular file', (fifo('p.parquet'),)),
    Case('validate-nan-latitude', ('validate', '{tmp}/h.parquet'), 1, "row 1, event_id 2024-11-25-ru-drone-attack-test, column latitude = 'nan': not a finite number (NaN)", (hostile_parquet('h.parquet', 'latitude', float('nan')),)),
    Case('validate-inf-longitude', ('validate', '{tmp}/h.parquet'), 1, "column longitude = 'inf': not a finite number", (hostile_parquet('h.parquet', 'longitude', float('inf')),)),
    Case('validate-nul-title', ('validate', '{tmp}/h.parquet'), 1, "column title = 'a\\x00b': contains control character U+0000", (hostile_parquet('h.parquet', 'title', 'a\x00b'),)),
    Case('validate-10MB-summary', ('validate', '{tmp}/h.parquet'), 1, "column summary = 'xxx", (hostile_parquet('h.parquet', 'summary', TEN_MB),)),
    Case('validate-year-9999', ('validate', '{tmp}/h.parquet'), 1, 'outside the plausible range', (hostile_parquet('h.parquet', 'date_end', __import__('datetime').date(9999, 12, 31)),)),
    Case('validate-bool-count', ('validate', '{tmp}/h.parquet'), 1, 'column count: stored as bool, expected int64', (hostile_parquet('h.parquet', 'count', True, pa.bool_()),)),
    Case('validate-duplicate-ids', ('validate', '{tmp}/h.parquet'), 1, 'duplicate event_id', (hostile_parquet('h.parquet', 'event_id', '2024-10-month-test'),)),
    Case('validate-other-schema', ('validate', '{tmp}/o.parquet'), 1, 'missing column', (lambda tmp: pq.write_table(pa.table({'a': [1]}), tmp / 'o.parquet'),)),
    Case('validate-utf16-csv', ('validate', '{tmp}/u.csv'), 1, 'UTF-16 text', (raw('u.csv', UTF16),)),
    Case('validate-many-bad-rows', ('validate', '{tmp}/rows.json'), 1, '1,000 problem(s)', (many_bad_rows('rows.json', 500),)),
    Case('validate-loop', ('validate', '{tmp}/loop.parquet'), 1, 'too many levels of symbolic links', (symlink('loop.parquet', 'loop.parquet'),)),
    # --- diff, stats, dump -------------------------------------------------------------------------
    Case('diff-old-folder', ('diff', '{tmp}', '{data}'), 1, 'is a folder, not a dataset file'),
    Case('diff-new-missing', ('diff', '{data}', '{tmp}/none.parquet'), 1, 'none.parquet: no such dataset file'),
    Case('diff-garbage', ('diff', '{data}', '{tmp}/g.parquet'), 1, 'not a readable Parquet file', (raw('g.parquet', b'x' * 100),)),
    Case('diff-truncated', ('diff', '{tmp}/t.parquet', '{data}'), 1, 't.parquet: not a readable Parquet file', (copy_of_data('t.parquet', cut=5000),)),
    Case('diff-other-schema', ('diff', '{data}', '{tmp}/o.parquet'), 1, 'not in the event schema', (lambda tmp: pq.write_table(pa.table({'a': [1]}), tmp / 'o.parquet'),)),
    Case('diff-format-xml', ('diff', '{data}', '{data}', '--format', 'xml'), 2, "--format 'xml': choose text or json"),
    Case('diff-ignore-nope', ('diff', '{data}', '{data}', '--ignore', 'nope'), 2, '--ignore nope: not a column'),
    Case('stats-folder', ('stats', '{tmp}'), 1, 'is a folder, not a dataset file'),
    Case('stats-missing', ('stats', '{tmp}/none.parquet'), 1, 'no such dataset file'),
    Case('stats-under-a-file', ('stats', '{tmp}/afile/x.parquet'), 1, 'afile is a file, not a folder', (raw('afile', b''),)),
    Case('stats-garbage', ('stats', '{tmp}/g.parquet'), 1, 'not a readable Parquet file', (raw('g.parquet', b'PAR1'),)),
    Case('stats-fifo', ('stats', '{tmp}/p.parquet'), 1, 'not a regular file', (fifo('p.parquet'),)),
    Case('stats-dev-zero', ('stats', '/dev/zero'), 1, '/dev/zero: not a regular file'),
    Case('stats-env-folder', ('stats',), 1, 'is a folder, not a dataset file', (), {store.ENV_VAR: '{tmp}'}),
    Case('dump-folder', ('dump', '{tmp}'), 1, 'is a folder, not a dataset file'),
    Case('dump-missing', ('dump', '{tmp}/none.parquet'), 1, 'no such dataset file'),
    Case('dump-garbage', ('dump', '{tmp}/g.parquet'), 1, 'not a readable Parquet file', (raw('g.parquet', b'\x00' * 64),)),
    Case('dump-other-schema', ('dump', '{tmp}/o.parquet'), 1, 'not in the event schema', (lambda tmp: pq.write_table(pa.table({'event_id': [1]}), tmp / 'o.parquet'),)),
    Case('dump-loop', ('dump', '{tmp}/loop.parquet'), 1, 'too many levels of symbolic links', (symlink('loop.parquet', 'loop.parquet'),)),
]
# fmt: on


# --- running a case ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("base") / "events.parquet"
    store.append(
        path,
        frame(
            make_row(),
            make_row(event_id="2024-11-27-meeting-test", event_type="meeting", date_start="2024-11-27",
                     date_end="2024-11-27", count=None, count_unit=None, intercepted=None, actors=["Yoon Suk Yeol"]),
            make_row(event_id="2024-10-month-test", date_start="2024-10-01", date_end="2024-10-31",
                     date_precision="month", date_text="last month", actors=["Ukrainian General Staff"]),
        ),
    )  # fmt: skip
    return path.read_bytes()


def snapshot(folder: Path) -> dict[str, str]:
    """Every regular file under `folder` (name -> hash); pipes are not read."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            found[str(path.relative_to(folder))] = "(not a regular file)"
        else:
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def prepare(case: Case, tmp: Path, dataset_bytes: bytes) -> tuple[list[str], dict[str, str | None]]:
    data = tmp / "events.parquet"
    data.write_bytes(dataset_bytes)
    for step in case.setup:
        step(tmp)
    fill = {"tmp": str(tmp), "data": str(data)}
    args = [
        a.format(**fill) if "{" in a and "}" in a and ("{tmp}" in a or "{data}" in a) else a
        for a in case.args
    ]
    env: dict[str, str | None] = {store.ENV_VAR: None, locking.TIMEOUT_ENV: "5"}
    env.update({k: v.format(**fill) for k, v in case.env.items()})
    return args, env


def check_outcome(case: Case, code: int, stderr: str, output: str, before: dict, tmp: Path) -> None:
    assert code == case.code, f"{case.id}: exit {code}, expected {case.code}\n{output}"
    assert case.message in stderr, f"{case.id}: {case.message!r} not in stderr:\n{stderr[:3000]}"
    assert "Traceback" not in output, f"{case.id}: traceback\n{output[:3000]}"
    after = snapshot(tmp)
    changed = {k for k in before if after.get(k) != before[k]}
    new = {k for k in after if k not in before and not k.endswith(".lock")}
    assert not changed and not new, f"{case.id}: files changed {changed}, new files {new}"
    assert len(stderr) < 40_000, f"{case.id}: {len(stderr):,} characters of errors (not summarised?)"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, dataset_bytes: bytes, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    args, env = prepare(case, tmp_path, dataset_bytes)
    before = snapshot(tmp_path)
    result = runner.invoke(app, args, env=env)
    output = result.output + (repr(result.exception) if result.exception and result.exit_code is None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(f"{case.id}: {type(result.exception).__name__} escaped the command: {result.exception}")
    check_outcome(case, result.exit_code, result.stderr, output, before, tmp_path)


def test_the_corpus_is_large_and_covers_every_command():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)
    commands = {c.args[0] for c in CASES}
    assert commands >= {"append", "add", "import", "export", "synth", "validate", "diff", "stats", "dump"}


def test_synth_refuses_the_bundled_dataset_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.parquet").write_bytes(b"the curated data")
    result = runner.invoke(app, ["synth", "--events", "5", "--out", "data/events.parquet"])
    assert result.exit_code == 1 and "refusing to write synthetic events" in result.stderr
    assert (tmp_path / "data" / "events.parquet").read_bytes() == b"the curated data"


# --- at the real entry point ------------------------------------------------------------------

ENTRY_POINT_CASES = [c for c in CASES if c.id in {
    "count-2^63", "deep-json", "utf16-le-bom", "data-folder", "data-under-a-file", "add-lat-nan",
    "synth-out-under-a-file", "export-out-under-a-file", "validate-nan-latitude", "stats-fifo",
}]  # fmt: skip


@pytest.mark.slow  # a real `timeline` process per case
@pytest.mark.parametrize("case", ENTRY_POINT_CASES, ids=[c.id for c in ENTRY_POINT_CASES])
def test_hostile_input_at_the_entry_point(case: Case, tmp_path: Path, dataset_bytes: bytes):
    args, env = prepare(case, tmp_path, dataset_bytes)
    before = snapshot(tmp_path)
    environ = {k: v for k, v in os.environ.items() if k != store.ENV_VAR}
    environ.update({k: v for k, v in env.items() if v is not None})
    done = subprocess.run(
        [str(Path(sys.executable).with_name("timeline")), *args],
        capture_output=True, text=True, env=environ, cwd=tmp_path,
    )  # fmt: skip
    check_outcome(case, done.returncode, done.stderr, done.stdout + done.stderr, before, tmp_path)


# --- as an unprivileged user ------------------------------------------------------------------


def _as_nobody() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot test permissions")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared(tmp_path_factory: pytest.TempPathFactory, dataset_bytes: bytes) -> Path:
    """A folder an unprivileged user can read: a dataset in a read-only sub-folder."""
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="timeline-hostile-", dir="/tmp"))
    top.chmod(0o755)
    locked_in = top / "ro"
    locked_in.mkdir()
    (locked_in / "events.parquet").write_bytes(dataset_bytes)
    (top / "rows.json").write_text(json.dumps([row()]))
    locked_in.chmod(0o555)
    yield top
    locked_in.chmod(0o755)
    shutil.rmtree(top)


UNPRIVILEGED = [
    ("append-folder-read-only", ["append", "{top}/rows.json", "--data", "{top}/ro/events.parquet"], "cannot create files in {top}/ro (permission denied)"),
    ("import-into-folder-read-only", ["import", "--format", "acled", str(FIXTURES / "acled_messy.csv"), "--into", "{top}/ro/events.parquet", "--rejects", "/tmp/nobody-may-not.csv"], "cannot create files in {top}/ro"),
    ("synth-out-etc", ["synth", "--events", "5", "--out", "/etc/timeline-synth.parquet"], "cannot create files in /etc (permission denied)"),
    ("export-out-etc", ["export", "--format", "csv", "--data", "{top}/ro/events.parquet", "--out", "/etc/timeline-export.csv"], "cannot write /etc/timeline-export.csv: permission denied"),
    ("add-create-in-etc", ["add", "--title", "T", "--type", "meeting", "--outlet", "O", "--confidence", "reported", "--start", "2024-11-27", "--data", "/etc/timeline/e.parquet", "--create"], "cannot create files in /etc (permission denied)"),
]  # fmt: skip


@pytest.mark.slow  # a real `timeline` process per case
@pytest.mark.parametrize(("id", "args", "message"), UNPRIVILEGED, ids=[u[0] for u in UNPRIVILEGED])
def test_permission_denied_as_an_unprivileged_user(id: str, args: list[str], message: str, shared: Path):
    prefix = _as_nobody()
    if not prefix:
        (shared / "ro").chmod(0o555)  # already unprivileged: the folder mode is enough
    before = snapshot(shared)
    argv = [a.replace("{top}", str(shared)) for a in args]
    done = subprocess.run(
        [*prefix, str(Path(sys.executable).with_name("timeline")), *argv],
        capture_output=True, text=True, cwd="/tmp", env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert message.replace("{top}", str(shared)) in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(shared) == before
    assert not Path("/etc/timeline-synth.parquet").exists() and not Path("/etc/timeline-export.csv").exists()
