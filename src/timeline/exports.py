"""What a briefer downloads: the dashboard's charts styled for slides, and the filtered rows.

Shared by the app's download buttons and `timeline export`, so both produce the same
files from the same view (the view is the dashboard URL's filters and chart settings).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline import briefing, export_data, export_images, urlstate
from timeline.briefing import Size
from timeline.figures import counts_figure, in_view, map_figure, timeline_figure
from timeline.filters import Catalog
from timeline.schema import Col
from timeline.urlstate import View

FILTER_PARAMS = (
    urlstate.P_FROM,
    urlstate.P_TO,
    urlstate.P_TYPE,
    urlstate.P_COUNTRY,
    urlstate.P_ACTOR,
    urlstate.P_Q,
    urlstate.P_CONFIDENCE,
    urlstate.P_MIN_COUNT,
    urlstate.P_DATASET,
)
ALL_FORMATS = (*briefing.IMAGE_FORMATS, "html", *export_data.DATA_FORMATS)


@dataclass(frozen=True)
class Texts:
    title: str
    subtitle: str
    footer: str


def chart_figure(chart: str, df: pd.DataFrame, view: View) -> go.Figure:
    window = (view.filters.start, view.filters.end)
    if chart == "timeline":
        return timeline_figure(df, lanes=view.lanes, window=window)[0]
    if chart == "counts":
        return counts_figure(df, per=view.per, what=view.strikes, window=window)
    if chart == "map":
        return map_figure(df)
    raise ValueError(f"unknown chart {chart!r}; choose {', '.join(briefing.CHARTS)}")


def default_texts(catalog: Catalog, keep: np.ndarray, view: View) -> Texts:
    """Title and subtitle from the filters; footer from the sources in view and the data's date."""
    outlets = catalog.events.loc[keep, [Col.SOURCE_OUTLET]]
    return Texts(
        title=briefing.default_title(view.filters, catalog.first_day, catalog.last_day),
        subtitle=briefing.default_subtitle(view.filters, int(keep.sum())),
        footer=briefing.footer(outlets, catalog.as_of),
    )


def briefing_figure(
    chart: str, catalog: Catalog, keep: np.ndarray, view: View, size: Size, texts: Texts
) -> go.Figure:
    fig = chart_figure(chart, in_view(catalog.events, keep), view)
    return briefing.style(
        fig, title=texts.title, subtitle=texts.subtitle, footer_text=texts.footer, size=size
    )


def chart_file(
    chart: str, fmt: str, catalog: Catalog, keep: np.ndarray, view: View, size: Size, texts: Texts
) -> bytes:
    fig = briefing_figure(chart, catalog, keep, view, size, texts)
    if fmt == "html":
        return export_images.to_html(fig, texts.title)
    return export_images.render(fig, fmt, size)


def export_info(catalog: Catalog, keep: np.ndarray, view: View) -> export_data.ExportInfo:
    params = urlstate.to_params(view)
    filters = {k: v for k, v in params.items() if k in FILTER_PARAMS}
    return export_data.ExportInfo(
        query=urlencode(filters, doseq=True), as_of=catalog.as_of, rows=int(keep.sum()), filters=filters
    )


def data_file(fmt: str, catalog: Catalog, keep: np.ndarray, view: View) -> bytes:
    rows = catalog.events[keep]
    return export_data.export_rows(rows, fmt, export_info(catalog, keep, view))


def file_name(chart: str | None, fmt: str, size: Size | None) -> str:
    if fmt in export_data.DATA_FORMATS:
        return f"events.{fmt}"
    if fmt == "html":
        return f"{chart}.html"
    return f"{chart}-{size.key if size else 'chart'}.{fmt}"


def _read_umask() -> int:
    """Read once at import: os.umask can only be read by setting it, which is not thread-safe."""
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes files private; an export is an ordinary file
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
