"""The first start of ``meanshift track`` on a fresh install: how long until the first frame is tracked.

A fresh install has an empty Numba cache, so the first run compiles every kernel the tracker uses. This
runs, in fresh processes, ``meanshift track`` on the shipped clip for two frames, alternately with an
empty cache (``NUMBA_CACHE_DIR`` pointing at a new folder: a fresh install) and with the cache that run
left (every later start), and reports the wall time of the whole command and the compile time the
command itself prints. The default tracker's first start is measured as a user runs it (on two cores a
forked copy of the process compiles half of the kernels) and in one process (``MEANSHIFT_COMPILE_HELPER=0``);
the classic presets as a user runs them.
Writes ``benchmarks/results/first_start.md``::

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
#: A target whose colours do not separate it from its surroundings: the default tracker then asks the classic
#: engine for a proposal too, and compiles it (measured only where ../shared is).
DEER = ROOT.parent / "shared" / "data" / "sequences" / "Deer"

#: (label, preset, MEANSHIFT_COMPILE_HELPER, source: None for the shipped clip) of the first starts measured.
COLD_STARTS = (
    ("default tracker, as run (a forked helper compiles half)", "generalized", "1", None),
    ("default tracker, one process (MEANSHIFT_COMPILE_HELPER=0)", "generalized", "0", None),
    *([("default tracker on ../shared's Deer, whose colours do not separate it (the classic proposal compiles "
        "too)", "generalized", "1", DEER)] if DEER.is_dir() else []),
    ("camshift preset", "camshift", "1", None),
    ("comaniciu-meer preset", "comaniciu-meer", "1", None),
)


def one_start(cache: Path, out: Path, preset: str = "generalized", helper: str = "1",
              source: Path | None = None) -> tuple[float, float | None]:
    """``(wall seconds of the command, compile seconds it reported or None)`` with ``cache`` as Numba's cache.

    ``source`` None is the shipped clip with its box; a sequence folder brings its own ground truth."""
    given = [str(CLIP), "--box-file", str(BOX)] if source is None else [str(source)]
    command = [sys.executable, "-m", "meanshift", "track", *given, "--output", str(out), "--max-frames", "2",
               "--preset", preset]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "MEANSHIFT_COMPILE_HELPER": helper}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"meanshift track failed:\n{done.stderr[-2000:]}")
    said = re.search(r"compiled in ([\d.]+) s", done.stderr)
    return wall, float(said.group(1)) if said else None


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s ({min(values):.1f}–{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "first_start.md")
    args = parser.parse_args()
    cold: dict[str, list[float]] = {label: [] for label, *_ in COLD_STARTS}
    compiled: dict[str, list[float]] = {label: [] for label, *_ in COLD_STARTS}
    warm: list[float] = []
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            for index, (label, preset, helper, source) in enumerate(COLD_STARTS):
                cache = Path(work) / f"cache{round_}-{index}"
                loads.append(os.getloadavg()[0])
                wall, seconds = one_start(cache, Path(work) / "boxes.csv", preset, helper, source)
                cold[label].append(wall)
                if seconds is not None:
                    compiled[label].append(seconds)
                if index == 0:  # every later start of the default tracker: the cache the first one left
                    warm.append(one_start(cache, Path(work) / "boxes.csv")[0])
            print(f"round {round_ + 1}: " + ", ".join(f"{label.split(',')[0]} {values[-1]:.1f} s"
                                                      for label, values in cold.items())
                  + f"; warm {warm[-1]:.1f} s", flush=True)
    lines = [
        "# First start: `meanshift track` on a fresh install", "",
        f"Made by `python benchmarks/first_start.py --rounds {args.rounds}`: `meanshift track examples/data/demo.mp4 "
        "--max-frames 2` in fresh processes, with an empty Numba cache (a fresh install) and then, for the default "
        f"tracker, with the cache it left; {args.rounds} rounds, median and range. "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; the load average (other work shared "
        f"the machine) was {min(loads):.1f}–{max(loads):.1f} before the runs. The machine's speed varies from run "
        "to run (a shared virtual machine): the range says how much. The Deer row (where ../shared is) starts on "
        "a target the default tracker cannot separate by colour: its first frame also asks the classic engine for "
        "a proposal, whose kernels then compile in the tracker's process alone.", "",
        "| start | whole command, median (range) | compiling, as the command reports it |",
        "|---|---:|---:|",
    ]
    for label, *_ in COLD_STARTS:
        said = f"{statistics.median(compiled[label]):.1f} s" if compiled[label] else "–"
        lines.append(f"| empty cache: {label} | {spread(cold[label])} | {said} |")
    lines += [f"| warm cache (every later start of the default tracker) | {spread(warm)} | – |", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
