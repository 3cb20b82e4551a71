"""A long run: does tracking slow down or grow in memory over tens of thousands of frames?

A 320x240 synthetic stream (a red ellipse on a loop over a textured background, made on the fly into one
reused buffer, nothing stored) is tracked by ``meanshift.apps.batch.track_video`` with its CSV written, as
``meanshift track`` does. For every block of frames the time per frame and the process's resident memory
(RSS, from /proc) at the block's end are recorded. The unit test ``tests/test_faults.py`` asserts the
memory (20,000 frames; 200,000 under ``pytest -m soak``); timing is reported here only.

Usage::

    python benchmarks/bench_soak.py [--frames 20000] [--block 2000] [--preset generalized]

Writes benchmarks/results/soak.md.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from meanshift.apps.batch import TrackerOptions, track_video
from meanshift.io import FrameSource
from meanshift.synthetic import PastedTargetScene

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "soak.md"
SIZE, TARGET, PERIOD = (240, 320), (40.0, 30.0), 400


def centre(i: int) -> tuple[float, float]:
    t = 2 * math.pi * (i % PERIOD) / PERIOD
    return 160 + 90 * math.sin(t), 120 + 60 * math.sin(2 * t)


class Stream(FrameSource):
    kind = "camera"

    def __init__(self, n_frames: int):
        self.name, self.fps, self.frame_count = f"synthetic-{n_frames}", 30.0, n_frames
        self.scene, self.n, self.i = PastedTargetScene(SIZE, seed=3), n_frames, 0
        self.buffer = np.empty((*SIZE, 3), np.uint8)

    def _read(self):
        if self.i >= self.n:
            return None
        self.i += 1
        return self.scene.frame(*centre(self.i - 1), *TARGET, out=self.buffer)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--block", type=int, default=2_000)
    parser.add_argument("--preset", default="generalized")
    args = parser.parse_args()
    marks: list[tuple[int, float, float, float]] = []  # (frames done, wall time, CPU time, RSS MB)
    done = [0]

    def on_frame(_: int) -> None:
        done[0] += 1
        if done[0] % args.block == 0:
            marks.append((done[0], time.perf_counter(), time.process_time(), rss_mb()))

    stream = Stream(args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        start = (0, time.perf_counter(), time.process_time(), rss_mb())
        report = track_video(stream, PastedTargetScene.box(*centre(0), *TARGET),
                             options=TrackerOptions(args.preset), csv_path=Path(tmp) / "boxes.csv", on_frame=on_frame)
    rows = []
    for (n0, t0, c0, _), (n1, t1, c1, m1) in zip([start, *marks], marks, strict=False):
        rows.append((n0, n1, 1000 * (t1 - t0) / (n1 - n0), 1000 * (c1 - c0) / (n1 - n0), m1))
    # The first block includes loading the Numba cache: compare the rest, first half against second half.
    rest = rows[1:]
    half = len(rest) // 2

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    early_cpu, late_cpu = mean([r[3] for r in rest[:half]]), mean([r[3] for r in rest[half:]])
    early_wall, late_wall = mean([r[2] for r in rest[:half]]), mean([r[2] for r in rest[half:]])
    lines = [
        f"# Long run: {args.frames:,} frames",
        "",
        f"320x240 synthetic stream made on the fly, preset `{args.preset}`, tracked by `track_video` with its CSV "
        f"written; {report.frames:,} frames, {report.lost} lost. Produced by `python benchmarks/bench_soak.py`.",
        "Per frame: tracking, writing its CSV row and making the frame. CPU time is this process's; wall time "
        "also counts waiting for a core on this shared 2-core machine.",
        "",
        "| frames | wall ms/frame | CPU ms/frame | RSS at the end (MB) |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {a:,}-{b:,} | {wall:.3f} | {cpu:.3f} | {mb:.1f} |" for a, b, wall, cpu, mb in rows]
    lines += [
        "",
        f"Frames {rest[0][0]:,}-{rest[half - 1][1]:,} against {rest[half][0]:,}-{rest[-1][1]:,}: CPU "
        f"{early_cpu:.3f} -> {late_cpu:.3f} ms/frame ({late_cpu / early_cpu:.2f}x), wall {early_wall:.3f} -> "
        f"{late_wall:.3f} ms/frame ({late_wall / early_wall:.2f}x); RSS {rows[0][4]:.1f} MB after the first block, "
        f"{rows[-1][4]:.1f} MB at the end.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
