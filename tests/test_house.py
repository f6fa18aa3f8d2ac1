"""The house's rules, checked on the source (``ast``): no import circle in the package, the layers import
downward only (orbits -> geometry -> analysis -> planning -> catalog -> cli / api / web), and no function is over
80 lines outside the compiled kernels."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "overhead"
LAYERS = ("orbits", "geometry", "analysis", "planning", "catalog", "cli", "api", "web")
RANK = {"orbits": 0, "geometry": 1, "analysis": 2, "planning": 3, "catalog": 4, "cli": 5, "api": 5, "web": 5}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("overhead", *path.relative_to(PACKAGE).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every module each module imports, at its top or inside a function (a lazy import is still a dependency)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("overhead"):
                submodules = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                # `from overhead.api import routes_jobs` depends on the submodule, not on the package's __init__
                targets = submodules or {node.module}
            elif isinstance(node, ast.Import):
                targets = {a.name for a in node.names if a.name.startswith("overhead")}
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return circles


def test_the_package_has_no_import_circle():
    assert _circles(_imports(_modules())) == []


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_layers_import_downward_only():
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _imports(_modules()).items()
        for target in targets
        if _layer(module) and _layer(target) and RANK[_layer(target)] > RANK[_layer(module)]
    )
    assert upward == []


MAX_FUNCTION_LINES = 80


def _compiled(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A numba kernel (``@njit``/``@numba.njit``, with or without options): one compiled loop, left whole."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target).split(".")[-1] in {"njit", "jit"}:
            return True
    return False


def _long_functions(tree: ast.AST, where: str) -> list[str]:
    return [
        f"{where}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
        and not _compiled(node)
    ]


def test_no_function_is_over_80_lines_outside_the_compiled_kernels():
    long = [
        line
        for name, path in _modules().items()
        for line in _long_functions(ast.parse(path.read_text(encoding="utf-8")), name)
    ]
    assert long == []


def test_the_length_rule_sees_a_long_function_and_spares_a_kernel():
    body = "\n".join(f"    x{k} = {k}" for k in range(MAX_FUNCTION_LINES))
    source = f"def plain():\n{body}\n\n@numba.njit(cache=True)\ndef kernel():\n{body}\n"
    assert _long_functions(ast.parse(source), "m") == ["m:1 plain (81 lines)"]


def _private_imports(modules: dict[str, Path]) -> list[str]:
    """`from overhead.x import _name` across modules; a private submodule imported inside its own package (the
    compiled kernels: ``from overhead.analysis import _window_kernel`` in ``overhead.analysis.access``) is fine."""
    found = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("overhead")):
                continue
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                own_submodule = f"{node.module}.{alias.name}" in modules and name.startswith(f"{node.module}.")
                if private and not own_submodule:
                    found.append(f"{name} imports {node.module}.{alias.name}")
    return found


def test_no_private_name_is_imported_across_modules():
    assert _private_imports(_modules()) == []
