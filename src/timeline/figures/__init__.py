"""Plotly figures for the dashboard and the exports: timeline, counts over time, map.

Pure functions of a filtered frame. Each keeps what it sends to the browser bounded: above
`MAX_EVENTS` events the timeline and map aggregate to counts per bin per lane (or per map
cell), so a million rows cost the same bytes as a few thousand.
"""

from timeline.figures.common import (
    AGGREGATE_COLUMNS,
    BORDER_COLOUR,
    DAY_MS,
    MAX_BARS,
    MAX_EVENTS,
    MAX_LANES,
    UNCERTAIN_PATTERN,
    bin_start,
    choose_bin,
    country_name,
    hover_data,
    in_view,
    is_point,
)
from timeline.figures.counts_chart import COUNT_CHOICES, counts_figure, strike_rows
from timeline.figures.map_chart import border_lines, map_figure
from timeline.figures.timeline_chart import TimelineInfo, lane_pairs, timeline_figure, with_lanes

__all__ = [
    "AGGREGATE_COLUMNS",
    "BORDER_COLOUR",
    "COUNT_CHOICES",
    "DAY_MS",
    "MAX_BARS",
    "MAX_EVENTS",
    "MAX_LANES",
    "UNCERTAIN_PATTERN",
    "TimelineInfo",
    "bin_start",
    "border_lines",
    "choose_bin",
    "country_name",
    "counts_figure",
    "hover_data",
    "in_view",
    "is_point",
    "lane_pairs",
    "map_figure",
    "strike_rows",
    "timeline_figure",
    "with_lanes",
]
