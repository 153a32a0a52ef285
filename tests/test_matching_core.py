"""The matching algorithm on plain tables: candidates, scores, one-to-one selection."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from timeline.matching import core, slices
from timeline.matching.core import Dimension, MatchSettings, Out, Place, R


def reports(
    rng: np.random.Generator, n: int, source: str, lat: tuple[float, float], lon: tuple[float, float]
):
    start = rng.integers(0, 40, n)
    return pd.DataFrame(
        {
            R.SOURCE: source,
            R.REPORT: [f"{source}{i}" for i in range(n)],
            R.START: start,
            R.END: start + rng.choice([0, 0, 0, 1, 6], n),
            R.LAT: rng.uniform(*lat, n),
            R.LON: rng.uniform(*lon, n),
            R.EPISODE: False,
        }
    )


def brute_force(left, right, settings, rule):
    """Every pair compared: what the grid join must find, no more, no fewer."""
    out = set()
    for i, a in left.iterrows():
        for j, b in right.iterrows():
            if rule == "endpoints":
                ok = (
                    abs(a[R.START] - b[R.START]) <= settings.days
                    and abs(a[R.END] - b[R.END]) <= settings.days
                )
            else:
                ok = b[R.START] <= a[R.END] + settings.days and b[R.END] >= a[R.START] - settings.days
            if ok and haversine(a, b, settings.earth_radius_km) <= settings.km:
                out.add((i, j))
    return out


def haversine(a, b, radius):
    p1, p2 = math.radians(a[R.LAT]), math.radians(b[R.LAT])
    dp, dl = p2 - p1, math.radians(b[R.LON] - a[R.LON])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


@pytest.mark.parametrize(
    ("lat", "lon", "km", "days", "rule"),
    [
        ((47.0, 48.0), (30.0, 31.5), 10.0, 1, "overlap"),
        ((47.0, 48.0), (30.0, 31.5), 25.0, 2, "endpoints"),
        ((69.0, 71.0), (20.0, 26.0), 30.0, 0, "overlap"),  # far north: wide longitude cells
        ((-1.0, 1.0), (179.6, 180.0), 40.0, 1, "overlap"),  # across the antimeridian
    ],
)
def test_grid_join_finds_exactly_the_pairs_within_both_windows(lat, lon, km, days, rule):
    rng = np.random.default_rng(7)
    left = reports(rng, 150, "a", lat, lon)
    right = reports(rng, 150, "b", lat, lon)
    if lon[1] == 180.0:  # half of the right side just west of -180 = just east of 180
        right[R.LON] = np.where(rng.random(150) < 0.5, right[R.LON] - 360, right[R.LON])
    settings = MatchSettings(km=km, days=days)
    found = core.candidates(left, right, settings, rule)
    expected = brute_force(left, right, settings, rule)
    assert expected, "the case must have pairs to find"
    assert set(zip(found["li"], found["ri"], strict=True)) == expected


def test_area_reports_pair_by_country_and_region():
    base = {R.START: 10, R.END: 10, R.EPISODE: False, R.LAT: np.nan, R.LON: np.nan}
    left = pd.DataFrame(
        [
            {
                **base,
                R.SOURCE: "a",
                R.REPORT: "ukr",
                Place.AREA: True,
                Place.COUNTRY: "UKR",
                Place.REGION: None,
            },
            {
                **base,
                R.SOURCE: "a",
                R.REPORT: "kharkiv",
                Place.AREA: True,
                Place.COUNTRY: "UKR",
                Place.REGION: "UA-63",
            },
        ]
    )
    right = pd.DataFrame(
        [
            {
                **base,
                R.SOURCE: "b",
                R.REPORT: "odesa",
                Place.AREA: True,
                Place.COUNTRY: "UKR",
                Place.REGION: "UA-51",
            },
            {
                **base,
                R.SOURCE: "b",
                R.REPORT: "rus",
                Place.AREA: True,
                Place.COUNTRY: "RUS",
                Place.REGION: None,
            },
        ]
    )
    found = core.candidates(left, right, MatchSettings(), "overlap")
    # the country-wide report may be the Odesa one; Kharkiv and Odesa differ; Russia is elsewhere
    assert list(zip(found["li"], found["ri"], strict=True)) == [(0, 0)]


def test_score_prefers_the_most_specific_agreement():
    dims = (Dimension("t", ("t1", "t2", "t3")),)
    frame = pd.DataFrame({"t1": ["x", "x", "y", "z"], "t2": ["X", "X", "X", "Q"], "t3": ["A", "A", "A", "A"]})
    codes = core.codes(frame, dims)
    li, ri = np.array([0, 0, 0]), np.array([1, 2, 3])
    score, ok = core.scores(codes, codes, li, ri, dims, partial=0)
    assert list(score) == [0.0, 0.5, 1.0] and ok.all()


def test_unknown_side_agrees_but_a_different_side_rules_out():
    dims = (Dimension("side", ("s",), unknown_agrees=True),)
    frame = pd.DataFrame({"s": ["RUS", "RUS", None, "UKR"]})
    codes = core.codes(frame, dims)
    score, ok = core.scores(codes, codes, np.array([0, 0, 0]), np.array([1, 2, 3]), dims, partial=0)
    assert list(ok) == [True, True, False]
    assert score[0] < score[1]  # a known agreement beats an unknown one


def two_sources(rows_a, rows_b):
    def frame(rows, source):
        return pd.DataFrame(
            [
                {
                    R.SOURCE: source,
                    R.REPORT: r,
                    R.START: s,
                    R.END: s,
                    R.LAT: 50.0,
                    R.LON: lon,
                    R.EPISODE: False,
                    "t": t,
                }
                for r, s, lon, t in rows
            ]
        )

    return pd.concat([frame(rows_a, "a"), frame(rows_b, "b")], ignore_index=True)


def test_one_to_one_best_score_wins_and_runner_up_is_flagged():
    # b1 and b2 agree with a1 equally (b2 is nearer); a1 takes one of them, not both
    data = two_sources([("a1", 5, 30.0, "x")], [("b1", 5, 30.001, "x"), ("b2", 5, 30.0, "x")])
    res = core.match(data, (Dimension("t", ("t",)),), MatchSettings(km=5, days=1))
    out = res.reports.set_index(R.REPORT)
    assert (out[Out.INCIDENT] == "a:a1").sum() == 2  # a1 and one b
    assert res.summary["matches"] == 1 and res.summary["unique"] == 2
    dup = out[out[Out.ROLE] == "duplicate"].index[0]
    assert "ambiguous" in out.loc[dup, Out.REVIEW]  # the other b scored as well


def test_precedence_decides_the_representative():
    data = two_sources([("a1", 5, 30.0, "x")], [("b1", 5, 30.0, "x")])
    res = core.match(data, (Dimension("t", ("t",)),), MatchSettings(precedence=("b", "a")))
    out = res.reports.set_index(R.REPORT)
    assert out.loc["a1", Out.INCIDENT] == "b:b1" and out.loc["b1", Out.ROLE] == "representative"


def test_bad_rows_are_named():
    data = two_sources([("a1", 5, 30.0, "x")], [("b1", 5, 30.0, "x")])
    data.loc[1, R.LAT] = 95.0
    with pytest.raises(core.MatchError, match=r"row 2: lat 95.0 is out of range"):
        core.match(data, (Dimension("t", ("t",)),), MatchSettings())
    data.loc[1, R.LAT] = np.nan
    with pytest.raises(core.MatchError, match=r"row 2: lat is missing"):
        core.match(data, (Dimension("t", ("t",)),), MatchSettings())


def synthetic_sources(n: int, seed: int = 5) -> pd.DataFrame:
    """Three sources over 120 days; B and C copy some of A's reports a little moved."""
    rng = np.random.default_rng(seed)
    a = reports(rng, n, "a", (47.0, 47.6), (30.0, 30.8)).assign(t=lambda f: rng.choice(["x", "y"], len(f)))
    a[R.START] = rng.integers(0, 120, n)
    a[R.END] = a[R.START]
    frames = [a]
    for name in ("b", "c"):
        copy = a.sample(frac=0.5, random_state=int(rng.integers(1000))).copy()
        copy[R.LAT] += rng.uniform(-0.01, 0.01, len(copy))
        copy[R.START] += rng.integers(-1, 2, len(copy))
        copy[R.END] = copy[R.START]
        copy[R.SOURCE] = name
        copy[R.REPORT] = [f"{name}{i}" for i in range(len(copy))]
        frames.append(copy)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.slow  # thousands of reports matched four ways
