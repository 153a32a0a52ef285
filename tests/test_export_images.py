"""Chart exports rendered by Kaleido in the system Chromium, checked by content."""

import re
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest

from timeline.export import briefing, downloads as exports
from timeline.storage import store
from timeline.view import View

from conftest import CURATED, air_force_row, engine_on, frame, matched_night, require_chromium, view_of

TITLE = "Drone attacks and missile strikes involving Ukraine, 1–30 Nov 2024"


@pytest.fixture(scope="module")
def briefing_view(curated_engine) -> tuple[object, View, exports.Texts]:
    require_chromium()
    v = view_of(type=["drone_attack", "missile_strike"], country="UKR", from_="2024-11-01", to="2024-11-30")
    return curated_engine, v, exports.default_texts(curated_engine, v, curated_engine.match(v))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", list(briefing.SIZES))
def test_png_has_the_presets_dimensions(briefing_view, size: str):
    engine, view, texts = briefing_view
    data = exports.chart_file("timeline", "png", engine, view, briefing.SIZES[size], texts)
    assert png_size(data) == briefing.SIZES[size].pixels


def svg_texts(data: bytes) -> str:
    root = ET.fromstring(data)
    return " ".join("".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text"))


@pytest.mark.parametrize("chart", briefing.CHARTS)
def test_svg_parses_and_carries_title_and_attribution(briefing_view, chart: str):
    engine, view, texts = briefing_view
    data = exports.chart_file(chart, "svg", engine, view, briefing.SIZES["slide-16x9"], texts)
    root = ET.fromstring(data)
    assert (root.get("width"), root.get("height")) == ("1920", "1080")
    text = svg_texts(data)
    assert TITLE in text
    assert "Sources: Korea JoongAng Daily" in text and "Data as of 27 Dec 2024" in text
    assert texts.title == TITLE


def test_counts_svg_shows_the_188_drone_night(briefing_view):
    engine, view, texts = briefing_view
    view = view.with_option("strikes", "drones")
    text = svg_texts(exports.chart_file("counts", "svg", engine, view, briefing.SIZES["slide-16x9"], texts))
    assert "188 launched" in text


def test_pdf_is_one_a4_page(briefing_view):
    engine, view, texts = briefing_view
    data = exports.chart_file("map", "pdf", engine, view, briefing.SIZES["a4-landscape"], texts)
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", data)
    width_pt, height_pt = float(box.group(3)), float(box.group(4))
    assert abs(width_pt - 842) < 3 and abs(height_pt - 595) < 3  # A4 landscape in points


def test_html_is_interactive_and_offline(briefing_view):
    engine, view, texts = briefing_view
    html = exports.chart_file("timeline", "html", engine, view, briefing.SIZES["slide-16x9"], texts).decode()
    assert "<script src=" not in html  # plotly.js is inside, nothing fetched
    assert "Plotly.newPlot" in html and len(html) > 3_000_000
    assert f"<title>{TITLE}</title>" in html
    assert "Ukraine reports record overnight attack of 188 Russian drones" in html  # the events themselves


def test_back_to_back_images_are_each_their_own_figure(briefing_view):
    """Kaleido's page reload after an image runs in the background: the next image, asked
    for at once, must still show only its own figure, at its own size."""
    import plotly.graph_objects as go

    from timeline.export import images as export_images

    size = briefing.SIZES["slide-16x9"]
    names = [f"Figure number {i}" for i in range(5)]
    images = [
        export_images.render(go.Figure(go.Bar(x=[name], y=[i + 1]), layout_title_text=name), "svg", size)
        for i, name in enumerate(names)
    ]
    for name, data in zip(names, images, strict=True):
        text = svg_texts(data)
        assert name in text
        assert [other for other in names if other != name and other in text] == []
    png = export_images.render(go.Figure(layout_title_text="last"), "png", size)
    assert png_size(png) == size.pixels


def test_an_image_does_not_depend_on_what_its_tab_drew_before(briefing_view, monkeypatch):
    """A tab draws several images on one page before it reloads (`RENDERS_PER_PAGE`): each
    image, on a fresh page or a used one, is byte for byte the same, in PNG and PDF."""
    import plotly.graph_objects as go

    from timeline.export import images as export_images

    monkeypatch.setattr(export_images, "RENDERS_PER_PAGE", 3)  # reloads within this test
    size = briefing.Size("small", "small", 400, 300)
    figures = [
        go.Figure(go.Bar(x=["a", "b"], y=[1, 3]), layout_title_text="bars"),
        go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], mode="lines+markers"), layout_title_text="line"),
    ]
    first = [export_images.render(fig, "png", size) for fig in figures]
    assert first[0] != first[1] and all(png_size(png) == size.pixels for png in first)
    for _ in range(5):  # one at a time, then both at once, across the tabs' reloads
        assert [export_images.render(fig, "png", size) for fig in figures] == first
        assert export_images.render_many([(fig, "png", size) for fig in figures]) == first
    pdfs = [export_images.render(figures[0], "pdf", size) for _ in range(4)]
    undated = [
        re.sub(rb"/(Creation|Mod)Date \(D:[^)]*\)", b"", pdf) for pdf in pdfs
    ]  # made at another second
    assert pdfs[0].startswith(b"%PDF") and all(pdf == undated[0] for pdf in undated)


