"""Plotly figures for the dashboard and the exports: timeline, counts over time, map.

Pure functions of the engine's results (`timeline.engine`): the events themselves when a
view holds few, counts per bin or cell when it holds many, so a figure's size is bounded
whatever the dataset's.
"""

from timeline.figures.common import BORDER_COLOUR, DAY_MS, UNCERTAIN_PATTERN, hover_data, is_point
from timeline.figures.counts_chart import MAX_BARS, counts_figure
from timeline.figures.map_chart import border_lines, map_figure
from timeline.figures.timeline_chart import TimelineInfo, lane_pairs, timeline_figure, with_lanes

__all__ = [
    "BORDER_COLOUR",
    "DAY_MS",
    "MAX_BARS",
    "UNCERTAIN_PATTERN",
    "TimelineInfo",
    "border_lines",
    "counts_figure",
    "hover_data",
    "is_point",
    "lane_pairs",
    "map_figure",
    "timeline_figure",
    "with_lanes",
]
