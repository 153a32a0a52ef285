"""Event cards and the table of matching events. Event text is rendered by `timeline.cards`
as escaped HTML: it is shown as text, never interpreted as markdown; links are http(s) only."""

from __future__ import annotations

import functools
from html import escape

import pandas as pd
import streamlit as st

from timeline import view
from timeline.cards import CARD_COLUMNS, CARD_CSS, card_html, cards_by_id
from timeline.domain.schema import Col
from timeline.engine import MAX_EVENTS, Engine
from timeline.table import HEADERS, MAX_TABLE_ROWS, table_frame
from timeline.ui import incidents, state
from timeline.ui.components.early_cards import early_cards, packed
from timeline.ui.editor.nav import card_footer
from timeline.ui.safe import inert
from timeline.view import View

MAX_CARDS = 12


def render_cards(engine: Engine, v: View, ids: list[str]) -> None:
    """The cards of these events (at most `MAX_CARDS`), saying which the filters hide."""
    rows = engine.by_ids(ids[:MAX_CARDS], near=v).set_index(Col.EVENT_ID, drop=False)
    ids = [i for i in ids if i in rows.index][:MAX_CARDS]
    if not ids:
        return
    shown = engine.matching_ids(v.filters_only(), ids)
    hidden = [i for i in ids if i not in shown]
    if hidden:
        st.caption(f"{len(hidden)} selected event(s) are outside the current filters.")
    for event_id in ids:
        with st.container(border=True, key=f"card-{event_id}"):
            st.html(card_html(rows.loc[event_id]))
            incidents.card_reports(engine, event_id)  # the other reports of its incident
            card_footer(event_id)  # last changed (n changes); Edit and history for editors


def drawn_cards(engine: Engine, v: View, matched: int, panel: bool) -> None:
    """The cards of the events the charts draw one by one (none above `MAX_EVENTS`), sent once
    per view so a click shows its card at once (`early_cards`); kept with the view's answers."""
    cards = packed({})
    if panel and 0 < matched <= MAX_EVENTS:
        cards = engine.backend.remember(
            (engine.source.key, "cards", v.values),
            lambda: packed(cards_by_id(engine.events(v, columns=CARD_COLUMNS))),
        )
    early_cards(cards, max_cards=MAX_CARDS, panel=panel)


PANEL_KEY = "selection-panel"
PANEL_CSS = """<style>
.st-key-selection-panel{border:1px solid rgba(128,128,128,.35);border-radius:.5rem;padding:.6rem .8rem;
  position:sticky;top:3.5rem;max-height:calc(100vh - 4.5rem);overflow-y:auto}
@media (max-width: 640px){
  .st-key-selection-panel{position:fixed;left:0;right:0;top:auto;bottom:0;z-index:999990;max-height:45vh;
    overflow-y:auto;background:var(--background-color,#fff);border-radius:.8rem .8rem 0 0;
    box-shadow:0 -6px 18px rgba(0,0,0,.25)}
  .block-container:has(.st-key-selection-panel){padding-bottom:48vh}
}
.st-key-selection-hint{border:1px dashed rgba(128,128,128,.45);border-radius:.5rem;padding:.6rem .8rem;
  position:sticky;top:3.5rem;opacity:.8}
@media (max-width: 640px){.st-key-selection-hint{display:none}}
</style>"""
"""Beside the charts on a desktop; on a narrow screen (the columns stack) a bottom sheet over
the lower part of the page, which still scrolls behind it. Where the cards will open while
none is (the hint) is shown beside the charts only."""


def panel_styles() -> None:
    """The panel's and the cards' styles, sent by the run of the whole page: a style sent
    from a fragment's rerun does not reach the page (Streamlit puts style-only HTML in its
    event container), so a panel a click opens would not be a bottom sheet on a phone."""
    st.html(PANEL_CSS + CARD_CSS)


HINT_KEY = "selection-hint"


def panel_hint() -> None:
    """The panel's column while nothing is selected: what it is for, so the space beside the
    charts does not look like a layout fault (hidden on a narrow screen, `PANEL_CSS`)."""
    with st.container(key=HINT_KEY):
        st.markdown("**Event cards**")
        st.caption(
            "Click or box-select events on the timeline or the map, or tick rows in the table: "
            "their cards open here, with the dates as reported, actors, counts, confidence and sources."
        )


