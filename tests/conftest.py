from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# tests/naive.py is imported as a plain module by the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Property-based tests: a bounded number of examples so that the fuzz tests stay well under a minute,
# no per-example deadline (the first example of a run may compile Numba kernels), and on CI a fixed,
# derandomized search so that a failure reproduces. HYPOTHESIS_PROFILE=deep searches longer, locally.
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("dev"), derandomize=True, database=None, print_blob=True)
settings.register_profile("deep", settings.get_profile("dev"), max_examples=5000)
_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))

SEQUENCES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sequences"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def sequences_dir() -> Path:
    """The shared OTB-layout sequences; tests that need real footage skip without them."""
    if not SEQUENCES.is_dir():
        pytest.skip(f"real sequences not found at {SEQUENCES}")
    return SEQUENCES
