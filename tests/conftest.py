from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# tests/naive.py is imported as a plain module by the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

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
