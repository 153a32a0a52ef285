"""The storage promises of docs/reliability.md, each tested the way a user would notice a
broken one: symlinks written through, read-only files respected, a hard-linked backup, stale
temp files, a lock held too long, and a full disk (simulated, and a real tiny tmpfs)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.storage import locking, store

from conftest import ROOT, frame, make_row

runner = CliRunner()


def new_row(event_id: str = "brand-new-row") -> dict[str, object]:
    return make_row(event_id=event_id, actors=["Someone Else"])


def rows_file(tmp_path: Path, event_id: str = "brand-new-row") -> Path:
    import json

    path = tmp_path / f"{event_id}.json"
    path.write_text(json.dumps([new_row(event_id)]))
    return path


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def ids(path: Path) -> list[str]:
    return store.load(path)[Col.EVENT_ID].tolist()


# --- symlinks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", [False, True])
def test_a_symlinked_dataset_is_written_through(dataset: Path, tmp_path: Path, relative: bool):
    real = tmp_path / "store" / "events.parquet"
    real.parent.mkdir()
    dataset.rename(real)
    link = tmp_path / "link.parquet"
    link.symlink_to(os.path.relpath(real, link.parent) if relative else real)
    before = real.read_bytes()

    result = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(link)])

    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real  # the link stays a link ...
    assert "brand-new-row" in ids(real)  # ... and the file it points at got the row
    assert store.backup_path(real).read_bytes() == before  # backup and lock beside the target
    assert store.lock_path(real).exists() and not store.lock_path(link).exists()
    assert temp_files(real.parent) == [] and temp_files(tmp_path) == []


def test_a_dangling_symlink_is_not_a_dataset_until_created(tmp_path: Path):
    link = tmp_path / "link.parquet"
    link.symlink_to(tmp_path / "later" / "events.parquet")
    refused = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(link)])
    assert (
        refused.exit_code == 1 and "no such dataset file" in refused.stderr and "--create" in refused.stderr
    )
    created = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(link), "--create"])
    assert created.exit_code == 0, created.output
    assert link.is_symlink() and ids(tmp_path / "later" / "events.parquet") == ["brand-new-row"]


# --- file modes and the backup ----------------------------------------------------------------


def test_a_read_only_dataset_file_is_not_replaced(dataset: Path, tmp_path: Path):
    dataset.chmod(0o444)
    before = dataset.read_bytes()
    result = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(dataset)])
    assert result.exit_code == 1
    assert "read-only (mode 0444)" in result.stderr and f"chmod u+w {dataset}" in result.stderr
    assert dataset.read_bytes() == before and stat.S_IMODE(dataset.stat().st_mode) == 0o444
    assert temp_files(dataset.parent) == []


def test_a_backup_hard_linked_to_the_dataset_leaves_no_temp_file(dataset: Path):
    backup = store.backup_path(dataset)
    backup.unlink(missing_ok=True)
    os.link(dataset, backup)  # e.g. made by `cp -l` or an earlier tool
    before = dataset.read_bytes()
    store.append(dataset, frame(new_row()))
    assert temp_files(dataset.parent) == []
    assert backup.read_bytes() == before and "brand-new-row" in ids(dataset)
    store.append(dataset, frame(new_row("one-more")))  # and the next append moves it on
    assert "brand-new-row" in ids(backup) and temp_files(dataset.parent) == []


# --- stale temp files -------------------------------------------------------------------------


def test_abandoned_temp_files_are_removed_by_the_next_write_and_reported(dataset: Path, tmp_path: Path):
    gone = dead_pid()
    folder = dataset.parent
    abandoned = [f".events.parquet.{gone}.0badc0de.tmp", f".events.parquet.bak.{gone}.0badc0de.tmp"]
    alive = f".events.parquet.{os.getppid()}.0badc0de.tmp"  # a running process (a writer without the lock?)
    legacy = ".events.parquet.0badc0de.tmp"  # an older name: nothing proves it abandoned
    other = f".other.parquet.{gone}.0badc0de.tmp"  # another file's: not ours to touch
    for name in [*abandoned, alive, legacy, other]:
        (folder / name).write_bytes(b"half a parquet file")

    checked = runner.invoke(app, ["validate", str(dataset)])
    assert checked.exit_code == 0
    for name in [*abandoned, alive, legacy]:
        assert name in checked.stderr
    assert other not in checked.stderr

    result = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(dataset)])
    assert result.exit_code == 0, result.output
    assert temp_files(folder) == sorted([alive, legacy, other])
    assert all(f"removed the abandoned temp file {folder / name}" in result.stderr for name in abandoned)
    assert f"{folder / alive} (left by pid {os.getppid()}, still running)" in result.stderr
    assert "older temp file name" in result.stderr


# --- the lock ---------------------------------------------------------------------------------


HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.argv = ["timeline", "import", "--format", "acled", "big.csv", "--into", sys.argv[1]]
    from timeline.storage import store
    with store.locked(Path(sys.argv[-1])):
        print("held", flush=True)
        time.sleep(30)
    """
)


