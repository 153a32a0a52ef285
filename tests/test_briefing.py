from datetime import date

import pandas as pd
import pytest

from timeline import figures
from timeline.export import briefing

from conftest import view_of


def test_footer_names_sources_and_as_of_date(curated_engine):
    outlets = curated_engine.outlets(view_of())
    text = briefing.footer(outlets, date(2024, 12, 27))
    assert text.startswith(f"Sources: {outlets.index[0]}, ")
    assert f"and {len(outlets) - 4} others · Data as of 27 Dec 2024 · conflict-timeline" in text


def _timeline(engine):
    return figures.timeline_figure(engine.timeline(view_of()))[0]


def test_style_sets_size_fonts_and_texts_without_touching_the_original(curated_engine):
    fig = _timeline(curated_engine)
    size = briefing.SIZES["slide-4x3"]
    styled = briefing.style(fig, title="T <b>", subtitle="S", footer_text="Sources: X", size=size)
    assert (styled.layout.width, styled.layout.height) == (1600, 1200)
    assert styled.layout.title.text == "<b>T &lt;b&gt;</b>" and styled.layout.title.subtitle.text == "S"
    assert styled.layout.font.size >= 16  # readable when projected
    assert styled.layout.xaxis.rangeselector.visible is False
    assert any(a.text == "Sources: X" for a in styled.layout.annotations)
    assert fig.layout.width is None  # the dashboard's figure is unchanged


def test_size_presets():
    assert {k: s.pixels for k, s in briefing.SIZES.items()} == {
        "slide-16x9": (1920, 1080),
        "slide-4x3": (1600, 1200),
        "a4-landscape": (2246, 1588),
        "square": (1080, 1080),
    }
    a4 = briefing.SIZES["a4-landscape"]
    assert round(a4.width / 96 * 25.4) == 297 and round(a4.height / 96 * 25.4) == 210  # PDF page in mm


def test_markers_and_labels_grow_for_slides(curated_engine):
    fig = _timeline(curated_engine)
    styled = briefing.style(fig, title="t", subtitle="s", footer_text="f", size=briefing.SIZES["slide-16x9"])
    before = max(max(t.marker.size) for t in fig.data if t.type == "scatter" and t.mode == "markers+text")
    after = max(max(t.marker.size) for t in styled.data if t.type == "scatter" and t.mode == "markers+text")
    assert after > before
    assert pd.notna(after)


def _slide(engine, chart: str, **params):
    from timeline.export import downloads as exports

    v = view_of(engine, **params)
    texts = exports.default_texts(engine, v, engine.match(v))
    return exports, v, texts


@pytest.mark.parametrize(
    "params",
    [
        {"from_": "2024-11-18", "to": "2024-11-25"},  # the 25-26 Nov night is drawn at the last midnight
        {"q": "oreshnik", "from_": "2024-11-21", "to": "2024-12-19"},  # its first and last days
    ],
)
def test_edge_events_are_drawn_whole_on_a_slide(curated_engine, params):
    """An event on the window's edge (an overnight attack begun on its last day is drawn at
    the midnight that ends it) was cut in half by the edge of the plot."""
    exports, v, texts = _slide(curated_engine, "timeline", **params)
    size = briefing.SIZES["slide-16x9"]
    fig = exports.briefing_figure("timeline", curated_engine, v, size, texts)
    low, high = (pd.Timestamp(x).value / 1e6 if isinstance(x, str) else x for x in fig.layout.xaxis.range)
    plot_w = fig.layout.width - fig.layout.margin.l - fig.layout.margin.r
    drawn = set()
    for t in fig.data:
        if t.type == "scatter" and t.mode and "markers" in t.mode and t.customdata is not None:
            sizes = t.marker.size if hasattr(t.marker.size, "__len__") else [t.marker.size] * len(t.x)
            for x, d, row in zip(t.x, sizes, t.customdata, strict=True):
                px = (x - low) / (high - low) * plot_w
                assert d / 2 <= px <= plot_w - d / 2, (row[1], px, d, plot_w)
                drawn.add(row[0])
    assert drawn


