"""Collection rules for the whole checkout (the tests and the package's doctests).

The integrations subclass or import their toolkits at module level; without the extra installed their
doctests cannot be collected, so they are left out (their tests in tests/ skip with the reason).

A docstring whose examples are all marked ``+SKIP`` (they need a dataset, a video or a toolkit) is reported
skipped where it is written, ``meanshift/io/__init__.py:10``, rather than where pytest raises the skip
(``.venv/.../_pytest/doctest.py:464``, the same line for every one of them).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest
from _pytest.doctest import DoctestItem

collect_ignore = []
if importlib.util.find_spec("got10k") is None:
    collect_ignore.append("meanshift/integrations/got10k.py")
if importlib.util.find_spec("trax") is None:
    collect_ignore.append("meanshift/integrations/vot.py")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(item, DoctestItem) and isinstance(report.longrepr, tuple):
        path, line, _ = item.reportinfo()  # the docstring's first line, counted from 0 (None if unknown)
        reason = str(report.longrepr[2]).removeprefix("Skipped: ").replace("all tests", "all examples")
        report.longrepr = (os.fspath(path), (line or 0) + 1, f"{item.name}: {reason}")
