"""Two versions of the code on the same machine, alternated: what a change did to the speed on real footage.

The ratios of ``benchmarks/speed.py`` move by up to 20 % between runs on a shared machine, and more
between machines (OpenCV's vectorised conversion is faster on some CPUs than on others), so a figure
from another session says little about a change. This script checks out ``OLD`` (a git revision) in a
temporary worktree beside the working tree and runs, in fresh processes, alternately
``OLD, NEW, OLD, NEW, ...``, the real-footage part of ``speed.py`` with each version's own code:
``generalized()`` against OpenCV's CAMSHIFT pipeline on the first frames of every shared sequence,
interleaved frame by frame. The table is the median over the rounds of each sequence's ratio::

    python benchmarks/speed_versions.py OLD_REV [--rounds 3] [--frames 20] [--repeats 3]
                                        [--out benchmarks/results/speed_versions.md]

``NEW`` is the working tree. Both versions must have ``benchmarks/speed.py`` with ``trackers_to_time``,
``time_trackers`` and ``load_sequences``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DATASET = ROOT.parent / "shared" / "data" / "sequences"

_CHILD = """
import json, sys
from pathlib import Path
root, dataset, frames, repeats = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sys.path[:0] = [root, root + "/benchmarks"]
import meanshift, speed
assert Path(meanshift.__file__).resolve().is_relative_to(Path(root).resolve()), meanshift.__file__
speed.SEQUENCES = dataset
trackers = {k: v for k, v in speed.trackers_to_time().items() if k in (speed.OPENCV, "generalized")}
ratios = {}
for name, seq_frames, box in speed.load_sequences(frames):
    ms = speed.time_trackers(trackers, seq_frames, box, repeats)
    ratios[name] = ms[speed.OPENCV] / ms["generalized"]
print(json.dumps(ratios))
"""


def run_version(root: Path, dataset: Path, frames: int, repeats: int) -> dict[str, float]:
    """``{sequence: OpenCV ms / generalized ms}`` measured by the code in ``root``, in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(root), str(dataset), str(frames), str(repeats)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def geometric_mean(values) -> float:
    values = list(values)
    return math.exp(statistics.fmean(math.log(v) for v in values))


def render(command: str, old: str, runs: dict[str, list[dict[str, float]]]) -> str:
    names = list(runs["new"][0])
    medians = {v: {n: statistics.median(r[n] for r in runs[v]) for n in names} for v in runs}
    lines = ["# Speed of two versions on the same machine, alternated", "",
             f"Made by `{command}`: `{old}` (old) against the working tree (new), each in fresh processes "
             f"with its own code, alternated {len(runs['new'])} times; `generalized()` against OpenCV's CAMSHIFT "
             "pipeline, interleaved frame by frame on the first frames of every shared sequence. (x) = how many "
             "times faster than OpenCV's pipeline, the median over the rounds.", "",
             "| sequence | old | new | new / old |", "|---|---:|---:|---:|"]
    for n in names:
        lines.append(f"| {n} | {medians['old'][n]:.2f}x | {medians['new'][n]:.2f}x | "
                     f"{medians['new'][n] / medians['old'][n]:.2f} |")
    lines.append(f"| **geometric mean** | {geometric_mean(medians['old'].values()):.2f}x | "
                 f"{geometric_mean(medians['new'].values()):.2f}x | |")
    lines.append(f"| **slowest sequence** | {min(medians['old'].values()):.2f}x | "
                 f"{min(medians['new'].values()):.2f}x | |")
    per_round = {v: ", ".join(f"{geometric_mean(r.values()):.2f}x" for r in runs[v]) for v in runs}
    lines += ["", f"Geometric mean per round: old {per_round['old']}; new {per_round['new']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the git revision to compare the working tree with")
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "speed_versions.md")
    args = parser.parse_args()
    if not args.dataset.is_dir():
        raise SystemExit(f"no sequences at {args.dataset}")
    with tempfile.TemporaryDirectory(prefix="meanshift-old-") as tmp:
        old_root = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old_root), args.old],
                       check=True)
        try:
            runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
            for k in range(args.rounds):
                for version, root in (("old", old_root), ("new", ROOT)):
                    runs[version].append(run_version(root, args.dataset, args.frames, args.repeats))
                    print(f"round {k + 1}: {version} {geometric_mean(runs[version][-1].values()):.2f}x",
                          file=sys.stderr)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_root)], check=False)
    command = (f"python benchmarks/speed_versions.py {args.old} --rounds {args.rounds} --frames {args.frames} "
               f"--repeats {args.repeats}")
    text = render(command, args.old, runs)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
