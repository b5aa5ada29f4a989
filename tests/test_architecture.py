"""The package's structure holds: layers import only downwards, no import cycle, no function over 80 lines."""

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "classifier"
# Lowest first: a module may import from its own layer or a lower one, never a higher one.
LAYERS = [
    ["classifier.errors", "classifier.options", "classifier.paths"],
    ["classifier.io"],
    ["classifier.taxonomy"],
    ["classifier.corpus"],
    ["classifier.estimator"],
    ["classifier.bundle"],
    ["classifier.evaluation"],
    ["classifier.workflows"],
    ["classifier.serve"],
    ["classifier.cli", "classifier.__main__", "classifier"],
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best, found = -1, None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    assert found is not None, f"{module} is in no layer: add it to LAYERS"
    return found


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported classifier module, line, whether at module level) for each import of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("classifier"):
            if node.module == "classifier" and all(alias.name == "__version__" for alias in node.names):
                continue  # the version number, not the package's public face
            found.append((node.module, node.lineno, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [
                (alias.name, node.lineno, id(node) in top)
                for alias in node.names
                if alias.name.startswith("classifier")
            ]
    return found


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_layer_imports_only_from_its_own_or_lower_layers():
    upwards = []
    for path in modules():
        here = module_name(path)
        for imported, line, _ in imports(path):
            if layer_of(imported) > layer_of(here):
                upwards.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert upwards == []


def test_no_import_cycle_among_the_modules():
    names = {module_name(path): path for path in modules()}
    graph = {
        name: {imported for imported, _, _ in imports(path) if imported in names and imported != name}
        for name, path in names.items()
    }
    state: dict[str, str] = {}

    def visit(name, trail):
        state[name] = "open"
        for nxt in sorted(graph[name]):
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_function_is_longer_than_80_lines():
    # Counted from the line after the signature: a command's options are declarations, one per line
    # as the formatter lays them out, not logic.
    long = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.body[0].lineno + 2  # the body, and the def line
                if lines > 80:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_every_module_says_what_it_is_for_in_its_first_line():
    missing = [
        str(path.relative_to(ROOT))
        for path in modules()
        if not (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").strip()
    ]
    assert missing == []


def test_the_architecture_document_names_every_module():
    """README says docs/architecture.md tells what each module is for: a module added without a word there (the
    output guard, the bundle checks, the folds and linear fits, the OpenAPI document once were) fails here. A module of
    a folder is named, whole (`checks`, not `check` inside it), in its folder's row of the table; one at the top, in a
    row of its own."""
    rows = [
        line
        for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
        if line[:2] == "| "
    ]
    unnamed = []
    for path in modules():
        if path.stem in ("__init__", "__main__"):
            continue
        folder = path.parent.relative_to(PACKAGE).as_posix()
        own = [row for row in rows if f"`{folder}/`" in row] if folder != "." else rows
        names = (path.stem,) if folder != "." else (path.name, path.stem)
        if not any(re.search(rf"`{re.escape(name)}[` (]", row) for row in own for name in names):
            unnamed.append(str(path.relative_to(ROOT)))
    assert unnamed == []


def test_every_import_inside_a_function_says_why_it_is_there():
    # An import is at the top of its module unless deferring it keeps start-up light (or it needs an
    # extra that may be missing); then a comment on its line says so.
    silent = []
    for path in modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if (
                isinstance(node, (ast.Import, ast.ImportFrom))
                and id(node) not in top
                and "#" not in lines[node.lineno - 1]
            ):
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert silent == []
