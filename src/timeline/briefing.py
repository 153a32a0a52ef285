"""Slide-ready styling for exported charts: size presets, a title and subtitle generated from
the active filters, a footer with the sources and the data's as-of date, projector-size fonts.

The dashboard's figures stay the dashboard's; `style` returns a restyled copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from timeline import taxonomy
from timeline.figures import country_name
from timeline.filters import Filters
from timeline.formatting import day_range
from timeline.schema import Col


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


def _plural(label: str) -> str:
    if label.endswith("y") and not label.endswith("ay"):
        return label[:-1] + "ies"
    return label if label.endswith("s") else label + "s"


def subject(types: tuple[str, ...]) -> str:
    """'Drone attacks and missile strikes', a group's name when all its types are chosen, or
    'Conflict events' when no type filter is set."""
    if not types:
        return "Conflict events"
    for group in taxonomy.GROUPS:
        members = taxonomy.types_in_group(group.key)
        if len(types) > 1 and set(types) == set(members):
            return group.label
    labels = [_plural(taxonomy.LABELS[t]) for t in types]
    labels = [labels[0]] + [label.lower() for label in labels[1:]]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def default_title(f: Filters, first: date | None, last: date | None) -> str:
    """E.g. 'Drone attacks and missile strikes involving Ukraine, 1–30 Nov 2024'."""
    title = subject(f.types)
    if f.countries:
        names = [country_name(c).rsplit(" (", 1)[0] for c in f.countries[:3]]
        title += " involving " + (
            " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
        )
        if len(f.countries) > 3:
            title += " and others"
    span = day_range(f.start or first, f.end or last)
    return f"{title}, {span}" if span else title


def default_subtitle(f: Filters, matched: int) -> str:
    parts = [f"{matched:,} events"]
    if f.actors:
        parts.append("actors: " + ", ".join(f.actors[:4]) + (" …" if len(f.actors) > 4 else ""))
    if f.text:
        parts.append(f'matching "{f.text}"')
    if f.confidence:
        parts.append("confidence: " + ", ".join(f.confidence))
    if f.min_count is not None:
        parts.append(f"count ≥ {f.min_count:,}")
    if f.datasets:
        parts.append("datasets: " + ", ".join(f.datasets))
    return " · ".join(parts)


def footer(events: pd.DataFrame, as_of: date | None, top: int = 4) -> str:
    """'Sources: A, B, C and 12 others · Data as of 27 Dec 2024 · conflict-timeline'."""
    outlets = events[Col.SOURCE_OUTLET].value_counts() if len(events) else pd.Series(dtype="int64")
    names = list(outlets.index[:top])
    sources = ", ".join(str(n) for n in names)
    if len(outlets) > top:
        sources += f" and {len(outlets) - top} others"
    parts = [f"Sources: {sources}" if sources else "Sources: none"]
    if as_of is not None:
        parts.append(f"Data as of {as_of.day} {as_of:%b %Y}")
    parts.append("conflict-timeline")
    return " · ".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
            "text": f"<b>{_escape(title)}</b>",
            "subtitle": {"text": _escape(subtitle), "font": {"size": round(base * 0.95), "color": "#555"}},
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
        text=_escape(footer_text),
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
