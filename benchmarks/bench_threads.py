"""Do two trackers in two threads of one process run in parallel? (multi-camera use)

The Numba kernels are compiled with ``nogil=True`` (``meanshift/_jit.py``), so while one thread is inside
a kernel another can run Python. The rest of ``Tracker.update`` (the mean-shift loop's bookkeeping, the
scale search, NumPy calls on histograms) holds the GIL. This measures how much of two trackers' work
overlaps: two targets on the same 1920x1080 synthetic frames, tracked

* **one thread**: tracker A's ``update`` then tracker B's, frame after frame;
* **two threads**: A in one thread and B in another, each over all the frames;

and reports the speed-up (one-thread time / two-thread time; 2.0 would be perfect). The two ways must
give identical boxes (checked). Frames are made once, before timing; each tracker runs forward and
back over them (ping-pong) so that the target moves continuously. Best of ``--repeats`` runs.

Usage::

    python benchmarks/bench_threads.py [--frames 30] [--passes 2] [--repeats 12]

Writes benchmarks/results/threads.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import threading
import time
from pathlib import Path

import numpy as np

import meanshift
from meanshift.posterior import WindowSearch
from meanshift.synthetic import COOL_BACKGROUND_PALETTE, RED_TARGET_PALETTE, block_texture

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "threads.md"
SIZE = (1080, 1920)

# name, tracker factory, target size (w, h)
CASES = [
    ("generalized, 120x90 target (default sampling)", meanshift.generalized, (120, 90)),
    ("generalized, 400x300 target, every pixel (posterior grid and classic window unsampled)",
     lambda: meanshift.generalized(max_samples=None, window_search=WindowSearch(samples=10**9)), (400, 300)),
    ("camshift, 400x300 target, every pixel (max_samples=None)", lambda: meanshift.camshift(max_samples=None),
     (400, 300)),
]


def make_frames(n: int, size: tuple[int, int], seed: int = 0) -> tuple[list[np.ndarray], list[list[tuple]]]:
    """Frames with two elliptic targets on circular paths; returns frames and each target's centres."""
    rng = np.random.default_rng(seed)
    background = block_texture(SIZE, COOL_BACKGROUND_PALETTE, rng=rng, block=16)
    w, h = size
    frames, centres = [], [[], []]
    for i in range(n):
        frame = background.copy()
        for k, (ox, oy) in enumerate(((560, 540), (1360, 540))):
            cx = ox + 150 * math.cos(2 * math.pi * i / n + k)
            cy = oy + 150 * math.sin(2 * math.pi * i / n + k)
            y0, y1, x0, x1 = int(cy - h / 2), int(cy + h / 2) + 1, int(cx - w / 2), int(cx + w / 2) + 1
            ys, xs = np.ogrid[y0:y1, x0:x1]
            mask = ((xs - cx) / (w / 2)) ** 2 + ((ys - cy) / (h / 2)) ** 2 <= 1
            frame[y0:y1, x0:x1][mask] = RED_TARGET_PALETTE[rng.integers(0, len(RED_TARGET_PALETTE), int(mask.sum()))]
            centres[k].append((cx, cy))
        frames.append(frame)
    return frames, centres


def order(n: int, passes: int) -> list[int]:
    """Frame indices forward and back, ``passes`` times (skipping the first: it is the init frame)."""
    out: list[int] = []
    for p in range(passes):
        out += list(range(1, n)) if p % 2 == 0 else list(range(n - 2, -1, -1))
    return out


def fresh(factory, frames, centres, size):
    trackers = []
    for k in range(2):
        tracker = factory()
        cx, cy = centres[k][0]
        tracker.init(frames[0], (cx - (size[0] - 1) / 2, cy - (size[1] - 1) / 2, size[0], size[1]))
        trackers.append(tracker)
    return trackers


def one_thread(trackers, frames, indices) -> tuple[float, list]:
    results: list[list] = [[], []]
    start = time.perf_counter()
    for i in indices:
        for k in range(2):
            results[k].append(trackers[k].update(frames[i]))
    return time.perf_counter() - start, results


