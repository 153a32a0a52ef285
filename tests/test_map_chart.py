"""The map as an analyst sees it: land and names around the events, each event at the
precision its place is known, regions and countries shaded rather than drawn as points."""

import json

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from timeline.domain import gazetteer, taxonomy
from timeline.domain.schema import Col
from timeline.engine import MapData
from timeline.engine.queries import EVENT_COLUMNS
from timeline.figures.map_chart import ATTRIBUTION, map_counts, map_figure
from timeline.storage import store

from conftest import CURATED, make_row, view_of

STRIKES = ("drone_attack", "missile_strike", "combined_strike")
NOVEMBER_PLACES = {"Karachev", "Maryino", "Dnipro", "Lotarevka", "Khalino", "Kyiv"}


def geocoded(rows: pd.DataFrame) -> MapData:
    """What the curated build will store: coordinates, geo_precision and area_code from the
    gazetteer; MapData as the engine returns it (events with coordinates)."""
    rows = rows.copy()
    places = [gazetteer.lookup(loc) if isinstance(loc, str) else None for loc in rows[Col.LOCATION]]
    rows[Col.LATITUDE] = [p.latitude if p else np.nan for p in places]
    rows[Col.LONGITUDE] = [p.longitude if p else np.nan for p in places]
    rows["geo_precision"] = pd.array([p.precision if p else None for p in places], dtype="Int64")
    rows["area_code"] = [p.area_code if p else None for p in places]
    located = rows[rows[Col.LATITUDE].notna()].reset_index(drop=True)
    columns = [str(c) for c in EVENT_COLUMNS]
    return MapData(total=len(rows), located=len(located), points=located[columns])


@pytest.fixture(scope="module")
def curated() -> pd.DataFrame:
    return store.load(CURATED)


@pytest.fixture(scope="module")
def november_strikes(curated_engine) -> MapData:
    """The November strikes as the dashboard's engine returns them, geocoded by the curated build."""
    return curated_engine.map(view_of(type=list(STRIKES), from_="2024-11-01", to="2024-11-30"))


def frame_of(*rows: dict, precision: list, area: list) -> MapData:
    """Rows as the engine would return them, with the geo columns the schema will get."""
    df = pd.DataFrame(list(rows))
    for col in (Col.DATE_START, Col.DATE_END):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ms]")
    df[Col.LATITUDE] = df[Col.LATITUDE].astype("float64")
    df[Col.LONGITUDE] = df[Col.LONGITUDE].astype("float64")
    df["geo_precision"] = pd.array(precision, dtype="Int64")
    df["area_code"] = area
    return MapData(total=len(df), located=int(df[Col.LATITUDE].notna().sum()), points=df)


def traces_with(fig, event_id: str) -> list:
    return [
        t for t in fig.data if t.customdata is not None and any(row[0] == event_id for row in t.customdata)
    ]


def fill_traces(fig) -> list:
    return [t for t in fig.data[1:] if t.fill == "toself"]


