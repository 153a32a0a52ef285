"""Briefing decks: a story, or any view, as a 16:9 PowerPoint deck or the same deck as a PDF.

A deck has a title slide (a story's) and one slide per step (or per chart of a view): the
step's title, the finding in view and how it counts as an editable subtitle, the step's chart
laid out for the slide's picture box and rendered at twice its size, the caption as a text
box, and a footer with the sources of the step's events, the data's as-of date and the slide
number (title, subtitle and footer from `framing`, as every chart export's). Slides are 13.333 x 7.5 inches; a layout pixel is 1/144 inch, so a 1920x1080
projection shows every layout pixel as one screen pixel and the charts' 18 px minimum
(`briefing.MIN_TEXT_PX`) holds on the wall; text boxes are at least 10 pt (20 px).

The PowerPoint file is built with python-pptx: titles in the layout's title placeholders (so
they are the outline and what a screen reader reads first), captions and subtitles in text
boxes, the caption again in the speaker notes with the step's dashboard link. The PDF is one
HTML page per slide with the same boxes, real text and the charts as SVG, printed in one go
by the same Chromium that renders the charts (`export_images.print_pdf`). All of a deck's
charts are rendered in one `export_images.render_many` call.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from html import escape

import pandas as pd
import plotly.graph_objects as go

from timeline import stories, view
from timeline.domain.schema import Col
from timeline.engine import Engine, TimelineData
from timeline.export import briefing, framing, images as export_images
from timeline.export.briefing import Frame, Size
from timeline.figures import counts_figure, map_figure
from timeline.figures.common import figure
from timeline.figures.highlight import bins_of, fade_bins, fade_events
from timeline.view import View

PX_PER_IN = 144
"""Layout pixels per inch: 1920 x 1080 over the 13.333 x 7.5 inch slide."""
SLIDE = Size("deck-16x9", "16:9 slide", 1920, 1080)
MARGIN = 72
CONTENT_W = SLIDE.width - 2 * MARGIN
PT = 2
"""Layout pixels per point (144 px per inch, 72 pt per inch)."""
FONT = "Arial"
CSS_FONT = "Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
EM = {"regular": 0.52, "bold": 0.57}
"""Average character width of Arial (and the metric-compatible Liberation Sans), in ems."""
TITLE_PT, SUBTITLE_PT, CAPTION_PT, FOOTER_PT = 26, 15, 16, 10
COVER_TITLE_PT, COVER_SUB_PT, COVER_META_PT = 40, 20, 14
PNG_SCALE = 2
MAP_SHARE, GUTTER = 0.62, 40
"""A map slide's map takes this share of the width; its caption stands beside it."""
DECK_LANE_PX, DECK_SCALE = 240, 1.8
"""A deck's timeline may give a lane this many pixels and enlarge its marks this much."""
GREY, DARK = "555555", "222222"
MIME = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}
FORMATS = tuple(MIME)


