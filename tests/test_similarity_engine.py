"""Every similarity measure drives the recommended tracker: its weights move the boxes, its value is the score.

The measure is the framework's pluggable part (DESIGN.md): under ``Tracker()``'s defaults (the
recommended tracker's dense search, motion prior, size rule, learning and loss detection) a measure
other than the default ``posterior`` must give other boxes on real footage, and ``TrackResult.score``
must be that measure's value of the reported box: finite on every frame and changing from frame to frame.
"""

from __future__ import annotations

import numpy as np
import pytest

import meanshift
from meanshift.evaluation.datasets import load_sequence
from meanshift.posterior import ModelLearning
from meanshift.similarity import FunctionSimilarity, similarities

BUILT_INS = ("backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2", "log-likelihood",
             "background-ratio", "posterior")
FRAMES = 40


def _user_measure() -> FunctionSimilarity:
    """A user's measure in NumPy: the squared Hellinger affinity, weights sqrt(q / p)."""
    return FunctionSimilarity(
        "hellinger-squared",
        value=lambda p, q: float(np.sum(np.sqrt(p * q))) ** 2,
        weights=lambda p, q: np.sqrt(np.divide(q, p, out=np.zeros_like(q), where=p > 0)),
    )


def _run(sequences_dir, name: str, similarity) -> tuple[np.ndarray, np.ndarray]:
    seq = load_sequence(sequences_dir / name, max_frames=FRAMES)
    tracker = meanshift.Tracker(similarity=similarity)
    frames = seq.frames()
    tracker.init(next(frames), seq.init_box)
    results = [tracker.update(frame) for frame in frames]
    return np.array([r.box for r in results]), np.array([r.score for r in results])


def test_the_built_in_measures_are_all_tested_here():
    assert set(BUILT_INS) == set(similarities()[:len(BUILT_INS)])


@pytest.mark.parametrize("sequence", ["Woman", "David"])
def test_every_measure_moves_the_boxes_of_the_recommended_tracker(sequences_dir, sequence):
    default_boxes, _ = _run(sequences_dir, sequence, "posterior")
    for measure in [*BUILT_INS[:-1], _user_measure()]:
        boxes, scores = _run(sequences_dir, sequence, measure)
        name = getattr(measure, "name", measure)
        assert not np.array_equal(boxes, default_boxes), f"{name}: the same boxes as the posterior measure's"
        assert np.all(np.isfinite(scores)), f"{name}: a score that is not finite"
        assert np.unique(np.round(scores, 9)).size > FRAMES // 2, f"{name}: the score hardly varies: {scores[:5]}"


def test_the_score_is_the_measures_value_of_the_reported_box(sequences_dir):
    # The score is rho(p) of the box's histogram against the learnt model: for the posterior measure, the mean
    # P(obj | u) over the box, a probability; for Bhattacharyya a coefficient in [0, 1].
    for name in ("posterior", "bhattacharyya", "intersection"):
        _, scores = _run(sequences_dir, "Woman", name)
        assert np.all((scores >= 0) & (scores <= 1)), (name, scores.min(), scores.max())
    seq = load_sequence(sequences_dir / "Woman", max_frames=3)
    for learning in (ModelLearning(texture="never"), ModelLearning(texture="always")):
        tracker = meanshift.Tracker(learning=learning)
        frames = seq.frames()
        tracker.init(next(frames), seq.init_box)
        model = tracker.scale_rule.part.model
        table = model.posterior_table(np.empty_like(model.obj))  # the model before the frame teaches it
        result = tracker.update(next(frames))
        histogram = tracker.scale_rule.step.histogram  # the box's, in the model's bins
        assert histogram.sum() == pytest.approx(1.0)
        assert result.score == pytest.approx(float(np.dot(histogram, table)), rel=1e-9)
        if learning.texture == "never":  # in the colour space's bins the tracker's own histogram is that one
            np.testing.assert_array_equal(tracker.hist, histogram)


def test_the_posterior_measure_works_in_the_classic_engine_too():
    # The CAMSHIFT form: weights P(obj | u) from the target and ring histograms, the zeroth moment sizes the window.
    frame = np.full((120, 160, 3), (40, 120, 40), np.uint8)
    frame[50:70, 60:80] = (0, 0, 230)
    tracker = meanshift.Tracker(similarity="posterior", scale="moments", background_weighting=False, recovery=False)
    tracker.init(frame, (58, 48, 24, 24))
    moved = np.roll(frame, 4, axis=1)
    for _ in range(5):
        result = tracker.update(moved)
    x, y, w, h = result.box
    assert abs(x + (w - 1) / 2 - 73.5) < 1.5 and abs(y + (h - 1) / 2 - 59.5) < 1.5
    assert 16 < w < 26 and 16 < h < 26
