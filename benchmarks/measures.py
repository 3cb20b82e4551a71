"""The recommended tracker with each built-in similarity measure: one pass and the perturbed protocol, per family.

``generalized(similarity=NAME)`` for every measure of :func:`meanshift.similarities`: the same dense
search, motion prior, size rule, learning and loss detection, another weight table. Writes
``benchmarks/results/measures.md`` (and the raw scores, ``measures.json``; ``--render`` writes the
page again from them). Usage::

    python benchmarks/measures.py [--measures posterior,bhattacharyya] [--one-pass-only] [--render]

Per family as in ``benchmarks/families.py``, with sign counts against ``posterior`` (the default).
"""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

from families import ALL, DATASETS, FAMILIES, family_cells, family_heads, held_out_choices
from robustness import run as perturbed_run
from robustness import sequence_means

import meanshift
from meanshift.evaluation import evaluate

RESULTS = Path(__file__).resolve().parent / "results"
REFERENCE = "posterior"


def one_pass(measures: list[str]) -> dict:
    """``{measure: {sequence: [auc, p@20]}}`` of one pass from the exact first box."""
    factories = {m: partial(meanshift.generalized, similarity=m) for m in measures}
    ev = evaluate(list(DATASETS), factories, jobs=1, progress=True, plots=False)
    for problem in ev.problems():
        print(problem)
    return {m: {s: [ev.scores[s, m].auc, ev.scores[s, m].precision_at_20] for s in ev.sequences} for m in measures}


def perturbed(measures: list[str]) -> dict:
    """``{measure: {sequence: [mean auc, mean p@20]}}`` over the 13 runs of the perturbed protocol."""
    names = [f"generalized:similarity={m}" for m in measures]
    raw = perturbed_run(list(DATASETS), names, "all", 1)
    out = {}
    for measure, name in zip(measures, names, strict=True):
        auc, p20 = sequence_means(raw[name], 0), sequence_means(raw[name], 1)
        out[measure] = {s: [auc[s], p20[s]] for s in auc}
    return out


def table(scores: dict) -> list[str]:
    lines = [f"| measure | {family_heads()} |", "|---|" + "---:|" * (len(FAMILIES) + 1)]
    reference = scores.get(REFERENCE)
    ref_auc = {s: v[0] for s, v in reference.items()} if reference else None
    rows = []
    for measure, per_sequence in scores.items():
        auc = {s: v[0] for s, v in per_sequence.items()}
        p20 = {s: v[1] for s, v in per_sequence.items()}
        cells = family_cells(auc, p20, None if measure == REFERENCE else ref_auc)
        every = sum(auc[s] for s in ALL if s in auc) / max(1, sum(s in auc for s in ALL))
        rows.append((every, f"| {measure} | " + " | ".join(cells) + " |"))
    rows.sort(key=lambda row: -row[0])
    return lines + [line for _, line in rows]


def held_out_table(scores: dict) -> list[str]:
    """Families as folds: the measure one would choose on two families, and how it does on the third."""
    aucs = {m: {s: v[0] for s, v in per.items()} for m, per in scores.items()}
    lines = ["| held-out family | measure chosen on the other two | its AUC there | the best measure's AUC there |",
             "|---|---|---:|---:|"]
    for held, chosen, got, best in held_out_choices(aucs):
        lines.append(f"| {held} | {chosen} | {got:.3f} | {best:.3f} |")
    return lines


def render(data: dict) -> str:
    return "\n".join([
        "# The recommended tracker with each similarity measure", "",
        "Made by `python benchmarks/measures.py`: `generalized(similarity=NAME)` for every built-in measure, the "
        "same search, motion prior, size rule, learning and loss detection with another weight table (the measure's "
        "weights linearised around the window at the prediction, divided by the weight an object pixel carries on "
        "average; `posterior`'s are the probabilities themselves). Cells are AUC / P@20 per family (as in "
        "`benchmarks/families.py`) and, in brackets, the sequences whose AUC is above / below `posterior`'s by more "
        "than 0.01.", "",
        "## One pass", "", *table(data["one_pass"]), "",
        "## The perturbed protocol (12 shifted and scaled starts, and a pass on re-encoded frames: mean of 13)", "",
        *(table(data["perturbed"]) if data.get("perturbed") else ["(not run: `--one-pass-only`)"]), "",
        "## Families as folds", "",
        "Which measure one would choose on two families (the best mean of their means), and how it does on the "
        "third, held out (the decision rule of the accuracy issue, as an unseen-like check)"
        + (", under the perturbed protocol:" if data.get("perturbed") else ", one pass:"), "",
        *held_out_table(data.get("perturbed") or data["one_pass"]), "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", default=",".join(meanshift.similarities()))
    parser.add_argument("--one-pass-only", action="store_true")
    parser.add_argument("--json", type=Path, default=RESULTS / "measures.json")
    parser.add_argument("--out", type=Path, default=RESULTS / "measures.md")
    parser.add_argument("--render", action="store_true", help="only write the page again from --json")
    args = parser.parse_args()
    if args.render:
        data = json.loads(args.json.read_text())
    else:
        measures = [m.strip() for m in args.measures.split(",") if m.strip()]
        data = {"one_pass": one_pass(measures)}
        if not args.one_pass_only:
            data["perturbed"] = perturbed(measures)
        args.json.write_text(json.dumps(data, indent=1, sort_keys=True))
    args.out.write_text(render(data), encoding="utf-8")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
