# Two commands do all the set-up:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python

.PHONY: demo test lint docs dist system-deps bench eval results clean

# setuptools prints a banner on every editable install (a BuildBackendWarning: "Editable installation ... Please be
# careful with folders in your working directory with the same name as your package"), which pip's -q does not
# hide. This filters that one warning; pip's build subprocess inherits it (tests/test_first_use.py checks both).
QUIET_EDITABLE = PYTHONWARNINGS="ignore:Editable installation:UserWarning"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files so that a second `make` does not reinstall; they depend on pyproject.toml.
$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(QUIET_EDITABLE) $(PY) -m pip install -q -e .
	touch $@

# The distributed, vot and got10k extras too, so that the Dask batch tests and the VOT-toolkit and got10k
# integration tests run rather than skip; and the docs extra, because `make test` builds the documentation
# site (a broken link or API path fails it).
$(VENV)/.installed-test: $(BIN)/activate pyproject.toml
	$(QUIET_EDITABLE) $(PY) -m pip install -q -e '.[test,distributed,vot,got10k,docs]'
	touch $@

$(VENV)/.installed-docs: $(BIN)/activate pyproject.toml
	$(QUIET_EDITABLE) $(PY) -m pip install -q -e '.[docs]'
	touch $@

# --strict (also set in mkdocs.yml): any warning, such as a broken link, image, snippet or API path, fails.
# Not --quiet: it hides the warnings from the counter too, and a broken build then passes.
# NO_MKDOCS_2_WARNING silences a banner about MkDocs 2 that Material prints; mkdocs is pinned below 2.
MKDOCS_BUILD = NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## Track the clip that ships with the project; writes out/demo_boxes.csv and out/demo_tracked.mp4
demo: $(VENV)/.installed
	@mkdir -p out
	$(BIN)/meanshift track examples/data/demo.mp4 --box-file examples/data/demo.box \
	    --output out/demo_boxes.csv --output-video out/demo_tracked.mp4
	@echo "wrote out/demo_boxes.csv and out/demo_tracked.mp4"

## Xvfb and xdotool for the live-window test (Debian packages; installed when missing and we are root)
system-deps:
	@bash .ci/system-deps.sh

## The documentation site, into site/: open site/index.html in a browser, straight from disk (pages are
## NAME.html files, mkdocs.yml); the search box needs a server: `.venv/bin/mkdocs serve`, a live preview too
docs: $(VENV)/.installed-docs
	$(MKDOCS_BUILD)
	@echo "wrote site/: open site/index.html (search needs $(BIN)/mkdocs serve)"

## An sdist and a wheel in dist/ (meanshift is not on PyPI: install these, or the checkout, with pip)
dist: $(VENV)/.installed-test
	$(PY) -m build --outdir dist .

## ruff, and mypy over meanshift/ (its settings: [tool.mypy] in pyproject.toml)
lint: $(VENV)/.installed-test
	$(BIN)/ruff check meanshift tests examples benchmarks docs/_ext
	$(BIN)/mypy

## The whole test suite (CI runs exactly this): ruff and mypy, the docs build, pytest (which also builds and
## installs the wheel: tests/test_packaging.py)
test: $(VENV)/.installed-test system-deps lint
	$(MKDOCS_BUILD)
	$(PY) -m pytest -q

bench: $(VENV)/.installed-test
	$(PY) benchmarks/speed.py

## Evaluate every tracker on the shared sequences; writes out/eval (EVAL_OUT=... to choose), never the committed results
EVAL_OUT ?= out/eval
eval: $(VENV)/.installed-test
	$(BIN)/meanshift eval ../shared/data/sequences ../shared/data/videos --out $(EVAL_OUT)

## Regenerate the committed benchmarks/results (the README's table) with OpenCV's contrib trackers
## (KCF, CSRT, MOSSE): in its own venv, .venv-eval, with opencv-contrib-python-headless in place of
## opencv-python (the two cannot share a venv: both install the cv2 package). Pinned, so that the committed
## figures of OpenCV's trackers (one pass and the SRE runs, which take an hour) stay comparable run to run.
EVAL_VENV = .venv-eval
OPENCV_CONTRIB = opencv-contrib-python-headless==5.0.0.93
$(EVAL_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/python -m pip install -q --upgrade pip
	$(QUIET_EDITABLE) $(EVAL_VENV)/bin/python -m pip install -q -e '.[plots]'
	$(EVAL_VENV)/bin/python -m pip uninstall -q -y opencv-python
	$(EVAL_VENV)/bin/python -m pip install -q $(OPENCV_CONTRIB)
	touch $@

results: $(EVAL_VENV)/.installed
	$(EVAL_VENV)/bin/meanshift eval ../shared/data/sequences ../shared/data/videos --out benchmarks/results

clean:
	rm -rf $(VENV) $(EVAL_VENV) out site dist .pytest_cache .ruff_cache .mypy_cache
