"""The UI layer's rule for text in markdown-reading elements (`timeline.ui.safe`): the helpers
make hostile text inert, and a reading of the UI's source finds every call of such an element
with a formatted string whose parts did not go through them (and every `st.html` whose parts
did not go through `html.escape`)."""

from __future__ import annotations

import ast
import re

import pytest

from timeline.ui import safe

from conftest import ROOT

UI = ROOT / "src" / "timeline" / "ui"

MARKDOWN_ELEMENTS = {
    "markdown", "caption", "title", "header", "subheader", "write", "info", "warning", "error",
    "success", "toast", "expander", "popover", "tabs", "dialog", "button", "download_button",
    "link_button", "page_link", "checkbox", "toggle", "radio", "selectbox", "multiselect",
    "text_input", "text_area", "number_input", "date_input", "time_input", "slider",
    "select_slider", "segmented_control", "pills", "form_submit_button", "metric",
    "file_uploader", "color_picker", "chat_input", "feedback",
}  # fmt: skip
"""Streamlit elements whose text (first argument, label, help) is read as markdown."""
TEXT_KEYWORDS = {"body", "label", "help", "caption", "captions", "title"}
MARKDOWN_OPTIONS = {"radio", "pills", "segmented_control"}
"""Their options' labels are markdown too (checked in Chromium; select boxes' are plain text)."""
HELPERS = {*safe.__all__, "escape_markdown"}
"""`escape_markdown` is the pure formatter `safe.inert` applies."""
HTML_HELPERS = {"escape", "card_html", "_swatches"}
"""`st.html` takes HTML: data goes through `html.escape`, or a builder that escapes every value
(`timeline.cards.card_html`, whose cards tests/test_app.py and tests/e2e/test_hostile.py
read; `_swatches`, from the taxonomy)."""
NUMERIC_SPEC = re.compile(r"^[<>^=]?[+ -]?\d*([,_]\d*(\.\d+)?[dfe%gn]?|(\.\d+)?[dfe%gn])$")
"""A format spec only a number takes ('{n:,}', '{x:.1f}', '{i:d}'); a width alone ('{s:>10}') is not."""


