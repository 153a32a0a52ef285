"""Human-readable dates, counts and sources, shared by hovers, cards, tables and exports."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pycountry

from timeline import taxonomy
from timeline.schema import Col


def _day(d: date, year: bool = True) -> str:
    return f"{d.day} {d:%b}" + (f" {d.year}" if year else "")


def format_dates(start: date, end: date, precision: str, text: str | None = None) -> str:
    """'25-26 Nov 2024', 'week of 18-24 Nov 2024', 'Oct 2024', with the reported phrase."""
    if precision == "month" and start.day == 1 and (end.month, end.year) == (start.month, start.year):
        out = f"{start:%b %Y} (month)"
    elif precision == "year" and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        out = f"{start.year} (year)"
    else:
        if start == end:
            span = _day(start)
        elif (start.year, start.month) == (end.year, end.month):
            span = f"{start.day}–{_day(end)}"
        elif start.year == end.year:
            span = f"{_day(start, year=False)} – {_day(end)}"
        else:
            span = f"{_day(start)} – {_day(end)}"
        out = {"day": span, "week": f"sometime {span} (week)", "month": f"sometime {span} (month)"}.get(
            precision, f"sometime {span} ({precision})"
        )
    if text:
        out += f' · reported as "{text}"'
    return out


def format_count(count: object, unit: object, intercepted: object = None) -> str:
    """'188 drones launched, 76 intercepted'; '' when the source gave no figure."""
    parts = []
    if not pd.isna(count):
        label = taxonomy.COUNT_UNITS.get(str(unit), str(unit)) if not pd.isna(unit) else ""
        parts.append(f"{int(count):,} {label}".strip())
    if not pd.isna(intercepted):
        parts.append(f"{int(intercepted):,} intercepted")
    return ", ".join(parts)


def country_name(code: str) -> str:
    """'Ukraine (UKR)'; an unknown code as it is."""
    country = pycountry.countries.get(alpha_3=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", code) if country else code
    return f"{name} ({code})"


def row_dates(row: pd.Series) -> str:
    text = row[Col.DATE_TEXT]
    return format_dates(
        row[Col.DATE_START].date(),
        row[Col.DATE_END].date(),
        row[Col.DATE_PRECISION],
        None if pd.isna(text) else str(text),
    )


def day_range(start: date | None, end: date | None) -> str:
    """Compact range for titles: '1–30 Nov 2024'."""
    if start is None or end is None:
        return ""
    return format_dates(start, end, "day")


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=\"'&")


def escape_markdown(text: str) -> str:
    """Render event text literally in Streamlit markdown: every ASCII punctuation mark that
    markdown, LaTeX (`$`) or Streamlit's `:color[...]` directives could interpret is escaped."""
    out = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
    return out.replace("\n", "  \n")
