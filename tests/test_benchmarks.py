"""Every benchmark in benchmarks/ still imports and parses its documented flags (they once
imported modules that had since been renamed, and no test noticed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BENCHMARKS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks():
    assert {p.stem for p in BENCHMARKS} >= {"bench_dashboard", "bench_export", "bench_browser"}


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.stem)
def test_a_benchmark_imports_and_explains_itself(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)  # every import at the top resolves
    finally:
        del sys.modules[spec.name]
    assert callable(getattr(module, "main", None))
    # `python benchmarks/bench_x.py --help`, in this process: a fresh interpreter per
    # benchmark cost 0.1-1.4 CPU s of imports that the exec above has just made.
    monkeypatch.setattr(sys, "argv", [str(path), "--help"])
    with pytest.raises(SystemExit) as done:
        module.main()
    assert done.value.code == 0, capsys.readouterr().err
    assert "usage:" in capsys.readouterr().out


def test_the_appended_row_of_bench_append_passes_the_rules():
    """bench_append's row once lacked a field the rules came to require, so every run failed."""
    import pandas as pd

    from timeline.domain.validation import check
    from timeline.storage import store

    spec = importlib.util.spec_from_file_location(
        "benchmark_append_row", ROOT / "benchmarks" / "bench_append.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    raw, _ = store.with_append_defaults(pd.DataFrame([module.one_row(0)], dtype=object))
    _, problems = check(raw)
    assert problems == []


def test_bench_click_names_the_runs_and_the_card_in_streamlits_messages():
    """bench_click splits a click by the server's messages: a run ended for the keyed rerun
    (`st.rerun([...])` in the pick's callback) must not read as the run's end, and the card's
    container is told by its place in the panel."""
    import base64

    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    spec = importlib.util.spec_from_file_location("benchmark_click", ROOT / "benchmarks" / "bench_click.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def wire(msg: ForwardMsg) -> str:
        return base64.b64encode(msg.SerializeToString()).decode()

    early, done = ForwardMsg(), ForwardMsg()
    early.script_finished = ForwardMsg.FINISHED_EARLY_FOR_RERUN
    done.script_finished = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    assert module.kind(wire(early)) == ("finished:2", "")
    assert module.kind(wire(done)) == ("finished:3", "")
    card = ForwardMsg()
    card.delta.add_block.flex_container.SetInParent()
    card.metadata.delta_path.extend([0, 2, 1, 0, 0, 2])
    assert module.kind(wire(card)) == ("flex_container", "0,2,1,0,0,2")