@dataclass(frozen=True)
class Box:
    """A rectangle on the slide in layout pixels (1/144 in)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def inches(self) -> tuple[float, float, float, float]:
        return tuple(v / PX_PER_IN for v in (self.left, self.top, self.width, self.height))  # type: ignore[return-value]


@dataclass(frozen=True)
class Slide:
    number: int
    title: str
    subtitle: str
    caption: str
    footer: str
    chart: str
    figure: go.Figure
    picture: Box
    title_box: Box
    subtitle_box: Box
    caption_box: Box
    link: str = ""
    """The dashboard query of this slide (`?story=...&step=...` or the view's)."""

    @property
    def size(self) -> Size:
        return Size("picture", "picture", round(self.picture.width), round(self.picture.height), PNG_SCALE)


@dataclass(frozen=True)
class Deck:
    name: str
    title: str
    summary: str
    author: str
    footer: str
    slides: tuple[Slide, ...]
    cover: bool = True
    """A title slide first (a story's deck); a view's deck is its chart slides alone."""

    def file_name(self, fmt: str) -> str:
        return f"{self.name}.{fmt}"


def lines(text: str, pt: float, width: float, weight: str = "regular") -> list[str]:
    """`text` wrapped as a slide would show it (estimated from Arial's average widths)."""
    if not text:
        return []
    chars = max(10, int(width / (EM[weight] * pt * PT)))
    return textwrap.wrap(text, chars, break_on_hyphens=False) or [text]


def _height(n: int, pt: float, leading: float = 1.25) -> float:
    return n * pt * PT * leading


# --- content -------------------------------------------------------------------------------


def story_deck(engine: Engine, story: stories.Story, on_slide: Callable[[Slide], None] | None = None) -> Deck:
    """A story's deck: its title slide, then one slide per step. `on_slide` is called with
    each slide as soon as it is laid out (`story_file` starts rendering its chart there)."""
    slides = []
    outlets: list[pd.Series] = []
    for step in story.steps:
        data = framing.seen(engine, step.view)
        link = "?" + _query(story.link(step.number))
        slide = _slide(
            engine, step.view, data, framing.texts(engine, step.view, data, title=step.title),
            number=step.number + 1, caption=step.caption, chart=step.chart, highlight=step.highlight,
            extent=step.map_extent, link=link,
        )  # fmt: skip
        if on_slide is not None:
            on_slide(slide)
        slides.append(slide)
        outlets.append(data.outlets)
    every = pd.concat(outlets).groupby(level=0).sum()
    every = every.iloc[sorted(range(len(every)), key=lambda i: (-every.iloc[i], str(every.index[i])))]
    return Deck(
        name=story.name,
        title=story.title,
        summary=story.summary,
        author=story.author,
        footer=briefing.footer(every, engine.summary.as_of),
        slides=tuple(slides),
    )


def view_deck(
    engine: Engine, v: View, charts: Sequence[str] = ("timeline",), title: str | None = None,
    subtitle: str | None = None,
) -> Deck:  # fmt: skip
    """Any view as slides, one per chart (one slide by default), without a title slide."""
    data = framing.seen(engine, v)
    texts = framing.texts(engine, v, data, title=title, subtitle_text=subtitle)
    slides = tuple(
        _slide(engine, v, data, texts, number=i, caption="", chart=chart, highlight=(), extent=None,
               link="?" + _query(view.to_params(v)))
        for i, chart in enumerate(charts, 1)
    )  # fmt: skip
    return Deck(
        name="slide" if len(slides) == 1 else "slides",
        title=texts.title,
        summary="",
        author="",
        footer=texts.footer,
        slides=slides,
        cover=False,
    )


def _query(params: dict[str, list[str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(params, doseq=True)


def _slide(
    engine: Engine, v: View, data: framing.Seen, texts: framing.Texts, *, number: int, caption: str,
    chart: str, highlight: Sequence[str], extent: tuple[float, float, float, float] | None, link: str,
) -> Slide:  # fmt: skip
    title, finding, footer = texts.title, texts.subtitle, texts.footer
    title_lines = lines(title, TITLE_PT, CONTENT_W, "bold")[:2]
    title_box = Box(MARGIN, 36, CONTENT_W, _height(len(title_lines), TITLE_PT, 1.2) + 8)
    sub_lines = lines(finding, SUBTITLE_PT, CONTENT_W)[:3]
    subtitle_box = Box(MARGIN, title_box.bottom + 2, CONTENT_W, _height(len(sub_lines), SUBTITLE_PT) + 6)
    footer_top = SLIDE.height - 60
    top = subtitle_box.bottom + 14
    if chart == "map" and caption:  # a map beside its caption: as tall as the slide allows
        width = round(CONTENT_W * MAP_SHARE)
        beside = CONTENT_W - width - GUTTER
        caption_h = _height(len(lines(caption, CAPTION_PT, beside)), CAPTION_PT, 1.3) + 8
        size = Size("picture", "", width, round(footer_top - 16 - top))
        figure = chart_figure(chart, engine, v, size, highlight, extent, data.timeline)
        picture = Box(MARGIN, top, width, figure.layout.height)
        caption_box = Box(MARGIN + width + GUTTER, top + 8, beside, caption_h)
    else:  # the chart across the slide, the caption under it
        caption_h = _height(len(lines(caption, CAPTION_PT, CONTENT_W)), CAPTION_PT, 1.3) + 8 if caption else 0
        room = footer_top - 16 - (caption_h + 18 if caption else 0) - top
        size = Size("picture", "", CONTENT_W, round(room))
        figure = chart_figure(chart, engine, v, size, highlight, extent, data.timeline)
        picture = Box(MARGIN, top, CONTENT_W, figure.layout.height)
        caption_box = Box(MARGIN, picture.bottom + 18, CONTENT_W, caption_h)
    return Slide(number, title, finding, caption, footer, chart, figure, picture, title_box, subtitle_box,
                 caption_box, link)  # fmt: skip


def chart_figure(
    chart: str, engine: Engine, v: View, size: Size, highlight: Sequence[str] = (),
    extent: tuple[float, float, float, float] | None = None, timeline: TimelineData | None = None,
) -> go.Figure:  # fmt: skip
    """A chart for a slide's picture box of `size` (its width; at most its height): no title
    or footer (those are the slide's own text), slide-size type, the step's events bright and
    the others faded. A timeline is as tall as its lanes; the others take the box."""
    window = (v.span.start, v.span.end)
    base = briefing.base_font(SLIDE.width)
    if chart == "timeline":
        plain = briefing.slide_timeline(
            timeline or engine.timeline(v), lanes=v.lanes, window=window, size=size, selected=tuple(highlight), fill=False,
            frame=Frame(top=4, bottom=4, right=round(base * 1.5)), max_lane=DECK_LANE_PX, max_scale=DECK_SCALE,
        )  # fmt: skip
        briefing.look(plain, SLIDE, laid_out=True)
        return figure(plain["data"], plain["layout"])
    if chart == "counts":
        series = engine.strikes(v)
        fig = counts_figure(series, window=window)  # a new figure, faded in place below
        if series.empty:
            return _empty(size, "No drone or missile counts among these events.")
        rows = timeline.events if timeline is not None and timeline.events is not None else None
        if rows is None or not set(highlight) <= set(rows[Col.EVENT_ID]):
            rows = engine.by_ids(list(highlight)) if highlight else None
        days = rows[rows[Col.EVENT_ID].isin(list(highlight))][Col.DATE_START] if rows is not None else []
        fade_bins(fig, bins_of([pd.Timestamp(d).date() for d in days], series.per), series.per)
        peaks = [a.y for a in fig.layout.annotations if a.showarrow]
        if peaks:
            fig.update_yaxes(range=[0, max(peaks) * 1.2])  # room for the peak's label under the legend
    elif chart == "map":
        fig = map_figure(engine.map(v), extent=extent)  # a new figure, faded in place below
        if not fig.data:
            return _empty(size, "None of these events has a place on the map.")
        fade_events(fig, highlight)
    else:
        raise ValueError(f"unknown chart {chart!r}; choose {', '.join(stories.CHARTS)}")
    plain = briefing.look(briefing.plain(fig), SLIDE)  # restyled as plain dicts, as `briefing.style`
    legend = briefing._legend_rows(plain, size.width, base) * round(base * 1.6)
    margin = {"l": round(base * 4), "r": round(base * 1.5), "t": legend + 8, "b": round(base * 3)}
    if chart == "map":
        margin.update(l=4, r=4, b=4)
    briefing.merge(plain["layout"], {
        "width": size.width, "height": size.height, "margin": margin,
        "legend": {"orientation": "h", "yref": "paper", "y": 1.0, "yanchor": "bottom", "x": 0},
    })  # fmt: skip
    briefing.update_axes(plain, "x", {"tickangle": 0})
    if chart == "map":
        plot = size.width - margin["l"] - margin["r"], size.height - margin["t"] - margin["b"]
        briefing.fit_map(plain, *plot)
    return figure(plain["data"], plain["layout"])


def _empty(size: Size, text: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        width=size.width, height=min(size.height, 200), template="plotly_white", margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": text, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
                      "font": {"size": 24, "color": "#555", "family": briefing.FONT}}],
    )  # fmt: skip
    return fig


# --- PowerPoint ----------------------------------------------------------------------------


PICTURES = {"pptx": "png", "pdf": "svg"}
"""The charts' image format in each deck format: PNG at twice the slide's pixels in PowerPoint,
SVG (vector, real text) in the PDF."""


def _job(s: Slide, fmt: str) -> tuple[go.Figure, str, Size]:
    return s.figure, fmt, s.size if fmt == "png" else replace(s.size, scale=1)


def render(deck: Deck, fmt: str) -> list[bytes]:
    """The deck's charts as PNG (at twice their size) or SVG, in one Kaleido call."""
    return export_images.render_many([_job(s, fmt) for s in deck.slides])


def story_file(engine: Engine, story: stories.Story, fmt: str) -> tuple[Deck, bytes]:
    """A story's deck as a pptx or pdf file. Each chart starts rendering as soon as its slide is
    laid out, so Chromium draws while the next slides are queried and built
    (benchmarks/bench_deck.py; docs/performance.md, "Briefing decks")."""
    if fmt not in PICTURES:
        raise ValueError(f"not a deck format: {fmt}; choose {', '.join(FORMATS)}")
    pending: list = []
    deck = story_deck(engine, story, lambda s: pending.append(export_images.submit(*_job(s, PICTURES[fmt]))))
    pictures = export_images.results(pending)
    return deck, to_pptx(deck, pictures) if fmt == "pptx" else to_pdf(deck, pictures)


def to_pptx(deck: Deck, pictures: list[bytes] | None = None) -> bytes:
    """The deck as a .pptx (16:9): title slide, then a slide per step."""
    from pptx import Presentation
    from pptx.util import Emu, Inches

    pictures = pictures if pictures is not None else render(deck, "png")
    prs = Presentation()
    prs.slide_width, prs.slide_height = (
        Emu(Inches(SLIDE.width / PX_PER_IN)),
        Emu(Inches(SLIDE.height / PX_PER_IN)),
    )
    total = len(deck.slides) + (1 if deck.cover else 0)
    if deck.cover:
        _cover(prs, deck, total)
    for slide, png in zip(deck.slides, pictures, strict=True):
        _content(prs, slide, png, total)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _emu(px: float):
    from pptx.util import Emu

    return Emu(round(px / PX_PER_IN * 914400))


def _text(
    shape, text: str, pt: float, *, bold: bool = False, colour: str = DARK, align: str = "left"
) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Pt

    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    frame.text = ""
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = PP_ALIGN.RIGHT if align == "right" else PP_ALIGN.LEFT
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(pt)
        run.font.name = FONT
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(colour)


def _box(slide, box: Box, text: str, pt: float, **kw) -> object:
    shape = slide.shapes.add_textbox(_emu(box.left), _emu(box.top), _emu(box.width), _emu(box.height))
    _text(shape, text, pt, **kw)
    return shape


def _title(slide, box: Box, text: str, pt: float) -> None:
    """The layout's title placeholder, moved into place: the slide's title for the outline."""
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = (
        _emu(box.left),
        _emu(box.top),
        _emu(box.width),
        _emu(box.height),
    )
    _text(title, text, pt, bold=True)


def _footer(slide, footer: str, number: int, total: int) -> None:
    top = SLIDE.height - 50
    _box(slide, Box(MARGIN, top, CONTENT_W - 160, 30), footer, FOOTER_PT, colour=GREY)
    _box(slide, Box(SLIDE.width - MARGIN - 150, top, 150, 30), f"{number} / {total}", FOOTER_PT, colour=GREY,
         align="right")  # fmt: skip


def _cover(prs, deck: Deck, total: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    for shape in list(slide.placeholders):
        if shape.placeholder_format.idx == 1:  # the layout's subtitle: replaced by text boxes below
            shape._element.getparent().remove(shape._element)
    title_lines = lines(deck.title, COVER_TITLE_PT, CONTENT_W, "bold")
    title = Box(MARGIN, 280, CONTENT_W, _height(len(title_lines), COVER_TITLE_PT, 1.15) + 10)
    _title(slide, title, deck.title, COVER_TITLE_PT)
    top = title.bottom + 30
    if deck.summary:
        summary = Box(
            MARGIN,
            top,
            CONTENT_W,
            _height(len(lines(deck.summary, COVER_SUB_PT, CONTENT_W)), COVER_SUB_PT) + 10,
        )
        _box(slide, summary, deck.summary, COVER_SUB_PT, colour=GREY)
        top = summary.bottom + 30
    meta = f"{deck.author} · {len(deck.slides)} steps" if deck.author else f"{len(deck.slides)} slides"
    _box(slide, Box(MARGIN, top, CONTENT_W, 40), meta, COVER_META_PT, colour=GREY)
    _footer(slide, deck.footer, 1, total)


def _content(prs, s: Slide, png: bytes, total: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # Title Only
    _title(slide, s.title_box, s.title, TITLE_PT)
    _box(slide, s.subtitle_box, s.subtitle, SUBTITLE_PT, colour=GREY)
    p = s.picture
    picture = slide.shapes.add_picture(
        io.BytesIO(png), _emu(p.left), _emu(p.top), _emu(p.width), _emu(p.height)
    )
    picture._element.nvPicPr.cNvPr.set("descr", f"{s.title}. {s.subtitle}")  # alt text
    if s.caption:
        _box(slide, s.caption_box, s.caption, CAPTION_PT)
    _footer(slide, s.footer, s.number, total)
    notes = s.caption + (f"\n\nIn the dashboard: {s.link}" if s.link else "")
    slide.notes_slide.notes_text_frame.text = notes.strip()


# --- PDF -----------------------------------------------------------------------------------


def to_pdf(deck: Deck, pictures: list[bytes] | None = None) -> bytes:
    """The same deck as one PDF, a page per slide, printed by Chromium."""
    pictures = pictures if pictures is not None else render(deck, "svg")
    return export_images.print_pdf(deck_html(deck, pictures))


def _css_box(box: Box) -> str:
    left, top, width, height = box.inches()
    return f"left:{left:.3f}in;top:{top:.3f}in;width:{width:.3f}in;height:{height:.3f}in"


def deck_html(deck: Deck, svgs: list[bytes]) -> str:
    """One page per slide, the boxes of the pptx, real text, the charts as SVG images."""
    w, h = SLIDE.width / PX_PER_IN, SLIDE.height / PX_PER_IN
    css = f"""
@page {{ size: {w:.3f}in {h:.3f}in; margin: 0 }}
html, body {{ margin: 0; padding: 0; font-family: {CSS_FONT}; color: #{DARK} }}
section {{ width: {w:.3f}in; height: {h:.3f}in; position: relative; overflow: hidden; break-after: page }}
section:last-child {{ break-after: auto }}
section > * {{ position: absolute; margin: 0; line-height: 1.25 }}
h1 {{ font-size: {TITLE_PT}pt; line-height: 1.2 }}
.cover h1 {{ font-size: {COVER_TITLE_PT}pt; line-height: 1.15 }}
.sub {{ font-size: {SUBTITLE_PT}pt; color: #{GREY} }}
.cover .sub {{ font-size: {COVER_SUB_PT}pt }}
.meta {{ font-size: {COVER_META_PT}pt; color: #{GREY} }}
.cap {{ font-size: {CAPTION_PT}pt; line-height: 1.3 }}
.foot, .num {{ font-size: {FOOTER_PT}pt; color: #{GREY} }}
.num {{ text-align: right }}
"""
    total = len(deck.slides) + (1 if deck.cover else 0)
    foot = Box(MARGIN, SLIDE.height - 50, CONTENT_W - 160, 30)
    num = Box(SLIDE.width - MARGIN - 150, SLIDE.height - 50, 150, 30)
    pages = []
    if deck.cover:
        title = Box(MARGIN, 280, CONTENT_W, 200)
        n = len(lines(deck.title, COVER_TITLE_PT, CONTENT_W, "bold"))
        below = title.top + _height(n, COVER_TITLE_PT, 1.15) + 40
        summary = Box(MARGIN, below, CONTENT_W, 200)
        n_sum = len(lines(deck.summary, COVER_SUB_PT, CONTENT_W))
        meta = Box(MARGIN, below + (_height(n_sum, COVER_SUB_PT) + 40 if deck.summary else 0), CONTENT_W, 40)
        text = f"{deck.author} · {len(deck.slides)} steps" if deck.author else f"{len(deck.slides)} slides"
        pages.append(
            f"<section class='cover'><h1 style='{_css_box(title)}'>{escape(deck.title)}</h1>"
            + (
                f"<p class='sub' style='{_css_box(summary)}'>{escape(deck.summary)}</p>"
                if deck.summary
                else ""
            )
            + f"<p class='meta' style='{_css_box(meta)}'>{escape(text)}</p>"
            f"<p class='foot' style='{_css_box(foot)}'>{escape(deck.footer)}</p>"
            f"<p class='num' style='{_css_box(num)}'>1 / {total}</p></section>"
        )
    for s, svg in zip(deck.slides, svgs, strict=True):
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
        pages.append(
            f"<section><h1 style='{_css_box(s.title_box)}'>{escape(s.title)}</h1>"
            f"<p class='sub' style='{_css_box(s.subtitle_box)}'>{escape(s.subtitle)}</p>"
            f"<img alt='{escape(s.title, quote=True)}' src='{uri}' style='{_css_box(s.picture)}'>"
            + (
                f"<p class='cap' style='{_css_box(s.caption_box)}'>{escape(s.caption)}</p>"
                if s.caption
                else ""
            )
            + f"<p class='foot' style='{_css_box(foot)}'>{escape(s.footer)}</p>"
            f"<p class='num' style='{_css_box(num)}'>{s.number} / {total}</p></section>"
        )
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{css}</style></head><body>{''.join(pages)}</body></html>"
