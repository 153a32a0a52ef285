"""The rule check: every rule of `ruleset.py` run as one column operation over the whole
frame, and the problems it finds, said the way a maintainer reads them.

Why not pandera, which the rules were first written in: pandera builds a frame of failure
cases for every check and copies the frame it checks, a fixed 0.1-0.4 s a call and about
0.65 s of CPU to import; on an import of a million rows that bookkeeping cost as much as the
rules themselves (docs/performance.md). This module evaluates the same rules the way
pandera's pandas backend does (`pandera.backends.pandas.builtin_checks`): nulls skipped
(`ignore_na`), a required column's nulls reported as `not_nullable`, duplicated ids as
`field_uniqueness`, a frame-wide rule passing a row that is empty throughout. `tests/rulebook.py`
builds the pandera schema from the same rules, and `tests/test_vectorised.py` holds this
checker to it on hostile frames. `validation.check` is `check`, for every path that checks
rows (append, add, the editor, imports, `timeline validate`, the dashboard's load check).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np
import pandas as pd

from timeline.domain.arrowtext import duplicated
from timeline.domain.coercion import Bad, check_columns, coerce_frame, coercion_problems
from timeline.domain.problems import Problem, problems_for
from timeline.domain.ruleset import (
    CONTROL,
    CONTROL_MULTILINE,
    MAX_LENGTH,
    MULTILINE,
    ROW_RULES,
    ColumnRules,
    column_rules,
    control_reason,
)
from timeline.domain.screen import suspects

BUILTIN_REASONS = {
    "not_nullable": "is required but empty",
    "field_uniqueness": "duplicate event_id (appears more than once)",
}
"""How pandera's own checks (nulls, duplicates) are reported, by their name."""
_RULE_COLUMN_BY_REASON = {rule.error: str(rule.column) for rule in ROW_RULES}
_CONTROL_REASONS = {
    control_reason(col): CONTROL_MULTILINE if col in MULTILINE else CONTROL for col in MAX_LENGTH
}
"""Problems whose value is shown around its first control character."""

Failures = Callable[[pd.DataFrame], pd.DataFrame]
"""What finds every rule violation of a canonical frame (index reset): rows of (reason,
column, index). `failures` here; pandera's in `rulebook.failures`, the reference."""


def rule_column(reason: str) -> str:
    """The column a frame-wide rule's problem is reported under, by the rule's reason."""
    return _RULE_COLUMN_BY_REASON[reason]


def _column_failures(
    name: str, column: ColumnRules, s: pd.Series, groups: np.ndarray | None
) -> list[tuple[str, str, np.ndarray]]:
    """(reason, column, failing positions) for one column, in the order pandera reports them
    (which decides the order of a row's problems in one column): nulls, duplicates (within
    each of `groups`, if given), then each check."""
    out: list[tuple[str, str, np.ndarray]] = []
    isna = np.asarray(s.isna(), dtype=bool)
    if not column.nullable and isna.any():
        out.append(("not_nullable", name, np.flatnonzero(isna)))
    if column.unique:
        if groups is None:
            dup = duplicated(s, keep=False) & ~isna
        else:
            keyed = pd.DataFrame({"group": groups, "value": s.to_numpy()})
            dup = np.asarray(keyed.duplicated(keep=False), dtype=bool) & ~isna
        if dup.any():
            out.append(("field_uniqueness", name, np.flatnonzero(dup)))
    present = np.flatnonzero(~isna)
    if not len(present):
        return out
    values = s if len(present) == len(s) else s.iloc[present]
    for rule in column.rules:
        ok = np.asarray(pd.Series(rule.ok(values)).fillna(False), dtype=bool)
        if not ok.all():
            out.append((rule.error, name, present[~ok]))
    return out


def _no_failures() -> pd.DataFrame:
    return pd.DataFrame({"reason": [], "column": [], "index": []})


SCREEN_ROWS = 1_000
"""Frames of at least this many rows are screened first (`screen.suspects`); smaller ones
cost less through the rules alone than the screen's own column operations."""


def failures(df: pd.DataFrame, groups: np.ndarray | None = None, screened: bool = True) -> pd.DataFrame:
    """Every rule violation of a canonical frame (index reset) as (reason, column, index), the
    rows pandera's failure cases give (`rulebook.failures`), built column by column. Every
    rule is about one row except unique values: with `groups` (a label per row), a value
    is unique within its group, as if each group were checked alone.

    With `screened`, the rules run only on the rows `screen.suspects` marks (every row
    sharing an id among them), the positions mapped back: the same failures in the same
    order, without the pandas bookkeeping for the rows that pass everything."""
    if screened and groups is None and len(df) >= SCREEN_ROWS:
        suspect = suspects(df)
        if suspect is not None and not suspect.any():
            return _no_failures()
        if suspect is not None and not suspect.all():
            rows = np.flatnonzero(suspect)
            found_in = failures(df.iloc[rows].reset_index(drop=True), screened=False)
            if not len(found_in):
                return found_in
            return found_in.assign(index=rows[found_in["index"].to_numpy(dtype=np.int64)])
    found: list[tuple[str, str, np.ndarray]] = []  # frame-wide rules first, as pandera lists them
    all_null: np.ndarray | None = None
    for rule in ROW_RULES:
        ok = np.asarray(pd.Series(rule.ok(df)).fillna(False), dtype=bool)
        if ok.all():
            continue
        if all_null is None:  # pandera's ignore_na for a frame-wide check: an empty row passes
            all_null = np.asarray(df.isna().all(axis="columns"), dtype=bool)
        bad = np.flatnonzero(~ok & ~all_null)
        if len(bad):
            found.append((rule.error, str(rule.column), bad))
    for col, column in column_rules().items():
        if str(col) in df.columns:
            found += _column_failures(str(col), column, df[str(col)], groups)
    if not found:
        return _no_failures()
    return pd.DataFrame(
        {
            "reason": np.concatenate([np.full(len(p), r, dtype=object) for r, _, p in found]),
            "column": np.concatenate([np.full(len(p), c, dtype=object) for _, c, p in found]),
            "index": np.concatenate([p for _, _, p in found]).astype(np.int64),
        }
    ).replace({"reason": BUILTIN_REASONS})