def test_time_slices_agree_with_the_whole_match(tmp_path):
    data = synthetic_sources(1500)
    dims = (Dimension("t", ("t",)),)
    settings = MatchSettings(km=5, days=1, precedence=("a", "b", "c"))
    whole = core.match(data, dims, settings)

    def read(lo: int, hi: int) -> pd.DataFrame:
        return data[(data[R.START] >= lo) & (data[R.START] < hi)]

    first, last = int(data[R.START].min()), int(data[R.START].max())
    one = pd.concat(slices.match_in_slices(read, first, last, 0, dims, settings, slice_days=1000))
    sliced = pd.concat(slices.match_in_slices(read, first, last, 0, dims, settings, slice_days=10))
    in_threads = pd.concat(
        slices.match_in_slices(read, first, last, 0, dims, settings, slice_days=10, workers=3)
    )
    pd.testing.assert_frame_equal(in_threads.reset_index(drop=True), sliced.reset_index(drop=True))
    assert len(sliced) == len(data) and sliced[R.REPORT].is_unique
    by_whole = whole.reports.set_index(R.REPORT)[Out.INCIDENT]
    assert (one.set_index(R.REPORT)[Out.INCIDENT] == by_whole.loc[one[R.REPORT]]).all()
    differ = (sliced.set_index(R.REPORT)[Out.INCIDENT] != by_whole.loc[sliced[R.REPORT]]).sum()
    assert differ <= len(data) // 100  # only decisions at the slices' edges may differ
    # the summary counted by DuckDB over written slices is the in-memory one
    files = []
    for k, part in enumerate(slices.match_in_slices(read, first, last, 0, dims, settings, slice_days=1000)):
        files.append(str(tmp_path / f"{k}.parquet"))
        part.to_parquet(files[-1], index=False)
    assert slices.summarise_files(files, ["a", "b", "c"]) == whole.summary


