"""Accuracy options measured per family, one pass, with sign counts against the preset.

Writes ``benchmarks/results/ablation_folds.md``: per variant, mean AUC and P@20 per family (OTB, VOT,
aerial, thermal: ``benchmarks/families.py``) and over all 36, the sequences above / below the preset,
and the median ms per ``update``. Usage::

    python benchmarks/ablation_folds.py [DATASET_DIR ...] [--jobs 1] [--only 0,3] [--family OTB]

Every variant is ``meanshift.generalized(**settings)``; one set of parameters for every sequence, no
ground truth past the first frame.
"""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

import numpy as np
from families import ALL, DATASETS, FAMILIES, family_cells, family_heads, family_of

import meanshift
from meanshift.config import Convergence
from meanshift.evaluation import evaluate
from meanshift.posterior import posterior_options

ROOT = Path(__file__).resolve().parents[1]

#: The previous preset (before issue 15), spelled out so that the baseline rows stay fixed.
OLD_PRESET = dict(features="bgr", bins=16, similarity="bhattacharyya", kernel="epanechnikov", scale="contrast",
                  background_weighting=True, recovery=True, max_samples=4096,
                  convergence=Convergence(epsilon=0.1, max_iterations=20))
#: The new preset: ``meanshift.generalized()`` = the old one with ``scale="posterior"``, the default
#: stage settings (each default below was chosen on fold A and kept only if fold B did not lose)
#: and a classic proposal sampled ~1,024 times and stopped at 0.5 px (``max_samples``, ``convergence``;
#: issue 16: as accurate, cheaper).
NEW = dict(OLD_PRESET, scale="posterior", similarity="posterior", max_samples=1024,
           convergence=Convergence(epsilon=0.5, max_iterations=20))


def _new(**changes) -> dict:
    return dict(NEW, **posterior_options(**changes))


#: name -> settings of ``meanshift.Tracker`` (full settings, not overrides of the current preset).
VARIANTS: dict[str, dict] = {
    "old preset (contrast scale, CBWH, recovery)": OLD_PRESET,
    'old preset, scale="fixed"': dict(OLD_PRESET, scale="fixed"),
    'old preset, scale="moments"': dict(OLD_PRESET, scale="moments"),
    "**new preset** (posterior; the stages' defaults)": NEW,
    "new, size fixed (scale_rule=fixed)": _new(rule="fixed"),
    "new, zeroth moment also on inseparable targets (scale_rule=zeroth)": _new(rule="zeroth"),
    "new, zeroth moment without the band check": _new(scale_check=False),
    "new, zeroth moment without the size prior (size_prior=0)": _new(size_prior=0.0),
    "new, zeroth moment with max_step 0.1, smoothing 0.5": _new(max_step=0.1, smoothing=0.5),
    "new, no classic mean-shift proposal (proposal=never)": _new(proposal="never"),
    "new, classic proposal on every target (proposal=always)": _new(proposal="always"),
    "new, classic proposal with 2,048 samples and to 0.1 px (the preset before issue 16's last change)":
        dict(NEW, max_samples=2048, convergence=Convergence(epsilon=0.1, max_iterations=20)),
    "new, classic proposal with 2,048 samples instead of 1,024": dict(NEW, max_samples=2048),
    "new, classic proposal converged to 0.1 px instead of 0.5": dict(NEW, convergence=Convergence(epsilon=0.1,
                                                                                               max_iterations=20)),
    "new, no motion prior (motion_sigma=None)": _new(motion_sigma=None),
    "new, motion prior sigma 1.0 instead of 0.5": _new(motion_sigma=1.0),
    "new, search region 3x instead of 4x": _new(region=3.0),
    "new, no mean-shift refinement of the best window": _new(refine=False),
    "new, every window scored (window_stride=1; the default scores every 2nd, then around the best)":
        _new(window_stride=1),
    "new, coarse-to-fine window search with window_stride=3": _new(window_stride=3),
    "new, window follows the best candidate on lost frames (hold_when_lost=False)": _new(hold_when_lost=False),
    "new + colour-texture (LBP) bins when they separate better (texture=auto)": _new(texture="auto"),
    "new, no model update (learning_rate=0)": _new(learning_rate=0.0),
    "new, learning rate 0.02 instead of 0.05": _new(learning_rate=0.02),
    "new, model taught only on frames that match it at the recent level (learn_objectness=None, the rule before)":
        _new(learn_objectness=None),
    "new + constant-velocity prediction": dict(NEW, motion="constant-velocity"),
    "new, posterior grid of 8,192 samples instead of 16,384": _new(samples=8192),
}


