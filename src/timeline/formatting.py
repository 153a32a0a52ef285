"""Human-readable dates, counts and sources, shared by hovers, cards, tables and exports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
import pycountry

from timeline.domain import taxonomy
from timeline.domain.schema import Col


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


def weapons(weapon: object) -> list[str]:
    """The ';'-separated weapon types of a row."""
    return [] if pd.isna(weapon) else [w.strip() for w in str(weapon).split(";") if w.strip()]


def mixes_weapons(unit: object, weapon: object) -> bool:
    """A count of one unit (missiles) made of several weapon types (an Oreshnik, a Kinzhal, Kh-101s)."""
    return str(unit) in ("drones", "missiles", "projectiles") and len(weapons(weapon)) > 1


def format_count(count: object, unit: object, intercepted: object = None, weapon: object = None) -> str:
    """'188 drones launched, 76 intercepted'; '' when the source gave no figure. A count that
    mixes weapon types says which."""
    parts = []
    if not pd.isna(count):
        label = taxonomy.COUNT_UNITS.get(str(unit), str(unit)) if not pd.isna(unit) else ""
        text = f"{int(count):,} {label}".strip()
        if mixes_weapons(unit, weapon):
            text += f" ({', '.join(weapons(weapon))} together)"
        parts.append(text)
    if not pd.isna(intercepted):
        parts.append(f"{int(intercepted):,} intercepted")
    return ", ".join(parts)


def count_label(count: object, unit: object, weapon: object = None) -> str:
    """A chart label with its unit: '188 drones', '11,000 troops', '9 missiles, mixed'."""
    if pd.isna(count):
        return ""
    n = int(count)
    one, many = taxonomy.UNIT_NOUNS.get(str(unit), ("", ""))
    text = f"{n:,} {one if n == 1 else many}".strip()
    return text + (", mixed" if mixes_weapons(unit, weapon) else "")


SHORT_NAMES = {
    "RUS": "Russia", "IRN": "Iran", "SYR": "Syria", "VNM": "Vietnam", "VEN": "Venezuela", "BOL": "Bolivia",
    "TZA": "Tanzania", "MDA": "Moldova", "LAO": "Laos", "PSE": "Palestine", "COD": "DR Congo", "PRK": "North Korea",
    "KOR": "South Korea",
}  # fmt: skip
"""Names people use where ISO's differ ('Russian Federation', 'Iran, Islamic Republic of')."""


def country_name(code: str) -> str:
    """'Ukraine (UKR)', 'Russia (RUS)'; an unknown code as it is."""
    country = pycountry.countries.get(alpha_3=code)
    name = SHORT_NAMES.get(code) or (
        getattr(country, "common_name", None) or getattr(country, "name", code) if country else code
    )
    return f"{name} ({code})"


def month_span(first: date, last: date) -> str:
    """'Oct–Dec 2024', 'Nov 2024', 'Feb 2022 – Jun 2026'."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%b %Y}"
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}"
    return f"{first:%b %Y} – {last:%b %Y}"


def coverage(
    countries: tuple[str, ...], first: date | None, last: date | None, rows: int, top: int = 4
) -> str:
    """What a dataset covers, for the page's title: 'Ukraine, Russia, South Korea, North Korea
    · Oct–Dec 2024 · 90 events in the data' (the countries most events involve, first). It
    says what the data holds, never what matches the filters (the counter says that)."""
    names = [country_name(c).rsplit(" (", 1)[0] for c in countries[:top]]
    parts = [", ".join(names)] if names else []
    if first and last:
        parts.append(month_span(first, last))
    parts.append(f"{rows:,} events in the data")
    return " · ".join(parts)


def row_dates(row: pd.Series | Mapping[str, Any]) -> str:
    """An event's dates as reported, from its row (a frame's row, or its values by column)."""
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
WORD_JOINER = "\u2060"
"""Invisible and unbreakable: placed inside an address, it stops it being a link."""
_AUTOLINK_START = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?=@)")
"""Where Streamlit's markdown (remark-gfm) starts a link of a bare address: 'http:',
'https:', 'www.' and the '@' of an e-mail address."""


def break_autolinks(text: str) -> str:
    """Text that reads the same but holds no bare address markdown would make a link of: a
    word joiner (invisible) goes before the ':' of 'http(s):', the '.' of 'www.' and every '@'.
    Backslash escapes cannot do this: remark-gfm finds addresses in the text after escapes
    are resolved."""
    return _AUTOLINK_START.sub(WORD_JOINER, text)


def escape_markdown(text: str) -> str:
    """Render event text literally in Streamlit markdown: every ASCII punctuation mark that
    markdown, LaTeX (`$`) or Streamlit's `:color[...]` directives could interpret is escaped,
    and bare addresses are kept from becoming links (`break_autolinks`)."""
    out = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in break_autolinks(text))
    return out.replace("\n", "  \n")
