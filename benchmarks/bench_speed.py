"""Speed, side by side with OpenCV in the same run; writes benchmarks/results/speed.md.

Two questions:

1. Per frame, 640x480: each preset's ``update`` against OpenCV's canonical CAMSHIFT pipeline
   (``cvtColor`` to HSV, ``inRange`` mask, ``calcBackProject``, ``CamShift``) on the same frames.
2. The drop-ins: ``meanshift.mean_shift`` / ``cam_shift`` against ``cv2.meanShift`` / ``cv2.CamShift``
   on the same weight image, for small, medium and large windows.

Timings are interleaved (A, B, A, B, ...) and summarised by their median, so that the machine's
noise hits both sides alike; the ratio is what to read, not the absolute times.

Usage: ``python benchmarks/bench_speed.py [--frames N] [--out benchmarks/results/speed.md]``
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

import meanshift
from meanshift.baselines import OpenCVCamShift  # the canonical pipeline, as `meanshift eval` runs it
from meanshift.synthetic import moving_target_sequence

ROOT = Path(__file__).resolve().parents[1]
SEQUENCES = ROOT.parent / "shared" / "data" / "sequences"
CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 1.0)


def load_sequences(n_frames: int) -> list[tuple[str, list[np.ndarray], tuple[float, float, float, float]]]:
    """The first frames of every shared colour sequence; a synthetic 640x480 one when they are absent."""
    found = []
    if SEQUENCES.is_dir():
        for folder in sorted(p for p in SEQUENCES.iterdir() if (p / "img").is_dir()):
            paths = sorted((folder / "img").glob("*.jpg"))[:n_frames]
            frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in paths]
            first = (folder / "groundtruth_rect.txt").read_text().splitlines()[0]
            box = tuple(float(v) for v in first.replace("\t", ",").replace(" ", ",").split(",")[:4])
            found.append((folder.name, frames, box))
    if not found:
        sequence = list(moving_target_sequence(n_frames=n_frames, frame_size=(480, 640), base_size=(120, 90)))
        found.append(("synthetic", [f for f, _ in sequence], sequence[0][1]))
    return found


def time_trackers(trackers: dict, frames, box, repeats: int) -> dict[str, float]:
    """Median milliseconds per ``update``, trackers interleaved frame by frame."""
    samples: dict[str, list[float]] = {name: [] for name in trackers}
    for _ in range(repeats):
        instances = {name: factory() for name, factory in trackers.items()}
        for tracker in instances.values():
            tracker.init(frames[0], box)
        for frame in frames[1:]:
            for name, tracker in instances.items():
                start = time.perf_counter()
                tracker.update(frame)
                samples[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(values) for name, values in samples.items()}


def time_drop_ins(size: int, repeats: int) -> dict[str, float]:
    """Median microseconds per call of each drop-in and its OpenCV twin on one 640x480 weight image."""
    prob = np.zeros((480, 640), np.uint8)
    cv2.ellipse(prob, (330, 250), (size // 2, size // 3), 20, 0, 360, 255, -1)
    prob = cv2.GaussianBlur(prob, (0, 0), 3)
    window = (330 - size // 2 - 7, 250 - size // 3 + 5, size, size * 2 // 3)
    calls = {
        "cv2.meanShift": lambda: cv2.meanShift(prob, window, CRITERIA),
        "meanshift.mean_shift": lambda: meanshift.mean_shift(prob, window, CRITERIA),
        "cv2.CamShift": lambda: cv2.CamShift(prob, window, CRITERIA),
        "meanshift.cam_shift": lambda: meanshift.cam_shift(prob, window, CRITERIA),
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: 1e6 * statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "speed.md")
    args = parser.parse_args()

    sequences = load_sequences(args.frames)
    trackers = {"OpenCV CAMSHIFT pipeline": OpenCVCamShift}
    trackers.update({f"meanshift {name}": (lambda name=name: meanshift.create_tracker(name))
                     for name in meanshift.PRESETS})
    names = list(trackers)
    # Compile the Numba kernels (or load them from the cache) before timing.
    time_trackers(trackers, sequences[0][1][:3], sequences[0][2], 1)

    lines = [
        "# Speed, side by side with OpenCV",
        "",
        f"Made by `python benchmarks/bench_speed.py --frames {args.frames}` (meanshift {meanshift.__version__}, "
        f"OpenCV {cv2.__version__}, Python {platform.python_version()}, {platform.machine()}). Medians of "
        "interleaved runs; the machine is shared and noisy, so read the ratios.",
        "",
        f"## Per frame: milliseconds per `update`, first {args.frames} frames of each sequence",
        "",
        "| sequence | frame | target | " + " | ".join(names) + " |",
        "|---|---|---|" + "---:|" * len(names),
    ]
    ratios: dict[str, list[float]] = {name: [] for name in names[1:]}
    for label, frames, box in sequences:
        per_frame = time_trackers(trackers, frames, box, args.repeats)
        reference = per_frame[names[0]]
        cells = [f"{per_frame[names[0]]:.3f}"]
        for name in names[1:]:
            ratios[name].append(reference / per_frame[name])
            cells.append(f"{per_frame[name]:.3f} ({reference / per_frame[name]:.1f}x)")
        height, width = frames[0].shape[:2]
        lines.append(f"| {label} | {width}x{height} | {box[2]:.0f}x{box[3]:.0f} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    summary = " | ".join(f"{statistics.geometric_mean(r):.1f}x" for r in ratios.values())
    lines += [
        f"| **speed-up over OpenCV, geometric mean** | | | 1x | {summary} |",
        "",
        "(x) = how many times faster than OpenCV's canonical CAMSHIFT pipeline on the same frames. That pipeline",
        "converts and back-projects the whole frame every frame; meanshift quantises only the search region",
        "around the window, so its cost follows the target's size, not the frame's.",
        "",
        "## Drop-ins on one 640x480 weight image",
        "",
        "| window | cv2.meanShift µs | mean_shift µs | ratio | cv2.CamShift µs | cam_shift µs | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in (40, 120, 300):
        t = time_drop_ins(size, repeats=300)
        lines.append(
            f"| {size}x{size * 2 // 3} | {t['cv2.meanShift']:.1f} | {t['meanshift.mean_shift']:.1f} | "
            f"{t['cv2.meanShift'] / t['meanshift.mean_shift']:.2f}x | {t['cv2.CamShift']:.1f} | "
            f"{t['meanshift.cam_shift']:.1f} | {t['cv2.CamShift'] / t['meanshift.cam_shift']:.2f}x |"
        )
    lines += ["", "A ratio above 1 means meanshift is faster.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
