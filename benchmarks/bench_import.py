"""Benchmark `timeline import --format acled` on a synthetic ACLED-sized export.

Generates an ACLED-layout CSV of N rows (default 1,000,000) in a temporary folder; then, each
in a fresh process: the floor (pyarrow reads the CSV and writes it as Parquet, nothing
mapped or checked), the import into a new dataset file, and the same import again into that
file (the idempotent re-import: 0 added, 0 changed). For each it prints rows per second by
the wall clock and by the CPU time the process used (the figure to compare on a shared,
loaded machine), and the peak resident memory next to the input file's size. `timeline
--help` is timed too (start-up). Results are recorded, with the command, in
docs/performance.md (section "Import").

    .venv/bin/python benchmarks/bench_import.py            # 1,000,000 rows
    .venv/bin/python benchmarks/bench_import.py --rows 200000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUB_EVENTS = {  # sub-event type -> (ACLED event type, weight)
    "Shelling/artillery/missile attack": ("Explosions/Remote violence", 40),
    "Air/drone strike": ("Explosions/Remote violence", 25),
    "Armed clash": ("Battles", 20),
    "Attack": ("Violence against civilians", 4),
    "Peaceful protest": ("Protests", 4),
    "Remote explosive/landmine/IED": ("Explosions/Remote violence", 3),
    "Disrupted weapons use": ("Strategic developments", 2),
    "Agreement": ("Strategic developments", 1),
    "Arrests": ("Strategic developments", 1),
}
PLACES = [("Kyiv", "Kyiv City", 50.45, 30.52), ("Kharkiv", "Kharkiv", 49.99, 36.23), ("Odesa", "Odesa", 46.48, 30.72),
          ("Pokrovsk", "Donetsk", 48.28, 37.18), ("Sumy", "Sumy", 50.91, 34.80), ("Kherson", "Kherson", 46.64, 32.61),
          ("Zaporizhzhia", "Zaporizhia", 47.84, 35.14), ("Nikopol", "Dnipropetrovsk", 47.57, 34.39)]  # fmt: skip
NOTES = [
    "On {d}, Russian forces launched Shahed drones at {p}; air defence was active and debris damaged houses.",
    "On {d}, Russian forces shelled {p} with artillery and mortars. Several buildings were damaged.",
    "On {d}, Russian forces struck {p} with an Iskander-M ballistic missile, damaging infrastructure.",
    "On {d}, Ukrainian and Russian forces clashed near {p}. Fighting continued through the day.",
    "On {d}, Russian aircraft dropped guided bombs on {p}. Damage to residential buildings was reported.",
]


def generate(rows: int, path: Path, seed: int = 0, chunk: int = 250_000) -> None:
    """Write `rows` plausible ACLED export rows, messy the way real exports are."""
    # imported here, not by the module: a measured child (`child`) must start as `timeline`
    # does, with nothing loaded, or settings read when pyarrow loads (the import command's
    # allocator setting) would not apply to it
    import numpy as np
    import pandas as pd

    from timeline.importers.acled import COLUMNS

    rng = np.random.default_rng(seed)
    subs = np.array(list(SUB_EVENTS))
    weights = np.array([w for _, w in SUB_EVENTS.values()], dtype=float)
    event_types = np.array([e for e, _ in SUB_EVENTS.values()])
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        days = np.datetime64("2022-02-24") + rng.integers(0, 1400, n).astype("timedelta64[D]")
        iso = pd.Series(days.astype(str))
        spelled = pd.Series(pd.to_datetime(days).strftime("%d %B %Y"))
        date = iso.where(rng.random(n) < 0.8, spelled)  # both spellings, like mixed exports
        pick = rng.choice(len(subs), n, p=weights / weights.sum())
        place = rng.integers(0, len(PLACES), n)
        names = np.array([p[0] for p in PLACES], dtype=object)[place]
        note = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), n)]
        notes = [t.format(d=d, p=p) for t, d, p in zip(note, date, names, strict=True)]
        inter1 = np.where(rng.random(n) < 0.5, "8", "External/Other forces")
        fatalities = rng.poisson(1.2, n).astype(str).astype(object)
        fatalities[rng.random(n) < 0.02] = ""
        frame = pd.DataFrame(
            {
                "event_id_cnty": np.char.add("UKR", (start + np.arange(n)).astype(str)),
                "event_date": date,
                "year": pd.Series(days.astype("datetime64[Y]").astype(int) + 1970).astype(str),
                "time_precision": rng.choice(["1", "2", "3"], n, p=[0.9, 0.07, 0.03]),
                "disorder_type": "Political violence",
                "event_type": event_types[pick],
                "sub_event_type": subs[pick],
                "actor1": "Military Forces of Russia (2000-)",
                "assoc_actor_1": "",
                "inter1": inter1,
                "actor2": np.where(rng.random(n) < 0.4, "Civilians (Ukraine)", ""),
                "assoc_actor_2": "",
                "inter2": "",
                "interaction": "",
                "civilian_targeting": "",
                "iso": "804",
                "region": "Europe",
                "country": "Ukraine",
                "admin1": np.array([p[1] for p in PLACES], dtype=object)[place],
                "admin2": "",
                "admin3": "",
                "location": names,
                "latitude": (np.array([p[2] for p in PLACES])[place] + rng.normal(0, 0.05, n)).round(4),
                "longitude": (np.array([p[3] for p in PLACES])[place] + rng.normal(0, 0.05, n)).round(4),
                "geo_precision": "1",
                "source": rng.choice(
                    ["Ukrinform", "Suspilne; Ukrainska Pravda", "Ministry of Defence of Ukraine"], n
                ),
                "source_scale": "National",
                "notes": notes,
                "fatalities": fatalities,
                "tags": "",
                "timestamp": "1733000000",
            }
        )
        frame.loc[frame["actor2"].eq("Civilians (Ukraine)"), "inter2"] = "7"
        frame[COLUMNS].to_csv(path, mode="w" if start == 0 else "a", header=start == 0, index=False)


def child(argv: list[str], report: Path) -> None:
    """Run `timeline import` (or, for `floor`, pyarrow's CSV to Parquet) in this process and
    write its peak RSS (KiB) to `report`."""
    try:
        if argv[0] == "floor":
            import pyarrow.csv as pcsv
            import pyarrow.parquet as pq

            pq.write_table(pcsv.read_csv(argv[1]), argv[2])
        else:
            from timeline.cli.main import app

            code = app(argv, standalone_mode=False)
            if code:  # the error boundary reports and returns a code instead of raising
                raise SystemExit(code)
    finally:
        report.write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def timed(args: list[str], folder: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one fresh process."""
    report = folder / "rss.txt"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(report), "--", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, int(report.read_text()) / 1024, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the synthetic export")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rest, args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        source, out = folder / "acled_export.csv", folder / "acled.parquet"
        started = time.perf_counter()
        generate(args.rows, source)
        size_mb = source.stat().st_size / 2**20
        print(
            f"generated {args.rows:,} ACLED rows, {size_mb:,.0f} MB, in {time.perf_counter() - started:.0f} s"
        )
        help_started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "timeline.cli.main", "--help"], capture_output=True, check=True)
        print(f"{'timeline --help':>16}: {time.perf_counter() - help_started:6.2f} s (start-up)")
        runs = (
            ("pyarrow floor", ["floor", str(source), str(folder / "floor.parquet")]),
            ("first import", ["import", "--format", "acled", str(source), "--out", str(out)]),
            ("re-import", ["import", "--format", "acled", str(source), "--into", str(out)]),
        )
        for label, argv in runs:
            seconds, cpu, rss_mb, stdout = timed(argv, folder)
            print(
                f"{label:>16}: {seconds:6.1f} s wall, {args.rows / seconds:9,.0f} rows/s; "
                f"{cpu:6.1f} s CPU, {args.rows / cpu:9,.0f} rows/CPU-s; "
                f"peak RSS {rss_mb:,.0f} MB = {rss_mb / size_mb:.1f}x the file"
            )
            for line in stdout.splitlines():
                print(f"{'':>18}{line.replace(str(folder), '$TMP')}")
        print(f"dataset file: {out.stat().st_size / 2**20:,.0f} MB Parquet")
        print(
            f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
