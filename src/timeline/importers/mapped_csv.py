"""Any CSV, described by a small TOML mapping file (`timeline import --format csv --mapping`).

Why: analysts keep their own spreadsheets. Rather than a converter per sheet, the mapping
says which source column feeds which event field, how to translate values ("Drone strike"
-> drone_attack), how dates are written, and which fields are the same on every row. The
rows then go through the same pipeline and validator as every other import. The format
is documented, with an example, in docs/importing.md.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd

from timeline.domain import taxonomy
from timeline.domain.errors import InputError
from timeline.domain.schema import COLUMNS, FIELDS_BY_COL, LIST_COLUMNS, Col, Kind
from timeline.domain.validation import SLUG
from timeline.importers.base import PLACEHOLDERS, Format, Mapped, Options, Reasons, mapped, quoted
from timeline.importers.fields import STRING, join, slug, string_lists, text

KEYS = ("name", "columns", "values", "constants", "date_format", "list_separator", "delimiter", "id_columns")
NOT_MAPPABLE = (Col.ADDED_AT, Col.DATASET)
"""Set by the import itself: the time of the import and the mapping's `name`."""
RESERVED_NAMES = (taxonomy.DATASETS_CURATED, taxonomy.DATASET_SYNTHETIC)
DATE_COLUMNS = tuple(col for col, f in FIELDS_BY_COL.items() if f.kind is Kind.DATE)
DEFAULTS = {Col.DATE_PRECISION: "day"}
"""A field neither mapped nor constant gets this; `date_end` defaults to `date_start`."""


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: dict[Col, str] = field(default_factory=dict)
    values: dict[Col, dict[str, str]] = field(default_factory=dict)
    constants: dict[Col, object] = field(default_factory=dict)
    date_format: str | None = None
    list_separator: str = ";"
    delimiter: str = ","
    id_columns: tuple[str, ...] = ()

    @property
    def source_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.columns.values(), *self.id_columns]))


class MappingError(InputError):
    """The mapping file is missing, not TOML, or describes no usable mapping: every problem
    found, each naming its key."""

    def __init__(self, path: Path, problems: list[str]):
        self.lines = [f"{path}: {p}" for p in problems]
        super().__init__("; ".join(self.lines))


_SAMPLE_DAY = date(2024, 11, 25)


def date_format_problem(fmt: str) -> str | None:
    """Why `fmt` cannot read the sheet's dates, or None: it must be a strptime format that
    reads back a date it wrote (its day, or the first of its month or year)."""
    if "%" not in fmt:
        return f"date_format {fmt!r} has no strptime code (e.g. '%d/%m/%Y')"
    try:
        written = _SAMPLE_DAY.strftime(fmt)
        read = pd.to_datetime(pd.Series([written]), format=fmt).iloc[0].date()
    except (ValueError, TypeError) as err:
        return f"date_format {fmt!r} is not a date format pandas can read ({err})"
    if read not in (_SAMPLE_DAY, _SAMPLE_DAY.replace(day=1), _SAMPLE_DAY.replace(month=1, day=1)):
        return f"date_format {fmt!r} does not read back a date (it needs at least a year, e.g. '%Y-%m-%d')"
    return None


