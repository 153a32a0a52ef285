"""The README's code map is a contributor's first view of the tree: it must name every module
and folder of `src/timeline/`, and nothing that is not there."""

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SRC = ROOT / "src" / "timeline"


def _mapped() -> set[str]:
    """The paths the code map names under src/timeline/ (`ui/`, `service.py`, `ui/router.py`):
    two spaces in, an entry of src/timeline/; four, an entry of the folder above it."""
    block = README.split("## Code map", 1)[1].split("```")[1]
    names, folder = set(), ""
    for line in block.splitlines():
        entry = re.match(r"^(  |    )(\S.*?)(?:\s{2,}|$)", line)
        if not entry:
            continue
        inside = folder if len(entry.group(1)) == 4 else ""
        found = {inside + n.strip() for n in entry.group(2).split(",")}
        names |= found
        if len(entry.group(1)) == 2:
            folder = next(iter(found)) if len(found) == 1 and next(iter(found)).endswith("/") else ""
    return names


def test_the_code_map_names_every_module_and_folder_of_the_tree():
    mapped = _mapped()
    tree = {p.name + ("/" if p.is_dir() else "") for p in SRC.iterdir() if p.name != "__pycache__"}
    tree = {n for n in tree if n.endswith((".py", "/"))}
    unnamed = {n for n in tree if not any(m == n or m.startswith(n) for m in mapped)}
    assert not unnamed, f"add to the README's code map: {sorted(unnamed)}"
    for listed in {m.rstrip("/").rsplit("/", 1)[0] for m in mapped if "/" in m.rstrip("/")}:
        inside = {f"{listed}/{p.name}" for p in (SRC / listed).glob("*.py") if p.name != "__init__.py"}
        inside |= {f"{listed}/{p.name}/" for p in (SRC / listed).iterdir() if (p / "__init__.py").exists()}
        assert inside <= mapped, f"the code map lists {listed}/ but not {sorted(inside - mapped)}"
    missing = {m for m in mapped if not (SRC / m).exists()}
    assert not missing, f"the README's code map names what is not in src/timeline/: {sorted(missing)}"
