"""Plug your own similarity measure into the tracker, in a few lines of NumPy, and see what it changes.

A measure needs its value rho(p, q) and its weight table w_u = d rho / d p_u over the m bins
(DESIGN.md); with ``needs_background=True`` both also get b, the histogram of the ring around the
initial box. This one, "background contrast", scores a candidate by how much more it looks like the
target than like the target's surroundings:

    rho(p) = sum_u sqrt(p_u q_u) - sum_u sqrt(p_u b_u)
    w_u    = max(sqrt(q_u) - sqrt(b_u), 0) / sqrt(p_u)        (the derivative, up to a factor 1/2, clipped at 0)

Bhattacharyya's weights are sqrt(q_u / p_u): a colour the target shares with its surroundings pulls
the window as much as one only the target has. Here it pulls only by what the target has more of,
so the window keeps to the target's distinctive colours.

The measure drives the recommended tracker, ``meanshift.Tracker()`` (the dense search, motion prior, size
rule, learning and loss detection of ``generalized()``): its weights, taken against the tracker's learnt
object and surroundings histograms, are what the search sums, and ``TrackResult.score`` is its value.

Run:  python examples/custom_similarity.py [SEQUENCE_DIR]
Without arguments it tracks the synthetic clip the project generates; with a sequence folder
(``img/`` or ``video.mp4``, and ``groundtruth_rect.txt``, e.g. ../shared/data/sequences/David) the real one.
Both print where the custom measure put the box every 15th frame, and the accuracy of the custom
measure, of the default ``posterior`` measure and of Bhattacharyya.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

import meanshift
from meanshift.synthetic import moving_target_sequence


def contrast_value(p: np.ndarray, q: np.ndarray, b: np.ndarray) -> float:
    return float(np.sum(np.sqrt(p * q)) - np.sum(np.sqrt(p * b)))


def contrast_weights(p: np.ndarray, q: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Bins absent from the candidate get weight 0 (no pixel of the window falls there anyway).
    inverse_sqrt_p = np.divide(1.0, np.sqrt(p), out=np.zeros_like(p), where=p > 0)
    return np.maximum(np.sqrt(q) - np.sqrt(b), 0.0) * inverse_sqrt_p


# Register once by name (or pass an object to Tracker(similarity=...) directly).
meanshift.register_similarity(
    "background-contrast", value=contrast_value, weights=contrast_weights, needs_background=True, replace=True
)


def frames_and_truth() -> tuple[list[np.ndarray], np.ndarray, str]:
    if len(sys.argv) >= 2:
        from meanshift.evaluation.datasets import load_sequence

        sequence = load_sequence(sys.argv[1])
        return list(sequence.frames()), np.asarray(sequence.groundtruth, float), sequence.name
    clip = list(moving_target_sequence(n_frames=90))
    return [frame for frame, _ in clip], np.array([box for _, box in clip], float), "the synthetic clip"


def track(similarity: str, frames: list[np.ndarray], first_box) -> np.ndarray:
    # The recommended tracker, with this measure's weights instead of the default posterior's.
    tracker = meanshift.Tracker(similarity=similarity)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (gray sequences are tracked with gray features)
        tracker.init(frames[0], tuple(first_box))
        return np.array([first_box] + [tracker.update(frame).box for frame in frames[1:]])


def main() -> None:
    from meanshift.evaluation.metrics import score_sequence

    frames, truth, name = frames_and_truth()
    boxes = {measure: track(measure, frames, truth[0])
             for measure in ("posterior", "bhattacharyya", "background-contrast")}
    for index in range(15, len(frames), 15):
        x, y, w, h = boxes["background-contrast"][index]
        print(f"frame {index:3d}: box ({x:6.1f}, {y:6.1f}, {w:5.1f}, {h:5.1f})")
    print(f"on {name} ({len(frames)} frames):")
    for measure, tracked in boxes.items():
        score = score_sequence(tracked, truth)
        centre = tracked[:, :2] + (tracked[:, 2:] - 1) / 2
        error = np.hypot(*(centre - (truth[:, :2] + (truth[:, 2:] - 1) / 2)).T)
        print(f"  {measure:20s} AUC {score.auc:.3f}  P@20 {score.precision_at_20:.3f}  "
              f"mean centre error {np.nanmean(error):5.1f} px")
    moved = np.hypot(*(boxes["posterior"][:, :2] - boxes["background-contrast"][:, :2]).T)
    print(f"  background-contrast's boxes are {np.mean(moved):.1f} px from posterior's on average "
          f"(at most {np.max(moved):.1f})")
    print("similarities available:", ", ".join(meanshift.similarities()))


if __name__ == "__main__":
    main()
