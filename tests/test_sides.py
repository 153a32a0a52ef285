"""The actor-to-side table: validated, used by the ACLED and UCDP importers, unknown stays
unknown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain import sides
from timeline.domain.schema import Col
from timeline.storage import store

from conftest import ROOT

runner = CliRunner()
FIXTURES = ROOT / "tests" / "fixtures" / "import"


def test_bundled_table_is_valid():
    assert sides.parse(sides.TABLE) == sides.rules()


@pytest.mark.parametrize(
    ("actor", "source", "side"),
    [
        ("Military Forces of Russia (2000-)", "acled", "RUS"),
        ("Military Forces of Russia (2000-) Air Force", "acled", "RUS"),
        ("Police Forces of Ukraine (2019-)", "acled", "UKR"),
        ("Military Forces of Belarus (1994-)", "acled", "BLR"),
        ("Government of Russia (Soviet Union)", "ucdp", "RUS"),
        ("Government of Ukraine", "ucdp", "UKR"),
        ("Unidentified Armed Group (Ukraine)", "acled", None),
        ("Unidentified Military Forces", "acled", None),
        ("Wagner Group", "acled", None),  # no row: unknown, never guessed
        ("Civilians (Ukraine)", "acled", "UKR"),
        ("Civilians (Ukraine)", "ucdp", None),  # that row is ACLED's only
    ],
)
def test_side_of(actor: str, source: str, side: str | None):
    assert sides.side_of(actor, source) == side


def test_launching_joins_several_actors():
    cells = pd.Series(
        ["Military Forces of Russia (2000-);Unidentified Armed Group (Ukraine)", "Wagner Group", None]
    )
    assert sides.launching(cells, "acled", split=";").tolist() == ["RUS", pd.NA, pd.NA]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("*,Someone,exact,XXX,", "row 2: side 'XXX' is not an ISO 3166-1 alpha-3 code"),
        ("*,Someone,fuzzy,RUS,", "row 2: match 'fuzzy' must be one of exact, regex"),
        ("*,Someone (,regex,RUS,", "row 2: actor 'Someone (' is not a regular expression"),
        ("*,Someone,exact,{country},", "row 2: side {country} needs a regex actor"),
        (",Someone,exact,RUS,", "row 2: source and actor must not be empty"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, row: str, message: str):
    path = tmp_path / "sides.csv"
    path.write_text(f"source,actor,match,side,note\n{row}\n", encoding="utf-8")
    with pytest.raises(sides.SidesError, match=message.replace("(", r"\(").replace("{", r"\{")):
        sides.parse(path)


def test_a_row_listed_twice_is_named(tmp_path: Path):
    path = tmp_path / "sides.csv"
    path.write_text("source,actor,match,side,note\n*,A,exact,RUS,\n*,A,exact,UKR,\n", encoding="utf-8")
    with pytest.raises(sides.SidesError, match="row 3: actor 'A' of source '\\*' is listed twice"):
        sides.parse(path)


def test_ucdp_clash_has_no_guessed_initiator(tmp_path: Path):
    """State-based dyads have no direction: the government (side A) is not the attacker."""
    out = tmp_path / "ucdp.parquet"
    result = runner.invoke(
        app, ["import", "--format", "ucdp", str(FIXTURES / "ucdp_ged_messy.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = store.load(out)
    clashes = rows[rows[Col.EVENT_TYPE] == "armed_clash"]
    assert len(clashes) > 0
    assert all(len(v) == 0 for v in clashes[Col.INITIATOR_COUNTRIES])
    assert all("RUS" in v and "UKR" in v for v in clashes[Col.COUNTRIES])  # the parties stay


def test_acled_actor1_side_from_the_table(tmp_path: Path):
    out = tmp_path / "acled.parquet"
    result = runner.invoke(
        app, ["import", "--format", "acled", str(FIXTURES / "acled_messy.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = store.load(out)
    for actors, initiators in zip(rows[Col.ACTORS], rows[Col.INITIATOR_COUNTRIES], strict=True):
        first = sides.side_of(actors[0], "acled")
        assert list(initiators) == ([first] if first else [])
