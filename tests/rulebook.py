"""The rules as a pandera schema: the reference the rule check (`vectorised.py`) is held to.
Test code only (pandera is in the `test` extra, not the dashboard's install).

`ruleset.py` defines each rule once, with the pandera check it is; `rules_schema` builds
that schema and `failures` reads pandera's failure cases into the rows `vectorised.failures`
makes, so `tests/test_vectorised.py` can compare the two on hostile frames. No command or
page imports this module (it is not in the package): pandera costs about 0.65 s of CPU to import and 0.1-0.4 s a call.

pandera imports `pyspark.pandas` and `pyspark.sql` when PySpark is installed (the `spark`
extra), for type annotations of Spark frames that this project never validates: 0.3-1.0 s
more. PySpark is hidden from pandera for the length of its import only (an entry of `None`
in `sys.modules` makes `import pyspark` raise ImportError, which pandera catches); the Spark
engine imports it normally afterwards.
"""

from __future__ import annotations

import sys
from functools import cache
from types import ModuleType

import pandas as pd

from timeline.domain.ruleset import ROW_RULES, Rule, column_rules
from timeline.domain.vectorised import BUILTIN_REASONS, rule_column

_HIDDEN = ("pyspark",)


def _import_pandera() -> ModuleType:
    """`pandera.pandas`, with PySpark hidden unless something already imported it."""
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the documented import blocker
    try:
        import pandera.pandas
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return pandera.pandas


pdr = _import_pandera()
"""`pandera.pandas`, without PySpark."""


def _pandera_check(rule: Rule) -> object:
    """The pandera check a rule says it is: a built-in by name, or the rule's own predicate."""
    if rule.kind is None:
        return pdr.Check(rule.ok, error=rule.error)
    return getattr(pdr.Check, rule.kind)(**rule.params, error=rule.error)


@cache
def rules_schema() -> pdr.DataFrameSchema:
    """The pandera schema for a canonical frame (dtypes are ensured by `coerce`)."""
    columns = {
        str(col): pdr.Column(
            None, [_pandera_check(r) for r in spec.rules], nullable=spec.nullable, unique=spec.unique
        )
        for col, spec in column_rules().items()
    }
    rules = [pdr.Check(rule.ok, name=rule.name, error=rule.error) for rule in ROW_RULES]
    return pdr.DataFrameSchema(columns, checks=rules, strict=False, coerce=False)


def failures(df: pd.DataFrame) -> pd.DataFrame:
    """Every rule violation of a canonical frame (index reset) as (reason, column, index),
    read from pandera's failure cases."""
    try:
        rules_schema().validate(df, lazy=True)
        return pd.DataFrame({"reason": [], "column": [], "index": []})
    except pdr.errors.SchemaErrors as err:
        cases = err.failure_cases
    cases = cases[cases["index"].notna()]
    # A frame-wide rule reports every column of a failing row; keep the one it is about.
    frame_wide = {rule.error for rule in ROW_RULES}
    rule_col = cases["check"].map(lambda c: rule_column(c) if c in frame_wide else None)
    cases = cases.assign(column=rule_col.fillna(cases["column"]), index=cases["index"].astype(int))
    cases = cases.drop_duplicates(["check", "index", "column"])
    reason = cases["check"].map(lambda c: BUILTIN_REASONS.get(c, c))
    return pd.DataFrame({"reason": reason, "column": cases["column"], "index": cases["index"]})