def _is_code_constant(node: ast.expr) -> bool:
    """A constant, or a table of the code (an UPPER_CASE name, or the view registry's
    `.choices`/`.label`), never a value read from data."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper() or node.attr == "choices"
    if isinstance(node, ast.Subscript):
        return _is_code_constant(node.value)
    if isinstance(node, ast.Dict):
        return all(v is not None and _is_code_constant(v) for v in [*node.keys, *node.values])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return _is_code_constant(node.func.value)
    return False


def _is_helper(node: ast.expr, helpers: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in helpers


class Checker:
    """Judges the text given to one element, following local variables in its function."""

    def __init__(self, function: ast.AST | None, helpers: set[str] = HELPERS) -> None:
        self.helpers = helpers
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(function) if function is not None else ():
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self.assigned.setdefault(node.target.id, []).append(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("append", "extend")
                and isinstance(node.func.value, ast.Name)
            ):
                self.assigned.setdefault(node.func.value.id, []).extend(node.args)
        self.seen: set[str] = set()

    def formatted(self, node: ast.expr) -> bool:
        """Whether `node` builds a string from parts (f-string, +, %, .format, .join)."""
        if isinstance(node, ast.JoinedStr):
            return any(isinstance(v, ast.FormattedValue) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr in ("format", "join")
        if isinstance(node, ast.IfExp):
            return self.formatted(node.body) or self.formatted(node.orelse)
        if isinstance(node, ast.BoolOp):  # `text or None`
            return any(self.formatted(v) for v in node.values)
        if isinstance(node, ast.Name) and node.id not in self.seen:
            self.seen.add(node.id)
            return any(self.formatted(v) for v in self.assigned.get(node.id, []))
        return False

    def safe(self, node: ast.expr) -> bool:
        """Text made only of code constants, numbers and what went through a helper."""
        if _is_code_constant(node) or _is_helper(node, self.helpers):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self._safe_part(v) for v in node.values)
        if isinstance(node, ast.BinOp):
            return self.safe(node.left) and self.safe(node.right)
        if isinstance(node, ast.IfExp):
            return self.safe(node.body) and self.safe(node.orelse)
        if isinstance(node, ast.BoolOp):
            return all(self.safe(v) for v in node.values)
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.safe(e) for e in node.elts)
        if isinstance(node, ast.Dict):  # `TEMPLATE % {...}`: each value must be safe
            return all(self.safe(v) for v in node.values if v is not None)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self.safe(node.elt)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
            return _is_code_constant(node.func.value) and all(self.safe(a) for a in node.args)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
            return True  # a number
        if isinstance(node, ast.Name) and node.id in self.assigned:
            values = self.assigned.pop(node.id)  # a loop of names cannot recurse forever
            try:
                return all(self.safe(v) for v in values)
            finally:
                self.assigned[node.id] = values
        return False

    def _safe_part(self, part: ast.expr) -> bool:
        if isinstance(part, ast.Constant):
            return True
        assert isinstance(part, ast.FormattedValue)
        spec = part.format_spec
        if spec is not None and all(isinstance(v, ast.Constant) for v in spec.values):
            text = "".join(str(v.value) for v in spec.values)  # type: ignore[union-attr]
            if text and NUMERIC_SPEC.match(text) and part.conversion == -1:
                return True  # '{n:,}' fails on anything but a number
        return self.safe(part.value)

    def text_ok(self, node: ast.expr) -> bool:
        """A markdown text argument: fine unless it is a formatted string with an unsafe part,
        or what a function returned (`coverage(...)`: text made from data). A plain variable or
        attribute is taken as it is: a parameter's origin is beyond this reading."""
        if isinstance(node, ast.Call):
            return self.safe(node)
        return not self.formatted(node) or self.safe(node)

    def options_ok(self, node: ast.expr) -> bool:
        """A `format_func` of a markdown-reading option widget: a code table's lookup, or a
        function whose result is safe."""
        if isinstance(node, ast.Attribute) and node.attr == "get":
            return _is_code_constant(node.value)
        if isinstance(node, ast.Lambda):
            return self.safe(node.body)
        return isinstance(node, ast.Name) and node.id in self.helpers


def _functions(tree: ast.AST) -> dict[ast.AST, ast.AST | None]:
    """Each call in the module -> the function (or lambda-holding function) it is in."""
    owner: dict[ast.AST, ast.AST | None] = {}

    def visit(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call):
                owner[child] = inner
            visit(child, inner)

    visit(tree, None)
    return owner


def violations(source: str, name: str = "<source>") -> list[str]:
    """`file:line element` for every markdown-reading call given unsafe formatted text."""
    tree = ast.parse(source)
    found = []
    for call, function in _functions(tree).items():
        func = call.func  # type: ignore[attr-defined]
        element = func.attr if isinstance(func, ast.Attribute) else None
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute):
            element = None  # st.dialog(...)(f): the decorator's call is judged on its own
        if isinstance(func, ast.Call) and getattr(func.func, "id", None) == "getattr":
            element = "markdown"  # getattr(st, kind)(text): some message element
        if element == "html":  # HTML, not markdown: the same reading with html.escape
            checker = Checker(function, HTML_HELPERS)
            found += [f"{name}:{a.lineno} html" for a in call.args[:1] if not checker.text_ok(a)]  # type: ignore[attr-defined]
            continue
        if element not in MARKDOWN_ELEMENTS:
            continue
        checker = Checker(function)
        texts = list(call.args[:1] if element != "page_link" else []) + [
            k.value for k in call.keywords if k.arg in TEXT_KEYWORDS
        ]  # type: ignore[attr-defined]
        bad = [t for t in texts if not checker.text_ok(t)]
        if element in MARKDOWN_OPTIONS:
            bad += [
                k.value
                for k in call.keywords  # type: ignore[attr-defined]
                if k.arg == "format_func" and not checker.options_ok(k.value)
            ]
        found += [f"{name}:{node.lineno} {element}" for node in bad]
    return found


