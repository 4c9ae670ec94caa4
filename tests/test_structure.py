"""Data flows one way: file -> Model -> Analysis -> checks -> Report -> writers/renderers.

Every import in src/miniscan (at module level or inside a function: a lazy import is still a
dependency) is checked against the stage of the module it names. A module may import its own
stage and earlier ones, never a later one: analysis never imports render/, a check never
imports the runner, a writer never the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "miniscan"

# Stages in the order data flows; a module belongs to the stage of its longest prefix.
STAGES = (
    ("values", ("miniscan", "miniscan.files", "miniscan.safety", "miniscan.rules",
                "miniscan.findings", "miniscan.evidence",
                "miniscan.conditions", "miniscan.vision", "miniscan.materials", "miniscan.model",
                "miniscan.printsize", "miniscan.data", "miniscan.colourspace")),
    ("loading", ("miniscan.loading",)),
    ("analysis", ("miniscan.analysis", "miniscan.raster", "miniscan.stars")),  # raster: the
    #                                                            rasteriser service
    ("checks", ("miniscan.checks",)),
    ("runner", ("miniscan.runner", "miniscan.pool", "miniscan.cache", "miniscan.config",
                "miniscan.baseline", "miniscan.kit", "miniscan.samples", "miniscan.sweep")),
    ("writers", ("miniscan.output", "miniscan.render", "miniscan.merge", "miniscan.rule_docs",
                 "miniscan.cli_options")),
    ("cli", ("miniscan.cli", "miniscan.__main__")),
)
# Backward imports known and being removed (issue 14): the off-screen rasteriser that the
# silhouettes and the light orbit need moves out of render/ into a service both sides use.
# An entry that is no longer needed fails test_pending_list_is_current: delete it then.
PENDING: set[tuple[str, str]] = set()


def stage(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(STAGES):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    return rank


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every miniscan module `path` imports (relative imports resolved; `from x import y`
    counts as x.y when y is a module, else as x)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "miniscan"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "miniscan":
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}"
                is_module = (SRC.parent / Path(*sub.split("."))).with_suffix(".py").is_file() \
                    or (SRC.parent / Path(*sub.split("."))).is_dir()
                out.add(sub if is_module else mod)
    return out


def backward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(SRC.rglob("*.py")):
        me = module_name(path)
        if me == "miniscan":  # the API's lazy entry points may reach every stage
            continue
        for other in imports(path):
            if stage(other) is not None and stage(other) > stage(me):
                found.add((me, other))
    return found


def test_every_module_has_a_stage():
    loose = [module_name(p) for p in SRC.rglob("*.py") if stage(module_name(p)) is None]
    assert not loose, f"add these modules to a stage in STAGES: {loose}"


def test_data_flows_one_way():
    new = sorted(backward_imports() - PENDING)
    assert not new, "backward imports (a module importing a later stage):\n" + "\n".join(
        f"  {a} imports {b}" for a, b in new)


def test_pending_list_is_current():
    gone = sorted(PENDING - backward_imports())
    assert not gone, f"no longer imported, delete from PENDING: {gone}"


def test_the_walker_sees_a_backward_import(tmp_path, monkeypatch):
    """The test above can fail: a check that imports render/ is caught."""
    fake = tmp_path / "miniscan" / "checks"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("def run():\n    from ..render import draw\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path / "miniscan")
    assert imports(fake / "bad.py") == {"miniscan.render"} or \
        imports(fake / "bad.py") == {"miniscan.render.draw"}
    assert stage("miniscan.render.draw") > stage("miniscan.checks.bad")


def circles() -> list[list[str]]:
    """Groups of modules that import each other in a circle (Tarjan's strongly connected
    components of the import graph). Left out: the package's scripting API (as above), and a
    submodule's imports of its own package, whose __init__ holds what the package's modules
    share (analysis.resample builds an Analysis) and imports them only on first use."""
    graph = {module_name(p): imports(p) for p in sorted(SRC.rglob("*.py"))}
    graph = {m: {o for o in deps if not m.startswith(o + ".")} for m, deps in graph.items()}
    graph.pop("miniscan", None)
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_two_modules_import_each_other():
    """Within a stage imports may go either way, but never round in a circle: a circle means
    neither module can be understood (or tested) without the other."""
    assert not circles(), circles()


def test_the_circle_finder_sees_a_circle(monkeypatch, tmp_path):
    pkg = tmp_path / "miniscan"
    pkg.mkdir()
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    monkeypatch.setattr(__import__(__name__), "SRC", pkg)
    assert circles() == [["miniscan.a", "miniscan.b"]]
