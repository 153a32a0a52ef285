"""Spark parity of the match: the same candidates and the same incidents as on DuckDB."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from timeline.domain.schema import Col
from timeline.matching import core, project
from timeline.matching.core import MatchSettings, Out, Place, R
from timeline.storage import store

from conftest import CURATED, frame, local_spark, make_row

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    return local_spark().session_


def reports(rng: np.random.Generator, n: int, source: str) -> pd.DataFrame:
    start = rng.integers(0, 30, n)
    area = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            R.SOURCE: source,
            R.REPORT: [f"{source}{i}" for i in range(n)],
            R.START: start,
            R.END: start + rng.choice([0, 0, 1, 6], n),
            R.LAT: np.where(area, np.nan, rng.uniform(47.0, 48.0, n)),
            R.LON: np.where(area, np.nan, rng.uniform(30.0, 31.0, n)),
            R.EPISODE: False,
            Place.AREA: area,
            Place.COUNTRY: rng.choice(["UKR", "RUS"], n),
            Place.REGION: rng.choice([None, "UA-30", "UA-63"], n),
            "t": rng.choice(["x", "y"], n),
        }
    )


def test_candidates_same_on_duckdb_and_spark(spark):
    rng = np.random.default_rng(3)
    left, right = reports(rng, 300, "a"), reports(rng, 300, "b")
    settings = MatchSettings(km=10, days=1)
    for rule in ("overlap", "endpoints", "covers"):
        duck = core.candidates(left, right, settings, rule)
        sparked = core.candidates(left, right, settings, rule, spark)
        assert len(duck) > 0
        assert set(zip(duck["li"], duck["ri"], strict=True)) == set(
            zip(sparked["li"], sparked["ri"], strict=True)
        )
        both = duck.merge(sparked, on=["li", "ri"], suffixes=("_d", "_s"))
        assert np.allclose(both["km_d"], both["km_s"], equal_nan=True)


def test_project_match_same_on_duckdb_and_spark(spark, tmp_path):
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    af = make_row(
        event_id="af-night", confidence="claimed", location="Ukraine", latitude=None, longitude=None
    )
    store.append(path, frame(af), dataset="missile-attacks", create=False)
    rows = project.read_reports(path)
    duck = core.match(rows, project.TAXONOMY, project.DEFAULTS)
    sparked = core.match(rows, project.TAXONOMY, project.DEFAULTS, spark)
    cols = [str(R.REPORT), str(Out.INCIDENT), str(Out.ROLE), str(Out.REVIEW)]
    pd.testing.assert_frame_equal(duck.reports[cols], sparked.reports[cols])
    assert duck.summary == sparked.summary
    assert duck.summary["matches"] >= 1


def test_match_command_on_spark_stores_the_same_incidents(spark, tmp_path):
    import json

    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from timeline.cli.main import app

    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    af = make_row(
        event_id="af-night", confidence="claimed", location="Ukraine", latitude=None, longitude=None
    )
    store.append(path, frame(af), dataset="missile-attacks", create=False)
    runner = CliRunner()
    stored = {}
    for engine in ("duckdb", "spark"):
        result = runner.invoke(app, ["match", str(path), "--engine", engine, "--summary-json"])
        assert result.exit_code == 0, result.output
        table = pq.read_table(project.incidents_path(path)).to_pandas()
        stored[engine] = (
            json.loads(result.stdout),
            dict(zip(table[str(Col.EVENT_ID)], table[Out.INCIDENT], strict=True)),
        )
    assert stored["duckdb"] == stored["spark"]
    assert stored["spark"][1]["af-night"] == "2024-11-25-ru-drone-attack-ua"
