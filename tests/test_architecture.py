"""The house rules of ARCHITECTURE.md, checked on the source: one direction of flow, no import
cycle, no private name borrowed from another module, no function too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "cinemuse"

# a room may import from the rooms after it in this list, never from those before it
LAYERS = [
    {"cli", "studio"},
    {"pipelines"},
    {"analysis", "music", "vision"},
    {"io"},
]
# modules at the package's top (cuesheet, errors, progress, threads, assets) are shared
# ground: anyone may import them and they import only each other and io
TRAINING = "train"  # may import anything; nothing but the CLI's `train` command imports it
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import, at any depth."""
    tree = ast.parse(path.read_text(), str(path))
    here = ".".join(path.relative_to(SRC).with_suffix("").parts)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = here.split(".")
                pkg = pkg[: len(pkg) - node.level + (path.name == "__init__.py")]
                base = ".".join(pkg + ([base] if base else []))
            out.append((base, [a.name for a in node.names], node.lineno))
    return out


def _resolve(name: str, taken: list[str]) -> list[str]:
    """The cinemuse modules an import statement loads."""
    if not name.startswith("cinemuse"):
        return []
    found = [f"{name}.{t}" for t in taken if f"{name}.{t}" in MODULES]
    if name in MODULES:
        found.append(name)
    return found


def _room(module: str) -> str:
    """The folder a module lives in (``io``, ``music``...), or ``top`` for the package's own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else "top"


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        if module == "cinemuse":  # the lazy public API: a table of names, not imports
            continue
        for name, taken, _ in _imports(path):
            graph[module].update(t for t in _resolve(name, taken) if t != module)
    return graph


def _layer(room: str) -> int | None:
    for i, rooms in enumerate(LAYERS):
        if room in rooms:
            return i
    return None


def test_no_room_reaches_up():
    wrong = []
    for module, targets in _graph().items():
        room = "cli" if module == "cinemuse.__main__" else _room(module)
        if room == TRAINING:
            continue
        for target in targets:
            to = _room(target)
            if to == TRAINING and module != "cinemuse.cli.train":
                wrong.append(f"{module} -> {target} (only `cinemuse train` loads the trainers)")
            if room == "top" and to not in ("top", "io") and target != "cinemuse":
                wrong.append(f"{module} -> {target} (shared modules import only io)")
            a, b = _layer(room), _layer(to)
            if a is not None and b is not None and b < a:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports against the flow:\n" + "\n".join(sorted(wrong))


def test_no_import_cycle():
    graph = _graph()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt in graph and state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt in graph and nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_private_name_imported_across_modules():
    wrong = []
    for module, path in MODULES.items():
        for name, taken, line in _imports(path):
            if not name.startswith("cinemuse"):
                continue
            parts = name.split(".")
            private_module = [p for p in parts if p.startswith("_") and p != "__init__"]
            private_names = [t for t in taken if t.startswith("_") and not t.endswith("__")]
            if private_module and not module.startswith(".".join(parts[:-1])):
                wrong.append(f"{module}:{line} imports the private module {name}")
            if private_names:
                wrong.append(f"{module}:{line} imports {', '.join(private_names)} from {name}")
    assert not wrong, "\n".join(wrong)


def _long_functions() -> list[str]:
    out = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{module}.{node.name}: {length} lines")
    return out


def test_no_function_over_80_lines():
    long = _long_functions()
    assert not long, "\n".join(long)
