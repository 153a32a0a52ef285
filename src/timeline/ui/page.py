"""The dashboard page: ask the engine, draw, and keep the URL in step."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from timeline import early_view, view
from timeline.domain.errors import describe_os_error
from timeline.domain.schema import Col
from timeline.early_view import EARLY_MAX_EVENTS
from timeline.engine import MAX_EVENTS, Engine, EngineError, Match, StrikeSeries, Summary, open_engine
from timeline.figures import counts_chart, counts_figure, timeline_figure
from timeline.figures.cache import FIGURES, Sent
from timeline.figures.map_chart import map_with_counts
from timeline.figures.timeline_chart import TimelineInfo, shared_range
from timeline.formatting import coverage, day_range, escape_markdown
from timeline.storage import datasets, store
from timeline.ui import cards, export_panel, incidents, sidebar, state, story as story_ui, viewport, widgets
from timeline.ui.components.early_view import (
    early_view_of,
    model as early_model,
    packed,
    sets as early_sets,
    state as early_state,
)
from timeline.ui.components.plotly_chart import event_bins, picked, plotly_chart
from timeline.ui.safe import bullets, inert
from timeline.view import View

# The range buttons sit at the top left, so plotly's toolbar (top right) never covers them.
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
PHONE_CONFIG = PLOTLY_CONFIG | {"displayModeBar": False}
"""On a touch screen plotly's toolbar is always shown, over the dates: pinch and drag zoom instead."""
LIVE = "live_view"
"""Where the view the page last drew is kept (`Live`)."""
PAGE_CSS = "<style>.block-container{padding-top:3.2rem} h1{font-size:1.75rem !important}</style>"
"""Less blank space above a smaller title, so the timeline and its axis fit the first screen."""


@st.cache_resource(max_entries=4, show_spinner="Checking the dataset…")
def _checked(path: str, version: str) -> tuple[Path, list[str]]:
    """Once per dataset version: the rows that pass every rule (a hostile or damaged file's
    good rows are shown, the others named; a folder of parts is shown as it is)."""
    return datasets.checked(Path(path), Path(tempfile.gettempdir()))


def load_engine(path: Path) -> Engine:
    """The engine on the dataset as it is now (a new file version gets a new summary); rows
    that break a rule are left out and listed, never drawn."""
    try:
        dataset = datasets.at(path)
        dataset.check_readable()  # a missing or unreadable dataset is a message, not a traceback
        shown, problems = _checked(str(path.resolve()), dataset.version())
        if problems:
            st.warning(
                f"Some rows of this dataset break the rules and are not shown "
                f"(run `timeline validate` on it):\n{bullets(problems, limit=12)}",
                icon=":material/report:",
            )
        return open_engine(shown)
    except (store.DatasetError, EngineError, OSError) as err:
        reason = describe_os_error(err) if isinstance(err, OSError) else str(err)
        st.error(
            f"Cannot read the dataset: {inert(reason)}. {inert(datasets.next_step(path))}",
            icon=":material/error:",
        )
    st.stop()
    raise AssertionError  # st.stop() does not return


@dataclass
class Live:
    """The view as the last run left it, the page's or a chart's own (`st.fragment`): a chart
    option reruns only its chart, which keeps the address bar and the downloads in step here."""

    view: View
    active: story_ui.Active | None
    summary: Summary


def _chart_view(engine: Engine, live: Live) -> View:
    """Inside a fragment: the view with the options and the selection as the widgets hold
    them now. What changes more than the fragments (new filters; a new selection where the
    panel's column is not kept, in a story; a story left by hand) reruns the whole page."""
    v = state.current_view(engine.summary)
    kept = st.session_state.get(state.PANEL_KEPT)
    if v.values != live.view.values or (v.events != live.view.events and not kept):
        st.rerun()
    if live.active is not None and story_ui.keep(live.active, v) is None:
        st.rerun()
    if v != live.view:
        live.view = v
        state.write_url(story_ui.url_view(live.active, v))
    return v


@st.fragment(key=state.SHARE)
def _share() -> None:
    """The link to this view; drawn again with a chart whose option changed (`_segmented`)."""
    live: Live = st.session_state[LIVE]
    v = story_ui.url_view(live.active, state.current_view(live.summary))  # the widgets as they are now
    st.caption("The address bar always holds this view. Copy it, or this link:")
    st.code(state.share_url(v), language=None, wrap_lines=True)


def _header(engine: Engine, v: View, n: int) -> None:
    summary = engine.summary
    st.title(inert(coverage(summary.countries, summary.first_day, summary.last_day, summary.rows)))
    as_of = summary.as_of.strftime("%d %b %Y") if summary.as_of else "-"
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.markdown(
        f"**{inert(incidents.header_count(engine, v, n))}** · data as of {inert(as_of)} · conflict timeline"
    )
    with right.popover("Share this view", width="stretch"):
        _share()
    warnings = st.session_state.get(state.WARNINGS) or []
    if warnings:
        st.warning(
            f"Part of the link was ignored; the rest of the view applies.\n{bullets(warnings)}",
            icon=":material/warning:",
        )


