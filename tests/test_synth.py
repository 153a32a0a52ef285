import pandas as pd

from timeline import synth
from timeline.domain import taxonomy
from timeline.domain.schema import ARROW_SCHEMA, Col, from_arrow
from timeline.domain.validation import validate


def test_synthetic_rows_are_valid_and_marked():
    df = from_arrow(synth.generate(5_000, seed=1))
    assert validate(df) == []
    assert (df[Col.SOURCE_OUTLET] == synth.SOURCE_OUTLET).all()
    assert (df[Col.DATASET] == taxonomy.DATASET_SYNTHETIC).all()
    assert df[Col.EVENT_ID].is_unique


def test_synthetic_rows_are_plausibly_spread():
    df = from_arrow(synth.generate(20_000, seed=2))
    assert df[Col.EVENT_TYPE].nunique() >= 15
    assert set(df[Col.DATE_PRECISION]) == set(taxonomy.PRECISIONS)
    weeks = df[df[Col.DATE_PRECISION] == "week"]
    assert (weeks[Col.DATE_START].dt.day_of_week == 0).all()
    assert ((weeks[Col.DATE_END] - weeks[Col.DATE_START]).dt.days == 6).all()
    drones = df[df[Col.EVENT_TYPE] == "drone_attack"][Col.COUNT]
    assert drones.notna().all() and drones.median() > 10 and drones.max() > 200
    assert df[Col.LATITUDE].notna().mean() > 0.4
    days = df[df[Col.DATE_PRECISION] == "day"]
    assert days[Col.DATE_START].min() >= pd.Timestamp("2022-02-24")


def test_same_seed_same_data():
    a, b = synth.generate(100, seed=5), synth.generate(100, seed=5)
    assert a.drop_columns([str(Col.ADDED_AT)]).equals(b.drop_columns([str(Col.ADDED_AT)]))
    assert a.schema.equals(ARROW_SCHEMA)
