"""Datasets too big for one file: a folder of Parquet parts, partitioned by year and month.

    events/
      _manifest.json                       which parts make up the dataset, and its version
      year=2024/month=11/part-<id>.parquet rows whose date_start falls in November 2024
      _rollups/v1/<kind>/year=2024/...     each part's counts, written with it (`rollups`)
      _words/v1/<file>/year=2024/...       each part's word index, written with it (`words`)

The layout is Hive's, so DuckDB, Spark and pyarrow read it as it is. The manifest makes a
change of several parts one atomic step: parts are written first (temp file, fsync, rename,
so no reader ever sees half a part), then the manifest is replaced in one rename under the
dataset's lock. Readers list the parts the manifest names; a part a change replaced is
deleted only after the new manifest is in place. A folder without a manifest (written by
another tool) is read as every `*.parquet` file under it.

Each part is sorted by start date (then type), in row groups small enough that a date filter
or the table's "newest first" skips most of a part, and carries the derived columns of `schema.DERIVED_COLUMNS`
(the lower-cased search text, the country and actor lists as strings), computed once when
the part is written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from timeline.domain.schema import ARROW_SCHEMA, DERIVED_COLUMNS, Col, derived_columns, from_arrow, to_arrow
from timeline.domain.validation import ValidationFailed, check
from timeline.storage import rollups, store, words

MANIFEST = "_manifest.json"
FORMAT = "conflict-timeline parts 1"
ROW_GROUP_ROWS = 128 * 1024
COMPRESSION = {name: "zstd" for name in ARROW_SCHEMA.names} | {name: "snappy" for name in DERIVED_COLUMNS}
"""Derived columns are read by every search: snappy decodes about three times faster than zstd."""
PART_ROWS = 2_000_000
"""Largest part written at once; `compact` merges parts of a month up to this size."""


class PartsError(store.DatasetError):
    """A partitioned dataset folder is missing, unreadable, or its manifest is damaged."""


@dataclass(frozen=True)
class Part:
    path: str
    """Relative to the dataset folder, with '/' separators (year=YYYY/month=MM/part-....parquet)."""
    rows: int


@dataclass(frozen=True)
class Manifest:
    id: str
    version: int
    parts: tuple[Part, ...]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


def manifest_path(root: Path) -> Path:
    return root / MANIFEST


def read_manifest(root: Path) -> Manifest | None:
    """The folder's manifest, or None for a plain Hive folder without one."""
    path = manifest_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise PartsError(f"{path}: not a readable manifest ({err})") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PartsError(f"{path}: not a conflict-timeline manifest")
    try:
        parts = tuple(Part(str(p["path"]), int(p["rows"])) for p in data["parts"])
        return Manifest(str(data["id"]), int(data["version"]), parts)
    except (KeyError, TypeError, ValueError) as err:
        raise PartsError(f"{path}: damaged manifest ({err})") from err


def files(root: Path) -> list[Path]:
    """The Parquet files that make up the dataset now."""
    if not root.is_dir():
        raise PartsError(f"{root}: no such dataset folder")
    manifest = read_manifest(root)
    if manifest is not None:
        return [root / p.path for p in manifest.parts]
    found = sorted(
        p
        for p in root.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )
    if not any("=" in part for p in found for part in p.relative_to(root).parts[:-1]):
        raise PartsError(
            f"{root}: is a folder, not a dataset file or a partitioned dataset "
            f"(no {MANIFEST} and no Hive partition folders such as year=2024/)"
        )
    return found


