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
from functools import partial
from pathlib import Path

import pandas as pd

from timeline import taxonomy
from timeline.importers.base import Format, InputError, Mapped, Options, Reasons, mapped, quoted
from timeline.importers.fields import STRING, join, slug, string_lists, text
from timeline.schema import COLUMNS, FIELDS_BY_COL, LIST_COLUMNS, Col, Kind
from timeline.validation import SLUG

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


def _field(name: str, where: str, path: Path) -> Col:
    if name not in COLUMNS:
        hint = difflib.get_close_matches(name, COLUMNS, n=1)
        extra = f" (did you mean {hint[0]}?)" if hint else ""
        raise InputError(f"{path}: {where}: {name!r} is not an event field{extra}")
    col = Col(name)
    if col in NOT_MAPPABLE:
        raise InputError(f"{path}: {where}: {name} is set by the import itself and cannot be mapped")
    return col


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every mistake is an InputError naming the key."""
    if not path.exists():
        raise InputError(f"{path}: no such mapping file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a valid TOML mapping ({err})") from err
    for key in data:
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            raise InputError(f"{path}: unknown key {key!r}" + (f" (did you mean {hint[0]}?)" if hint else ""))
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(SLUG, name):
        raise InputError(f"{path}: name must be a slug such as 'my-sheet' (it labels the imported rows)")
    if name in RESERVED_NAMES:
        raise InputError(f"{path}: name {name!r} is reserved; imported rows need a name of their own")
    columns = {_field(k, "[columns]", path): v for k, v in data.get("columns", {}).items()}
    if any(not isinstance(v, str) or not v for v in columns.values()):
        raise InputError(f"{path}: [columns] values must be source column names")
    values = {_field(k, f"[values.{k}]", path): v for k, v in data.get("values", {}).items()}
    for col, table in values.items():
        if not isinstance(table, dict) or any(not isinstance(v, str) for v in table.values()):
            raise InputError(f"{path}: [values.{col}] must map source values to text")
    constants = {_field(k, "[constants]", path): v for k, v in data.get("constants", {}).items()}
    both = sorted(set(columns) & set(constants))
    if both:
        raise InputError(f"{path}: {', '.join(both)} is both in [columns] and [constants]; keep one")
    id_columns = tuple(data.get("id_columns", ()))
    if (Col.EVENT_ID in columns) == bool(id_columns):
        raise InputError(
            f"{path}: give either [columns] event_id or id_columns (source columns that identify a row)"
        )
    for col in (Col.DATE_START, Col.EVENT_TYPE, Col.TITLE, Col.CONFIDENCE, Col.SOURCE_OUTLET):
        if col not in columns and col not in constants:
            raise InputError(f"{path}: no value for {col}: add it to [columns] or [constants]")
    return Mapping(
        name=name,
        columns=columns,
        values={col: {str(k): v for k, v in table.items()} for col, table in values.items()},
        constants=constants,
        date_format=data.get("date_format"),
        list_separator=str(data.get("list_separator", ";")),
        delimiter=str(data.get("delimiter", ",")),
        id_columns=id_columns,
    )


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
    )
