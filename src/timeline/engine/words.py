"""A text search answered from the parts' word indexes (`storage.words`): the rows holding
every query word are found from a few postings per part, and the rollups of only those rows
(`engine.rollups`) are summed from each row's rollup groups, so the page's counts of a text
view at 10 M events read no row's text and no other column of the parts.

It answers only when the rollups can (DuckDB, a folder of parts, every part rolled up) and
every part has its index, and only a search whose every word is made of letters and digits
(`storage.words.indexable`); the view's other filters then run on the restricted rollups as
on the whole ones. Anything else scans, as before. The answers are the scan's
(`tests/test_engine_words.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from timeline import view
from timeline.engine.backends import Backend, Source
from timeline.storage import rollups as stored_rollups, words as stored
from timeline.view import View


def searched(v: View) -> tuple[str, tuple[str, ...]] | None:
    """The view's text filter's name and its words, when it has one the index can answer."""
    for f in v.active:
        if isinstance(f, view.TextWords):
            found = tuple(view.words(v.get(f.name)))
            if found and all(stored.indexable(w) for w in found):
                return f.name, found
            return None
    return None


def restricted(
    runner: Backend,
    source: Source,
    rollup_files: dict[str, list[str]],
    v: View,
    kind: str,
    whole: Callable[[str], ir.Table],
) -> tuple[ir.Table, View] | None:
    """The rollup `kind` of the rows holding the view's words, and the view without its text
    filter (to be run on it); None when the index cannot answer (see the module). `whole`
    gives a rollup kind of every row (held in memory, its parts' rows one after another)."""
    found = searched(v)
    if found is None or not source.partitioned:
        return None
    name, wanted = found
    parts = runner.remember(
        (source.key, "part names"), lambda: tuple(p.relative_to(source.path).as_posix() for p in source.files)
    )
    if not runner.remember((source.key, "word index"), lambda: stored.complete(source.path, parts)):
        return None
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    key = (str(source.path), f"{source.version}#words-{digest}")

    def make() -> dict[str, pa.Table]:
        sizes = runner.remember((source.key, "rollup sizes"), lambda: _sizes(rollup_files))
        rows = runner.remember((source.key, "part rows"), lambda: _rows(source))
        return tables(source.path, parts, rows, sizes, wanted, lambda k: whole(k).to_pyarrow())

    try:
        made = runner.hold_view_tables(key, make)
    except Mismatch:
        return None  # an index not made from these parts and rollups: never answer from it
    if made is None:
        return None
    return made[kind], v.without(name)


class Mismatch(Exception):
    """A part's index does not fit its part or its rollups (not made from them)."""


def _rows(source: Source) -> tuple[int, ...]:
    """Each part's rows (from its footer)."""
    import pyarrow.parquet as pq

    return tuple(pq.read_metadata(f).num_rows for f in source.files)


def _sizes(rollup_files: dict[str, list[str]]) -> dict[str, tuple[int, ...]]:
    """Each part's rows in each rollup kind (from the files' footers)."""
    import pyarrow.parquet as pq

    return {kind: tuple(pq.read_metadata(f).num_rows for f in files) for kind, files in rollup_files.items()}


def tables(
    root: Path,
    parts: tuple[str, ...],
    part_rows: tuple[int, ...],
    sizes: dict[str, tuple[int, ...]],
    wanted: tuple[str, ...],
    whole: Callable[[str], pa.Table],
) -> dict[str, pa.Table]:
    """Each rollup kind of only the rows holding every word, all parts together: each
    matching row's group, found by its part's `rows` file, counted (and its measures summed)
    over the rollup of every row. Raises `Mismatch` where an index does not fit its part
    (rows) or its rollups (groups)."""
    import pyarrow.parquet as pq

    starts = {kind: np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64) for kind, n in sizes.items()}
    found: dict[str, list[np.ndarray]] = {kind: [] for kind in sizes}
    measures: dict[str, list[np.ndarray]] = {
        c: [] for c in (stored.LOCATED, stored.COUNT, stored.INTERCEPTED)
    }
    valid: dict[str, list[np.ndarray]] = {c: [] for c in (stored.COUNT, stored.INTERCEPTED)}
    folder = stored.path_of(root, "", "")  # paths as strings: 141 parts' Path joins were 0.1 CPU s
    for i, part in enumerate(parts):
        rows = candidates(f"{folder}/vocab/{part}", wanted, part_rows[i])
        if rows is None or not len(rows):
            continue
        index = pq.read_table(f"{folder}/rows/{part}", use_threads=False)
        if index.num_rows != part_rows[i]:
            raise Mismatch(part)
        index = index.take(pa.array(rows))
        for kind in sizes:
            groups = index.column(kind).to_numpy().astype(np.int64)
            if len(groups) and groups.max() >= sizes[kind][i]:
                raise Mismatch(part)
            found[kind].append(np.where(groups >= 0, groups + starts[kind][i], -1))
        for column in measures:
            values = index.column(column)
            measures[column].append(pc.fill_null(values, 0).to_numpy().astype(np.float64))
            if column in valid:
                valid[column].append(pc.is_valid(values).to_numpy().astype(np.float64))
    out = {}
    for kind in sizes:
        rolled = whole(kind)
        if rolled.num_rows != sum(sizes[kind]):
            raise Mismatch(kind)
        groups = np.concatenate(found[kind]) if found[kind] else np.zeros(0, np.int64)
        sums = {stored_rollups.N: (groups, None, None)}
        if kind == "days":
            joined = {c: np.concatenate(m) if m else np.zeros(0) for c, m in measures.items()}
            counted = {c: np.concatenate(m) if m else np.zeros(0) for c, m in valid.items()}
            sums[stored_rollups.LOCATED] = (groups, joined[stored.LOCATED], None)
            sums[stored_rollups.LAUNCHED] = (groups, joined[stored.COUNT], counted[stored.COUNT])
            sums[stored_rollups.INTERCEPTED] = (
                groups,
                joined[stored.INTERCEPTED],
                counted[stored.INTERCEPTED],
            )
            sums[stored_rollups.REPORTED] = (groups, counted[stored.INTERCEPTED], None)
        out[kind] = _restrict(rolled, sums)
    return out


