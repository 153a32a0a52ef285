"""Event cards and the table of matching events. All event text goes through
`escape_markdown`: it is shown as text, never interpreted as markdown or HTML."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import pandas as pd
import streamlit as st

from timeline import taxonomy
from timeline.engine import Engine
from timeline.formatting import country_name, escape_markdown, format_count, row_dates
from timeline.schema import Col
from timeline.table import MAX_TABLE_ROWS, table_frame
from timeline.ui import state
from timeline.view import View

MAX_CARDS = 12


def _url(url: str) -> str:
    """A URL safe inside a markdown link target (the schema already ensures http(s))."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def _link(label: str, url: object) -> str:
    if pd.isna(url):
        return escape_markdown(label)
    return f"[{escape_markdown(label)}]({_url(str(url))})"


def render_card(row: pd.Series) -> None:
    etype = taxonomy.TYPES_BY_KEY.get(row[Col.EVENT_TYPE])
    with st.container(border=True, key=f"card-{row[Col.EVENT_ID]}"):
        if etype:
            st.html(
                f'<div style="font-size:0.8rem;display:flex;align-items:center;gap:6px">'
                f'<span style="width:12px;height:12px;border-radius:50%;background:{etype.colour};'
                f'display:inline-block"></span>{escape(etype.label)}</div>'
            )
        st.markdown(f"**{escape_markdown(str(row[Col.TITLE]))}**")
        st.caption(escape_markdown(f"{row_dates(row)} · {row[Col.CONFIDENCE]}"))
        facts = []
        if len(row[Col.ACTORS]):
            facts.append(("Actors", ", ".join(row[Col.ACTORS])))
        if len(row[Col.COUNTRIES]):
            facts.append(("Countries", ", ".join(country_name(c) for c in row[Col.COUNTRIES])))
        if not pd.isna(row[Col.LOCATION]):
            place = str(row[Col.LOCATION])
            if not pd.isna(row[Col.LATITUDE]):
                place += f" ({row[Col.LATITUDE]:.2f}, {row[Col.LONGITUDE]:.2f})"
            facts.append(("Location", place))
        counts = format_count(row[Col.COUNT], row[Col.COUNT_UNIT], row[Col.INTERCEPTED])
        if counts:
            facts.append(("Count", counts))
        if not pd.isna(row[Col.WEAPON]):
            facts.append(("Weapon", str(row[Col.WEAPON])))
        st.markdown("  \n".join(f"**{k}:** {escape_markdown(v)}" for k, v in facts))
        if not pd.isna(row[Col.SUMMARY]):
            st.markdown(escape_markdown(str(row[Col.SUMMARY])))
        source = f"Source: {_link(str(row[Col.SOURCE_OUTLET]), row[Col.SOURCE_URL])}"
        if not pd.isna(row[Col.SOURCE_PUBLISHED]):
            source += f", published {row[Col.SOURCE_PUBLISHED]:%d %b %Y}"
        others = [f"[{i}]({_url(u)})" for i, u in enumerate(row[Col.OTHER_SOURCES], start=2)]
        if others:
            source += " · also: " + " ".join(others)
        st.markdown(source)
        st.caption(escape_markdown(f"{row[Col.EVENT_ID]} · {row[Col.DATASET]}"))


def render_cards(engine: Engine, v: View, ids: list[str]) -> None:
    rows = engine.by_ids(ids[:MAX_CARDS]).set_index(Col.EVENT_ID, drop=False)
    ids = [i for i in ids if i in rows.index][:MAX_CARDS]
    if not ids:
        return
    shown = engine.matching_ids(v.filters_only(), ids)
    hidden = [i for i in ids if i not in shown]
    if hidden:
        st.caption(f"{len(hidden)} selected event(s) are outside the current filters.")
    columns = st.columns(min(3, len(ids)))
    for i, event_id in enumerate(ids):
        with columns[i % len(columns)]:
            render_card(rows.loc[event_id])


def render_table(engine: Engine, v: View, matched: int) -> list[str]:
    """A sortable table of the newest matches; returns the event_ids the analyst selected."""
    table = table_frame(engine.newest(v, MAX_TABLE_ROWS))
    if matched > MAX_TABLE_ROWS:
        st.caption(
            f"Showing the newest {MAX_TABLE_ROWS:,} of {matched:,} matching events; download the data for all."
        )
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(420, 40 + 35 * max(1, len(table))),
        on_select="rerun",
        selection_mode="multi-row",
        key=state.selection_key("events_table"),
        column_config={
            "start": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
            "dates": st.column_config.TextColumn("Dates (as reported)", width="medium"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "count": st.column_config.NumberColumn("Count", format="localized"),
            "intercepted": st.column_config.NumberColumn("Intercepted", format="localized"),
            "link": st.column_config.LinkColumn("Link", display_text="open ↗"),
            "event_id": st.column_config.TextColumn("event_id"),
        },
    )
    rows = event.selection.rows if event and event.selection else []
    return [table.loc[i, "event_id"] for i in rows if i < len(table)]
