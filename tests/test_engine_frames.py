"""The engine's answers fetched as Arrow and converted by `frames` are the frames Ibis's own
`to_pandas` gives: the same columns, dtypes, values and Python types, so no chart, count or
table shows anything else for the cheaper conversion."""

from datetime import date, datetime

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from test_engine import ask_everything
from timeline.engine import backends, queries
from timeline.engine.frames import to_frame

from conftest import view_of


def assert_identical(ours: pd.DataFrame, ibis_frame: pd.DataFrame) -> None:
    assert list(ours.columns) == list(ibis_frame.columns)
    assert ours.index.equals(ibis_frame.index)
    for name in ours.columns:
        a, b = ours[name], ibis_frame[name]
        assert repr(a.dtype) == repr(b.dtype), name
        assert a.isna().tolist() == b.isna().tolist(), name
        for x, y in zip(a, b, strict=True):
            assert type(x) is type(y), (name, x, y)
            assert x == y or (pd.isna(x) is True and pd.isna(y) is True), (name, x, y)


def in_order_of(ours: pd.DataFrame, ibis_frame: pd.DataFrame) -> pd.DataFrame:
    """Ibis's rows in the order of ours, when they are the same rows: a grouping without an
    order comes back from DuckDB's threads in any order, and each of the two asks again.
    (The conversion itself keeps the rows' order: `test_missing_values_convert_as_ibis_does`.)"""

    def keys(frame: pd.DataFrame) -> list[str]:
        return [repr(tuple(row)) for row in frame.itertuples(index=False)]

    mine, theirs = keys(ours), keys(ibis_frame)
    if mine == theirs or sorted(mine) != sorted(theirs):
        return ibis_frame  # already in order, or different rows: assert_identical says which
    at: dict[str, list[int]] = {}
    for i, key in enumerate(theirs):
        at.setdefault(key, []).append(i)
    return ibis_frame.take([at[key].pop(0) for key in mine]).reset_index(drop=True)


@pytest.fixture
def compared(curated_engine, monkeypatch):
    """Every question the engine runs, also answered by Ibis and compared (a question on a
    view's kept copy, run from SQL compiled once per shape, with Ibis's frame of the expression
    built on the copy itself); yields the questions."""
    asked = []
    run = queries.Engine.run

    def both(self, expr):
        ours = run(self, expr)
        with self.backend.session():
            assert_identical(ours, in_order_of(ours, expr.to_pandas()))
        asked.append(expr)
        return ours

    shaped = backends.DuckDBBackend.shaped

    def compiled_once(self, t, shape, build):  # a question on a kept copy, from SQL kept per shape
        ours = shaped(self, t, shape, build)
        if ours is not None:
            expr = build(t)
            assert_identical(ours, in_order_of(ours, expr.to_pandas()))
            asked.append(expr)
        return ours

    monkeypatch.setattr(queries.Engine, "run", both)
    monkeypatch.setattr(backends.DuckDBBackend, "shaped", compiled_once)
    curated_engine.backend.forget()  # every answer computed, none taken from the cache
    yield asked
    curated_engine.backend.forget()


@pytest.mark.parametrize(
    "params",
    [
        {"type": "drone_attack"},
        {"type": ["missile_strike", "statement"], "per": "week", "strikes": "side"},
        {"country": "UKR", "lanes": "actor"},
        {"q": "drone", "lanes": "country"},
        {"from_": "2024-11-01", "to": "2024-11-30", "strikes": "drones"},
        {"confidence": "claimed"},
    ],
)
def test_every_answer_of_a_view_is_ibis_frame(curated_engine, compared, params):
    engine, v = curated_engine, view_of(curated_engine, **params)
    ask_everything(engine, v)
    engine.totals(v, "event_type", "count")
    engine.by_ids(list(engine.drawn(v)["event_id"][:2]))
    assert len(compared) >= 5


def test_missing_values_convert_as_ibis_does():
    """Whole numbers with some missing become float64, with all missing objects; a sum is
    int64; missing dates NaT; text with gaps pandas' string dtype; a boolean with gaps and a
    timestamp take Ibis's own path; lists stay lists."""
    con = ibis.duckdb.connect()
    rows = pa.table(
        {
            "part": pa.array([1, None], pa.int64()),
            "gone": pa.array([None, None], pa.int64()),
            "whole": pa.array([1, 2], pa.int64()),
            "words": ["a", None],
            "day": pa.array([date(2024, 11, 25), None], pa.date32()),
            "flag": [True, None],
            "stamp": pa.array([datetime(2024, 11, 25, 1, 2, 3), None], pa.timestamp("us")),
            "real": [1.5, None],
            "names": [["x"], None],
        }
    )
    con.con.register("arrow_rows", rows)
    con.con.execute("CREATE TABLE some_rows AS SELECT * FROM arrow_rows")
    expr = con.table("some_rows").mutate(total=ibis._.whole.sum().over())
    ours = to_frame(con.con.sql(con.compile(expr)).to_arrow_table(), expr.schema())
    assert_identical(ours, expr.to_pandas())
    assert str(ours["part"].dtype) == "float64" and ours["gone"].dtype == object
    assert str(ours["day"].dtype) == "datetime64[s]" and pd.isna(ours["day"][1])
    assert ours["names"][0] == ["x"]