def _factory(settings: dict):
    return partial(meanshift.Tracker, **settings)




def median_ms(ev, tracker: str) -> float:
    times = np.concatenate([ev.runs[s, tracker].update_seconds[1:] for s in ev.sequences])
    return float(np.nanmedian(times) * 1000)


def run(datasets: list[Path], variants: dict[str, dict], jobs: int, sequences=None) -> dict:
    factories = {name: _factory(settings) for name, settings in variants.items()}
    ev = evaluate(datasets, factories, jobs=jobs, progress=False, plots=False, sequences=sequences)
    order = sorted(ev.sequences, key=lambda s: (ALL.index(s) if s in ALL else len(ALL), s.lower()))
    rows = {}
    for name in variants:
        rows[name] = {"ms": median_ms(ev, name), "per_sequence": {s: ev.scores[s, name].auc for s in order},
                      "p20": {s: ev.scores[s, name].precision_at_20 for s in order}}
    return rows


#: The row the others' sign counts are against.
REFERENCE = "**new preset** (posterior; the stages' defaults)"


def table(rows: dict) -> str:
    lines = [f"| variant | {family_heads()} | median ms/update |", "|---|" + "---:|" * (len(FAMILIES) + 2)]
    reference = rows.get(REFERENCE)
    for name, r in rows.items():
        ref = None if reference is None or r is reference else reference["per_sequence"]
        lines.append(f"| {name} | " + " | ".join(family_cells(r["per_sequence"], r["p20"], ref))
                     + f" | {r['ms']:.2f} |")
    return "\n".join(lines)


def per_sequence_table(rows: dict) -> str:
    names = list(rows)
    seqs = list(next(iter(rows.values()))["per_sequence"])
    lines = ["| sequence | family | " + " | ".join(f"({i})" for i in range(len(names))) + " |",
             "|---|---|" + "---:|" * len(names)]
    for s in seqs:
        lines.append(f"| {s} | {family_of(s)} | " + " | ".join(f"{rows[n]['per_sequence'][s]:.3f}" for n in names)
                     + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, default=list(DATASETS))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", help="comma-separated variant numbers (0-based) to run")
    parser.add_argument("--family", choices=tuple(FAMILIES), help="only this family's sequences")
    parser.add_argument("--json", type=Path, help="also dump the rows here")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ablation_folds.md")
    args = parser.parse_args()
    names = list(VARIANTS)
    if args.only:
        names = [names[int(i)] for i in args.only.split(",")]
    seqs = FAMILIES.get(args.family or "")
    rows = run(args.datasets or list(DATASETS), {n: VARIANTS[n] for n in names}, args.jobs, seqs)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    text = "\n".join([
        "# Accuracy options per family, one pass",
        "",
        f"Made by `python benchmarks/ablation_folds.py --jobs {args.jobs}` over the 36 sequences of `../shared` "
        "(families as in `benchmarks/families.py`; cells are AUC / P@20 and, in brackets, the sequences whose AUC "
        "is above / below the preset's by more than 0.01). One-pass OTB evaluation; ms/update is the median "
        f"over all updates "
        f"(with {args.jobs} job(s) on a shared 2-core machine).",
        "",
        table(rows),
        "",
        "## AUC per sequence (columns numbered as the rows above)",
        "",
        per_sequence_table(rows),
        "",
    ])
    if not args.only and not args.family:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
