"""Matching a dataset in this project's schema, and the incidents stored beside it.

Each `dataset` label (curated, missile-attacks, acled, ucdp, gdelt, ...) is a source. A row
is a report; its interval is `date_start..date_end` (a week-precision report is the whole
week, so it can match a day inside it); an episode is a day-precision row over more than
two dates (an overnight attack spans two). A row placed only by a region or country
(`geo_precision` 3 or 4, or no coordinates) is compared by country and region, not by
kilometres. The taxonomy: event type, then its group (a strike type never broadens); the launching side (unknown agrees,
a different side rules the pair out); the count with its unit (a different figure costs
score but never rules out: two sources' casualty figures often differ).

The result is written beside the dataset (`events.parquet.incidents.parquet`, or
`_incidents.parquet` inside a partitioned folder), stamped with the dataset's version and
the settings, so a reader can tell when it is stale and redo it from the stamp.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.matching.core import (
    Dimension,
    MatchResult,
    MatchSettings,
    Out,
    Place,
    R,
    Role,
    match,
)
from timeline.storage import datasets, parts, store
from timeline.storage.paths import incidents_path

PRECEDENCE: tuple[str, ...] = ("curated", "missile-attacks", "acled", "ucdp", "gdelt")
"""Whose report represents an incident: the curated rows, then the Air Force tallies, then
ACLED, UCDP and GDELT; other labels follow in order of appearance."""

DEFAULTS = MatchSettings(km=10.0, days=1.0, time_rule="overlap", selection="best", precedence=PRECEDENCE)
"""10 km and one day: a village and the town a second source names, a night reported on
either of its dates. docs/matching.md says how to tune them."""

EPISODE_MIN_DATES = 3
"""A day-precision row over at least this many dates is an episode (an overnight attack
spans two and is an event)."""

META_KEY = "timeline.matching"
FORMAT = "timeline-incidents/1"

TYPE, GROUP, SIDE, COUNT, UNIT = (
    "type:event_type",
    "type:group",
    "side:initiator",
    "count:value",
    "count:unit",
)
TAXONOMY: tuple[Dimension, ...] = (
    Dimension("type", (TYPE, GROUP)),
    Dimension("side", (SIDE,), unknown_agrees=True),
    Dimension("count", (COUNT, UNIT), required=False, unknown_agrees=True),
)

READ = (
    Col.EVENT_ID,
    Col.DATASET,
    Col.DATE_START,
    Col.DATE_END,
    Col.DATE_PRECISION,
    Col.EVENT_TYPE,
    Col.LATITUDE,
    Col.LONGITUDE,
    Col.GEO_PRECISION,
    Col.AREA_CODE,
    Col.COUNTRIES,
    Col.INITIATOR_COUNTRIES,
    Col.COUNT,
    Col.COUNT_UNIT,
)


class Stored:
    """Columns of the stored incidents file (beside the dataset's `event_id` and `dataset`)."""

    COLUMNS = (Col.EVENT_ID, Col.DATASET, *Out)


def dataset_version(path: Path) -> str:
    """A fingerprint that changes whenever the rows may have: the file's bytes, or a folder's
    manifest version (or its parts' names, sizes and times)."""
    if path.is_dir():
        manifest = parts.read_manifest(path)
        if manifest is not None:
            return f"manifest:{manifest.id}:{manifest.version}"
        stamp = [
            (str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns) for p in parts.files(path)
        ]
        return "parts:" + hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:32]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _files(path: Path) -> list[Path]:
    """The dataset's Parquet files, as its layout lists them (`storage.datasets`)."""
    return datasets.at(path).files()


def read_reports(path: Path) -> pd.DataFrame:
    """The columns the match needs, read by DuckDB from the dataset's Parquet files."""
    files = [str(f) for f in _files(path)]
    if not files:
        return _reports(pd.DataFrame(columns=[str(c) for c in READ]))
    cols = ", ".join(f'"{c}"' for c in READ)
    con = duckdb.connect()
    try:
        frame = con.execute(f"SELECT {cols} FROM read_parquet(?, union_by_name=true)", [files]).df()
    except duckdb.Error as err:
        raise store.DatasetError(f"{path}: cannot read the columns the match needs ({err})") from err
    finally:
        con.close()
    return _reports(frame)


