from datetime import date

import pytest

from timeline import store
from timeline.filters import Catalog, Filters
from timeline.urlstate import View, parse, to_params

from conftest import CURATED


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.build(store.load(CURATED))


def test_issue_example(catalog: Catalog):
    view, warnings = parse({"type": ["drone_attack"], "from": ["2024-11-01"], "to": ["2024-11-30"]}, catalog)
    assert warnings == []
    assert view.filters == Filters(start=date(2024, 11, 1), end=date(2024, 11, 30), types=("drone_attack",))


def test_every_public_parameter_round_trips(catalog: Catalog):
    params = {
        "from": ["2024-10-01"],
        "to": ["2024-12-31"],
        "type": ["drone_attack", "missile_strike"],
        "country": ["UKR", "RUS"],
        "actor": ["Ukrainian Air Force"],
        "q": ["Shahed"],
        "confidence": ["confirmed", "reported"],
        "min_count": ["50"],
        "lanes": ["country"],
        "event": ["2024-11-25-ru-drone-attack-ua"],
        "dataset": ["curated"],
        "per": ["week"],
        "strikes": ["drones"],
    }
    view, warnings = parse(params, catalog)
    assert warnings == []
    assert to_params(view) == params
    assert parse(to_params(view), catalog)[0] == view


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"type": ["drone_strike"]}, "type='drone_strike'"),
        ({"from": ["2024-13-01"]}, "from='2024-13-01'"),
        ({"from": ["yesterday"]}, "from='yesterday'"),
        ({"from": ["2024-12-01"], "to": ["2024-11-01"]}, "from=2024-12-01 is after to=2024-11-01"),
        ({"min_count": ["-5"]}, "min_count='-5'"),
        ({"min_count": ["lots"]}, "min_count='lots'"),
        ({"country": ["Ukraine"]}, "country='UKRAINE'"),
        ({"confidence": ["sure"]}, "confidence='sure'"),
        ({"lanes": ["weapon"]}, "lanes='weapon'"),
        ({"event": ["no-such-event"]}, "event='no-such-event'"),
        ({"actor": ["Nobody Known"]}, "actor='Nobody Known'"),
        ({"per": ["hour"]}, "per='hour'"),
    ],
)
def test_bad_values_are_dropped_and_named(catalog: Catalog, params, named):
    view, warnings = parse({**params, "q": ["Kyiv"]}, catalog)
    assert len(warnings) == 1 and named in warnings[0]
    assert view.filters.text == "Kyiv"  # the rest of the view still applies
    assert view == parse({"q": ["Kyiv"]}, catalog)[0]


def test_good_values_survive_next_to_bad_ones(catalog: Catalog):
    view, warnings = parse({"type": ["drone_attack", "nonsense"], "country": ["ukr", "XXX"]}, catalog)
    assert view.filters.types == ("drone_attack",) and view.filters.countries == ("UKR",)
    assert len(warnings) == 2


def test_defaults_make_an_empty_query():
    assert to_params(View()) == {}


def test_comma_separated_lists_are_accepted(catalog: Catalog):
    view, _ = parse({"type": ["meeting,call"]}, catalog)
    assert view.filters.types == ("meeting", "call")


def test_overlong_query_is_shortened(catalog: Catalog):
    view, warnings = parse({"q": ["x" * 500]}, catalog)
    assert len(view.filters.text) == 200 and warnings