def test_a_two_lane_timeline_fills_the_slide(curated_engine):
    """Drones and missiles over ten days: two lanes share the 16:9 slide's height instead of
    leaving its bottom half empty; read from the rendered PNG."""
    import io

    from PIL import Image

    from conftest import require_chromium

    require_chromium()
    exports, v, texts = _slide(
        curated_engine,
        "timeline",
        type=["drone_attack", "missile_strike"],
        from_="2024-11-18",
        to="2024-11-28",
    )
    size = briefing.SIZES["slide-16x9"]
    png = exports.chart_file("timeline", "png", curated_engine, v, size, texts)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size

    def coloured(top: float, bottom: float) -> int:
        band = image.crop((0, int(top * height), width, int(bottom * height)))
        return sum(1 for r, g, b in band.get_flattened_data() if max(r, g, b) - min(r, g, b) > 80)

    assert coloured(0.5, 0.85) > 0.25 * coloured(0.1, 0.85)  # marks in the lower half too


def test_a_slide_timeline_is_drawn_once_at_the_scale_it_keeps(curated_engine, monkeypatch):
    """Two lanes over ten days are enlarged for a deck's picture: laid out once to measure,
    once at the larger scale, and drawn only then (drawing both cost a deck a third of its
    build); the slide shows the enlarged marks at the picture's width."""
    from timeline.figures import timeline_chart

    drawn = []
    draw = timeline_chart.draw_timeline
    monkeypatch.setattr(
        briefing, "draw_timeline", lambda laid, selected=(): drawn.append(laid) or draw(laid, selected)
    )
    v = view_of(curated_engine, type=["drone_attack", "missile_strike"], from_="2024-11-18", to="2024-11-28")
    size = briefing.Size("picture", "", 1776, 800)
    frame = briefing.Frame(top=4, bottom=4, right=32)
    window = (v.span.start, v.span.end)
    fig = briefing.slide_timeline(
        curated_engine.timeline(v),
        lanes=v.lanes,
        window=window,
        size=size,
        frame=frame,
        fill=False,
        max_scale=1.8,
    )
    assert len(drawn) == 1 and drawn[0].scale > 1
    assert fig["layout"]["width"] == 1776 and fig["layout"]["height"] <= 800
    plain, _ = figures.timeline_figure(curated_engine.timeline(v), lanes=v.lanes, window=window, width=1500)
    largest = max(max(t["marker"]["size"]) for t in fig["data"] if t.get("mode") and "markers" in t["mode"])
    assert largest > max(max(t.marker.size) for t in plain.data if t.mode and "markers" in t.mode)


def test_a_map_image_leaves_out_only_land_it_cannot_show():
    """The land outside an image's plot is left out; a ring the plot shows only because
    plotly widens the narrower axis to keep the map's aspect stays, as does the sea."""
    import numpy as np

    from timeline.figures import map_chart

    def ring(x0: float, y0: float) -> list[float]:
        return [x0, x0 + 1, x0 + 1, x0, x0, np.nan], [y0, y0, y0 + 1, y0 + 1, y0, np.nan]

    rings = [ring(4, 4), ring(12.5, 4), ring(30, 4), ring(4, -20)]  # in range, widened into view, out, out
    land = {
        "type": "scatter",
        "x": np.array([v for x, _ in rings for v in x], dtype="float32"),
        "y": np.array([v for _, y in rings for v in y], dtype="float32"),
        "fill": "toself",
        "fillcolor": map_chart.LAND,
    }
    sea = {"type": "scatter", "x": np.array([30.0]), "y": np.array([4.0]), "fillcolor": "blue"}
    fig = {"data": [land, sea], "layout": {"xaxis": {"range": [0, 10]}, "yaxis": {"range": [0, 10]}}}
    briefing.crop_land(fig, briefing.MapPlot.of(fig, 1000, 500))  # 50 px a degree: x from -5 to 15 is in view
    kept = fig["data"][0]
    assert kept["x"].dtype == np.float32 and len(kept["x"]) == 12
    assert sorted(set(np.nanmin(kept["x"].reshape(2, 6), axis=1).tolist())) == [4.0, 12.5]
    assert fig["data"][1]["x"].tolist() == [30.0]


