"""Rollups of a folder of parts: each part's rows counted per day, type, side, country of
launch, confidence and dataset (and per map cell, per source outlet), written beside the
part when it is written, so that the dashboard answers its counts at 10 M events from a few
hundred thousand rows instead of scanning every part (issue #17).

    events/_rollups/v1/days/year=2024/month=11/part-<id>.parquet     the part's `days` rollup
    events/_rollups/v1/cells/...                                     and its `cells`, `outlets`

A rollup belongs to one part file, whose name is never reused (`parts._part_id`): it cannot
go stale. A dataset version has rollups when every part its manifest names has them; a part
written before rollups existed (or by another tool) leaves the version without, and the
engine scans as it always did. The engine reads them (`engine.rollups`); this module only
writes, with pyarrow, what its queries need. Dimension columns keep the schema's names, so a
view's filters on them run on a rollup unchanged; measures and derived keys start with `_`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.schema import Col

FOLDER = "_rollups"
FORMAT = "v1"
"""A change of what a rollup holds is a new format folder: older rollups are then absent, not wrong."""
MAP_CELL_DEGREES = 0.5
"""The map's cell size in degrees (the engine's `results.MAP_CELL_DEGREES`)."""

N, LOCATED = "_n", "_located"
SIDE, COUNTED = "_side", "_counted"
LAUNCHED, INTERCEPTED, REPORTED = "_launched", "_intercepted", "_reported"
X, Y = "_x", "_y"
UNKNOWN_SIDE = "?"
"""The side of a strike that names none (the engine's `queries.UNKNOWN_SIDE`)."""


@dataclass(frozen=True)
class Kind:
    """One rollup: the columns it groups by and whether it counts only located rows."""

    name: str
    keys: tuple[str, ...]
    located_only: bool = False


FILTERED = (Col.EVENT_TYPE, Col.CONFIDENCE, Col.DATASET)
"""Columns every rollup keeps, so that filters on them can be answered from any of them."""
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "days",
            (Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, *FILTERED, Col.COUNT_UNIT, SIDE, COUNTED),
        ),
        Kind("cells", (*FILTERED, X, Y), located_only=True),
        Kind("outlets", (Col.DATE_START, Col.DATE_END, *FILTERED, Col.SOURCE_OUTLET)),
    )
}


def path_of(root: Path, part: str, kind: str) -> Path:
    """Where the rollup `kind` of `part` (relative to `root`, with '/') is kept."""
    return root / FOLDER / FORMAT / kind / part


