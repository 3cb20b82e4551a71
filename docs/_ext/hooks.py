"""MkDocs hooks: files the site shows without a copy of them in docs/.

* The plots of ``benchmarks/results/`` are served as ``results/<name>.png``, next to the pages of
  ``docs/results/`` that include the tables of the same folder (pymdownx.snippets), so the committed
  benchmark outputs are the only copy and a regenerated plot is what the next build shows.
* MathJax 3 is served from the site itself (``assets/mathjax/``), taken from the installed
  ``django-static-mathjax`` distribution (plain MathJax files; nothing of Django is imported), so
  that neither ``mkdocs build`` nor a reader of the built site needs the internet.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
MATHJAX_DIST = "django-static-mathjax"
MATHJAX_FILE = "mathjax/static/mathjax/es5/tex-svg-full.js"  # SVG output: no font files to serve


def _mathjax() -> Path:
    try:
        path = Path(metadata.distribution(MATHJAX_DIST).locate_file(MATHJAX_FILE))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise PluginError(f"MathJax not found: install the docs extra (pip install -e '.[docs]'), "
                          f"which brings {MATHJAX_DIST}")
    return path


def on_files(files, config):
    plots = sorted(RESULTS.glob("*.png"))
    if not plots:
        raise PluginError(f"no plots in {RESULTS}")
    for plot in plots:
        files.append(File.generated(config, f"results/{plot.name}", abs_src_path=str(plot)))
    files.append(File.generated(config, "assets/mathjax/tex-svg-full.js", abs_src_path=str(_mathjax())))
    return files
