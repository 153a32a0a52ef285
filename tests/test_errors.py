"""The `timeline` command's error boundary: one line for what the user can fix, a saved
report (not a traceback) for a bug, and the traceback only when asked for."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from timeline import stats
from timeline.cli.main import app
from timeline.domain import errors

from conftest import ROOT

runner = CliRunner()


def boom(*args, **kwargs):
    raise ZeroDivisionError("a bug in stats")


def test_a_bug_prints_one_line_and_saves_the_details(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(stats, "compute", boom)
    state = tmp_path / "state"
    result = runner.invoke(
        app, ["stats", str(dataset)], env={errors.STATE_ENV: str(state), errors.DEBUG_ENV: None}
    )
    assert result.exit_code == errors.INTERNAL_ERROR_EXIT
    assert "Traceback" not in result.output
    line = result.stderr.strip()
    assert line.startswith("error: internal error (ZeroDivisionError), please report it: details in ")
    report = Path(line.split("details in ")[1].split(" (run again")[0])
    assert report.parent == state / "timeline"
    text = report.read_text()
    assert "Traceback" in text and "a bug in stats" in text and "stats" in text.splitlines()[1]


@pytest.mark.parametrize("how", ["--debug", "env"])
def test_debug_shows_the_traceback(dataset: Path, monkeypatch: pytest.MonkeyPatch, how: str):
    monkeypatch.setattr(stats, "compute", boom)
    args = ["--debug", "stats", str(dataset)] if how == "--debug" else ["stats", str(dataset)]
    result = runner.invoke(app, args, env={errors.DEBUG_ENV: "1"} if how == "env" else None)
    assert isinstance(result.exception, ZeroDivisionError)  # raised through, for Python to print


@pytest.mark.slow  # real `timeline` processes
def test_at_the_real_entry_point_a_bug_has_no_traceback_unless_asked(dataset: Path, tmp_path: Path):
    script = (
        "import sys, timeline.stats as s\n"
        "def boom(*a): raise ZeroDivisionError('a bug')\n"
        "s.compute = boom\n"
        "from timeline.cli.main import main\n"
        "sys.argv = ['timeline', 'stats', sys.argv[1]]\n"
        "main()\n"
    )
    env = {"PATH": "/usr/bin:/bin", errors.STATE_ENV: str(tmp_path)}
    quiet = subprocess.run(
        [sys.executable, "-c", script, str(dataset)], capture_output=True, text=True, env=env
    )
    assert quiet.returncode == errors.INTERNAL_ERROR_EXIT
    assert "Traceback" not in quiet.stderr and "internal error (ZeroDivisionError)" in quiet.stderr
    loud = subprocess.run(
        [sys.executable, "-c", script, str(dataset)],
        capture_output=True,
        text=True,
        env={**env, errors.DEBUG_ENV: "1"},
    )
    assert loud.returncode == 1 and "Traceback" in loud.stderr and "ZeroDivisionError: a bug" in loud.stderr


def test_closing_the_output_early_is_quiet(dataset: Path):
    dump = subprocess.Popen(
        [sys.executable, "-m", "timeline.cli.main", "dump", str(ROOT / "data" / "events.parquet")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    dump.stdout.readline()
    dump.stdout.close()  # like `timeline dump | head -1`
    stderr = dump.stderr.read().decode()
    dump.wait()
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


@pytest.mark.parametrize(
    ("err", "line"),
    [
        (PermissionError(errno.EACCES, "Permission denied", "/etc/x.png"), "/etc/x.png: permission denied"),
        (
            PermissionError(errno.EACCES, "Permission denied", "/etc/.x.png.123.abcd.tmp"),
            "cannot write /etc/x.png: permission denied",
        ),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "f/x"), "f/x: a part of this path is a file"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/tmp"), "/tmp: is a folder, not a file"),
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on the device; free some space"),
        (OSError(errno.EROFS, "Read-only file system", "/mnt/x"), "/mnt/x: read-only file system"),
        (
            OSError(errno.ELOOP, "Too many levels", "a.parquet"),
            "a.parquet: too many levels of symbolic links",
        ),
        (MemoryError(), "out of memory"),
    ],
)
def test_expected_failures_are_one_line(err: BaseException, line: str):
    assert line in errors.describe(err)


def test_a_file_in_the_way_of_a_folder_is_named(tmp_path: Path):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    err = FileExistsError(errno.EEXIST, "File exists", str(blocker))
    assert errors.describe(err) == f"{blocker}: is a file, not a folder; choose another path"


def test_bugs_are_not_described():
    assert errors.describe(ZeroDivisionError()) is None
    assert errors.describe(KeyError("x")) is None
