"""The dashboard page: ask the engine, draw, and keep the URL in step."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from timeline import store, view
from timeline.engine import MAX_EVENTS, Engine, EngineError, Match, open_engine
from timeline.figures import counts_figure, map_figure, timeline_figure
from timeline.formatting import day_range, escape_markdown
from timeline.ui import cards, export_panel, sidebar, state
from timeline.view import View

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def load_engine(path: Path) -> Engine:
    """The engine on the dataset as it is now; a new file version gets a new summary."""
    try:
        return open_engine(path)
    except (store.DatasetError, EngineError) as err:
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


def _header(engine: Engine, v: View, n: int) -> None:
    st.title("Conflict timeline")
    summary = engine.summary
    as_of = summary.as_of.strftime("%d %b %Y") if summary.as_of else "-"
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.markdown(f"**{n:,} of {summary.rows:,} events** · data as of {as_of}")
    with right.popover("Share this view", width="stretch"):
        st.caption("The address bar always holds this view. Copy it, or this link:")
        st.code(state.share_url(v), language=None, wrap_lines=True)
    warnings = st.session_state.get(state.WARNINGS) or []
    if warnings:
        items = "\n".join(f"- {escape_markdown(w)}" for w in warnings)
        st.warning(
            f"Part of the link was ignored; the rest of the view applies.\n{items}", icon=":material/warning:"
        )


def _no_results(engine: Engine, v: View) -> None:
    hints = engine.relaxations(v)
    lines = ["No events match these filters."]
    if hints:
        lines.append("Loosening one filter would bring some back:")
        lines += [f"- without the **{name}** filter: {count:,} events" for name, count in hints[:4]]
    st.info("\n".join(lines), icon=":material/search_off:")
    st.button("Reset filters", on_click=state.reset, args=(engine.summary,), key="reset-empty")


def _segmented(name: str, where: object = st) -> None:
    option = view.option_named(name)
    where.segmented_control(
        option.label, list(option.choices), format_func=option.choices.get, key=state.key(name)
    )


def _timeline(engine: Engine, v: View, match: Match) -> list[str]:
    st.subheader("Timeline")
    _segmented("lanes")
    fig, info = timeline_figure(
        engine.timeline(v, match), lanes=v.lanes, selected=v.event, window=(v.span.start, v.span.end)
    )
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


def _counts(engine: Engine, v: View) -> None:
    st.subheader("Launched and intercepted")
    left, right = st.columns(2)
    _segmented("strikes", left)
    _segmented("per", right)
    series = engine.strikes(v)
    if series.empty:
        st.info("No drone or missile counts among the matching events.", icon=":material/bar_chart:")
        return
    st.plotly_chart(
        counts_figure(series, window=(v.span.start, v.span.end)), key="counts_chart", config=PLOTLY_CONFIG
    )
    note = f"{series.strikes:,} strikes with launch counts; an overnight attack counts on the day it began."
    if len(series.datasets) > 1:
        note += (
            f" Counts from {len(series.datasets)} datasets ({', '.join(series.datasets)}) are added together, "
            "and the same attack may be in more than one: pick one under Datasets to compare them."
        )
    if series.left_out:
        note += f" {series.left_out:,} figure(s) dated only to a month or week (e.g. monthly totals) are not spread over days."
    st.caption(note)


def _map(engine: Engine, v: View, match: Match) -> list[str]:
    st.subheader("Map")
    if not match.located:
        st.info(
            "None of the matching events has coordinates (phone calls, statements, regions).",
            icon=":material/location_off:",
        )
        return []
    event = st.plotly_chart(
        map_figure(engine.map(v, match)),
        key=state.selection_key("map_chart"),
        on_select="rerun",
        selection_mode=("points", "box"),
        config=PLOTLY_CONFIG,
    )
    if match.located < match.count:
        st.caption(
            f"{match.count - match.located:,} of {match.count:,} events have no coordinates and are not on the map."
        )
    return _selected_ids(event)


def main() -> None:
    st.set_page_config(page_title="Conflict timeline", layout="wide")  # no page_icon: icons load from a CDN
    path = store.default_path()
    engine = load_engine(path)
    summary = engine.summary
    if not summary.rows:
        st.title("Conflict timeline")
        st.info(
            f"`{path}` holds no events yet. Add some with `timeline append` or "
            "`timeline import` (see the README).",
            icon=":material/inbox:",
        )
        return
    state.load_url_once(engine)
    state.resend(state.view_keys())
    sidebar.render(summary)
    v = state.current_view(summary)
    match = engine.match(v)
    _header(engine, v, match.count)

    if not match.count:
        _no_results(engine, v)
    else:
        selected = _timeline(engine, v, match)
        cards_slot = st.container()
        _counts(engine, v)
        selected += [i for i in _map(engine, v, match) if i not in selected]
        st.subheader("Events")
        selected += [i for i in cards.render_table(engine, v, match.count) if i not in selected]
        export_panel.render(engine, v, match)
        with cards_slot:
            if selected:
                st.session_state[state.EVENT] = selected[0]
            shown = selected or ([v.event] if v.event else [])
            if shown:
                head, close = st.columns([5, 1], vertical_alignment="bottom")
                head.markdown(f"**Selected: {len(shown)} event(s)**")
                close.button("Close cards", on_click=state.close_cards)
                cards.render_cards(engine, v, shown)

    sources = ", ".join(summary.datasets)
    st.caption(
        f"Data: {escape_markdown(str(path))} ({escape_markdown(sources)}). Every event names its source; "
        "titles and summaries are written by the maintainers. Dates reported only as 'last week' or "
        "'last month' are shown as that whole week or month. "
        f"The data covers {day_range(summary.first_day, summary.last_day)}."
    )
    state.write_url(state.current_view(summary))
