"""Event cards and the table of matching events. Event text is rendered by `timeline.cards`
as escaped HTML: it is shown as text, never interpreted as markdown; links are http(s) only."""

from __future__ import annotations

from html import escape

import pandas as pd
import streamlit as st

from timeline.cards import CARD_CSS, card_html
from timeline.engine import Engine
from timeline.schema import Col
from timeline.table import HEADERS, MAX_TABLE_ROWS, table_frame
from timeline.ui import incidents, state
from timeline.ui.editor.nav import card_footer
from timeline.view import View

MAX_CARDS = 12
HIGHLIGHT = "background-color: rgba(255, 196, 0, 0.28)"


def render_cards(engine: Engine, v: View, ids: list[str]) -> None:
    """The cards of these events (at most `MAX_CARDS`), saying which the filters hide."""
    rows = engine.by_ids(ids[:MAX_CARDS]).set_index(Col.EVENT_ID, drop=False)
    ids = [i for i in ids if i in rows.index][:MAX_CARDS]
    if not ids:
        return
    shown = engine.matching_ids(v.filters_only(), ids)
    hidden = [i for i in ids if i not in shown]
    if hidden:
        st.caption(f"{len(hidden)} selected event(s) are outside the current filters.")
    st.html(CARD_CSS)
    for event_id in ids:
        with st.container(border=True, key=f"card-{event_id}"):
            st.html(card_html(rows.loc[event_id]))
            incidents.card_reports(engine, event_id)  # the other reports of its incident
            card_footer(event_id)  # last changed (n changes); Edit and history for editors


@st.dialog("Selected events", width="large", on_dismiss=state.close_cards)
def cards_dialog(engine: Engine, v: View, ids: list[str]) -> None:
    """The cards open over the page, wherever the analyst clicked (timeline, map or table)."""
    head, close = st.columns([4, 1], vertical_alignment="center")
    head.markdown(f"**Selected: {len(ids)} event(s)**")
    if close.button("Close cards", width="stretch"):
        state.close_cards()
        st.rerun()  # a button in a dialog reruns only the dialog; the page must redraw without it
    render_cards(engine, v, ids)


def render_table(engine: Engine, v: View, matched: int, selected: list[str], compact: bool) -> list[str]:
    """The newest matches, selected events highlighted; on a phone (`compact`) as a list of
    short cards. Returns the event_ids the analyst selected in the table."""
    table = table_frame(engine.newest(v, MAX_TABLE_ROWS))
    st.session_state[state.TABLE_IDS] = list(table["event_id"])
    if matched > MAX_TABLE_ROWS:
        st.caption(
            f"Showing the newest {MAX_TABLE_ROWS:,} of {matched:,} matching events; download the data for all."
        )
    if compact:
        _compact_list(table.head(50))
        return []
    chosen = set(selected)
    styled = table.style.apply(
        lambda row: [HIGHLIGHT if row["event_id"] in chosen else "" for _ in row], axis=1
    )
    event = st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        height=min(440, 40 + 35 * max(1, len(table))),
        on_select="rerun",
        selection_mode="multi-row",
        key=state.selection_key("events_table"),
        column_order=list(HEADERS),
        column_config={
            "start": st.column_config.DateColumn(HEADERS["start"], format="YYYY-MM-DD", width=95),
            "dates": st.column_config.TextColumn(HEADERS["dates"], width=190),
            "type": st.column_config.TextColumn(HEADERS["type"], width=120),
            "title": st.column_config.TextColumn(HEADERS["title"], width=330),
            "countries": st.column_config.TextColumn(HEADERS["countries"], width=100),
            "location": st.column_config.TextColumn(HEADERS["location"], width=140),
            "count": st.column_config.TextColumn(HEADERS["count"], width=140),
            "intercepted": st.column_config.TextColumn(HEADERS["intercepted"], width=110),
            "confidence": st.column_config.TextColumn(HEADERS["confidence"], width=90),
            "source": st.column_config.TextColumn(HEADERS["source"], width=150),
            "link": st.column_config.LinkColumn(HEADERS["link"], display_text="open ↗", width=70),
            "event_id": st.column_config.TextColumn(HEADERS["event_id"], width=150),
        },
    )
    rows = event.selection.rows if event and event.selection else []
    return [table.loc[i, "event_id"] for i in rows if i < len(table)]


def _compact_list(table: pd.DataFrame) -> None:
    """A phone's table: a few lines per event, a button opens its card."""
    st.html(CARD_CSS)
    for row in table.itertuples():
        with st.container(border=True, key=f"row-{row.event_id}"):
            count = f'<div class="tl-when">{escape(row.count)}</div>' if row.count else ""
            st.html(
                f'<div class="tl-when">{escape(row.dates)} · {escape(row.type)}</div>'
                f'<div class="tl-title">{escape(row.title)}</div>{count}'
            )
            st.button("Open card", key=f"open-{row.event_id}", on_click=state.open_card, args=(row.event_id,))
