"""Crash injection: writers killed with SIGKILL at random moments, and at each step of a write.

A writer is the real `timeline append` or `timeline import --into`, run in a process forked
from a "zygote" that has imported everything once (so a trial costs a fork, not a Python
start-up). The test kills it once it has run a random share of the CPU time a whole write
takes (read from /proc/<pid>/schedstat, so a busy machine that slows the writer down does not
move the moment of the kill within the write, as a wall-clock delay would), then checks what a
user would: the dataset loads, it holds the old rows or the old and all the
new rows (never some of them), its backup loads, and the next append removes the temp file the
killed writer left and says so.

TIMELINE_CRASH_TRIALS sets the number of random trials (default 32, spread over append and
import on a small and a medium file); TIMELINE_CRASH_SEED makes a run repeatable.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from timeline import synth
from timeline.domain.schema import Col
from timeline.storage import store
from timeline.storage.locking import pid_running

from conftest import CURATED, ROOT, frame, make_row

pytestmark = pytest.mark.slow  # real writers killed at random moments

TRIALS = int(os.environ.get("TIMELINE_CRASH_TRIALS", "32"))
SEED = int(os.environ.get("TIMELINE_CRASH_SEED", str(random.randrange(1_000_000))))
ACLED = ROOT / "tests" / "fixtures" / "import" / "acled_messy.csv"

ZYGOTE = textwrap.dedent(
    """
    import json, os, signal, sys, traceback
    from pathlib import Path
    import timeline.cli.main, timeline.storage.history, timeline.cli.importing, timeline.storage.store  # imported once, before forking

    def warm_up(folder):
        # One whole append and import here, so that every fork starts with the imports and the
        # validator's schema that the first write of a process pays for.
        rows = Path(folder) / "warm-up.json"
        data = Path(folder) / "warm-up.parquet"
        rows.write_text(json.dumps([{"event_id": "w", "date_start": "2024-11-01", "date_end": "2024-11-01",
            "date_precision": "day", "event_type": "meeting", "title": "T", "actors": [], "countries": [],
            "confidence": "reported", "source_outlet": "O"}]))
        timeline.cli.main.app(["append", str(rows), "--data", str(data), "--create"], standalone_mode=False)
        timeline.cli.main.app(["import", "--format", "acled", sys.argv[2], "--into", str(data),
                          "--rejects", str(Path(folder) / "warm-up.rejected.csv")], standalone_mode=False)

    saved = os.dup(1)
    os.dup2(2, 1)  # the warm-up's output is not a reply
    warm_up(sys.argv[1])
    os.dup2(saved, 1)
    print("ready", flush=True)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def inject(point):
        # Die at a named step of a write, to cover each window deterministically.
        store = timeline.storage.store
        if point == "after-temp-written":
            real = store._keep_backup
            store._keep_backup = lambda path: die()
        elif point == "after-backup":
            real_replace = os.replace
            def replace(src, dst):
                if str(dst).endswith(".parquet"):
                    die()
                return real_replace(src, dst)
            store.os.replace = replace
        elif point == "after-rename":  # the dataset's rename (not a change log rows file's)
            temps = timeline.storage.tempfiles  # the one atomic write's home
            real_fsync_dir = temps.fsync_dir
            temps.fsync_dir = lambda folder: real_fsync_dir(folder) if folder.name.endswith(timeline.storage.history.ROWS_SUFFIX) else die()
        elif point == "during-fsync":
            store.os.fsync = lambda fd: die()

    for line in sys.stdin:
        job = json.loads(line)
        if job["do"] == "reap":
            _, status, usage = os.wait4(job["pid"], 0)
            print(json.dumps({"status": status, "cpu": usage.ru_utime + usage.ru_stime}), flush=True)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                sys.stdin.close()
                os.dup2(2, 1)  # the command's output must not mix with the replies on stdout
                if job.get("inject"):
                    inject(job["inject"])
                try:
                    timeline.cli.main.app(job["args"], standalone_mode=False)
                except SystemExit as err:
                    os._exit(err.code or 0)
                os._exit(0)
            except BaseException:
                traceback.print_exc()
                os._exit(3)
        print(json.dumps({"pid": pid}), flush=True)
    """
)


class Zygote:
    """A Python process with timeline imported, forking one writer per job. A killed writer
    stays a zombie until `reap`, so its pid cannot be reused by an unrelated process before
    the test's SIGKILL reaches it."""

    def __init__(self, folder: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(folder), str(ACLED)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        assert self.proc.stdout.readline().strip() == "ready"

    def _ask(self, job: dict) -> dict:
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def start(self, args: list[str], inject: str | None = None) -> int:
        return self._ask({"do": "run", "args": args, "inject": inject})["pid"]

    def reap(self, pid: int) -> int:
        return self._ask({"do": "reap", "pid": pid})["status"]

    def run(self, args: list[str], inject: str | None = None) -> tuple[int, float]:
        """Run a writer to its end: its wait status and the CPU seconds it used."""
        reply = self._ask({"do": "reap", "pid": self.start(args, inject)})
        return reply["status"], reply["cpu"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zygote(scratch: Path):
    z = Zygote(scratch)
    yield z
    z.close()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory):
    """A folder for the trials: on /dev/shm when there is one. A SIGKILL loses no page cache,
    so the file system does not change what is tested; it only spares each trial the slow
    fsyncs of a virtual disk. (Power loss is another matter: docs/reliability.md.)"""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="timeline-crash-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("crash")


@dataclass
class Setup:
    """One kind of write: the dataset before, the command, the ids a whole write adds."""

    name: str
    original: Path
    rows: Path
    old: frozenset[str]
    added: frozenset[str]
    cpu: float
    """CPU seconds of a whole write (user and system), the range a random kill is drawn from."""


def _temps(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def setups(zygote: Zygote, scratch: Path) -> list[Setup]:
    medium = scratch / "medium.parquet"
    synth.write(10_000, medium, seed=3)
    small = scratch / "small.parquet"
    shutil.copy(CURATED, small)
    rows = scratch / "rows.json"
    rows.write_text(
        json.dumps(
            [
                make_row(event_id=f"crash-row-{i}", actors=[f"Crash Actor {i}"], date_start="2024-11-25")
                for i in range(25)
            ]
        )
    )
    found = []
    for size, original in (("small", small), ("medium", medium)):
        for kind in ("append", "import"):
            work = scratch / f"ref-{size}-{kind}" / "events.parquet"
            work.parent.mkdir()
            shutil.copy(original, work)
            args = _args(kind, work, rows)
            status, cpu = zygote.run(args)
            assert status == 0, f"reference {kind} on the {size} file failed"
            old = frozenset(store.load(original)[Col.EVENT_ID])
            added = frozenset(store.load(work)[Col.EVENT_ID]) - old
            assert added
            found.append(Setup(f"{kind}-{size}", original, rows, old, added, cpu))
    return found


def _args(kind: str, data: Path, rows: Path) -> list[str]:
    if kind == "append":
        return ["append", str(rows), "--data", str(data)]
    return [
        "import",
        "--format",
        "acled",
        str(ACLED),
        "--into",
        str(data),
        "--rejects",
        str(data.parent / "rejected.csv"),
    ]


def _check_after_kill(setup: Setup, work: Path, label: str) -> None:
    """The file loads with the old rows or the old and all the new; its backup loads; the next
    append removes the killed writer's temp file and says so."""
    old = setup.old
    ids = store.load(work)[Col.EVENT_ID]
    assert ids.is_unique, label
    assert set(ids) in (old, old | setup.added), (
        f"{label}: {len(set(ids) - old)} of {len(setup.added)} new rows"
    )
    backup = store.backup_path(work)
    if backup.exists():
        assert set(store.load(backup)[Col.EVENT_ID]) in (old, old | setup.added), label
    left = _temps(work.parent, work.name)
    result = store.append(
        work, frame(make_row(event_id="after-the-crash", actors=["Later"])), warn_duplicates=False
    )
    assert _temps(work.parent, work.name) == [], f"{label}: temp files left after the next append"
    for temp in left:
        assert any(f"removed the abandoned temp file {temp}" in w for w in result.warnings), (
            label,
            result.warnings,
        )
    assert set(store.load(work)[Col.EVENT_ID]) - set(ids) == {"after-the-crash"}


def _cpu_used(pid: int) -> float | None:
    """CPU seconds a running process's threads have used so far (nanoseconds in
    /proc/<pid>/task/<tid>/schedstat); None once it has exited."""
    if not pid_running(pid):
        return None
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(task.read_text().split()[0])
        except (OSError, ValueError, IndexError):  # a thread that just ended
            continue
    return total / 1e9


def _kill_after_cpu(pid: int, cpu: float) -> None:
    """SIGKILL the writer once it has used `cpu` seconds of CPU, or when it has exited."""
    if not Path("/proc/self/schedstat").exists():  # no per-process CPU clock: wall time instead
        time.sleep(cpu)
    else:
        # The writer cannot use more CPU than its threads have cores for while this process
        # sleeps, so sleeping for the CPU still to go, shared by the cores, never overshoots.
        while (used := _cpu_used(pid)) is not None and used < cpu:
            time.sleep(max((cpu - used) / len(os.sched_getaffinity(0)), 0.0005))
    os.kill(pid, signal.SIGKILL)  # a zombie if it already finished: never another process


def _trial(zygote: Zygote, setup: Setup, work: Path, cpu: float | None, inject: str | None = None) -> str:
    """One write into a fresh copy of the dataset, killed after `cpu` CPU seconds (None: not
    killed by the test; an injected fault may kill it)."""
    shutil.copy(setup.original, work)
    for stale in [store.backup_path(work), *_temps(work.parent, work.name)]:
        stale.unlink(missing_ok=True)
    args = _args(setup.name.split("-")[0], work, setup.rows)
    pid = zygote.start(args, inject)
    if cpu is not None:
        _kill_after_cpu(pid, cpu)
    status = zygote.reap(pid)
    return "killed" if os.WIFSIGNALED(status) else f"exit {os.waitstatus_to_exitcode(status)}"


# The suite's 300 s per test (pyproject.toml) counts this test's module setup too: a busy
# 2-core machine (load average 15 to 30) once took 42 s to set up and 258 s for the 32 trials,
# and the limit failed a test that was only slow. Each trial costs about one CPU second, so
# its limit grows with the trials; a hung writer is still caught.
@pytest.mark.timeout(300 + 30 * TRIALS)
def test_writers_killed_at_random_moments_leave_old_or_old_and_new_rows(
    zygote: Zygote, setups: list[Setup], scratch: Path
):
    rng = random.Random(SEED)
    outcomes: dict[str, list[str]] = {s.name: [] for s in setups}
    for trial in range(TRIALS):
        setup = setups[trial % len(setups)]
        work = scratch / f"trial-{trial}" / "events.parquet"
        work.parent.mkdir()
        cpu = rng.uniform(0, setup.cpu * 1.2)
        outcome = _trial(zygote, setup, work, cpu)
        outcomes[setup.name].append(outcome)
        label = f"{setup.name} trial {trial} (seed {SEED}, killed after {cpu:.3f} of {setup.cpu:.3f} CPU s: {outcome})"
        _check_after_kill(setup, work, label)
        shutil.rmtree(work.parent)
    assert sum(o == "killed" for runs in outcomes.values() for o in runs) >= TRIALS // 3, outcomes


@pytest.mark.parametrize("point", ["during-fsync", "after-temp-written", "after-backup", "after-rename"])
@pytest.mark.parametrize("kind", ["append-medium", "import-small"])
def test_a_writer_killed_at_each_step_of_a_write(
    zygote: Zygote, setups: list[Setup], scratch: Path, point: str, kind: str
):
    setup = next(s for s in setups if s.name == kind)
    work = scratch / f"{kind}-{point}" / "events.parquet"
    work.parent.mkdir()
    assert _trial(zygote, setup, work, None, inject=point) == "killed"
    if point in ("during-fsync", "after-temp-written", "after-backup"):
        assert _temps(work.parent, work.name), "the killed writer should have left its temp file"
        assert set(store.load(work)[Col.EVENT_ID]) == setup.old
    else:  # renamed: the new version is in place
        assert setup.added <= set(store.load(work)[Col.EVENT_ID])
    _check_after_kill(setup, work, f"{kind} killed {point}")
    shutil.rmtree(work.parent)
