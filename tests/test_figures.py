"""Figure builders: what an analyst would see drawn, checked on the figure's data."""

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from timeline import figures
from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.engine import MAX_LANES
from timeline.storage import store

from conftest import CURATED, engine_on, frame, make_row, view_of

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def curated() -> pd.DataFrame:
    return store.load(CURATED)


def when(ms: float) -> pd.Timestamp:
    """A date axis value (milliseconds since 1970) as a timestamp."""
    return pd.Timestamp(ms, unit="ms")


def timeline(engine, **params) -> object:
    v = view_of(engine, **params)
    return figures.timeline_figure(engine.timeline(v), lanes=v.lanes)[0]


def traces_for(fig, event_id: str):
    return [
        t for t in fig.data if t.customdata is not None and any(row[0] == event_id for row in t.customdata)
    ]


def test_month_and_week_events_are_bars_over_their_whole_interval(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(
        path,
        frame(
            make_row(
                event_id="month-row", date_start="2024-10-01", date_end="2024-10-31", date_precision="month"
            ),
            make_row(
                event_id="week-row",
                date_start="2024-11-18",
                date_end="2024-11-24",
                date_precision="week",
                date_text="last week",
                event_type="meeting",
                actors=["X"],
                count=None,
                intercepted=None,
                count_unit=None,
            ),
        ),
    )
    engine = engine_on(path)
    fig, info = figures.timeline_figure(engine.timeline(view_of()))
    assert not info.aggregated
    (month,) = traces_for(fig, "month-row")
    (week,) = traces_for(fig, "week-row")
    for trace, start, days in ((month, "2024-10-01", 31), (week, "2024-11-18", 7)):
        assert trace.type == "bar" and trace.orientation == "h"
        assert when(trace.base[0]) == pd.Timestamp(start)  # never a point on an invented day
        assert trace.x[0] == days * DAY_MS
        assert trace.marker.pattern.shape == figures.UNCERTAIN_PATTERN
    assert month.marker.color == taxonomy.COLOURS["drone_attack"]
    assert week.marker.color == taxonomy.COLOURS["meeting"]


def test_day_events_are_points_and_overnight_spans_both_dates(curated_engine):
    fig = timeline(curated_engine)
    (night,) = traces_for(fig, "2024-11-25-ru-drone-attack-ua")
    assert night.type == "scatter"
    row = list(night.customdata[:, 0]).index("2024-11-25-ru-drone-attack-ua")
    assert when(night.x[row]) == pd.Timestamp("2024-11-26 00:00")  # midnight between the two dates
    assert night.text[row] == "188 drones"
    spans = [
        t
        for t in fig.data
        if getattr(t, "mode", None) == "lines" and t.legendgroup == "drone_attack" and len(t.x)
    ]
    starts = [when(x) for x in spans[0].x if x == x]
    assert pd.Timestamp("2024-11-25") in starts and pd.Timestamp("2024-11-27") in starts
    (meeting,) = traces_for(fig, "2024-11-27-umerov-yoon-meeting")
    row = list(meeting.customdata[:, 0]).index("2024-11-27-umerov-yoon-meeting")
    assert when(meeting.x[row]) == pd.Timestamp("2024-11-27 12:00")


def test_hover_shows_title_reported_dates_count_and_source(curated_engine):
    fig = timeline(curated_engine)
    (trace,) = traces_for(fig, "2024-11-25-ru-drone-attack-ua")
    row = next(r for r in trace.customdata if r[0] == "2024-11-25-ru-drone-attack-ua")
    assert "188" in row[1]
    assert row[2] == '25–26 Nov 2024 · reported as "Monday night"'
    assert row[3] == "188 drones launched, 76 intercepted"
    assert row[4] == "Korea JoongAng Daily"


def test_every_trace_uses_its_types_colour(curated_engine):
    fig = timeline(curated_engine)
    for trace in fig.data:
        if trace.legendgroup in taxonomy.COLOURS:
            colour = trace.line.color if getattr(trace, "mode", None) == "lines" else trace.marker.color
            assert colour == taxonomy.COLOURS[trace.legendgroup]


def test_lanes_by_country_and_actor(curated_engine):
    fig = timeline(curated_engine, lanes="country")
    lanes = list(fig.layout.yaxis.ticktext)
    assert "Russia (RUS)" in lanes and "Ukraine (UKR)" in lanes
    fig = timeline(curated_engine, lanes="actor")
    assert len(fig.layout.yaxis.ticktext) == MAX_LANES
    assert "Other actors" in fig.layout.yaxis.ticktext


def lane_of(fig, y: float) -> str:
    """The lane label a y position falls in (lanes are stacked bands of pixels)."""
    ticks = list(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    return min(ticks, key=lambda t: abs(t[0] - y))[1]


def test_an_event_in_several_lanes_is_drawn_in_each(curated_engine):
    fig = timeline(curated_engine, type="combined_strike", lanes="country")
    night = "2024-11-17-ru-combined-strike-energy"  # 210 drones and missiles; Poland scrambled jets
    lanes = {
        lane_of(fig, y)
        for t in fig.data
        if t.customdata is not None
        for row, y in zip(t.customdata, t.y, strict=True)
        if row[0] == night
    }
    assert "Poland (POL)" in lanes and len(lanes) >= 3


def marks(fig) -> list[tuple[str, float, float, float]]:
    """(event_id, x, y, diameter) of every event marker."""
    return [
        (row[0], x, y, size)
        for t in fig.data
        if t.type == "scatter" and t.customdata is not None and t.mode and "markers" in t.mode
        for row, x, y, size in zip(t.customdata, t.x, t.y, t.marker.size, strict=True)
    ]


def test_events_of_one_lane_and_day_are_spread_apart(curated_engine):
    """The three 27 Nov meetings in Seoul: three marks, none on another."""
    fig = timeline(curated_engine)
    seoul = [m for m in marks(fig) if m[0].startswith("2024-11-27") and "meeting" in m[0]]
    assert len(seoul) >= 3
    assert len({(x, y) for _, x, y, _ in seoul}) == len(seoul)
    ys = sorted(y for *_, y, _ in [(m[0], m[1], m[2], m[3]) for m in seoul])
    assert all(b - a >= 11 for a, b in itertools.pairwise(ys))  # at least a marker apart, in pixels


def test_sizes_compare_strikes_only_with_strikes_of_their_unit(curated_engine, curated: pd.DataFrame):
    fig = timeline(curated_engine)
    size = {event_id: d for event_id, _, _, d in marks(fig)}
    troops = curated[curated[Col.COUNT_UNIT] == "troops"][Col.EVENT_ID]
    drones = curated[(curated[Col.COUNT_UNIT] == "drones") & (curated[Col.DATE_PRECISION] == "day")
                     & curated[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)]  # fmt: skip
    biggest_night = drones.loc[drones[Col.COUNT].idxmax(), Col.EVENT_ID]
    from timeline.figures.timeline_chart import LARGEST, PLAIN

    assert {size[i] for i in troops if i in size} == {PLAIN}  # 11,000 troops are a label, not an attack
    assert size[biggest_night] == LARGEST == max(size.values())


def test_labels_carry_units_and_never_overlap(curated_engine):
    from timeline.figures.timeline_layout import LABEL_FONT, POSITIONS, label_box

    for width in (1000, 250):
        v = view_of(curated_engine)
        fig, _ = figures.timeline_figure(curated_engine.timeline(v), width=width)
        x0, x1 = fig.layout.xaxis.range
        boxes = []
        for t in fig.data:
            if t.type != "scatter" or t.text is None or not t.mode or "markers" not in t.mode:
                continue
            for x, y, d, text, position in zip(t.x, t.y, t.marker.size, t.text, t.textposition, strict=True):
                if text:
                    assert position in POSITIONS
                    assert re.fullmatch(r"[\d,]+ [a-z ]+(, mixed)?", text), (
                        text
                    )  # '188 drones', '11,000 troops'
                    px = (x - x0) / (x1 - x0) * width
                    boxes.append(label_box(position, px, y, d / 2, text, LABEL_FONT))
        assert boxes
        for a, b in itertools.combinations(boxes, 2):
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_a_selection_fades_every_other_mark(curated_engine):
    night = "2024-11-25-ru-drone-attack-ua"
    v = view_of(curated_engine)
    fig, _ = figures.timeline_figure(curated_engine.timeline(v), selected=[night])
    for t in fig.data:
        if t.customdata is None or "markers" not in (getattr(t, "mode", None) or ""):
            continue
        for row, opacity in zip(t.customdata, t.marker.opacity, strict=True):
            assert (opacity > 0.9) == (row[0] == night)
    spans = [t for t in fig.data if getattr(t, "mode", None) == "lines"]
    assert {t.opacity for t in spans} >= {0.6, figures.timeline_chart.FADED}


def test_event_text_is_escaped_in_hover(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(path, frame(make_row(title="<img src=x onerror=alert(1)>")))
    fig = timeline(engine_on(path))
    texts = [row[1] for t in fig.data if t.customdata is not None for row in t.customdata]
    assert texts == ["&lt;img src=x onerror=alert(1)&gt;"]


def test_hover_rows_keep_each_events_own_fields_when_some_are_missing(tmp_path: Path):
    """Each hover row is read across its own event's fields (the columns walked side by side
    must stay aligned): one event with no count and no date words beside one with both."""
    path = tmp_path / "e.parquet"
    store.append(
        path,
        frame(
            make_row(event_id="2024-11-25-a", title="Counted", source_outlet="Outlet A"),
            make_row(
                event_id="2024-11-26-b", title="Uncounted", date_start="2024-11-26",
                date_end="2024-11-26", date_text=None, count=None, count_unit=None,
                intercepted=None, event_type="meeting", source_outlet="Outlet B",
            ),
        ),
    )  # fmt: skip
    engine = engine_on(path)
    timeline_rows = {
        row[0]: list(row) for t in timeline(engine).data if t.customdata is not None for row in t.customdata
    }
    assert timeline_rows == {
        "2024-11-25-a": [
            "2024-11-25-a", "Counted", '25–26 Nov 2024 · reported as "Monday night"',
            "188 drones launched, 76 intercepted", "Outlet A", taxonomy.LABELS["drone_attack"],
        ],
        "2024-11-26-b": [
            "2024-11-26-b", "Uncounted", "26 Nov 2024", "no count reported", "Outlet B",
            taxonomy.LABELS["meeting"],
        ],
    }  # fmt: skip
    map_rows = {
        row[0]: list(row[:6])
        for t in figures.map_figure(engine.map(view_of(engine))).data
        if getattr(t, "customdata", None) is not None
        for row in t.customdata
    }
    assert map_rows == timeline_rows  # the map's hover says the same of each event


def test_large_views_aggregate_and_stay_bounded(synthetic_parts):
    sizes = {}
    for n in (10_000, 100_000):
        root = synthetic_parts(n, 1)
        fig, info = figures.timeline_figure(engine_on(root).timeline(view_of()))
        assert info.aggregated
        sizes[n] = len(fig.to_json())
        assert sum(fig.data[0].customdata) == n  # every event is counted in some bin
    assert sizes[100_000] < 1.5 * sizes[10_000]  # 10x the events, not 10x the bytes
    colours = set(fig.data[0].marker.color)
    assert colours <= set(taxonomy.COLOURS.values()) and len(colours) > 10  # lanes keep their type colour


def counts(engine, **params):
    return figures.counts_figure(engine.strikes(view_of(engine, **params)))


def bars_by_side(fig, name: str) -> dict[tuple[pd.Timestamp, str], int]:
    """(bin start, launching side) -> launched, for the bars of one legend name."""
    out = {}
    for t in fig.data:
        if t.type == "bar" and t.name == name and t.customdata is not None:
            for x, y, side in zip(t.x, t.y, t.customdata, strict=True):
                out[(pd.Timestamp(x, unit="ms").normalize(), side)] = y
    return out


def test_counts_chart_sums_launched_and_intercepted_per_day(curated_engine, curated: pd.DataFrame):
    fig = counts(curated_engine)
    by_day = bars_by_side(fig, "Drone attack")
    assert by_day[(pd.Timestamp("2024-11-25"), "RUS")] == 188
    assert pd.Timestamp("2024-10-01") not in {
        day for day, _ in by_day
    }  # the October total is not put on 1 Oct
    series = curated_engine.strikes(view_of())
    assert series.left_out == 1
    statements = curated[curated[Col.EVENT_TYPE] == "statement"]
    assert statements[Col.COUNT].notna().any() and "statement" not in set(series.frame["event_type"])
    drones_only = counts(curated_engine, strikes="drones")
    assert {t.name for t in drones_only.data if t.type == "bar"} == {"Drone attack"}
    assert any(a.text == "<b>188</b> launched by Russia" for a in drones_only.layout.annotations)


def test_each_launching_side_has_its_own_bar(curated_engine):
    """25 Nov: 188 Russian drones and 8 Ukrainian ATACMS, never one bar of 196."""
    fig = counts(curated_engine, strikes="side", from_="2024-11-25", to="2024-11-25")
    by_side = {}
    for t in fig.data:
        if t.type == "bar" and t.customdata is not None:
            for y, side, offset in zip(t.y, t.customdata, [t.offset] * len(t.y), strict=True):
                by_side[side] = (y, offset)
    assert {side: y for side, (y, _) in by_side.items()} == {"RUS": 188, "UKR": 8}
    assert by_side["RUS"][1] != by_side["UKR"][1]  # side by side, not stacked
    assert {t.name for t in fig.data if t.type == "bar"} >= {"Russia", "Ukraine"}


def test_counts_per_week(curated_engine):
    fig = counts(curated_engine, per="week")
    weeks = bars_by_side(fig, "Drone attack")
    assert weeks[(pd.Timestamp("2024-11-25"), "RUS")] == 188
    assert weeks[(pd.Timestamp("2024-11-18"), "RUS")] == 73  # 24 Nov is a Sunday: the week before


def test_map_draws_every_located_event_over_offline_land(curated_engine, curated: pd.DataFrame):
    fig = figures.map_figure(curated_engine.map(view_of()))
    land = fig.data[0]
    assert land.fill == "toself" and len(land.x) > 1000
    drawn = {row[0] for t in fig.data[1:] if t.customdata is not None for row in t.customdata
             if isinstance(row, (list, tuple, np.ndarray)) and str(row[0]) in set(curated[Col.EVENT_ID])}  # fmt: skip
    assert drawn == set(curated.loc[curated[Col.LATITUDE].notna(), Col.EVENT_ID])
    assert any("Natural Earth" in a.text for a in fig.layout.annotations)


def test_map_of_many_events_aggregates_to_cells(synthetic_parts):
    root = synthetic_parts(100_000, 1)  # the events above's: written once
    data = engine_on(root).map(view_of())
    fig = figures.map_figure(data)
    cells = fig.data[1]
    assert len(cells.x) < 5_000
    assert sum(cells.customdata[:, 1]) == data.located > 10_000


def bar_spans(fig) -> list[tuple[pd.Timestamp, float, float, str]]:
    """(bin start, left edge, right edge, side) of every drawn bar, in milliseconds."""
    out = []
    for t in fig.data:
        if t.type == "bar" and t.customdata is not None:
            for x, side in zip(t.x, t.customdata, strict=True):
                out.append((pd.Timestamp(x, unit="ms"), x + t.offset, x + t.offset + t.width, side))
    return out


@pytest.mark.parametrize("per, length", [("day", DAY_MS), ("week", 7 * DAY_MS)])
def test_every_bar_sits_inside_its_own_day_or_week(curated_engine, per: str, length: int):
    """The 188-drone night of 25 Nov is drawn between the 25 Nov and 26 Nov midnights, not
    astride the 25 Nov gridline (half of it on 24 Nov)."""
    spans = bar_spans(counts(curated_engine, per=per, from_="2024-11-18", to="2024-11-28"))
    assert spans
    for start, left, right, side in spans:
        first = start.value / 1e6
        assert first <= left < right <= first + length, (start, side)
    if per == "week":
        return
    night = [(left, right) for start, left, right, side in spans if start == pd.Timestamp("2024-11-25")]
    assert night and all(when(left).day == 25 and when(right - 1).day == 25 for left, right in night)


def side_colours(fig) -> dict[str, tuple[str, str]]:
    """Launching side -> (colour, hatch) of its bars."""
    out: dict[str, set] = {}
    for t in fig.data:
        if t.type == "bar" and t.customdata is not None:
            for side in set(t.customdata):
                out.setdefault(side, set()).add((t.marker.color, t.marker.pattern.shape))
    assert all(len(v) == 1 for v in out.values()), out  # one look per side within a chart
    return {side: next(iter(v)) for side, v in out.items()}


def test_a_side_keeps_its_colour_and_hatch_whatever_the_filter(curated_engine):
    """Russia is drawn the same with all strikes or only missiles in view (it used to take the
    colour of its rank: grey in one view, blue in the next)."""
    views = [
        {"strikes": "side", "from_": "2024-11-01", "to": "2024-11-30"},
        {"strikes": "side", "from_": "2024-11-01", "to": "2024-11-30", "type": ["missile_strike"]},
        {"strikes": "side", "from_": "2024-11-01", "to": "2024-11-30", "type": ["drone_attack"]},
        {"strikes": "side"},
    ]
    looks = [side_colours(counts(curated_engine, **params)) for params in views]
    for side in ("RUS", "UKR"):
        seen = {look[side] for look in looks if side in look}
        assert seen == {(taxonomy.side_style(side).colour, taxonomy.side_style(side).pattern)}, side
    assert looks[0]["RUS"] != looks[0]["UKR"]
    for params in ({"from_": "2024-11-01", "to": "2024-11-30"}, {"type": ["missile_strike"]}):
        hatches: dict[str, set[str]] = {}  # coloured by type, hatched by side
        for t in counts(curated_engine, **params).data:
            if t.type == "bar" and t.customdata is not None:
                for side in set(t.customdata):
                    hatches.setdefault(side, set()).add(t.marker.pattern.shape)
        assert hatches["RUS"] == {taxonomy.side_style("RUS").pattern}
        assert hatches["UKR"] == {taxonomy.side_style("UKR").pattern}


def test_a_narrow_timeline_reserves_room_for_its_wrapped_legend(curated_engine):
    """On a phone the legend wraps into a row per type; a margin too small for it squeezed the
    lanes, and the labels laid out for one pixel per unit ran into each other."""
    v = view_of(curated_engine)
    wide = figures.timeline_figure(curated_engine.timeline(v), width=1000)[0]
    narrow = figures.timeline_figure(curated_engine.timeline(v), width=200)[0]
    entries = {t.name for t in narrow.data if t.showlegend is not False and t.name}
    assert narrow.layout.margin.b >= 22 * len(entries)
    assert narrow.layout.margin.b > wide.layout.margin.b
    for fig in (wide, narrow):
        lanes = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
        assert lanes == pytest.approx(abs(fig.layout.yaxis.range[0] - fig.layout.yaxis.range[1]), abs=1)


@pytest.mark.parametrize("picked", [1, 4, 0])
def test_a_kept_timeline_faded_is_the_timeline_built_with_the_selection(curated_engine, picked):
    """A click fades a copy of the kept timeline (`fade_timeline`) instead of building it
    again: markers, hatched bars, span lines and call-outs end as a build with the selection
    draws them, to the byte."""
    import json

    from timeline.figures.cache import FigureCache
    from timeline.figures.highlight import fade_timeline

    data = curated_engine.timeline(view_of())
    events = data.events
    spans = events[events[Col.DATE_END] > events[Col.DATE_START]][Col.EVENT_ID]
    chosen = [*list(spans)[:picked], "2024-11-21-ru-oreshnik-strike-dnipro"]
    direct, _ = figures.timeline_figure(data, selected=chosen, width=1200)
    kept, info = FigureCache().get("k", lambda: figures.timeline_figure(data, width=1200))
    assert info.key_events, "the curated data has call-outs to fade"
    faded = fade_timeline(kept, chosen, info.key_events)
    assert json.loads(faded.to_json()) == json.loads(direct.to_json())


def test_map_markers_compare_each_count_only_with_counts_of_its_unit():
    """On the map a unit's largest count has the largest marker (188 drones and 11,000 troops
    both), half of it the area's half; a missing count or unit the smallest."""
    import math

    from timeline.figures.common import marker_sizes

    rows = pd.DataFrame(
        {
            Col.COUNT: pd.array([188, 94, 11000, None, 5], dtype="Int64"),
            Col.COUNT_UNIT: pd.array(["drones", "drones", "troops", "drones", None], dtype="str"),
        }
    )
    sizes = marker_sizes(rows, smallest=9, largest=34)
    assert sizes[0] == sizes[2] == 34
    assert sizes[1] == 9 + 25 * math.sqrt(0.5)
    assert sizes[3] == sizes[4] == 9
    assert len(marker_sizes(rows.iloc[:0])) == 0


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"type": ["drone_attack", "missile_strike"], "from_": "2024-11-18", "to": "2024-11-28"},
        {"lanes": "country", "from_": "2024-01-01", "to": "2024-12-31"},
    ],
)
def test_a_laid_out_timeline_measures_what_it_draws(curated_engine, params):
    """A slide chooses its marks' scale from the events laid out, before drawing them: the
    height and legend it reads must be the drawn figure's, or the slide's plot and legend
    would not fit its picture."""
    from timeline.figures.timeline_chart import draw_timeline, lay_out_timeline

    v = view_of(curated_engine, **params)
    data = curated_engine.timeline(v)
    window = (v.span.start, v.span.end)
    for scale in (1.0, 1.5):
        laid = lay_out_timeline(data, lanes=v.lanes, window=window, width=1500, font=18, scale=scale)
        fig, _ = figures.timeline_figure(data, lanes=v.lanes, window=window, width=1500, font=18, scale=scale)
        margin = fig.layout.margin
        assert laid.plot_height == fig.layout.height - margin.t - margin.b
        legend = [t.name for t in fig.data if t.name and t.showlegend is not False]
        assert laid.legend_names == list(dict.fromkeys(legend)) and laid.legend_names
        traces, layout, _ = draw_timeline(laid)
        assert len(traces) == len(fig.data) and layout["height"] == fig.layout.height
