"""The offline gazetteer: a location as the curated data, `timeline add` and the importers
write it -> coordinates at the precision the bundled GeoNames and Natural Earth data support."""

import math

import pandas as pd
import pytest

from timeline.domain import gazetteer
from timeline.domain.gazetteer import GEO_PRECISIONS, lookup

from conftest import CURATED


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))


# text -> (precision, area code, latitude, longitude: published coordinates of the place, or
# the Natural Earth label point of a region or country)
CURATED_PLACES = {
    "Kyiv": (1, "UA-30", 50.4501, 30.5234),
    "Dnipro": (1, "UA-12", 48.4647, 35.0462),
    "Seoul": (1, "KR-11", 37.5665, 126.9780),
    "Washington, D.C.": (1, "US-DC", 38.9072, -77.0369),
    "Moscow": (1, "RU-MOW", 55.7558, 37.6173),
    "Pyongyang": (1, "KP-01", 39.0392, 125.7625),
    "Vladivostok": (1, "RU-PRI", 43.1155, 131.8855),
    "Taganrog": (1, "RU-ROS", 47.2362, 38.8969),
    "Fiuggi, Italy": (1, None, 41.8000, 13.2200),
    "Bryansk region (Karachev area)": (2, "RU-BRY", 53.1167, 34.9833),
    "Kursk region (Maryino)": (3, "RU-KRS", 51.7358, 36.2921),
    "Kursk region (near Lotarevka)": (3, "RU-KRS", 51.7358, 36.2921),
    "Kursk-Vostochny airfield (Khalino), Kursk region": (3, "RU-KRS", 51.7358, 36.2921),
    "Kursk region": (3, "RU-KRS", 51.7358, 36.2921),
    "Kamensky chemical plant, Rostov region": (3, "RU-ROS", 47.9913, 41.2613),
    "Ukraine": (4, "UKR", 49.60, 32.36),
    "Ukraine (nationwide)": (4, "UKR", 49.60, 32.36),
    "Ukraine (17 regions)": (4, "UKR", 49.60, 32.36),
    "Ukraine (11 regions)": (4, "UKR", 49.60, 32.36),
    "Italy (G7 foreign ministers' meeting)": (4, "ITA", 45.13, 10.87),
}


def test_precisions_are_acleds_three_and_a_whole_country():
    assert GEO_PRECISIONS == {1: "exact place", 2: "near a place", 3: "region", 4: "country"}
    assert set(gazetteer.GEO_PRECISION_MEANINGS) == set(GEO_PRECISIONS)


@pytest.mark.parametrize("text", list(CURATED_PLACES))
def test_curated_locations_resolve_at_the_precision_the_gazetteer_supports(text: str):
    precision, code, lat, lon = CURATED_PLACES[text]
    place = lookup(text)
    assert place is not None
    assert place.precision == precision, place
    if code is not None:
        assert place.area_code == code, place
    assert km(place.latitude, place.longitude, lat, lon) < 5, place


def test_every_curated_location_is_found_and_placed_within_5_km_of_its_stored_coordinates():
    rows = pd.read_parquet(CURATED, columns=["location", "latitude", "longitude", "geo_precision"])
    for location, group in rows.dropna(subset=["location"]).groupby("location"):
        place = lookup(location)
        assert place is not None, location
        stored = group.iloc[0]
        assert place.precision == stored["geo_precision"], (location, place)
        assert km(place.latitude, place.longitude, stored["latitude"], stored["longitude"]) < 5, (
            location,
            place,
        )


@pytest.mark.parametrize(
    ("text", "village"),
    [
        ("Kursk region (Maryino)", "Maryino"),
        ("Kursk region (near Lotarevka)", "Lotarevka"),
        ("Kursk-Vostochny airfield (Khalino), Kursk region", "Khalino"),
        ("Maryino, Kursk region, Russia", "Maryino"),
    ],
)
def test_a_village_the_gazetteer_lacks_falls_back_to_its_region_and_says_so(text: str, village: str):
    place = lookup(text)
    assert place is not None
    assert (place.precision, place.area_code, place.name) == (3, "RU-KRS", "Kursk region")
    assert place.note == f"{village} is not in the gazetteer: placed at Kursk region"


