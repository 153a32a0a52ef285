"""Rebuild data/events.parquet from the cited sources, through the maintainers' own path.

    python scripts/build_curated.py [--sources ../shared/sources] [--out data/events.parquet]

Facts (dates, counts, actors, places, sources, confidence) come from the fact sheet
`facts_2024.csv`; titles, summaries, key-event labels and the seed article's date phrases come
from `data/curation/editorial.toml`, written in this project's own words. Who acted
(`initiator_countries`) is the fact sheet's first country unless editorial.toml says
otherwise; places without coordinates are geocoded with the offline gazetteer at the
precision it supports. The rows are written
to a CSV and appended with `timeline append` into a new file, which then replaces the
dataset, so the bundled data passes exactly the validation a maintainer's append does.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from datetime import date
from pathlib import Path

from timeline.domain import gazetteer
from timeline.domain.dates import resolve_phrase
from timeline.domain.schema import COLUMNS, Col

ROOT = Path(__file__).resolve().parent.parent
SEED_PUBLISHED = date(2024, 11, 27)
SEED_OUTLET = "Korea JoongAng Daily"

# The fact sheet's `people` unit means killed plus wounded (its README).
UNIT_MAP = {"people": "casualties"}
NUMBER_WORDS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six"}


def _digits_in(text: str) -> set[str]:
    return {m.replace(",", "") for m in re.findall(r"\d[\d,]*", text)}


def initiators(fact: dict[str, str], text: dict[str, object]) -> str:
    """Who acted: the fact sheet lists the acting party's country first (the side that
    launched a strike, the host or the speaker); `initiator` in editorial.toml overrides it
    where the first country does not say it (the G7's statement is the G7's)."""
    chosen = text.get("initiator") or fact["countries"].split(";")[:1]
    return ";".join(chosen)


def place(fact: dict[str, str]) -> dict[Col, str]:
    """Coordinates and their precision from the gazetteer for a named place; the fact sheet's
    own coordinates (a city centre) are kept, at precision 1. A village the gazetteer lacks
    falls back to its region (precision 3), the note says so, and the build prints it."""
    found = gazetteer.lookup(fact["location"]) if fact["location"] else None
    if fact["latitude"]:
        area = found.area_code if found and found.precision == 1 else ""
        return {Col.LATITUDE: fact["latitude"], Col.LONGITUDE: fact["longitude"], Col.GEO_PRECISION: "1",
                Col.AREA_CODE: area or ""}  # fmt: skip
    if found is None:
        return {Col.LATITUDE: "", Col.LONGITUDE: "", Col.GEO_PRECISION: "", Col.AREA_CODE: ""}
    if found.note:
        print(f"{fact['event_id']}: {found.note}")
    area = found.area_code if found.precision in (3, 4) or found.area_code else ""
    return {
        Col.LATITUDE: f"{found.latitude:.4f}",
        Col.LONGITUDE: f"{found.longitude:.4f}",
        Col.GEO_PRECISION: str(found.precision),
        Col.AREA_CODE: area or "",
    }


def curated_rows(facts_csv: Path, editorial_toml: Path) -> list[dict[str, str]]:
    """Fact-sheet rows joined with our editorial text, as append-ready CSV rows."""
    editorial = tomllib.loads(editorial_toml.read_text(encoding="utf-8"))
    with facts_csv.open(encoding="utf-8", newline="") as fh:
        facts = list(csv.DictReader(fh))
    missing = [r["event_id"] for r in facts if r["event_id"] not in editorial]
    extra = sorted(set(editorial) - {r["event_id"] for r in facts})
    if missing or extra:
        sys.exit(f"editorial.toml out of step with the fact sheet: missing {missing}, extra {extra}")
    rows = []
    for fact in facts:
        text = editorial[fact["event_id"]]
        count, unit = fact["count_launched"], UNIT_MAP.get(fact["count_unit"], fact["count_unit"])
        other = fact["count_other"]
        if other and not count and unit == "casualties":
            count, other = other, ""  # a casualty figure is the row's headline number
        if other and other not in _digits_in(text["summary"]):
            sys.exit(f"{fact['event_id']}: count_other {other} has no column; the summary must state it")
        intercepted = fact["count_intercepted"]
        if intercepted and not count:
            # A share of an unknown total is not a count (validation refuses it): the summary says it.
            if not re.search(
                rf"\b({intercepted}|{NUMBER_WORDS.get(intercepted, '-')})\b", text["summary"], re.I
            ):
                sys.exit(
                    f"{fact['event_id']}: {intercepted} intercepted of no count; the summary must state it"
                )
            intercepted = ""
        rows.append(
            {
                Col.EVENT_ID: fact["event_id"],
                Col.DATE_START: fact["date_start"],
                Col.DATE_END: fact["date_end"],
                Col.DATE_PRECISION: fact["date_precision"],
                Col.DATE_TEXT: text.get("date_text", ""),
                Col.EVENT_TYPE: fact["event_type"],
                Col.TITLE: text["title"],
                Col.SUMMARY: text["summary"],
                Col.KEY_LABEL: text.get("key", ""),
                Col.ACTORS: fact["actors"],
                Col.COUNTRIES: fact["countries"],
                Col.INITIATOR_COUNTRIES: initiators(fact, text),
                Col.LOCATION: fact["location"],
                **place(fact),
                Col.COUNT: count,
                Col.COUNT_UNIT: unit,
                Col.INTERCEPTED: intercepted,
                Col.WEAPON: fact["weapon"],
                Col.CONFIDENCE: fact["confidence"],
                Col.SOURCE_OUTLET: fact["source_outlet"],
                Col.SOURCE_URL: fact["source_url"],
                Col.SOURCE_PUBLISHED: fact["source_published"],
                Col.OTHER_SOURCES: fact["second_source_url"],
                Col.DATASET: "curated",
            }
        )
    return rows


def seed_date_notes(rows: list[dict[str, str]]) -> list[str]:
    """How each seed-article phrase resolves, and where another source pins the day."""
    notes = []
    for row in rows:
        phrase = row[Col.DATE_TEXT]
        if not phrase:
            continue
        resolved = resolve_phrase(phrase, SEED_PUBLISHED)
        stored = (row[Col.DATE_START], row[Col.DATE_END], row[Col.DATE_PRECISION])
        honest = (resolved.start.isoformat(), resolved.end.isoformat(), resolved.precision)
        if stored == honest:
            notes.append(f"{row[Col.EVENT_ID]}: {phrase!r} -> {stored[0]}..{stored[1]} ({stored[2]})")
        else:
            notes.append(
                f"{row[Col.EVENT_ID]}: {phrase!r} alone means {honest[0]}..{honest[1]} ({honest[2]}); "
                f"the fact sheet pins {stored[0]}..{stored[1]} ({stored[2]}) from another source"
            )
    return notes


def build(sources: Path, out: Path) -> None:
    rows = curated_rows(sources / "facts_2024.csv", ROOT / "data" / "curation" / "editorial.toml")
    for note in seed_date_notes(rows):
        print(note)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        rows_csv = Path(tmp) / "curated_rows.csv"
        with rows_csv.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[c for c in COLUMNS if c != Col.ADDED_AT])
            writer.writeheader()
            writer.writerows({str(k): v for k, v in row.items()} for row in rows)
        fresh = Path(tmp) / "events.parquet"
        command = [sys.executable, "-m", "timeline.cli.main", "append", str(rows_csv), "--data", str(fresh)]
        command.append("--create")  # a new file: creating a dataset is always explicit
        subprocess.run(command, check=True)
        os.replace(fresh, out)
    print(f"wrote {len(rows)} curated events to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=Path, default=ROOT.parent / "shared" / "sources")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "events.parquet")
    args = parser.parse_args()
    if not (args.sources / "facts_2024.csv").exists():
        sys.exit(f"{args.sources}/facts_2024.csv not found: pass --sources")
    build(args.sources, args.out)


if __name__ == "__main__":
    main()
