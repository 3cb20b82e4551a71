"""examples/custom_similarity.py runs, registers its measure, and tracks the synthetic target."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from meanshift.synthetic import moving_target_sequence

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_similarity.py"


def test_custom_similarity_example_tracks_the_target():
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "bhattacharyya-squared" in done.stdout
    truth = [box for _, box in moving_target_sequence(n_frames=90)]
    rows = re.findall(r"frame\s+(\d+): box \(\s*([-\d.]+),\s*([-\d.]+),\s*([\d.]+),\s*([\d.]+)\)", done.stdout)
    assert len(rows) == 5
    for index, x, y, w, h in rows:
        gx, gy, gw, gh = truth[int(index)]
        got = (float(x) + (float(w) - 1) / 2, float(y) + (float(h) - 1) / 2)
        assert np.hypot(got[0] - (gx + (gw - 1) / 2), got[1] - (gy + (gh - 1) / 2)) < 2.0
