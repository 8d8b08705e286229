"""The package's structure: no import cycle between its modules, lazy imports inside functions included
(a cycle hidden in a function is still two modules that need each other)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emotion_monitor"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports, anywhere in it (``if TYPE_CHECKING:`` blocks left out)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # "from . import capture": the submodule itself
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m in modules and m != name}


def graph() -> dict[str, set[str]]:
    paths = list(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    # the package's __init__ only re-exports, lazily, by name: its edges would make every module a cycle
    return {module_name(p): imports_of(p, modules) for p in paths if p.name != "__init__.py" or p.parent != PACKAGE}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_graph_is_read_right():
    edges = graph()
    assert "emotion_monitor.build" in edges["emotion_monitor.app"]  # a module-level import
    assert "emotion_monitor.build" in edges["emotion_monitor.multi"]  # lazy, inside a method
    assert "emotion_monitor.capture" in edges["emotion_monitor.build"]  # "from . import capture as cap_mod"
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    assert cycles(graph()) == []
