"""Every import is declared, and the runtime lock holds what the runtime needs and nothing else.

The image installs requirements.lock alone (Dockerfile), so a module imported by the app but pinned
only in requirements-dev.lock would fail in production, and a test tool in requirements.lock would
ship in the image. Imports are read with `ast` over every .py file; a module maps to the distribution
installed in this virtualenv that provides it (`importlib.metadata`).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BASE_DIR = Path(__file__).resolve().parents[2]
NOT_SOURCE = {".venv", ".git", "node_modules", "staticfiles", "var", "static"}
# A development tool that code outside tests/ may import, only inside a function of a development-only
# path: the system test's settable clock (leadsgroups/clock.py, refused in production) and the bench.
DEV_ONLY_OUTSIDE_TESTS = {"time_machine": {"leadsgroups/clock.py", "scale/bench.py"}}
DEV_TOOLS = {"pytest", "pytest-django", "pytest-xdist", "pytest-playwright", "playwright", "faker", "factory-boy",
             "time-machine", "ruff", "honcho"}


@cache
def _declared() -> tuple[list[str], list[str]]:
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    return project["dependencies"], project["optional-dependencies"]["dev"]


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements install, extras and markers included (as pip resolves them)."""
    extras_seen: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in extras_seen and set(req.extras) <= extras_seen[name]:
            continue
        extras = extras_seen.setdefault(name, set())
        extras |= set(req.extras)
        for line in metadata.distribution(name).requires or []:
            sub = Requirement(line)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append(sub)
    return set(extras_seen)


def _lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (BASE_DIR / name).read_text().splitlines():
        if line and not line.startswith(("#", "-r ")):
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line)
            assert match, f"{name}: {line!r} is not an exact pin"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _local_modules() -> set[str]:
    return {p.stem if p.suffix == ".py" else p.name for p in BASE_DIR.iterdir()
            if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}


def _imports(path: Path):
    """(top-level module, line, inside a function?) for every absolute import in the file."""
    tree = ast.parse(path.read_text(), str(path))

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name.split(".")[0], child.lineno, in_function
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield child.module.split(".")[0], child.lineno, in_function
            yield from walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    yield from walk(tree, False)


def _third_party_imports(*, in_tests: bool):
    local = _local_modules()
    for path in sorted(BASE_DIR.rglob("*.py")):
        relative = path.relative_to(BASE_DIR)
        if relative.parts[0] in NOT_SOURCE or (relative.parts[0] == "tests") != in_tests:
            continue
        for module, line, in_function in _imports(path):
            if module not in sys.stdlib_module_names and module not in local and module != "__future__":
                yield module, f"{relative}:{line}", in_function


@cache
def _packages_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _providers(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _packages_distributions().get(module, [])}


def test_the_app_imports_only_declared_runtime_dependencies():
    runtime, dev = _declared()
    runtime, dev = _names(runtime), _names(dev)
    wrong = []
    for module, where, in_function in _third_party_imports(in_tests=False):
        providers = _providers(module)
        if providers & runtime:
            continue
        dev_only_here = where.split(":")[0] in DEV_ONLY_OUTSIDE_TESTS.get(module, set())
        if providers & dev and dev_only_here and in_function:
            continue
        wrong.append(f"{where} imports {module} ({', '.join(sorted(providers)) or 'not installed'}): "
                     "not a runtime dependency in pyproject.toml")
    assert not wrong, "\n".join(wrong)


def test_the_tests_import_only_declared_dependencies():
    runtime, dev = _declared()
    declared = _names(runtime) | _names(dev)
    wrong = [f"{where} imports {module} ({', '.join(sorted(_providers(module))) or 'not installed'})"
             for module, where, _ in _third_party_imports(in_tests=True) if not _providers(module) & declared]
    assert not wrong, "not declared in pyproject.toml:\n" + "\n".join(wrong)


def test_the_runtime_lock_pins_exactly_what_the_runtime_needs():
    runtime, _ = _declared()
    pinned = set(_lock("requirements.lock"))
    assert not pinned & DEV_TOOLS, f"development tools in the image's lock: {sorted(pinned & DEV_TOOLS)}"
    assert pinned == _closure(runtime), (
        f"missing: {sorted(_closure(runtime) - pinned)}, not needed: {sorted(pinned - _closure(runtime))}; run `make lock`"
    )


def test_the_dev_lock_adds_the_dev_extra_on_top_of_the_runtime_lock():
    runtime, dev = _declared()
    lines = [line for line in (BASE_DIR / "requirements-dev.lock").read_text().splitlines() if line[:1] != "#"]
    assert lines[0] == "-r requirements.lock", "`pip install -r requirements-dev.lock` must install the runtime too"
    runtime_pins, dev_pins = set(_lock("requirements.lock")), set(_lock("requirements-dev.lock"))
    assert not runtime_pins & dev_pins, f"pinned twice: {sorted(runtime_pins & dev_pins)}"
    assert runtime_pins | dev_pins == _closure(runtime + dev), "run `make lock`"
    assert DEV_TOOLS <= dev_pins


def test_the_installed_versions_are_the_locked_ones():
    pins = {**_lock("requirements.lock"), **_lock("requirements-dev.lock")}
    stale = {name: (version, metadata.version(name)) for name, version in pins.items()
             if metadata.version(name) != version}
    assert not stale, f"locked vs installed: {stale}; run `make install`"