def test_a_cropped_map_image_has_the_pixels_of_the_whole_one(curated_engine, monkeypatch):
    """Leaving out the land outside the plot does not change the image (Chromium's
    antialiasing may move a few border pixels by a level)."""
    import io

    import numpy as np
    from PIL import Image

    from timeline.export import images as export_images

    from conftest import require_chromium

    require_chromium()
    exports, v, texts = _slide(
        curated_engine, "map", type=["drone_attack", "missile_strike"], from_="2024-11-01", to="2024-11-30"
    )
    size = briefing.SIZES["slide-16x9"]
    cropped = exports.briefing_figure("map", curated_engine, v, size, texts)
    monkeypatch.setattr(briefing, "crop_land", lambda *_: None)
    whole = exports.briefing_figure("map", curated_engine, v, size, texts)
    assert len(cropped.data[0].x) < 0.6 * len(whole.data[0].x)
    a, b = (
        np.asarray(Image.open(io.BytesIO(export_images.render(f, "png", size))).convert("RGB"), dtype=int)
        for f in (cropped, whole)
    )
    assert a.shape == b.shape == (1080, 1920, 3)
    apart = np.abs(a - b).max(axis=-1)
    assert apart.max() <= 2 and (apart > 0).sum() <= 100


def test_restyling_as_plain_dicts_merges_as_plotly_updates():
    """`style` and the decks restyle plain dicts instead of plotly's objects (five times faster
    for a map); every kind of update they make must land as `update_layout` puts it, or a
    slide would lose its axis labels, legend or day ticks."""
    import copy

    import plotly.graph_objects as go

    base = {
        "font": {"size": 11, "color": "#111"},
        "legend": {"font": {"size": 9}, "orientation": "v"},
        "xaxis": {
            "range": [0, 5],
            "tickformatstops": [
                {"dtickrange": [None, 1000], "value": "%H:%M"},
                {"dtickrange": [1000, None], "value": "%b"},
            ],
        },
        "width": 700,
    }
    update = {
        "font": {"family": briefing.FONT, "size": 21},  # a nested merge keeps the colour
        "legend": {"font": {"size": 21}, "orientation": None},  # None removes a value
        "xaxis": {"range": [1, 2], "tickformatstops": [briefing.DAILY]},  # merged into each stop
        "width": 1920,
        "margin": {"l": 84, "t": 10},  # new keys
    }
    ours = copy.deepcopy(base)
    briefing.merge(ours, update)
    theirs = go.Layout(base).update(update).to_plotly_json()
    assert ours == theirs
    assert ours["xaxis"]["tickformatstops"] == [{"dtickrange": [None, None], "value": "%-d %b"}] * 2


def test_a_map_slide_keeps_its_names_apart_and_at_least_18_px(curated_engine):
    """The map's names are enlarged for the slide and those that would then collide dropped
    (with their city dots); on the dict path as on plotly's."""
    exports, v, texts = _slide(curated_engine, "map")
    fig = exports.briefing_figure("map", curated_engine, v, briefing.SIZES["slide-16x9"], texts)
    names = [a for a in fig.layout.annotations if a.xref == "x"]
    assert names and all(a.font.size >= briefing.MIN_TEXT_PX for a in names)
    dashboard = exports.chart_figure("map", curated_engine, v)
    assert len(names) < len([a for a in dashboard.layout.annotations if a.xref == "x"])  # some dropped
    kept = {(a.x, a.y) for a in names}
    dots = [s for s in fig.layout.shapes if s.type == "circle"]
    assert dots and all((s.xanchor, s.yanchor) in kept for s in dots)


def test_a_view_without_events_gives_an_empty_slide_not_an_error(curated_engine):
    """A library caller asking for a slide of a view that matches nothing (the CLI refuses one
    first) gets each chart at the slide's size, the timeline an empty plot, not a ZeroDivisionError."""
    exports, v, texts = _slide(curated_engine, "timeline", q="zzzqqq-nothing-matches")
    assert curated_engine.match(v).count == 0
    size = briefing.SIZES["slide-16x9"]
    for chart in ("timeline", "counts", "map"):
        fig = exports.briefing_figure(chart, curated_engine, v, size, texts)
        assert (fig.layout.width, fig.layout.height) == (size.width, size.height), chart
