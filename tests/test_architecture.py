"""The house rules, checked: which package may import which, and no import cycles.

The folder list is the architecture (see README "Layout"); this test keeps it true. It reads
the source with `ast` (imports inside functions and under TYPE_CHECKING included), so a lazy
import cannot sneak a dependency past it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"

# What each package may import from paperbot itself (besides its own modules).
ALLOWED: dict[str, set[str]] = {
    "text": set(),
    "schedule": set(),
    "images": set(),
    "store": {"schedule"},
    "channels": {"images", "text"},
    "config": {"text", "schedule"},
    "digests": {"store", "text", "schedule", "images", "config"},
    "posting": {"store", "text", "schedule", "images", "channels", "config", "digests"},
    "reports": {"store", "schedule", "text", "config", "posting"},
    "pages": {"text", "images"},
    "cli": {
        "store",
        "text",
        "schedule",
        "images",
        "channels",
        "config",
        "digests",
        "posting",
        "reports",
        "pages",
    },
    "__main__": {"cli"},
    "__init__": set(),
}

# Outside systems: each is imported by exactly one place.
OWNERS = {
    "tweepy": "bot.channels.x",
    "atproto": "bot.channels.bluesky",
    "mastodon": "bot.channels.mastodon",
    "apscheduler": "bot.posting.daemon",
}

# Packages that must stay pure: no I/O libraries at all.
PURE = {"text", "schedule"}
IO_MODULES = {
    "sqlite3",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "httpx",
    "requests",
    "socket",
    "subprocess",
    "urllib.request",
    "tweepy",
    "atproto",
    "mastodon",
    "PIL",
    "fcntl",
}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(BOT.rglob("*.py")):
        parts = path.relative_to(BOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = dict(_modules())
GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_dependency_direction(module: str) -> None:
    own = _package(module)
    allowed = ALLOWED[own] | {own}
    wrong = sorted(
        target
        for target in GRAPH[module]
        if target.startswith("bot.") and target in MODULES and _package(target) not in allowed
    )
    assert not wrong, f"{module} ({own}) may not import {wrong}"


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_each_outside_library_has_one_owner(library: str) -> None:
    users = sorted(
        module
        for module, targets in GRAPH.items()
        if any(t == library or t.startswith(library + ".") for t in targets)
    )
    owner = OWNERS[library]
    strays = [m for m in users if m != owner and not m.startswith(owner + ".")]
    assert not strays, f"{library} is imported outside {owner}: {strays}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _package(m) in PURE))
def test_pure_packages_do_no_io(module: str) -> None:
    io = sorted(
        t for t in GRAPH[module] if any(t == m or t.startswith(m + ".") for m in IO_MODULES)
    )
    assert not io, f"{module} is meant to be pure but imports {io}"


def test_no_import_cycles() -> None:
    edges = {m: {t for t in targets if t in MODULES and t != m} for m, targets in GRAPH.items()}
    # Importing a package runs its __init__ only, so only module-to-module edges count.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_nothing_imports_the_cli() -> None:
    users = sorted(
        m
        for m, targets in GRAPH.items()
        if _package(m) not in {"cli", "__main__"} and any(t.startswith("bot.cli") for t in targets)
    )
    assert not users, f"the CLI is the composition root; these import it: {users}"


# House size limits (STYLE.md: small modules, short functions).
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
# Modules exempt from the size limits (none left: the multi-channel rewrite has landed).
SIZE_EXEMPT: set[str] = set()
# Offenders still waiting for their split (issue 10); this list only shrinks.
NOT_YET_SPLIT: set[str] = set()


def _relative(path: Path) -> str:
    return path.relative_to(BOT.parent).as_posix()


def _sized_paths() -> list[Path]:
    return [p for p in MODULES.values() if _relative(p) not in SIZE_EXEMPT]


def test_no_module_is_too_long() -> None:
    long = sorted(
        f"{_relative(p)} ({n} lines)"
        for p in _sized_paths()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
        and _relative(p) not in NOT_YET_SPLIT
    )
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long() -> None:
    long: list[str] = []
    for path in _sized_paths():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                where = f"{_relative(path)}:{node.name}"
                if lines > MAX_FUNCTION_LINES and where not in NOT_YET_SPLIT:
                    long.append(f"{where} ({lines} lines)")
    assert not sorted(long), f"functions over {MAX_FUNCTION_LINES} lines: {sorted(long)}"


def _exported_imports(path: Path) -> list[str]:
    """Names a module re-exports: listed in its ``__all__`` but only imported there, or imported
    with the explicit re-export idiom ``from m import x as x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    exported: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
            exported += [a.name for a in node.names if a.asname == a.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = node.value
                if isinstance(value, ast.List | ast.Tuple):
                    exported += [e.value for e in value.elts if isinstance(e, ast.Constant)]
    return sorted(name for name in exported if name in imported)


# Re-exports still waiting to be removed (none left); this set only shrinks.
FACADE_PENDING: set[tuple[str, str]] = set()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_facade_re_exports(module: str) -> None:
    facade = [n for n in _exported_imports(MODULES[module]) if (module, n) not in FACADE_PENDING]
    assert not facade, f"{module} re-exports names it only imports: {facade}"