def test_a_lock_held_too_long_names_its_holder_and_what_to_do(dataset: Path, tmp_path: Path):
    before = dataset.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(dataset)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = runner.invoke(
            app,
            ["append", str(rows_file(tmp_path)), "--data", str(dataset)],
            env={locking.TIMEOUT_ENV: "1"},
        )
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = result.stderr
    assert "gave up after waiting 1 s" in message and str(store.lock_path(dataset)) in message
    assert f"pid {holder.pid}" in message and "timeline import --format acled big.csv" in message
    assert "Wait for it to finish" in message and locking.TIMEOUT_ENV in message
    assert waited < 10 and dataset.read_bytes() == before


def test_a_lock_recorded_by_a_dead_process_says_how_to_clear_it(dataset: Path, tmp_path: Path):
    import filelock

    lock = store.lock_path(dataset)
    gone = dead_pid()
    held = filelock.FileLock(str(lock))  # held, without a holder record of its own ...
    with held:
        holder = locking.Holder(
            gone, "someone", locking.Holder.me().host, "timeline append x.csv", "2026-01-01T00:00:00+00:00"
        )
        locking.holder_path(lock).write_text(__import__("json").dumps(holder.__dict__))  # ... but a stale one
        result = runner.invoke(
            app,
            ["append", str(rows_file(tmp_path)), "--data", str(dataset)],
            env={locking.TIMEOUT_ENV: "0.2"},
        )
    assert result.exit_code == 1
    assert f"pid {gone}" in result.stderr and "no longer running" in result.stderr
    assert f"delete {lock}" in result.stderr


def test_a_bad_lock_timeout_setting_is_named(dataset: Path, tmp_path: Path):
    result = runner.invoke(
        app, ["append", str(rows_file(tmp_path)), "--data", str(dataset)], env={locking.TIMEOUT_ENV: "soon"}
    )
    assert result.exit_code == 1 and "TIMELINE_LOCK_TIMEOUT='soon': not a number of seconds" in result.stderr


# --- a full disk ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["write", "fsync", "rename"])
def test_a_full_disk_leaves_the_dataset_backup_and_folder_as_they_were(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
):
    store.append(dataset, frame(new_row("first-append")))  # so that a backup exists
    backup = store.backup_path(dataset)
    before, backup_before = dataset.read_bytes(), backup.read_bytes()
    full = OSError(errno.ENOSPC, "No space left on device")

    if where == "write":

        def write_table(table, where, **kwargs):
            where.write(b"PAR1 part of a file")
            raise full

        monkeypatch.setattr(store.pq, "write_table", write_table)
    elif where == "fsync":
        monkeypatch.setattr(store.os, "fsync", lambda fd: (_ for _ in ()).throw(full))
    else:
        real_replace = os.replace

        def replace(src, dst):
            if Path(dst) == dataset.resolve():
                raise OSError(errno.ENOSPC, "No space left on device", str(src))
            real_replace(src, dst)

        monkeypatch.setattr(store.os, "replace", replace)

    result = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(dataset)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{dataset}: could not write the new version: no space left on the device" in result.stderr
    assert "The dataset is unchanged" in result.stderr
    assert dataset.read_bytes() == before
    assert backup.read_bytes() == backup_before or where == "rename"  # the rename is after the backup
    assert temp_files(dataset.parent) == []


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 1 MiB tmpfs, mounted for the test (skipped where mounting is not permitted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not permitted'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow  # a real full file system
def test_a_real_full_disk(tiny_disk: Path, dataset: Path, tmp_path: Path):
    path = tiny_disk / "events.parquet"
    path.write_bytes(dataset.read_bytes())
    before = path.read_bytes()
    filler = tiny_disk / "filler"
    free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
    filler.write_bytes(b"\0" * (free - len(before) // 2))  # less room than a new version needs

    result = subprocess.run(
        [sys.executable, "-m", "timeline.cli.main", "append", str(rows_file(tmp_path)), "--data", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "no space left on the device" in result.stderr and "The dataset is unchanged" in result.stderr
    assert path.read_bytes() == before
    assert temp_files(tiny_disk) == []
    filler.unlink()  # with room again, the same append goes through
    assert (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "timeline.cli.main",
                "append",
                str(rows_file(tmp_path)),
                "--data",
                str(path),
            ],
            cwd=ROOT,
        ).returncode
        == 0
    )
    assert "brand-new-row" in ids(path)


def test_a_read_only_file_system_is_named(tiny_disk: Path, dataset: Path, tmp_path: Path):
    path = tiny_disk / "events.parquet"
    path.write_bytes(dataset.read_bytes())
    if subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")
    result = runner.invoke(app, ["append", str(rows_file(tmp_path)), "--data", str(path)])
    assert result.exit_code == 1 and "read-only file system" in result.stderr
