"""Filtered events as CSV, Excel and Parquet, each saying which filters and data they hold.

CSV starts with `#` comment lines (the filters, how the rows count, the as-of date), Excel
gets an `about` sheet, Parquet gets key-value metadata. Text cells that a spreadsheet would run as a formula
(starting with =, +, -, @, tab or carriage return) are prefixed with a quote in CSV and Excel.
The CSV uses the same columns and `;`-lists as `timeline append`, so an export can be
re-imported.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd
import pyarrow.parquet as pq

from timeline import view
from timeline.domain.schema import COLUMNS, FIELDS, Col, Kind, to_arrow
from timeline.storage.diff import display

DATA_FORMATS = ("csv", "xlsx", "parquet")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
META_PREFIX = "timeline."


@dataclass(frozen=True)
class ExportInfo:
    """What an export says about itself."""

    query: str
    """The dashboard URL query of the view ('' for everything)."""
    as_of: date | None
    rows: int
    exported_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    filters: dict[str, list[str]] = field(default_factory=dict)
    counting: str = view.COUNTING[view.ALL_REPORTS]
    """What a row is: 'incidents (each counted once)' or 'every report' (`view.counting`)."""

    def items(self) -> list[tuple[str, str]]:
        described = "; ".join(f"{k}={','.join(v)}" for k, v in self.filters.items()) or "none (all events)"
        return [
            ("filters", described),
            ("counting", self.counting),
            ("dashboard query", f"?{self.query}" if self.query else "(none)"),
            ("data as of", self.as_of.isoformat() if self.as_of else "-"),
            ("rows", str(self.rows)),
            ("exported at", self.exported_at.isoformat()),
            ("generator", "conflict-timeline"),
        ]


def neutralise(text: str) -> str:
    """Keep a spreadsheet from reading text as a formula (OWASP CSV injection advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_text_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Every column as text the way `timeline append` reads it: lists `;`-joined, dates ISO."""
    out = pd.DataFrame({col: rows[col].map(display) for col in COLUMNS})
    text_columns = [str(f.col) for f in FIELDS if f.kind in (Kind.STRING, Kind.LIST)]
    out[text_columns] = out[text_columns].map(neutralise)
    return out


def to_csv(rows: pd.DataFrame, info: ExportInfo) -> bytes:
    header = "".join(f"# {key}: {value}\n" for key, value in info.items())
    body = as_text_table(rows).to_csv(index=False, lineterminator="\n")
    return (header + body).encode("utf-8")


def to_xlsx(rows: pd.DataFrame, info: ExportInfo) -> bytes:
    # openpyxl (with Pillow) is most of a second to import: loaded when a workbook is asked
    # for, not with the dashboard or the command.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "events"
    table = as_text_table(rows)
    sheet.append(list(table.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    numeric = {str(c) for c in (Col.COUNT, Col.INTERCEPTED, Col.LATITUDE, Col.LONGITUDE)}
    for record in table.itertuples(index=False):
        values = []
        for name, value in zip(table.columns, record, strict=True):
            if name in numeric and value != "":
                values.append(float(value) if "." in value else int(value))
            else:
                values.append(value)
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even if it looks like a formula
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    for i, name in enumerate(table.columns, start=1):
        width = min(60, max(len(name), *(len(v) for v in table[name].head(200)))) if len(table) else len(name)
        sheet.column_dimensions[get_column_letter(i)].width = width + 2
    about = book.create_sheet("about")
    about.append(["key", "value"])
    for key, value in info.items():
        about.append([key, value])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_parquet(rows: pd.DataFrame, info: ExportInfo) -> bytes:
    table = to_arrow(rows)
    meta = dict(table.schema.metadata or {})
    meta.update({f"{META_PREFIX}{k.replace(' ', '_')}".encode(): v.encode() for k, v in info.items()})
    meta[f"{META_PREFIX}filters_json".encode()] = json.dumps(info.filters).encode()
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buffer, compression="zstd")
    return buffer.getvalue()


WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "parquet": to_parquet}
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def export_rows(rows: pd.DataFrame, fmt: str, info: ExportInfo) -> bytes:
    return WRITERS[fmt](rows, info)
