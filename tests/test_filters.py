from datetime import date
from pathlib import Path

import numpy as np
import pytest

from timeline import filters, store
from timeline.filters import Catalog, Filters
from timeline.schema import Col, from_arrow
from timeline.synth import generate

from conftest import CURATED, frame, make_row


@pytest.fixture(scope="module")
def curated() -> Catalog:
    return Catalog.build(store.load(CURATED))


def ids(catalog: Catalog, f: Filters) -> set[str]:
    return set(filters.apply(catalog, f)[Col.EVENT_ID])


def test_no_filters_match_everything(curated: Catalog):
    assert filters.mask(curated, Filters()).all()


def test_drone_attacks_in_november(curated: Catalog):
    f = Filters(types=("drone_attack",), start=date(2024, 11, 1), end=date(2024, 11, 30))
    assert ids(curated, f) == {
        "2024-11-10-ru-drone-attack-ua",
        "2024-11-24-ru-drone-attack-ua",
        "2024-11-25-ru-drone-attack-ua",
    }


def test_dates_match_by_overlap(curated: Catalog):
    # the October monthly total may have happened on any day of October
    assert "2024-10-01-ua-general-staff-october-drone-total" in ids(
        curated, Filters(start=date(2024, 10, 15), end=date(2024, 10, 20))
    )
    # an overnight attack that began on 25 Nov also matches a filter starting on the 26th
    assert "2024-11-25-ru-drone-attack-ua" in ids(curated, Filters(start=date(2024, 11, 26)))


def test_country_actor_confidence_and_min_count(curated: Catalog):
    prk_big = ids(curated, Filters(countries=("PRK",), min_count=10_000))
    assert prk_big == {
        "2024-11-04-zelensky-11000-prk-troops-kursk",
        "2024-11-12-us-says-prk-troops-in-combat",
        "2024-11-18-pentagon-11000-prk-troops-kursk",
        "2024-11-20-nis-11000-prk-troops-kursk",
    }
    umerov = ids(curated, Filters(actors=("Rustem Umerov",)))
    assert "2024-11-27-umerov-yoon-meeting" in umerov and len(umerov) == 4
    claimed = filters.apply(curated, Filters(confidence=("claimed",)))
    assert (claimed[Col.CONFIDENCE] == "claimed").all() and len(claimed) == 9


def test_missing_count_never_passes_min_count(curated: Catalog):
    matched = filters.apply(curated, Filters(min_count=0))
    assert matched[Col.COUNT].notna().all()
    assert len(matched) == curated.events[Col.COUNT].notna().sum()


def test_text_search_is_case_insensitive_and_all_words(curated: Catalog):
    found = ids(curated, Filters(text="UMEROV seoul"))
    assert "2024-11-27-umerov-yoon-meeting" in found
    assert all("umerov" in curated.events.set_index(Col.EVENT_ID).loc[i].to_string().lower() for i in found)
    assert ids(curated, Filters(text="Ternopil")) == {"2024-11-25-ru-drone-attack-ua"}  # summary text
    assert ids(curated, Filters(text="zzzz-no-such-word")) == set()


def test_relaxations_explain_an_empty_result(curated: Catalog):
    f = Filters(types=("visit",), countries=("UKR",))
    assert filters.apply(curated, f).empty
    hints = dict(filters.relaxations(curated, f))
    assert hints["countries"] == 1  # the one visit (Belousov to Pyongyang)
    assert hints["types"] == len(filters.apply(curated, Filters(countries=("UKR",))))


def test_presets_count_back_from_newest_event(curated: Catalog):
    assert filters.preset_range(curated.as_of, "7d") == (date(2024, 12, 21), date(2024, 12, 27))
    assert filters.preset_range(curated.as_of, "all") == (None, None)


def test_catalog_options_by_frequency(curated: Catalog):
    assert curated.countries[:2] == ("RUS", "UKR")
    assert curated.first_day == date(2024, 10, 1) and curated.last_day == date(2024, 12, 27)
    assert curated.type_counts["drone_attack"] == 9


def test_mask_on_a_large_synthetic_frame_matches_a_plain_loop():
    catalog = Catalog.build(from_arrow(generate(20_000, seed=4)))
    f = Filters(countries=("PRK", "KOR"), actors=("NATO",), min_count=5)
    fast = filters.mask(catalog, f)
    df = catalog.events
    slow = np.array(
        [
            bool({"PRK", "KOR"} & set(c)) and "NATO" in set(a) and (n is not None and n == n and n >= 5)
            for c, a, n in zip(
                df[Col.COUNTRIES], df[Col.ACTORS], df[Col.COUNT].astype("float64"), strict=True
            )
        ]
    )
    assert (fast == slow).all() and fast.sum() > 0


def test_catalog_of_a_small_dataset(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(path, frame(make_row(summary=None, location=None)))
    catalog = Catalog.build(store.load(path))
    assert ids(catalog, Filters(text="test drone")) == {"2024-11-25-ru-drone-attack-test"}


def test_as_of_ignores_the_far_end_of_coarse_dates(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(
        path,
        frame(
            make_row(event_id="night", date_start="2024-11-25", date_end="2024-11-26"),
            make_row(
                event_id="december",
                date_start="2024-12-01",
                date_end="2024-12-31",
                date_precision="month",
                actors=["Y"],
            ),
        ),
    )
    catalog = Catalog.build(store.load(path))
    assert catalog.last_day == date(2024, 12, 31)
    assert catalog.as_of == date(2024, 12, 1)  # 'December' does not make the data current to the 31st
    assert filters.preset_range(catalog.as_of, "7d") == (date(2024, 11, 25), date(2024, 12, 1))
