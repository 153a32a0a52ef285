"""docs/schema.md must describe the schema and taxonomy the code defines."""

from timeline.domain import rowfiles, schema, taxonomy, validation

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


def test_text_limits_and_ranges_are_documented():
    for col, most in validation.MAX_LENGTH.items():
        items = f"{validation.MAX_ITEMS[col]:,}" if col in validation.MAX_ITEMS else "-"
        assert f"| `{col}` | {most:,} | {items} |" in DOC
    assert set(validation.MAX_LENGTH) == {
        f.col for f in schema.FIELDS if f.kind in (schema.Kind.STRING, schema.Kind.LIST)
    }
    assert f"{validation.FIRST_DATE} to {validation.LAST_DATE}" in DOC
    assert f"{validation.INT64_MAX:,}" in DOC
    assert f"at most {rowfiles.MAX_JSON_DEPTH} levels deep" in DOC
    assert f"at most {validation.PROBLEMS_PER_RULE} per rule" in DOC


def test_every_country_colour_and_hatch_is_documented():
    for code, style in taxonomy.COUNTRY_STYLES.items():
        assert f"| `{code}` |" in DOC and f"| `{style.colour}` |" in DOC