def version(root: Path) -> str:
    """Changes whenever the dataset's rows may have changed (a cache key)."""
    manifest = read_manifest(root)
    if manifest is not None:
        return f"{manifest.id}:{manifest.version}"
    stamp = [(str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files(root)]
    return f"glob:{hash(tuple(stamp)) & 0xFFFFFFFFFFFF:x}"


def _write_manifest(
    root: Path, manifest: Manifest, before_replace: store.BeforeReplace | None = None
) -> None:
    body = {
        "format": FORMAT,
        "id": manifest.id,
        "version": manifest.version,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": manifest.rows,
        "parts": [{"path": p.path, "rows": p.rows} for p in manifest.parts],
    }
    store.write_bytes_atomic(
        manifest_path(root), json.dumps(body, indent=1).encode("utf-8"), before_replace=before_replace
    )


def create(root: Path) -> Manifest:
    """An empty partitioned dataset (creating one is always explicit)."""
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise PartsError(
            f"{root}: is a folder, not a dataset file, and not empty: give a new folder or a .parquet file"
        )
    root.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(secrets.token_hex(8), 0, ())
    _write_manifest(root, manifest)
    return manifest


def create_from(root: Path, table: pa.Table) -> Manifest:
    """A new partitioned dataset holding `table`'s rows (`timeline to-parts`, a rebuilt
    folder): created, then its parts committed under its lock."""
    create(root)
    with store.locked(manifest_path(root)):
        return commit(root, add=write_parts(root, table))


def with_derived(table: pa.Table) -> pa.Table:
    """The table in schema order plus its derived columns (recomputed, never trusted)."""
    table = table.select(ARROW_SCHEMA.names)
    for name, column in derived_columns(table).items():
        table = table.append_column(name, column)
    return table


def _month_keys(table: pa.Table) -> pa.Array:
    start = table.column(str(Col.DATE_START))
    return pc.add(pc.multiply(pc.year(start), 100), pc.month(start))


def write_parts(root: Path, table: pa.Table) -> list[Part]:
    """Write `table`'s rows as new parts, one or more per month of `date_start`, each atomic.
    Nothing refers to them until `commit` puts them in the manifest."""
    if not table.num_rows:
        return []
    table = with_derived(table)
    keys = _month_keys(table)
    written = []
    for key in sorted(pc.unique(keys).to_pylist()):
        rows = table.filter(pc.equal(keys, key))
        rows = rows.sort_by([(str(Col.DATE_START), "ascending"), (str(Col.EVENT_TYPE), "ascending")])
        for start in range(0, rows.num_rows, PART_ROWS):
            chunk = rows.slice(start, PART_ROWS)
            relative = f"year={key // 100}/month={key % 100:02d}/part-{_part_id()}.parquet"
            store.write_table_atomic(
                chunk,
                root / relative,
                metadata={STATS_KEY: json.dumps(table_stats(chunk), separators=(",", ":"))},
                row_group_size=ROW_GROUP_ROWS,
                compression=COMPRESSION,
            )
            rolled = rollups.write(root, relative, chunk)  # before the commit that names the part
            words.write(root, relative, chunk, rolled)
            written.append(Part(relative, chunk.num_rows))
    return written


STATS_KEY = "timeline.stats"
STATS_COLUMNS: tuple[Col, ...] = (
    Col.EVENT_TYPE, Col.DATE_PRECISION, Col.CONFIDENCE, Col.DATASET, Col.COUNT_UNIT, Col.COUNTRIES, Col.ACTORS,
)  # fmt: skip
"""Columns whose values a part counts in its footer, for the engine's dataset summary."""


def table_stats(table: pa.Table) -> dict[str, object]:
    """What a part holds, kept in its footer so that a dataset's summary (dates, values by
    frequency) costs a footer read per part instead of a scan: rows, first start, last end,
    the as-of day (ends of day-dated events, starts of coarser ones), the longest span in
    days, how many have coordinates, and events per value of `STATS_COLUMNS` (once per
    value of a list)."""
    start, end = table.column(str(Col.DATE_START)), table.column(str(Col.DATE_END))
    day = pc.equal(table.column(str(Col.DATE_PRECISION)), "day")
    known = pc.if_else(day, end, start)
    span = pc.subtract(end.cast(pa.int32()), start.cast(pa.int32()))
    counts = {}
    for col in STATS_COLUMNS:
        column = table.column(str(col)).combine_chunks()
        if pa.types.is_list(column.type):
            column = pc.list_flatten(column)
        found = pc.value_counts(column.drop_null()) if len(column) else []
        counts[str(col)] = {
            str(v["values"]): int(v["counts"]) for v in (found.to_pylist() if len(column) else [])
        }
    return {
        "rows": table.num_rows,
        "first": pc.min(start).as_py().isoformat() if table.num_rows else None,
        "last": pc.max(end).as_py().isoformat() if table.num_rows else None,
        "as_of": pc.max(known).as_py().isoformat() if table.num_rows else None,
        "max_span_days": int(pc.max(span).as_py() or 0) if table.num_rows else 0,
        "located": table.num_rows - table.column(str(Col.LATITUDE)).null_count,
        "counts": counts,
    }


@dataclass(frozen=True)
class Footer:
    """What the engine reads from a part's footer: its rows and `table_stats` (None for a
    file written without them). Read-only: one copy is shared by every caller."""

    rows: int
    stats: dict[str, object] | None
    ids: tuple[str, str] | None = None
    """The least and greatest event_id of the file's row groups (None when a row group has no
    such statistics): which parts can hold an id, without reading any."""


def footer(path: Path) -> Footer:
    """A Parquet file's `Footer`, parsed once per process: the dataset's summary, the
    engine's row count and its date spans each read every part's footer (344 of them at
    100 M events), and an append's new version keeps all but one part. Keyed by the file's
    inode, size and modification time as well as its path, so a file replaced (a
    single-file dataset rewritten by a rename) is read again (a part never is: its name is never reused)."""
    st = os.stat(path)
    return _footer(str(path), st.st_ino, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=16_384)
def _footer(path: str, inode: int, mtime_ns: int, size: int) -> Footer:
    meta = pq.read_metadata(path)
    raw = (meta.metadata or {}).get(STATS_KEY.encode())
    return Footer(meta.num_rows, json.loads(raw) if raw else None, _id_range(meta))


def _id_range(meta: pq.FileMetaData) -> tuple[str, str] | None:
    names = meta.schema.names
    if str(Col.EVENT_ID) not in names:
        return None
    column = names.index(str(Col.EVENT_ID))
    lows, highs = [], []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(column).statistics
        if meta.row_group(group).num_rows == 0:
            continue
        if stats is None or not stats.has_min_max or not isinstance(stats.min, str):
            return None
        lows.append(stats.min)
        highs.append(stats.max)
    return (min(lows), max(highs)) if lows else None


def read_stats(path: Path) -> dict[str, object] | None:
    """A part's footer stats (None for a file written without them)."""
    return footer(path).stats


def _part_id() -> str:
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


def commit(
    root: Path,
    *,
    add: Iterable[Part] = (),
    remove: Iterable[str] = (),
    before_replace: store.BeforeReplace | None = None,
) -> Manifest:
    """Swap parts in and out of the manifest in one atomic rename. Caller holds the lock.
    `before_replace` gets the fsynced new manifest before the rename (the change log)."""
    current = read_manifest(root)
    if current is None:
        raise PartsError(f"{root}: no {MANIFEST}; create the dataset with `timeline synth` or `--create`")
    gone = set(remove)
    parts = tuple(p for p in current.parts if p.path not in gone) + tuple(add)
    manifest = Manifest(current.id, current.version + 1, parts)
    _write_manifest(root, manifest, before_replace)
    for path in gone:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(root / path)
        rollups.remove(root, path)
        words.remove(root, path)
    return manifest


def scan(root: Path, columns: list[str] | None = None, filter: pc.Expression | None = None) -> pa.Table:
    """Rows of every part (schema columns only unless asked), read with pyarrow's dataset API."""
    paths = files(root)
    if not paths:
        return ARROW_SCHEMA.empty_table().select(columns or ARROW_SCHEMA.names)
    dataset = pads.dataset([str(p) for p in paths], format="parquet")
    return dataset.to_table(columns=columns or ARROW_SCHEMA.names, filter=filter)


def parts_holding(root: Path, ids: pa.Array) -> dict[str, int]:
    """Parts that hold any of `ids`, with how many of them each holds."""
    manifest = read_manifest(root)
    out: dict[str, int] = {}
    for part in manifest.parts if manifest else ():
        found = pq.read_table(
            root / part.path, columns=[str(Col.EVENT_ID)], filters=pc.field(str(Col.EVENT_ID)).isin(ids)
        )
        if found.num_rows:
            out[part.path] = found.num_rows
    return out


def rewrite_without(root: Path, part: str, ids: pa.Array) -> list[Part]:
    """The rows of `part` except those with these ids, as new parts (the old one stays until commit)."""
    table = pq.read_table(root / part, columns=ARROW_SCHEMA.names)
    keep = pc.invert(pc.is_in(table.column(str(Col.EVENT_ID)), value_set=ids))
    return write_parts(root, table.filter(keep).cast(ARROW_SCHEMA))


def compact(root: Path, target_rows: int = PART_ROWS) -> tuple[int, int]:
    """Merge each month's small parts into as few as `target_rows` allows. Caller holds the
    lock. Returns (parts before, parts after)."""
    manifest = read_manifest(root)
    if manifest is None:
        raise PartsError(f"{root}: no {MANIFEST}; only datasets written by timeline can be compacted")
    before = len(manifest.parts)
    by_month: dict[str, list[Part]] = {}
    for part in manifest.parts:
        by_month.setdefault(part.path.rsplit("/", 1)[0], []).append(part)
    added: list[Part] = []
    removed: list[str] = []
    for group in by_month.values():
        small = [p for p in group if p.rows < target_rows // 2]
        if len(small) < 2:
            continue
        table = pa.concat_tables(pq.read_table(root / p.path, columns=ARROW_SCHEMA.names) for p in small)
        added += write_parts(root, table.cast(ARROW_SCHEMA))
        removed += [p.path for p in small]
    if added:
        manifest = commit(root, add=added, remove=removed)
    return before, len(manifest.parts)


# --- changes: the same rules as a single file, written as parts -----------------------------


def _existing(root: Path, ids: pa.Array, columns: list[str] | None = None) -> pa.Table:
    """The dataset's rows whose ids are among `ids` (each part read with the ids' filter)."""
    table = scan(root, columns, filter=pc.field(str(Col.EVENT_ID)).isin(ids))
    return table if columns else table.cast(ARROW_SCHEMA)


def _ids(frame: pd.DataFrame) -> pa.Array:
    return pa.array(frame[str(Col.EVENT_ID)].astype(str).tolist(), pa.string())


def append(
    root: Path,
    raw: pd.DataFrame,
    *,
    now: datetime | None = None,
    dataset: str = "curated",
    journal: Callable[[pd.DataFrame], store.BeforeReplace] | None = None,
) -> store.AppendResult:
    """`store.append` for a partitioned dataset: every row checked, an id already in any part
    refused, the new rows written as new parts and committed in one manifest rename. No part
    is rewritten, so the cost does not grow with the dataset (beyond looking the ids up).
    `journal`, as for `store.append`, gives what runs before the manifest is replaced."""
    rows, notes = store.with_append_defaults(raw, now, dataset)
    with store.locked(manifest_path(root)):
        if read_manifest(root) is None:
            raise PartsError(
                f"{root}: is a folder, not a dataset file or a partitioned dataset (no {MANIFEST})"
            )
        new, problems = check(rows)
        if str(Col.EVENT_ID) in new.columns and not problems:
            taken = _existing(root, _ids(new), [str(Col.EVENT_ID)]).to_pandas()
            problems += store.duplicate_id_problems(taken, new)
        if problems:
            raise ValidationFailed(problems)
        hook = journal(new) if journal else None
        manifest = commit(root, add=write_parts(root, to_arrow(new)), before_replace=hook)
    return store.AppendResult(added=len(new), total=manifest.rows, warnings=notes)


def upsert(
    root: Path,
    rows: pd.DataFrame | store.Checked,
    *,
    dataset: str,
    now: datetime | None = None,
    dry_run: bool = False,
    journal: Callable[[store.UpsertResult, pa.Table, pa.Table], store.BeforeReplace] | None = None,
) -> store.UpsertResult:
    """`store.upsert` for a partitioned dataset: new ids become new parts; the parts holding a
    changed row are rewritten without it and its new version is added, all in one manifest
    commit; unchanged rows cost nothing. `journal` as for `store.upsert`."""
    key = str(Col.EVENT_ID)
    new = store.stamped(rows, dataset, now)
    ids = _ids(new)

    def planned() -> tuple[store.UpsertResult, pa.Table]:
        manifest = read_manifest(root)
        if manifest is None:
            raise PartsError(
                f"{root}: is a folder, not a dataset file or a partitioned dataset (no {MANIFEST})"
            )
        existing = _existing(root, ids)
        result = store.plan_against(existing, new, dataset, root)
        result.total = manifest.rows + result.added
        return result, existing

    if dry_run or not len(new):
        return planned()[0]
    with store.locked(manifest_path(root)):
        result, existing = planned()
        if not (result.added or result.changed):
            return result
        changed = pa.array(list(result.diff.changed), pa.string())
        holding = list(parts_holding(root, changed)) if len(changed) else []
        added = [p for part in holding for p in rewrite_without(root, part, changed)]
        wanted = store.member(new[key], changed) | ~store.member(new[key], existing.column(key))
        incoming = to_arrow(new[wanted])
        added += write_parts(root, incoming)
        replaced = existing.filter(pa.array(store.member(existing.column(key), changed)))
        hook = journal(result, incoming, replaced) if journal else None
        commit(root, add=added, remove=holding, before_replace=hook)
    result.written = True
    return result


def check_writable(root: Path) -> None:
    """Raise PartsError unless a change can be written to the folder: it has a manifest (a
    dataset written by timeline) and we may create files in it."""
    if read_manifest(root) is None:
        raise PartsError(f"{root}: is a folder, not a dataset file or a partitioned dataset (no {MANIFEST})")
    if not os.access(root, os.W_OK | os.X_OK):
        raise PartsError(
            f"{root}: cannot create files in this dataset folder (permission denied); nothing was written"
        )


def rows_with(root: Path, ids: pa.Array) -> pa.Table:
    """The dataset's rows whose ids are among `ids`, in the schema."""
    return _existing(root, ids)


def replace_rows(root: Path, ids: pa.Array, table: pa.Table, before_replace: store.BeforeReplace) -> None:
    """The rows with `ids` become `table`'s rows (a correction, retraction or revert): the
    parts holding them rewritten without them, `table` added as new parts, one commit.
    Caller holds the lock."""
    holding = list(parts_holding(root, ids)) if len(ids) else []
    added = [p for part in holding for p in rewrite_without(root, part, ids)]
    added += write_parts(root, table.select(ARROW_SCHEMA.names).cast(ARROW_SCHEMA))
    commit(root, add=added, remove=holding, before_replace=before_replace)


def load(root: Path) -> pd.DataFrame:
    """Every row of a partitioned dataset as one frame (for commands that compare or list a
    whole dataset; the dashboard and exports query it instead)."""
    return from_arrow(scan(root).cast(ARROW_SCHEMA))