def texts(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_land_is_filled_and_outlined_under_everything(november_strikes: MapData):
    fig = map_figure(november_strikes)
    land = fig.data[0]
    assert land.fill == "toself" and land.mode == "lines" and land.hoverinfo == "skip"
    assert len(land.x) > 1000
    (sea,) = [s for s in fig.layout.shapes if s.type == "rect"]
    assert sea.layer == "below" and sea.fillcolor == fig.layout.plot_bgcolor != land.fillcolor
    assert ATTRIBUTION in texts(fig)
    assert ATTRIBUTION == "Land, borders, regions: Natural Earth · Places: GeoNames (CC BY 4.0)"


def test_november_strikes_locate_every_named_place_at_its_precision(november_strikes: MapData):
    data = november_strikes
    by_place = {
        gazetteer.named_place(loc): p
        for loc, p in zip(data.points[Col.LOCATION], data.points["geo_precision"], strict=True)
    }
    assert set(by_place) >= NOVEMBER_PLACES
    assert {k: by_place[k] for k in NOVEMBER_PLACES} == {
        "Kyiv": 1,
        "Dnipro": 1,
        "Karachev": 2,
        "Maryino": 3,
        "Lotarevka": 3,
        "Khalino": 3,
    }
    fig = map_figure(data)
    for event_id, precision in zip(data.points[Col.EVENT_ID], data.points["geo_precision"], strict=True):
        (trace,) = traces_with(fig, event_id)
        symbol = trace.marker.symbol
        if precision == 1:
            assert symbol is None  # a filled circle, as on every other chart
        elif precision == 2:
            assert symbol == "circle-open-dot"
        else:
            assert symbol == "square"  # the handle of a shaded area, inside it
    labels = texts(fig)
    assert "<b>Kyiv</b>" in labels and "<b>Dnipro</b>" in labels and "<b>near Karachev</b>" in labels
    assert "Kursk region (3 events)" in labels and "Ukraine (5 events)" in labels


def test_nationwide_strikes_shade_ukraine_once(november_strikes: MapData):
    fig = map_figure(november_strikes)
    ukraine = gazetteer.country("UKR")
    shaded = [t for t in fill_traces(fig) if t.name == "Ukraine"]
    assert len(shaded) == 1
    assert "5 events" in shaded[0].text and shaded[0].hoveron == "fills"
    x, y = np.asarray(shaded[0].x, dtype=float), np.asarray(shaded[0].y, dtype=float)
    w, s, e, n = ukraine.bbox
    assert np.nanmin(x) >= w - 0.01 and np.nanmax(x) <= e + 0.01
    assert np.nanmin(y) >= s - 0.01 and np.nanmax(y) <= n + 0.01
    counts = map_counts(november_strikes)
    assert (counts.exact, counts.near, counts.shaded, counts.unplaced) == (2, 1, 8, 0)
    assert counts.caption() == (
        "8 nationwide or regional events are shaded, not drawn as points (Ukraine, Kursk region). "
        "1 event is placed near a named place (open rings)."
    )


def test_a_region_event_is_a_shaded_region_not_a_false_point():
    kursk = gazetteer.region("RU-KRS")
    row = make_row(
        event_id="kursk-region-row", event_type="missile_strike", location="Kursk region (Maryino)",
        latitude=kursk.label[1], longitude=kursk.label[0], count=None, count_unit=None, intercepted=None,
    )  # fmt: skip
    data = frame_of(row, precision=[3], area=["RU-KRS"])
    fig = map_figure(data)
    (shaded,) = fill_traces(fig)
    x, y = np.asarray(shaded.x, dtype=float), np.asarray(shaded.y, dtype=float)
    w, s, e, n = kursk.bbox
    assert len(x) > 50
    assert w - 0.01 <= np.nanmin(x) and np.nanmax(x) <= e + 0.01
    assert s - 0.01 <= np.nanmin(y) and np.nanmax(y) <= n + 0.01
    assert shaded.fillcolor.startswith("rgba(") and "Kursk region" in shaded.text
    # the event's only marker is the area's square handle, not a circle at a made-up spot
    (handle,) = traces_with(fig, "kursk-region-row")
    assert handle.marker.symbol == "square"
    assert handle.marker.color == taxonomy.COLOURS["missile_strike"]
    assert "region: Kursk region shaded" in handle.customdata[0][6]
    circles = [t for t in fig.data if t.mode == "markers" and t.marker.symbol is None and t.x[0] is not None]
    assert circles == []


def test_an_area_without_a_code_is_found_from_its_coordinates_and_one_without_either_is_unplaced():
    rows = [
        make_row(event_id="p4", location="Ukraine", latitude=49.6, longitude=32.36),
        make_row(event_id="p3-unknown", location="Atlantis region", latitude=None, longitude=None),
    ]
    data = frame_of(*rows, precision=[4, 3], area=[None, "XX-ZZ"])
    fig = map_figure(data)
    assert [t.name for t in fill_traces(fig)] == ["Ukraine"]
    counts = map_counts(data)
    assert (counts.shaded, counts.unplaced) == (1, 1)
    assert "1 of 2 events has no place and is not on the map." in counts.caption()


def test_near_a_place_is_a_ring_that_says_near():
    rows = [
        make_row(event_id="exact", location="Kyiv", latitude=50.45, longitude=30.52),
        make_row(event_id="near", location="Bryansk region (Karachev area)", latitude=53.12, longitude=34.98),
    ]
    fig = map_figure(frame_of(*rows, precision=[1, 2], area=["UA-30", "RU-BRY"]))
    (exact,) = traces_with(fig, "exact")
    (near,) = traces_with(fig, "near")
    assert exact.marker.symbol is None and near.marker.symbol == "circle-open-dot"
    assert near.marker.line.color == taxonomy.COLOURS["drone_attack"]
    assert near.customdata[0][6] == "Near a place: Bryansk region (Karachev area)"
    assert exact.customdata[0][6] == "<i>Kyiv</i>"
    assert "near a place" in [t.name for t in fig.data]  # the legend explains the ring


def test_rows_without_geo_precision_are_exact_places(curated: pd.DataFrame):
    located = curated[curated[Col.LATITUDE].notna()].reset_index(drop=True)
    points = located[[str(c) for c in EVENT_COLUMNS]].assign(
        **{Col.GEO_PRECISION: pd.NA, Col.AREA_CODE: None}
    )
    data = MapData(total=len(curated), located=len(located), points=points)
    fig = map_figure(data)
    assert fill_traces(fig) == []
    assert sum(len(t.x) for t in fig.data[1:]) == len(located)
    assert map_counts(data).unplaced == len(curated) - len(located)


def test_country_and_city_names_label_the_view(november_strikes: MapData):
    fig = map_figure(november_strikes)
    labels = texts(fig)
    assert {"POLAND", "BELARUS", "RUSSIA"} <= set(labels)
    cities = {a.text for a in fig.layout.annotations if a.font.color == "#3f454c"}
    assert {"Kharkiv", "Voronezh"} <= cities and len(cities) >= 6
    assert "Kyiv" not in cities  # named once, by the Kyiv strike's own label
    assert 0 < len(cities) <= 12
    dots = [(s.xanchor, s.yanchor) for s in fig.layout.shapes if s.type == "circle"]
    assert len(dots) == len(cities)


def test_labels_do_not_overlap(november_strikes: MapData):
    fig = map_figure(november_strikes)
    xr = fig.layout.xaxis.range
    boxes = []
    for a in fig.layout.annotations:
        if a.xref != "x":
            continue
        # roughly: 6 px per character at 11 px type in a ~1150 px wide plot
        w = len(a.text.replace("<b>", "").replace("</b>", "")) * 6.2 / 1150 * (xr[1] - xr[0]) * 1.6
        x0 = a.x + (0 if a.xanchor == "left" else -w if a.xanchor == "right" else -w / 2)
        boxes.append((x0, a.y - 0.2, x0 + w, a.y + 0.2))
    overlaps = [
        (i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes)
        if i < j and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]  # fmt: skip
    assert len(boxes) > 10
    assert len(overlaps) <= 1, overlaps


def test_place_and_event_text_is_inert():
    rows = [
        make_row(
            event_id="html", title="<b>bold</b> & <script>x</script>",
            location="Kyiv <img src=x onerror=alert(1)>", latitude=50.45, longitude=30.52,
        ),
        make_row(event_id="html-area", title="<i>area</i>", location="<u>Ukraine</u>", latitude=49.6, longitude=32.36),
    ]  # fmt: skip
    fig = map_figure(frame_of(*rows, precision=[1, 4], area=["UA-30", "UKR"]))
    everything = json.dumps([a.text for a in fig.layout.annotations])
    everything += json.dumps([t.text for t in fig.data if isinstance(t.text, str)])
    everything += json.dumps(
        [list(map(str, t.customdata.ravel())) for t in fig.data if t.customdata is not None]
    )
    for raw in ("<img", "<script", "<u>", "<b>bold", "<i>area"):
        assert raw not in everything
    assert "&lt;img src=x onerror=alert(1)&gt;" in everything


def test_the_view_fits_every_event_point_and_area(november_strikes: MapData):
    fig = map_figure(november_strikes)
    (west, east), (south, north) = fig.layout.xaxis.range, fig.layout.yaxis.range
    for trace in fig.data[1:]:
        x = np.asarray([v for v in trace.x if v is not None], dtype=float)
        y = np.asarray([v for v in trace.y if v is not None], dtype=float)
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]  # NaN separates an area's rings
        assert ((west <= x) & (x <= east)).all(), trace.name
        assert ((south <= y) & (y <= north)).all(), trace.name
    assert east - west < 40  # Eastern Europe, not the world