def compute_side(initiators: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The launching sides joined by '+', '?' for none: what DuckDB's
    `coalesce(nullif(array_to_string(l, '+'), ''), '?')` gives (a null item is skipped)."""
    lists = initiators.combine_chunks() if isinstance(initiators, pa.ChunkedArray) else initiators
    flat = pc.list_flatten(lists)
    if flat.null_count:  # rebuilt without the null items
        valid = pc.is_valid(flat)
        parents = pc.list_parent_indices(lists).filter(valid).to_numpy()
        offsets = np.concatenate([[0], np.cumsum(np.bincount(parents, minlength=len(lists)))])
        lists = pa.ListArray.from_arrays(
            pa.array(offsets, pa.int32()), flat.filter(valid), mask=lists.is_null()
        )
    joined = pc.binary_join(lists, "+")
    empty = pc.fill_null(pc.equal(joined, ""), True)
    return pc.if_else(empty, pa.scalar(UNKNOWN_SIDE), joined)


def compute(table: pa.Table) -> dict[str, pa.Table]:
    """Each rollup of `table` (rows in the schema): one row per distinct key, with the rows
    (`_n`) and, for `days`, the located rows and the strike sums the counts chart adds up."""
    rows = table.num_rows
    count, intercepted = table.column(str(Col.COUNT)), table.column(str(Col.INTERCEPTED))
    measures = {
        N: pa.array(np.ones(rows, dtype=np.int64)),
        LOCATED: pc.cast(pc.is_valid(table.column(str(Col.LATITUDE))), pa.int64()),
        LAUNCHED: count,
        INTERCEPTED: intercepted,
        REPORTED: pc.cast(pc.is_valid(intercepted), pa.int64()),
    }
    keys, located = row_keys(table)
    out = {}
    for kind in KINDS.values():
        columns = {**keys, **measures}
        frame = pa.table({k: columns[str(k)] for k in (*kind.keys, *measures)})
        if kind.located_only:
            frame = frame.filter(located)
        sums = [(N, "sum")]
        if kind.name == "days":
            sums += [(LOCATED, "sum"), (LAUNCHED, "sum"), (INTERCEPTED, "sum"), (REPORTED, "sum")]
        grouped = frame.group_by([str(k) for k in kind.keys], use_threads=False).aggregate(sums)
        out[kind.name] = grouped.rename_columns(_names(grouped.column_names))
    return out


def row_keys(table: pa.Table) -> tuple[dict[str, pa.Array | pa.ChunkedArray], pa.Array]:
    """Each row's value of every rollup key (the schema's columns, the side, whether counted,
    the map cell), and which rows are located (the only ones `cells` counts): what
    `compute` groups by, and what a word index (`words`) maps each row to its groups with."""
    count = table.column(str(Col.COUNT))
    latitude, longitude = table.column(str(Col.LATITUDE)), table.column(str(Col.LONGITUDE))
    base = {str(c): table.column(str(c)) for c in (Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION,
                                                   *FILTERED, Col.COUNT_UNIT, Col.SOURCE_OUTLET)}  # fmt: skip
    derived = {SIDE: compute_side(table.column(str(Col.INITIATOR_COUNTRIES))), COUNTED: pc.is_valid(count)}
    size = pa.scalar(MAP_CELL_DEGREES)
    cells = {
        X: pc.cast(pc.floor(pc.divide(longitude, size)), pa.int64(), safe=False),
        Y: pc.cast(pc.floor(pc.divide(latitude, size)), pa.int64(), safe=False),
    }
    located = pc.and_(pc.is_valid(latitude), pc.is_valid(longitude))
    return {**base, **derived, **cells}, located


def _names(columns: Iterable[str]) -> list[str]:
    """pyarrow names a sum `<column>_sum`: the rollup keeps the measure's own name."""
    return [c.removesuffix("_sum") for c in columns]


def write(root: Path, part: str, table: pa.Table) -> dict[str, pa.Table]:
    """Write every rollup of the part `part` (its rows `table`), each atomically; called
    before the part is committed, so a committed part written by this code has them all.
    Returns them (the part's word index maps its rows to them, `words`)."""
    from timeline.storage import store

    computed = compute(table)
    for name, rolled in computed.items():
        store.write_table_atomic(rolled, path_of(root, part, name), compression="zstd")
    return computed


def remove(root: Path, part: str) -> None:
    """Delete a part's rollups (after the part left the manifest)."""
    for name in KINDS:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path_of(root, part, name))


def files(root: Path, parts: Iterable[str]) -> dict[str, list[Path]] | None:
    """Each rollup's files for these parts, or None when any part lacks one."""
    parts = list(parts)
    out = {name: [path_of(root, p, name) for p in parts] for name in KINDS}
    if not parts or not all(p.is_file() for paths in out.values() for p in paths):
        return None
    return out


def write_missing(root: Path) -> int:
    """Write the rollups of every part of `root` that lacks one (a dataset written before
    rollups existed); returns how many parts were rolled up. Parts are read one at a time."""
    import pyarrow.parquet as pq

    from timeline.domain.schema import ARROW_SCHEMA
    from timeline.storage import parts

    manifest = parts.read_manifest(root)
    done = 0
    for part in manifest.parts if manifest else ():
        if files(root, [part.path]) is not None:
            continue
        write(root, part.path, pq.read_table(root / part.path, columns=ARROW_SCHEMA.names))
        done += 1
    return done
