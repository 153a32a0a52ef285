"""Every rule of `validation.rules_schema`, run as one column operation per rule, without
pandera's bookkeeping: what an import checks a chunk with.

Why: pandera builds a frame of failure cases for every check and copies the frame it checks;
on an import of a million rows that bookkeeping cost as much as the rules themselves. The
rules are not restated here: they are read from the pandera schema (its checks, their
errors and parameters, the frame-wide rules), so `validation.py` stays their one
definition. What this module adds is how each kind of pandera check is evaluated, the same
way pandera's pandas backend does (`pandera.backends.pandas.builtin_checks`): nulls skipped
(`ignore_na`), a required column's nulls reported as `not_nullable`, duplicated ids as
`field_uniqueness`. `failures` gives the same (reason, column, index) rows as pandera, so
the problems are the same (`tests/test_vectorised.py` compares both on hostile frames).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pdr

from timeline.domain.problems import Problem
from timeline.domain.validation import BUILTIN_REASONS, check_with, rule_column, rules_schema

_BUILTIN: dict[str, Callable[..., pd.Series]] = {
    "str_matches": lambda s, pattern: s.str.match(pattern, na=False),
    "isin": lambda s, allowed_values: s.isin(allowed_values),
    "greater_than_or_equal_to": lambda s, min_value: s >= min_value,
    "in_range": lambda s, min_value, max_value, include_min=True, include_max=True: (
        (operator.le if include_min else operator.lt)(min_value, s)
        & (operator.ge if include_max else operator.gt)(max_value, s)
    ),
}
"""pandera's built-in checks as its pandas backend computes them, by check name."""


def _str_length(
    s: pd.Series, min_value: Any = None, max_value: Any = None, exact_value: Any = None
) -> pd.Series:
    length = s.str.len()
    if exact_value is not None:
        return length == exact_value
    ok = pd.Series(True, index=s.index)
    if min_value is not None:
        ok &= length >= min_value
    if max_value is not None:
        ok &= length <= max_value
    return ok


_BUILTIN["str_length"] = _str_length


def _passes(check: pdr.Check, s: pd.Series) -> np.ndarray:
    """Per value of `s` (no nulls): does it pass `check`?"""
    builtin = _BUILTIN.get(str(check.name))
    if builtin is not None:
        out = builtin(s, **(check.statistics or {}))
    elif check.statistics:  # a built-in check this module does not know: never skip a rule
        raise NotImplementedError(f"vectorised: pandera's {check.name} check is not implemented here")
    else:
        out = check._check_fn(s)  # the schema's own vectorised function
    return np.asarray(pd.Series(out).fillna(False), dtype=bool)


def _column_failures(name: str, column: pdr.Column, s: pd.Series) -> list[tuple[str, str, np.ndarray]]:
    """(reason, column, failing positions) for one column, in the order pandera reports them:
    nulls, duplicates, then each check."""
    out: list[tuple[str, str, np.ndarray]] = []
    isna = np.asarray(s.isna(), dtype=bool)
    if not column.nullable and isna.any():
        out.append(("not_nullable", name, np.flatnonzero(isna)))
    if column.unique:
        dup = np.asarray(s.duplicated(keep=False), dtype=bool) & ~isna
        if dup.any():
            out.append(("field_uniqueness", name, np.flatnonzero(dup)))
    present = np.flatnonzero(~isna)
    if not len(present):
        return out
    values = s if len(present) == len(s) else s.iloc[present]
    for check in column.checks:
        ok = _passes(check, values)
        if not ok.all():
            out.append((str(check.error), name, present[~ok]))
    return out


def failures(df: pd.DataFrame) -> pd.DataFrame:
    """Every rule violation of a canonical frame (index reset) as (reason, column, index), the
    rows `validation` makes from pandera's failure cases, built column by column."""
    schema = rules_schema()
    found: list[tuple[str, str, np.ndarray]] = []
    for name, column in schema.columns.items():
        if name in df.columns:
            found += _column_failures(name, column, df[name])
    all_null: np.ndarray | None = None
    for rule in schema.checks:
        ok = np.asarray(pd.Series(rule._check_fn(df)).fillna(False), dtype=bool)
        if ok.all():
            continue
        if all_null is None:  # pandera's ignore_na for a frame-wide check: an empty row passes
            all_null = np.asarray(df.isna().all(axis="columns"), dtype=bool)
        bad = np.flatnonzero(~ok & ~all_null)
        if len(bad):
            found.append((str(rule.error), rule_column(str(rule.error)), bad))
    if not found:
        return pd.DataFrame({"reason": [], "column": [], "index": []})
    return pd.DataFrame(
        {
            "reason": np.concatenate([np.full(len(p), r, dtype=object) for r, _, p in found]),
            "column": np.concatenate([np.full(len(p), c, dtype=object) for _, c, p in found]),
            "index": np.concatenate([p for _, _, p in found]).astype(np.int64),
        }
    ).replace({"reason": BUILTIN_REASONS})


def check(raw: pd.DataFrame, limit: int | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """`validation.check` (columns, coercion, every rule), the rules run by `failures`."""
    return check_with(raw, failures, limit)
