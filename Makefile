# Two commands do all the set-up:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python

.PHONY: demo test lint system-deps bench eval clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files so that a second `make` does not reinstall; they depend on pyproject.toml.
$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(PY) -m pip install -q -e .
	touch $@

# The distributed, vot and got10k extras too, so that the Dask batch tests and the VOT-toolkit and got10k
# integration tests run rather than skip.
$(VENV)/.installed-test: $(BIN)/activate pyproject.toml
	$(PY) -m pip install -q -e '.[test,distributed,vot,got10k]'
	touch $@

## Track the clip that ships with the project; writes out/demo_boxes.csv and out/demo_tracked.mp4
demo: $(VENV)/.installed
	@mkdir -p out
	$(BIN)/meanshift track examples/data/demo.mp4 --box-file examples/data/demo.box \
	    --output out/demo_boxes.csv --output-video out/demo_tracked.mp4
	@echo "wrote out/demo_boxes.csv and out/demo_tracked.mp4"

## Xvfb and xdotool for the live-window test (Debian packages; installed when missing and we are root)
system-deps:
	@bash .ci/system-deps.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check meanshift tests examples benchmarks

## The whole test suite (CI runs exactly this)
test: $(VENV)/.installed-test system-deps lint
	$(PY) -m pytest -q

bench: $(VENV)/.installed-test
	$(PY) benchmarks/speed.py

eval: $(VENV)/.installed-test
	$(BIN)/meanshift eval ../shared/data/sequences --out benchmarks/results

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
