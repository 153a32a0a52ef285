"""Benchmark the matching engine (`timeline.matching.core.match`) on three synthetic sources.

Source A has N events spread over Ukraine and one year; B copies 40 % of A's events with
known jitter (up to JITTER_KM kilometres, a day either way, same type) and adds new ones;
C copies 30 % of A's and 20 % of B's own new events the same way and adds new ones. The
planted copies are the truth: precision and recall are counted over pairs of reports
(two reports of one true incident put in one matched incident is a true positive). Prints
the time of the match alone (the generation is not timed), the pairs, precision, recall
and the process's peak resident memory. Results, with the command, are in
docs/performance.md (section "Matching").

    TIMELINE_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/bench_match.py   # 3 x 300,000
    .venv/bin/python benchmarks/bench_match.py --events 30000
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd

from timeline.matching.core import Dimension, MatchSettings, Out, R, match

TYPES = np.array(["drone_attack", "missile_strike", "shelling", "armed_clash", "air_strike", "protest"])
GROUPS = {"drone_attack": "strike", "missile_strike": "strike", "shelling": "strike", "air_strike": "strike",
          "armed_clash": "military", "protest": "civil"}  # fmt: skip
JITTER_KM = 3.0
SETTINGS = MatchSettings(km=5.0, days=1.0, time_rule="overlap", selection="best")
TAXONOMY = (Dimension("type", ("t", "g")),)


def fresh(rng: np.random.Generator, n: int, first_id: int) -> pd.DataFrame:
    start = rng.integers(0, 365, n)
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


def sources(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = fresh(rng, n, 0)
    b_copies = copies(rng, a, 0.4)
    b_new = fresh(rng, n - len(b_copies), n)
    b = pd.concat([b_copies, b_new])
    c_copies = pd.concat([copies(rng, a, 0.3), copies(rng, b_new, 0.2)])
    c = pd.concat([c_copies, fresh(rng, n - len(c_copies), 3 * n)])
    frames = []
    for name, frame in (("a", a), ("b", b), ("c", c)):
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        frame[R.SOURCE] = name
        frame[R.REPORT] = [f"{name}{i}" for i in range(len(frame))]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out[R.EPISODE] = False
    out["g"] = out["t"].map(GROUPS)
    return out


def pairs(groups: pd.Series) -> int:
    sizes = groups.value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300_000, help="events per source (default 300,000)")
    args = parser.parse_args()
    data = sources(args.events)
    began = time.perf_counter()
    result = match(data.drop(columns="truth"), TAXONOMY, SETTINGS)
    seconds = time.perf_counter() - began
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
                "true_pairs": actual,
                "found_pairs": predicted,
                "precision": round(true_pos / predicted, 4) if predicted else None,
                "recall": round(true_pos / actual, 4) if actual else None,
                "peak_rss_mb": round(peak_mb),
                "summary": {k: v for k, v in result.summary.items() if k != "overlap"},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