def test_a_site_the_gazetteer_lacks_is_placed_at_its_region_and_named_in_the_note():
    place = lookup("Kamensky chemical plant, Rostov region")
    assert (place.precision, place.area_code) == (3, "RU-ROS")
    assert place.note == "Kamensky (chemical plant) is not in the gazetteer: placed at Rostov region"


def test_an_ambiguous_name_says_so_only_when_the_others_are_comparable():
    assert lookup("Rome").note == ""  # Rome, Georgia (36,000) is no rival for Rome, Italy
    assert lookup("Washington").note == ""


def test_near_a_place_keeps_the_place_and_says_near():
    place = lookup("Bryansk region (Karachev area)")
    assert (place.name, place.precision, place.area_code) == ("Karachev", 2, "RU-BRY")
    assert place.note == "near Karachev"
    assert lookup("Karachev").precision == 1
    engels = lookup("Engels air base, Saratov region")
    assert (engels.name, engels.precision) == ("Engels", 2)


def test_unnamed_regions_and_nationwide_are_the_whole_country():
    for text in ("Ukraine (17 regions)", "Ukraine (nationwide)", "Ukraine"):
        place = lookup(text)
        assert (place.precision, place.area_code, place.name) == (4, "UKR", "Ukraine")
    assert lookup("Ukraine (17 regions)").note == "17 regions, not named: placed at Ukraine as a whole"
    assert lookup("Ukraine (nationwide)").note == "nationwide: placed at Ukraine as a whole"


@pytest.mark.parametrize("text", ["", "   ", "Nowhere-ville", "xyzzy", "Lotarevka", "Maryino"])
def test_text_that_names_nothing_known_gives_none(text: str):
    assert lookup(text) is None


def test_an_alternate_name_of_a_village_is_never_taken():
    # GeoNames lists "Mar'ino" as another name of Pristen', a village in Kursk region, and
    # "Mar'ino" is also a district of Moscow: neither is the Maryino of the curated strike.
    place = lookup("Kursk region (Mar'ino)")
    assert (place.precision, place.area_code) == (3, "RU-KRS")
    assert "Pristen" in place.note and "not taken" in place.note
    # ... while its own name finds it
    assert lookup("Pristen, Kursk region").precision == 1


def test_an_alternate_name_of_a_small_town_needs_a_region_that_agrees():
    assert lookup("Avdiivka") is None  # GeoNames' own name is Avdiyivka (pop. < 100,000)
    place = lookup("Donetsk region (Avdiivka)")
    assert (place.name, place.precision, place.area_code) == ("Avdiyivka", 1, "UA-14")
    assert "another of its names" in place.note
    # a large city is found by its other names alone
    assert lookup("Kiev").name == "Kyiv"
    assert lookup("New York").name == "New York City"


def test_ranking_is_deterministic_and_prefers_the_place_meant():
    assert lookup("Odessa").area_code == "UA-51"  # Odesa, Ukraine (1M), not Odessa, Texas
    assert lookup("Rome").area_code == "IT-RM"
    assert lookup("Rome, Georgia").area_code == "US-GA"  # not the country: no Rome there
    assert lookup("Georgia").area_code == "GEO"
    assert lookup("Kyiv").precision == 1 and lookup("Kyiv region").area_code == "UA-32"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kursk Oblast", "RU-KRS"),
        ("Kurskaya oblast", "RU-KRS"),
        ("Курская область", "RU-KRS"),
        ("RU-KRS", "RU-KRS"),
        ("Odessa oblast", "UA-51"),
        ("Odesa Oblast", "UA-51"),
        ("Kyiv Oblast", "UA-32"),
        ("Moscow Oblast", "RU-MOS"),
        ("Rostov region", "RU-ROS"),
        ("Crimea", "UA-43"),
    ],
)
def test_regions_in_several_spellings(text: str, code: str):
    place = lookup(text)
    assert (place.precision, place.area_code) == (3, code)