def test_figure_size_stays_bounded(november_strikes: MapData, curated: pd.DataFrame):
    assert len(pio.to_json(map_figure(november_strikes), validate=False)) < 600_000
    assert len(pio.to_json(map_figure(geocoded(curated)), validate=False)) < 600_000


def test_a_whole_country_across_the_antimeridian_is_shaded_without_a_streak():
    row = make_row(event_id="ru", location="Russia", latitude=None, longitude=None)
    fig = map_figure(frame_of(row, precision=[4], area=["RUS"]))
    (shaded,) = fill_traces(fig)
    x = np.asarray(shaded.x, dtype=float)
    steps = np.abs(np.diff(x))
    assert np.nanmax(steps) < 180
    assert fig.layout.xaxis.range[0] < 30 and fig.layout.xaxis.range[1] >= 179


def shows(fig, lon: float, lat: float) -> bool:
    (west, east), (south, north) = fig.layout.xaxis.range, fig.layout.yaxis.range
    return west <= lon <= east and south <= lat <= north


def test_the_default_map_fits_where_most_events_are_and_names_the_rest(curated_engine, curated):
    """Lima, Rio and Washington no longer pull the map out to the world, where Kyiv, Dnipro,
    Kursk and Moscow shared 80 pixels: the view holds most events; the others are named."""
    data = curated_engine.map(view_of())
    fig = map_figure(data)
    for city in ("Kyiv", "Dnipro", "Moscow"):
        place = gazetteer.lookup(city)
        assert shows(fig, place.longitude, place.latitude), city
    for city in ("Lima", "Washington, D.C.", "Rio de Janeiro"):
        place = gazetteer.lookup(city)
        assert not shows(fig, place.longitude, place.latitude), city
    west, east = fig.layout.xaxis.range
    assert east - west < 90  # a region, not the world
    counts = map_counts(data)
    located = curated[curated[Col.LATITUDE].notna()]
    far = located[~located[Col.LONGITUDE].between(west, east)]
    assert counts.outside == len(far) > 0
    washington = int((far[Col.LOCATION] == "Washington, D.C.").sum())
    assert f"Washington, D.C. ({washington})" in counts.caption()
    notes = [a.text for a in fig.layout.annotations if a.name == "outside-note"]
    assert notes and notes[0].startswith(f"{len(far)} events outside this map")