def candidates(
    vocab_path: Path | str, wanted: tuple[str, ...], part_rows: int | None = None
) -> np.ndarray | None:
    """The part's rows holding every word (a word's rows: those of every vocabulary entry
    containing it), ascending; None when no row can. Only the row groups of the entries
    matched are read past their words."""
    import pyarrow.parquet as pq

    vocab = pq.ParquetFile(vocab_path)
    total = int(json.loads(vocab.schema_arrow.metadata[stored.META_KEY.encode()])["rows"])
    if part_rows is not None and total != part_rows:
        raise Mismatch(str(vocab_path))
    words = vocab.read(columns=["word"], use_threads=False).column(0)
    group_ends = np.cumsum([vocab.metadata.row_group(g).num_rows for g in range(vocab.num_row_groups)])
    matched = []
    for word in wanted:
        entries = np.flatnonzero(pc.match_substring(words, word).to_numpy(zero_copy_only=False))
        if not len(entries):
            return None
        matched.append(entries)
    groups = sorted(
        {int(g) for entries in matched for g in np.searchsorted(group_ends, entries, side="right")}
    )
    read = vocab.read_row_groups(groups, columns=["rows"], use_threads=False).column(0).combine_chunks()
    first = {g: (int(group_ends[g - 1]) if g else 0) for g in groups}
    at, position = {}, 0
    for g in groups:  # each entry's place among the rows read
        at[g] = position
        position += int(group_ends[g]) - first[g]
    keep = np.ones(total, dtype=bool)
    for entries in matched:
        holding = np.zeros(total, dtype=bool)
        for entry in entries.tolist():
            g = int(np.searchsorted(group_ends, entry, side="right"))
            holding[stored.rows_of(read[at[g] + entry - first[g]].values.to_numpy())] = True
        keep &= holding
    return np.flatnonzero(keep)


def _restrict(
    rolled: pa.Table, sums: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]
) -> pa.Table:
    """The rows of `rolled` (a rollup of every row) that the matching rows fall in, with each
    measure summed over those rows only (null where none of them had a value, as pyarrow's
    sum gives): what `rollups.compute` would give for them."""
    size = rolled.num_rows
    groups = sums[stored_rollups.N][0]
    located = groups >= 0  # a row off the map is in no cell
    n = np.bincount(groups[located], minlength=size)
    present = np.flatnonzero(n)
    out = rolled.take(pa.array(present))
    for column, (_, weights, counted) in sums.items():
        at = out.schema.get_field_index(column)
        field = out.schema.field(at)
        if weights is None:
            values = n
        else:
            values = np.rint(np.bincount(groups[located], weights=weights[located], minlength=size)).astype(
                np.int64
            )
        mask = None
        if counted is not None:
            mask = np.bincount(groups[located], weights=counted[located], minlength=size)[present] == 0
        out = out.set_column(
            at, field, pa.array(values[present].astype(np.int64), mask=mask).cast(field.type)
        )
    return out