def selection_panel(engine: Engine, v: View, ids: list[str]) -> None:
    """The selected events' cards, in a panel that stays open (the page is never dimmed or
    blocked) until "Clear selection", so their highlight on every chart can be seen. Its
    styles: `panel_styles`."""
    with st.container(key=PANEL_KEY):
        st.markdown(f"**Selected: {len(ids)} event(s)**")
        st.button("Clear selection", on_click=state.close_cards, width="stretch", icon=":material/close:")
        if len(ids) > MAX_CARDS:
            st.caption(f"The first {MAX_CARDS} cards are shown; all {len(ids)} are highlighted.")
        render_cards(engine, v, ids)


def render_table(engine: Engine, v: View, matched: int, selected: list[str], compact: bool) -> list[str]:
    """The newest matches, selected events highlighted; on a phone (`compact`) as a list of
    short cards. Returns the event_ids the analyst selected in the table."""
    # Kept per view with the engine's answers: a new selection redraws the table, not its rows.
    table = engine.backend.remember(
        (engine.source.key, "table", v.values), lambda: table_frame(engine.newest(v, MAX_TABLE_ROWS))
    )
    st.session_state[state.TABLE_IDS] = list(table["event_id"])
    if matched > MAX_TABLE_ROWS:
        st.caption(
            f"Showing the newest {MAX_TABLE_ROWS:,} of {matched:,} matching events; download the data for all."
        )
    if compact:
        _compact_list(table, view.to_params(v.filters_only()))
        return []
    # The selected rows carry a mark in a first column (no pandas Styler: styling a
    # thousand rows cost 0.3 s of every rerun, against 1.5 ms for the plain table).
    chosen = set(selected)
    table.insert(0, "picked", ["●" if i in chosen else "" for i in table["event_id"]])
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(440, 40 + 35 * max(1, len(table))),
        on_select=functools.partial(state.take_selection, "events_table"),
        selection_mode="multi-row",
        key=state.selection_key("events_table"),
        column_order=["picked", *HEADERS],
        column_config={
            "picked": st.column_config.TextColumn("Selected", width=30, help="selected (cards open)"),
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


PHONE_PAGE = 50
"""Events a phone's list shows at first, and how many more each 'Show more' adds."""
SHOWN = "phone-list-shown"


def shown_count(total: int, asked: int) -> str:
    """'50 of 90 shown' (or 'All 90 shown'), so a list that ends says whether it is the end."""
    return f"All {total:,} shown" if asked >= total else f"{min(asked, total):,} of {total:,} shown"


def _more(filters: object) -> None:
    _, asked = st.session_state.get(SHOWN, (filters, PHONE_PAGE))
    st.session_state[SHOWN] = (filters, asked + PHONE_PAGE)


def _compact_list(table: pd.DataFrame, filters: object) -> None:
    """A phone's table: a few lines per event, a button opens its card; the first
    `PHONE_PAGE`, then 'Show more' until every event is reachable (new filters start over)."""
    kept, asked = st.session_state.get(SHOWN, (None, PHONE_PAGE))
    asked = asked if kept == filters else PHONE_PAGE
    st.session_state[SHOWN] = (filters, asked)
    st.caption(inert(shown_count(len(table), asked)))
    st.html(CARD_CSS)
    for row in table.head(asked).itertuples():
        with st.container(border=True, key=f"row-{row.event_id}"):
            count = f'<div class="tl-when">{escape(row.count)}</div>' if row.count else ""
            st.html(
                f'<div class="tl-when">{escape(row.dates)} · {escape(row.type)}</div>'
                f'<div class="tl-title">{escape(row.title)}</div>{count}'
            )
            st.button("Open card", key=f"open-{row.event_id}", on_click=state.open_card, args=(row.event_id,))
    st.caption(inert(shown_count(len(table), asked)))
    if asked < len(table):
        st.button(
            f"Show {min(PHONE_PAGE, len(table) - asked):,} more",
            key="phone-list-more",
            on_click=_more,
            args=(filters,),
            icon=":material/expand_more:",
            width="stretch",
        )