def test_a_view_whose_events_fit_one_region_leaves_none_out(november_strikes: MapData):
    counts = map_counts(november_strikes)
    assert counts.outside == 0 and "outside" not in (counts.caption() or "")
    assert not [a for a in map_figure(november_strikes).layout.annotations if a.name == "outside-note"]


def test_a_story_extent_is_shown_and_what_lies_beyond_it_counted(curated_engine):
    data = curated_engine.map(view_of())
    extent = (120.0, 30.0, 135.0, 45.0)  # the Korean peninsula
    fig = map_figure(data, extent=extent)
    assert tuple(fig.layout.xaxis.range) == (120.0, 135.0)
    seoul = gazetteer.lookup("Seoul")
    assert shows(fig, seoul.longitude, seoul.latitude)
    counts = map_counts(data, extent)
    moscow = int((data.points[Col.LOCATION] == "Moscow").sum())
    assert counts.outside > moscow > 0 and f"Moscow ({moscow})" in counts.caption()


@pytest.mark.parametrize("extent", [None, (120.0, 30.0, 135.0, 45.0)])
def test_the_pages_map_and_caption_from_one_fit_are_the_map_and_counts_alone(curated_engine, extent):
    """The page sorts and fits the events once for the map and its caption: the same figure
    (its JSON) and the same numbers and places as drawing and counting apart."""
    from timeline.figures.map_chart import map_with_counts

    for v in (
        view_of(),
        view_of(curated_engine, type="drone_attack"),
        view_of(curated_engine, country="KOR"),
    ):
        data = curated_engine.map(v)
        fig, counts = map_with_counts(data, extent=extent)
        assert fig.to_json() == map_figure(data, extent=extent).to_json()
        assert counts == map_counts(data, extent)
        assert counts.exact + counts.near + counts.shaded > 0


def test_a_view_whose_located_events_no_outline_holds_draws_an_empty_map_and_says_so():
    """A regional event with coordinates at sea and an area code the bundled outlines lack is
    neither a point nor a shaded area: the map is empty, its caption says the event has no
    place (the caption's fit stopped the page with a ValueError before)."""
    from timeline.figures.map_chart import map_with_counts

    row = make_row(event_id="at-sea", location="Atlantis region", latitude=0.0, longitude=-30.0)
    data = frame_of(row, precision=[3], area=["XX-ZZ"])
    fig, counts = map_with_counts(data)
    assert fig.to_json() == map_figure(data).to_json() and not fig.data
    assert counts == map_counts(data) and counts.unplaced == 1 and counts.outside == 0
    assert "1 of 1 events has no place and is not on the map." in counts.caption()
