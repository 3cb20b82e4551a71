"""MkDocs hooks: files the site shows without a copy of them in docs/.

* The plots of ``benchmarks/results/`` are served as ``results/<name>.png``, next to the pages of
  ``docs/results/`` that include the tables of the same folder (pymdownx.snippets), so the committed
  benchmark outputs are the only copy and a regenerated plot is what the next build shows.
* MathJax 3 is served from the site itself (``assets/mathjax/``), taken from the installed
  ``django-static-mathjax`` distribution (plain MathJax files; nothing of Django is imported), so
  that neither ``mkdocs build`` nor a reader of the built site needs the internet.
* After the build, every link from one page of the site to another must name a file: the site is
  read from disk too (``make docs``, then open ``site/index.html``), and a browser shows a link to a
  folder (``uses/file/``, what ``use_directory_urls: true`` writes) as a directory listing there.
"""

from __future__ import annotations

from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

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


class _Links(HTMLParser):
    """The ``href`` of every ``<a>`` and ``<link>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "link"):
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def links_to_folders(site: Path) -> list[str]:
    """``"page -> href"`` for each link between the site's pages that does not name a file.

    Links with a scheme (``https:``, ``mailto:``), from the root (``/...``: none is written without a
    ``site_url``) and to an anchor of the same page are not the site's files, and are left out.
    """
    bad = []
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("/", "#")):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or not target.is_file():
                bad.append(f"{page.relative_to(site).as_posix()} -> {href}")
    return bad


def on_post_build(config):
    bad = links_to_folders(Path(config["site_dir"]))
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise PluginError(f"{len(bad)} link(s) between pages name a folder or no file, which a reader who opens "
                          f"site/index.html from disk gets as a directory listing or an error "
                          f"(mkdocs.yml must keep use_directory_urls: false): {shown}")