def _reports(frame: pd.DataFrame) -> pd.DataFrame:
    start = pd.to_datetime(frame[Col.DATE_START])
    end = pd.to_datetime(frame[Col.DATE_END])
    epoch = pd.Timestamp("1970-01-01")
    s_days = (start - epoch).dt.days.astype("int64")
    e_days = (end - epoch).dt.days.astype("int64")
    precision = frame[Col.GEO_PRECISION].astype("Float64")
    lat = frame[Col.LATITUDE].astype("float64")
    area = lat.isna().to_numpy() | (precision.fillna(1) >= 3).to_numpy()
    country, region = _places(frame, area)
    initiators = frame[Col.INITIATOR_COUNTRIES].map(_side_key)
    count = frame[Col.COUNT].astype("Int64")
    unit = frame[Col.COUNT_UNIT].astype("string")
    reports = pd.DataFrame(
        {
            str(R.SOURCE): frame[Col.DATASET].astype(str).to_numpy(),
            str(R.REPORT): frame[Col.EVENT_ID].astype(str).to_numpy(),
            str(R.START): s_days.to_numpy(),
            str(R.END): e_days.to_numpy(),
            str(R.LAT): lat.to_numpy(),
            str(R.LON): frame[Col.LONGITUDE].astype("float64").to_numpy(),
            str(R.EPISODE): (
                (frame[Col.DATE_PRECISION].astype(str) == "day") & (e_days - s_days + 1 >= EPISODE_MIN_DATES)
            ).to_numpy(),
            str(Place.AREA): area,
            str(Place.COUNTRY): country,
            str(Place.REGION): region,
            TYPE: frame[Col.EVENT_TYPE].astype("string").to_numpy(),
            GROUP: frame[Col.EVENT_TYPE].map(_group).astype("string").to_numpy(),
            SIDE: initiators.to_numpy(),
            COUNT: (count.astype("string") + " " + unit).to_numpy(),
            UNIT: unit.to_numpy(),
        }
    )
    return reports


def _group(event_type: object) -> str | None:
    """The broader level: the type's group, except that a strike stays its own type (a drone
    attack and a missile strike the same night are two incidents, both 'military')."""
    if event_type not in taxonomy.TYPES_BY_KEY:
        return None
    return str(event_type) if event_type in taxonomy.STRIKE_TYPES else taxonomy.group_of(str(event_type))


def _side_key(values: object) -> str | None:
    items = sorted(str(v) for v in (values if values is not None else []) if v)
    return "+".join(items) if len(items) else None


