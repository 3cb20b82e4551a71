"""The presets replay their committed boxes: a refactor that changes a box on any frame fails here.

``benchmarks/results/boxes/meanshift-<preset>/<sequence>.csv`` hold every preset's box (rounded to
3 decimals, as ``meanshift eval`` writes them) on every frame of every shared sequence, the image
folders of ``../shared/data/sequences`` and the videos of ``../shared/data/videos``. The default run
replays the first frames of every sequence; ``pytest -m replay`` replays every frame (about a minute).
Regenerate the files with ``make results`` after a change that is meant to move the boxes.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

import meanshift
from meanshift.evaluation.datasets import load_sequence

ROOT = Path(__file__).resolve().parents[1]
BOXES = ROOT / "benchmarks" / "results" / "boxes"
SHARED_SEQUENCES = ROOT.parent / "shared" / "data" / "sequences"
SHARED_FOLDERS = (SHARED_SEQUENCES, ROOT.parent / "shared" / "data" / "videos")
PRESETS = ("camshift", "comaniciu-meer", "generalized")
# Enough to cover init, the first scale decisions and most re-acquisitions' set-up, in a few seconds.
QUICK_FRAMES = 40


def _committed(preset: str, sequence: str) -> tuple[np.ndarray, np.ndarray]:
    with open(BOXES / f"meanshift-{preset}" / f"{sequence}.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    boxes = np.array([[float(row[k]) for k in ("x", "y", "w", "h")] for row in rows])
    return boxes, np.array([row["ok"] == "1" for row in rows])


def _shared_sequences() -> dict[str, Path]:
    """Every sequence folder of ../shared, by name."""
    return {p.name: p for folder in SHARED_FOLDERS if folder.is_dir() for p in folder.iterdir()
            if (p / "groundtruth_rect.txt").is_file()}


def _sequences() -> list[str]:
    return sorted(_shared_sequences())


def _replay(preset: str, sequence: str, max_frames: int | None) -> None:
    want_boxes, want_ok = _committed(preset, sequence)
    seq = load_sequence(_shared_sequences()[sequence])
    n = len(seq) if max_frames is None else min(max_frames, len(seq))
    tracker = meanshift.create_tracker(preset)
    frames = seq.frames()
    # Grayscale sequences warn that gray features are used; the replay is about boxes, not warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracker.init(next(frames), seq.init_box)
        for index in range(1, n):
            result = tracker.update(next(frames))
            # As `meanshift eval` writes them: 3 decimals, then 6 significant digits.
            got = np.array([float(f"{round(float(v), 3):.6g}") for v in result.box])
            assert np.allclose(got, want_boxes[index], rtol=0, atol=1e-6), (
                f"{preset} on {sequence}, frame {index + 1}: box {tuple(got)} != committed {tuple(want_boxes[index])}")
            assert result.ok == want_ok[index], f"{preset} on {sequence}, frame {index + 1}: ok {result.ok}"


requires_shared = pytest.mark.skipif(not SHARED_SEQUENCES.is_dir(), reason="../shared/data/sequences is absent")


@requires_shared
@pytest.mark.parametrize("preset", PRESETS)
def test_presets_replay_the_first_frames_of_every_shared_sequence(preset):
    sequences = _sequences()
    committed = {p.stem for p in (BOXES / f"meanshift-{preset}").glob("*.csv")}
    # Every shared sequence has committed boxes: a new one in ../shared needs `make results`.
    assert sorted(set(sequences) - committed) == []
    for sequence in sequences:
        _replay(preset, sequence, QUICK_FRAMES)


@requires_shared
@pytest.mark.replay
@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("sequence", _sequences())
def test_presets_replay_every_frame(preset, sequence):
    _replay(preset, sequence, None)
