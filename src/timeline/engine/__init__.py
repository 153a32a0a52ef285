"""Everything the dashboard, the exports and the CLI ask of the data, behind one interface.

`Engine` compiles a `view.View` into Ibis expressions and runs them on DuckDB or Spark
(`backends`). Every answer is small and already aggregated where the view is large: the
count of matching events, the newest rows for the table, the timeline as lane x time-bin
counts (or the events themselves when there are few), the launched/intercepted series, map
points or cells, the sidebar's options, the "without this filter" counts, single events for
cards. Figures draw these results; they never see the whole dataset.
"""

from timeline.engine.backends import ENGINES, EngineError, Source, backend, open_source
from timeline.engine.queries import MAX_EVENTS, MAX_LANES, Engine, open_engine
from timeline.engine.results import MapData, Match, StrikeSeries, Summary, TimelineData, choose_bin

__all__ = [
    "ENGINES",
    "MAX_EVENTS",
    "MAX_LANES",
    "Engine",
    "EngineError",
    "MapData",
    "Match",
    "Source",
    "StrikeSeries",
    "Summary",
    "TimelineData",
    "backend",
    "choose_bin",
    "open_engine",
    "open_source",
]
