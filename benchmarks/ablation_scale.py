"""Which scale rule? The generalized preset with each of the engine's window-size rules, one-pass evaluation.

Writes ``benchmarks/results/ablation_scale.md``. Usage::

    python benchmarks/ablation_scale.py [DATASET_DIR] [--jobs 2]

Every variant is ``meanshift.generalized(...)`` with one setting changed, so the rows differ only in how
the window's size follows the target.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import meanshift
from meanshift.evaluation.runner import evaluate

ROOT = Path(__file__).resolve().parents[1]

VARIANTS = {
    "contrast (the preset)": {},
    "fixed size": {"scale": "fixed"},
    "bandwidth, Comaniciu/Meer's rule": {"scale": "bandwidth"},
    "zeroth moment, model weight sum q w": {"scale": "moments", "area_estimate": "model"},
    "zeroth moment, core-measured weight": {"scale": "moments", "area_estimate": "core"},
    "zeroth moment, core, slow guard": {"scale": "moments", "area_estimate": "core",
                                        "guard": meanshift.ScaleGuard(max_step=0.02, smoothing=0.2)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "sequences")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ablation_scale.md")
    args = parser.parse_args()
    factories = {name: partial(meanshift.generalized, **settings) for name, settings in VARIANTS.items()}
    result = evaluate(args.dataset, factories, jobs=args.jobs, progress=True, plots=False)
    lines = [
        "# Scale rules of the generalized preset",
        "",
        f"Made by `python benchmarks/ablation_scale.py --jobs {args.jobs}`: `meanshift.generalized()` with one "
        "setting changed per row, one-pass evaluation on the shared sequences (fps are with "
        f"{args.jobs} jobs sharing the cores).",
        "",
        result.mean_table_markdown(),
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