def _kind(value: object) -> str:
    return {dict: "a table", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


class _Checker:
    """Collects every problem in a mapping instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.bad_tables: set[str] = set()

    def table(self, data: dict, key: str, what: str) -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"{key} must be a table of {what} ([{key}]), not {_kind(value)} ({value!r})")
            self.bad_tables.add(key)
            return {}
        return value

    def field(self, name: str, where: str) -> Col | None:
        if name not in COLUMNS:
            hint = difflib.get_close_matches(name, COLUMNS, n=1)
            extra = f" (did you mean {hint[0]}?)" if hint else ""
            self.problems.append(f"{where}: {name!r} is not an event field{extra}")
            return None
        col = Col(name)
        if col in NOT_MAPPABLE:
            self.problems.append(f"{where}: {name} is set by the import itself and cannot be mapped")
            return None
        return col

    def text(self, data: dict, key: str, default: str, *, single: bool = False) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value:
            self.problems.append(f"{key} must be non-empty text, not {_kind(value)} ({value!r})")
            return default
        if single and (len(value) != 1 or value in '"\r\n'):
            self.problems.append(
                f"{key} {value!r}: the field separator must be one character other than a quote or "
                "a line break (e.g. ',' or ';')"
            )
            return default
        return value


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; raises MappingError listing every mistake, each naming
    its key, before any row of the CSV is read."""
    data = _read_toml(path)
    check = _Checker()
    problems = check.problems
    for key in data:
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            problems.append(f"unknown key {key!r}" + (f" (did you mean {hint[0]}?)" if hint else ""))
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(SLUG, name):
        problems.append("name must be a slug such as 'my-sheet' (it labels the imported rows)")
    elif name in RESERVED_NAMES:
        problems.append(f"name {name!r} is reserved; imported rows need a name of their own")
    malformed: set[Col] = set()  # given, but wrongly: not reported again as missing
    columns = _columns(check, data, malformed)
    values = _values(check, data)
    constants = _constants(check, data, malformed)
    both = sorted(set(columns) & set(constants))
    if both:
        problems.append(f"{', '.join(both)} is both in [columns] and [constants]; keep one")
    id_columns = _id_columns(check, data, malformed)
    if check.bad_tables & {"columns", "constants"}:  # what they would give is unknown
        malformed.update(Col(c) for c in COLUMNS)
    if Col.EVENT_ID not in malformed and (Col.EVENT_ID in columns) == bool(id_columns):
        problems.append("give either [columns] event_id or id_columns (source columns that identify a row)")
    for col in (Col.DATE_START, Col.EVENT_TYPE, Col.TITLE, Col.CONFIDENCE, Col.SOURCE_OUTLET):
        if col not in columns and col not in constants and col not in malformed:
            problems.append(f"no value for {col}: add it to [columns] or [constants]")
    date_format = _date_format(check, data)
    list_separator = check.text(data, "list_separator", ";")
    delimiter = check.text(data, "delimiter", ",", single=True)
    if problems:
        raise MappingError(path, problems)
    assert isinstance(name, str)
    return Mapping(
        name=name,
        columns=columns,
        values=values,
        constants=constants,
        date_format=date_format,
        list_separator=list_separator,
        delimiter=delimiter,
        id_columns=id_columns,
    )


def _read_toml(path: Path) -> dict:
    if not path.is_file():
        raise MappingError(
            path, ["is a folder, not a mapping file" if path.is_dir() else "no such mapping file"]
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise MappingError(path, [f"not a valid TOML mapping ({err})"]) from err


def _columns(check: _Checker, data: dict, malformed: set[Col]) -> dict[Col, str]:
    """[columns]: event field = source column."""
    columns: dict[Col, str] = {}
    for key, value in check.table(data, "columns", "event field = source column").items():
        col = check.field(key, "[columns]")
        if not isinstance(value, str) or not value.strip():
            check.problems.append(
                f"[columns] {key}: must be a source column name (text), not {_kind(value)} ({value!r})"
            )
            malformed.update([col] if col else [])
        elif col is not None:
            columns[col] = value
    return columns


def _values(check: _Checker, data: dict) -> dict[Col, dict[str, str]]:
    """[values.<field>]: source value = value."""
    values: dict[Col, dict[str, str]] = {}
    for key, table in check.table(data, "values", "[values.<field>] tables").items():
        col = check.field(key, f"[values.{key}]")
        if not isinstance(table, dict):
            check.problems.append(
                f"[values.{key}] must be a table of source value = value, not {_kind(table)}"
            )
            continue
        wrong = [k for k, v in table.items() if not isinstance(v, str)]
        if wrong:
            check.problems.append(f'[values.{key}] {wrong[0]!r}: values must be text (quote them: "...")')
        elif col is not None:
            values[col] = {str(k): v for k, v in table.items()}
    return values


def _constants(check: _Checker, data: dict, malformed: set[Col]) -> dict[Col, object]:
    """[constants]: event field = one value for every row."""
    problems = check.problems
    constants: dict[Col, object] = {}
    for key, value in check.table(data, "constants", "event field = value").items():
        col = check.field(key, "[constants]")
        if col is None:
            continue
        if col is Col.EVENT_ID:
            problems.append("[constants] event_id: a constant id would give every row the same id")
        elif col in LIST_COLUMNS and isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                problems.append(f"[constants] {key}: a list of text is needed, got {value!r}")
                malformed.add(col)
            else:
                constants[col] = value
        elif isinstance(value, dict | list):
            problems.append(f"[constants] {key}: must be a single value, not {_kind(value)} ({value!r})")
            malformed.add(col)
        else:
            constants[col] = value
    return constants


def _id_columns(check: _Checker, data: dict, malformed: set[Col]) -> tuple[str, ...]:
    """id_columns: the source columns whose values make a row's id."""
    raw_ids = data.get("id_columns", [])
    if isinstance(raw_ids, str):  # not split into characters: say what was meant
        check.problems.append(f'id_columns must be a list of column names, e.g. id_columns = ["{raw_ids}"]')
        malformed.add(Col.EVENT_ID)
    elif not isinstance(raw_ids, list) or not all(isinstance(c, str) and c.strip() for c in raw_ids):
        check.problems.append(f"id_columns must be a list of source column names (text), not {raw_ids!r}")
        malformed.add(Col.EVENT_ID)
    else:
        return tuple(raw_ids)
    return ()


def _date_format(check: _Checker, data: dict) -> str | None:
    date_format = data.get("date_format")
    if date_format is None:
        return None
    if not isinstance(date_format, str):
        check.problems.append(
            f"date_format must be text such as '%d/%m/%Y', not {_kind(date_format)} ({date_format!r})"
        )
        return None
    if why := date_format_problem(date_format):
        check.problems.append(why)
    return date_format


def _constant(value: object, index: pd.Index, col: Col) -> pd.Series:
    if col in LIST_COLUMNS and isinstance(value, list):
        value = "\x1e".join(str(v) for v in value)
    return pd.Series("" if value is None else str(value), index=index, dtype=STRING)


def map_chunk(chunk: pd.DataFrame, options: Options, mapping: Mapping) -> Mapped:
    idx = chunk.index
    r = Reasons(idx)
    source: dict[Col, pd.Series] = {}
    for col in COLUMNS:
        col = Col(col)
        if col in mapping.columns:
            series = text(chunk[mapping.columns[col]])
        elif col in mapping.constants:
            series = _constant(mapping.constants[col], idx, col)
        elif col in DEFAULTS:
            series = pd.Series(DEFAULTS[col], index=idx, dtype=STRING)
        else:
            continue
        if col in mapping.values:
            table = mapping.values[col]
            series = series.map(lambda v, t=table: t.get(v, v) if isinstance(v, str) else v).astype(STRING)
        source[col] = series
    if Col.DATE_START in mapping.columns:  # said here, not as date_end's fault after defaulting
        r.add(source[Col.DATE_START].isna(), "missing date",
              f"date_start (column {mapping.columns[Col.DATE_START]!r}) is blank or says unknown")  # fmt: skip
    if Col.DATE_START in source:  # a blank or unmapped end means a one-day event
        source[Col.DATE_END] = source.get(Col.DATE_END, source[Col.DATE_START]).fillna(source[Col.DATE_START])

    rows: dict[Col, pd.Series | object] = {}
    for col, series in source.items():
        if col in DATE_COLUMNS and mapping.date_format:
            parsed = pd.to_datetime(series, format=mapping.date_format, errors="coerce").astype(
                "datetime64[ms]"
            )
            r.add(series.notna() & parsed.isna(), "bad date",
                  f"{col} " + quoted(series) + f" (expected {mapping.date_format})")  # fmt: skip
            rows[col] = parsed
        elif col in LIST_COLUMNS:
            parts = series.fillna("").str.replace("\x1e", mapping.list_separator, regex=False)
            rows[col] = string_lists(idx, parts, split=mapping.list_separator)
        else:
            rows[col] = series
    if mapping.id_columns:
        key = join(*[piece for c in mapping.id_columns for piece in ("-", text(chunk[c]))][1:])
    else:
        key = source[Col.EVENT_ID]
    key_slug = slug(key)
    r.add(
        key_slug.eq(""),
        "missing id",
        "no value in " + ", ".join(mapping.id_columns or [mapping.columns[Col.EVENT_ID]]),
    )
    rows[Col.EVENT_ID] = mapping.name + "-" + key_slug
    return mapped(rows, idx, r)


def format_for(mapping: Mapping) -> Format:
    return Format(
        name=mapping.name,
        title=f"a CSV for the mapping {mapping.name!r}",
        map=partial(map_chunk, mapping=mapping),
        required=mapping.source_columns,
        read_options={"sep": mapping.delimiter},
        placeholders=PLACEHOLDERS,
    )