def two_threads(trackers, frames, indices) -> tuple[float, list]:
    results: list[list] = [[], []]
    barrier = threading.Barrier(3)

    def run(k: int) -> None:
        barrier.wait()
        results[k] = [trackers[k].update(frames[i]) for i in indices]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, results


def kernel_fraction(factory, frames, centres, size, indices) -> float:
    """Fraction of one thread's ``update`` time spent inside the Numba kernels (which release the GIL).

    Each kernel in ``meanshift._kernels`` is wrapped with a timer for the run (the tracker looks them up
    on the module at each call). Two threads can overlap only in this fraction ``f``: whatever the number
    of free cores, their speed-up is at most ``min(2, 1 / (1 - f))``.
    """
    from meanshift import _kernels
    from meanshift._kernels import posterior as posterior_kernels

    # The Numba dispatchers, where the tracker looks them up: the package and the posterior part's module.
    saved = {(module, n): getattr(module, n) for module in (_kernels, posterior_kernels) for n in dir(module)
             if hasattr(getattr(module, n), "py_func")}
    inside = [0.0]

    def timed(kernel):
        def call(*args):
            start = time.perf_counter()
            try:
                return kernel(*args)
            finally:
                inside[0] += time.perf_counter() - start
        return call

    trackers = fresh(factory, frames, centres, size)
    try:
        for (module, name), kernel in saved.items():
            setattr(module, name, timed(kernel))
        start = time.perf_counter()
        for i in indices:
            for tracker in trackers:
                tracker.update(frames[i])
        total = time.perf_counter() - start
    finally:
        for (module, name), kernel in saved.items():
            setattr(module, name, kernel)
    return inside[0] / total


PURE_CALLS = 10


