"""Cost per ``update`` of each feature space against bgr: the default tracker on the same frames, interleaved.

Synthetic 640x480 and 1920x1080 frames (the target 1/8 of the frame's width) and the first 100 frames of a
shared sequence; every space tracks the same frames, in turn, one frame at a time, and the medians are
reported. Run: ``python benchmarks/bench_color_spaces.py [--out benchmarks/results/color_spaces.md]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import meanshift
from meanshift.evaluation.datasets import load_sequence
from meanshift.synthetic import moving_target_sequence

ROOT = Path(__file__).resolve().parents[1]
SPACES = ("bgr", "hue", "hue-sat", "gray", "hsv-full", "lab", "ycrcb")


def clip(name: str):
    if name == "Crossing":
        seq = load_sequence(ROOT.parent / "shared" / "data" / "sequences" / "Crossing", max_frames=100)
        return list(seq.frames()), seq.init_box
    height, width = {"640x480": (480, 640), "1920x1080": (1080, 1920)}[name]
    side = width // 8
    frames = list(moving_target_sequence(n_frames=100, frame_size=(height, width), base_size=(side, side * 3 // 4)))
    return [frame for frame, _ in frames], frames[0][1]


def measure(frames: list, box) -> dict[str, float]:
    # scale="contrast": the colour space drives every step of its search (the table was measured with it).
    trackers = {name: meanshift.Tracker(features=name, scale="contrast") for name in SPACES}
    for tracker in trackers.values():
        tracker.init(frames[0], box)
        tracker.update(frames[1])  # compile / load from the cache
    times: dict[str, list[float]] = {name: [] for name in SPACES}
    for frame in frames[2:]:
        for name, tracker in trackers.items():
            start = time.perf_counter()
            tracker.update(frame)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "color_spaces.md"))
    args = parser.parse_args()
    lines = ["# Cost per update by feature space (`python benchmarks/bench_color_spaces.py`)", "",
             "`meanshift.Tracker(features=..., scale=\"contrast\")` (the recommended settings otherwise), medians "
             "of interleaved `update` calls, ms; in brackets the ratio to bgr. hue, hue-sat, gray and hsv-full are "
             "quantised in Numba (OpenCV's fixed-point formulas); lab and ycrcb are converted by `cv2.cvtColor` "
             "over the search region, then binned in Numba.", "",
             "| clip | " + " | ".join(SPACES) + " |", "|---|" + "---:|" * len(SPACES)]
    for name in ("640x480", "1920x1080", "Crossing"):
        frames, box = clip(name)
        ms = measure(frames, box)
        cells = [f"{ms[s]:.3f} ({ms[s] / ms['bgr']:.2f}x)" for s in SPACES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
