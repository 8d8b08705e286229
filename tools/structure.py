"""The package's structure drawn from its code: ``python tools/structure.py`` writes docs/structure.md.

Every module of ``emotion_monitor`` belongs to one layer (:data:`LAYERS`); the page lists each layer's
modules with their size and draws which layer imports which, read from the imports themselves (lazy
ones inside functions included). ``tests/test_structure.py`` holds the rules: no import cycle, no
module importing a layer above its own, every module placed, the page current.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "emotion_monitor"
OUT = ROOT / "docs" / "structure.md"

# lowest first: a module may import its own layer and the layers below it, never one above
LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "base": ("records and plumbing every layer uses",
             ("types", "errors", "native", "resources", "privacy")),
    "stages": ("the source (capture) and frame -> detections -> crops -> probabilities -> tracks -> mood, "
               "one module a stage",
               ("detection", "detection.boxes", "detection.yunet", "detection.mediapipe", "detection.blazeface",
                "detection.haar", "crops", "quality", "classifier", "matching", "tracking", "resting", "mood", "zones", "pipeline",
                "capture")),
    "settings": ("one settings model for the CLI, the window and saved preferences", ("settings",)),
    "sinks": ("where results go: CSV, metrics, webhook, overlay, per-person log; the CSV read back, the report, "
              "the notice",
              ("recording", "metrics", "alerts", "overlay", "people", "queue_report", "alert_spans", "session_csv", "report", "notice",
               "retention")),
    "runners": ("assembly from the settings and the loops that drive the stages into the sinks",
                ("sources", "build", "events", "rehearsal", "lane", "runner", "app", "batch", "api")),
    "edges": ("what people run: the command line and the window (a thin view)",
              ("options", "commands", "cli", "__main__",
               "gui", "gui.binding", "gui.theme", "gui.widgets", "gui.controls", "gui.face_panel", "gui.mood_panel",
               "gui.people_panel", "gui.alert_panel", "gui.ending", "gui.worker", "gui.window", "gui.lanes", "gui.main")),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports anywhere in it (``if TYPE_CHECKING:`` blocks left out)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else (name.rsplit(".", 1)[0] if "." in name else "")
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = [p for p in package.split(".") if p]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("emotion_monitor."):
                target = node.module[len("emotion_monitor."):]  # type: ignore[index]  # checked just above
            else:
                continue
            for alias in node.names:  # "from . import capture": the submodule itself
                sub = f"{target}.{alias.name}" if target else alias.name
                out.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            out.update(a.name[len("emotion_monitor."):] for a in node.names if a.name.startswith("emotion_monitor."))
    return {m for m in out if m in modules and m != name}


def graph() -> dict[str, set[str]]:
    """{module: the package's modules it imports}, names relative to the package. The package's own
    ``__init__`` is left out: it only re-exports, lazily, by name."""
    paths = [p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py"]
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
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


def layer_of(module: str) -> str | None:
    return next((layer for layer, (_, mods) in LAYERS.items() if module in mods), None)


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports of a layer above the importer's own."""
    order = list(LAYERS)
    return sorted((a, b) for a, targets in edges.items() for b in targets
                  if layer_of(a) and layer_of(b) and order.index(layer_of(b)) > order.index(layer_of(a)))  # type: ignore[arg-type]


def lines(module: str) -> int:
    path = PACKAGE / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE / module.replace(".", "/") / "__init__.py"
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def page() -> str:
    edges = graph()
    between: dict[tuple[str, str], int] = {}
    for a, targets in edges.items():
        for b in targets:
            la, lb = layer_of(a), layer_of(b)
            if la and lb and la != lb:
                between[(la, lb)] = between.get((la, lb), 0) + 1
    out = ["# The structure, drawn from the code", "",
           "Written by `python tools/structure.py` from the package's imports (lazy ones included); "
           "`tests/test_structure.py` fails when this page is out of date, on an import cycle, or on a module "
           "importing a layer above its own. Data flows one way: frame -> detections -> crops -> probabilities "
           "-> tracks -> mood -> sinks; each arrow below reads \"imports\" (a layer uses the ones below it).", "",
           "```mermaid", "flowchart TD"]
    for layer in reversed(list(LAYERS)):
        out.append(f"    {layer}[\"{layer}: {len(LAYERS[layer][1])} modules\"]")
    for (a, b), n in sorted(between.items(), key=lambda kv: (list(LAYERS).index(kv[0][0]), list(LAYERS).index(kv[0][1]))):
        out.append(f"    {a} -->|{n}| {b}")
    out += ["```", "", "(the number on an arrow: how many module-to-module imports it stands for)", "",
            "| layer | what it holds | modules (non-blank lines) |", "|---|---|---|"]
    for layer, (what, mods) in reversed(list(LAYERS.items())):
        out.append(f"| {layer} | {what} | " + ", ".join(f"`{m}` ({lines(m)})" for m in mods) + " |")
    biggest = sorted(((lines(m), m) for _, mods in LAYERS.values() for m in mods), reverse=True)[:5]
    out += ["", "Largest modules: " + ", ".join(f"`{m}` {n}" for n, m in biggest) + " non-blank lines."]
    return "\n".join(out) + "\n"


def main() -> int:
    OUT.write_text(page())
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