def pure_kernel(repeats: int = 3) -> tuple[float, float]:
    """Wall time per call of one kernel (quantising 3000x3000 pixels) in one thread and in two at once."""
    from meanshift.features import get_features, quantize_into

    space = get_features("bgr")
    frame = np.random.default_rng(0).integers(0, 256, (3000, 3000, 3), np.uint8)
    quantize_into(frame[:8, :8], space, 0, 0, np.empty((8, 8), np.int32))

    def work() -> None:
        out = np.empty(frame.shape[:2], np.int32)
        for _ in range(PURE_CALLS):
            quantize_into(frame, space, 0, 0, out)

    best = [math.inf, math.inf]
    for _ in range(repeats):
        for n in (1, 2):
            threads = [threading.Thread(target=work) for _ in range(n)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            best[n - 1] = min(best[n - 1], (time.perf_counter() - start) / (PURE_CALLS * n))
    return best[0], best[1]


def gil_probe(seconds: float = 0.3) -> tuple[float, float]:
    """Does a kernel let other threads run? Python loop speed in the main thread, alone and during a kernel.

    Independent of how many cores are free: if the kernel held the GIL, the main thread would make no
    progress at all while it runs.
    """
    from meanshift.features import get_features, quantize_into

    space = get_features("bgr")
    side = 4000
    frame = np.random.default_rng(0).integers(0, 256, (side, side, 3), np.uint8)
    out = np.empty((side, side), np.int32)
    quantize_into(frame[:8, :8], space, 0, 0, out[:8, :8])  # compile / load from the cache
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        count += 1
    alone = count / (time.perf_counter() - start)
    done = threading.Event()

    def kernel() -> None:
        quantize_into(frame, space, 0, 0, out)
        done.set()

    thread = threading.Thread(target=kernel)
    count = 0
    thread.start()
    start = time.perf_counter()
    while not done.is_set():
        count += 1
    during = count / (time.perf_counter() - start)
    thread.join()
    return alone, during


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=30, help="distinct 1080p frames (kept in memory)")
    parser.add_argument("--passes", type=int, default=2, help="forward/backward passes over them")
    parser.add_argument("--repeats", type=int, default=12,
                        help="runs of each way, interleaved; the fastest is kept (short runs, many of them, "
                        "so that some fall in a quiet moment of a shared machine)")
    args = parser.parse_args()
    indices = order(args.frames, args.passes)
    rows = []
    for name, factory, size in CASES:
        frames, centres = make_frames(args.frames, size)
        fresh(factory, frames, centres, size)[0].update(frames[1])  # compile / load the Numba cache
        best_one = best_two = math.inf
        ratios = []  # one-thread / two-thread time of runs made back to back, in about the same load
        for _ in range(args.repeats):
            t1, r1 = one_thread(fresh(factory, frames, centres, size), frames, indices)
            t2, r2 = two_threads(fresh(factory, frames, centres, size), frames, indices)
            if r1 != r2:
                raise AssertionError(f"{name}: two threads gave other boxes than one")
            best_one, best_two = min(best_one, t1), min(best_two, t2)
            ratios.append(t1 / t2)
        updates = 2 * len(indices)
        f = kernel_fraction(factory, frames, centres, size, indices)
        row = (name, updates, 1000 * best_one / updates, 1000 * best_two / updates, best_one / best_two,
               float(np.median(ratios)), max(ratios), f, min(2.0, 1.0 / (1.0 - f)))
        rows.append(row)
        print(f"{name}: one thread {row[2]:.3f} ms/update, two threads {row[3]:.3f} ms/update, speed-up "
              f"{row[4]:.2f}x (back-to-back pairs: median {row[5]:.2f}x, best {row[6]:.2f}x); in kernels {f:.0%}, "
              f"bound {row[8]:.2f}x", flush=True)
        del frames
    pure = pure_kernel(args.repeats)
    print(f"one kernel alone: {1000 * pure[0]:.1f} ms per call in one thread, {1000 * pure[1]:.1f} in two "
          f"({pure[0] / pure[1]:.2f}x)")
    alone, during = gil_probe()
    print(f"GIL probe: a Python loop in the main thread ran at {during / alone:.0%} of its speed alone while "
          "a 16-Mpixel quantisation kernel ran in another thread")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Two trackers in two threads of one process",
        "",
        f"Two targets on the same 1920x1080 synthetic frames ({args.frames} frames, {args.passes} passes "
        f"forward and back: {len(indices)} updates per tracker); best of {args.repeats}. Time per `update`, "
        "averaged over both trackers. Speed-up = one-thread time / two-thread time (2.0 = perfectly "
        "parallel), from the best of each, and for each pair of runs made one after the other; "
        "both ways give identical boxes. On a machine shared with other work the speed-up is capped by the "
        "cores left free: the last row, one kernel with no Python around it, shows that cap at the time of "
        "the run. *Time in GIL-free kernels* = share of one thread's `update` time "
        "inside the Numba kernels (timed one by one); two threads can overlap only there, so whatever the "
        "free cores their speed-up is at most min(2, 1 / (1 - share)) (*speed-up bound*). "
        "Produced by `python benchmarks/bench_threads.py`.",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}; 1-minute load average {load:.2f} before the run ended (shared machine).",
        "",
        "| case | updates | one thread (ms/update) | two threads (ms/update) | speed-up (best times) "
        "| speed-up of back-to-back pairs: median, best | time in GIL-free kernels | speed-up bound |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {u} | {a:.3f} | {b:.3f} | {s:.2f}x | {med:.2f}x, {top:.2f}x | {f:.0%} | {bound:.2f}x |"
              for n, u, a, b, s, med, top, f, bound in rows]
    k1, k2 = pure
    lines += [f"| one kernel alone: quantising a 3000x3000 frame, {PURE_CALLS} times per thread | "
              f"{PURE_CALLS * 2} | {1000 * k1:.1f} | {1000 * k2:.1f} | {k1 / k2:.2f}x | | 100% | 2.00x |"]
    lines += [
        "",
        f"GIL probe: while one thread ran a Numba kernel (quantising a 4000x4000 frame), a Python loop in the "
        f"main thread kept running at {during / alone:.0%} of its speed alone: the kernels do release the GIL "
        "(a kernel holding it would have stopped the loop altogether).",
        "",
        "Only the Numba kernels release the GIL; the Python around them (the iteration's bookkeeping, the",
        "three window sizes of the scale search, histogram arithmetic in NumPy) does not. The more of an",
        "update is spent in kernels (large windows read in full), the closer two threads come to two cores.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