def _no_results(engine: Engine, v: View) -> None:
    hints = engine.relaxations(v)
    lines = ["No events match these filters."]
    if hints:
        lines.append("Loosening one filter would bring some back:")
        lines += [f"- without the **{inert(name)}** filter: {count:,} events" for name, count in hints[:4]]
    st.info("\n".join(lines), icon=":material/search_off:")
    st.button("Reset filters", on_click=state.reset, args=(engine.summary,), key="reset-empty")


def _segmented(name: str, chart: str, where: object = st) -> None:
    """A chart option's switch: a change reruns that chart's fragment and the share link."""
    option = view.option_named(name)
    where.segmented_control(
        option.label,
        list(option.choices),
        format_func=option.choices.get,
        key=state.key(name),
        on_change=st.rerun,
        args=([chart, state.SHARE],),
    )


TIMELINE_CHART, COUNTS_CHART, MAP_CHART = "timeline_chart", "counts_chart", "map_chart"


def _take_pick(chart: str) -> Callable[[], None]:
    """The events picked on a chart become the selection (an empty pick leaves it); every
    chart has faded itself in the browser, so none is run again."""
    return lambda: state.take_ids(picked(chart), picked_on=chart)


def _focus(live: Live, v: View) -> list[str]:
    """The events bright on every chart: the selection, else a story step's; the rest fade."""
    return list(v.events) or story_ui.highlight(live.active)


def _timeline_sent(
    engine: Engine, v: View, match: Match, width: int, phone: bool
) -> tuple[Sent, TimelineInfo]:
    """The timeline of a view, kept without a selection, which the page fades in the browser
    (its width beside the panel is its own)."""
    window = shared_range((v.span.start, v.span.end), match.first, match.last)

    def build() -> tuple[go.Figure, TimelineInfo]:
        fig, info = timeline_figure(engine.timeline(v, match), lanes=v.lanes, window=window, width=width)
        if phone:  # pinch to zoom instead of range buttons, which would cover the dates
            fig.update_layout(xaxis_rangeselector_visible=False)
        return fig, info

    return FIGURES.sent((engine.source.key, "timeline", v.values, v.lanes, window, width, phone), build)


def _counts_sent(engine: Engine, v: View, match: Match) -> tuple[StrikeSeries, Sent, dict[str, float]] | None:
    """The counts chart of a view and each drawn event's bin; None without strike counts."""
    series = engine.strikes(v)
    if series.empty:
        return None
    window = shared_range((v.span.start, v.span.end), match.first, match.last)
    key = (engine.source.key, "counts", v.values, v.per, v.strikes, window)
    sent, bins = FIGURES.sent(key, lambda: (counts_figure(series, window=window), _bins(engine, v, match)))
    return series, sent, bins


def _map_sent(
    engine: Engine, v: View, match: Match, extent: tuple[float, float, float, float] | None
) -> tuple[Sent, str]:
    """The map of a view and its caption, kept together: a new selection reads neither again."""

    def build() -> tuple[go.Figure, str]:
        fig, counts = map_with_counts(engine.map(v, match), extent=extent)
        return fig, counts.caption()

    return FIGURES.sent((engine.source.key, "map", v.values, extent), build)


@st.fragment(key=state.TIMELINE)
def _timeline(engine: Engine, live: Live, match: Match, phone: bool, plot_px: int | None = None) -> None:
    """The timeline and its lanes switch, rerun alone when the switch changes."""
    v = _chart_view(engine, live)
    selected = _focus(live, v)
    head, control = st.columns([3, 2], vertical_alignment="bottom")
    head.subheader("Timeline")
    _segmented("lanes", state.TIMELINE, control)
    width = plot_px or viewport.current().plot_px
    sent, info = _timeline_sent(engine, v, match, width, phone)
    # Drawn without the selection and faded in the browser: a click highlights at once, and a
    # rerun that changes only the selection sends no figure the page has to draw again.
    plotly_chart(
        sent,
        key=TIMELINE_CHART,
        selected=selected,
        key_events=info.key_events,
        chart_config=PHONE_CONFIG if phone else PLOTLY_CONFIG,
        on_select=_take_pick(TIMELINE_CHART),
        options={"lanes": v.lanes},
        selection_round=state.selection_round(),
    )
    if info.aggregated:
        st.caption(
            f"{info.shown:,} events are too many to draw one by one: each square is the number of "
            f"events per {inert(info.bin)}. Narrow the dates or filters below {MAX_EVENTS:,} events to see them."
        )
    else:
        dropped = (
            f" {info.labels_dropped:,} count label(s) would have covered others: see the cards."
            if info.labels_dropped
            else ""
        )
        st.caption(
            "Points are events dated to a day (overnight attacks span their two dates); hatched bars "
            "are events the source dates only to a week or month. Strike size compares like with like; "
            f"labels give each count with its unit. Click or box-select to open event cards.{dropped}"
        )


