"""examples/custom_similarity.py runs, registers a measure whose weights differ from Bhattacharyya's, tracks the
synthetic target, and reports what the measure changes."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from meanshift.synthetic import moving_target_sequence

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_similarity.py"
DAVID = Path(__file__).resolve().parents[2] / "shared" / "data" / "sequences" / "David"
SUMMARY = re.compile(r"^\s+(posterior|bhattacharyya|background-contrast)\s+AUC ([\d.]+)\s+P@20 ([\d.]+)",
                     re.MULTILINE)


def run_example(*args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_custom_similarity_example_tracks_the_target():
    out = run_example()
    assert "background-contrast" in out
    truth = [box for _, box in moving_target_sequence(n_frames=90)]
    rows = re.findall(r"frame\s+(\d+): box \(\s*([-\d.]+),\s*([-\d.]+),\s*([\d.]+),\s*([\d.]+)\)", out)
    assert len(rows) == 5
    for index, x, y, w, h in rows:
        gx, gy, gw, gh = truth[int(index)]
        got = (float(x) + (float(w) - 1) / 2, float(y) + (float(h) - 1) / 2)
        # on the target: centre within a tenth of its side, and the box overlapping it by more than half
        assert np.hypot(got[0] - (gx + (gw - 1) / 2), got[1] - (gy + (gh - 1) / 2)) < 0.1 * min(gw, gh)
        ix = max(0.0, min(float(x) + float(w), gx + gw) - max(float(x), gx))
        iy = max(0.0, min(float(y) + float(h), gy + gh) - max(float(y), gy))
        assert ix * iy / (float(w) * float(h) + gw * gh - ix * iy) > 0.5
    assert {name for name, _, _ in SUMMARY.findall(out)} == {"posterior", "bhattacharyya", "background-contrast"}


def test_the_example_measure_weighs_pixels_unlike_bhattacharyya():
    """The old example squared the Bhattacharyya coefficient: the same weights up to a constant, so the same boxes."""
    spec = importlib.util.spec_from_file_location("custom_similarity_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    rng = np.random.default_rng(1)
    p, q, b = (v / v.sum() for v in rng.random((3, 64)))
    theirs = np.sqrt(q / p)
    mine = example.contrast_weights(p, q, b)
    ratio = mine[mine > 0] / theirs[mine > 0]
    assert ratio.max() / ratio.min() > 2  # not proportional: another weighting of the pixels
    assert np.any(mine == 0) and np.all(mine >= 0)  # colours the surroundings have more of count for nothing
    h = 1e-7
    for u in range(4):  # the weights are the value's derivative (times 2)
        step = np.zeros(64)
        step[u] = h
        slope = (example.contrast_value(p + step, q, b) - example.contrast_value(p - step, q, b)) / (2 * h)
        if mine[u] > 0:
            assert 2 * slope == pytest.approx(mine[u], rel=1e-4)


@pytest.mark.skipif(not DAVID.is_dir(), reason="../shared/data/sequences is absent")
def test_the_example_reports_what_the_measure_changes_on_a_shared_sequence():
    scores = {name: (float(a), float(p)) for name, a, p in SUMMARY.findall(run_example(str(DAVID)))}
    # Measured in the recommended tracker: David P@20 posterior 0.898, Bhattacharyya 0.166, background contrast
    # 0.898 (docs/uses/similarity.md): a measure that discounts the surroundings' colours follows the face,
    # Bhattacharyya's does not.
    assert scores["background-contrast"][1] > scores["bhattacharyya"][1] + 0.5
    assert scores["posterior"][1] > 0.8
