"""The subtitle states what the data in view shows; every number in it is recomputed here from
the rows with pandas, independently of the engine."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from timeline.domain.schema import Col
from timeline.export import downloads as exports, findings
from timeline.storage import store

from conftest import CURATED, engine_on, frame, make_row, view_of

NIGHT = "2024-11-25-ru-drone-attack-ua"


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return store.load(CURATED)


def numbers(text: str) -> list[int]:
    return [
        int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", re.sub(r"\d+(–\d+)? \w{3} 2024", "", text))
    ]


def test_the_record_night_is_the_finding_of_its_own_view(curated_engine, rows):
    v = view_of(curated_engine, type="drone_attack", from_="2024-11-25", to="2024-11-26")
    night = rows.set_index(Col.EVENT_ID).loc[NIGHT]
    assert findings.for_view(curated_engine, v) == (
        f"{night[Col.COUNT]} drones on 25–26 Nov 2024; {night[Col.INTERCEPTED]} shot down"
    )


def test_a_month_of_drone_attacks_gives_their_total_and_the_biggest_night(curated_engine, rows):
    v = view_of(curated_engine, type="drone_attack", from_="2024-11-01", to="2024-11-30")
    nov = rows[(rows[Col.EVENT_TYPE] == "drone_attack") & (rows[Col.DATE_END] >= "2024-11-01")
               & (rows[Col.DATE_START] <= "2024-11-30")]  # fmt: skip
    top = nov.loc[nov[Col.COUNT].idxmax()]
    text = findings.for_view(curated_engine, v)
    assert text == (
        f"{len(nov)} drone attacks: Russia launched {nov[Col.COUNT].sum():,} drones; "
        f"biggest night: {top[Col.COUNT]} drones on 25–26 Nov 2024, {top[Col.INTERCEPTED]} shot down"
    )
    assert numbers(text) == [3, 406, 188, 76]


def test_sides_are_never_added_together(curated_engine, rows):
    """Russian and Ukrainian missiles in one view: each side's own total."""
    v = view_of(curated_engine, type=["drone_attack", "missile_strike"], from_="2024-11-01", to="2024-11-30")
    text = findings.for_view(curated_engine, v)
    in_view = rows[rows[Col.EVENT_TYPE].isin(["drone_attack", "missile_strike"])
                   & (rows[Col.DATE_END] >= "2024-11-01") & (rows[Col.DATE_START] <= "2024-11-30")]  # fmt: skip
    counted = in_view[in_view[Col.COUNT].notna()]
    side = counted[Col.INITIATOR_COUNTRIES].map(lambda c: "+".join(c))
    by = {(s, u): int(n) for (s, u), n in counted.groupby([side, Col.COUNT_UNIT])[Col.COUNT].sum().items()}
    assert (
        f"Russia launched {by['RUS', 'drones']} drones and {by['RUS', 'missiles']} missiles, "
        f"Ukraine {by['UKR', 'missiles']} missiles ({len(counted)} with counts)"
    ) in text
    missile_strikes = (in_view[Col.EVENT_TYPE] == "missile_strike").sum()
    assert text.startswith(f"{missile_strikes} missile strikes and 3 drone attacks: ")
    assert by["RUS", "missiles"] + by["UKR", "missiles"] not in numbers(text)


def test_combined_strikes_are_not_split_into_drones_and_missiles(curated_engine, rows):
    v = view_of(curated_engine, type=["drone_attack", "combined_strike"], from_="2024-12-01", to="2024-12-31")
    text = findings.for_view(curated_engine, v)
    dec = rows[
        rows[Col.EVENT_TYPE].isin(["drone_attack", "combined_strike"])
        & (rows[Col.DATE_START] >= "2024-12-01")
    ]
    assert f"Russia launched {dec[Col.COUNT].sum():,} drones and missiles" in text
    top = dec.loc[dec[Col.COUNT].idxmax()]
    assert (
        f"biggest strike: {top[Col.COUNT]} drones and missiles on 13 Dec 2024, {top[Col.INTERCEPTED]} intercepted"
        in text
    )


def test_events_without_strikes_are_counted_by_type_with_their_key_event(curated_engine, rows):
    v = view_of(curated_engine, type="meeting", from_="2024-11-27", to="2024-11-27")
    assert findings.for_view(curated_engine, v) == "3 meetings; key event: Umerov meets Yoon in Seoul"
    v = view_of(curated_engine, type=["statement", "intelligence_report", "troop_deployment"])
    text = findings.for_view(curated_engine, v)
    n = rows[Col.EVENT_TYPE].value_counts()
    troops = rows[rows[Col.COUNT_UNIT] == "troops"][Col.COUNT].max()
    assert text.startswith(
        f"{n['statement']} statements, {n['intelligence_report']} intelligence reports and "
        f"{n['troop_deployment']} troop deployments"
    )
    assert text.endswith(f"largest figure: {troops:,} troops on 4 Nov 2024")


def test_monthly_tallies_are_not_added_to_nightly_reports(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(
        path,
        frame(
            make_row(event_id="night", count=100, intercepted=40),
            make_row(
                event_id="month",
                date_start="2024-11-01",
                date_end="2024-11-30",
                date_precision="month",
                count=2000,
                intercepted=1000,
                date_text="in November",
            ),
        ),
    )
    engine = engine_on(path)
    assert findings.for_view(engine, view_of()) == (
        "2 drone attacks: Russia launched 100 drones (1 with counts)"
    )


def test_no_events_and_one_event(tmp_path: Path, curated_engine):
    assert findings.headline(pd.DataFrame()) == "No events"
    v = view_of(curated_engine, q="Umerov Yoon Seoul presidential")
    assert findings.for_view(curated_engine, v) == "Meeting on 27 Nov 2024"


def test_a_view_too_large_to_draw_names_each_sides_total_and_its_busiest_day(tmp_path: Path):
    path = tmp_path / "synth.parquet"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "timeline.cli.main",
            "synth",
            "--events",
            "4000",
            "--out",
            str(path),
            "--seed",
            "3",
        ],
        check=True,
        capture_output=True,
    )
    engine = engine_on(path)
    v = view_of(engine)
    text = findings.for_view(engine, v)
    series = engine.strikes(v).frame
    by_side = series.groupby("side")["launched"].sum().sort_values(ascending=False)
    assert text.startswith(f"{engine.match(v).count:,} events; ")
    for n in by_side:
        assert f"{int(n):,}" in text
    peak = series.groupby(["bin", "side"])["launched"].sum().max()
    assert f"busiest: {int(peak):,} by " in text


def test_export_subtitles_state_the_finding(curated_engine):
    v = view_of(
        curated_engine, type="drone_attack", from_="2024-11-01", to="2024-11-30", confidence="confirmed"
    )
    texts = exports.default_texts(curated_engine, v, curated_engine.match(v))
    assert texts.subtitle.endswith(" · confidence: confirmed")
    assert "drones" in texts.subtitle and "events" not in texts.subtitle.split(" · ")[0]