@st.fragment(key=state.COUNTS)
def _counts(engine: Engine, live: Live, match: Match) -> None:
    """The counts chart and its two options, rerun alone when one changes."""
    v = _chart_view(engine, live)
    focus = _focus(live, v)
    st.subheader(counts_chart.TITLE)  # a row of its own: beside the options, an open card squeezed them
    what, per = st.columns([3, 2], vertical_alignment="bottom")
    _segmented("strikes", state.COUNTS, what)
    _segmented("per", state.COUNTS, per)
    counted = _counts_sent(engine, v, match)
    if counted is None:
        st.info("No drone or missile counts among the matching events.", icon=":material/bar_chart:")
        return
    series, sent, bins = counted
    missing = [i for i in focus if i not in bins]  # picked outside the rows drawn (a link, a large view)
    if missing:
        rows = engine.by_ids(missing)
        bins = bins | event_bins(rows[Col.EVENT_ID], rows[Col.DATE_START], v.per)
    # Faded in the browser, also when events are picked on the timeline or the map
    plotly_chart(
        sent,
        key=COUNTS_CHART,
        selected=focus,
        chart_config=PLOTLY_CONFIG,
        kind="counts",
        bins=bins,
        per=v.per,
        options={"per": v.per, "strikes": v.strikes},
        selection_round=state.selection_round(),
    )
    note = f"{series.strikes:,} strikes with launch counts; an overnight attack counts on the day it began."
    if len(series.datasets) > 1:
        note += incidents.counts_note(v, series.datasets)  # added together, or each incident once
    if series.left_out:
        note += f" {series.left_out:,} figure(s) dated only to a month or week (e.g. monthly totals) are not spread over days."
    st.caption(escape_markdown(note))


def _bins(engine: Engine, v: View, match: Match) -> dict[str, float]:
    """Each drawn event's bin on the counts chart (none when the view is too large to draw
    event by event): what the page fades the counts chart to when events are picked."""
    if match.count > MAX_EVENTS:
        return {}
    rows = engine.drawn(v)
    return event_bins(rows[Col.EVENT_ID], rows[Col.DATE_START], v.per)


@st.fragment(key=state.MAP)
def _map(engine: Engine, live: Live, match: Match, extent: tuple[float, float, float, float] | None) -> None:
    """The map, rerun with the other fragments that show a new selection."""
    v = _chart_view(engine, live)
    focus = _focus(live, v)
    st.subheader("Map")
    if not match.located:
        st.info(
            "None of the matching events has coordinates (phone calls, statements, regions).",
            icon=":material/location_off:",
        )
        return
    sent, caption = _map_sent(engine, v, match, extent)
    plotly_chart(
        sent,
        key=MAP_CHART,
        selected=focus,
        chart_config=PLOTLY_CONFIG,
        on_select=_take_pick(MAP_CHART),
        kind="map",
        selection_round=state.selection_round(),
    )
    if caption:
        st.caption(escape_markdown(caption))


def _early(
    engine: Engine,
    v: View,
    width: int,
    phone: bool,
    extent: tuple[float, float, float, float] | None,
    story: bool,
) -> None:
    """What the page needs to draw the next filter change at the click (`early_view`): the
    whole dataset's figures with these options and this width, and the sets of its events
    each pill and preset matches, kept per dataset version; nothing for a larger dataset or a
    story (its step sets the charts)."""
    if story or engine.summary.rows > EARLY_MAX_EVENTS:
        early_view_of(None, None)
        return
    everything = early_view.ids(engine, View())
    options = {
        f.name: tuple(o for _, row in widgets.pill_rows(f, engine.summary, st.session_state) for o in row)
        for f in view.FILTERS
    }
    options = {name: opts for name, opts in options.items() if opts}
    whole = View(options=v.options)

    kept = tuple(sorted(options.items()))
    sets = engine.backend.remember(
        (engine.source.key, "early-sets", kept), lambda: early_sets(engine, everything, options)
    )

    def model() -> str:
        match = engine.match(whole)
        sent, info = _timeline_sent(engine, whole, match, width, phone)
        figures = {"timeline": sent}
        counted = _counts_sent(engine, whole, match)
        if counted is not None:
            figures["counts"] = counted[1]
        if match.located:
            figures["map"] = _map_sent(engine, whole, match, extent)[0]
        return packed(early_model(engine, everything, figures, info.key_events, sets, whole))

    key = (engine.source.key, "early", v.options, width, phone, extent, kept)
    early_view_of(engine.backend.remember(key, model), early_state(engine, v, everything))


