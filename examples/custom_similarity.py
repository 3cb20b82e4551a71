"""Plug your own similarity measure into the tracker, in a few lines of NumPy.

A measure needs its value rho(p, q) and its weight table w_u = d rho / d p_u over the m bins
(DESIGN.md). This one is the squared Bhattacharyya coefficient rho = (sum sqrt(p q))^2, whose
derivative sqrt(rho) * sqrt(q_u / p_u) is sqrt(q_u / p_u) up to a constant factor, which the mean
shift divides out.

Run:  python examples/custom_similarity.py [VIDEO --box x,y,w,h]
Without arguments it tracks the synthetic clip the project generates.
"""

from __future__ import annotations

import sys

import numpy as np

import meanshift
from meanshift.synthetic import moving_target_sequence


def squared_coefficient(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(np.sqrt(p * q))) ** 2


def sqrt_ratio_weights(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    # Bins absent from the candidate get weight 0 (no pixel of the window falls there anyway).
    return np.sqrt(np.divide(q, p, out=np.zeros_like(q), where=p > 0))


# Register once by name (or pass an object to Tracker(similarity=...) directly).
meanshift.register_similarity(
    "bhattacharyya-squared", value=squared_coefficient, weights=sqrt_ratio_weights, replace=True
)


def frames_and_box():
    if len(sys.argv) >= 4 and sys.argv[2] == "--box":
        import cv2

        capture = cv2.VideoCapture(sys.argv[1])
        box = tuple(float(v) for v in sys.argv[3].split(","))

        def frames():
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    return
                yield frame

        return frames(), box
    sequence = moving_target_sequence(n_frames=90)
    first, box = next(sequence)
    return (f for f in [first] + [frame for frame, _ in sequence]), box


def main() -> None:
    frames, box = frames_and_box()
    tracker = meanshift.Tracker(features="bgr", similarity="bhattacharyya-squared", scale="contrast")
    tracker.init(next(frames), box)
    for index, frame in enumerate(frames, start=1):
        result = tracker.update(frame)
        if index % 15 == 0:
            x, y, w, h = result.box
            print(f"frame {index:3d}: box ({x:6.1f}, {y:6.1f}, {w:5.1f}, {h:5.1f})  score {result.score:.3f}")
    print("similarities available:", ", ".join(meanshift.similarities()))


if __name__ == "__main__":
    main()
