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
import json
import os
import secrets
import time
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
    """One rollup: the columns it groups by, the measures it sums, and whether it counts only
    located rows."""

    name: str
    keys: tuple[str, ...]
    measures: tuple[str, ...] = (N,)
    located_only: bool = False


FILTERED = (Col.EVENT_TYPE, Col.CONFIDENCE, Col.DATASET)
"""Columns every rollup keeps, so that filters on them can be answered from any of them."""
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "days",
            (Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, *FILTERED, Col.COUNT_UNIT, SIDE, COUNTED),
            (N, LOCATED, LAUNCHED, INTERCEPTED, REPORTED),  # the located rows and the strike sums
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
    columns = {**keys, **measures}
    out = {}
    for kind in KINDS.values():
        frame = pa.table({k: columns[str(k)] for k in (*kind.keys, *kind.measures)})
        if kind.located_only:
            frame = frame.filter(located)
        sums = [(m, "sum") for m in kind.measures]
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


MERGED = "_merged"
"""Under each kind's folder: one file holding the rollups of many parts (`merge`)."""
COVERS_KEY = "timeline.rollup.parts"
"""A merged rollup's footer key: the parts (relative paths) whose rollups it holds."""


def files(root: Path, parts: Iterable[str]) -> dict[str, list[Path]] | None:
    """Each rollup's files for these parts, or None when any part lacks one: a merged file
    (`merge`) for the parts it covers when all of them are among `parts`, and each other
    part's own file."""
    parts = list(parts)
    if not parts:
        return None
    out = {}
    for name in KINDS:
        merged, covered = _merged_for(root, name, parts)
        own = [path_of(root, p, name) for p in parts if p not in covered]
        if not all(p.is_file() for p in own):
            return None
        out[name] = [*merged, *own]
    return out


def _merged_for(root: Path, kind: str, parts: list[str]) -> tuple[list[Path], set[str]]:
    """The newest merged rollup of `kind` whose parts are all among `parts`, and those parts."""
    import pyarrow.parquet as pq

    folder = root / FOLDER / FORMAT / kind / MERGED
    try:
        found = sorted(folder.glob("*.parquet"), key=lambda p: p.name, reverse=True)
    except OSError:
        return [], set()
    listed = set(parts)
    for path in found:
        try:
            raw = (pq.read_metadata(path).metadata or {}).get(COVERS_KEY.encode())
        except (OSError, ValueError):
            continue  # removed by a compact meanwhile, or not ours
        covers = set(json.loads(raw)) if raw else set()
        if covers and covers <= listed:
            return [path], covers
    return [], set()


def merge(root: Path, parts: list[str]) -> bool:
    """Write each kind's rollups of `parts` (every part of the dataset, at `timeline compact`)
    as one file, its rows grouped again (a month's parts share most keys), and delete the
    merged files of before. The engine reads one file per kind instead of one per part:
    at 10 M events 141 files each, copied into memory on the first chart. A part added
    later is read from its own rollup beside the merged file; a part removed leaves the file
    unused until the next merge. Returns False when a part lacks its rollups."""
    import pyarrow.parquet as pq

    from timeline.storage import store

    own = {name: [path_of(root, p, name) for p in parts] for name in KINDS}
    if len(parts) < 2 or not all(p.is_file() for paths in own.values() for p in paths):
        return False
    stamp = f"{time.time_ns():x}-{secrets.token_hex(4)}"
    for name, kind in KINDS.items():
        table = pa.concat_tables([pq.read_table(p) for p in own[name]], promote_options="default")
        keys = [str(k) for k in kind.keys]
        grouped = table.group_by(keys, use_threads=False).aggregate([(m, "sum") for m in kind.measures])
        grouped = grouped.rename_columns(_names(grouped.column_names)).select(table.column_names)
        folder = root / FOLDER / FORMAT / name / MERGED
        old = list(folder.glob("*.parquet")) if folder.is_dir() else []
        store.write_table_atomic(
            grouped.cast(table.schema),
            folder / f"{stamp}.parquet",
            compression="zstd",
            metadata={COVERS_KEY: json.dumps(sorted(parts), separators=(",", ":"))},
        )
        for path in old:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return True


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
    if manifest:
        merge(root, [p.path for p in manifest.parts])
    return done
