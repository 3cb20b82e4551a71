"""What each accuracy feature adds: the generalized preset with one feature switched per row, one-pass evaluation.

Writes ``benchmarks/results/ablation_accuracy.md`` (mean AUC / P@20 / fps and per-sequence AUC). Usage::

    python benchmarks/ablation_accuracy.py [DATASET_DIR] [--jobs 2]

One set of parameters for every sequence; nothing here looks at ground truth beyond the first frame.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import meanshift
from meanshift.evaluation.runner import evaluate

ROOT = Path(__file__).resolve().parents[1]

#: Each variant is ``meanshift.generalized(**settings)``.
VARIANTS: dict[str, dict] = {
    "generalized (the preset: CBWH, contrast scale, recovery)": {},
    "without loss detection and re-acquisition": {"recovery": False},
    "without CBWH background weighting": {"background_weighting": False},
    "loss at 0.5, re-acquire at 0.7 of the recent level": {"loss_ratio": 0.5, "reacquire_ratio": 0.7},
    "loss at 0.6, re-acquire at 0.8 of the recent level": {"loss_ratio": 0.6, "reacquire_ratio": 0.8},
    "+ constant-velocity motion prior": {"motion": "constant-velocity"},
    "+ model update 0.05, gated by confidence": {"model_update": 0.05},
    "+ model update 0.05 on every trusted frame (no recovery)": {"recovery": False, "model_update": 0.05},
    "+ colour space chosen at init (variance ratio)": {"features": "auto"},
    "+ size change only when the zeroth moment agrees": {"scale_check": True},
    "background-ratio weights (ASMS) instead of Bhattacharyya": {"similarity": "background-ratio"},
    "background-ratio weights, without CBWH": {"similarity": "background-ratio", "background_weighting": False},
    "BGR 8x8x8 bins instead of 16x16x16": {"bins": 8},
    "BGR 12x12x12 bins instead of 16x16x16": {"bins": 12},
    "converged at 0.5 px instead of 0.1": {"convergence": meanshift.Convergence(epsilon=0.5, max_iterations=20)},
    "converged at 1 px instead of 0.1": {"convergence": meanshift.Convergence(epsilon=1.0, max_iterations=20)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "sequences")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="comma-separated variant numbers (0-based) to run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ablation_accuracy.md")
    args = parser.parse_args()
    names = list(VARIANTS)
    if args.only:
        names = [names[int(i)] for i in args.only.split(",")]
    factories = {name: partial(meanshift.generalized, **VARIANTS[name]) for name in names}
    result = evaluate(args.dataset, factories, jobs=args.jobs, progress=False, plots=False)
    lines = [
        "# Accuracy features of the generalized preset",
        "",
        f"Made by `python benchmarks/ablation_accuracy.py --jobs {args.jobs}`: `meanshift.generalized()` with one "
        "setting changed per row, one-pass evaluation on the shared sequences (fps are with "
        f"{args.jobs} jobs sharing the cores).",
        "",
        result.mean_table_markdown(),
        "",
        "## AUC per sequence",
        "",
        result.sequence_table_markdown(),
        "",
    ]
    if not args.only:
        args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