def _places(frame: pd.DataFrame, area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Country (alpha-3) and region (ISO 3166-2) of each report, from its area code; a row
    without one counts as placed in the one country among its parties that did not act
    (an Air Force tally: Russia launched, at Ukraine), else nowhere known."""
    codes = frame[Col.AREA_CODE].astype("string")
    country = np.full(len(frame), None, dtype=object)
    region = np.full(len(frame), None, dtype=object)
    # the list columns as Python lists once: a pandas lookup per row cost ~0.1 ms each
    all_parties, all_acting = frame[Col.COUNTRIES].tolist(), frame[Col.INITIATOR_COUNTRIES].tolist()
    for i, code in enumerate(codes):
        if isinstance(code, str) and code:
            if "-" in code:
                region[i] = code
                country[i] = _alpha3(code.split("-", 1)[0])
            else:
                country[i] = code
        elif area[i]:
            parties = set(all_parties[i] if all_parties[i] is not None else [])
            acting = set(all_acting[i] if all_acting[i] is not None else [])
            rest = sorted(parties - acting)
            country[i] = rest[0] if len(rest) == 1 else None
    return country, region


def _alpha3(alpha2: str) -> str | None:
    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country else None


@dataclass(frozen=True)
class Status:
    """Whether the stored incidents are those of the dataset as it is now."""

    path: Path
    exists: bool
    stale: bool
    version: str | None
    settings: dict[str, object] | None
    summary: dict[str, object] | None


def run(path: Path, settings: MatchSettings = DEFAULTS, engine: object = None) -> MatchResult:
    """Match the dataset's sources (no writing); `engine` as for `core.match`."""
    return match(read_reports(path), TAXONOMY, settings, engine)


def save(path: Path, result: MatchResult, version: str) -> Path:
    """Write the incidents beside the dataset, atomically, stamped with version and settings;
    decisions logged for the dataset are applied on top (`decision_log.py`)."""
    stamp = _stamp(version, result.settings, result.sources, result.summary, result.taxonomy)
    return _write(path, _auto(result), stamp)


def _auto(result: MatchResult) -> pd.DataFrame:
    """The automatic result in the stored columns."""
    out = result.reports
    # event ids are unique across a dataset: an incident is named by its representative's id
    labels = out[R.SOURCE].astype(str) + ":" + out[R.REPORT].astype(str)
    ids = dict(zip(labels, out[R.REPORT].astype(str), strict=True)) | {"": ""}
    incident = out[Out.INCIDENT].astype(str)
    missing = ~incident.isin(ids.keys())  # a representative outside this slice: its label's id
    named = incident.map(ids).where(~missing, incident.str.split(":", n=1).str[1])
    matched = out[Out.MATCHED_TO].astype(str)
    return pd.DataFrame(
        {
            str(Col.EVENT_ID): out[R.REPORT].astype(str).to_numpy(),
            str(Col.DATASET): out[R.SOURCE].astype(str).to_numpy(),
            str(Out.INCIDENT): named.to_numpy(),
            str(Out.ROLE): out[Out.ROLE].astype(str).to_numpy(),
            str(Out.KIND): out[Out.KIND].astype(str).to_numpy(),
            str(Out.MATCHED_TO): matched.where(matched == "", named).to_numpy(),
            str(Out.SCORE): out[Out.SCORE].to_numpy("float64"),
            str(Out.KM): out[Out.KM].to_numpy("float64"),
            str(Out.DAYS_APART): out[Out.DAYS_APART].to_numpy("float64"),
            str(Out.REVIEW): out[Out.REVIEW].astype(str).to_numpy(),
        }
    )


def _stamp(
    version: str,
    settings: MatchSettings,
    sources: tuple[str, ...],
    summary: dict[str, object],
    dims: tuple[Dimension, ...] = TAXONOMY,
) -> dict[str, object]:
    return {
        "format": FORMAT,
        "dataset_version": version,
        "matched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": settings.as_dict(),
        "taxonomy": [
            {"name": d.name, "levels": list(d.levels), "weight": d.weight, "required": d.required,
             "unknown_agrees": d.unknown_agrees}
            for d in dims
        ],
        "sources": list(sources),
        "summary": summary,
    }  # fmt: skip


AUTO_REVIEW = "auto_review"


def _stored(auto: pd.DataFrame, logged: list, sources: list[str]) -> pd.DataFrame:
    """The automatic result with the decisions applied, and the automatic review kept."""
    from timeline.matching import decision_log as decisions

    applied = decisions.overlay(auto, logged, sources)
    applied[AUTO_REVIEW] = auto[Out.REVIEW].to_numpy()
    return applied


def _write(path: Path, auto: pd.DataFrame, stamp: dict[str, object]) -> Path:
    from timeline.matching import decision_log as decisions

    logged = decisions.decisions(path)
    applied = _stored(auto, logged, list(stamp["sources"]))  # type: ignore[call-overload]
    table = pa.Table.from_pandas(applied.sort_values(str(Col.EVENT_ID)), preserve_index=False)
    target = incidents_path(path)
    store.write_table_atomic(table, target, metadata={META_KEY: json.dumps(stamp)})
    return target


def rewrite_decisions(path: Path) -> Path:
    """The stored automatic result with the decisions now in the log applied (after one)."""
    from timeline.matching import decision_log as decisions

    target = incidents_path(path)
    stamp = stamp_of(target)
    if stamp is None:
        raise store.DatasetError(f"{target}: no stored incidents")
    auto = pq.read_table(target).to_pandas()
    auto[Out.INCIDENT] = auto[decisions.AUTO_INCIDENT]
    auto[Out.REVIEW] = auto[AUTO_REVIEW]
    same = auto[Out.INCIDENT] == auto[Col.EVENT_ID]
    auto[Out.ROLE] = np.where(same, str(Role.REPRESENTATIVE), str(Role.DUPLICATE))
    auto[Out.MATCHED_TO] = np.where(same, "", auto[Out.INCIDENT])
    keep = [str(Col.EVENT_ID), str(Col.DATASET), *map(str, Out)]
    return _write(path, auto[keep], stamp)


def stamp_of(target: Path) -> dict[str, object] | None:
    if not target.exists():
        return None
    meta = pq.read_schema(target).metadata or {}
    raw = meta.get(META_KEY.encode())
    return json.loads(raw) if raw else None


def status(path: Path) -> Status:
    """Stored incidents and whether the dataset has changed since they were computed."""
    target = incidents_path(path)
    stamp = stamp_of(target)
    if stamp is None:
        return Status(target, False, True, None, None, None)
    stale = stamp.get("dataset_version") != dataset_version(path)
    return Status(
        target, True, stale, str(stamp.get("dataset_version")), stamp.get("settings"), stamp.get("summary")
    )  # type: ignore[arg-type]


def stored_settings(path: Path) -> MatchSettings | None:
    """The settings a stored result was made with, to redo it after the data changed."""
    st = status(path)
    if not st.settings:
        return None
    data = dict(st.settings)
    data["precedence"] = tuple(data.get("precedence") or ())  # type: ignore[arg-type]
    return replace(DEFAULTS, **data)  # type: ignore[arg-type]


def load_incidents(path: Path) -> pd.DataFrame:
    return pq.read_table(incidents_path(path)).to_pandas()


def run_sliced(
    path: Path, settings: MatchSettings, slice_days: int, version: str, engine: object = None
) -> tuple[dict[str, object], Path]:
    """Match a dataset too big for memory by time slices (`slices.match_in_slices`) and store
    the result as `save` does: each slice read by DuckDB from the Parquet files, each slice's
    result written to a temp file, then all of them into the stored file, renamed into place.
    Refused when decisions are logged for the dataset (they need the whole result)."""
    import shutil
    import tempfile

    from timeline.matching import candidates, core, decision_log as decisions, slices

    if decisions.decisions(path):
        raise core.MatchError(
            f"{path}: decisions on incidents are logged for this dataset; match it whole (without --slice-days)"
        )
    files = [str(f) for f in _files(path)]
    target = incidents_path(path)
    if not files:
        result = run(path, settings, engine)
        return result.summary, save(path, result, version)
    cols = ", ".join(f'"{c}"' for c in READ)
    start, end = f'"{Col.DATE_START}"', f'"{Col.DATE_END}"'
    con = duckdb.connect()
    work = Path(tempfile.mkdtemp(prefix=".match-", dir=target.parent))
    try:
        con.execute(
            f"CREATE VIEW d AS SELECT {cols} FROM read_parquet({candidates.sql_list(files)}, union_by_name=true)"
        )
        first, last, span, labels = con.execute(
            f"""SELECT min({start}), max({start}), max(datediff('day', {start}, {end})),
                       list(DISTINCT "{Col.DATASET}") FROM d"""
        ).fetchone()
        order = source_order_of(labels, settings.precedence)
        settings = replace(settings, precedence=order)
        epoch = pd.Timestamp("1970-01-01").date()

        def read(a: int, b: int) -> pd.DataFrame:
            lo, hi = epoch + pd.Timedelta(days=a), epoch + pd.Timedelta(days=b)
            return _reports(con.execute(f"SELECT * FROM d WHERE {start} >= ? AND {start} < ?", [lo, hi]).df())

        parts = []
        day = lambda d: (pd.Timestamp(d) - pd.Timestamp(epoch)).days  # noqa: E731
        for k, frame in enumerate(
            slices.match_in_slices(
                read,
                day(first),
                day(last),
                int(span or 0),
                TAXONOMY,
                settings,
                slice_days,
                engine,
                workers=candidates.threads(),
            )
        ):
            result = core.MatchResult(frame, order, settings, TAXONOMY)
            part = work / f"{k:05d}.parquet"
            _stored(_auto(result), [], list(order)).to_parquet(part, index=False)
            parts.append(part)
        if not parts:
            raise core.MatchError(f"{path}: no rows to match")
        summary = slices.summarise_files([str(p) for p in parts], list(order), source_column=str(Col.DATASET))
        stamp = _stamp(version, settings, order, summary) | {"slice_days": slice_days}
        _write_parts(parts, pq.read_schema(parts[0]).with_metadata({META_KEY: json.dumps(stamp)}), target)
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    return summary, target


def _write_parts(parts: list[Path], schema: pa.Schema, target: Path) -> None:
    """The slices' results as one stored file: written beside it, fsynced, renamed into place."""
    import os

    fd, tmp = store.temp_file_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
                for part in parts:
                    writer.write_table(pq.read_table(part).cast(schema))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        store.fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def source_order_of(labels: list[str] | None, precedence: tuple[str, ...]) -> tuple[str, ...]:
    present = sorted(str(x) for x in labels or [])
    first = [s for s in precedence if s in present]
    return (*first, *[s for s in present if s not in first])
