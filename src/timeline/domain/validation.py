"""Turn loosely typed rows into the canonical frame, and check every schema rule.

The parts: `ruleset.py` (the rules, defined once), `vectorised.py` (the check that runs
them, one column operation per rule), `problems.py` (what a problem says, and how many are
listed), `coercion.py` (parsing values into the canonical dtypes) and this module, where
callers find all of it by name.

Two steps, both reporting `Problem`s (row, event_id, column, value, reason) instead of
raising on the first error, so a maintainer sees everything wrong with a batch at once:

- `coerce` parses text, JSON values or mistyped Parquet columns into the canonical dtypes;
- `validate` checks the rules (taxonomy, ranges, date order, precision spans, text lengths,
  control characters, ...) and says each violation in one readable line.

`check` does both. A batch of two million bad rows must not become two million `Problem`s:
with a `limit`, at most that many are made per rule, the last one counting the rest
(`Problem.more`), and `summarise` prints them that way. `split_valid` gives the dashboard a
file's valid rows. pandera is not imported here (nor installed with the dashboard): `tests/rulebook.py` has the
same rules as a pandera schema, the reference the check is tested against.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.coercion import (
    INT64_MAX as INT64_MAX,  # the API of validation, named here too
    check_columns as check_columns,
    coerce as coerce,
)
from timeline.domain.problems import (
    PROBLEMS_PER_RULE,
    Problem,
    ValidationFailed as ValidationFailed,
    count as count,
    summarise as summarise,
)
from timeline.domain.ruleset import (
    CONTROL as CONTROL,
    CONTROL_MULTILINE as CONTROL_MULTILINE,
    DATE_COLUMNS as DATE_COLUMNS,
    FIRST_DATE as FIRST_DATE,
    ISO3 as ISO3,
    LAST_DATE as LAST_DATE,
    MAX_ID_LENGTH as MAX_ID_LENGTH,
    MAX_ITEMS as MAX_ITEMS,
    MAX_LENGTH as MAX_LENGTH,
    MAX_TITLE_LENGTH as MAX_TITLE_LENGTH,
    MULTILINE as MULTILINE,
    SLUG as SLUG,
    SUBDIVISION as SUBDIVISION,
    URL as URL,
    control_reason as control_reason,
)
from timeline.domain.schema import FIELDS, Col, Kind
from timeline.domain.vectorised import (
    BUILTIN_REASONS as BUILTIN_REASONS,
    Failures as Failures,
    check as check,
    check_with as check_with,
    checked,
    failures,
    rule_column as rule_column,
    rule_problems,
)


def validate(df: pd.DataFrame, shown: pd.DataFrame | None = None, limit: int | None = None) -> list[Problem]:
    """Every rule violation in a canonical frame, in row order (with `limit`, at most that
    many per rule and column, the last counting the rest).

    `shown` is the frame whose values the messages quote (the maintainer's own text,
    before parsing); it defaults to `df`."""
    df = df.reset_index(drop=True)
    shown = df if shown is None else shown.reset_index(drop=True)
    return rule_problems(failures(df), shown, limit)


def split_valid(
    df: pd.DataFrame, limit: int | None = PROBLEMS_PER_RULE
) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows of a frame (a loaded dataset) that pass every rule, and the problems of the
    others: what a reader such as the dashboard shows instead of trusting a file. Rows keep
    their index; both rows of a duplicated event_id are left out."""
    _, problems, bad_rows = checked(df, limit)
    if bad_rows is None:
        return df.iloc[:0], problems
    return df[~bad_rows], problems


def stored_nan(table: pa.Table, limit: int | None = PROBLEMS_PER_RULE) -> tuple[np.ndarray, list[Problem]]:
    """Rows of a Parquet table holding NaN in a number column (a value, not a null: pandas
    would read it as missing, so only the file shows it), and problems naming them."""
    bad = np.zeros(table.num_rows, dtype=bool)
    problems: list[Problem] = []
    ids = table.column(str(Col.EVENT_ID)) if str(Col.EVENT_ID) in table.column_names else None
    for f in FIELDS:
        name = str(f.col)
        if f.kind is not Kind.FLOAT or name not in table.column_names:
            continue
        column = table.column(name)
        if not pa.types.is_floating(column.type):
            continue
        nan = np.asarray(pc.is_nan(column).fill_null(False), dtype=bool)
        if not nan.any():
            continue
        bad |= nan
        positions = np.flatnonzero(nan)
        shown = positions if limit is None else positions[:limit]
        for pos in shown:
            event_id = ids[int(pos)].as_py() if ids is not None else None
            problems.append(
                Problem(
                    "not a finite number (NaN)", row=int(pos) + 1, event_id=event_id, column=name, value="nan"
                )
            )
        if len(positions) > len(shown):
            problems[-1] = replace(problems[-1], more=len(positions) - len(shown))
    return bad, problems
