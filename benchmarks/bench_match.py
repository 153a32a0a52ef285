"""Benchmark the matching engine (`timeline.matching.core.match`) on three synthetic sources.

Source A has N events spread over Ukraine and one year; B copies 40 % of A's events with
known jitter (up to JITTER_KM kilometres, a day either way, same type) and adds new ones;
C copies 30 % of A's and 20 % of B's own new events the same way and adds new ones. The
planted copies are the truth: precision and recall are counted over pairs of reports
(two reports of one true incident put in one matched incident is a true positive). Prints
the time of the match alone (the generation is not timed), wall clock and this process's
CPU time (on a shared machine the two differ by the other jobs' share), the pairs, precision, recall
and the process's peak resident memory. Results, with the command, are in
docs/performance.md (section "Matching").

    TIMELINE_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_match.py   # 3 x 300,000
    .venv/bin/python benchmarks/bench_match.py --events 30000

With `--sliced`, the sources are generated month by month into a Parquet file (never all in
memory) and matched by time slices (`slices.match_in_slices`), reading each slice from the
file with DuckDB and writing each slice's result to Parquet; precision, recall and the
summary are then counted by DuckDB over those files. `--compare` also runs the whole match
in memory and counts the reports whose incident differs between the two.

    .venv/bin/python benchmarks/bench_match.py --sliced --events 3333334   # 10 M reports
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from timeline.matching.candidates import threads
from timeline.matching.core import Dimension, MatchSettings, Out, R, match
from timeline.matching.slices import match_in_slices, summarise_files

TYPES = np.array(["drone_attack", "missile_strike", "shelling", "armed_clash", "air_strike", "protest"])
GROUPS = {"drone_attack": "strike", "missile_strike": "strike", "shelling": "strike", "air_strike": "strike",
          "armed_clash": "military", "protest": "civil"}  # fmt: skip
JITTER_KM = 3.0
SETTINGS = MatchSettings(km=5.0, days=1.0, time_rule="overlap", selection="best")
TAXONOMY = (Dimension("type", ("t", "g")),)


def fresh(rng: np.random.Generator, n: int, first_id: int, days: tuple[int, int] = (0, 365)) -> pd.DataFrame:
    start = rng.integers(days[0], days[1], n)
    t = TYPES[rng.integers(0, len(TYPES), n)]
    return pd.DataFrame(
        {
            "truth": np.arange(first_id, first_id + n),
            R.START: start,
            R.END: start,
            R.LAT: rng.uniform(46.0, 52.0, n),
            R.LON: rng.uniform(23.0, 40.0, n),
            "t": t,
        }
    )


def copies(rng: np.random.Generator, of: pd.DataFrame, share: float) -> pd.DataFrame:
    picked = of.sample(frac=share, random_state=int(rng.integers(1 << 31))).copy()
    n = len(picked)
    dist = JITTER_KM * np.sqrt(rng.random(n))
    angle = rng.uniform(0, 2 * np.pi, n)
    picked[R.LAT] += dist * np.cos(angle) / 111.2
    picked[R.LON] += dist * np.sin(angle) / (111.2 * np.cos(np.radians(picked[R.LAT])))
    shift = rng.integers(-1, 2, n)
    picked[R.START] += shift
    picked[R.END] += shift
    return picked


def sources(n: int, seed: int = 1, days: tuple[int, int] = (0, 365), first_id: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = fresh(rng, n, first_id, days)
    b_copies = copies(rng, a, 0.4)
    b_new = fresh(rng, n - len(b_copies), first_id + n, days)
    b = pd.concat([b_copies, b_new])
    c_copies = pd.concat([copies(rng, a, 0.3), copies(rng, b_new, 0.2)])
    c = pd.concat([c_copies, fresh(rng, n - len(c_copies), first_id + 3 * n, days)])
    frames = []
    for name, frame in (("a", a), ("b", b), ("c", c)):
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        frame[R.SOURCE] = name
        frame[R.REPORT] = [f"{name}{first_id + i}" for i in range(len(frame))]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out[R.EPISODE] = False
    out["g"] = out["t"].map(GROUPS)
    return out


def pairs(groups: pd.Series) -> int:
    sizes = groups.value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


MONTHS = 12


def write_sources(n: int, path: Path) -> None:
    """The three sources, a month at a time (each month's copies planted within it), into
    one Parquet file sorted by start, so a slice reads only its row groups."""
    schema = None
    writer = None
    try:
        for month in range(MONTHS):
            days = (month * 365 // MONTHS, (month + 1) * 365 // MONTHS)
            part = sources(n // MONTHS, seed=month + 1, days=days, first_id=month * 4 * n)
            part = part.sort_values(str(R.START), kind="stable")
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            writer.write_table(table.cast(schema), row_group_size=100_000)
    finally:
        if writer is not None:
            writer.close()


def scores(true_pos: int, predicted: int, actual: int) -> dict[str, object]:
    """The planted pairs, the pairs found, and precision and recall of the second against the first."""
    return {
        "true_pairs": actual,
        "found_pairs": predicted,
        "precision": round(true_pos / predicted, 4) if predicted else None,
        "recall": round(true_pos / actual, 4) if actual else None,
    }


def pair_counts(files: list[str]) -> tuple[int, int, int]:
    """(true positive, found, true) pairs over result files, counted by DuckDB."""
    con = duckdb.connect()
    try:
        listed = "[" + ", ".join(f"'{f}'" for f in files) + "]"
        con.execute(f"""CREATE VIEW r AS SELECT "{Out.INCIDENT}" AS i, truth FROM read_parquet({listed})""")
        q = "SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM r GROUP BY {})"
        return tuple(int(con.execute(q.format(k)).fetchone()[0]) for k in ("i, truth", "i", "truth"))  # type: ignore[return-value]
    finally:
        con.close()


def sliced(args: argparse.Namespace) -> None:
    """The sliced run, in a temp folder removed at the end (10 M reports leave 670 MB)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-match-"))
    try:
        _sliced(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sliced(args: argparse.Namespace, folder: Path) -> None:
    data = folder / "reports.parquet"
    began = time.perf_counter()
    write_sources(args.events, data)
    generated = time.perf_counter() - began
    con = duckdb.connect()
    first, last, span, total = con.execute(
        f'SELECT min("{R.START}"), max("{R.START}"), max("{R.END}" - "{R.START}"), count(*) FROM read_parquet(?)',
        [str(data)],
    ).fetchone()

    def read(a: int, b: int) -> pd.DataFrame:
        return con.execute(
            f'SELECT * FROM read_parquet(?) WHERE "{R.START}" >= ? AND "{R.START}" < ?', [str(data), a, b]
        ).df()

    settings = MatchSettings(**{**SETTINGS.as_dict(), "precedence": ("a", "b", "c")})
    out = folder / "incidents"
    out.mkdir()
    files = []
    began, began_cpu = time.perf_counter(), time.process_time()
    slices = match_in_slices(
        read, first, last, span, TAXONOMY, settings, args.slice_days, workers=args.workers
    )
    for k, frame in enumerate(slices):
        name = out / f"slice-{k:04d}.parquet"
        frame.to_parquet(name, index=False)
        files.append(str(name))
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    con.close()
    true_pos, predicted, actual = pair_counts(files)
    report = {
        "mode": f"sliced, {args.slice_days}-day slices, {args.workers} at once",
        "events_per_source": args.events,
        "reports": int(total),
        "generation_seconds": round(generated, 1),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        **scores(true_pos, predicted, actual),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "summary": {k: v for k, v in summarise_files(files, ["a", "b", "c"]).items() if k != "overlap"},
    }
    if args.compare:
        whole = match(pd.read_parquet(data), TAXONOMY, settings).reports[[str(R.REPORT), str(Out.INCIDENT)]]
        parts = pd.concat([pd.read_parquet(f, columns=[str(R.REPORT), str(Out.INCIDENT)]) for f in files])
        both = whole.merge(parts, on=str(R.REPORT), suffixes=("_whole", "_sliced"))
        report["reports_whose_incident_differs_from_the_whole_match"] = int(
            (both[f"{Out.INCIDENT}_whole"] != both[f"{Out.INCIDENT}_sliced"]).sum()
        )
    print(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300_000, help="events per source (default 300,000)")
    parser.add_argument("--sliced", action="store_true", help="generate to Parquet and match by time slices")
    parser.add_argument("--slice-days", type=int, default=30, help="days per slice (--sliced; default 30)")
    parser.add_argument(
        "--workers", type=int, default=threads(), help="--sliced: slices matched at once (default: cores)"
    )
    parser.add_argument(
        "--compare", action="store_true", help="--sliced: also match whole, count differences"
    )
    args = parser.parse_args()
    if args.sliced:
        sliced(args)
        return
    data = sources(args.events)
    began, began_cpu = time.perf_counter(), time.process_time()
    result = match(data.drop(columns="truth"), TAXONOMY, SETTINGS)
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    found = result.reports[Out.INCIDENT]
    truth = data["truth"]
    both = pd.Series(list(zip(found, truth, strict=True)))
    true_pos, predicted, actual = pairs(both), pairs(found), pairs(truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "events_per_source": args.events,
                "reports": len(data),
                "seconds": round(seconds, 1),
                "cpu_seconds": round(cpu, 1),
                **scores(true_pos, predicted, actual),
                "peak_rss_mb": round(peak_mb),
                "summary": {k: v for k, v in result.summary.items() if k != "overlap"},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
