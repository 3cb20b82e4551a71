"""The first start of ``meanshift track`` on a fresh install: how long until the first frame is tracked.

A fresh install has an empty Numba cache, so the first run compiles every kernel the default tracker
uses. This runs, in fresh processes, ``meanshift track`` on the shipped clip for two frames, alternately
with an empty cache (``NUMBA_CACHE_DIR`` pointing at a new folder: a fresh install) and with the cache
that run left (every later start), and reports the wall time of the whole command and the compile
time the command itself prints. Writes ``benchmarks/results/first_start.md``::

    python benchmarks/first_start.py [--rounds 3] [--out benchmarks/results/first_start.md]

Not a timed test: the machines are shared and a loaded core doubles the figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "examples" / "data" / "demo.mp4"
BOX = ROOT / "examples" / "data" / "demo.box"


def one_start(cache: Path, out: Path) -> tuple[float, float | None]:
    """``(wall seconds of the command, compile seconds it reported or None)`` with ``cache`` as Numba's cache."""
    command = [sys.executable, "-m", "meanshift", "track", str(CLIP), "--box-file", str(BOX), "--output",
               str(out), "--max-frames", "2"]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"meanshift track failed:\n{done.stderr[-2000:]}")
    said = re.search(r"compiled in ([\d.]+) s", done.stderr)
    return wall, float(said.group(1)) if said else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "first_start.md")
    args = parser.parse_args()
    cold, warm, compiled = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            cache = Path(work) / f"cache{round_}"
            wall, seconds = one_start(cache, Path(work) / "boxes.csv")
            cold.append(wall)
            if seconds is not None:
                compiled.append(seconds)
            warm.append(one_start(cache, Path(work) / "boxes.csv")[0])
            print(f"round {round_ + 1}: empty cache {cold[-1]:.1f} s, warm cache {warm[-1]:.1f} s", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# First start: `meanshift track` on a fresh install", "",
        f"Made by `python benchmarks/first_start.py --rounds {args.rounds}`: `meanshift track examples/data/demo.mp4 "
        "--max-frames 2` in fresh processes, with an empty Numba cache (a fresh install) and then with the cache it "
        f"left, {args.rounds} rounds; median and range. {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {load:.1f} when it ended (other work shared the machine).", "",
        "| start | whole command, median (range) | compiling, as the command reports it |",
        "|---|---:|---:|",
        f"| empty cache (first start) | {statistics.median(cold):.1f} s ({min(cold):.1f}–{max(cold):.1f}) | "
        + (f"{statistics.median(compiled):.1f} s |" if compiled else "– |"),
        f"| warm cache (every later start) | {statistics.median(warm):.1f} s ({min(warm):.1f}–{max(warm):.1f}) | – |",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