def test_kaleido_still_has_the_reload_we_defer():
    """The one private Kaleido method `export_images` overrides, called from the `finally` of
    a render (where a failed render's error is the exception being handled): if a Kaleido
    upgrade renames or moves it, images would silently wait for reloads again (or tabs never
    come back)."""
    import inspect

    import kaleido
    from kaleido._kaleido_tab import _KaleidoTab

    assert inspect.iscoroutinefunction(kaleido.Kaleido._return_kaleido_tab)
    assert inspect.iscoroutinefunction(_KaleidoTab.reload)
    render_task = inspect.getsource(kaleido.Kaleido._render_task)
    assert "self._return_kaleido_tab(tab)" in render_task.split("finally:")[-1]
    assert "self.tabs_ready.put(tab)" in inspect.getsource(kaleido.Kaleido._return_kaleido_tab)


@pytest.mark.parametrize("reports, words", [(None, "incidents (each counted once)"), ("all", "every report")])
def test_a_chart_export_says_how_it_counts(tmp_path, reports: str | None, words: str):
    """The subtitle of a matched dataset's chart says whether each incident is counted once."""
    require_chromium()
    engine = engine_on(matched_night(tmp_path))
    v = view_of(
        engine,
        type="drone_attack",
        from_="2024-11-20",
        to="2024-11-30",
        **({"reports": reports} if reports else {}),
    )
    texts = exports.default_texts(engine, v, engine.match(v))
    text = svg_texts(exports.chart_file("counts", "svg", engine, v, briefing.SIZES["slide-16x9"], texts))
    assert words in text
    assert ("incidents (each counted once)" if reports else "every report") not in text


def test_a_chart_of_unmatched_sources_says_it_counts_every_report(tmp_path, briefing_view):
    """Two sources not yet matched may repeat each other: the chart says it counts every
    report. One source has nothing to repeat, and its slide is not cluttered with it."""
    engine, view, texts = briefing_view
    one_source = svg_texts(
        exports.chart_file("timeline", "svg", engine, view, briefing.SIZES["square"], texts)
    )
    assert "every report" not in one_source
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    store.append(path, frame(air_force_row()), dataset="missile-attacks", create=False)
    two = engine_on(path)
    v = view_of(two, type="drone_attack", from_="2024-11-20", to="2024-11-30")
    texts = exports.default_texts(two, v, two.match(v))
    assert "every report" in svg_texts(
        exports.chart_file("counts", "svg", two, v, briefing.SIZES["square"], texts)
    )


@pytest.mark.parametrize("dates", [{}, {"from_": "2024-03-01", "to": "2025-02-28"}])
def test_a_timeline_of_too_many_events_to_draw_exports_its_squares(synthetic_parts, dates):
    """A view past MAX_EVENTS draws counts per lane and week on the page; its slide shows the
    same squares, in the preset's size, over the view's dates (it raised on its date axis)."""
    require_chromium()
    from timeline.engine import MAX_EVENTS

    root = synthetic_parts(MAX_EVENTS * 5, 3)
    engine = engine_on(root)
    v = view_of(engine, **dates)
    match = engine.match(v)
    assert match.count > MAX_EVENTS and engine.timeline(v, match).aggregated
    texts = exports.default_texts(engine, v, match)
    data = exports.chart_file("timeline", "svg", engine, v, briefing.SIZES["slide-16x9"], texts)
    root_el = ET.fromstring(data)
    assert (root_el.get("width"), root_el.get("height")) == ("1920", "1080")
    text = svg_texts(data)
    assert f"{match.count:,} events: marker area = events per" in text
    squares = [
        p for p in root_el.iter("{http://www.w3.org/2000/svg}path") if "point" in (p.get("class") or "")
    ]
    assert len(squares) > 10
    if dates:
        assert "2024" in text and "2025" in text and "2023" not in text
