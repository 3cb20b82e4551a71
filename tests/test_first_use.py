"""What a new user hits first (issue 27): install lines that work, quiet set-up, messages that say what happened.

Each test names the issue's item it covers; the fixes of the command line's own behaviour are tested beside
the command (tests/test_cli.py, tests/test_batch.py, tests/test_io.py), these are about the checkout as a
whole: its documents, its Makefile, its examples.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def text_files() -> list[Path]:
    """The checkout's documents and code: what a user reads or runs, and the messages its code prints."""
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "mkdocs.yml"]
    for folder, pattern in (("docs", "*.md"), ("meanshift", "*.py"), ("examples", "*.py"), ("benchmarks", "*.py"),
                            ("tests", "*.py")):
        files += sorted((ROOT / folder).rglob(pattern))
    return files


# ------------------------------------------------------------------------------- 2. install lines that work


def test_no_install_line_names_meanshift_on_pypi():
    """meanshift is not on PyPI, so an install line naming it with an extra fails; ``pip install '.[vot]'`` works."""
    # Built from pieces so that this file does not match itself.
    on_pypi = re.compile(r"pip install[^\n]*" + re.escape("meanshift" + "["))
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in text_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if on_pypi.search(line)]
    assert not found, "\n".join(found)


def test_the_messages_that_name_an_extra_give_a_line_that_works():
    from meanshift.apps.batch.dask_runner import DISTRIBUTED_EXTRA
    from meanshift.apps.commands.eval import PLOTS_EXTRA
    from meanshift.io.writers import WEB_VIDEO_EXTRA

    for hint, extra in ((DISTRIBUTED_EXTRA, "distributed"), (PLOTS_EXTRA, "plots"), (WEB_VIDEO_EXTRA, "web-video")):
        assert f"pip install '.[{extra}]'" in hint and "checkout" in hint, hint


# ------------------------------------------------------------------------------- 3. the docs site from disk


def test_the_docs_build_refuses_links_that_open_a_folder_from_disk(tmp_path):
    """`make docs` (and `make test`) fail when a link between pages names a folder: opened from disk, as the
    Makefile says to, such a link shows a directory listing. The check runs in the build (docs/_ext/hooks.py);
    here it is tried on a small site with one link of each kind."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install '.[docs]')")
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "_ext" / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    (tmp_path / "uses" / "file").mkdir(parents=True)
    (tmp_path / "uses" / "file.html").write_text("<p>a page</p>")
    (tmp_path / "index.html").write_text(
        '<a href="uses/file.html#outputs">ok</a> <a href="#top">ok</a> <a href="https://example.org/">ok</a>'
        '<a href="uses/file/">folder</a> <a href="uses/missing.html">no file</a> <a href="uses">folder</a>')
    assert hooks.links_to_folders(tmp_path) == ["index.html -> uses/file/", "index.html -> uses/missing.html",
                                                "index.html -> uses"]
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^use_directory_urls: false\b", config, re.MULTILINE)


# ------------------------------------------------------------------------------- 7. noise


def make_dry_run(target: str) -> list[str]:
    """The commands ``make TARGET`` would run from scratch (``-n``: nothing runs; ``-B``: as on a fresh checkout)."""
    done = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_installs_the_checkout_without_setuptools_banner(tmp_path):
    """`make demo`, `make test` and `make docs` install the checkout in editable mode; setuptools' banner about it
    ("Editable installation ... Please be careful with folders ...") came through pip's -q. Each install line of
    the Makefile is run here as written (its environment included) on a copy of the checkout, into a throwaway
    venv, without dependencies: what remains on the console is pip's and setuptools' say, and must be nothing."""
    lines = {line for target in ("demo", "test", "docs") for line in make_dry_run(target)
             if "pip install" in line and " -e " in line}
    assert len(lines) == 3, lines
    # What each line sets before the program (VAR=value words): the same for all three, so one install tells.
    settings = {tuple(word for word in shlex.split(line) if re.match(r"^[A-Z_]+=", word)) for line in lines}
    assert len(settings) == 1, settings
    env = dict(word.split("=", 1) for word in settings.pop())
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "meanshift", copy / "meanshift", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, copy / name)
    # Into a venv of its own (pip --python): pip installing a `meanshift` anywhere from this venv's pip, even under
    # --prefix, first uninstalls this venv's own editable `meanshift`, and the tests after this one lose it.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                           "-e", str(copy), "--no-deps"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Editable installation" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert "!!" not in done.stderr, done.stderr[-3000:]


def test_doctests_skipped_whole_are_reported_where_they_are_written():
    """A docstring whose examples are all +SKIP was reported at `.venv/.../_pytest/doctest.py:464`, the same place
    for each; the root conftest.py reports it at its own file and line."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "meanshift/evaluation/runner.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped == ["SKIPPED [1] meanshift/evaluation/runner.py:1: meanshift.evaluation.runner: all examples "
                       "skipped by +SKIP option"], done.stdout[-3000:]


# ------------------------------------------------------------------------------- 8. small ones: the documents


def test_the_video_file_page_gives_the_centre_convention():
    """cx,cy in the box table are OTB's pixel-centre convention; a reader comparing with their own centres needs
    it, and docs/uses/file.md did not say it."""
    page = (ROOT / "docs" / "uses" / "file.md").read_text(encoding="utf-8")
    assert "`cx = x + (w - 1) / 2`, `cy = y + (h - 1) / 2`" in page
    # The example rows the page shows follow it.
    rows = re.findall(r"^\d+,\d+,([\d.]+),([\d.]+),([\d.]+),([\d.]+),([\d.]+),([\d.]+),", page, re.MULTILINE)
    assert rows
    for x, y, w, h, cx, cy in (tuple(float(v) for v in row) for row in rows):
        assert (cx, cy) == (x + (w - 1) / 2, y + (h - 1) / 2)


def test_the_speed_summary_reads_in_short_pieces():
    """The Speed section of docs/results/index.md was one paragraph of some 330 words; each paragraph and list
    item of it now stays short."""
    page = (ROOT / "docs" / "results" / "index.md").read_text(encoding="utf-8")
    section = page[page.index("## Speed\n"):page.index("\n## Accuracy\n")]
    # Paragraphs are separated by blank lines, list items start with "- " (at any depth).
    pieces = [piece for block in section.split("\n\n") for piece in re.split(r"\n\s*- ", block)]
    prose = [piece for piece in pieces if not piece.lstrip().startswith(("|", "!["))]
    longest = max(prose, key=lambda piece: len(piece.split()))
    assert len(longest.split()) <= 80, longest
