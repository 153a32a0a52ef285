"""The bundled dataset: every seed-article event with its dates, precision and counts,
sources on every row, our own wording, and a rebuild from the sources that matches."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from timeline.domain.schema import Col
from timeline.storage import diff, store

from conftest import CURATED, ROOT, SHARED

SOURCES = SHARED / "sources"
needs_sources = pytest.mark.skipif(not (SOURCES / "facts_2024.csv").exists(), reason=f"{SOURCES} not present")

# (event_id, start, end, precision, date_text, count, intercepted, unit)
SEED_EVENTS = [
    ("2024-11-27-umerov-yoon-meeting", "2024-11-27", "2024-11-27", "day", "Wednesday", None, None, None),
    (
        "2024-11-27-umerov-shin-wonsik-meeting",
        "2024-11-27",
        "2024-11-27",
        "day",
        "Wednesday",
        None,
        None,
        None,
    ),
    (
        "2024-11-27-umerov-kim-yonghyun-meeting",
        "2024-11-27",
        "2024-11-27",
        "day",
        "Wednesday",
        None,
        None,
        None,
    ),
    ("2024-10-29-zelensky-yoon-call", "2024-10-29", "2024-10-29", "day", "Oct. 29", None, None, None),
    ("2024-11-25-cho-sybiha-meeting-g7", "2024-11-25", "2024-11-25", "day", "Monday", None, None, None),
    (
        "2024-10-24-yoon-duda-press-conference",
        "2024-10-24",
        "2024-10-24",
        "day",
        "last month",
        None,
        None,
        None,
    ),
    (
        "2024-11-07-yoon-press-conference-weapons",
        "2024-11-07",
        "2024-11-07",
        "day",
        "Nov. 7",
        None,
        None,
        None,
    ),
    (
        "2024-11-17-us-authorizes-atacms-inside-russia",
        "2024-11-17",
        "2024-11-17",
        "day",
        "last week",
        None,
        None,
        None,
    ),
    ("2024-11-21-ru-oreshnik-strike-dnipro", "2024-11-21", "2024-11-21", "day", "Nov. 21", 9, 6, "missiles"),
    (
        "2024-11-26-ru-mod-atacms-kursk-statement",
        "2024-11-26",
        "2024-11-26",
        "day",
        "Tuesday",
        13,
        10,
        "missiles",
    ),
    ("2024-11-25-ru-drone-attack-ua", "2024-11-25", "2024-11-26", "day", "Monday night", 188, 76, "drones"),
]


@pytest.fixture(scope="module")
def curated() -> pd.DataFrame:
    return store.load(CURATED).set_index(str(Col.EVENT_ID))


@pytest.mark.parametrize("expected", SEED_EVENTS, ids=[e[0] for e in SEED_EVENTS])
def test_seed_article_event_present(curated: pd.DataFrame, expected):
    event_id, start, end, precision, text, count, intercepted, unit = expected
    row = curated.loc[event_id]
    assert row[Col.DATE_START].date().isoformat() == start
    assert row[Col.DATE_END].date().isoformat() == end
    assert row[Col.DATE_PRECISION] == precision
    assert row[Col.DATE_TEXT] == text
    assert (None if pd.isna(row[Col.COUNT]) else int(row[Col.COUNT])) == count
    assert (None if pd.isna(row[Col.INTERCEPTED]) else int(row[Col.INTERCEPTED])) == intercepted
    assert (None if pd.isna(row[Col.COUNT_UNIT]) else row[Col.COUNT_UNIT]) == unit
    assert row[Col.SOURCE_OUTLET] == "Korea JoongAng Daily"
    assert row[Col.SOURCE_PUBLISHED].date().isoformat() == "2024-11-27"


def test_the_188_drone_night_is_the_record(curated: pd.DataFrame):
    drones = curated[curated[Col.EVENT_TYPE] == "drone_attack"]
    single_nights = drones[drones[Col.DATE_PRECISION] == "day"]
    assert single_nights[Col.COUNT].max() == 188


def test_every_row_names_its_source(curated: pd.DataFrame):
    assert curated[Col.SOURCE_OUTLET].notna().all()
    assert curated[Col.SOURCE_URL].str.startswith("http").all()
    assert len(curated) == 90 and (curated[Col.DATASET] == "curated").all()


def test_counts_without_a_column_survive_in_summaries(curated: pd.DataFrame):
    # e.g. 95 drones lost to electronic warfare on the 188-drone night
    assert "95" in curated.loc["2024-11-25-ru-drone-attack-ua", Col.SUMMARY]
    casualties = curated.loc["2024-12-23-rok-jcs-1100-prk-casualties"]
    assert (casualties[Col.COUNT], casualties[Col.COUNT_UNIT]) == (1100, "casualties")


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def _runs(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@needs_sources
def test_titles_and_summaries_are_our_own_words(curated: pd.DataFrame):
    import csv

    with (SOURCES / "facts_2024.csv").open(encoding="utf-8") as fh:
        facts = {r["event_id"]: r for r in csv.DictReader(fh)}
    article = _runs((SOURCES / "seed-article-2024-11-27.txt").read_text(encoding="utf-8"))
    for event_id, row in curated.iterrows():
        ours = _runs(f"{row[Col.TITLE]}") | _runs(f"{row[Col.SUMMARY]}")
        theirs = _runs(facts[event_id]["title"]) | _runs(facts[event_id]["summary"]) | article
        assert not ours & theirs, f"{event_id} copies {sorted(ours & theirs)[:2]}"


def test_editorial_file_covers_every_row(curated: pd.DataFrame):
    editorial = tomllib.loads((ROOT / "data" / "curation" / "editorial.toml").read_text(encoding="utf-8"))
    assert set(editorial) == set(curated.index)


@needs_sources
def test_rebuild_from_sources_reproduces_the_bundled_file(tmp_path: Path):
    out = tmp_path / "events.parquet"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_curated.py"),
            "--sources",
            str(SOURCES),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    result = diff.compare(store.load(CURATED), store.load(out), ignore=(str(Col.ADDED_AT),))
    assert result.empty, diff.format_text(result)
