"""How small a box can be tracked? Boxes of 1..16 px cut from the shared sequences, tracked by the presets.

On every shared sequence, a square box of side s is cut at the centre of frame 1's ground truth and
tracked for up to ``--frames`` frames. A frame counts as *on target* when the tracked centre lies inside
the ground-truth box. A box that never moves scores the same way (``still``): tracking that does no
better than standing still is meaningless. ``ok`` is the fraction of frames the tracker reported as
trusted; ``ok & off`` the fraction trusted while off target (what an honest ``ok`` avoids).

Run: ``python benchmarks/tiny_boxes.py [--frames 100] [--out benchmarks/results/tiny_boxes.md]``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

import meanshift
from meanshift.evaluation.datasets import load_dataset

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1, 2, 3, 4, 5, 6, 8, 12, 16)
PRESETS = ("camshift", "comaniciu-meer", "generalized")


def inside(point: tuple[float, float], box: np.ndarray) -> bool:
    x, y, w, h = box
    return bool(x <= point[0] <= x + w - 1 and y <= point[1] <= y + h - 1)


def run(sequences: list, preset: str, side: int, n_frames: int) -> dict[str, float]:
    on, still, ok, ok_off, total = 0, 0, 0, 0, 0
    for seq in sequences:
        frames = seq.frames()
        gx, gy, gw, gh = seq.groundtruth[0]
        if min(gw, gh) < side:
            continue
        cx, cy = gx + (gw - 1) / 2, gy + (gh - 1) / 2
        box = (cx - (side - 1) / 2, cy - (side - 1) / 2, float(side), float(side))
        tracker = meanshift.create_tracker(preset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tracker.init(next(frames), box)
            except ValueError:
                continue
            for index in range(1, min(n_frames, len(seq))):
                frame = next(frames)
                truth = seq.groundtruth[index]
                if not np.all(np.isfinite(truth)) or truth[2] <= 0:
                    continue
                result = tracker.update(frame)
                hit = inside(result.center, truth)
                on += hit
                still += inside((cx, cy), truth)
                ok += result.ok
                ok_off += result.ok and not hit
                total += 1
    return {"on": on / total, "still": still / total, "ok": ok / total, "ok_off": ok_off / total, "frames": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "sequences"))
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "tiny_boxes.md"))
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    args = parser.parse_args()
    sequences = list(load_dataset(args.data))
    lines = [f"# Tiny boxes: {len(sequences)} shared sequences, first {args.frames} frames each",
             "", "Box of side s at the centre of frame 1's ground truth. on = tracked centre inside the "
             "ground-truth box; still = the same for a box that never moves; ok = reported trusted; "
             "ok & off = trusted while off target. `python benchmarks/tiny_boxes.py`.", "",
             "| preset | s (px) | on | still | on - still | ok | ok & off |", "|---|---:|---:|---:|---:|---:|---:|"]
    for preset in args.presets:
        for side in SIZES:
            r = run(sequences, preset, side, args.frames)
            line = (f"| {preset} | {side} | {r['on']:.3f} | {r['still']:.3f} | {r['on'] - r['still']:+.3f} "
                    f"| {r['ok']:.3f} | {r['ok_off']:.3f} |")
            print(line, flush=True)
            lines.append(line)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
