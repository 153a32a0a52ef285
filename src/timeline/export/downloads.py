"""What a briefer downloads: the dashboard's charts styled for slides, and the matching rows.

Shared by the app's download buttons and `timeline export`, so both produce the same
files from the same view (the dashboard URL's filters and chart settings), through the
same engine queries as the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import plotly.graph_objects as go

from timeline import view
from timeline.domain.schema import from_arrow
from timeline.engine import Engine, Match
from timeline.export import briefing, data as export_data, framing, images as export_images
from timeline.export.briefing import Size
from timeline.export.framing import Texts
from timeline.figures import counts_figure, map_figure, timeline_figure
from timeline.view import View

ALL_FORMATS = (*briefing.IMAGE_FORMATS, "html", *export_data.DATA_FORMATS)


def chart_figure(chart: str, engine: Engine, v: View, match: Match | None = None) -> go.Figure:
    window = (v.span.start, v.span.end)
    if chart == "timeline":
        return timeline_figure(engine.timeline(v, match), lanes=v.lanes, window=window)[0]
    if chart == "counts":
        return counts_figure(engine.strikes(v), window=window)
    if chart == "map":
        return map_figure(engine.map(v, match))
    raise ValueError(f"unknown chart {chart!r}; choose {', '.join(briefing.CHARTS)}")


def default_texts(engine: Engine, v: View, match: Match) -> Texts:
    """The chart's title, subtitle and footer before the briefer edits them (`framing`)."""
    return framing.texts(engine, v, framing.seen(engine, v, match))


def briefing_figure(chart: str, engine: Engine, v: View, size: Size, texts: Texts) -> go.Figure:
    """The chart styled for a slide or page; a timeline laid out for it (`briefing.slide_timeline`)."""
    laid_out = chart == "timeline"
    fig: go.Figure | briefing.Plain
    if laid_out:
        fig = briefing.slide_timeline(
            engine.timeline(v),
            lanes=v.lanes,
            window=(v.span.start, v.span.end),
            size=size,
            frame=briefing.export_frame(
                size, briefing.Heading.of(size, texts.title, texts.subtitle, texts.footer), dates_on_top=True
            ),
        )
    else:
        fig = chart_figure(chart, engine, v)
    return briefing.style(
        fig,
        title=texts.title,
        subtitle=texts.subtitle,
        footer_text=texts.footer,
        size=size,
        laid_out=laid_out,
    )


def chart_file(chart: str, fmt: str, engine: Engine, v: View, size: Size, texts: Texts) -> bytes:
    fig = briefing_figure(chart, engine, v, size, texts)
    if fmt == "html":
        return export_images.to_html(fig, texts.title)
    return export_images.render(fig, fmt, size)


def export_info(engine: Engine, v: View, rows: int) -> export_data.ExportInfo:
    filters = {k: values for k, values in view.to_params(v.filters_only()).items()}
    return export_data.ExportInfo(
        query=urlencode(filters, doseq=True),
        as_of=engine.summary.as_of,
        rows=rows,
        filters=filters,
        counting=view.counting(v),
    )


def data_file(fmt: str, engine: Engine, v: View) -> bytes:
    rows = from_arrow(engine.rows(v))
    return export_data.export_rows(rows, fmt, export_info(engine, v, len(rows)))


def file_name(chart: str | None, fmt: str, size: Size | None) -> str:
    if fmt in export_data.DATA_FORMATS:
        return f"events.{fmt}"
    if fmt == "html":
        return f"{chart}.html"
    return f"{chart}-{size.key if size else 'chart'}.{fmt}"
