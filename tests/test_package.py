"""Package-level promises: docstring examples run, the Numba cache switch works, the API names exist."""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import meanshift

DOCUMENTED = ["meanshift", "meanshift.features", "meanshift.kernels", "meanshift.similarity", "meanshift.opencv",
              "meanshift.presets", "meanshift.tracker", "meanshift.synthetic", "meanshift.geometry",
              "meanshift.result"]


@pytest.mark.parametrize("module_name", DOCUMENTED)
def test_documented_modules_have_examples(module_name):
    # pytest runs every example of the package (--doctest-modules in pyproject.toml); here: they exist.
    module = importlib.import_module(module_name)
    examples = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert examples > 0, f"{module_name} has no examples"


@pytest.mark.parametrize("value,expected", [("0", "False"), ("off", "False"), ("1", "True")])
def test_numba_cache_switch(value, expected):
    env = dict(os.environ, MEANSHIFT_NUMBA_CACHE=value)
    code = "import meanshift._jit as j; print(j.CACHE_ENABLED)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == expected


def test_public_api_names():
    for name in ("Tracker", "TrackResult", "camshift", "comaniciu_meer", "generalized", "mean_shift", "cam_shift",
                 "similarities", "register_similarity", "kernels", "feature_spaces", "create_tracker"):
        assert hasattr(meanshift, name), name
    assert set(meanshift.PRESETS) == {"camshift", "comaniciu-meer", "generalized"}
    assert {"flat", "epanechnikov", "gaussian"} <= set(meanshift.kernels())
    assert {"hue", "hue-sat", "bgr", "gray"} <= set(meanshift.feature_spaces())


def test_importing_the_package_and_its_cli_does_not_load_numba():
    # `meanshift --help` stays instant: Numba, OpenCV and the engine load only when something uses them.
    code = ("import sys, meanshift, meanshift.apps.cli; "
            "print('numba' in sys.modules, 'meanshift.tracker' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_importing_the_batch_module_does_not_load_dask():
    # Dask is an optional extra, imported only when a batch is given a scheduler.
    code = ("import sys, meanshift, meanshift.apps.cli, meanshift.apps.batch; "
            "print(sorted({'dask', 'distributed'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_lazy_names_resolve_to_the_engine():
    from meanshift.tracker import Tracker

    assert meanshift.Tracker is Tracker
    assert callable(meanshift.kernels) and "flat" in meanshift.kernels()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        meanshift.nope  # noqa: B018


def test_cache_is_warm_tells_a_cached_kernel_from_a_cold_one(monkeypatch):
    from meanshift._jit import CACHE_ENABLED, cache_is_warm
    from meanshift._kernels.posterior import best_window

    if not CACHE_ENABLED:
        pytest.skip("MEANSHIFT_NUMBA_CACHE=0: nothing is cached")
    tracker = meanshift.generalized()
    frame = np.zeros((40, 40, 3), np.uint8)
    frame[10:20, 10:20] = (0, 0, 255)
    tracker.init(frame, (8, 8, 14, 14))
    tracker.update(frame)  # compiled, or loaded from the cache: either way the cache now holds it
    # (A kernel this tracker runs: its engine's window search. It never runs the classic iteration here.)
    assert cache_is_warm(best_window) is True
    monkeypatch.setattr(best_window._cache._cache_file, "_index_path", "/nonexistent/best_window.nbi")
    assert cache_is_warm(best_window) is False
    assert cache_is_warm(len) is None  # not a Numba dispatcher


def test_the_package_ships_a_py_typed_marker():
    # PEP 561: without the marker type checkers ignore the annotations of an installed package.
    from importlib.resources import files

    assert files("meanshift").joinpath("py.typed").is_file()
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.setuptools.package-data]" in pyproject and 'meanshift = ["py.typed"]' in pyproject


def _package_imports() -> dict[str, set[str]]:
    """``{module: modules of meanshift it imports}``, from every import statement of every module but the
    ``__init__`` files (their re-exports aside): top-level, function-level and ``TYPE_CHECKING`` ones alike."""
    import ast

    root = Path(meanshift.__file__).resolve().parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name in packages:
            continue
        here = name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""]) if node.level else node.module
                found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
        graph[name] = {m for m in found if m in modules and m not in packages and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_module_of_the_package_imports_itself_through_others():
    # The flow reads one way (frame -> region -> bins -> weights -> moments -> window -> result): a part never
    # imports the tracker that holds it, an io module never the one that picks it.
    graph = _package_imports()
    assert graph["meanshift.tracker"] >= {"meanshift.scale", "meanshift.state"}  # the scan sees imports
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
