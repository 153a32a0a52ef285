"""Slide-ready styling for exported charts: size presets, a subtitle and a footer with the
sources and the data's as-of date, projector-size fonts (titles come from `view.title`).

The dashboard's figures stay the dashboard's; `style` returns a restyled copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from timeline.figures.common import escape_text


@dataclass(frozen=True)
class Size:
    key: str
    label: str
    width: int
    height: int
    scale: float = 1.0
    """PNG pixels = layout pixels x scale; PDF and SVG use the layout size."""

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


SIZES: dict[str, Size] = {
    s.key: s
    for s in (
        Size("slide-16x9", "16:9 slide (1920x1080)", 1920, 1080),
        Size("slide-4x3", "4:3 slide (1600x1200)", 1600, 1200),
        # 297 x 210 mm at 96 CSS px per inch: the PDF page is exactly A4; PNG at 2x (~192 dpi).
        Size("a4-landscape", "A4 landscape (297x210 mm)", 1123, 794, scale=2),
        Size("square", "Square (1080x1080)", 1080, 1080),
    )
}
CHARTS = ("timeline", "counts", "map")
IMAGE_FORMATS = ("png", "svg", "pdf")
FONT = "DejaVu Sans, Arial, sans-serif"


def subtitle(matched: int, details: list[str]) -> str:
    """'8 events · confidence: claimed': the count and the filters the title does not name."""
    return " · ".join([f"{matched:,} events", *details])


def footer(outlets: pd.Series, as_of: date | None, top: int = 4) -> str:
    """'Sources: A, B, C and 12 others · Data as of 27 Dec 2024 · conflict-timeline', from the
    matching events per outlet (most first)."""
    names = list(outlets.index[:top])
    sources = ", ".join(str(n) for n in names)
    if len(outlets) > top:
        sources += f" and {len(outlets) - top} others"
    parts = [f"Sources: {sources}" if sources else "Sources: none"]
    if as_of is not None:
        parts.append(f"Data as of {as_of.day} {as_of:%b %Y}")
    parts.append("conflict-timeline")
    return " · ".join(parts)


def style(fig: go.Figure, *, title: str, subtitle: str, footer_text: str, size: Size) -> go.Figure:
    """A copy of `fig` laid out for a slide or page: fixed size, white background, big type,
    title and subtitle at the top, attribution and as-of date at the bottom."""
    out = go.Figure(fig)
    base = max(12, round(size.width / 90))
    out.update_layout(
        template="plotly_white",
        width=size.width,
        height=size.height,
        font={"family": FONT, "size": base, "color": "#222"},
        title={
            "text": f"<b>{escape_text(title)}</b>",
            "subtitle": {
                "text": escape_text(subtitle),
                "font": {"size": round(base * 0.95), "color": "#555"},
            },
            "x": 0.01,
            "xanchor": "left",
            "xref": "container",
            "y": 1 - base * 0.8 / size.height,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": round(base * 1.6)},
        },
        margin={"l": round(base * 4), "r": round(base * 2), "t": round(base * 7.5), "b": round(base * 5)},
        legend={
            "orientation": "h",
            "yref": "paper",
            "y": 1.0,
            "yanchor": "bottom",
            "x": 0,
            "font": {"size": base},
        },
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    grow = size.width / 1400  # dashboard marks were sized for a ~1400 px wide page
    for trace in out.data:
        if (
            trace.type == "scatter"
            and trace.mode
            and "markers" in trace.mode
            and trace.marker.size is not None
        ):
            sizes = trace.marker.size
            trace.marker.size = (
                [v * grow for v in sizes]
                if isinstance(sizes, (list, tuple)) or hasattr(sizes, "__len__")
                else sizes * grow
            )
        if trace.type in ("scatter", "bar") and getattr(trace, "text", None) is not None:
            trace.textfont.size = round(base * 0.8)
    out.update_xaxes(rangeselector={"visible": False}, tickfont={"size": base}, title_font={"size": base})
    out.update_yaxes(tickfont={"size": base}, title_font={"size": base})
    bottom = round(base * 5)
    plot_height = size.height - round(base * 7.5) - bottom
    out.add_annotation(  # in the bottom margin, below the axis labels
        text=escape_text(footer_text),
        xref="paper",
        yref="paper",
        x=0,
        y=-(bottom - 0.5 * base) / plot_height,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": round(base * 0.75), "color": "#555"},
    )
    return out
