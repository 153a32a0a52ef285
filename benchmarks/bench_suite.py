"""Benchmark the test suite's use of the machine: the CPU of every process the run starts,
Chromium's and the JVMs' included, per xdist worker, against the cores' time it had.

    .venv/bin/python benchmarks/bench_suite.py                         # `pytest`, as .ci/run runs it
    .venv/bin/python benchmarks/bench_suite.py -- -m "not e2e" -x      # other pytest arguments

`/usr/bin/time` (the "Percent of CPU" of a CI log) adds only the CPU of processes that were
waited for, up the chain to pytest: the Streamlit servers and `timeline` commands, but not the
browsers Playwright's driver starts nor PySpark's JVM, which Python never reaps. In the browser
and Spark tests those are most of the work, so a run that keeps both cores busy can read as
"106 %". This reads `/proc` every `--every` seconds instead: each process's CPU (its own, and
its reaped children's) under pytest, per worker tree; and the machine's own counters, so the
CPU of everything else on the machine is given beside it. It prints every `--report` seconds
and at the end: wall, the CPU `/usr/bin/time` would report, the CPU of the whole tree, the
share of the cores' time the run used and the machine's idle share. Short-lived processes
that end between two reads and are not reaped by a process of the tree are missed, so the
tree's CPU is a lower bound. It is a benchmark, not a test: nothing here asserts a time.
Results: docs/performance.md ("The test suite: parallel workers").
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HZ = os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, start time, CPU s of the process and of its reaped children)."""
    found: dict[int, tuple[int, str, float]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:  # ended while listed
            continue
        cpu = sum(int(f) for f in fields[11:15]) / HZ  # utime, stime, cutime, cstime
        found[int(name)] = (int(fields[1]), fields[19], cpu)
    return found


def machine() -> tuple[float, float]:
    """The machine's busy and idle CPU seconds since boot (all cores; idle includes I/O wait)."""
    with open("/proc/stat") as fh:
        ticks = [int(t) for t in fh.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / HZ, idle / HZ


class Tree:
    """The CPU of every process under `root`, labelled by the root's child it descends from
    (an xdist worker). A process's last reading is kept after it ends; once its parent has
    been read after that, the parent's reaped-children CPU holds it and it is not counted again."""

    def __init__(self, root: int) -> None:
        self.root = root
        # (pid, start time) -> [label, parent's key, CPU at the last reading, when read, ended at]
        self.seen: dict[tuple[int, str], list] = {}

    def read(self) -> None:
        now = time.monotonic()
        procs = processes()
        children = sorted(pid for pid, (parent, _, _) in procs.items() if parent == self.root)
        labels = {pid: f"gw{i}" for i, pid in enumerate(children)}
        for pid, (parent, started, cpu) in procs.items():
            label, at, steps = None, pid, 0
            while at in procs and steps < 64:
                if at in labels or at == self.root:
                    label = labels.get(at, "pytest")
                    break
                at, steps = procs[at][0], steps + 1
            if label is not None:
                parent_key = (parent, procs[parent][1]) if parent in procs else None
                self.seen[(pid, started)] = [label, parent_key, cpu, now, None]
        for key, entry in self.seen.items():
            if entry[4] is None and (key[0] not in procs or procs[key[0]][1] != key[1]):
                entry[4] = now

    def by_label(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for label, parent_key, cpu, _, ended in self.seen.values():
            parent = self.seen.get(parent_key) if parent_key else None
            if ended is not None and parent is not None and parent[3] >= ended:
                continue  # inside its parent's reaped-children CPU
            totals[label] = totals.get(label, 0.0) + cpu
        return totals


def reaped_cpu() -> float:
    """What `/usr/bin/time` reports: this process's reaped children (pytest and what it waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(tree: Tree, began: float, busy0: float, idle0: float, cores: int) -> str:
    wall = time.monotonic() - began
    busy, idle = machine()
    labels = tree.by_label()
    mine = max(sum(labels.values()), reaped_cpu())
    share = mine / (cores * wall) if wall else 0.0
    others = max(0.0, (busy - busy0) - mine)
    parts = " ".join(f"{k} {v:.0f}" for k, v in sorted(labels.items()))
    return (
        f"wall {wall:.0f} s | CPU s: /usr/bin/time would say {reaped_cpu():.0f}, the run's processes "
        f"{mine:.0f} ({parts}) = {100 * share:.0f} % of {cores} cores | rest of the machine "
        f"{others:.0f} | idle {idle - idle0:.0f} | load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--every", type=float, default=1.0, help="seconds between reads of /proc")
    parser.add_argument("--report", type=float, default=60.0, help="seconds between progress lines")
    parser.add_argument("pytest_args", nargs="*", help="after `--`: pytest's arguments")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    busy0, idle0 = machine()
    began = time.monotonic()
    command = [sys.executable, "-m", "pytest", *args.pytest_args]
    print(" ".join(command), f"(load {os.getloadavg()[0]:.1f})", flush=True)
    proc = subprocess.Popen(command, cwd=ROOT)
    tree, last = Tree(proc.pid), began
    while proc.poll() is None:
        tree.read()
        if time.monotonic() - last >= args.report:
            print(report(tree, began, busy0, idle0, cores), file=sys.stderr, flush=True)
            last = time.monotonic()
        time.sleep(args.every)
    print(report(tree, began, busy0, idle0, cores), flush=True)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