PANEL_SHARE = 0.68
"""The charts' share of the page's width beside the selection panel's column."""


@st.fragment(key=state.PANEL)
def _panel(engine: Engine, live: Live, phone: bool) -> None:
    """The selected events' cards, or (none selected, on a wide screen) where they will open.
    A new selection reruns this first, with the charts that show it (`state.rerun_selection`)."""
    v = _chart_view(engine, live)
    if v.events:
        cards.selection_panel(engine, v, list(v.events))
    elif not phone:
        cards.panel_hint()


@contextlib.contextmanager
def _beside_panel(engine: Engine, live: Live, kept: bool, phone: bool) -> Iterator[None]:
    """The charts, with the selection panel in a column to their right: kept from the start
    (`kept`) so that a card opening changes no layout and the charts are not mounted again; in
    a story (its caption at the side) only while events are selected. On a narrow screen the
    columns stack and the panel becomes a bottom sheet."""
    if not kept and not live.view.events:
        yield
        return
    cards.panel_styles()
    charts, panel = st.columns([PANEL_SHARE, 1 - PANEL_SHARE], gap="medium")
    with panel:
        _panel(engine, live, phone)
    with charts:
        yield


@st.fragment(key=state.TABLE)
def _table(engine: Engine, live: Live, count: int, phone: bool) -> None:
    """The matching events, the selected ones marked; rerun with a new selection."""
    v = _chart_view(engine, live)
    cards.render_table(engine, v, count, list(v.events), compact=phone)


def main() -> None:
    st.set_page_config(  # no page_icon: icons load from a CDN
        page_title="Conflict timeline", layout="wide", initial_sidebar_state=story_ui.sidebar_state()
    )
    st.html(PAGE_CSS)
    path = store.default_path()
    engine = load_engine(path)
    summary = engine.summary
    if not summary.rows:
        st.title("Conflict timeline")
        st.info(
            f"{inert(path)} holds no events yet. Add some with `timeline append` or "
            "`timeline import` (see the README).",
            icon=":material/inbox:",
        )
        return
    incidents.notice(engine, path)  # stale incidents: one line; the switch is offered when fresh
    state.load_url_once(engine)
    active = story_ui.begin(engine)  # a story's step sets the widgets to its view
    state.resend(state.view_keys())
    sidebar.render(summary, engine)
    v = state.current_view(summary)
    active = story_ui.keep(active, v)  # a filter changed by hand leaves the story
    state.forget_selection_on_new_filters(v)
    selected = list(v.events)
    screen = viewport.current()
    phone = screen.phone
    match = engine.match(v)
    live = st.session_state[LIVE] = Live(v, active, summary)
    kept = st.session_state[state.PANEL_KEPT] = bool(match.count) and active is None
    _header(engine, story_ui.url_view(active, v), match.count)

    if not match.count:
        _no_results(engine, v)
    else:
        # The selected events' cards stay open beside the charts; a story's caption too (above
        # the charts on a phone).
        with _beside_panel(engine, live, kept, phone), story_ui.layout(active, engine, v, phone):
            plot_px = story_ui.plot_px(active, phone, screen.plot_px)
            if selected and not phone and not kept:
                # a story's, narrower beside the panel: not measured, the kept width stays its own
                plot_px = int(plot_px * PANEL_SHARE)
            else:
                # a story's desktop layout has a plot width of its own: there, only whether it is a phone
                viewport.probe(screen, planned=plot_px if active is None or phone else 0)
            _timeline(engine, live, match, phone, plot_px)
            _counts(engine, live, match)
            extent = story_ui.map_extent(active)
            _map(engine, live, match, extent)
        st.subheader("Events")
        _table(engine, live, match.count, phone)
        export_panel.render(engine, lambda: live.view, match)
        # After the charts and the table, which it does not delay: a click's card at once.
        cards.drawn_cards(engine, v, match.count, panel=kept)
        # The next filter change drawn at its click, on a small dataset.
        _early(engine, v, plot_px or screen.plot_px, phone, extent, story=active is not None)
    if selected and not match.count:
        cards.panel_styles()
        cards.selection_panel(engine, v, selected)

    sources = ", ".join(summary.datasets)
    st.caption(
        f"Data: {escape_markdown(str(path))} ({escape_markdown(sources)}). Every event names its source; "
        "titles and summaries are written by the maintainers. Dates reported only as 'last week' or "
        "'last month' are shown as that whole week or month. "
        f"The data covers {inert(day_range(summary.first_day, summary.last_day))}."
    )
    state.write_url(story_ui.url_view(active, state.current_view(summary)))