def test_region_and_country_outlines_hold_their_places():
    kursk = gazetteer.region("RU-KRS")
    assert gazetteer.region("RU.41") is kursk
    assert (kursk.name, kursk.country, kursk.kind) == ("Kursk", "RUS", "region")
    assert kursk.contains(36.18, 51.73)  # Kursk city
    assert not kursk.contains(34.98, 53.12)  # Karachev, Bryansk region
    w, s, e, n = kursk.bbox
    assert w < 36.18 < e and s < 51.73 < n
    ukraine = gazetteer.country("UKR")
    assert gazetteer.country("UA") is ukraine
    assert ukraine.contains(30.52, 50.45)  # Kyiv
    assert ukraine.contains(34.10, 44.95)  # Simferopol: Crimea is drawn in Ukraine
    assert gazetteer.region("UA-43").country == "UKR"
    assert not ukraine.contains(37.62, 55.75)
    assert gazetteer.region_at(36.18, 51.73).code == "RU-KRS"
    assert gazetteer.country_at(126.98, 37.57).code == "KOR"
    assert gazetteer.area("UKR") is ukraine and gazetteer.area("RU-KRS") is kursk
    assert gazetteer.region("XX-NOPE") is None and gazetteer.country("XXX") is None


def test_many_points_at_once_get_the_answers_one_at_a_time_gets():
    """`contains_all` (the map's country-name placement tests a grid at once) answers as
    `contains` does, point by point, islands and holes included."""
    import numpy as np

    rng = np.random.default_rng(7)
    for area in (gazetteer.country("RUS"), gazetteer.country("UKR"), gazetteer.region("RU-KRS")):
        w, s, e, n = area.bbox
        lon, lat = rng.uniform(w - 1, e + 1, 400), rng.uniform(s - 1, n + 1, 400)
        one_by_one = [area.contains(x, y) for x, y in zip(lon, lat, strict=True)]
        assert area.contains_all(lon, lat).tolist() == one_by_one
        assert any(one_by_one) and not all(one_by_one)
    assert gazetteer.country("UKR").contains_all(
        np.array([30.52, 37.62]), np.array([50.45, 55.75])
    ).tolist() == [
        True,
        False,
    ]


def test_moscow_city_and_oblast_have_their_own_iso_codes():
    assert gazetteer.region("RU-MOW").type == "Federal City"
    assert gazetteer.region("RU-MOW").contains(37.62, 55.75)
    assert gazetteer.region("RU-MOS").name == "Moscow Oblast"
    assert lookup("Moscow").area_code == "RU-MOW"


def test_every_region_and_country_outline_stays_on_one_side_of_the_antimeridian():
    areas = (*gazetteer.countries("50m"), *gazetteer.countries("110m"), gazetteer.region("RU-CHU"))
    for area in areas:
        if area.code == "ATA":  # wraps the pole: its ring runs along the bottom edge, -90°
            continue
        for ring in area.rings:
            assert abs(ring[1:, 0] - ring[:-1, 0]).max(initial=0) < 180, area.code


def test_city_labels_are_large_cities_and_capitals():
    cities = gazetteer.major_cities()
    assert cities[0].population >= cities[-1].population
    by_name = {c.name: c for c in cities}
    assert by_name["Kyiv"].capital and by_name["Kyiv"].country == "UA"
    assert not by_name["Kharkiv"].capital
    assert all(c.population >= 100_000 or c.capital for c in cities)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Bryansk region (Karachev area)", "Karachev"),
        ("Kursk-Vostochny airfield (Khalino), Kursk region", "Khalino"),
        ("Kursk region (near Lotarevka)", "Lotarevka"),
        ("Washington, D.C.", "Washington"),
        ("Ukraine (17 regions)", "Ukraine"),
        ("Kyiv", "Kyiv"),
    ],
)
def test_named_place_reads_the_place_a_text_names_without_the_gazetteer(text: str, name: str):
    assert gazetteer.named_place(text) == name
