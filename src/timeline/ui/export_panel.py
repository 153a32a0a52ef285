"""Downloads for briefers: the charts styled for slides, and the filtered rows.

Files are made only when a button is clicked (Streamlit's deferred download data), so the
page does not render images on every rerun.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from timeline.engine import Engine, Match
from timeline.export import (
    briefing,
    data as export_data,
    decks,
    downloads as exports,
    images as export_images,
)
from timeline.figures import counts_chart
from timeline.ui import state
from timeline.ui.safe import inert
from timeline.view import View

CHART_LABELS = {"timeline": "Timeline", "counts": counts_chart.TITLE, "map": "Map"}
IMAGE_MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
TITLE, SUBTITLE, CHART, SIZE = "x_title", "x_subtitle", "x_chart", "x_size"
DEFAULTS = "x_defaults"


def _follow_defaults(texts: exports.Texts) -> None:
    """Keep the title and subtitle in step with the filters until the briefer edits them."""
    previous = st.session_state.get(DEFAULTS)
    for key, value, old in (
        (TITLE, texts.title, previous and previous.title),
        (SUBTITLE, texts.subtitle, previous and previous.subtitle),
    ):
        if key not in st.session_state or st.session_state[key] == old:
            st.session_state[key] = value
    st.session_state[DEFAULTS] = texts
    state.resend((TITLE, SUBTITLE))


def render(engine: Engine, current: Callable[[], View], match: Match) -> None:
    """The panel; `current` gives the view when a file is made, as a chart option changed
    since (it reruns only its chart, not this panel) shapes the chart exported."""
    st.subheader("Export for a briefing")
    chart, size, texts = _choices(engine, current(), match)
    chromium = export_images.find_chromium()
    columns = st.columns(8)
    _chart_buttons(columns[:5], chart, size, texts, engine, current, chromium is not None)
    _data_buttons(columns[5:], engine, current)
    if chromium is None:
        st.info(
            f"{export_images.INSTALL_HINT} HTML and data downloads work without it.", icon=":material/info:"
        )


def _choices(engine: Engine, view: View, match: Match) -> tuple[str, briefing.Size, exports.Texts]:
    """The chart, the slide size, and the title and subtitle (following the filters until
    edited) with the footer, as the briefer chose them."""
    defaults = exports.default_texts(engine, view, match)
    _follow_defaults(defaults)
    left, right = st.columns(2)
    chart = (
        left.segmented_control(
            "Chart", list(CHART_LABELS), format_func=CHART_LABELS.get, key=CHART, default="timeline"
        )
        or "timeline"
    )
    size = briefing.SIZES[
        right.selectbox("Size", list(briefing.SIZES), format_func=lambda k: briefing.SIZES[k].label, key=SIZE)
    ]
    st.text_input("Title", key=TITLE, max_chars=200)
    st.text_input("Subtitle", key=SUBTITLE, max_chars=300)
    st.caption(f"Footer: {inert(defaults.footer)}")
    texts = exports.Texts(
        title=st.session_state[TITLE] or defaults.title,
        subtitle=st.session_state[SUBTITLE] or "",
        footer=defaults.footer,
    )
    return chart, size, texts


def _chart_buttons(
    columns: list, chart: str, size: briefing.Size, texts: exports.Texts, engine: Engine,
    current: Callable[[], View], chromium: bool,
) -> None:  # fmt: skip
    """The chart as PNG, SVG and PDF (Kaleido, which needs Chromium), HTML, and a pptx slide."""
    for column, fmt in zip(columns[:3], briefing.IMAGE_FORMATS, strict=True):

        def make(fmt: str = fmt) -> bytes:
            return exports.chart_file(chart, fmt, engine, current(), size, texts)

        column.download_button(
            inert(fmt.upper()),
            data=make,
            file_name=exports.file_name(chart, fmt, size),
            mime=IMAGE_MIME[fmt],
            on_click="ignore",
            disabled=not chromium,
            help=export_images.INSTALL_HINT if not chromium else f"{inert(size.label)}, rendered by Kaleido",
            key=f"dl-{fmt}",
            width="stretch",
        )
    columns[3].download_button(
        "HTML",
        data=lambda: exports.chart_file(chart, "html", engine, current(), size, texts),
        file_name=exports.file_name(chart, "html", None),
        mime="text/html",
        on_click="ignore",
        help="Interactive chart with plotly.js inside: opens offline.",
        key="dl-html",
        width="stretch",
    )
    columns[4].download_button(
        "PowerPoint",
        data=lambda: decks.to_pptx(
            decks.view_deck(engine, current().without_story(), (chart,), texts.title, texts.subtitle)
        ),
        file_name=f"{chart}-slide.pptx",
        mime=decks.MIME["pptx"],
        on_click="ignore",
        disabled=not chromium,
        help=export_images.INSTALL_HINT
        if not chromium
        else "This chart on a 16:9 slide with the title, subtitle, sources and as-of date as text",
        key="dl-pptx",
        width="stretch",
    )


def _data_buttons(columns: list, engine: Engine, current: Callable[[], View]) -> None:
    """The matching rows as CSV, Excel and Parquet, with the filters inside the file."""
    for column, fmt in zip(columns, export_data.DATA_FORMATS, strict=True):

        def rows(fmt: str = fmt) -> bytes:
            return exports.data_file(fmt, engine, current())

        column.download_button(
            {"csv": "CSV", "xlsx": "Excel", "parquet": "Parquet"}[fmt],
            data=rows,
            file_name=exports.file_name(None, fmt, None),
            mime=export_data.MIME[fmt],
            on_click="ignore",
            help="The matching events, with the filters and the data's as-of date inside the file.",
            key=f"dl-{fmt}",
            width="stretch",
        )
