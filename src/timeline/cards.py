"""An event as a card: every field as text, escaped, never run through markdown; only the
http(s) addresses of the source fields become links.

Pure functions producing inert HTML, so the dashboard (`ui/cards.py`) and tests share them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

import pandas as pd

from timeline.domain import taxonomy
from timeline.domain.schema import ARROW_SCHEMA, Col, IncidentCol
from timeline.formatting import country_name, format_count, row_dates

CARD_COLUMNS = [Col(name) for name in ARROW_SCHEMA.names]
"""What `card_html` reads of an event: the whole row (its summary and every source too)."""
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def link(url: object, label: str) -> str:
    """An <a> for an http(s) address; anything else (javascript:, data:) is shown as text."""
    text = escape(label)
    if pd.isna(url) or not WEB_ADDRESS.fullmatch(str(url).strip()):
        return text
    href = escape(str(url).strip(), quote=True)
    return f'<a href="{href}" target="_blank" rel="noopener noreferrer nofollow">{text}</a>'


def _pinpointed(row: pd.Series) -> bool:
    """Coordinates say where an event was only at or near a place: a region's or a country's
    are the point its name is drawn at ('Ukraine (17 regions)' is not at 49.60, 32.36)."""
    precision = row.get(Col.GEO_PRECISION)
    return precision is None or pd.isna(precision) or int(precision) <= 2


def _facts(row: pd.Series) -> list[tuple[str, str]]:
    facts = []
    if len(row[Col.ACTORS]):
        facts.append(("Actors", ", ".join(row[Col.ACTORS])))
    if len(row[Col.COUNTRIES]):
        facts.append(("Countries", ", ".join(country_name(c) for c in row[Col.COUNTRIES])))
    if not pd.isna(row[Col.LOCATION]):
        place = str(row[Col.LOCATION])
        if not pd.isna(row[Col.LATITUDE]) and _pinpointed(row):
            place += f" ({row[Col.LATITUDE]:.2f}, {row[Col.LONGITUDE]:.2f})"
        facts.append(("Location", place))
    counts = format_count(row[Col.COUNT], row[Col.COUNT_UNIT], row[Col.INTERCEPTED], row[Col.WEAPON])
    if counts:
        facts.append(("Count", counts))
    if not pd.isna(row[Col.WEAPON]):
        facts.append(("Weapon", str(row[Col.WEAPON])))
    return facts


def card_html(row: pd.Series) -> str:
    """One event: type, title, dates as reported, confidence, facts, summary, sources."""
    etype = taxonomy.TYPES_BY_KEY.get(row[Col.EVENT_TYPE])
    label = etype.label if etype else str(row[Col.EVENT_TYPE])
    colour = etype.colour if etype else "#888"
    parts = [
        f'<div class="tl-type"><span class="tl-dot" style="background:{colour}"></span>{escape(label)}</div>',
        f'<div class="tl-title">{escape(str(row[Col.TITLE]))}</div>',
        f'<div class="tl-when">{escape(row_dates(row))} · {escape(str(row[Col.CONFIDENCE]))}</div>',
    ]
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in _facts(row))
    if facts:
        parts.append(f'<dl class="tl-facts">{facts}</dl>')
    if not pd.isna(row[Col.SUMMARY]):
        parts.append(f'<p class="tl-summary">{escape(str(row[Col.SUMMARY]))}</p>')
    source = f"Source: {link(row[Col.SOURCE_URL], str(row[Col.SOURCE_OUTLET]))}"
    if not pd.isna(row[Col.SOURCE_PUBLISHED]):
        source += f", published {row[Col.SOURCE_PUBLISHED]:%d %b %Y}"
    others = [link(u, f"[{i}]") for i, u in enumerate(row[Col.OTHER_SOURCES], start=2)]
    if others:
        source += " · also: " + " ".join(others)
    parts.append(f'<div class="tl-source">{source}</div>')
    parts.append(
        f'<div class="tl-id">{escape(str(row[Col.EVENT_ID]))} · {escape(str(row[Col.DATASET]))}</div>'
    )
    return "".join(parts)


CARD_CSS = """
<style>
.tl-type{font-size:.8rem;display:flex;align-items:center;gap:6px;opacity:.85}
.tl-dot{width:12px;height:12px;border-radius:50%;display:inline-block}
.tl-title{font-weight:600;font-size:1.05rem;margin:.2rem 0}
.tl-when,.tl-id{font-size:.8rem;opacity:.7}
.tl-facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .6rem;margin:.5rem 0;padding-left:2rem;font-size:.9rem}
.tl-facts dt{font-weight:600}.tl-facts dd{margin:0}
.tl-summary{margin:.4rem 0;font-size:.92rem}
.tl-source{font-size:.88rem;margin:.3rem 0}
.tl-reports ul{margin:.3rem 0 .2rem 1.1rem;padding:0;font-size:.86rem}.tl-differ{color:#b45309}
</style>
"""


REPORT_FIELDS = (
    ("count", lambda r: format_count(r[Col.COUNT], r[Col.COUNT_UNIT], r[Col.INTERCEPTED], r[Col.WEAPON])),
    ("dates", row_dates),
    ("place", lambda r: "" if pd.isna(r[Col.LOCATION]) else str(r[Col.LOCATION])),
    ("confidence", lambda r: str(r[Col.CONFIDENCE])),
)
"""What a card compares between the reports of one incident."""


def reports_html(reports: pd.DataFrame, source_name: Callable[[object], str] = str) -> str:
    """The reports of one incident (representative first): each one's source, dataset and
    facts, and which facts differ from the representative's. Escaped text, http(s) links."""
    if len(reports) < 2:
        return ""
    rows = [r for _, r in reports.iterrows()]
    first = {name: get(rows[0]) for name, get in REPORT_FIELDS}
    items = []
    for n, r in enumerate(rows):
        facts = {name: get(r) for name, get in REPORT_FIELDS}
        differ = [name for name in facts if n and facts[name] != first[name]]
        role = "counted" if n == 0 else "also reported by"
        detail = " · ".join(escape(v) for v in facts.values() if v)
        note = f' <span class="tl-differ">differs: {escape(", ".join(differ))}</span>' if differ else ""
        items.append(
            f"<li><b>{escape(source_name(r[Col.DATASET]))}</b> ({escape(role)}; dataset "
            f"{escape(str(r[Col.DATASET]))}): {link(r[Col.SOURCE_URL], str(r[Col.SOURCE_OUTLET]))} · "
            f"{detail}{note}</li>"
        )
    counts = rows[0].get(IncidentCol.COUNTS)
    said = f" · counts: {escape(counts)}" if isinstance(counts, str) else ""
    return (
        f'<div class="tl-reports"><div class="tl-when">One incident, {len(rows)} reports{said}</div>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def cards_by_id(rows: pd.DataFrame) -> dict[str, str]:
    """Each event's `card_html`, by event_id: sent with a view's drawn events so the page can
    show a clicked event's card at the click (`ui/components/early_cards.js`), the same card
    the selection panel then shows (one definition of what a card says)."""
    # Records, not `iterrows`' Series: the same lookups and the same cards, a third of the CPU
    # (0.06 against 0.21 s for 456 cards).
    return {str(row[Col.EVENT_ID]): card_html(row) for row in rows.to_dict("records")}
