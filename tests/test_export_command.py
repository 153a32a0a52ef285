"""`timeline export` on good and bad flags."""

import io
import struct
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.export import images as export_images

from conftest import CURATED, require_chromium

runner = CliRunner()
NOVEMBER = ["--type", "drone_attack", "--from", "2024-11-01", "--to", "2024-11-30", "--data", str(CURATED)]


def run(*args: str):
    return runner.invoke(app, ["export", *args])


def test_a_briefing_pack_in_one_call(tmp_path: Path):
    require_chromium()
    out = tmp_path / "pack"
    result = run(*NOVEMBER, "--chart", "timeline", "--chart", "counts", "--format", "png", "--format", "svg",
                 "--size", "slide-16x9", "--size", "square", "--format", "csv", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            f"{c}-{s}.{f}"
            for c in ("timeline", "counts")
            for s in ("slide-16x9", "square")
            for f in ("png", "svg")
        ]
        + ["events.csv"]
    )
    assert struct.unpack(">II", (out / "counts-square.png").read_bytes()[16:24]) == (1080, 1080)
    rows = pd.read_csv(io.StringIO((out / "events.csv").read_text()), comment="#")
    assert sorted(rows["event_id"]) == [
        "2024-11-10-ru-drone-attack-ua",
        "2024-11-24-ru-drone-attack-ua",
        "2024-11-25-ru-drone-attack-ua",
    ]


def test_single_output_to_a_file_with_custom_title(tmp_path: Path):
    require_chromium()
    target = tmp_path / "night.svg"
    result = run(*NOVEMBER, "--format", "svg", "--title", "The 188-drone night", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert "The 188-drone night" in target.read_text()


def test_filters_from_a_dashboard_link(tmp_path: Path):
    link = "http://localhost:8501/?type=drone_attack&from=2024-11-01&to=2024-11-30&lanes=country"
    result = run(
        "--view", link, "--format", "parquet", "--data", str(CURATED), "--out", str(tmp_path / "e.parquet")
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(tmp_path / "e.parquet", columns=["event_id"])) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chart", "pie"], "--chart pie: choose from timeline, counts, map"),
        (["--format", "gif"], "--format gif: choose from png, svg, pdf, html, csv, xlsx, parquet"),
        (["--size", "poster"], "--size poster"),
        (["--from", "2024-13-01"], "from='2024-13-01' is not a date"),
        (["--type", "drone_strike"], "type='drone_strike' is not a known event type"),
        (["--min-count", "-4"], "min_count='-4' is not a whole number"),
        (["--from", "2024-12-01", "--to", "2024-11-01"], "is after to=2024-11-01"),
        (["--format", "png", "--format", "csv"], "2 files to write, so --out must be a folder"),
    ],
)
def test_bad_flags_exit_2_and_write_nothing(tmp_path: Path, args: list[str], message: str):
    out = tmp_path / "out.png"
    result = run(*args, "--data", str(CURATED), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_no_match_is_an_error(tmp_path: Path):
    result = run(
        "--q",
        "no-such-words-anywhere",
        "--format",
        "csv",
        "--data",
        str(CURATED),
        "--out",
        str(tmp_path / "e.csv"),
    )
    assert result.exit_code == 1 and "no events match" in result.stderr


def test_without_chromium_images_fail_clearly_but_html_and_data_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(export_images, "find_chromium", lambda: None)
    result = run(*NOVEMBER, "--format", "png", "--out", str(tmp_path / "t.png"))
    assert result.exit_code == 1 and "apt-get install chromium" in result.stderr
    assert not (tmp_path / "t.png").exists()
    result = run(*NOVEMBER, "--format", "html", "--format", "xlsx", "--out", str(tmp_path / "pack"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == ["events.xlsx", "timeline.html"]


def test_exported_files_are_ordinary_files(tmp_path: Path):
    import os
    import stat

    target = tmp_path / "e.csv"
    assert run(*NOVEMBER, "--format", "csv", "--out", str(target)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