def test_no_ui_call_gives_markdown_unchecked_formatted_text():
    files = sorted(UI.rglob("*.py"))
    assert len(files) > 5
    found = [v for path in files for v in violations(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], "wrap data in timeline.ui.safe.inert (or bullets):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'st.warning(f"Footer: {footer}")',
        'left.caption("Data: " + path)',
        'st.info("%s holds no events" % path)',
        'st.error("Cannot read {}".format(err))',
        'st.toast(f"Saved {event_id}")',
        'with st.expander(f"History of {title}"):\n    pass',
        'st.button(f"Card {i}")',
        'st.pills("Type", xs, format_func=lambda v: f"{v} ({n:,})")',
        'st.radio("Actor", xs, format_func=lambda v: v)',
        'st.text_input("Find", help=f"for example {example}")',
        'items = "\\n".join(f"- {w}" for w in warnings)\nst.warning(f"Ignored:\\n{items}")',
        'lines = ["Nothing matches."]\nlines.append(f"- without {name}")\nst.info("\\n".join(lines))',
        'st.caption(f"{count} changes")',  # no number format: could be anything
        'st.caption(f"{name:>20} changes")',  # a width is no number format either
        'getattr(st, kind)(f"Saved {title}")',  # whichever element it is
        "st.title(coverage(countries, first, last, rows))",  # a function's text, made from data
        'st.html(f"<div>{row.title}</div>")',  # HTML: data must go through html.escape
        'st.html(f"<h3>{inert(step.title)}</h3>")',  # markdown escaping is no HTML escaping
        'items = "".join(f"<li>{r.title}</li>" for r in rows)\nst.html(f"<ul>{items}</ul>")',
        'st.pills("Confidence", xs, help="; ".join(f"{k}: {v}" for k, v in helps.items()) or None)',
    ],
)
def test_the_reading_finds_unchecked_text(code: str):
    assert violations(f"def page():\n{_indent(code)}\n")


@pytest.mark.parametrize(
    "code",
    [
        'st.warning("A constant message")',
        'st.caption(f"Footer: {inert(footer)}")',
        'st.caption(f"{len(ids)} selected, {n:,} of {total:,} events, limit {MAX_ROWS:,}")',
        'st.caption(f"{share:.1%} of {n:d} events, {x:_} and {y:,.2f}")',
        'st.warning(f"Ignored:\\n{safe.bullets(warnings)}")',
        'note = f"{n:,} strikes"\nnote += f" from {inert(name)}"\nst.caption(note)',
        'st.pills("Type", xs, format_func=LABELS.get)',
        'st.segmented_control("Lanes", xs, format_func=option.choices.get)',
        'st.pills("Type", xs, format_func=lambda v: f"{inert(v)} ({n:,})")',
        'st.text(f"Their reason: {reason}")',  # st.text is never markdown
        'st.selectbox("Event", ids, format_func=lambda v: f"{v}!")',  # a select box's options are text
        'st.download_button({"csv": "CSV", "xlsx": "Excel"}[fmt], data)',  # a table of the code
        "st.title(safe.inert(coverage(countries, first, last, rows)))",
        "st.html(f\"<div class='x'>{escape(row.title)} · step {number:d} of {len(steps)}</div>\")",
        "st.html(CARD_CSS)",
        "getattr(st, kind)(escape_markdown(text))",
    ],
)
def test_the_reading_accepts_constants_numbers_and_helpers(code: str):
    assert violations(f"def page():\n{_indent(code)}\n") == []


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines())


def test_inert_text_shows_its_characters_and_no_address():
    hostile = "[phish](https://evil.example/x) **bold** :red[red] www.evil.example a@evil.example"
    shown = safe.inert(hostile)
    assert shown.replace("\\", "").replace("\u2060", "") == hostile
    assert not re.search(r"(?i)https?://|www\.|[\w.+-]@", shown.replace("\\", ""))


def test_bullets_are_inert_and_say_how_many_more():
    lines = [f"row {i}: dataset '[x](https://evil.example/{i})'" for i in range(15)]
    out = safe.bullets(lines, limit=12)
    assert out.count("\n- ") == 12 and out.endswith("- … 3 more")
    assert "https://" not in out.replace("\\", "")
