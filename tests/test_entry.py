"""One new event as a person enters it: the rules `timeline add` and the editor share."""

from timeline.domain import entry
from timeline.domain.schema import Col


def entered(**fields) -> tuple[dict, list[str], list]:
    base = {
        "title": "Drones over Kyiv",
        "event_type": "drone_attack",
        "outlet": "O",
        "confidence": "reported",
    }
    return entry.row(entry.Entry(**(base | fields)))


def test_a_reported_phrase_becomes_the_interval_it_means():
    raw, notes, problems = entered(when="last week", published="2024-11-27")
    assert problems == []
    assert (raw["date_start"], raw["date_end"], raw["date_precision"]) == ("2024-11-18", "2024-11-24", "week")
    assert raw["date_text"] == "last week" and "2024-11-18..2024-11-24 (precision week)" in notes[0]
    assert raw["event_id"] == "2024-11-18-drones-over-kyiv"


def test_a_named_place_is_placed_at_the_precision_the_gazetteer_supports():
    raw, notes, _ = entered(start="2024-11-25", location="Kyiv")
    assert raw[Col.GEO_PRECISION] == 1 and abs(raw[Col.LATITUDE] - 50.45) < 0.05
    assert "placed 'Kyiv'" in notes[0] and "exact place" in notes[0]
    raw, notes, _ = entered(start="2024-11-25", location="Kursk region (Maryino)")
    assert (raw[Col.GEO_PRECISION], raw[Col.AREA_CODE]) == (3, "RU-KRS")
    assert "Maryino is not in the gazetteer" in notes[0]
    raw, notes, _ = entered(start="2024-11-25", location="Nowhere-at-all-xyz")
    assert raw[Col.LATITUDE] is None and "not in the gazetteer" in notes[0]


def test_given_coordinates_win_and_are_an_exact_place():
    raw, notes, _ = entered(start="2024-11-25", location="Kyiv", latitude=50.5, longitude=30.6)
    assert (raw[Col.LATITUDE], raw[Col.LONGITUDE], raw[Col.GEO_PRECISION]) == (50.5, 30.6, 1)
    assert not [n for n in notes if "placed" in n]


def test_problems_name_the_field():
    _, _, problems = entered(when="Monday", as_of="27/11/2024")
    assert next((p.column, p.value) for p in problems) == ("as_of", "27/11/2024")
    _, _, problems = entered()
    assert problems[0].column == "date_start"


def test_countries_follow_from_the_place_and_the_side_unless_given():
    """`--location Kyiv` is in Ukraine: a country filter must find the event (it used to be
    stored with no countries at all)."""
    raw, notes, _ = entered(start="2024-11-25", location="Kyiv", initiators=["RUS"])
    assert raw[Col.COUNTRIES] == ["RUS", "UKR"]
    assert any("countries RUS, UKR" in n and "place Kyiv" in n for n in notes)
    raw, _, _ = entered(start="2024-11-25", location="Kursk region")
    assert raw[Col.COUNTRIES] == ["RUS"]
    raw, _, _ = entered(start="2024-11-25", latitude=46.48, longitude=30.72)  # Odesa, by coordinates
    assert raw[Col.COUNTRIES] == ["UKR"]
    raw, notes, _ = entered(start="2024-11-25", location="Kyiv", countries=["KOR"])
    assert raw[Col.COUNTRIES] == ["KOR"] and not any(n.startswith(entry.COUNTRY_NOTES) for n in notes)


def test_an_event_with_no_country_is_warned_about():
    raw, notes, problems = entered(start="2024-11-25", event_type="statement")
    assert raw[Col.COUNTRIES] == [] and problems == []
    assert any(n.startswith("warning: no country") and "country filter" in n for n in notes)