def rule_problems(
    failures: pd.DataFrame, shown: pd.DataFrame, limit: int | None, skip: dict[str, np.ndarray] | None = None
) -> list[Problem]:
    """The failures as problems quoting `shown`'s values, in row order; with `limit`, at most
    that many per rule and column. `skip`: per column, rows whose value did not parse (they
    are reported as that)."""
    problems: list[Problem] = []
    for (reason, column), group in failures.groupby(["reason", "column"], sort=False):
        positions = np.sort(group["index"].to_numpy(dtype=np.int64))
        if skip and str(column) in skip:
            positions = positions[~skip[str(column)][positions]]
        control = _CONTROL_REASONS.get(str(reason))
        problems += problems_for(shown, positions, str(column), str(reason), limit, control)
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return problems


def _unparsed(found: dict[str, Bad]) -> dict[str, np.ndarray]:
    """Per column with a value that did not parse, a mask of those rows (their rule problems
    are not reported: the value's own problem is)."""
    return {
        name: np.logical_or.reduce([m.to_numpy(dtype=bool) for _, m in bad])
        for name, bad in found.items()
        if bad
    }


def checked(
    raw: pd.DataFrame, limit: int | None, found_by: Failures = failures
) -> tuple[pd.DataFrame, list[Problem], np.ndarray | None]:
    """`check`, plus a mask of the rows with any problem (None when a column is missing);
    `found_by` finds the rule violations (`failures` unless given)."""
    problems = check_columns([str(c) for c in raw.columns], limit)
    if any(p.rule == "missing column" for p in problems):
        return raw, problems, None
    raw = raw.reset_index(drop=True)
    df, found = coerce_frame(raw)
    problems += coercion_problems(raw, found, limit)
    unparsed = _unparsed(found)
    found_rules = found_by(df)
    problems += rule_problems(found_rules, raw, limit, skip=unparsed)
    bad_rows = np.zeros(len(df), dtype=bool)
    bad_rows[found_rules["index"].to_numpy(dtype=np.int64)] = True
    for mask in unparsed.values():
        bad_rows |= mask
    return df, problems, bad_rows


def check_with(
    raw: pd.DataFrame, found_by: Failures, limit: int | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """`check`, the rule violations found by `found_by` (pandera's, for the reference test)."""
    df, problems, _ = checked(raw, limit, found_by)
    return df, problems


def check(raw: pd.DataFrame, limit: int | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Columns, coercion and rules in one call: what `timeline validate`, append and imports
    use. With `limit`, at most that many problems per rule and column are made, the last one
    counting the rest (`Problem.more`): two million bad rows cost a few hundred objects."""
    df, problems, _ = checked(raw, limit)
    return df, problems


def check_parts(raw: pd.DataFrame, sizes: list[int], limit: int | None = None) -> list[list[Problem]]:
    """The problems `check` finds in each of the consecutive slices of `raw` of these
    `sizes` (a folder's parts, concatenated), as if each slice were checked alone, at the
    cost of one check: each rule but unique ids is about one row, and ids are checked within
    each slice. The messages, row numbers and limits are each slice's own."""
    columns = check_columns([str(c) for c in raw.columns], limit)
    if any(p.rule == "missing column" for p in columns):
        return [list(columns) for _ in sizes]
    raw = raw.reset_index(drop=True)
    df, found = coerce_frame(raw)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    slice_of = np.repeat(np.arange(len(sizes)), sizes)
    found_rules = failures(df, groups=slice_of)
    rule_slice = slice_of[found_rules["index"].to_numpy(dtype=np.int64)]
    bad_slices = set(rule_slice.tolist())
    for bad in found.values():
        for _, mask in bad:
            bad_slices |= set(slice_of[mask.to_numpy(dtype=bool)].tolist())
    out: list[list[Problem]] = []
    for k, (a, b) in enumerate(pairwise(starts)):
        problems = list(columns)
        if k in bad_slices:  # the slice's own problems, from its rows of what was found
            part = raw.iloc[a:b].reset_index(drop=True)
            part_found = {
                name: [(r, m.iloc[a:b].reset_index(drop=True)) for r, m in bad if m.iloc[a:b].any()]
                for name, bad in found.items()
            }
            problems += coercion_problems(part, part_found, limit)
            rows = found_rules[rule_slice == k]
            rows = rows.assign(index=rows["index"].to_numpy(dtype=np.int64) - a)
            problems += rule_problems(rows, part, limit, skip=_unparsed(part_found))
        out.append(problems)
    return out
