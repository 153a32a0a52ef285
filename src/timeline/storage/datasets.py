"""One entry point for a dataset at a path, whichever layout it has: one Parquet file
(`store`) or a folder of parts (`parts`). The commands call these; each layout keeps its
own mechanics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.domain.schema import Col, to_arrow
from timeline.domain.validation import summarise
from timeline.storage import parts, store


def is_partitioned(path: Path) -> bool:
    return path.is_dir()


def next_step(path: Path) -> str:
    """What to do about a dataset the app cannot open, by what is at `path` (the commands
    say it in their own words)."""
    if not path.exists():
        return (
            f"Set {store.ENV_VAR} to an existing dataset file or folder (unset, the app reads "
            f"{store.DEFAULT_PATH}), or start one there with: timeline append rows.csv --data {path} --create"
        )
    return f"Run: timeline validate {path}"


def load(path: Path) -> pd.DataFrame:
    """Every row as a frame (a partitioned dataset read part by part)."""
    if is_partitioned(path):
        try:
            return parts.load(path)
        except parts.PartsError as err:
            raise store.DatasetError(str(err)) from err
    return store.load(path)


def append(path: Path, raw: pd.DataFrame, *, dataset: str, create: bool) -> store.AppendResult:
    if is_partitioned(path):
        try:
            return parts.append(path, raw, dataset=dataset)
        except parts.PartsError as err:
            raise store.DatasetError(str(err)) from err
    return store.append(path, raw, dataset=dataset, create=create)


def upsert(
    path: Path, rows: pd.DataFrame | store.Checked, *, dataset: str, dry_run: bool = False
) -> store.UpsertResult:
    if is_partitioned(path):
        try:
            return parts.upsert(path, rows, dataset=dataset, dry_run=dry_run)
        except parts.PartsError as err:
            raise store.DatasetError(str(err)) from err
    return store.upsert(path, rows, dataset=dataset, dry_run=dry_run)


def foreign_ids(path: Path, dataset: str) -> frozenset[str]:
    """Ids that belong to another dataset (an import must not take them over)."""
    if not is_partitioned(path):
        return store.foreign_ids(path, dataset)
    table = parts.scan(
        path, [str(Col.EVENT_ID), str(Col.DATASET)], filter=pc.field(str(Col.DATASET)) != dataset
    )
    return frozenset(table.column(str(Col.EVENT_ID)).to_pylist())


def tables(path: Path) -> list[tuple[str, pa.Table]]:
    """(name, table as stored) of each file of the dataset, for checking them one by one."""
    if is_partitioned(path):
        return [(str(p.relative_to(path)), pq.read_table(p)) for p in parts.files(path)]
    return [(path.name, store.read_table(path))]


CHECKED_ROWS = 250_000
"""The dashboard checks every rule of a single file up to this size once per version (a
partitioned dataset is written only through the checked path, and too big to check per view)."""


def checked(path: Path, folder: Path) -> tuple[Path, list[str]]:
    """The file to show for the dataset at `path`: itself when every row passes every rule,
    else a copy of its valid rows in `folder`, with the problems of the others (summarised, at
    most 100 per rule). Raises DatasetError for a file that is not in the schema at all."""
    if is_partitioned(path):
        return path, []
    store.check_readable(path)
    try:
        rows = pq.read_metadata(path).num_rows
    except (pa.ArrowInvalid, OSError) as err:
        raise store.DatasetError(f"{path}: not a readable Parquet file ({err})") from err
    if rows > CHECKED_ROWS:
        return path, []
    valid, problems = store.load_valid(path)
    if not problems:
        return path, []
    mtime, size = store.file_version(path)
    copy = folder / f"valid-{abs(hash((str(path.resolve()), mtime, size))):x}.parquet"
    if not copy.exists():
        store.write_table_atomic(to_arrow(valid.reset_index(drop=True)), copy)
    return copy, summarise(problems)