def pair_by_pair(li: np.ndarray, ri: np.ndarray, order: np.ndarray) -> list[int]:
    """The one-to-one pass as its definition reads: each pair in order, kept if both sides are free."""
    used_l, used_r, kept = set(), set(), []
    for pos in order:
        if li[pos] not in used_l and ri[pos] not in used_r:
            used_l.add(li[pos])
            used_r.add(ri[pos])
            kept.append(int(pos))
    return kept


@pytest.mark.parametrize("seed", range(6))
def test_greedy_rounds_keep_the_pairs_the_pass_keeps(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = 3000
    li, ri = rng.integers(0, 400, n), rng.integers(0, 400, n)
    order = rng.permutation(n)
    assert sorted(core.greedy(li, ri, order)) == sorted(pair_by_pair(li, ri, order))
    # a chain (each pair takes the next one's side) outlasts the rounds and is walked to its end
    chain = np.arange(200)
    monkeypatch.setattr(core, "GREEDY_ROUNDS", 5)
    li, ri = np.concatenate([chain, chain[1:]]), np.concatenate([chain, chain[:-1]])
    order = np.argsort(np.concatenate([chain * 2, chain[1:] * 2 - 1]), kind="stable")
    assert sorted(core.greedy(li, ri, order)) == sorted(pair_by_pair(li, ri, order))
