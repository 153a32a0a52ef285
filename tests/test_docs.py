"""docs/schema.md must describe the schema and taxonomy the code defines."""

from timeline import schema, taxonomy

from conftest import ROOT

DOC = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")


def test_every_column_is_documented_with_its_type():
    for f in schema.FIELDS:
        assert f"| `{f.col}` | `{schema.ARROW_TYPES[f.kind]}` |" in DOC


def test_every_event_type_is_documented_with_its_colour_and_mappings():
    for t in taxonomy.EVENT_TYPES:
        row = f"| `{t.key}` | {t.label} | {t.group} | `{t.colour}` | {t.symbol} | {', '.join(t.acled) or '-'} | {', '.join(t.cameo) or '-'} |"
        assert row in DOC


def test_units_precisions_and_confidences_are_documented():
    for key in (*taxonomy.COUNT_UNITS, *taxonomy.PRECISIONS, *taxonomy.CONFIDENCES):
        assert f"`{key}`" in DOC
