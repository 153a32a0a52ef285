"""Exported charts read as slides: every text at least 18 px on a 1920x1080 slide, checked in
the SVG Kaleido writes; a timeline laid out for its lanes, not stretched; texts that fit."""

import xml.etree.ElementTree as ET

import pytest

from timeline.export import briefing, downloads as exports
from timeline.figures import map_chart

from conftest import require_chromium, view_of
from svgtext import text_sizes, too_small

SLIDE = briefing.SIZES["slide-16x9"]
NOVEMBER = {"type": ["drone_attack", "missile_strike"], "from_": "2024-11-01", "to": "2024-11-30"}


def export(engine, chart: str, fmt: str = "svg", size: briefing.Size = SLIDE, **params) -> bytes:
    v = view_of(engine, **params)
    texts = exports.default_texts(engine, v, engine.match(v))
    return exports.chart_file(chart, fmt, engine, v, size, texts)


@pytest.mark.parametrize("chart", briefing.CHARTS)
@pytest.mark.parametrize("params", [NOVEMBER, {}], ids=["november-strikes", "everything"])
def test_no_text_on_a_16x9_slide_is_smaller_than_18_px(curated_engine, chart: str, params: dict):
    require_chromium()
    svg = export(curated_engine, chart, **params)
    sizes = text_sizes(svg)
    assert len(sizes) > 10  # title, subtitle, ticks, labels, footer: there is text to check
    assert too_small(svg, briefing.MIN_TEXT_PX) == []
    classes = {cls for _, cls, _ in sizes}
    assert {"gtitle", "gtitle-subtitle", "annotation-text"} <= classes  # footer and labels included


def test_the_counts_peak_and_the_map_names_are_slide_sized(curated_engine):
    require_chromium()
    counts = text_sizes(export(curated_engine, "counts", **NOVEMBER))
    peak = [
        px for px, cls, text in counts if cls == "annotation-text" and text in ("188", "launched by Russia")
    ]
    assert len(peak) == 2 and min(peak) >= 18  # '188 launched by Russia', its number in bold
    names = text_sizes(export(curated_engine, "map", **NOVEMBER))
    assert any(text == "Dnipro" and px >= 18 for px, _, text in names)
    assert any(text.startswith("Land, borders") and px >= 18 for px, _, text in names)


def test_a_two_lane_timeline_fills_the_slide_one_pixel_per_unit(curated_engine):
    v = view_of(curated_engine, **NOVEMBER)
    texts = exports.default_texts(curated_engine, v, curated_engine.match(v))
    fig = exports.briefing_figure("timeline", curated_engine, v, SLIDE, texts)
    m = fig.layout.margin
    plot_h = fig.layout.height - m.t - m.b
    assert fig.layout.yaxis.range[0] == pytest.approx(plot_h, abs=1)  # one pixel per unit: not stretched
    assert list(fig.layout.yaxis.ticktext) == ["Missile strike", "Drone attack"]
    # the lanes share the slide's height: no empty bottom half under two lanes (issue #19)
    assert plot_h > 0.55 * fig.layout.height
    assert (fig.layout.width, fig.layout.height) == (1920, 1080)
    plot_w = fig.layout.width - m.l - m.r
    sizes = [s for t in fig.data if t.type == "scatter" and t.customdata is not None for s in t.marker.size]
    assert max(sizes) > 30  # marks enlarged for the slide, before they were dodged and labelled
    assert plot_w > 1600  # the plot takes the slide's width, lane labels measured, not guessed


def test_every_lane_of_a_large_view_stays_on_the_slide(curated_engine):
    v = view_of(curated_engine)
    texts = exports.default_texts(curated_engine, v, curated_engine.match(v))
    fig = exports.briefing_figure("timeline", curated_engine, v, SLIDE, texts)
    m = fig.layout.margin
    assert m.t + (fig.layout.height - m.t - m.b) + m.b == 1080 and m.b > 0
    assert len(fig.layout.yaxis.ticktext) == 13


def test_long_subtitles_and_footers_wrap_inside_the_slide(curated_engine):
    require_chromium()
    square = briefing.SIZES["square"]
    root = ET.fromstring(export(curated_engine, "timeline", size=square))
    subtitle = [
        t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "gtitle-subtitle"
    ]
    lines = [
        x for t in subtitle for x in t.iter("{http://www.w3.org/2000/svg}tspan") if (x.text or "").strip()
    ]
    assert len(lines) >= 2  # the finding of the whole dataset does not fit one line at 1080 px
    heading = briefing.Heading.of(square, "t", "x " * 400, "y " * 400)
    assert len(heading.subtitle) == 3 and len(heading.footer) == 3


def test_map_names_that_would_collide_at_slide_size_are_left_out(curated_engine):
    v = view_of(curated_engine)
    fig = exports.chart_figure("map", curated_engine, v)
    before = [a for a in fig.layout.annotations if a.xref == "x"]
    texts = exports.default_texts(curated_engine, v, curated_engine.match(v))
    styled = exports.briefing_figure("map", curated_engine, v, SLIDE, texts)
    after = [a for a in styled.layout.annotations if a.xref == "x"]
    assert 0 < len(after) <= len(before)
    assert min(a.font.size for a in styled.layout.annotations) >= 18
    assert any(a.text == map_chart.ATTRIBUTION for a in styled.layout.annotations)
    dots = [s for s in styled.layout.shapes if s.type == "circle"]
    named = {(a.x, a.y) for a in after}
    assert all((d.xanchor, d.yanchor) in named for d in dots)  # no city dot without its name
