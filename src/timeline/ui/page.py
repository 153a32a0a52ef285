"""The dashboard page: load, filter, draw, and keep the URL in step."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from timeline import filters, store
from timeline.figures import (
    MAX_EVENTS,
    counts_figure,
    in_view,
    map_figure,
    strike_rows,
    timeline_figure,
)
from timeline.filters import Catalog
from timeline.formatting import day_range, escape_markdown
from timeline.schema import Col
from timeline.ui import cards, export_panel, sidebar, state
from timeline.urlstate import View

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
LANE_LABELS = {"type": "Type", "country": "Country", "actor": "Actor"}
PER_LABELS = {"day": "Per day", "week": "Per week"}
WHAT_LABELS = {"all": "All strikes", "drones": "Drones", "missiles": "Missiles"}


@st.cache_resource(max_entries=2, show_spinner="Loading events…")
def _catalog(path: str, mtime_ns: int, size: int) -> Catalog:
    """One load per file version: the key changes whenever an append replaces the file."""
    return Catalog.build(store.load(Path(path)))


def load_catalog(path: Path) -> Catalog:
    try:
        return _catalog(str(path.resolve()), *store.file_version(path))
    except FileNotFoundError:
        st.error(f"No dataset at `{path}`. Set TIMELINE_DATA to a Parquet file in the event schema.")
    except store.DatasetError as err:
        st.error(f"Cannot read the dataset: {err}")
    st.stop()
    raise AssertionError  # st.stop() does not return


def _selected_ids(event: object) -> list[str]:
    points = getattr(getattr(event, "selection", None), "points", None) or []
    ids = []
    for point in points:
        custom = point.get("customdata") if isinstance(point, dict) else None
        if custom and isinstance(custom[0], str) and custom[0] not in ids:
            ids.append(custom[0])
    return ids


def _header(catalog: Catalog, view: View, n: int) -> None:
    st.title("Conflict timeline")
    total = len(catalog.events)
    as_of = catalog.as_of.strftime("%d %b %Y") if catalog.as_of else "-"
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.markdown(f"**{n:,} of {total:,} events** · data as of {as_of}")
    with right.popover("Share this view", width="stretch"):
        st.caption("The address bar always holds this view. Copy it, or this link:")
        st.code(state.share_url(view), language=None, wrap_lines=True)
    warnings = st.session_state.get(state.WARNINGS) or []
    if warnings:
        items = "\n".join(f"- {escape_markdown(w)}" for w in warnings)
        st.warning(
            f"Part of the link was ignored; the rest of the view applies.\n{items}", icon=":material/warning:"
        )


def _no_results(catalog: Catalog, view: View) -> None:
    hints = filters.relaxations(catalog, view.filters)
    lines = ["No events match these filters."]
    if hints:
        lines.append("Loosening one filter would bring some back:")
        lines += [f"- without the **{name}** filter: {count:,} events" for name, count in hints[:4]]
    st.info("\n".join(lines), icon=":material/search_off:")
    st.button("Reset filters", on_click=state.reset, args=(catalog,), key="reset-empty")


def _window(view: View) -> tuple[date | None, date | None]:
    return view.filters.start, view.filters.end


def _timeline(df, view: View) -> list[str]:
    st.subheader("Timeline")
    st.segmented_control("Lanes", list(LANE_LABELS), format_func=LANE_LABELS.get, key=state.LANES)
    fig, info = timeline_figure(df, lanes=view.lanes, selected=view.event, window=_window(view))
    if info.aggregated:
        st.caption(
            f"{info.shown:,} events are too many to draw one by one: each square is the number of "
            f"events per {info.bin}. Narrow the dates or filters below {MAX_EVENTS:,} events to see them."
        )
    else:
        st.caption(
            "Points are events dated to a day (overnight attacks span their two dates); hatched bars "
            "are events the source dates only to a week or month. Size and label show the count. "
            "Click or box-select to open event cards."
        )
    event = st.plotly_chart(
        fig,
        key=state.selection_key("timeline_chart"),
        on_select="rerun",
        selection_mode=("points", "box", "lasso"),
        config=PLOTLY_CONFIG,
    )
    return _selected_ids(event)


def _counts(df, view: View) -> None:
    st.subheader("Launched and intercepted")
    left, right = st.columns(2)
    left.segmented_control("Count", list(WHAT_LABELS), format_func=WHAT_LABELS.get, key=state.WHAT)
    right.segmented_control("Per", list(PER_LABELS), format_func=PER_LABELS.get, key=state.PER)
    what = view.strikes
    rows, left_out = strike_rows(df, view.per, what)
    if rows.empty:
        st.info("No drone or missile counts among the matching events.", icon=":material/bar_chart:")
        return
    fig = counts_figure(df, per=view.per, what=what, window=_window(view))
    st.plotly_chart(fig, key="counts_chart", config=PLOTLY_CONFIG)
    note = f"{len(rows):,} strikes with launch counts; an overnight attack counts on the day it began."
    datasets = df.loc[rows.index, Col.DATASET].unique()
    if len(datasets) > 1:
        note += (
            f" Counts from {len(datasets)} datasets ({', '.join(map(str, datasets))}) are added together, and the"
            " same attack may be in more than one: pick one under Datasets to compare them."
        )
    if left_out:
        note += f" {left_out:,} figure(s) dated only to a month or week (e.g. monthly totals) are not spread over days."
    st.caption(note)


def _map(df) -> list[str]:
    st.subheader("Map")
    located = int(df[Col.LATITUDE].notna().sum())
    if not located:
        st.info(
            "None of the matching events has coordinates (phone calls, statements, regions).",
            icon=":material/location_off:",
        )
        return []
    event = st.plotly_chart(
        map_figure(df),
        key=state.selection_key("map_chart"),
        on_select="rerun",
        selection_mode=("points", "box"),
        config=PLOTLY_CONFIG,
    )
    if located < len(df):
        st.caption(f"{len(df) - located:,} of {len(df):,} events have no coordinates and are not on the map.")
    return _selected_ids(event)


def main() -> None:
    st.set_page_config(page_title="Conflict timeline", layout="wide")  # no page_icon: icons load from a CDN
    catalog = load_catalog(store.default_path())
    if catalog.events.empty:
        st.title("Conflict timeline")
        st.info(
            f"`{store.default_path()}` holds no events yet. Add some with `timeline append` or "
            "`timeline import` (see the README).",
            icon=":material/inbox:",
        )
        return
    state.load_url_once(catalog)
    state.resend(state.view_keys())
    sidebar.render(catalog)
    view = state.current_view(catalog)
    keep = filters.mask(catalog, view.filters)
    df = in_view(catalog.events, keep)
    _header(catalog, view, len(df))

    if df.empty:
        _no_results(catalog, view)
        selected: list[str] = []
    else:
        selected = _timeline(df, view)
        cards_slot = st.container()
        _counts(df, view)
        selected += [i for i in _map(df) if i not in selected]
        st.subheader("Events")
        selected += [i for i in cards.render_table(catalog.events, keep) if i not in selected]
        export_panel.render(catalog, keep, view)
        with cards_slot:
            if selected:
                st.session_state[state.EVENT] = selected[0]
            shown = selected or ([view.event] if view.event else [])
            if shown:
                head, close = st.columns([5, 1], vertical_alignment="bottom")
                head.markdown(f"**Selected: {len(shown)} event(s)**")
                close.button("Close cards", on_click=state.close_cards)
                cards.render_cards(catalog.events, shown, set(df[Col.EVENT_ID]))

    sources = ", ".join(catalog.datasets)
    st.caption(
        f"Data: `{store.default_path()}` ({sources}). Every event names its source; titles and summaries "
        "are written by the maintainers. Dates reported only as 'last week' or 'last month' are shown "
        f"as that whole week or month. The data covers {day_range(catalog.first_day, catalog.last_day)}."
    )
    state.write_url(state.current_view(catalog))
