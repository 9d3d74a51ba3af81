"""The folders say what a module may import: commands → render → grading → symbolic → core.

Every import in the package (module level or inside a function) is read from the
source with `ast`; an import against that direction, or a cycle between modules,
fails here with the line that makes it.  `errors` may be imported from anywhere,
and `cli` and the package itself (the library API) stand on top.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cgrad_cli"
LAYERS = ["core", "symbolic", "grading", "render", "commands", "cli"]  # each may import the ones before it
ANYWHERE = {"cgrad_cli", "cgrad_cli.errors"}  # the package's version and the one error funnel


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(line, imported module) for every import of a cgrad_cli module in `path`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("cgrad_cli"):
                continue
            if node.module is None:  # from . import x: x may be a module
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cgrad_cli"):
                    yield node.lineno, alias.name


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(target: str) -> str:
    """The module an import names (`from .ops import OPS` names cgrad_cli.core.ops)."""
    while target not in MODULES and "." in target:
        target = target.rpartition(".")[0]
    return target


def layer(module: str):
    part = module.split(".")[1] if "." in module else None
    return LAYERS.index(part) if part in LAYERS else None


def edges():
    for name, path in sorted(MODULES.items()):
        for line, target in imports(path):
            yield name, line, resolve(target)


def test_every_module_is_in_a_layer():
    loose = [m for m in MODULES if layer(m) is None and m not in ANYWHERE and m != "cgrad_cli.__main__"]
    assert not loose, f"modules outside core/, symbolic/, grading/, render/, commands/: {loose}"


def against_direction(name: str, target: str) -> bool:
    if target in ANYWHERE or name in ("cgrad_cli", "cgrad_cli.__main__"):
        return False
    return layer(target) is None or layer(name) is None or layer(target) > layer(name)


def cycles_in(graph: dict) -> list:
    """Every cycle closed in a depth-first walk (iterative: grey nodes on the stack close a cycle)."""
    state, cycles = {}, []
    for start in sorted(graph):
        if start in state:
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        state[start] = "grey"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "black"
                stack.pop()
            elif state.get(child) == "grey":
                path = [n for n, _ in stack]
                cycles.append(" → ".join(path[path.index(child):] + [child]))
            elif child not in state:
                state[child] = "grey"
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return cycles


def test_imports_go_down_the_layers():
    wrong = [f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {target}"
             for name, line, target in edges() if against_direction(name, target)]
    assert not wrong, "imports against commands → render → grading → symbolic → core:\n" + "\n".join(wrong)


def test_no_import_cycles():
    graph = {}
    for name, _, target in edges():
        if target != name:
            graph.setdefault(name, set()).add(target)
    cycles = cycles_in(graph)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_rules_catch_what_they_are_for():
    """The walk reads relative imports right, and a wrong import or a cycle would be seen."""
    assert ("cgrad_cli.core.ops" in {resolve(t) for _, t in imports(PACKAGE / "core" / "autodiff.py")})
    assert against_direction("cgrad_cli.core.autodiff", "cgrad_cli.render.json")
    assert against_direction("cgrad_cli.grading.check", "cgrad_cli.commands.common")
    assert not against_direction("cgrad_cli.render.json", "cgrad_cli.core.autodiff")
    assert not against_direction("cgrad_cli.core.ops", "cgrad_cli.errors")
    assert cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a → b → c → a"]
    assert cycles_in({"a": {"b"}, "b": {"c"}}) == []
